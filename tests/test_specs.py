"""Spec validation (file, line, plain sentence, nothing written), the schema script, and --help everywhere."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot
import typer

from generator.cli import app
from generator.errors import SpecError
from generator.spec.loader import load_model
from tests.conftest import ROOT

DESIGN_COLUMNS = {
    "BI_Autotask_Companies": "company_id company_name is_active company_type",
    "BI_Autotask_Resources": "resource_id technician_name email is_active",
    "BI_Autotask_Queues": "queue_id queue_name",
    "BI_Autotask_Tickets": "ticket_id ticket_number company_id queue_id assigned_resource_id status priority "
                           "issue_type created_at first_response_at resolved_at completed_at completed_date "
                           "completed_month sla_met first_contact_resolution reopened hours_worked",
    "BI_Autotask_TimeEntries": "time_entry_id ticket_id resource_id date_worked hours_worked",
    "BI_SmileBack_Reviews": "review_id ticket_id ticket_number company_id company_name resource_id technician_name "
                            "queue_id rating rating_label comment rated_at rated_date",
    "BI_SmileBack_Surveys": "survey_id review_id ticket_id company_id score survey_date survey_month",
    "BI_SmileBack_NPS": "nps_response_id company_id contact_email score responded_at",
    "BI_Date": "date year quarter month_number month_start month_name week_start",
    "BI_Security_ClientUsers": "user_principal_name company_id",  # row-level security (issue 8)
    # the ticket-attribute dimensions shared by tickets and reviews (issue 21)
    "BI_Autotask_IssueTypes": "issue_type_id issue_type_name",
    "BI_Autotask_SubIssueTypes": "sub_issue_type_id sub_issue_type_name",
    "BI_Autotask_Priorities": "priority_id priority_name",
    "BI_Autotask_Sources": "source_id source_name",
    "BI_Autotask_Resolutions": "resolution_key first_contact reopen_status sla_status",
}


def test_shipped_specs_hold_the_design_data_model() -> None:
    model = load_model(ROOT)
    assert {t.name for t in model.semantic_tables} == set(DESIGN_COLUMNS)
    for table, columns in DESIGN_COLUMNS.items():
        assert set(columns.split()) <= set(model.table(table).column_names), table
    assert model.date_table.name == "BI_Date"
    assert [t.name for t in model.tables if t.is_date_table] == ["BI_Date"]


def edit(spec_dir: Path, file: str, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in a spec file; return the 1-based line where the edit starts."""
    path = spec_dir / file
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text[:text.index(old)].count("\n") + 1


def problems(spec_dir: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_model(spec_dir)
    return [str(p) for p in caught.value.problems]


REL = '  - {from: "BI_Autotask_Tickets[company_id]", to: "BI_Autotask_Companies[company_id]"}'


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("model/autotask.yaml", REL, REL.replace("BI_Autotask_Companies[", "BI_Autotask_Compnies["),
     "relationship refers to unknown table 'BI_Autotask_Compnies'; did you mean 'BI_Autotask_Companies'?"),
    ("model/autotask.yaml", REL, REL.replace("Tickets[company_id]", "Tickets[company]"),
     "relationship refers to unknown column 'BI_Autotask_Tickets[company]'"),
    ("model/autotask.yaml", "{name: reopened, type: boolean, nullable: false,",
     "{name: reopened, type: integer, nullable: false,",
     "has unknown data type 'integer'"),
    ("model/date.yaml", "{name: year, type: int64, nullable: false,", "{name: year, type: int64, hiden: true, "
     "nullable: false,", "unknown key 'hiden' in column 'BI_Date[year]'; did you mean 'hidden'?"),
    ("model/date.yaml", "{name: quarter, type: int64,", "{name: year, type: int64,",
     "column 'year' is declared twice in table 'BI_Date'"),
    ("model/date.yaml", "{name: quarter, type: int64,", "{name: bad name, type: int64,",
     "column name 'bad name' must be letters, digits and underscores"),
    ("model/autotask.yaml", REL, REL.replace("Companies[company_id]", "Companies[company_name]"),
     "must end on the key of 'BI_Autotask_Companies'"),
    ("model/autotask.yaml", REL, REL.replace("Tickets[company_id]", "Tickets[status]"),
     "joins a string column to a int64 column"),
    ("model/autotask.yaml",
     '  - from: "BI_Autotask_TimeEntries[resource_id]"\n    to: "BI_Autotask_Resources[resource_id]"\n'
     '    active: false\n',
     '  - from: "BI_Autotask_TimeEntries[resource_id]"\n    to: "BI_Autotask_Resources[resource_id]"\n',
     "more than one filter path from 'BI_Autotask_Resources' to "
     "'BI_Autotask_TimeEntries'"),
    ("model/autotask.yaml", "relationships:\n", "relationships:\n  - {from: x\n", "YAML syntax error"),
    ("model/date.yaml", "    key: date\n", "    key: date\n    key: year\n", "key 'key' appears twice"),
])
def test_invalid_specs_name_file_line_and_problem(spec_copy: Path, file: str, old: str, new: str,
                                                  expected: str) -> None:
    line = edit(spec_copy, file, old, new)
    found = problems(spec_copy)
    assert any(expected in p and p.startswith(f"{file}:") for p in found), found
    lines = {int(p.split(":")[1]) for p in found if expected in p}
    assert lines & set(range(line, line + new.count("\n") + 2)), (line, found)


