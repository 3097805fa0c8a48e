"""``gen-measures sql``: the schema script per dialect parses back, quotes every identifier, uses the
dialect's types, is deterministic, and the DuckDB script runs for real."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from generator.errors import EXIT_BAD_INPUT
from generator.spec.loader import load_model
from generator.spec.model import Model, Table
from tests.conftest import Result, run_cli

ROOT = Path(__file__).resolve().parent.parent

# user-facing dialect -> (sqlglot dialect, opening quote, closing quote)
DIALECTS: dict[str, tuple[str, str, str]] = {
    "duckdb": ("duckdb", '"', '"'),
    "tsql": ("tsql", "[", "]"),
    "postgres": ("postgres", '"', '"'),
    "mysql": ("mysql", "`", "`"),
    "mariadb": ("mysql", "`", "`"),
}

# The SQL type each model type must become, per dialect ({n} is the column's max_length).
EXPECTED_TYPES: dict[str, dict[str, str]] = {
    "duckdb": {"int64": "BIGINT", "boolean": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP"},
    "tsql": {"int64": "BIGINT", "string": "NVARCHAR({n})", "boolean": "BIT", "date": "DATE", "datetime": "DATETIME2"},
    "postgres": {"int64": "BIGINT", "string": "VARCHAR({n})", "boolean": "BOOLEAN", "date": "DATE",
                 "datetime": "TIMESTAMP"},
    "mysql": {"int64": "BIGINT", "string": "VARCHAR({n})", "date": "DATE", "datetime": "DATETIME"},
    "mariadb": {"int64": "BIGINT", "string": "VARCHAR({n})", "date": "DATE", "datetime": "DATETIME"},
}

# DuckDB's own names for the model types, as DESCRIBE reports them.
DUCKDB_TYPES = {"int64": "BIGINT", "double": "DOUBLE", "decimal": "DECIMAL(19,4)", "string": "VARCHAR",
                "boolean": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP"}

ALL_DIALECTS = pytest.mark.parametrize("dialect", list(DIALECTS))


@functools.cache
def schema(dialect: str) -> Result:
    """``gen-measures sql --dialect D`` on the repository's specs, run once per dialect."""
    return run_cli("sql", "--dialect", dialect, "--specs", str(ROOT))


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(ROOT)


def script(dialect: str) -> str:
    result = schema(dialect)
    assert result.code == 0, result.err
    return result.out


def statements(dialect: str) -> list[exp.Expression]:
    parsed = sqlglot.parse(script(dialect), read=DIALECTS[dialect][0])
    return [statement for statement in parsed if statement is not None]


def create_blocks(dialect: str) -> dict[str, list[str]]:
    """Table name -> the lines inside the parentheses of its CREATE TABLE, as rendered."""
    _, opening, closing = DIALECTS[dialect]
    pattern = re.compile(rf"^CREATE TABLE {re.escape(opening)}(\w+){re.escape(closing)} \(\n(.*?)\n\)",
                         re.MULTILINE | re.DOTALL)
    return {name: body.splitlines() for name, body in pattern.findall(script(dialect))}


def without_comments_and_strings(text: str) -> str:
    text = re.sub(r"^--.*$", "", text, flags=re.MULTILINE)
    return re.sub(r"'(?:[^']|'')*'", "''", text)


# ---------------------------------------------------------------------------------------------- the tests


@ALL_DIALECTS
def test_sql_exits_zero_with_a_script(dialect: str) -> None:
    result = schema(dialect)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert result.out.strip()


