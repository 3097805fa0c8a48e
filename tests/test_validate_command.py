"""``gen-measures validate``: the generated DAX, evaluated by the engine, against the pandas reference."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from generator.engine.run import Engine
from generator.engine.sources import load_engine_model
from generator.measures.spec import read_measure_specs

#: the shipped measures (derived from measures/*.yaml, so a new measure needs no edit here)
MEASURE_COUNT = len(read_measure_specs(Path(__file__).resolve().parents[1]).measures)
#: rows per measure on the demo's standard slices (total 1, client 17, month 24, technician 9, queue 6,
#: client × month 408, week 105); the two measures defined by calendar months are not compared by week
ROWS_PER_MEASURE, WEEKS, MONTHLY_ONLY = 570, 105, 2


def test_validate_is_green_on_the_demo(cli, demo_db: str) -> None:
    result = cli("validate", "--db", demo_db)
    assert result.code == 0, result.out + result.err
    assert f"{MEASURE_COUNT} measures x 7 slices" in result.out
    checks = ROWS_PER_MEASURE * MEASURE_COUNT - MONTHLY_ONLY * WEEKS
    assert f"{checks:,} checks" in result.out and ": 0 mismatches" in result.out
    for slice_name in ("total", "client", "month", "technician", "queue", "client_month", "week"):
        assert f"validating slice {slice_name}" in result.err


def test_validate_json(cli, demo_db: str) -> None:
    result = cli("validate", "--db", demo_db, "--json", "--slice", "total", "--slice", "queue")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["passed"] is True and report["mismatches"] == []
    assert report["slices"] == ["total", "queue"] and len(report["measures"]) == MEASURE_COUNT
    assert report["checks"] == MEASURE_COUNT * (1 + 6)  # 6 queues in the demo
    assert report["tolerance"] == 1e-9


def test_validate_covers_the_ticket_attribute_slices(cli, demo_db: str) -> None:
    """Asked for, the slices by the reviewed ticket's issue type, priority, source and resolution traits run."""
    result = cli("validate", "--db", demo_db, "--json", "--slice", "issue_type", "--slice", "priority",
                 "--slice", "source", "--slice", "resolution")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["passed"] is True and report["mismatches"] == []
    # the demo's issue types, priorities and sources; every resolution row
    assert report["checks"] == len(report["measures"]) * (6 + 4 + 4 + 18)


def test_a_wrong_measure_is_caught(cli, demo_db: str, spec_copy: Path) -> None:
    """Happy counts rating 4 instead of 5: the engine evaluates the wrong DAX, the reference does not agree."""
    csat = spec_copy / "measures" / "01-csat.yaml"
    text = csat.read_text(encoding="utf-8")
    assert "{bucket: Positive, share: Happy, rating: 5}" in text
    csat.write_text(text.replace("{bucket: Positive, share: Happy, rating: 5}",
                                 "{bucket: Positive, share: Happy, rating: 4}"), encoding="utf-8")
    result = cli("validate", "--db", demo_db, "--specs", str(spec_copy), "--slice", "total", "--slice", "client")
    assert result.code == 1, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["measure", "slice", "row", "engine", "reference", "note"]
    happy = [line for line in lines if line.startswith("CSAT - Happy %  ")]
    assert any(" total " in line and "0.899801587302" in line for line in happy)
    assert "mismatches" in lines[-1] and not lines[-1].endswith(": 0 mismatches")

    as_json = json.loads(cli("validate", "--db", demo_db, "--specs", str(spec_copy), "--slice", "total",
                             "--json").out)
    wrong = {m["measure"] for m in as_json["mismatches"]}
    assert {"CSAT - Positive", "CSAT - Happy %", "CSAT - Net Sentiment"} <= wrong
    assert "SB - Survey Responses" not in wrong and as_json["passed"] is False


#: the columns a DAX Query View test runner reads (Invoke-DQVTesting: [TestName] and [Passed] are mandatory)
DQV_COLUMNS = ("[TestName]", "[ExpectedValue]", "[ActualValue]", "[Passed]")


def run_dqv_file(engine: Engine, path: Path) -> list[dict]:
    """Run one emitted test file as the runner does: the whole file as one query, one result table with the
    runner's columns, at least one row, and Passed TRUE or FALSE on every row."""
    text = path.read_text(encoding="utf-8")
    assert text.count("EVALUATE") == 1, path.name
    results = engine.query(text)
    assert len(results) == 1 and results[0].columns == DQV_COLUMNS, path.name
    rows = results[0].records()
    assert rows and all(isinstance(row["[Passed]"], bool) for row in rows), path.name
    return rows


def test_emitted_dax_query_view_tests_pass_on_the_engine(cli, demo_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "DAXQueries"
    result = cli("validate", "--db", demo_db, "--slice", "total", "--slice", "queue", "--emit-dqv", str(folder))
    assert result.code == 0, result.err
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{name}{kind}.Tests.dax" for name in ("queue", "total") for kind in ("", "_flags", "_text")]
    engine = Engine(load_engine_model(None), duckdb.connect(demo_db, read_only=True))
    rows = [row for name in files if name.startswith("total") for row in run_dqv_file(engine, folder / name)]
    assert len(rows) == MEASURE_COUNT and all(row["[Passed]"] is True for row in rows)
    names = {row["[TestName]"] for row in rows}
    assert "CSAT - Happy % | total" in names and "CSAT - Risk Tier | total" in names
    risk = run_dqv_file(engine, folder / "total_text.Tests.dax")
    assert all(isinstance(row["[ExpectedValue]"], str) for row in risk)
    queue = "".join((folder / name).read_text(encoding="utf-8") for name in files if name.startswith("queue"))
    assert "BI_Autotask_Queues[queue_id] = " in queue and queue.count('ROW ( "TestName"') == MEASURE_COUNT * 6


def test_validate_bad_input(cli, demo_db: str, tmp_path: Path) -> None:
    unknown_slice = cli("validate", "--db", demo_db, "--slice", "weekly")
    assert unknown_slice.code == 2 and "unknown slice 'weekly'" in unknown_slice.err
    unknown_measure = cli("validate", "--db", demo_db, "--measure", "CSAT - Nope")
    assert unknown_measure.code == 2 and "unknown measure 'CSAT - Nope'" in unknown_measure.err
    missing = cli("validate", "--db", str(tmp_path / "missing.duckdb"))
    assert missing.code == 2 and "no such DuckDB file" in missing.err
    assert not (tmp_path / "missing.duckdb").exists()
