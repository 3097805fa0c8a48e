"""Targets: --db parsing, schema creation on DuckDB / PostgreSQL / MariaDB, version checks, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import TargetError
from generator.spec.loader import load_model
from generator.sqlschema.ddl import SCHEMA_INFO_TABLE, SCHEMA_VERSION
from generator.targets import open_database
from generator.targets.schema import ensure_schema, read_schema_info
from tests.conftest import ROOT

MODEL = load_model(ROOT)
ALL_TABLES = {table.name for table in MODEL.tables}


def _columns(db, table: str) -> list[str]:
    cursor_sql = {"duckdb": "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                            "ORDER BY ordinal_position",
                  "postgres": "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                              "AND table_schema = current_schema() ORDER BY ordinal_position",
                  "mysql": "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                           "AND table_schema = DATABASE() ORDER BY ordinal_position"}[db.dialect]
    return [row[0] for row in db.execute(cursor_sql, [table])]


def test_schema_is_created_the_same_on_every_target(any_db: str) -> None:
    with open_database(any_db) as db:
        state = ensure_schema(db, MODEL)
        assert state.created
    with open_database(any_db) as db:  # a new connection sees the committed schema
        assert db.existing_tables() >= ALL_TABLES
        for table in MODEL.tables:
            assert _columns(db, table.name) == table.column_names, table.name
        assert read_schema_info(db)[0] == SCHEMA_VERSION
        again = ensure_schema(db, MODEL)  # idempotent: verifies, creates nothing
        assert not again.created


def test_failed_creation_leaves_nothing_behind(any_db: str) -> None:
    """The last table's name is taken by a view, so its CREATE fails after every other table was created."""
    last = MODEL.tables[-1].name
    with open_database(any_db) as db:
        quote = {"mysql": "`{}`"}.get(db.dialect, '"{}"')
        db.execute(f"CREATE VIEW {quote.format(last)} AS SELECT 1 AS x")
        db.commit()
        with pytest.raises(TargetError, match=r"creating the schema .* failed and was undone"):
            ensure_schema(db, MODEL)
    with open_database(any_db) as db:
        assert not (db.existing_tables() & ALL_TABLES)


def test_existing_database_with_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "old.duckdb")
    with open_database(path) as db:
        ensure_schema(db, MODEL)
        db.execute(f'UPDATE "{SCHEMA_INFO_TABLE}" SET "schema_version" = 0')
        db.commit()
    with open_database(path) as db, pytest.raises(
            TargetError, match=f"schema version 0, this tool needs version {SCHEMA_VERSION}; upgrade it in place"):
        ensure_schema(db, MODEL)


def test_changed_specs_are_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "old.duckdb")
    with open_database(path) as db:
        ensure_schema(db, MODEL)
        db.execute(f'UPDATE "{SCHEMA_INFO_TABLE}" SET "schema_fingerprint" = \'0123456789abcdef\'')
        db.commit()
    with open_database(path) as db, pytest.raises(TargetError, match="different table specs"):
        ensure_schema(db, MODEL)


def test_tables_without_schema_info_are_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "foreign.duckdb")
    with open_database(path) as db:
        db.execute('CREATE TABLE "BI_Autotask_Companies" ("x" INTEGER)')
        db.commit()
    with open_database(path) as db, pytest.raises(TargetError, match="schema version is unknown"):
        ensure_schema(db, MODEL)


@pytest.mark.parametrize(("db", "message"), [
    ("postgres://localhost/test", "unknown --db scheme 'postgres:'"),
    ("mssql:server", "unknown --db scheme 'mssql:'"),
    ("", "--db is empty"),
    ("odbc:", "odbc: needs a connection string"),
    ("odbc:Driver={No Such Driver 17};Server=x;Pwd=hunter2", "ODBC driver 'No Such Driver 17' is not installed"),
    ("odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=x;Uid=u;Pwd=hunter2",
     "cannot reach the database server"),
])
def test_bad_targets_get_one_clear_sentence(db: str, message: str) -> None:
    with pytest.raises(TargetError) as caught:
        open_database(db)
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_duckdb_path_problems(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="does not exist"):
        open_database(str(tmp_path / "missing" / "x.duckdb"))
    with pytest.raises(TargetError, match="is a folder"):
        open_database(str(tmp_path))
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("these are not the tables you are looking for\n" * 200)
    with pytest.raises(TargetError, match="cannot open DuckDB file"):
        open_database(str(not_duckdb))


def test_cli_reports_target_errors_without_traceback_or_secrets(cli, tmp_path: Path) -> None:
    result = cli("demo", "--db", "odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Uid=u;Pwd=hunter2")
    assert result.code == 2
    assert result.err.strip().splitlines()[-1].startswith("error: cannot reach the database server")
    assert "Traceback" not in result.err
    assert "hunter2" not in result.err + result.out
    result = cli("demo", "--db", "ftp://example/x")
    assert result.code == 2 and "unknown --db scheme 'ftp:'" in result.err


def test_db_comes_from_the_environment(cli, tmp_path: Path) -> None:
    target = tmp_path / "from_env.duckdb"
    result = cli("demo", env={"MSP_CSAT_DB": str(target)})
    assert result.code == 0, result.err
    assert target.exists()