@ALL_DIALECTS
def test_every_statement_parses_back_one_create_per_table_and_one_insert(dialect: str, model: Model) -> None:
    parsed = statements(dialect)
    assert [type(s).__name__ for s in parsed] == ["Create"] * len(model.tables) + ["Insert"]
    creates = parsed[:-1]
    assert all(s.args.get("kind") == "TABLE" for s in creates)
    assert [s.this.this.name for s in creates] == [t.name for t in model.tables]
    for create, table in zip(creates, model.tables, strict=True):
        assert [c.name for c in create.this.find_all(exp.ColumnDef)] == table.column_names, table.name
    insert = parsed[-1]
    assert insert.this.this.name == "ETL_Schema_Info"
    assert [i.name for i in insert.this.expressions] == model.table("ETL_Schema_Info").column_names


@ALL_DIALECTS
def test_every_identifier_is_quoted_in_the_dialect_style(dialect: str, model: Model) -> None:
    for statement in statements(dialect):
        unquoted = [i.name for i in statement.find_all(exp.Identifier) if not i.quoted]
        assert not unquoted, unquoted
    _, opening, closing = DIALECTS[dialect]
    text = without_comments_and_strings(script(dialect))
    names = {t.name for t in model.tables} | {c.name for t in model.tables for c in t.columns}
    for name in sorted(names):
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            before, after = text[match.start() - 1], text[match.end()]
            assert (before, after) == (opening, closing), f"{name} unquoted or wrongly quoted: {before}{name}{after}"
    other_quotes = set('"`[]') - {opening, closing}
    assert not other_quotes & set(text), f"stray quote characters {other_quotes & set(text)}"


@ALL_DIALECTS
def test_every_table_is_created_with_the_quoted_name(dialect: str, model: Model) -> None:
    _, opening, closing = DIALECTS[dialect]
    for table in model.tables:
        assert script(dialect).count(f"CREATE TABLE {opening}{table.name}{closing} (") == 1, table.name


def column_line(block: list[str], table: Table, column: str, dialect: str) -> str:
    _, opening, closing = DIALECTS[dialect]
    lines = [line.strip().rstrip(",") for line in block if line.strip().startswith(f"{opening}{column}{closing} ")]
    assert len(lines) == 1, (table.name, column, block)
    return lines[0].removeprefix(f"{opening}{column}{closing} ")


@ALL_DIALECTS
def test_columns_use_the_dialect_types(dialect: str, model: Model) -> None:
    blocks = create_blocks(dialect)
    expected_types = EXPECTED_TYPES[dialect]
    checked: set[str] = set()
    for table in model.tables:
        for column in table.columns:
            if column.data_type not in expected_types:
                continue
            expected = expected_types[column.data_type].format(n=column.max_length)
            rendered = column_line(blocks[table.name], table, column.name, dialect).removesuffix(" NOT NULL")
            assert rendered == expected, (table.name, column.name, rendered)
            checked.add(column.data_type)
    assert checked == set(expected_types)


