"""Quick side-by-side of the five query shapes of bench_engine.py: engine (compile, with the compiled-plan cache
off, + run) against the hand-written DuckDB SQL, best of N, on demo databases already built.

Run from the root of the code tree to measure (an A/B of two trees: run it from each, one after the other):
    PYTHONPATH=. python benchmarks/engine/ab_shapes.py 5 DB [DB …]
Rows are checked equal before the times count. Nothing here runs in the test suite.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import duckdb

from generator.engine.run import Engine
from generator.engine.sources import model_from_spec
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir

_SPEC = importlib.util.spec_from_file_location("bench_engine", Path(__file__).with_name("bench_engine.py"))
assert _SPEC is not None and _SPEC.loader is not None
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench_engine"] = bench
_SPEC.loader.exec_module(bench)


def main() -> None:
    reps, databases = int(sys.argv[1]), sys.argv[2:]
    model = model_from_spec(load_model(default_spec_dir()))
    for db in databases:
        connection = duckdb.connect(db, read_only=True)
        for shape in bench.SHAPES:
            engine = Engine(model, connection)
            engine.query(shape.dax)  # the blank-row answers and measure parses, as in a session
            best_engine = best_sql = float("inf")
            rows, sql_rows = (), []
            for _ in range(reps):
                if hasattr(engine, "plans"):
                    from generator.engine.plancache import PlanCache

                    engine.plans = PlanCache(capacity=0)
                started = time.perf_counter()
                rows = engine.run(engine.compile(shape.dax))[0].rows
                middle = time.perf_counter()
                sql_rows = connection.execute(shape.sql).fetchall()
                ended = time.perf_counter()
                best_engine, best_sql = min(best_engine, middle - started), min(best_sql, ended - middle)
            bench.check_same(shape, "engine", bench.canonical(rows), "SQL", bench.canonical(sql_rows))
            print(f"{Path(db).stem:<34} {shape.name:<18} engine {best_engine * 1000:8.1f} ms  "
                  f"SQL {best_sql * 1000:7.1f} ms  engine/SQL {best_engine / best_sql:6.2f}", flush=True)
        connection.close()


if __name__ == "__main__":
    main()
