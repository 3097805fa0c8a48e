"""Shared by the tests/test_load_*.py files: CSV exports written from the demo and comparing BI_ tables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
from conftest import Result, run_cli
from load_faults import command

from generator.load.plan import PLANS
from generator.spec.loader import load_model
from generator.targets import open_database
from generator.targets.frames import coerce_frame, read_semantic_tables

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "csv"


def load(source: str, path: Path, db: str, *extra: str, env: dict[str, str] | None = None):
    """``gen-measures load`` in a child process (no progress bars)."""
    return run_cli("load", "--source", source, "--path", str(path), "--db", db, "--quiet", *extra, env=env)


def load_with_fault(fault: str, source: str, path: Path, db: str, *extra: str) -> Result:
    """``load`` as above, with a fault (``fail:<phase>``/``pause:<phase>``, see load_faults.py) in the pipeline."""
    env = {key: value for key, value in os.environ.items() if key not in ("MSP_CSAT_DB", "MSP_CSAT_SPECS")}
    proc = subprocess.run(command(fault, "load", "--source", source, "--path", str(path), "--db", db, "--quiet",
                                  *extra), capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def summary_line(out: str, name: str) -> list[str]:
    """The cells of one row of the load summary."""
    line = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
    return line.split()


def loaded_tables() -> list[str]:
    """The BI_ tables a load fills."""
    model = load_model(ROOT)
    return sorted({name for plan in PLANS.values() for name in plan.merges} | {model.date_table.name})


def assert_same_as_demo(db: str, demo: dict[str, pd.DataFrame]) -> None:
    """Every BI_ table a load fills holds exactly the demo's rows (survey ids apart: a load uses the review id)."""
    model = load_model(ROOT)
    with open_database(db) as database:
        loaded = read_semantic_tables(database, model)
    names = loaded_tables()
    assert len(names) == 14  # 9 facts and dimensions + the 5 shared ticket-attribute dimensions
    for table in (model.table(name) for name in names):
        key = table.key[0]
        expected = coerce_frame(table, demo[table.name][table.column_names]).sort_values(key).reset_index(drop=True)
        got = loaded[table.name].sort_values(key).reset_index(drop=True)
        if table.name == "BI_SmileBack_Surveys":
            assert (got["survey_id"] == got["review_id"]).all()
            expected, got = expected.drop(columns="survey_id"), got.drop(columns="survey_id")
        pd.testing.assert_frame_equal(expected, got, check_dtype=False, obj=table.name)


def bi_snapshot(db: str) -> dict[str, pd.DataFrame]:
    """Every BI_ table a load fills plus ETL_Watermarks, read through the targets layer."""
    model = load_model(ROOT)
    with open_database(db) as database:
        result = {name: database.read_table(name, model.table(name).column_names) for name in loaded_tables()}
        result["ETL_Watermarks"] = database.read_table("ETL_Watermarks", ["source", "entity", "watermark"])
    return result


def assert_snapshots_equal(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    """Two snapshots hold the same rows."""
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name].reset_index(drop=True), after[name].reset_index(drop=True),
                                      obj=name)