@pytest.mark.parametrize(("dialect", "present", "absent"), [
    ("tsql", ("NVARCHAR(", " BIT", " DATETIME2"), (" VARCHAR(", "BOOLEAN", "TIMESTAMP")),
    ("postgres", (" VARCHAR(", " BOOLEAN", " TIMESTAMP"), ("NVARCHAR", " BIT", "DATETIME", "ENGINE")),
    ("mysql", (" VARCHAR(", " DATETIME", "ENGINE=InnoDB"), ("NVARCHAR", "DATETIME2", "TIMESTAMP,")),
    ("mariadb", (" VARCHAR(", " DATETIME", "ENGINE=InnoDB"), ("NVARCHAR", "DATETIME2", "TIMESTAMP,")),
])
def test_dialect_type_words(dialect: str, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    body = "\n".join(line for lines in create_blocks(dialect).values() for line in lines)
    text = script(dialect)
    for word in present:
        assert word in text, word
    for word in absent:
        assert word not in body, word


@pytest.mark.parametrize("dialect", ["mysql", "mariadb"])
def test_mysql_tables_use_innodb(dialect: str, model: Model) -> None:
    for create in statements(dialect)[:-1]:
        properties = create.args.get("properties")
        engines = [p.this.name for p in properties.find_all(exp.EngineProperty)] if properties else []
        assert [e.upper() for e in engines] == ["INNODB"], create.this.this.name
    assert script(dialect).count("ENGINE=InnoDB") == len(model.tables)


@ALL_DIALECTS
def test_key_columns_are_not_null_and_the_primary_key(dialect: str, model: Model) -> None:
    creates = statements(dialect)[:-1]
    for create, table in zip(creates, model.tables, strict=True):
        not_null = {c.name for c in create.this.find_all(exp.ColumnDef)
                    if any(isinstance(k.args.get("kind"), exp.NotNullColumnConstraint)
                           for k in c.args.get("constraints") or [])}
        assert not_null == {c.name for c in table.columns if not c.nullable}, table.name
        assert set(table.key) <= not_null, table.name
        keys = [[i.name for i in pk.find_all(exp.Identifier)] for pk in create.this.find_all(exp.PrimaryKey)]
        assert keys == ([list(table.key)] if table.key else []), table.name
    text = script(dialect)
    assert "NOT NULL" in text and "PRIMARY KEY" in text


@ALL_DIALECTS
def test_two_runs_are_byte_identical(dialect: str) -> None:
    again = run_cli("sql", "--dialect", dialect, "--specs", str(ROOT))
    assert again.code == 0, again.err
    assert again.out.encode("utf-8") == script(dialect).encode("utf-8")


@ALL_DIALECTS
def test_out_file_holds_the_same_text_as_stdout(dialect: str, tmp_path: Path) -> None:
    out = tmp_path / "nested" / f"schema.{dialect}.sql"
    result = run_cli("sql", "--dialect", dialect, "--specs", str(ROOT), "--out", str(out))
    assert result.code == 0, result.err
    assert result.out == ""
    assert out.read_bytes() == script(dialect).encode("utf-8")
    assert [p.name for p in out.parent.iterdir()] == [out.name], "temporary files left behind"


def test_unknown_dialect_exits_2_naming_the_allowed_dialects(cli, tmp_path: Path) -> None:
    out = tmp_path / "schema.sql"
    result = cli("sql", "--dialect", "oracle", "--out", str(out))
    assert result.code == EXIT_BAD_INPUT
    assert result.err.startswith("error: ")
    assert "Traceback" not in result.err
    assert "unknown SQL dialect 'oracle'" in result.err
    allowed = result.err.split("choose one of:")[1]
    for dialect in DIALECTS:
        assert dialect in allowed, dialect
    assert result.out == ""
    assert not out.exists()


def test_duckdb_script_runs_and_creates_the_spec_tables(model: Model) -> None:
    text = script("duckdb")
    connection = duckdb.connect()
    try:
        pieces = connection.extract_statements(text)
        assert len(pieces) == len(model.tables) + 1
        for piece in pieces:
            connection.execute(piece)
        created = {row[0] for row in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert created == {t.name for t in model.tables}
        for table in model.tables:
            described = connection.execute(f'DESCRIBE "{table.name}"').fetchall()
            assert [row[0] for row in described] == table.column_names, table.name
            for (name, sql_type, null, *_), column in zip(described, table.columns, strict=True):
                assert sql_type == DUCKDB_TYPES[column.data_type], (table.name, name, sql_type)
                assert null == ("YES" if column.nullable else "NO"), (table.name, name, null)
            primary = connection.execute(
                "SELECT constraint_column_names FROM duckdb_constraints() "
                "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'", [table.name]).fetchall()
            assert [list(row[0]) for row in primary] == ([list(table.key)] if table.key else []), table.name
        rows = connection.execute('SELECT "schema_version", "schema_fingerprint" FROM "ETL_Schema_Info"').fetchall()
        fingerprint = re.search(r"^-- fingerprint ([0-9a-f]{64})$", text, re.MULTILINE)
        assert fingerprint is not None
        assert rows == [(3, fingerprint.group(1))]
    finally:
        connection.close()