def test_a_table_declared_in_two_files_and_a_missing_date_table(spec_copy: Path) -> None:
    queues = (spec_copy / "model/autotask.yaml").read_text().split("  - name: BI_Autotask_Queues")[1].split(
        "  - name: BI_Autotask_Tickets")[0]
    (spec_copy / "model/extra.yaml").write_text("tables:\n  - name: BI_Autotask_Queues" + queues)
    found = problems(spec_copy)
    assert any(p.startswith("model/extra.yaml:2: table 'BI_Autotask_Queues' is declared twice (first at "
                            "model/autotask.yaml:") for p in found), found
    (spec_copy / "model/extra.yaml").unlink()
    edit(spec_copy, "model/date.yaml", "    date_table: true\n", "")
    assert any("exactly one table with date_table: true, found 0" in p for p in problems(spec_copy))


def test_every_problem_is_reported_and_the_cli_writes_nothing(spec_copy: Path, cli, tmp_path: Path) -> None:
    edit(spec_copy, "model/autotask.yaml", REL, REL.replace("Companies[", "Compnies["))
    edit(spec_copy, "model/date.yaml", "{name: year, type: int64,", "{name: year, type: int,")
    out = tmp_path / "schema.sql"
    result = cli("sql", "--specs", str(spec_copy), "--out", str(out))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "model/autotask.yaml:" in result.err and "model/date.yaml:" in result.err
    assert not out.exists()


@pytest.mark.parametrize(("dialect", "read", "quote", "types"), [
    ("duckdb", "duckdb", '"{}"', ("BIGINT", "BOOLEAN", "TIMESTAMP")),
    ("tsql", "tsql", "[{}]", ("NVARCHAR(200)", "BIT", "DATETIME2")),
    ("postgres", "postgres", '"{}"', ("VARCHAR(200)", "BOOLEAN", "TIMESTAMP")),
    ("mysql", "mysql", "`{}`", ("VARCHAR(200)", "DATETIME", "ENGINE=InnoDB")),
    ("mariadb", "mysql", "`{}`", ("VARCHAR(200)", "DATETIME", "ENGINE=InnoDB")),
])
def test_schema_script_per_dialect(cli, tmp_path: Path, dialect: str, read: str, quote: str,
                                   types: tuple[str, ...]) -> None:
    model = load_model(ROOT)
    result = cli("sql", "--dialect", dialect)
    assert result.code == 0, result.err
    statements = [s for s in sqlglot.parse(result.out, read=read) if s is not None]
    assert [type(s).__name__ for s in statements] == ["Create"] * len(model.tables) + ["Insert"]
    for table in model.tables:
        assert f"CREATE TABLE {quote.format(table.name)}" in result.out
        for column in table.columns:
            assert quote.format(column.name) in result.out
    for word in (*types, "NOT NULL", "PRIMARY KEY"):
        assert word in result.out
    out = tmp_path / "schema.sql"
    assert cli("sql", "--dialect", dialect, "--out", str(out)).code == 0
    assert out.read_text() == result.out == cli("sql", "--dialect", dialect).out


def test_duckdb_script_runs(cli) -> None:
    model = load_model(ROOT)
    connection = duckdb.connect()
    for statement in sqlglot.parse(cli("sql").out, read="duckdb"):
        connection.execute(statement.sql("duckdb"))
    for table in model.tables:
        columns = [row[0] for row in connection.execute(f'DESCRIBE "{table.name}"').fetchall()]
        assert columns == table.column_names


def test_unknown_dialect(cli) -> None:
    result = cli("sql", "--dialect", "oracle")
    assert result.code == 2
    assert "unknown SQL dialect 'oracle'; choose one of: duckdb, tsql, postgres, mysql, mariadb" in result.err


def test_help_everywhere(cli) -> None:
    top = cli("--help")
    assert top.code == 0 and "Exit codes" in top.out
    commands = typer.main.get_command(app).commands
    assert {"demo", "sql"} <= set(commands)
    for name in commands:
        result = cli(name, "--help")
        assert result.code == 0 and "Exit codes" in result.out, name
    assert cli("--version").out.startswith("gen-measures ")
    assert cli("no-such-command").code == 2
