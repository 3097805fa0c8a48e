"""``validation: slices`` in ``model/*.yaml``: the slices a plain ``gen-measures validate`` checks."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from test_validate_command import run_dqv_file

from generator.engine.run import Engine
from generator.engine.sources import load_engine_model
from generator.reference import SLICES
from generator.spec.loader import load_model

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_specs_list_the_standard_slices() -> None:
    assert load_model(ROOT).slices == SLICES


def test_a_users_slice_in_the_specs_is_validated(cli, demo_db: str, spec_copy: Path, tmp_path: Path) -> None:
    """The specs' list replaces the standard one: the grand total, then the user's own columns."""
    listed = spec_copy / "model" / "validation.yaml"
    text = listed.read_text(encoding="utf-8")
    listed.write_text(text[:text.index("    - client\n")] + "    - BI_Autotask_Companies[company_type]\n"
                      "    - BI_Autotask_Companies[company_type],BI_Date[year]\n", encoding="utf-8")
    folder = tmp_path / "DAXQueries"
    result = cli("validate", "--db", demo_db, "--specs", str(spec_copy), "--measure", "CSAT - Happy %",
                 "--measure", "Tickets - Closed", "--json", "--emit-dqv", str(folder))
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert report["passed"] and report["slices"] == ["total", "BI_Autotask_Companies[company_type]",
                                                     "BI_Autotask_Companies[company_type],BI_Date[year]"]
    assert "validating slice BI_Autotask_Companies[company_type] (2 measures)" in result.err
    connection = duckdb.connect(demo_db, read_only=True)
    types = [name for (name,) in connection.execute(
        "SELECT DISTINCT company_type FROM BI_Autotask_Companies WHERE company_type IS NOT NULL").fetchall()]
    rows = run_dqv_file(Engine(load_engine_model(None, spec_copy), connection),
                        folder / "BI_Autotask_Companies_company_type.Tests.dax")
    assert len(types) > 1 and all(row["[Passed]"] is True for row in rows)
    assert sorted(row["[TestName]"] for row in rows) == sorted(
        f"{measure} | BI_Autotask_Companies[company_type] {name}" for measure in ("CSAT - Happy %", "Tickets - Closed")
        for name in types)


def test_a_bad_slice_in_the_specs_is_reported_with_file_and_line(cli, spec_copy: Path) -> None:
    listed = spec_copy / "model" / "validation.yaml"
    text = listed.read_text(encoding="utf-8")
    first = len(text.splitlines()) + 1
    listed.write_text(text + "    - weekly\n    - BI_Autotask_Companies[company_typ]\n"
                      "    - BI_Autotask_Compnies[company_type]\n    - client\n  slicez: []\n", encoding="utf-8")
    (spec_copy / "model" / "zz-mine.yaml").write_text("validation:\n  slices: []\n", encoding="utf-8")
    (spec_copy / "sql" / "zz-mine.yaml").write_text("validation:\n  slices: [total]\n", encoding="utf-8")
    result = cli("validate", "--specs", str(spec_copy), "--db", str(spec_copy / "unused.duckdb"))
    assert result.code == 2 and "Traceback" not in result.err
    where = "model/validation.yaml"
    for line, message in (
        (first, "unknown slice 'weekly'; did you mean 'week'?"),
        (first + 1, "unknown column BI_Autotask_Companies[company_typ] in slice "
                    "'BI_Autotask_Companies[company_typ]'; did you mean BI_Autotask_Companies[company_type]?"),
        (first + 2, "unknown table 'BI_Autotask_Compnies' in slice 'BI_Autotask_Compnies[company_type]'; did you "
                    "mean 'BI_Autotask_Companies'?"),
        (first + 3, f"slice 'client' is listed twice (first at {where}:"),
        (first + 4, "unknown key 'slicez' in 'validation'; did you mean 'slices'?"),
    ):
        assert f"{where}:{line}: {message}" in result.err, result.err
    assert "model/zz-mine.yaml:2: 'slices' of 'validation' must be a non-empty list" in result.err
    assert "sql/zz-mine.yaml:1: 'validation' belongs in a model/*.yaml file" in result.err
    assert not (spec_copy / "unused.duckdb").exists()
