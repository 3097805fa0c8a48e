"""Benchmark gen-measures load: CSV exports of N reviews + N tickets into DuckDB and PostgreSQL (ODBC).

    python3 benchmarks/load/bench_load.py [--rows 1000000 --rows 250000] [--no-postgres] [--out FILE]

For each size it writes the exports (the demo dataset's rows repeated with new ids: tickets.csv and
reviews.csv with N rows each, plus the demo's companies, resources and picklists), then measures
* DuckDB: `gen-measures load` of both exports into a new file ÷ DuckDB's own read_csv of the same two files
  into tables (CREATE TABLE AS SELECT * FROM read_csv(...)); goal ≤ 2;
* PostgreSQL via ODBC: the same loads into a new database ÷ `psql \\copy` of the same two files into tables of
  text columns; goal ≤ 4;
* peak RSS of the load process (getrusage of the child), at each size: goal < 1 GiB whatever the size.
Each load runs in a child process exactly as a user runs it (--quiet). Results go to benchmarks/results.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyodbc

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the product; tests/demo_csv.py (shared with the tests)

from demo_csv import write_autotask_exports, write_smileback_exports  # noqa: E402

from generator.demo.build import build_demo  # noqa: E402

PG_SERVER = "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;Uid=postgres"


def scaled_tables(rows: int) -> dict[str, pd.DataFrame]:
    """The demo's BI_ frames with tickets and reviews repeated (new ids) to ``rows`` each."""
    tables = build_demo()
    tickets, reviews = tables["BI_Autotask_Tickets"], tables["BI_SmileBack_Reviews"]
    t_copies = -(-rows // len(tickets))
    big_tickets = pd.concat([tickets] * t_copies, ignore_index=True).iloc[:rows].copy()
    copy_no = np.repeat(np.arange(t_copies), len(tickets))[:rows]
    big_tickets["ticket_id"] = big_tickets["ticket_id"] + copy_no * 10_000_000
    big_tickets["ticket_number"] = big_tickets["ticket_number"] + "-" + pd.Series(copy_no).astype(str)
    r_copies = -(-rows // len(reviews))
    big_reviews = pd.concat([reviews] * r_copies, ignore_index=True).iloc[:rows].copy()
    r_no = np.repeat(np.arange(r_copies), len(reviews))[:rows] % t_copies
    review_copy = np.repeat(np.arange(r_copies), len(reviews))[:rows]
    big_reviews["review_id"] = big_reviews["review_id"] + review_copy * 10_000_000
    big_reviews["ticket_id"] = big_reviews["ticket_id"] + r_no * 10_000_000
    big_reviews["ticket_number"] = big_reviews["ticket_number"] + "-" + pd.Series(r_no).astype(str).to_numpy()
    tables["BI_Autotask_Tickets"], tables["BI_SmileBack_Reviews"] = big_tickets, big_reviews
    tables["BI_Autotask_TimeEntries"] = tables["BI_Autotask_TimeEntries"].iloc[:0]
    tables["BI_SmileBack_NPS"] = tables["BI_SmileBack_NPS"].iloc[:0]
    return tables


def write_exports(rows: int, folder: Path) -> tuple[Path, Path]:
    tables = scaled_tables(rows)
    write_autotask_exports(tables, folder / "autotask")
    write_smileback_exports(tables, folder / "smileback")
    for empty in (folder / "autotask" / "time_entries.csv", folder / "smileback" / "nps.csv"):
        empty.unlink()
    return folder / "autotask", folder / "smileback"


_MEASURE = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(result.stderr + result.stdout)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(result.returncode)
"""


def run_load(source: str, path: Path, db: str) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one `gen-measures load` child process (measured by its own parent)."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "generator.cli", "load", "-s", source, "-p", str(path), "--db", db, "-q"]
    result = subprocess.run([sys.executable, "-c", _MEASURE, *command], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"load failed: {result.stderr}")
    return seconds, int(result.stdout.strip().splitlines()[-1]) / 1024


def duckdb_baseline(autotask: Path, smileback: Path, folder: Path) -> float:
    db = folder / "baseline.duckdb"
    started = time.perf_counter()
    with duckdb.connect(str(db)) as connection:
        connection.execute(f"CREATE TABLE tickets AS SELECT * FROM read_csv('{autotask / 'tickets.csv'}')")
        connection.execute(f"CREATE TABLE reviews AS SELECT * FROM read_csv('{smileback / 'reviews.csv'}')")
    return time.perf_counter() - started


def pg_database() -> tuple[str, str]:
    name = f"bench_load_{uuid.uuid4().hex[:8]}"
    admin = pyodbc.connect(PG_SERVER + ";Database=postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return name, f"odbc:{PG_SERVER};Database={name}"


def drop_pg(name: str) -> None:
    admin = pyodbc.connect(PG_SERVER + ";Database=postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def psql_copy_baseline(autotask: Path, smileback: Path) -> float:
    name, _ = pg_database()
    try:
        script = []
        for table, path in (("tickets", autotask / "tickets.csv"), ("reviews", smileback / "reviews.csv")):
            with path.open() as handle:
                header = next(csv.reader(handle))
            columns = ", ".join(f'"{h}" text' for h in header)
            script.append(f'CREATE TABLE {table} ({columns});')
            script.append(f"\\copy {table} FROM '{path}' WITH (FORMAT csv, HEADER true)")
        started = time.perf_counter()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-q", "-v", "ON_ERROR_STOP=1",
                        "-c", script[0], "-c", script[1], "-c", script[2], "-c", script[3]], check=True)
        return time.perf_counter() - started
    finally:
        drop_pg(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="reviews = tickets per run (repeatable)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-max-rows", type=int, default=250_000,
                        help="PostgreSQL only up to this size (ODBC inserts are slow on this machine)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_load.txt")
    args = parser.parse_args()
    sizes = sorted(args.rows or [250_000, 1_000_000])
    cores = len(os.sched_getaffinity(0))
    lines = [f"gen-measures load benchmark ({time.strftime('%Y-%m-%d')}, {sys.platform}, {cores} cores, "
             f"duckdb {duckdb.__version__}, pandas {pd.__version__})",
             "rows = reviews = tickets in the CSV exports; times in seconds (wall clock, child process); RSS = peak "
             "resident memory of the load process", ""]
    header = f"{'target':<22}{'rows':>10}{'load s':>9}{'baseline s':>12}{'ratio':>8}{'goal':>7}{'peak RSS MiB':>14}"
    lines.append(header)
    for rows in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"bench_load_{rows}_"))
        try:
            autotask, smileback = write_exports(rows, folder)
            db = str(folder / "load.duckdb")
            t1, rss1 = run_load("autotask-csv", autotask, db)
            t2, rss2 = run_load("smileback-csv", smileback, db)
            base = duckdb_baseline(autotask, smileback, folder)
            ratio = (t1 + t2) / base
            lines.append(f"{'DuckDB':<22}{rows:>10,}{t1 + t2:>9.1f}{base:>12.1f}{ratio:>8.1f}{'<= 2':>7}"
                         f"{max(rss1, rss2):>14.0f}")
            print(lines[-1], flush=True)
            if not args.no_postgres and rows <= args.postgres_max_rows:
                name, pg = pg_database()
                try:
                    p1, prss1 = run_load("autotask-csv", autotask, pg)
                    p2, prss2 = run_load("smileback-csv", smileback, pg)
                finally:
                    drop_pg(name)
                base = psql_copy_baseline(autotask, smileback)
                lines.append(f"{'PostgreSQL (ODBC)':<22}{rows:>10,}{p1 + p2:>9.1f}{base:>12.1f}"
                             f"{(p1 + p2) / base:>8.1f}{'<= 4':>7}{max(prss1, prss2):>14.0f}")
                print(lines[-1], flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
