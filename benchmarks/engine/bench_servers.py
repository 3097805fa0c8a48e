"""Server sweep: every catalogue measure on each validate slice, evaluated by the DAX engine on PostgreSQL and
MariaDB (through ODBC) and compared with the pandas reference reading the same server.

Run: python benchmarks/engine/bench_servers.py [--servers postgres,mariadb] [--slices total,client]
     [--timeout 60] [--db SERVER=odbc:…] [--out benchmarks/results/bench_servers.txt]

For each server a throw-away database is created, the demo (scale 1) is loaded into it with ``gen-measures demo
--db odbc:…`` and it is dropped at the end (``--db postgres=odbc:…`` reuses a loaded database instead). Then,
per (slice, measure), :func:`generator.validation.compare.validate` runs as ``gen-measures validate --measure M
--slice S`` does, under ``--timeout`` seconds of database work; the line gives the engine's time (its queries
only, not the reference's) and the outcome: ``pass``, ``FAIL`` with the first mismatch's reason, or ``TIMEOUT``.
A timed-out session is replaced by a new one. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyodbc

from generator.engine.limits import deadline
from generator.engine.run import Engine
from generator.engine.session import OdbcSession, connect_read_only, target_database
from generator.engine.sources import model_from_spec
from generator.errors import ToolError
from generator.reference import Parameters
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir
from generator.targets.frames import read_semantic_tables
from generator.validation.compare import spec_reference, validate

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;Uid=postgres"
MARIADB_SERVER = "Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;Uid=root;Pwd="
#: server -> (admin connection string, base connection string, CREATE, DROP)
SERVERS = {
    "postgres": (
        PG_SERVER + ";Database=postgres",
        PG_SERVER,
        'CREATE DATABASE "{name}"',
        'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    ),
    "mariadb": (
        MARIADB_SERVER,
        MARIADB_SERVER,
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
        "DROP DATABASE IF EXISTS `{name}`",
    ),
}


@contextmanager
def demo_database(server: str) -> Iterator[str]:
    """``odbc:`` --db of a throw-away database on ``server`` holding the demo (dropped at the end)."""
    admin_string, base, create, drop = SERVERS[server]
    name = f"msp_csat_bench_{uuid.uuid4().hex[:10]}"
    admin = pyodbc.connect(admin_string, autocommit=True, timeout=5)
    admin.cursor().execute(create.format(name=name))
    try:
        db = f"odbc:{base};Database={name}"
        done = subprocess.run(
            [sys.executable, "-m", "generator.cli", "demo", "--db", db],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"gen-measures demo failed on {server}: {done.stderr.strip()}")
        yield db
    finally:
        admin.cursor().execute(drop.format(name=name))
        admin.close()


class Sweep:
    """One server's session, tables and reference; :meth:`run` validates one measure on one slice."""

    def __init__(self, db: str, timeout: float):
        self.db, self.timeout = db, timeout
        self.model = load_model(default_spec_dir())
        self.reference = spec_reference(self.model, default_spec_dir())
        self.parameters = Parameters(
            **{p.name: p.value for p in self.model.parameters if p.name in Parameters.__dataclass_fields__}
        )
        self.connection: OdbcSession = connect_read_only(db)  # type: ignore[assignment]
        self.tables = read_semantic_tables(target_database(self.connection, db), self.model)
        self.engine_seconds = 0.0
        self.engine = self._engine()

    def _engine(self) -> Engine:
        engine = Engine(model_from_spec(self.model), self.connection)
        query = engine.query

        def timed(*args, **kwargs):  # the engine half only: the reference is computed in pandas
            started = time.perf_counter()
            try:
                return query(*args, **kwargs)
            finally:
                self.engine_seconds += time.perf_counter() - started

        engine.query = timed  # type: ignore[method-assign]
        return engine

    def run(self, measure: str, slice_name: str) -> tuple[float, str]:
        """(engine seconds, outcome) of ``validate --measure measure --slice slice_name``."""
        self.engine_seconds = 0.0
        try:
            with deadline(self.connection, self.timeout):
                result = validate(
                    self.engine, self.tables, [measure], self.parameters, [slice_name], reference=self.reference
                )
        except ToolError:
            self.connection.close()
            self.connection = connect_read_only(self.db)  # type: ignore[assignment]
            self.engine = self._engine()
            return self.engine_seconds, "TIMEOUT"
        bad = result.mismatches
        if not bad:
            return self.engine_seconds, "pass"
        first = bad[0]
        why = first.error or f"{first.key}: engine {first.engine!r} reference {first.reference!r}"
        return self.engine_seconds, f"FAIL ({len(bad)} of {len(result.checks)}): {why}"[:160]

    def close(self) -> None:
        self.connection.close()


def sweep(server: str, db: str, slices: list[str], timeout: float, out: list[str]) -> None:
    """Validate every measure on every slice on ``db``; one line each into ``out`` (printed as it goes)."""
    runner = Sweep(db, timeout)
    try:
        for slice_name in slices:
            totals = [0.0, 0, 0]
            for measure in [m.name for m in runner.model.measures]:
                seconds, outcome = runner.run(measure, slice_name)
                totals[0] += seconds
                totals[1] += outcome == "pass"
                totals[2] += 1
                line = f"{server:<9} {slice_name:<7} {measure:<40} {seconds:8.2f} s  {outcome}"
                out.append(line)
                print(line, flush=True)
            line = (
                f"{server:<9} {slice_name:<7} {'(all measures)':<40} {totals[0]:8.2f} s  "
                f"{totals[1]} of {totals[2]} pass"
            )
            out.append(line)
            print(line, flush=True)
    finally:
        runner.close()


def main() -> None:
    """Parse the arguments, run the sweep on each server, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="postgres,mariadb")
    parser.add_argument("--slices", default="total,client")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds of database work per measure x slice")
    parser.add_argument(
        "--db",
        action="append",
        default=[],
        metavar="SERVER=odbc:…",
        help="reuse a database holding the demo on that server",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_servers.txt")
    args = parser.parse_args()
    given = dict(item.split("=", 1) for item in args.db)
    slices = args.slices.split(",")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    out = [
        f"bench_servers: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"{platform.node()}, demo scale 1, --timeout {args.timeout:g} s per measure x slice",
        "columns: server, slice, measure, engine seconds (the engine's queries only), outcome",
        "",
    ]
    for server in args.servers.split(","):
        if server in given:
            sweep(server, given[server], slices, args.timeout, out)
            continue
        with demo_database(server) as db:
            sweep(server, db, slices, args.timeout, out)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
