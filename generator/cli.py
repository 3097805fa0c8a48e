"""The ``gen-measures`` command line (typer)."""

from __future__ import annotations

import difflib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from generator import __version__
from generator.engine.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT
from generator.errors import EXIT_BAD_INPUT, ToolError
from generator.text import plural

if TYPE_CHECKING:
    from generator.powerbi.connections import Connection

EXIT_CODES = """Exit codes: 0 success; 1 findings (mismatches, stale outputs, lint findings);
2 bad input or usage (invalid specs, bad --db, unreachable database, wrong schema version)."""

app = typer.Typer(
    name="gen-measures",
    help="Autotask + SmileBack data into a tested Power BI semantic model.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DbOption = Annotated[str, typer.Option(
    "--db", envvar="MSP_CSAT_DB", show_envvar=True,
    help="Target database: a DuckDB file path, or odbc:<ODBC connection string> (PostgreSQL, MariaDB, "
         "SQL Server …).")]
SpecsOption = Annotated[Path | None, typer.Option(
    "--specs", envvar="MSP_CSAT_SPECS", show_envvar=True, file_okay=False,
    help="Folder holding model/, measures/ and sql/ (default: the specs shipped with the tool).")]


TimeoutOption = Annotated[float, typer.Option(
    "--timeout", min=0, help="Stop the database work after this many seconds (0: no limit).")]
MemoryLimitOption = Annotated[str, typer.Option(
    "--memory-limit", help="The most memory the database may use for the queries, such as 500MB or 4GB.")]


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _load_model(specs: Path | None):
    from generator.spec.loader import load_model
    from generator.spec.locate import default_spec_dir, resolve_spec_dir

    return load_model(resolve_spec_dir(specs) if specs else default_spec_dir())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gen-measures {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Autotask + SmileBack data into a tested Power BI semantic model."""


@app.command("sql", epilog=EXIT_CODES)
def sql_command(
    dialect: Annotated[str, typer.Option("--dialect", "-d", help="duckdb, tsql, postgres, mysql or mariadb.")]
    = "duckdb",
    out: Annotated[Path | None, typer.Option("--out", "-o", dir_okay=False,
                                             help="Write the script to this file instead of printing it.")] = None,
    specs: SpecsOption = None,
) -> None:
    """Print the schema script (CREATE TABLE for every BI_, staging and ETL table) for a SQL dialect.

    Example: gen-measures sql --dialect tsql > msp_csat.sql   (the script a DBA runs on SQL Server)
    """
    from generator.output import write_text_atomically
    from generator.sqlschema.ddl import schema_script

    script = schema_script(_load_model(specs), dialect)
    if out is None:
        typer.echo(script, nl=False)
    else:
        write_text_atomically(out, script)
        _say(f"wrote {out}")


@app.command("demo", epilog=EXIT_CODES)
def demo_command(
    db: DbOption = "msp_csat.duckdb",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same rows.")] = 20260430,
    scale: Annotated[int, typer.Option(min=1, max=1000, help="N times the rows, same proportions "
                                                             "(100 gives ~300k reviews).")] = 1,
    force: Annotated[bool, typer.Option("--force", help="Replace BI_ rows that a demo did not write.")] = False,
    specs: SpecsOption = None,
) -> None:
    """Create the schema in --db and fill the BI_ tables with the deterministic demo dataset.

    The dataset covers November 2025 to April 2026 and reproduces the reference CSAT report: 3,024 reviews, Happy 90.0 %, Neutral 5.9 %, Unhappy 4.1 %, weighted average 4.717.

    Running it again replaces the earlier demo rows; data loaded from Autotask or SmileBack is never replaced without --force.
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.demo.build import build_demo
    from generator.demo.load import demo_dataset_name, refuse_to_overwrite, write_tables
    from generator.demo.summary import summarize
    from generator.targets import describe_target, open_database
    from generator.targets.frames import read_semantic_tables
    from generator.targets.locks import load_lock
    from generator.targets.schema import ensure_schema

    model = _load_model(specs)
    started = time.perf_counter()
    _say(f"target: {describe_target(db)}")
    with open_database(db) as database, load_lock(database):  # a demo writes BI_ rows as a load does
        state = ensure_schema(database, model)
        _say("schema: created" if state.created else "schema: present, version checked")
        if not force:
            refuse_to_overwrite(database, model, state.dataset)
        frames = build_demo(seed=seed, scale=scale, progress=lambda stage: _say(f"generating {stage}"))
        write_tables(database, model, frames, demo_dataset_name(seed, scale),
                     progress=lambda table, rows: _say(f"wrote {table}: {plural(rows, 'row')}"))
        tables = read_semantic_tables(database, model)
    typer.echo(summarize(tables, seed=seed, scale=scale, seconds=time.perf_counter() - started))


OutOption = Annotated[Path | None, typer.Option(
    "--out", "-o", file_okay=False,
    help="Output folder for the PBIP project, model.bim, the .pbit template and, unless --docs says otherwise, "
         "the measure catalogue page (DIR/measures.md). Default: powerbi, with the catalogue in docs/measures.md "
         "(the repository's layout).")]
DocsOption = Annotated[Path | None, typer.Option(
    "--docs", dir_okay=False, help="Where the measure catalogue page goes (default: docs/measures.md, or "
                                   "DIR/measures.md with --out DIR).")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="text, json or github (workflow annotations).")]
JunitOption = Annotated[Path | None, typer.Option("--junit", dir_okay=False,
                                                  help="Also write a JUnit XML report to this file.")]
OUTPUT_FORMATS = ("text", "json", "github")
IntoOption = Annotated[Path | None, typer.Option(
    "--into", file_okay=False,
    help="Merge the generated measures into this existing PBIP semantic model (X.SemanticModel with a TMDL "
         "definition/ folder) instead of writing --out; only objects annotated MSP_CSAT_Generated are replaced.")]
