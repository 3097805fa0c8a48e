"""gen-measures load into PostgreSQL and MariaDB (real servers, through their ODBC drivers), and the T-SQL
the loader would run on SQL Server checked with sqlglot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlglot
from load_helpers import (
    FIXTURES,
    ROOT,
    assert_same_as_demo,
    assert_snapshots_equal,
    bi_snapshot,
    load,
    summary_line,
)

from generator.load.dates import merge_dates
from generator.load.merge import Merger
from generator.load.plan import PLANS
from generator.load.watermarks import write_watermarks
from generator.spec.loader import load_model
from generator.targets.database import Database
from generator.targets.frames import coerce_frame

SERVERS = ["postgres_db", "mariadb_db"]


@pytest.fixture(scope="module")
def duckdb_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The fixtures loaded into DuckDB: what every server must hold after the same loads."""
    db = str(tmp_path_factory.mktemp("reference") / "reference.duckdb")
    for source, folder in (("autotask-csv", "autotask"), ("smileback-csv", "smileback")):
        assert load(source, FIXTURES / folder, db).code == 0
    return bi_snapshot(db)


def _typed(snapshot: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    model = load_model(ROOT)
    return {name: coerce_frame(model.table(name), frame) if name != "ETL_Watermarks" else
            frame.assign(watermark=pd.to_datetime(frame["watermark"]).astype("datetime64[us]"))
            for name, frame in snapshot.items()}


@pytest.mark.parametrize("server", SERVERS)
def test_fixtures_into_server_twice(server: str, request: pytest.FixtureRequest, duckdb_reference) -> None:
    db = request.getfixturevalue(server)
    for source, folder in (("autotask-csv", "autotask"), ("smileback-csv", "smileback")):
        first = load(source, FIXTURES / folder, db)
        assert first.code == 0, first.err + first.out
    loaded = bi_snapshot(db)
    assert_snapshots_equal(_typed(duckdb_reference), _typed(loaded))
    for source, folder, tables in (("autotask-csv", "autotask", PLANS["autotask"].merges),
                                   ("smileback-csv", "smileback", PLANS["smileback"].merges)):
        again = load(source, FIXTURES / folder, db)
        assert again.code == 0, again.err
        for table in (*tables, "BI_Date"):
            assert summary_line(again.out, table)[1:5] == ["0", "0", "0", "0"], again.out
    assert_snapshots_equal(loaded, bi_snapshot(db))


def test_demo_exports_into_postgres(postgres_db: str, demo_exports) -> None:
    autotask, smileback, demo = demo_exports
    for source, path in (("autotask-csv", autotask), ("smileback-csv", smileback)):
        result = load(source, path, postgres_db)
        assert result.code == 0, result.err + result.out
    assert_same_as_demo(postgres_db, demo)


@pytest.mark.parametrize("server", SERVERS)
def test_rejections_and_strict_on_server(server: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = request.getfixturevalue(server)
    assert load("autotask-csv", FIXTURES / "autotask", db).code == 0
    before = bi_snapshot(db)
    strict = load("smileback-csv", FIXTURES / "bad", db, "--strict", "--rejects", str(tmp_path / "r.csv"))
    assert strict.code == 2 and "nothing written" in strict.err
    assert_snapshots_equal(before, bi_snapshot(db))
    result = load("smileback-csv", FIXTURES / "bad", db, "--rejects", str(tmp_path / "r.csv"))
    assert result.code == 1 and "4 rows rejected" in result.out
    assert summary_line(result.out, "BI_SmileBack_Reviews")[1:5] == ["2", "0", "0", "1"]


class _RecordingTsql(Database):
    """Stands in for SQL Server (none runs here): keeps every statement the loader sends, answers counts with 1."""

    dialect = "tsql"
    description = "recorded T-SQL"

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        self.statements.append(sql)
        head = sql.lstrip().upper()
        if head.startswith("SELECT") and "GROUP BY" in head:
            return [("I", 1), ("U", 1), ("R", 0)]
        if head.startswith("SELECT MIN("):
            return [(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))]
        if head.startswith(("SELECT COUNT(", "SELECT COUNT_BIG(")):
            return [(1,)]
        return []

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        return len(frame)

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...

    def existing_tables(self) -> set[str]:
        return set()


def test_generated_tsql_parses() -> None:
    model = load_model(ROOT)
    db = _RecordingTsql()
    merger = Merger(db, ROOT)
    for plan in PLANS.values():
        for table in plan.merges:
            merger.merge(model.table(table))
        for note in plan.notes:
            merger.count(note.sql)
    merge_dates(merger, model)
    write_watermarks(merger, "autotask-api", {"Tickets": pd.Timestamp("2026-01-02 03:04:05").to_pydatetime()}, {})
    assert len(db.statements) > 40
    for statement in db.statements:
        tree = sqlglot.parse_one(statement, read="tsql")  # raises on anything T-SQL cannot hold
        assert tree is not None
        for word in ("DATE_TRUNC", "(1 = 1)", "(1 = 0)", " TRUE", " FALSE", " LIMIT ", "||"):
            assert word not in statement.upper(), (word, statement)
    assert any("DATEFROMPARTS" in s for s in db.statements)
    assert any(s.startswith("INSERT INTO [WRK_BI_Autotask_Tickets]") for s in db.statements)
