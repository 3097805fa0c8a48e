"""End to end: the demo's data served by the fake Autotask and SmileBack APIs (with faults), loaded with
``gen-measures load`` into DuckDB, PostgreSQL and MariaDB twice: the BI_ rows are what the server holds, the
second run changes nothing, and ``gen-measures validate`` passes on the loaded DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pyodbc
import pytest

from tests.conftest import run_cli
from tests.fakeapi.autotask import AutotaskServer
from tests.fakeapi.dataset import from_demo, synthetic
from tests.fakeapi.faults import Fault, FaultScript
from tests.fakeapi.smileback import SmileBackServer

SOURCES = ("autotask-api", "smileback-api")


def _faults() -> tuple[FaultScript, FaultScript]:
    autotask = (FaultScript().on("Tickets/query", 1, fault=Fault.status(503))
                .on("Tickets/query/next", 2, fault=Fault.drop()).on("TimeEntries/query/next", 3,
                                                                    fault=Fault.repeat_item()))
    smileback = (FaultScript().on("reviews", 2, fault=Fault.status(429, retry_after="0"))
                 .on("reviews", 3, fault=Fault.expire_token()).on("nps-responses", 1, fault=Fault.malformed()))
    return autotask, smileback


def _load(db: str, env: dict[str, str], rejects: Path, smileback_code: int = 0) -> list[str]:
    outputs = []
    for source in SOURCES:
        result = run_cli("load", "--source", source, "--db", db, "--quiet", "--rejects", str(rejects), env=env)
        assert result.code == (smileback_code if source == "smileback-api" else 0), \
            f"{source}: {result.out}\n{result.err}"
        outputs.append(result.out)
    return outputs


def _counts(db: str) -> dict[str, int]:
    tables = ("BI_Autotask_Companies", "BI_Autotask_Resources", "BI_Autotask_Queues", "BI_Autotask_Tickets",
              "BI_Autotask_TimeEntries", "BI_SmileBack_Reviews", "BI_SmileBack_NPS")
    if db.startswith("odbc:"):
        connection = pyodbc.connect(db[len("odbc:"):], timeout=5)
        try:
            quote = '"' if "PostgreSQL" in db else "`"
            return {t: connection.cursor().execute(f"SELECT COUNT(*) FROM {quote}{t}{quote}").fetchone()[0]
                    for t in tables}
        finally:
            connection.close()
    import duckdb

    with duckdb.connect(db, read_only=True) as connection:
        return {t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def _rows(db: str, table: str, columns: tuple[str, ...]) -> set[tuple]:
    """The set of ``columns`` tuples of ``table`` in the target."""
    if db.startswith("odbc:"):
        quote = '"' if "PostgreSQL" in db else "`"
        select = f"SELECT {', '.join(quote + c + quote for c in columns)} FROM {quote}{table}{quote}"
        connection = pyodbc.connect(db[len("odbc:"):], timeout=5)
        try:
            return {tuple(row) for row in connection.cursor().execute(select).fetchall()}
        finally:
            connection.close()
    import duckdb

    with duckdb.connect(db, read_only=True) as connection:
        return {tuple(row) for row in connection.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()}


def _environment(at: AutotaskServer, sb: SmileBackServer, tmp_path: Path) -> dict[str, str]:
    return {**at.env(), **sb.env(), "SMILEBACK_REQUESTS_PER_MINUTE": "0", "XDG_CONFIG_HOME": str(tmp_path),
            "MSP_CSAT_CREDENTIALS": ""}


def test_demo_through_the_apis_into_duckdb_twice_validates(demo_db: str, tmp_path: Path):
    data = from_demo(demo_db)
    target = str(tmp_path / "loaded.duckdb")
    at_faults, sb_faults = _faults()
    with AutotaskServer(data, faults=at_faults) as at, SmileBackServer(data, faults=sb_faults) as sb:
        env = _environment(at, sb, tmp_path)
        _load(target, env, tmp_path / "rejected.csv")
        first = _counts(target)
        second_out = _load(target, env, tmp_path / "rejected.csv")
    assert first == {"BI_Autotask_Companies": len(data.companies), "BI_Autotask_Resources": len(data.resources),
                     "BI_Autotask_Queues": len(data.picklists["Tickets"]["queueID"]),
                     "BI_Autotask_Tickets": len(data.tickets), "BI_Autotask_TimeEntries": len(data.time_entries),
                     "BI_SmileBack_Reviews": len(data.reviews), "BI_SmileBack_NPS": len(data.nps)}
    assert _counts(target) == first
    assert at.requests_to("Tickets/query")[0].fault == "status" and sb.requests_to("reviews")[2].fault == \
        "expire_token"
    # The loaded rows are the demo's rows (the columns the APIs carry).
    for table, columns in (("BI_SmileBack_Reviews", ("review_id", "rating", "company_id", "ticket_id", "contact_id",
                                                     "contact_name", "contact_email", "review_status")),
                           ("BI_Autotask_Tickets", ("ticket_id", "ticket_number", "company_id", "status",
                                                    "completed_date", "assigned_resource_id")),
                           ("BI_Autotask_TimeEntries", ("time_entry_id", "ticket_id", "hours_worked")),
                           ("BI_Autotask_Companies", ("company_id", "company_name"))):
        assert _rows(target, table, columns) == _rows(demo_db, table, columns), table
    validated = run_cli("validate", "--db", target)
    assert validated.code == 0, validated.out + validated.err
    assert "0 mismatches" in validated.out
    assert second_out  # the second run succeeded (code 0 asserted in _load)


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_api_load_into_odbc_targets_twice_gives_the_servers_rows(server: str, request, tmp_path: Path):
    db = request.getfixturevalue(f"{server}_db")
    data = synthetic(seed=4, size=600)
    tickets = {str(t["id"]) for t in data.tickets} | {t["ticketNumber"] for t in data.tickets}
    csat = [r for r in data.reviews if r["rating"] is not None and r["status"] != "deleted" and
            r["ticket"]["id"] in tickets]
    orphans = [r for r in data.reviews if r["ticket"]["id"] not in tickets]
    assert csat and orphans
    with AutotaskServer(data) as at, SmileBackServer(data) as sb:
        env = _environment(at, sb, tmp_path)
        _load(db, env, tmp_path / "rejected.csv", smileback_code=1)  # reviews matching no ticket: reported
        first = _counts(db)
        rejected = (tmp_path / "rejected.csv").read_text()
        _load(db, env, tmp_path / "again.csv")  # incremental: nothing new, so nothing rejected either
        assert _counts(db) == first
    assert all(str(r["id"]) in rejected for r in orphans)
    assert first["BI_Autotask_Tickets"] == len(data.tickets)
    assert first["BI_Autotask_TimeEntries"] == len(data.time_entries)
    assert first["BI_Autotask_Companies"] == len(data.companies)
    assert first["BI_SmileBack_NPS"] == len(data.nps)
    assert first["BI_SmileBack_Reviews"] == len(csat)
    # Not only the counts: the very rows the servers hold (keys, numbers, ratings mapped 1/0/-1 -> 5/3/1).
    assert _rows(db, "BI_Autotask_Tickets", ("ticket_id", "ticket_number", "company_id")) == {
        (t["id"], t["ticketNumber"], t["companyID"]) for t in data.tickets}
    assert _rows(db, "BI_Autotask_Companies", ("company_id", "company_name")) == {
        (c["id"], c["companyName"]) for c in data.companies}
    assert _rows(db, "BI_SmileBack_Reviews", ("review_id", "rating")) == {
        (r["id"], {1: 5, 0: 3, -1: 1}[r["rating"]]) for r in csat}
    assert _rows(db, "BI_SmileBack_NPS", ("nps_response_id", "score")) == {(n["id"], n["score"]) for n in data.nps}