WithTablesOption = Annotated[bool, typer.Option(
    "--with-tables", help="With --into: also merge the BI_ tables, their relationships, the Server/Database "
                          "parameters and the security roles.")]
WithReportOption = Annotated[bool, typer.Option(
    "--with-report", help="With --into: also write the generated report pages (PBIR) into the X.Report folder "
                          "beside the model, replacing that report's pages; without it no report file is touched.")]
ConnectionOption = Annotated[str | None, typer.Option(
    "--connection", help="The database the model's partitions read: sqlserver (SQL Server, Azure SQL, Fabric "
                         "warehouse), postgresql, mysql (MariaDB/MySQL) or duckdb-odbc (the DuckDB file through "
                         "ODBC). Default: the kind of --db when given, else sqlserver.")]
ConnectionDbOption = Annotated[str | None, typer.Option(
    "--db", help="The database the BI_ tables were loaded into (a DuckDB path or odbc:<connection string>): it "
                 "chooses the default --connection and the Server/Database parameter values. Nothing is opened and "
                 "no credential is copied. MSP_CSAT_DB is not read here.")]
ParameterPrefixOption = Annotated[str | None, typer.Option(
    "--parameter-prefix", help="Name our parameters P_Server and P_Database (for a model with its own Server or "
                               "Database parameter).")]
ReuseParametersOption = Annotated[bool, typer.Option(
    "--reuse-parameters", help="With --into --with-tables: write no parameters; the partitions read the model's own "
                               "Server and Database parameters.")]


DEFAULT_OUT = Path("powerbi")
DEFAULT_DOCS = Path("docs") / "measures.md"


def _output_paths(out: Path | None, docs: Path | None) -> tuple[Path, Path]:
    """The output folder and the catalogue page of ``build``/``check``.

    Without --out the repository's layout: ``powerbi/`` and ``docs/measures.md``. With --out DIR everything is
    written inside DIR, the catalogue as ``DIR/measures.md``, so a build never writes beside the folder it was
    given. --docs overrides the catalogue's place either way.
    """
    if out is None:
        return DEFAULT_OUT, docs if docs is not None else DEFAULT_DOCS
    return out, docs if docs is not None else out / "measures.md"


def _check_format(output_format: str) -> None:
    if output_format not in OUTPUT_FORMATS:
        raise ToolError(f"--format must be one of {', '.join(OUTPUT_FORMATS)}, not {output_format!r}")


def _emit_findings(findings: list, output_format: str, title: str, junit: Path | None, suite: str,
                   checked: list[str], text: str | None = None) -> None:
    from generator.findings import render_github, render_json, render_text
    from generator.output import write_text_atomically

    if output_format == "json":
        typer.echo(render_json(findings), nl=False)
    elif output_format == "github":
        typer.echo(render_github(findings), nl=False)
    else:
        typer.echo(text if text is not None else render_text(findings, title=title), nl=False)
    if junit is not None:
        from generator.findings import junit_xml

        write_text_atomically(junit, junit_xml(findings, suite=suite, checked=checked))


