"""The load pipeline's guarantees: one transaction (a failure anywhere leaves BI_ tables and watermarks as they
were, the next run completes), watermarks advanced only by a committed load, repeated keys, and a process killed
mid-load (SIGKILL) leaving the database consistent. Sources are a small real Extractor and the CSV fixtures."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from load_faults import command as fault_command
from load_faults import fault
from load_helpers import FIXTURES, ROOT, assert_snapshots_equal, bi_snapshot, load, load_with_fault, summary_line

from generator.errors import ToolError
from generator.load import pipeline
from generator.load.pipeline import LoadOptions, run_load
from generator.load.report import LoadProgress
from generator.sources.base import Rejected, StagePage
from generator.spec.loader import load_model
from generator.targets import open_database
from generator.targets.schema import ensure_schema


class TicketSource:
    """A small Autotask-like source: picklists, one company, tickets in pages; can fail after ``fail_after`` pages."""

    source = "autotask-api"

    def __init__(self, tickets: int = 6, page: int = 2, fail_after: int | None = None, repeat: bool = False,
                 title: str = "Printer"):
        self.tickets, self.page, self.fail_after, self.repeat, self.title = tickets, page, fail_after, repeat, title
        self.since: dict[str, datetime | None] = {}

    def entities(self) -> list[str]:
        return ["Picklists", "Companies", "Tickets"]

    def total_hint(self, entity: str) -> int | None:
        return self.tickets if entity == "Tickets" else None

    def extract(self, entity: str, since: datetime | None) -> Iterator[StagePage]:
        self.since[entity] = since
        if entity == "Picklists":
            yield StagePage("STG_Autotask_Picklists", entity, rows=[
                {"entity": "Tickets", "field": "status", "value": "5", "label": "Complete"},
                {"entity": "Tickets", "field": "status", "value": "1", "label": "New"},
                {"entity": "Tickets", "field": "queueID", "value": "7", "label": "Service Desk"}])
            return
        if entity == "Companies":
            yield StagePage("STG_Autotask_Companies", entity, rows=[
                {"id": 1, "company_name": "Acme", "is_active": True, "last_activity_date": datetime(2025, 6, 1)}],
                watermark=datetime(2025, 6, 1))
            return
        ids = list(range(100, 100 + self.tickets))
        for number, start in enumerate(range(0, len(ids), self.page)):
            if self.fail_after is not None and number >= self.fail_after:
                raise ToolError("the source went away mid-load")
            chunk = ids[start:start + self.page]
            if self.repeat and number > 0:
                chunk = [chunk[0] - 1, *chunk]  # the API repeated the last item of the previous page
            rows = [{"id": i, "ticket_number": f"T2025.{i}", "title": self.title, "company_id": 1, "queue_id": 7,
                     "status": 5 if i % 2 else 1, "create_date": datetime(2025, 6, 1, 8),
                     "completed_date": datetime(2025, 6, 2, 9) if i % 2 else None,
                     "last_activity_date": datetime(2025, 6, 2, i % 24)} for i in chunk]
            bad = [Rejected("Tickets/query page", number, "test rejection")] if number == 99 else []
            yield StagePage("STG_Autotask_Tickets", entity, rows=rows, rejected=bad,
                            watermark=max(r["last_activity_date"] for r in rows))


def _run(db: str, extractor, tmp_path: Path, full: bool = False, spec_dir: Path = ROOT):
    model = load_model(spec_dir)
    options = LoadOptions(spec_dir=spec_dir, rejects_path=tmp_path / "rejected.csv", full=full)
    with open_database(db) as database:
        ensure_schema(database, model)
        return run_load(database, model, extractor, options, LoadProgress(False), db)


def _tickets(db: str) -> list[tuple]:
    with open_database(db) as database:
        return database.execute('SELECT "ticket_id", "status", "title" FROM "BI_Autotask_Tickets" ORDER BY 1')


@pytest.fixture(params=["duckdb", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "duckdb":
        return str(tmp_path / "pipeline.duckdb")
    return request.getfixturevalue("postgres_db")


def test_source_failing_mid_load_changes_nothing_and_the_next_run_resumes(target: str, tmp_path: Path) -> None:
    first = TicketSource(tickets=4)
    _run(target, first, tmp_path)
    before = bi_snapshot(target)
    assert len(before["BI_Autotask_Tickets"]) == 4
    failing = TicketSource(tickets=8, fail_after=3, title="Changed")
    with pytest.raises(ToolError, match="the source went away"):
        _run(target, failing, tmp_path)
    assert failing.since["Tickets"] == datetime(2025, 6, 2, 7)  # resumed from the committed watermark
    assert_snapshots_equal(before, bi_snapshot(target))
    resumed = TicketSource(tickets=8, title="Changed")
    summary = _run(target, resumed, tmp_path)
    assert resumed.since["Tickets"] == datetime(2025, 6, 2, 7)
    counts = {row.name: row for row in summary.rows}
    assert (counts["BI_Autotask_Tickets"].inserted, counts["BI_Autotask_Tickets"].updated) == (4, 4)
    assert [t[2] for t in _tickets(target)] == ["Changed"] * 8
    after = bi_snapshot(target)["ETL_Watermarks"]
    assert sorted(after["entity"]) == ["Companies", "Tickets"]
    assert str(after.set_index("entity").loc["Tickets", "watermark"])[:19] == "2025-06-02 11:00:00"
    again = TicketSource(tickets=8, title="Changed")
    summary = _run(target, again, tmp_path)
    assert all((row.inserted or 0) + (row.updated or 0) + (row.deleted or 0) == 0 for row in summary.rows)
    full = TicketSource(tickets=8, title="Changed")
    _run(target, full, tmp_path, full=True)
    assert full.since["Tickets"] is None


def test_repeated_items_are_counted_once(tmp_path: Path) -> None:
    db = str(tmp_path / "repeat.duckdb")
    summary = _run(db, TicketSource(tickets=6, repeat=True), tmp_path)
    tickets = next(row for row in summary.rows if row.name == "Tickets")
    assert (tickets.read, tickets.duplicates, tickets.rejected) == (8, 2, 0)
    assert len(_tickets(db)) == 6


def test_constraint_violation_mid_merge_rolls_back(spec_copy: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "violation.duckdb")
    _run(db, TicketSource(tickets=4), tmp_path)
    before = bi_snapshot(db)
    transform = spec_copy / "sql" / "transform" / "BI_Autotask_Tickets.sql"
    text = transform.read_text()
    select = text[text.index("SELECT"):text.index("UNION ALL")]
    transform.write_text(text.replace("UNION ALL", f"UNION ALL {select} UNION ALL", 1))  # every ticket twice
    with pytest.raises(ToolError, match=r"rolled back .*unchanged"):
        _run(db, TicketSource(tickets=6, title="New"), tmp_path, spec_dir=spec_copy)
    assert_snapshots_equal(before, bi_snapshot(db))
    _run(db, TicketSource(tickets=6, title="New"), tmp_path)
    assert len(_tickets(db)) == 6


@pytest.mark.parametrize("phase", ["staged", "merged:BI_Autotask_Companies", "merged:BI_SmileBack_Reviews"])
def test_injected_failure_at_each_phase(phase: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "phase.duckdb")
    _run(db, TicketSource(tickets=4), tmp_path)
    before = bi_snapshot(db)
    monkeypatch.setattr(pipeline, "checkpoint", fault(f"fail:{phase}"))
    source = TicketSource(tickets=6, title="New")
    if phase.endswith("SmileBack_Reviews"):  # a phase this source never reaches: the load commits
        _run(db, source, tmp_path)
        assert len(_tickets(db)) == 6
        return
    with pytest.raises(ToolError, match=f"injected failure at {phase}"):
        _run(db, source, tmp_path)
    assert_snapshots_equal(before, bi_snapshot(db))


def test_injected_failure_through_the_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "inject.duckdb")
    assert load("autotask-csv", FIXTURES / "autotask", db).code == 0
    before = bi_snapshot(db)
    changed = _changed_exports(tmp_path)
    result = load_with_fault("fail:watermarks", "autotask-csv", changed, db)
    assert result.code == 2 and "injected failure at watermarks" in result.err and "Traceback" not in result.err
    assert_snapshots_equal(before, bi_snapshot(db))
    result = load("autotask-csv", changed, db)
    assert result.code == 0 and summary_line(result.out, "BI_Autotask_Tickets")[1:4] == ["0", "2", "0"]  # title; hours


def _changed_exports(tmp_path: Path) -> Path:
    changed = tmp_path / "changed"
    shutil.copytree(FIXTURES / "autotask", changed)
    tickets = changed / "tickets.csv"
    tickets.write_text(tickets.read_text().replace("VPN drops", "VPN drops again"))
    entries = changed / "time_entries.csv"
    entries.write_text(entries.read_text() + "5006,101,29682886,2025-06-03,1.00\n")
    return changed


@pytest.mark.parametrize("where", ["duckdb", "postgres"])
def test_sigkill_mid_load_leaves_the_old_rows_and_a_rerun_completes(where: str, tmp_path: Path,
                                                                     request: pytest.FixtureRequest) -> None:
    db = str(tmp_path / "kill.duckdb") if where == "duckdb" else request.getfixturevalue("postgres_db")
    assert load("autotask-csv", FIXTURES / "autotask", db).code == 0
    before = bi_snapshot(db)
    changed = _changed_exports(tmp_path)
    env = {key: value for key, value in os.environ.items() if key not in ("MSP_CSAT_DB", "MSP_CSAT_SPECS")}
    pause = "pause:merged:BI_Autotask_Tickets"  # every BI_ table merged, not yet committed
    process = subprocess.Popen(fault_command(pause, "load", "-s", "autotask-csv", "-p", str(changed), "--db", db, "-q"),
                               cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line.strip() == "paused at merged:BI_Autotask_Tickets", line
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    if where == "postgres":
        time.sleep(0.5)  # the server notices the dropped connection and rolls back
    assert_snapshots_equal(before, bi_snapshot(db))
    result = load("autotask-csv", changed, db)
    assert result.code == 0, result.err
    assert summary_line(result.out, "BI_Autotask_Tickets")[1:4] == ["0", "2", "0"]  # title; hours of 101
    assert ("VPN drops again",) in [(t[2],) for t in _tickets(db)]
