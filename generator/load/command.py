"""``gen-measures load``: the command's work, kept out of cli.py (options in, exit code out)."""

from __future__ import annotations

from pathlib import Path

import typer

from generator.errors import EXIT_FINDINGS, EXIT_OK, ToolError
from generator.load.extractors import make_extractor
from generator.load.pipeline import LoadOptions, run_load
from generator.load.plan import SOURCES, is_api
from generator.load.plausible import DEFAULT_WINDOW, parse_window
from generator.load.rejects import default_rejects_path
from generator.load.report import LoadProgress, render_summary
from generator.sources.csv_mapping import DEFAULT_MAPPING

CLIENT_USERS_SOURCE = "client-users-csv"


def load_command(source: str, paths: list[Path], db: str, spec_dir: Path, mapping: Path | None, strict: bool,
                 full: bool, quiet: bool, rejects: Path | None, allow_dates: str | None = None) -> int:
    """Run one load and print its summary; return the exit code (0 ok, 1 rows rejected).

    ``rejects`` is ``--rejects FILE`` (None: the state folder's file for the source, see load/rejects.py);
    ``allow_dates`` is ``--allow-dates FROM:TO`` (default window: 1990 to 2100)."""
    from generator.spec.loader import load_model
    from generator.targets import describe_target, open_database
    from generator.targets.locks import load_lock
    from generator.targets.schema import ensure_schema

    if full and source in (*SOURCES, CLIENT_USERS_SOURCE) and not is_api(source):
        raise ToolError(f"--full applies to the API sources only (autotask-api, smileback-api): --source {source} "
                        "reads its files whole every time")
    model = load_model(spec_dir)
    rejects = rejects or default_rejects_path(source)
    if source == CLIENT_USERS_SOURCE:
        return _load_client_users(model, paths, db, strict, rejects)
    dates = parse_window(allow_dates) if allow_dates else DEFAULT_WINDOW
    extractor = make_extractor(source, paths, mapping or spec_dir / DEFAULT_MAPPING)
    options = LoadOptions(spec_dir=spec_dir, rejects_path=rejects, strict=strict, full=full, dates=dates)
    target = describe_target(db)
    with open_database(db) as database, load_lock(database):
        ensure_schema(database, model)
        with LoadProgress(LoadProgress.wanted(quiet)) as progress:
            summary = run_load(database, model, extractor, options, progress, target)
    typer.echo(render_summary(summary), nl=False)
    return EXIT_FINDINGS if summary.rejected else EXIT_OK


def _load_client_users(model, paths: list[Path], db: str, strict: bool, rejects: Path) -> int:
    """The Client role's user mapping: the files replace BI_Security_ClientUsers (see load/client_users.py)."""
    from generator.load.client_users import load_client_users
    from generator.targets import open_database
    from generator.targets.locks import load_lock
    from generator.targets.schema import ensure_schema

    if not paths:
        raise ToolError(f"--source {CLIENT_USERS_SOURCE} needs --path: the mapping CSV file(s) or their folder")
    with open_database(db) as database, load_lock(database):
        ensure_schema(database, model)
        result = load_client_users(database, model, paths, rejects, strict)
    typer.echo(result.render(), nl=False)
    return EXIT_FINDINGS if result.rejected else EXIT_OK