@app.command("build", epilog=EXIT_CODES)
def build_command(
    out: OutOption = None,
    docs: DocsOption = None,
    specs: SpecsOption = None,
    into: IntoOption = None,
    with_tables: WithTablesOption = False,
    with_report: WithReportOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --into: print the change as a unified diff "
                                                            "and write nothing.")] = False,
    connection: ConnectionOption = None,
    db: ConnectionDbOption = None,
    parameter_prefix: ParameterPrefixOption = None,
    reuse_parameters: ReuseParametersOption = False,
) -> None:
    """Generate the Power BI outputs from the specs: the PBIP project (TMDL), model.bim, the .pbit template and docs/measures.md.

    Everything is rendered in memory first and written atomically: a failed build leaves the previous outputs as they were. The same specs always give byte-identical files.

    With --into PATH/X.SemanticModel the generated measures (and with --with-tables the BI_ tables, relationships, parameters and roles) are merged into a model you already own: objects annotated MSP_CSAT_Generated are replaced in place, new ones added beside them, every other line of every file kept byte for byte. A hand-written object that uses a generated name, a table or column the generated measures use that the model lacks, or a path that a symbolic link leads outside the model stops the merge before anything is written (exit 2). Your report (X.Report) is left alone unless you add --with-report.

    --connection writes the partitions and parameters for the database the BI_ tables are in: Sql.Database (sqlserver, the default), PostgreSQL.Database (postgresql), MySQL.Database (mysql) or Odbc.Query over the DuckDB ODBC driver (duckdb-odbc); see docs/connectors.md. Example: gen-measures build --connection postgresql
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.powerbi.outputs import render_outputs, write_outputs

    started = time.perf_counter()
    chosen = _connection(connection, db, parameter_prefix, reuse_parameters, into, with_tables)
    model = _load_model(specs)
    if into is not None:
        _build_into(model, into, with_tables, dry_run, started, chosen, with_report)
        return
    if with_tables or dry_run or with_report:
        raise ToolError("--with-tables, --with-report and --dry-run need --into PATH")
    outputs = render_outputs(model, chosen)
    out, docs_path = _output_paths(out, docs)
    changed = write_outputs(outputs, out, docs_path, progress=lambda path: _say(f"wrote {path}"))
    total = len(outputs.files) + 1
    _say(f"{plural(len(model.measures), 'measure')}, {plural(len(model.semantic_tables), 'table')}, connection "
         f"{chosen.describe()}: {len(changed)} of {plural(total, 'file')} changed in {out} and {docs_path} "
         f"({time.perf_counter() - started:.2f} s)")


def _connection(kind: str | None, db: str | None, prefix: str | None, reuse: bool, into: Path | None,
                with_tables: bool) -> Connection:
    """The connection ``build``/``check`` write (see :func:`generator.powerbi.connections.resolve_connection`)."""
    from generator.powerbi.connections import resolve_connection

    connection = resolve_connection(kind, db, prefix, reuse)
    if reuse and into is None:
        raise ToolError("--reuse-parameters needs --into PATH --with-tables: it makes the generated partitions read "
                        "the parameters of a model you own")
    if into is not None and not with_tables and (prefix is not None or reuse):
        raise ToolError("--parameter-prefix and --reuse-parameters go with --with-tables: without it no partitions "
                        "or parameters are merged")
    return connection


def _build_into(model, into: Path, with_tables: bool, dry_run: bool, started: float,
                connection: Connection, with_report: bool) -> None:
    from generator.powerbi.outputs import sync_files
    from generator.powerbi.report_into import report_targets
    from generator.spec.report import EMPTY_REPORT
    from generator.tmdl.merge import apply, merge_specs_into

    result = merge_specs_into(model, into, with_tables, connection)
    if with_report:
        folder, targets, owned = report_targets(model.report or EMPTY_REPORT, result.folder.parent)
    if dry_run:
        typer.echo(result.diff(), nl=False)
    else:
        apply(result, progress=lambda path: _say(f"wrote {path}"))
    tables = f", connection {connection.describe()}" if with_tables else ""
    _say(f"{'would merge' if dry_run else 'merged'} into {result.folder}{tables}: {result.summary()} "
         f"({time.perf_counter() - started:.2f} s)")
    if with_report and not dry_run:
        changed = sync_files(targets, owned, folder, progress=lambda path: _say(f"wrote {path}"))
        _say(f"report: {len(changed)} of {plural(len(targets), 'file')} changed in {folder}")
    elif with_report:
        _say(f"report: would write {plural(len(targets), 'file')} into {folder} and replace its pages")


@app.command("check", epilog=EXIT_CODES)
def check_command(
    out: OutOption = None,
    docs: DocsOption = None,
    specs: SpecsOption = None,
    output_format: FormatOption = "text",
    junit: JunitOption = None,
    into: IntoOption = None,
    with_tables: WithTablesOption = False,
    with_report: WithReportOption = False,
    connection: ConnectionOption = None,
    db: ConnectionDbOption = None,
    parameter_prefix: ParameterPrefixOption = None,
    reuse_parameters: ReuseParametersOption = False,
) -> None:
    """Exit 1 when the committed outputs differ from what the specs generate (stale or hand-edited); 0 when current.

    Rebuilds everything in memory and compares byte for byte, without writing. This is the command CI runs. With --into PATH/X.SemanticModel it checks instead that merging the generated objects into that model (build --into, same --with-tables and --with-report) would change nothing. Give check the --connection, --db, --parameter-prefix and --reuse-parameters the build had.
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.powerbi.outputs import compare_outputs, render_outputs, shown_path

    _check_format(output_format)
    chosen = _connection(connection, db, parameter_prefix, reuse_parameters, into, with_tables)
    model = _load_model(specs)
    if into is not None:
        _check_into(model, into, with_tables, output_format, junit, chosen, with_report)
        return
    if with_tables or with_report:
        raise ToolError("--with-tables and --with-report need --into PATH")
    outputs = render_outputs(model, chosen)
    out, docs_path = _output_paths(out, docs)
    root = Path.cwd()
    stale = compare_outputs(outputs, out, docs_path, root)
    checked = sorted(shown_path(path, root) for path in outputs.targets(out, docs_path))
    _report_stale(stale, checked, "STALE_OUTPUT", "run gen-measures build and commit the result",
                  f"{len(stale)} of {plural(len(checked), 'output')} {'is' if len(stale) == 1 else 'are'} stale",
                  "the output is current" if len(checked) == 1 else f"all {len(checked)} outputs are current",
                  output_format, junit)


def _report_stale(stale: list, checked: list[str], rule: str, hint: str, stale_text: str, current_text: str,
                  output_format: str, junit: Path | None) -> None:
    """Print stale files as findings (text, JSON or GitHub, optionally JUnit); exit 1 when there are any."""
    from generator.errors import EXIT_FINDINGS
    from generator.findings import Finding

    findings = [Finding(rule, 3, "File", item.path, f"{item.reason}: {item.detail}", hint, file=item.path)
                for item in stale]
    if stale:
        lines = [f"{item.path}: {item.reason}" + ("\n    " + item.detail.replace("\n", "\n    ")
                                                   if item.reason == "differs" else f" ({item.detail})")
                 for item in stale]
        text = "\n".join(lines) + f"\ncheck: {stale_text}; {hint}\n"
    else:
        text = f"check: {current_text}\n"
    _emit_findings(findings, output_format, "check", junit, "gen-measures check", checked, text)
    if stale:
        raise typer.Exit(EXIT_FINDINGS)


def _check_into(model, into: Path, with_tables: bool, output_format: str, junit: Path | None,
                connection: Connection, with_report: bool) -> None:
    from generator.powerbi.outputs import compare_files, shown_path
    from generator.powerbi.report_into import report_targets
    from generator.spec.report import EMPTY_REPORT
    from generator.tmdl.merge import merge_specs_into

    result = merge_specs_into(model, into, with_tables, connection)
    root = Path.cwd()
    folder = shown_path(result.folder, root)
    checked = sorted(shown_path(result.folder / path, root) for path in result.before)
    stale = result.stale_files(root)
    not_current = len(result.changed_files) + len(result.removed)
    if with_report:
        _, targets, owned = report_targets(model.report or EMPTY_REPORT, result.folder.parent)
        report_stale = compare_files(targets, owned, root, "run gen-measures build --into --with-report")
        stale, not_current = stale + report_stale, not_current + len(report_stale)
        checked = sorted({*checked, *(shown_path(path, root) for path in targets)})
    _report_stale(stale, checked, "STALE_MERGE", "run gen-measures build --into and commit "
                  "the result", f"{plural(not_current, 'file')} of {folder} {'is' if not_current == 1 else 'are'} "
                  f"not current ({result.summary()})", f"the generated objects in {folder} are current",
                  output_format, junit)


