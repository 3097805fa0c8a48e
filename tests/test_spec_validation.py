"""Spec validation: every invalid spec names the file (relative path), the exact line and a plain sentence.

Most cases call ``load_model`` directly on an edited copy of the specs (fast); a handful go through the
CLI to check the user-facing contract: exit code 2, ``error: ...`` on stderr, no traceback, nothing written.
Expected line numbers are always computed from the edited text, never hard-coded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import EXIT_BAD_INPUT, SpecError, SpecProblem
from generator.spec.loader import load_model
from generator.spec.model import Model

ROOT = Path(__file__).resolve().parent.parent

# DESIGN.md section 2 ("The data model (star schema)"): each BI_ table with the columns it lists.
DESIGN_TABLES: dict[str, list[str]] = {
    "BI_Autotask_Companies": ["company_id", "company_name", "is_active", "company_type"],
    "BI_Autotask_Resources": ["resource_id", "technician_name", "email", "is_active"],
    "BI_Autotask_Queues": ["queue_id", "queue_name"],
    "BI_Autotask_Tickets": [
        "ticket_id", "ticket_number", "company_id", "queue_id", "assigned_resource_id", "status", "priority",
        "issue_type", "created_at", "first_response_at", "resolved_at", "completed_at", "completed_date",
        "completed_month", "sla_met", "first_contact_resolution", "reopened", "hours_worked",
    ],
    "BI_Autotask_TimeEntries": ["time_entry_id", "ticket_id", "resource_id", "date_worked", "hours_worked"],
    "BI_SmileBack_Reviews": [
        "review_id", "ticket_id", "ticket_number", "company_id", "company_name", "resource_id", "technician_name",
        "queue_id", "rating", "rating_label", "comment", "rated_at", "rated_date",
    ],
    "BI_SmileBack_Surveys": [
        "survey_id", "review_id", "ticket_id", "company_id", "score", "survey_date", "survey_month",
    ],
    "BI_Security_ClientUsers": ["user_principal_name", "company_id"],  # row-level security (issue 8)
    "BI_SmileBack_NPS": ["nps_response_id", "company_id", "contact_email", "score", "responded_at"],
    "BI_Date": ["date", "year", "quarter", "month_number", "month_start", "month_name", "week_start"],
    # the ticket-attribute dimensions shared by tickets and reviews (issue 21)
    "BI_Autotask_IssueTypes": ["issue_type_id", "issue_type_name"],
    "BI_Autotask_SubIssueTypes": ["sub_issue_type_id", "sub_issue_type_name"],
    "BI_Autotask_Priorities": ["priority_id", "priority_name"],
    "BI_Autotask_Sources": ["source_id", "source_name"],
    "BI_Autotask_Resolutions": ["resolution_key", "first_contact", "reopen_status", "sla_status"],
}

AUTOTASK = "model/autotask.yaml"
SMILEBACK = "model/smileback.yaml"
DATE = "model/date.yaml"

# The first relationship of model/autotask.yaml, edited by several cases below.
TICKET_COMPANY = '{from: "BI_Autotask_Tickets[company_id]", to: "BI_Autotask_Companies[company_id]"}'


# --------------------------------------------------------------------------------------------- helpers


def replace_once(spec_dir: Path, file: str, old: str, new: str) -> None:
    """Replace the single occurrence of ``old`` in ``spec_dir/file`` by ``new``."""
    path = spec_dir / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def lines_with(spec_dir: Path, file: str, needle: str) -> list[int]:
    """The 1-based numbers of the lines of ``spec_dir/file`` that contain ``needle``."""
    lines = (spec_dir / file).read_text(encoding="utf-8").splitlines()
    return [number for number, line in enumerate(lines, start=1) if needle in line]


def line_with(spec_dir: Path, file: str, needle: str) -> int:
    """The 1-based number of the one line of ``spec_dir/file`` that contains ``needle``."""
    found = lines_with(spec_dir, file, needle)
    assert len(found) == 1, f"{needle!r} is on lines {found} of {file}"
    return found[0]


def problems_of(spec_dir: Path) -> list[SpecProblem]:
    """The problems ``load_model`` reports for ``spec_dir`` (it must refuse the specs)."""
    with pytest.raises(SpecError) as caught:
        load_model(spec_dir)
    problems = caught.value.problems
    assert problems, "SpecError without problems"
    for problem in problems:
        assert isinstance(problem, SpecProblem)
        assert problem.message.strip(), problem
        assert "Traceback" not in problem.message
    return problems


def the_problem(problems: list[SpecProblem], fragment: str) -> SpecProblem:
    """The one problem whose message contains ``fragment``."""
    matching = [p for p in problems if fragment in p.message]
    assert len(matching) == 1, f"{fragment!r} in {[str(p) for p in problems]}"
    return matching[0]


def assert_single_problem(spec_dir: Path, file: str, line: int, *fragments: str) -> SpecProblem:
    """``load_model`` reports exactly one problem, at ``file:line``, whose message holds every fragment."""
    problems = problems_of(spec_dir)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert (problem.file, problem.line) == (file, line), str(problem)
    for fragment in fragments:
        assert fragment in problem.message, (fragment, str(problem))
    return problem


def table_block(spec_dir: Path, file: str, name: str) -> str:
    """The YAML text of one table of a spec file, from its ``- name:`` line to the next table."""
    text = (spec_dir / file).read_text(encoding="utf-8")
    start = text.index(f"  - name: {name}\n")
    end = text.find("\n  - name: ", start + 1)
    end = text.find("\nrelationships:", start) if end == -1 else end
    return text[start:end].rstrip() + "\n"


# ------------------------------------------------------------------------------------ the shipped specs


@pytest.fixture(scope="module")
def shipped() -> Model:
    return load_model(ROOT)


def test_shipped_specs_load_without_problems(shipped: Model) -> None:
    assert isinstance(shipped, Model)
    assert shipped.tables and shipped.relationships


def test_shipped_specs_hold_exactly_the_nine_design_tables(shipped: Model) -> None:
    assert sorted(t.name for t in shipped.semantic_tables) == sorted(DESIGN_TABLES)


@pytest.mark.parametrize("table", sorted(DESIGN_TABLES))
def test_shipped_table_has_every_design_column(shipped: Model, table: str) -> None:
    missing = [c for c in DESIGN_TABLES[table] if c not in shipped.table(table).column_names]
    assert not missing, f"{table} lacks {missing}"


def test_shipped_specs_have_exactly_one_date_table_bi_date(shipped: Model) -> None:
    assert [t.name for t in shipped.tables if t.is_date_table] == ["BI_Date"]
    assert shipped.date_table.name == "BI_Date"
    assert shipped.date_table.key == ("date",)
    assert shipped.date_table.column("date").data_type == "date"


def test_the_spec_copy_is_valid_before_any_edit(spec_copy: Path) -> None:
    model = load_model(spec_copy)
    assert [t.name for t in model.tables] == [t.name for t in load_model(ROOT).tables]


# -------------------------------------------------------------------------------- relationship problems


def test_relationship_to_unknown_table_suggests_the_near_miss(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, TICKET_COMPANY, TICKET_COMPANY.replace("Companies[", "Compnies["))
    line = line_with(spec_copy, AUTOTASK, "BI_Autotask_Compnies")
    assert_single_problem(spec_copy, AUTOTASK, line,
                          "relationship refers to unknown table 'BI_Autotask_Compnies'",
                          "did you mean 'BI_Autotask_Companies'?")


def test_relationship_from_unknown_table_is_reported_on_its_line(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, TICKET_COMPANY, TICKET_COMPANY.replace("BI_Autotask_Tickets[", "Tikets["))
    line = line_with(spec_copy, AUTOTASK, '"Tikets[company_id]"')
    problem = assert_single_problem(spec_copy, AUTOTASK, line, "unknown table 'Tikets'")
    assert "did you mean" not in problem.message or "BI_Autotask_Tickets" in problem.message


def test_relationship_to_unknown_column(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, TICKET_COMPANY, TICKET_COMPANY.replace("Tickets[company_id]", "Tickets[company]"))
    line = line_with(spec_copy, AUTOTASK, "BI_Autotask_Tickets[company]")
    assert_single_problem(spec_copy, AUTOTASK, line,
                          "relationship refers to unknown column 'BI_Autotask_Tickets[company]'",
                          "did you mean 'company_id'?")


def test_relationship_in_a_block_mapping_reports_the_line_of_the_bad_end(spec_copy: Path) -> None:
    block = ('  - from: "BI_Autotask_Tickets[company_id]"\n'
             '    to: "BI_Autotask_Companies[no_such_column]"\n')
    replace_once(spec_copy, AUTOTASK, f"  - {TICKET_COMPANY}\n", block)
    line = line_with(spec_copy, AUTOTASK, "no_such_column")
    assert_single_problem(spec_copy, AUTOTASK, line, "unknown column 'BI_Autotask_Companies[no_such_column]'")


@pytest.mark.parametrize(("old", "new"), [
    pytest.param(TICKET_COMPANY, TICKET_COMPANY.replace("Companies[company_id]", "Companies[company_name]"),
                 id="one-side-not-key"),
    pytest.param(TICKET_COMPANY, '{from: "BI_Autotask_Companies[company_id]", to: "BI_Autotask_Tickets[company_id]"}',
                 id="written-backwards"),
])
def test_relationship_must_end_on_the_key_of_the_one_side(spec_copy: Path, old: str, new: str) -> None:
    replace_once(spec_copy, AUTOTASK, old, new)
    line = line_with(spec_copy, AUTOTASK, new)
    one_side = new.split('to: "')[1].split("[")[0]
    assert_single_problem(spec_copy, AUTOTASK, line, f"must end on the key of '{one_side}'")


@pytest.mark.parametrize(("from_column", "from_type", "to", "to_type"), [
    ("status", "string", "BI_Autotask_Companies[company_id]", "int64"),
    ("completed_at", "datetime", "BI_Date[date]", "date"),
])
def test_relationship_ends_of_different_types(spec_copy: Path, from_column: str, from_type: str, to: str,
                                              to_type: str) -> None:
    new = f'{{from: "BI_Autotask_Tickets[{from_column}]", to: "{to}"}}'
    replace_once(spec_copy, AUTOTASK, TICKET_COMPANY, new)
    line = line_with(spec_copy, AUTOTASK, new)
    problem = assert_single_problem(spec_copy, AUTOTASK, line, "joins a")
    assert from_type in problem.message and to_type in problem.message, problem


def test_second_active_relationship_creating_an_ambiguous_filter_path(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, '    to: "BI_Autotask_Resources[resource_id]"\n    active: false\n',
                 '    to: "BI_Autotask_Resources[resource_id]"\n')
    line = line_with(spec_copy, AUTOTASK, '  - from: "BI_Autotask_TimeEntries[resource_id]"')
    assert_single_problem(spec_copy, AUTOTASK, line,
                          "more than one filter path from 'BI_Autotask_Resources' to 'BI_Autotask_TimeEntries'",
                          "make one of them inactive")


def test_two_independent_ambiguous_paths_are_both_reported(spec_copy: Path) -> None:
    resources = '  - from: "BI_Autotask_TimeEntries[resource_id]"\n    to: "BI_Autotask_Resources[resource_id]"\n'
    dates = '  - from: "BI_Autotask_TimeEntries[date_worked]"\n    to: "BI_Date[date]"\n'
    for start in (resources, dates):
        replace_once(spec_copy, AUTOTASK, start + "    active: false\n", start)
    problems = problems_of(spec_copy)
    the_problem(problems, "filter path from 'BI_Autotask_Resources' to 'BI_Autotask_TimeEntries'")
    the_problem(problems, "filter path from 'BI_Date' to 'BI_Autotask_TimeEntries'")


# ---------------------------------------------------------------------------- table and column problems


@pytest.mark.parametrize("folder", ["model", "sql"])
def test_table_declared_twice_across_two_files(spec_copy: Path, folder: str) -> None:
    first = line_with(spec_copy, AUTOTASK, "- name: BI_Autotask_Queues")
    extra = f"{folder}/extra.yaml"
    (spec_copy / extra).write_text("# The queues again, by mistake.\ntables:\n"
                                   + table_block(spec_copy, AUTOTASK, "BI_Autotask_Queues"), encoding="utf-8")
    line = line_with(spec_copy, extra, "- name: BI_Autotask_Queues")
    assert_single_problem(spec_copy, extra, line,
                          f"table 'BI_Autotask_Queues' is declared twice (first at {AUTOTASK}:{first})")


@pytest.mark.parametrize("second_name", ["year", "Year"])
def test_column_declared_twice(spec_copy: Path, second_name: str) -> None:
    replace_once(spec_copy, DATE, "{name: quarter, type: int64,", f"{{name: {second_name}, type: int64,")
    first = line_with(spec_copy, DATE, "description: Calendar year.")
    second = line_with(spec_copy, DATE, "description: Calendar quarter 1-4.")
    assert f"{{name: {second_name}, type: int64," in (spec_copy / DATE).read_text().splitlines()[second - 1]
    assert_single_problem(spec_copy, DATE, second,
                          f"column '{second_name}' is declared twice in table 'BI_Date' (first on line {first})")


def test_bad_data_type_names_the_column_and_the_allowed_types(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, "{name: reopened, type: boolean,", "{name: reopened, type: integer,")
    line = line_with(spec_copy, AUTOTASK, "type: integer")
    problem = assert_single_problem(spec_copy, AUTOTASK, line,
                                    "column 'BI_Autotask_Tickets[reopened]' has unknown data type 'integer'")
    for allowed in ("int64", "double", "decimal", "string", "boolean", "date", "datetime"):
        assert allowed in problem.message


def test_bad_data_type_integer_suggests_int64(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, "{name: reopened, type: boolean,", "{name: reopened, type: integer,")
    line = line_with(spec_copy, AUTOTASK, "type: integer")
    assert_single_problem(spec_copy, AUTOTASK, line, "did you mean 'int64'?")


@pytest.mark.parametrize(("wrong", "suggested"), [("bool", "boolean"), ("str", "string"), ("Int64", "int64")])
def test_bad_data_type_near_miss_suggests_the_type(spec_copy: Path, wrong: str, suggested: str) -> None:
    replace_once(spec_copy, AUTOTASK, "{name: reopened, type: boolean,", f"{{name: reopened, type: {wrong},")
    line = line_with(spec_copy, AUTOTASK, f"{{name: reopened, type: {wrong},")
    assert_single_problem(spec_copy, AUTOTASK, line, f"unknown data type '{wrong}'", f"did you mean '{suggested}'?")


@pytest.mark.parametrize(("file", "old", "new", "needle", "fragment"), [
    pytest.param(DATE, "{name: year, type: int64,", "{name: year, type: int64, hiden: true,", "hiden: true",
                 "unknown key 'hiden' in column 'BI_Date[year]'; did you mean 'hidden'?", id="column-hiden"),
    pytest.param(AUTOTASK, "    description: One row per service queue", "    descripton: One row per service queue",
                 "descripton:", "unknown key 'descripton' in a table; did you mean 'description'?", id="table"),
    pytest.param(AUTOTASK, TICKET_COMPANY, TICKET_COMPANY[:-1] + ", crossfilter: single}", "crossfilter",
                 "unknown key 'crossfilter' in a relationship; did you mean 'cross_filter'?", id="relationship"),
    pytest.param(SMILEBACK, "\nrelationships:\n", "\nrelationship:\n", "relationship:",
                 "unknown key 'relationship' in a spec file; did you mean 'relationships'?", id="file"),
])
def test_unknown_key_suggests_the_allowed_one(spec_copy: Path, file: str, old: str, new: str, needle: str,
                                              fragment: str) -> None:
    replace_once(spec_copy, file, old, new)
    assert_single_problem(spec_copy, file, line_with(spec_copy, file, needle), fragment)


@pytest.mark.parametrize(("old", "new", "fragment"), [
    pytest.param("{name: quarter, type: int64,", "{name: bad name, type: int64,",
                 "column name 'bad name' must be letters, digits and underscores", id="space"),
    pytest.param("{name: quarter, type: int64,", "{name: 1st_quarter, type: int64,",
                 "column name '1st_quarter' must be letters, digits and underscores, starting with a letter",
                 id="leading-digit"),
    pytest.param("{name: quarter, type: int64,", "{name: quarter-number, type: int64,",
                 "column name 'quarter-number' must be letters", id="dash"),
    pytest.param("{name: quarter, type: int64,", "{name: " + "q" * 64 + ", type: int64,",
                 "is longer than 63 characters", id="too-long"),
])
def test_invalid_column_identifier(spec_copy: Path, old: str, new: str, fragment: str) -> None:
    replace_once(spec_copy, DATE, old, new)
    assert_single_problem(spec_copy, DATE, line_with(spec_copy, DATE, new), fragment)


def test_invalid_table_identifier(spec_copy: Path) -> None:
    extra = "model/extra.yaml"
    (spec_copy / extra).write_text("tables:\n  - name: BI Bad Table\n    columns:\n      - {name: x, type: int64}\n",
                                   encoding="utf-8")
    assert_single_problem(spec_copy, extra, line_with(spec_copy, extra, "BI Bad Table"),
                          "table name 'BI Bad Table' must be letters, digits and underscores")


# ------------------------------------------------------------------------------------- YAML-level problems


@pytest.mark.parametrize(("old", "new", "needle"), [
    pytest.param("    description: One row per technician (Autotask Resources).",
                 "    description: One row: per technician", "One row: per technician", id="colon-in-plain-text"),
    pytest.param("    key: resource_id\n", "\tkey: resource_id\n", "\tkey: resource_id", id="tab-indent"),
    pytest.param("    key: queue_id\n", "    key: [queue_id\n    columns: x\n", "    columns: x",
                 id="unclosed-list"),
])
def test_yaml_syntax_error_reports_its_line(spec_copy: Path, old: str, new: str, needle: str) -> None:
    replace_once(spec_copy, AUTOTASK, old, new)
    line = line_with(spec_copy, AUTOTASK, needle)
    problem = the_problem(problems_of(spec_copy), "YAML syntax error")
    assert (problem.file, problem.line) == (AUTOTASK, line), str(problem)


def test_yaml_syntax_error_does_not_cause_false_problems_in_other_files(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, "    description: One row per technician (Autotask Resources).",
                 "    description: One row: per technician")
    problems = problems_of(spec_copy)
    assert [p.file for p in problems] == [AUTOTASK], [str(p) for p in problems]


def test_duplicate_key_in_a_block_mapping(spec_copy: Path) -> None:
    replace_once(spec_copy, DATE, "    key: date\n", "    key: date\n    key: year\n")
    first = line_with(spec_copy, DATE, "    key: date")
    second = line_with(spec_copy, DATE, "    key: year")
    problem = the_problem(problems_of(spec_copy), "appears twice")
    assert (problem.file, problem.line) == (DATE, second), str(problem)
    assert f"key 'key' appears twice in the same mapping (first on line {first})" in problem.message


def test_duplicate_key_in_a_flow_mapping(spec_copy: Path) -> None:
    replace_once(spec_copy, SMILEBACK, "{name: score, type: int64, nullable: false, summarize_by: none, description: ",
                 "{name: score, type: int64, nullable: false, type: double, description: ")
    line = line_with(spec_copy, SMILEBACK, "type: double")
    problem = the_problem(problems_of(spec_copy), "appears twice")
    assert (problem.file, problem.line) == (SMILEBACK, line), str(problem)
    assert f"key 'type' appears twice in the same mapping (first on line {line})" in problem.message


# ------------------------------------------------------------------------------------------- date table


def test_no_date_table(spec_copy: Path) -> None:
    replace_once(spec_copy, DATE, "    date_table: true\n", "")
    problems = problems_of(spec_copy)
    assert len(problems) == 1, [str(p) for p in problems]
    assert "the model needs exactly one table with date_table: true, found 0" in problems[0].message
    assert problems[0].file.startswith("model")


def test_two_date_tables(spec_copy: Path) -> None:
    extra = "model/extra.yaml"
    (spec_copy / extra).write_text("tables:\n  - name: BI_Calendar\n    key: day\n    date_table: true\n"
                                   "    columns:\n      - {name: day, type: date, nullable: false}\n", encoding="utf-8")
    problem = the_problem(problems_of(spec_copy), "exactly one table with date_table: true, found 2")
    declared = {(extra, line_with(spec_copy, extra, "- name: BI_Calendar")),
                (DATE, line_with(spec_copy, DATE, "- name: BI_Date"))}
    assert (problem.file, problem.line) in declared, str(problem)


def test_date_table_key_must_be_a_date(spec_copy: Path) -> None:
    replace_once(spec_copy, DATE, "    key: date\n", "    key: year\n")
    problem = the_problem(problems_of(spec_copy), "needs a single key column of type date")
    assert (problem.file, problem.line) == (DATE, line_with(spec_copy, DATE, "date_table: true")), str(problem)


# ------------------------------------------------------------------------------------ several problems


def test_several_problems_are_all_reported_in_one_run(spec_copy: Path) -> None:
    replace_once(spec_copy, AUTOTASK, TICKET_COMPANY, TICKET_COMPANY.replace("Companies[", "Compnies["))
    replace_once(spec_copy, DATE, "{name: year, type: int64,", "{name: year, type: int,")
    replace_once(spec_copy, SMILEBACK, "{name: comment, type: string, max_length: 4000, description: The client's",
                 "{name: comment, type: string, max_length: 4000, hiden: false, description: The client's")
    replace_once(spec_copy, SMILEBACK, "{name: survey_month, type: date,", "{name: survey month, type: date,")
    expected = [
        (AUTOTASK, line_with(spec_copy, AUTOTASK, "Compnies"), "unknown table 'BI_Autotask_Compnies'"),
        (DATE, line_with(spec_copy, DATE, "type: int,"), "unknown data type 'int'"),
        (SMILEBACK, line_with(spec_copy, SMILEBACK, "hiden: false"), "unknown key 'hiden'"),
        (SMILEBACK, line_with(spec_copy, SMILEBACK, "survey month"), "column name 'survey month' must be letters"),
    ]
    problems = problems_of(spec_copy)
    assert len(problems) == len(expected), [str(p) for p in problems]
    for (file, line, fragment), problem in zip(expected, problems, strict=True):
        assert (problem.file, problem.line) == (file, line) and fragment in problem.message, str(problem)


def test_problem_renders_as_file_line_message() -> None:
    problem = SpecProblem("model/autotask.yaml", 12, "something is wrong")
    assert str(problem) == "model/autotask.yaml:12: something is wrong"
    error = SpecError([SpecProblem("model/b.yaml", 3, "b"), SpecProblem("model/a.yaml", 9, "a"),
                       SpecProblem("model/a.yaml", 2, "c")])
    assert str(error) == "model/a.yaml:2: c\nmodel/a.yaml:9: a\nmodel/b.yaml:3: b"
    assert error.exit_code == EXIT_BAD_INPUT == 2


# ------------------------------------------------------------------------------------------ through the CLI


def assert_refused(result, out: Path) -> list[str]:
    """The CLI refused the specs: exit 2, ``error:`` on stderr, no traceback, nothing on stdout, no file."""
    assert result.code == EXIT_BAD_INPUT, (result.code, result.err)
    assert result.err.startswith("error: "), result.err
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert result.out == ""
    assert not out.exists()
    assert list(out.parent.iterdir()) == [], "left files behind"
    return result.err.removeprefix("error: ").splitlines()


def test_cli_refuses_invalid_specs_and_writes_nothing(spec_copy: Path, cli, tmp_path: Path) -> None:
    replace_once(spec_copy, AUTOTASK, TICKET_COMPANY, TICKET_COMPANY.replace("Companies[", "Compnies["))
    line = line_with(spec_copy, AUTOTASK, "Compnies")
    out = tmp_path / "out" / "schema.sql"
    out.parent.mkdir()
    result = cli("sql", "--specs", str(spec_copy), "--out", str(out))
    lines = assert_refused(result, out)
    assert lines == [f"{AUTOTASK}:{line}: relationship refers to unknown table 'BI_Autotask_Compnies'; "
                     "did you mean 'BI_Autotask_Companies'?"]


def test_cli_reports_a_yaml_syntax_error_without_traceback(spec_copy: Path, cli, tmp_path: Path) -> None:
    replace_once(spec_copy, DATE, "    key: date\n", "    key: date\n    key: year\n")
    line = line_with(spec_copy, DATE, "    key: year")
    out = tmp_path / "out" / "schema.sql"
    out.parent.mkdir()
    lines = assert_refused(cli("sql", "--specs", str(spec_copy), "--out", str(out)), out)
    assert any(entry.startswith(f"{DATE}:{line}: key 'key' appears twice") for entry in lines), lines


def test_cli_reports_every_problem_and_keeps_an_existing_output(spec_copy: Path, cli, tmp_path: Path) -> None:
    replace_once(spec_copy, AUTOTASK, "{name: reopened, type: boolean,", "{name: reopened, type: integer,")
    replace_once(spec_copy, DATE, "{name: quarter, type: int64,", "{name: bad name, type: int64,")
    out = tmp_path / "schema.sql"
    out.write_text("old script\n", encoding="utf-8")
    result = cli("sql", "--specs", str(spec_copy), "--out", str(out))
    assert result.code == EXIT_BAD_INPUT and "Traceback" not in result.err
    assert result.err.startswith("error: ")
    assert f"{AUTOTASK}:{line_with(spec_copy, AUTOTASK, 'type: integer')}: " in result.err
    assert f"{DATE}:{line_with(spec_copy, DATE, 'bad name')}: column name 'bad name'" in result.err
    assert out.read_text(encoding="utf-8") == "old script\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.sql", "specs"]


def test_cli_refuses_a_specs_folder_without_model(cli, tmp_path: Path) -> None:
    out = tmp_path / "out" / "schema.sql"
    out.parent.mkdir()
    (tmp_path / "empty").mkdir()
    lines = assert_refused(cli("sql", "--specs", str(tmp_path / "empty"), "--out", str(out)), out)
    assert "has no model/ folder" in lines[0]
