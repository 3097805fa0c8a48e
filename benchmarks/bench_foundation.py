"""Foundation benchmark: demo build and load per target, and the pandas reference against DuckDB SQL.

Run: python benchmarks/bench_foundation.py [--scale N] [--postgres ODBC] [--mariadb ODBC]

The ODBC targets must be empty databases (or hold this tool's schema); the defaults are the local test
servers' `test` databases, whose tables this script drops again at the end.

All timings are taken in one run on one machine and reported as ratios, so the numbers compare paths,
not machines. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from generator.demo.build import build_demo
from generator.demo.load import write_tables
from generator.reference import evaluate
from generator.spec.loader import load_model
from generator.sqlschema.ddl import drop_table
from generator.targets import open_database
from generator.targets.frames import read_semantic_tables
from generator.targets.schema import ensure_schema

ROOT = Path(__file__).resolve().parent.parent
HAND_WRITTEN_SQL = """
SELECT company_id,
       AVG(CASE WHEN rating = 5 THEN 1.0 ELSE 0.0 END) AS happy,
       AVG(CASE WHEN rating = 1 THEN 1.0 ELSE 0.0 END) AS unhappy,
       AVG(rating) AS average
FROM "BI_SmileBack_Reviews" GROUP BY company_id
"""


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--odbc-scale", type=int, default=1, help="scale for the ODBC targets (row-at-a-time)")
    parser.add_argument("--postgres", default="odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;"
                                              "Database=test;Uid=postgres")
    parser.add_argument("--mariadb", default="odbc:Driver={MariaDB Unicode};Server=127.0.0.1;Port=3306;"
                                             "Database=test;Uid=root;Pwd=")
    args = parser.parse_args()
    model = load_model(ROOT)

    frames, build_s = timed(lambda: build_demo(scale=args.scale))
    rows = sum(len(f) for f in frames.values())
    print(f"scale {args.scale}: {rows:,} rows built in {build_s:.2f} s ({rows / build_s:,.0f} rows/s)")

    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.duckdb")
        with open_database(path) as db:
            ensure_schema(db, model)
            _, duck_s = timed(lambda: write_tables(db, model, frames, "bench"))
            tables, read_s = timed(lambda: read_semantic_tables(db, model))
        print(f"DuckDB write {duck_s:.2f} s ({rows / duck_s:,.0f} rows/s), read back {read_s:.2f} s")

        _, ref_s = timed(lambda: [evaluate(m, tables, "client") for m in
                                  ("CSAT - Happy %", "CSAT - Unhappy %", "CSAT - Average Rating")])
        connection = duckdb.connect(path, read_only=True)
        _, sql_s = timed(lambda: connection.execute(HAND_WRITTEN_SQL).fetchall())
        connection.close()
        print(f"3 CSAT measures by client: pandas reference {ref_s * 1000:.1f} ms, hand-written DuckDB SQL "
              f"{sql_s * 1000:.1f} ms, ratio reference/SQL {ref_s / sql_s:.1f}x")

    small = build_demo(scale=args.odbc_scale)
    small_rows = sum(len(f) for f in small.values())
    with tempfile.TemporaryDirectory() as folder, open_database(str(Path(folder) / "s.duckdb")) as db:
        ensure_schema(db, model)
        _, base_s = timed(lambda: write_tables(db, model, small, "bench"))
    print(f"scale {args.odbc_scale} ({small_rows:,} rows): DuckDB write {base_s:.2f} s")
    for label, target in (("PostgreSQL", args.postgres), ("MariaDB", args.mariadb)):
        with open_database(target) as db:
            ensure_schema(db, model)
            _, odbc_s = timed(lambda db=db: write_tables(db, model, small, "bench"))
            for table in reversed(model.tables):
                db.execute(db.render(drop_table(table.name)))
            db.commit()
        print(f"  {label} via ODBC write {odbc_s:.2f} s ({small_rows / odbc_s:,.0f} rows/s), "
              f"ratio to DuckDB {odbc_s / base_s:.1f}x")


if __name__ == "__main__":
    main()