@app.command("lint", epilog=EXIT_CODES)
def lint_command(
    model_path: Annotated[Path | None, typer.Option(
        "--model", help="Lint this model instead of the one generated from the specs: a model.bim, a .pbit, a TMDL "
                        "definition/ folder (or the *.SemanticModel folder holding it).")] = None,
    specs: SpecsOption = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe: info, "
                                                           "warning, error or never.")] = "error",
    rules: Annotated[str | None, typer.Option("--rules", help="Only these rule ids, comma-separated.")] = None,
    show_ignored: Annotated[bool, typer.Option("--show-ignored", help="Also list findings silenced by a "
                                                                      "BestPracticeAnalyzer_IgnoreRules annotation "
                                                                      "(lint_ignore in the specs).")] = False,
    output_format: FormatOption = "text",
    junit: JunitOption = None,
) -> None:
    """Check the model against Tabular Editor's Best Practice Analyzer rules (same ids and severities) and our own.

    Severities: 1 info, 2 warning, 3 error. Findings on objects annotated with BestPracticeAnalyzer_IgnoreRules (written from lint_ignore: in the specs, with the reason kept there) are not reported unless --show-ignored.
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.errors import EXIT_FINDINGS
    from generator.findings import FAIL_ON_CHOICES, exceeds
    from generator.lint import LintContext, lint_database, load_model, select_rules
    from generator.lint.suppressions import apply_suppressions
    from generator.reference import MEASURES as REFERENCE_MEASURES
    from generator.spec.reference import measures_with_reference

    _check_format(output_format)
    if fail_on not in FAIL_ON_CHOICES:
        raise ToolError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}")
    if model_path is not None:
        database = load_model(model_path)
        title = f"lint {model_path}"
    else:
        from generator.semantic.spec import from_spec

        database = from_spec(_load_model(specs))
        title = "lint"
    selected = [rule.strip() for rule in rules.split(",") if rule.strip()] if rules else None
    chosen = select_rules(selected)
    findings = lint_database(database, rules=selected,
                             context=LintContext(reference_measures=frozenset(REFERENCE_MEASURES)
                                                 | measures_with_reference(_specs_dir(specs))))
    kept, ignored = apply_suppressions(database, findings)
    reported = findings if show_ignored else kept
    _emit_findings(reported, output_format, title, junit, "gen-measures lint", [rule.id for rule in chosen])
    if output_format == "text":
        _say(f"{plural(len(chosen), 'rule')} checked; {plural(len(ignored), 'finding')} ignored by lint_ignore "
             "annotations"
             + ("" if show_ignored else " (--show-ignored lists them)"))
    if exceeds(kept, fail_on):
        raise typer.Exit(EXIT_FINDINGS)


ModelOption = Annotated[Path | None, typer.Option(
    "--model", help="Bind to this model.bim, .pbit or TMDL definition/ folder instead of the model of the specs "
                    "(its tables are read by name from --db).")]


@app.command("query", epilog=EXIT_CODES)
def query_command(
    dax: Annotated[str | None, typer.Argument(help="The DAX query (EVALUATE …); or use -i/--file.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-i", dir_okay=False, exists=True,
                                              help="Read the DAX query from this file.")] = None,
    db: DbOption = "msp_csat.duckdb",
    output_format: Annotated[str, typer.Option(
        "--format", "-f", help="table (measures shown in their format strings), csv or json (raw values).")
    ] = "table",
    sql: Annotated[bool, typer.Option("--sql", help="Print the SQL the query runs instead of running it.")] = False,
    dialect: Annotated[str, typer.Option("--dialect", "-d", help="SQL dialect for --sql: duckdb, tsql, postgres, mysql "
                                                                 "or spark.")] = "duckdb",
    model_path: ModelOption = None,
    specs: SpecsOption = None,
    roles: Annotated[list[str] | None, typer.Option(
        "--role", help="Evaluate under this row-level security role of the model (repeatable: a user in several "
                       "roles sees the union); needs --user.")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="The user principal name the role is evaluated for (what USERPRINCIPALNAME() returns); "
                       "only with --role.")] = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    memory_limit: MemoryLimitOption = DEFAULT_MEMORY_LIMIT,
    params: Annotated[list[str] | None, typer.Option(
        "--param", help="NAME=VALUE: the value of the query parameter @NAME (repeatable). A number, \"quoted text\", "
                        "TRUE/FALSE or dt\"2024-01-31\" is that literal; any other value is text.")] = None,
) -> None:
    """Evaluate a DAX query against the BI_ tables and print the result.

    The query is compiled to SQL and run where --db points: a DuckDB file, or a SQL Server, PostgreSQL or MariaDB/MySQL database as odbc:<connection string> (read-only). DEFINE MEASURE / VAR / TABLE, EVALUATE and ORDER BY are supported; functions outside the engine's subset are refused with "unsupported: FUNCTION at line:col". Without ORDER BY the rows come ordered by their columns, left to right (the group-by columns first).

    The table output shows a column that holds a measure's values in the measure's format string (95.8%, 1,234); csv and json keep the raw values. In JSON, columns are keyed by their DAX names (Table[Column], [Name]) and BLANK is null.

    -f is --format, as in the other commands; read the query from a file with -i/--file.
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.engine.output import FORMATS, render
    from generator.engine.run import DIALECTS, Engine
    from generator.engine.session import connect_read_only
    from generator.engine.sources import load_engine_model

    if output_format not in FORMATS:
        file_hint = " (-f is short for --format; read the query from a file with -i/--file)" \
            if Path(output_format).is_file() else ""
        raise ToolError(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}{file_hint}")
    if dialect not in DIALECTS:
        raise ToolError(f"--dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    if (dax is None) == (file is None):
        raise ToolError("give the DAX query as an argument or with -i/--file, not both" if dax else
                        "give the DAX query as an argument or with -i/--file")
    text = dax if dax is not None else _read_text(file)
    from generator.engine.security_options import check_role_options

    check_role_options(roles, user)
    values: dict[str, str] = {}
    for param in params or []:
        name, equals, value = param.partition("=")
        if not equals or not name.strip().lstrip("@"):
            raise ToolError(f"--param {param!r}: expected NAME=VALUE, e.g. --param year=2026")
        values[name.strip().lstrip("@")] = value
    model = load_engine_model(model_path, _specs_dir(specs) if model_path is None else None)
    if sql:
        engine = Engine(model, None, roles, user, values)  # compiling needs no connection
        typer.echo("\n\n".join(statement + ";" for statement in engine.sql(text, dialect)))
        return
    from generator.engine.limits import deadline

    connection = connect_read_only(db, memory_limit)
    try:
        with deadline(connection, timeout, memory_limit):
            results = Engine(model, connection, roles, user, values).query(text)
    finally:
        connection.close()
    typer.echo(render(results, output_format))


@app.command("validate", epilog=EXIT_CODES)
def validate_command(
    db: DbOption = "msp_csat.duckdb",
    specs: SpecsOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    emit_dqv: Annotated[Path | None, typer.Option(
        "--emit-dqv", file_okay=False, help="Also write the checks as DAX Query View test files (*.Tests.dax, "
                                            "one EVALUATE each, per slice and value type) into this folder "
                                            "(the model's DAXQueries folder).")] = None,
    slices: Annotated[list[str] | None, typer.Option(
        "--slice", help="Only this slice (repeatable; default: the specs' 'validation: slices'): total, "
                        "client, month, technician, queue, client_month, week; by the reviewed ticket's "
                        "attributes: issue_type, priority, source, resolution (FCR, reopened, SLA met); or any "
                        "column as Table[column] (several joined by commas slice by their combinations).")] = None,
    measures: Annotated[list[str] | None, typer.Option("--measure", help="Only this measure (repeatable).")] = None,
    require_reference: Annotated[bool, typer.Option(
        "--require-reference", help="Exit 1 when a measure is unverified (a raw DAX measure whose spec declares "
                                    "no 'reference').")] = False,
    check_roles: Annotated[bool, typer.Option(
        "--roles", help="Validate under every row-level security role, as the users the data gives each role "
                        "(against the reference on each user's rows), and run the leak test.")] = False,
    only_roles: Annotated[list[str] | None, typer.Option(
        "--role", help="With --roles: only this role (repeatable).")] = None,
    users_per_role: Annotated[int, typer.Option(
        "--users-per-role", min=1, help="With --roles: users checked per role (most companies first, then by "
                                        "name), plus one with no mapping.")] = 2,
    all_users: Annotated[bool, typer.Option("--all-users", help="With --roles: every user of every role.")] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    memory_limit: MemoryLimitOption = DEFAULT_MEMORY_LIMIT,
) -> None:
    """Evaluate every generated measure with the DAX engine and compare it with the pandas reference.

    Each measure's generated DAX runs on the slices the specs list ('validation: slices' in model/*.yaml; the shipped specs list the standard ones: grand total, by client, by month, by technician, by queue, client x month, by week; measures defined by calendar months are not compared by week), or on the --slice columns, as SUMMARIZECOLUMNS queries on the database of --db (a DuckDB file or odbc:…; the reference reads the same tables). Blanks must be equal and numbers agree within 1e-9 relative. Exit 1 on any mismatch.

    The reference: the hand-written pandas implementation of the shipped measures on the standard slices; for every other measure and slice, the interpreter of the measure specs (kinds read from measures/*.yaml, never the DAX). A raw 'dax:' measure is checked against the 'reference' its spec declares; without one it is listed as unverified (exit 0, or 1 with --require-reference).

    With --roles the same runs under each row-level security role for a sample of its users (--users-per-role, or --all-users) and compares with the reference computed on that user's rows only; query shapes that could leak other clients' rows (ALL, REMOVEFILTERS, RELATED, the portfolio comparison) are checked too. Exit 1 on any mismatch or leak.
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    import json

    from generator.engine.run import Engine
    from generator.engine.session import connect_read_only, target_database
    from generator.engine.sources import model_from_spec
    from generator.errors import EXIT_FINDINGS
    from generator.reference import SLICES, Parameters
    from generator.targets.frames import read_semantic_tables
    from generator.validation.compare import (
        default_slices,
        mismatch_table,
        report_json,
        resolve_slice,
        spec_reference,
        validate,
    )
    from generator.validation.dqv import slice_tests, write_dqv

    model = _load_model(specs)
    if slices:
        chosen_slices = list(dict.fromkeys(resolve_slice(s, model) for s in slices))
    else:  # the specs' slices; --roles checks the standard ones among them
        chosen_slices = [s for s in default_slices(model) if s in SLICES or not check_roles]
    names = [m.name for m in model.measures]
    chosen_measures = list(dict.fromkeys(measures)) if measures else names
    missing = [m for m in chosen_measures if m not in names]
    if missing:
        hint = difflib.get_close_matches(missing[0], names, n=1)
        raise ToolError(f"unknown measure {missing[0]!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                        + f"; the specs define {plural(len(names), 'measure')} (see docs/measures.md)")
    other = [s for s in chosen_slices if s not in SLICES] if check_roles else []
    if other:
        raise ToolError(f"--roles validates on the standard slices ({', '.join(SLICES)}); slice {other[0]!r} is "
                        "not one of them: validate it without --roles")
    if (only_roles or all_users) and not check_roles:
        raise ToolError("--role and --all-users go with --roles")
    if check_roles and emit_dqv is not None:
        raise ToolError("--emit-dqv writes the checks without a role; run it without --roles")
    from generator.engine.limits import deadline

    connection = connect_read_only(db, memory_limit)  # one read-only connection: the reference's tables, the engine
    try:
        with deadline(connection, timeout, memory_limit):
            tables = read_semantic_tables(target_database(connection, db), model)
            started = time.perf_counter()
            # the hand-written reference knows the shipped parameters; the interpreter reads any from the specs
            parameters = Parameters(**{p.name: p.value for p in model.parameters
                                       if p.name in Parameters.__dataclass_fields__})
            if check_roles:
                from generator.validation.roles import run_roles

                text, passed = run_roles(model_from_spec(model), connection, tables, chosen_measures, parameters,
                                         chosen_slices, only_roles, None if all_users else users_per_role,
                                         json_output, progress=lambda what: _say(f"validating {what}"),
                                         reference=spec_reference(model, _specs_dir(specs)),
                                         require_reference=require_reference)
            else:
                result = validate(Engine(model_from_spec(model), connection), tables, chosen_measures, parameters,
                                  chosen_slices, progress=lambda name: _say(
                                      f"validating slice {name} ({plural(len(chosen_measures), 'measure')})"),
                                  reference=spec_reference(model, _specs_dir(specs)))
    finally:
        connection.close()
    if check_roles:
        typer.echo(text if json_output else f"{text}\n({time.perf_counter() - started:.1f} s)")
        if not passed:
            raise typer.Exit(EXIT_FINDINGS)
        return
    seconds = time.perf_counter() - started
    if emit_dqv is not None:
        files = {file: text for name in chosen_slices
                 for file, text in slice_tests(name, result.references[name], chosen_measures).items()}
        for path in write_dqv(emit_dqv, files):
            _say(f"wrote {path}")
    mismatches, unverified = result.mismatches, result.unverified
    if json_output:
        typer.echo(json.dumps(report_json(result, require_reference), indent=2))
    else:
        if mismatches:
            typer.echo(mismatch_table(mismatches))
        for measure, why in unverified.items():
            typer.echo(f"unverified: {measure}: {why} (docs/your-measures.md: declare a 'reference')")
        typer.echo(f"{plural(len(result.checks), 'check')} ({plural(len(chosen_measures), 'measure')} x "
                   f"{plural(len(chosen_slices), 'slice')}): {plural(len(mismatches), 'mismatch', 'mismatches')}"
                   + (f", {len(unverified)} unverified" if unverified else "") + f" ({seconds:.1f} s)")
    if mismatches or (require_reference and unverified):
        raise typer.Exit(EXIT_FINDINGS)


def _specs_dir(specs: Path | None) -> Path:
    from generator.spec.locate import default_spec_dir, resolve_spec_dir

    return resolve_spec_dir(specs) if specs else default_spec_dir()


def _read_text(path: Path | None) -> str:
    assert path is not None
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ToolError(f"cannot read {path}: {error}") from None


tmdl_app = typer.Typer(help="Read and check TMDL semantic-model folders (lossless reader/writer).\n\n" + EXIT_CODES,
                       no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(tmdl_app, name="tmdl")


@tmdl_app.command("check", epilog=EXIT_CODES)
def tmdl_check_command(
    path: Annotated[Path, typer.Argument(help="A TMDL definition/ folder or one .tmdl file.")],
    roundtrip: Annotated[bool, typer.Option("--roundtrip", help="Also write the tree back and compare it byte for "
                                                                "byte with the files on disk.")] = False,
) -> None:
    """Parse a TMDL folder or file and report syntax errors as file:line:column: message.

    With --roundtrip, also write the parsed tree back and exit 1 if any file would differ by a single byte.
    """
    from generator.errors import EXIT_FINDINGS
    from generator.tmdl.reader import TmdlSyntaxError, read_file, tmdl_files
    from generator.tmdl.writer import write_document

    if path.is_dir():
        files = tmdl_files(path)
        if not files:
            raise ToolError(f"{path} holds no .tmdl files")
    elif path.is_file():
        files = [path]
    else:
        raise ToolError(f"{path} does not exist")
    errors: list[TmdlSyntaxError] = []
    differences: list[str] = []
    nodes = 0
    for file in files:
        try:
            document = read_file(file)
        except TmdlSyntaxError as error:
            errors.append(error)
            continue
        nodes += sum(1 for _ in document.walk())
        if roundtrip and write_document(document) != file.read_bytes():
            differences.append(str(file))
    for error in errors:
        typer.echo(str(error), err=True)
    if errors:
        typer.echo(f"{len(errors)} of {plural(len(files), 'file')} "
                   f"{'has a syntax error' if len(errors) == 1 else 'have syntax errors'}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    for difference in differences:
        typer.echo(f"{difference}: round trip changes the file", err=True)
    if differences:
        raise typer.Exit(EXIT_FINDINGS)
    checked = "parsed and round-tripped byte for byte" if roundtrip else "parsed"
    typer.echo(f"{plural(len(files), 'file')}, {plural(nodes, 'node')} {checked}")


LOAD_EXIT_CODES = """Exit codes: 0 success (loaded, nothing rejected); 1 findings: rows were rejected (the rest is
loaded; reasons in the summary and the --rejects file); 2 bad input or usage (unreadable export, bad mapping, bad
--db, failed load, --strict with rejected rows: nothing written)."""


@app.command("load", epilog=LOAD_EXIT_CODES)
def load_command(
    source: Annotated[str, typer.Option("--source", "-s", help="autotask-api, smileback-api, autotask-csv, "
                                                               "smileback-csv, or client-users-csv (the Client "
                                                               "role's user mapping; replaces it whole).")],
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", help="CSV sources: the export folder, or "
                                                                          "export files (repeatable).")] = None,
    db: DbOption = "msp_csat.duckdb",
    strict: Annotated[bool, typer.Option("--strict", help="Any rejected row is fatal: nothing is written.")] = False,
    full: Annotated[bool, typer.Option("--full", help="API sources: ignore the stored watermarks and read "
                                                     "everything.")] = False,
    mapping: Annotated[Path | None, typer.Option("--mapping", dir_okay=False, help="CSV header mapping YAML "
                                                 "(default: sql/mappings/csv.yaml of the specs).")] = None,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", dir_okay=False, help="Where the full list of rejected rows is written (only when rows are "
        "rejected; default: load-rejected-<source>.csv in $XDG_STATE_HOME/msp-csat, ~/.local/state/msp-csat; "
        "the summary names the file).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    allow_dates: Annotated[str | None, typer.Option(
        "--allow-dates", metavar="FROM:TO", help="Dates a load accepts; rows with a date outside are rejected. "
        "Years (1980:2200) or days (1985-06-01:2100-12-31); default 1990:2100.")] = None,
    specs: SpecsOption = None,
) -> None:
    """Load Autotask / SmileBack data (REST APIs or CSV exports) into the BI_ tables of --db.

    Rows are staged, transformed by the SQL in sql/transform (transpiled to the target's dialect) and merged in one transaction: a failure leaves the BI_ tables and watermarks as they were, a second identical load changes nothing. Only changed rows are updated; SmileBack reviews deleted upstream are removed. Credentials for the API sources come from environment variables (see docs/loading.md).

    Example: gen-measures load --source autotask-csv --path exports/ --db msp_csat.duckdb
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.load.command import load_command as run

    code = run(source, list(path or []), db, _specs_dir(specs), mapping, strict, full, quiet, rejects, allow_dates)
    if code:
        raise typer.Exit(code)


@app.command("migrate", epilog=EXIT_CODES)
def migrate_command(
    db: DbOption = "msp_csat.duckdb",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the SQL of the migration; change nothing.")]
    = False,
    specs: SpecsOption = None,
) -> None:
    """Upgrade the schema of --db to this version's, keeping its data.

    Only additive changes are applied — new tables, new nullable columns, new dimension rows and the keys of the rows already there — in one transaction (on MariaDB/MySQL, where DDL commits by itself, a failure removes what was added). The new version is recorded in ETL_Schema_Info. A destructive change (a table or column dropped, a type changed) is refused.

    Example: gen-measures migrate --db msp_csat.duckdb --dry-run
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from sqlglot import exp

    from generator.targets import describe_target, open_database
    from generator.targets.locks import load_lock
    from generator.targets.migrate import apply_migration, pending_migration, step_sql

    model = _load_model(specs)
    _say(f"target: {describe_target(db)}")
    with open_database(db) as database, load_lock(database):
        migration = pending_migration(database, model, _specs_dir(specs))
        if migration is None:
            typer.echo("schema is current: nothing to migrate")
            return
        title = f"schema version {migration.from_version} -> {migration.to_version}"
        if dry_run:
            typer.echo(f"-- {title} (dry run: nothing applied)")
            for step in migration.steps:
                typer.echo(f"\n-- {step.description}\n{step_sql(step, database.dialect)};")
            return
        apply_migration(database, model, migration)
    tables = sum(isinstance(step.statement, exp.Create) for step in migration.steps)
    columns = sum(step.column is not None for step in migration.steps)
    data = sum(not step.ddl for step in migration.steps)
    typer.echo(f"migrated: {title}, {plural(tables, 'table')} created, {plural(columns, 'column')} added, "
               f"{plural(data, 'data step')} run")


@app.command("report", epilog=EXIT_CODES)
def report_command(
    db: DbOption = "msp_csat.duckdb",
    out: Annotated[Path, typer.Option("--out", "-o", dir_okay=False, help="The HTML file to write.")]
    = Path("report.html"),
    period: Annotated[str | None, typer.Option(
        "--period", help="2026 (a year), 2026Q1, 2026-03, 2025-11..2026-04, last-month, last-quarter, last-year or "
                         "last-N-months. Default: the six most recent full months of the data.")] = None,
    industry_median: Annotated[float, typer.Option("--industry-median", min=0, max=100,
                                                   help="Benchmark line: industry median Happy %.")] = 85.0,
    top_quartile: Annotated[float, typer.Option("--top-quartile", min=0, max=100,
                                                help="Benchmark line: top-quartile Happy %.")] = 92.0,
    target: Annotated[float | None, typer.Option("--target", min=0, max=100, help="Target Happy % (default: the "
                                                 "specs' target_happy_pct, 90).")] = None,
    min_responses: Annotated[int | None, typer.Option("--min-responses", min=1, help="Low confidence under this "
                                                      "many responses (default: the specs' "
                                                      "low_confidence_threshold, 10).")] = None,
    min_response_rate: Annotated[float, typer.Option("--min-response-rate", min=0, max=100,
                                                     help="Low confidence under this response rate, in %.")] = 20.0,
    follow_up_days: Annotated[int, typer.Option("--follow-up-days", min=1, help="The follow-up list holds the "
                                                "unhappy and neutral reviews of this many last days.")] = 7,
    client: Annotated[str | None, typer.Option("--client", help="Write this client's QBR page (trend, distribution, "
                                               "categories, technicians, comments, gap to the portfolio) instead "
                                               "of the portfolio report.")] = None,
    roles: Annotated[list[str] | None, typer.Option(
        "--role", help="Evaluate under this row-level security role of the model (repeatable); needs --user.")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="The user principal name the role is evaluated for; only with --role.")] = None,
    specs: SpecsOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    memory_limit: MemoryLimitOption = DEFAULT_MEMORY_LIMIT,
) -> None:
    """Write the CSAT sentiment report for a period as one self-contained HTML page (inline SVG charts, prints well).

    Every figure is a catalogue measure evaluated by the DAX engine on the database of --db (a DuckDB file or odbc:…). "Full" months are relative to the data's latest review, survey response or closed ticket, not to today, so the same data gives the same page. With --client NAME the page is that client's QBR page; with --role/--user the figures are those the user sees.
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.report import ReportOptions, write_report

    started = time.perf_counter()

    def progress(step: str) -> None:
        _say(f"report: {step} ({time.perf_counter() - started:.1f} s)")

    summary = write_report(ReportOptions(db=db, out=out, period=period, industry_median=industry_median,
                                         top_quartile=top_quartile, target=target, min_responses=min_responses,
                                         min_response_rate=min_response_rate, specs=specs, timeout=timeout,
                                         memory_limit=memory_limit, follow_up_days=follow_up_days, roles=roles,
                                         user=user, client=client), progress)
    _say(f"wrote {summary.out} ({summary.period_label}; {summary.bytes_written:,} bytes)")


@app.command("deploy", epilog=EXIT_CODES)
def deploy_command(
    environment: Annotated[str, typer.Option("--environment", "-e", help="The environment of the config file "
                                             "(dev, test, prod …): its workspace, Server and Database.")],
    config: Annotated[Path, typer.Option("--config", "-c", dir_okay=False, help="The deploy config: environments "
                                         "with workspace_id, server and database.")] = Path("deploy.yaml"),
    out: Annotated[Path, typer.Option("--out", "-o", file_okay=False, help="The PBIP folder holding the "
                                      ".SemanticModel (and .Report) to publish.")] = Path("powerbi"),
    workspace_id: Annotated[str | None, typer.Option("--workspace-id", help="The workspace GUID, instead of the "
                                                     "environment's workspace_id.")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="After publishing, refresh each semantic model through "
                                          "the Power BI REST API and wait for the result.")] = False,
    refresh_timeout: Annotated[float, typer.Option("--refresh-timeout", help="Seconds to wait for a refresh to "
                                                   "end.")] = 3600.0,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", help="Seconds between checks of a running "
                                                "refresh.")] = 10.0,
    auth: Annotated[str, typer.Option("--auth", help="auto (a service principal from AZURE_TENANT_ID, "
                                      "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET when set, else azure-identity's "
                                      "DefaultAzureCredential), service-principal or azure-cli.")] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything and print what would be published, "
                                          "without signing in or sending anything.")] = False,
) -> None:
    """Publish the semantic model and the report of the PBIP folder to a Power BI / Fabric workspace (Microsoft's fabric-cicd), with the Server and Database parameters of the chosen environment.

    The config file, the items, the parameters and the sign-in are all checked before the first request. Needs fabric-cicd and azure-identity: the package's optional 'deploy' extra (see docs/deployment.md).

    Example: gen-measures deploy --environment prod --refresh
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    from generator.deploy import DeployOptions, deploy

    result = deploy(DeployOptions(environment=environment, config=config, out=out, workspace_id=workspace_id,
                                  refresh=refresh, refresh_timeout=refresh_timeout, poll_seconds=poll_seconds,
                                  auth=auth, dry_run=dry_run), progress=lambda line: _say(f"deploy: {line}"))
    typer.echo(result.summary())


@app.command("mcp", epilog=EXIT_CODES)
def mcp_command(
    db: DbOption = "msp_csat.duckdb",
    specs: SpecsOption = None,
    roles: Annotated[list[str] | None, typer.Option(
        "--role", help="Answer every tool under this row-level security role (repeatable); needs --user. Default: "
                       "no role, every row (the Manager's view).")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="The user principal name the role is evaluated for; only with --role.")] = None,
    transport: Annotated[str, typer.Option("--transport", help="stdio (the client starts the server) or http "
                                           "(streamable HTTP on 127.0.0.1:--port, token from "
                                           "MSP_CSAT_MCP_TOKEN).")] = "stdio",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port of --transport http.")] = 8765,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Rows a tool returns at most.")] = 1000,
    max_calls: Annotated[int, typer.Option("--max-calls", min=1, help="Tool calls answered at once; more are "
                                           "refused.")] = 4,
    reports: Annotated[Path, typer.Option("--reports", file_okay=False, help="Where the report tool writes "
                                          "its HTML pages.")] = Path("reports"),
    timeout: Annotated[float, typer.Option("--timeout", min=0, help="Seconds of database work one tool call "
                                           "may take (0: no limit).")] = 30.0,
    memory_limit: MemoryLimitOption = "2GB",
) -> None:
    """Serve the measure catalogue, measure queries and DAX to AI assistants over the Model Context Protocol.

    Tools: list_measures, describe_measure, list_dimensions, query_measures, run_dax, report, explain_client; the measure catalogue as a resource and a "how to ask" prompt. Every figure is a catalogue measure evaluated by the DAX engine on the DuckDB file of --db, read-only, under the row-level security of --role/--user. Needs the package's optional 'mcp' extra (see docs/mcp.md).

    Example: MSP_CSAT_MCP_TOKEN=... gen-measures mcp --transport http --role Client --user alex@client.example
    """  # noqa: E501 - typer re-wraps help text; one line per paragraph keeps it readable
    import os

    from generator.assistant.server import MIN_TOKEN_LENGTH, import_mcp
    from generator.engine.security_options import check_role_options

    import_mcp()
    check_role_options(roles, user)
    if transport not in ("stdio", "http"):
        raise ToolError(f"--transport must be stdio or http, not {transport!r}")
    token = os.environ.get("MSP_CSAT_MCP_TOKEN")
    if transport == "http" and (token is None or len(token.strip()) < MIN_TOKEN_LENGTH):
        raise ToolError(f"--transport http needs a token of at least {MIN_TOKEN_LENGTH} characters in "
                        "MSP_CSAT_MCP_TOKEN (clients send it as Authorization: Bearer <token>)")
    from generator.assistant.analyst import Analyst, Limits
    from generator.assistant.server import serve

    analyst = Analyst(db, _load_model(specs), roles or (), user,
                      Limits(max_rows=max_rows, timeout=timeout, memory_limit=memory_limit, max_calls=max_calls),
                      reports)
    if transport == "http":
        _say(f"gen-measures mcp: http://127.0.0.1:{port}/mcp as {analyst.identity()['roles'][0]}")
    serve(analyst, transport, port, token.strip() if token else None)


def main() -> None:
    """Console-script entry point: run the app, turning ToolError into one line on stderr and its exit code."""
    from generator.dax.depth import recursion_room

    try:
        with recursion_room():  # deeply nested DAX is walked recursively by the formatter, linter and engine
            app()
    except ToolError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
