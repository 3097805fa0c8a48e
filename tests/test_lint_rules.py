"""The lint rules: a clean base model that no rule fires on, and per rule a mutation of it that makes the rule fire.

Every ported BPA rule and every rule of ours has a fixture here (a function that changes a copy of the base
model, or a JSON file under ``tests/fixtures/lint/``) naming the object the rule must report.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.errors import ToolError
from generator.lint import UNPORTED, LintContext, all_rules, lint_database, load_bim, select_rules

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "lint"
BPA_RULES = Path("/work/shared/reference/BPARules.json")
GENERATED = "MSP_CSAT_Generated"
PERCENT = "#,0.0%;-#,0.0%;#,0.0%"


# --- the base model ------------------------------------------------------------------------------------


def _m_source(table: str) -> dict[str, Any]:
    return {
        "type": "m",
        "expression": [
            "let",
            "    Source = Sql.Database(Server, Database),",
            f'    Data = Source{{[Schema = "dbo", Item = "{table}"]}}[Data]',
            "in",
            "    Data",
        ],
    }


def _table(name: str, description: str, columns: list[dict], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "lineageTag": f"tag-{name}",
        "columns": columns,
        "partitions": [{"name": name, "mode": "import", "source": _m_source(name)}],
        **extra,
    }


def _key(name: str, *, is_key: bool = False) -> dict[str, Any]:
    """A hidden integer key column, as the generator writes them."""
    column = {"name": name, "dataType": "int64", "sourceColumn": name, "isHidden": True, "summarizeBy": "none",
              "isAvailableInMdx": False}
    if is_key:
        column["isKey"] = True
    return column


def _text(name: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "dataType": "string", "sourceColumn": name, "description": description,
            "summarizeBy": "none", **extra}


def _measure(name: str, expression: str | list[str], format_string: str, folder: str, description: str,
             **extra: Any) -> dict[str, Any]:
    return {"name": name, "expression": expression, "formatString": format_string, "displayFolder": folder,
            "description": description, "annotations": [{"name": GENERATED, "value": "true"}], **extra}


def _relationship(name: str, from_table: str, from_column: str, to_table: str, to_column: str,
                  **extra: Any) -> dict[str, Any]:
    return {"name": name, "fromTable": from_table, "fromColumn": from_column, "toTable": to_table,
            "toColumn": to_column, **extra}


def base_model() -> dict[str, Any]:
    """A small, clean star schema: tickets, companies, queues and a marked date table."""
    tickets = _table(
        "BI_Tickets", "One row per Autotask ticket.",
        [
            _text("Ticket Number", "The Autotask ticket number."),
            _text("Status", "The ticket's status label."),
            _key("CompanyKey"),
            _key("QueueKey"),
            _key("CreatedDateKey"),
            _key("CompletedDateKey"),
            {"name": "Hours Worked", "dataType": "decimal", "sourceColumn": "Hours Worked", "isHidden": True,
             "summarizeBy": "none", "isAvailableInMdx": False},
        ],
        measures=[
            _measure("Tickets", "COUNTROWS ( 'BI_Tickets' )", "#,0", "Tickets", "Number of tickets."),
            _measure("Closed Tickets", "CALCULATE ( [Tickets], 'BI_Tickets'[Status] = \"Complete\" )", "#,0",
                     "Tickets", "Tickets whose status is Complete."),
            _measure("Closed %", "DIVIDE ( [Closed Tickets], [Tickets] )", PERCENT, "Tickets",
                     "Share of tickets that are closed."),
            _measure("Completed Tickets",
                     ["CALCULATE (", "    [Tickets],",
                      "    USERELATIONSHIP ( 'BI_Tickets'[CompletedDateKey], 'BI_Date'[DateKey] )", ")"],
                     "#,0", "Tickets", "Tickets by completion date."),
            _measure("Hours Worked Total", "SUM ( 'BI_Tickets'[Hours Worked] )", "#,0.0", "Hours",
                     "Hours worked on the tickets."),
            _measure("Hours per Ticket", "DIVIDE ( [Hours Worked Total], [Tickets] ) -- average",
                     "#,0.0", "Hours", "Average hours worked per ticket."),
        ],
    )
    companies = _table(
        "BI_Companies", "One row per customer company.",
        [_key("CompanyKey", is_key=True), _text("Company", "The company name."),
         _text("Country", "The company's country.", dataCategory="Country")],
    )
    queues = _table("BI_Queues", "One row per Autotask queue.",
                    [_key("QueueKey", is_key=True), _text("Queue", "The queue name.")])
    dates = _table(
        "BI_Date", "One row per calendar day.",
        [
            {"name": "Date", "dataType": "dateTime", "sourceColumn": "Date", "isKey": True,
             "formatString": "mm/dd/yyyy", "description": "The calendar day.", "summarizeBy": "none"},
            _key("DateKey"),
            {"name": "Year", "dataType": "int64", "sourceColumn": "Year", "formatString": "0",
             "summarizeBy": "none", "description": "The calendar year."},
            _text("Month", "The month name.", sortByColumn="Month Number"),
            {"name": "Month Number", "dataType": "int64", "sourceColumn": "Month Number", "isHidden": True,
             "summarizeBy": "none"},
        ],
        dataCategory="Time",
        hierarchies=[{"name": "Calendar", "levels": [{"name": "Year", "ordinal": 0, "column": "Year"},
                                                    {"name": "Month", "ordinal": 1, "column": "Month"}]}],
    )
    return {
        "name": "MSP CSAT",
        "compatibilityLevel": 1567,
        "model": {
            "culture": "en-US",
            "defaultPowerBIDataSourceVersion": "powerBI_V3",
            "discourageImplicitMeasures": True,
            "tables": [tickets, companies, queues, dates],
            "relationships": [
                _relationship("tickets_company", "BI_Tickets", "CompanyKey", "BI_Companies", "CompanyKey"),
                _relationship("tickets_queue", "BI_Tickets", "QueueKey", "BI_Queues", "QueueKey"),
                _relationship("tickets_created", "BI_Tickets", "CreatedDateKey", "BI_Date", "DateKey"),
                _relationship("tickets_completed", "BI_Tickets", "CompletedDateKey", "BI_Date", "DateKey",
                              isActive=False),
            ],
            "roles": [{
                "name": "Dutch Companies",
                "modelPermission": "read",
                "members": [{"memberName": "csat-nl@example.com"}],
                "tablePermissions": [{"name": "BI_Companies",
                                      "filterExpression": "'BI_Companies'[Country] = \"Netherlands\""}],
            }],
            "perspectives": [{"name": "Service Desk", "tables": [{"name": "BI_Tickets",
                                                                   "measures": [{"name": "Closed %"}]}]}],
            "expressions": [
                {"name": "Server", "kind": "m", "expression": '"sql.example.com" meta [IsParameterQuery=true]'},
                {"name": "Database", "kind": "m", "expression": '"csat" meta [IsParameterQuery=true]'},
            ],
            "annotations": [{"name": "__PBI_TimeIntelligenceEnabled", "value": "0"}],
        },
    }


def generated_measures(database: dict[str, Any]) -> frozenset[str]:
    return frozenset(m["name"] for t in database["model"]["tables"] for m in t.get("measures", [])
                     if any(a["name"] == GENERATED for a in m.get("annotations", [])))


CONTEXT = LintContext(reference_measures=generated_measures(base_model()))


# --- small accessors used by the fixtures ----------------------------------------------------------------


def table(db: dict, name: str) -> dict:
    return next(t for t in db["model"]["tables"] if t["name"] == name)


def column(db: dict, table_name: str, name: str) -> dict:
    return next(c for c in table(db, table_name)["columns"] if c["name"] == name)


def measure(db: dict, name: str) -> dict:
    return next(m for t in db["model"]["tables"] for m in t.get("measures", []) if m["name"] == name)


def relationship(db: dict, name: str) -> dict:
    return next(r for r in db["model"]["relationships"] if r["name"] == name)


def add_measure(db: dict, name: str, expression: str, **extra: Any) -> dict:
    props = {"formatString": "#,0", "displayFolder": "Tickets", "description": name, **extra}
    new = {"name": name, "expression": expression, **props}
    table(db, "BI_Tickets")["measures"].append(new)
    return new


def add_calculated_column(db: dict, table_name: str, name: str, expression: str, **extra: Any) -> dict:
    new = {"name": name, "type": "calculated", "dataType": "string", "expression": expression,
           "description": name, "summarizeBy": "none", **extra}
    table(db, table_name)["columns"].append(new)
    return new


def add_table(db: dict, new: dict) -> dict:
    db["model"]["tables"].append(new)
    return new


def fixture_table(file_name: str) -> dict:
    return json.loads((FIXTURE_DIR / file_name).read_text(encoding="utf-8"))


def role_filter(db: dict) -> dict:
    return db["model"]["roles"][0]["tablePermissions"][0]


# --- one fixture per rule ----------------------------------------------------------------------------------

Mutation = Callable[[dict], None]
FIXTURES: dict[str, tuple[Mutation, str]] = {}


def fires(rule_id: str, object_name: str) -> Callable[[Mutation], Mutation]:
    """Register ``mutation`` as the fixture that makes ``rule_id`` report ``object_name``."""

    def register(mutation: Mutation) -> Mutation:
        assert rule_id not in FIXTURES, rule_id
        FIXTURES[rule_id] = (mutation, object_name)
        return mutation

    return register


# Performance


@fires("AVOID_FLOATING_POINT_DATA_TYPES", "'BI_Tickets'[Hours Worked]")
def _double_column(db: dict) -> None:
    column(db, "BI_Tickets", "Hours Worked")["dataType"] = "double"


@fires("ISAVAILABLEINMDX_FALSE_NONATTRIBUTE_COLUMNS", "'BI_Tickets'[CompanyKey]")
def _hidden_key_in_mdx(db: dict) -> None:
    del column(db, "BI_Tickets", "CompanyKey")["isAvailableInMdx"]


@fires("REDUCE_USAGE_OF_CALCULATED_COLUMNS_THAT_USE_THE_RELATED_FUNCTION", "'BI_Tickets'[Company Country]")
def _related_column(db: dict) -> None:
    add_calculated_column(db, "BI_Tickets", "Company Country", "RELATED ( 'BI_Companies'[Country] )")


@fires("SNOWFLAKE_SCHEMA_ARCHITECTURE", "'BI_Companies'")
def _snowflake(db: dict) -> None:
    table(db, "BI_Companies")["columns"].append(_key("RegionKey"))
    add_table(db, _table("BI_Regions", "Sales regions.", [_key("RegionKey", is_key=True), _text("Region", "Name.")]))
    db["model"]["relationships"].append(
        _relationship("company_region", "BI_Companies", "RegionKey", "BI_Regions", "RegionKey"))


@fires("MODEL_SHOULD_HAVE_A_DATE_TABLE", "MSP CSAT")
def _no_date_table(db: dict) -> None:
    del table(db, "BI_Date")["dataCategory"]


@fires("DATE/CALENDAR_TABLES_SHOULD_BE_MARKED_AS_A_DATE_TABLE", "'BI_Date'")
def _date_table_without_key(db: dict) -> None:
    column(db, "BI_Date", "Date")["isKey"] = False


@fires("REMOVE_AUTO-DATE_TABLE", "'LocalDateTable_5f6c1c2e-8a3b-4c7d-9e0f-1a2b3c4d5e6f'")
def _auto_date_table(db: dict) -> None:
    add_table(db, fixture_table("local_date_table.json"))


@fires("AVOID_EXCESSIVE_BI-DIRECTIONAL_OR_MANY-TO-MANY_RELATIONSHIPS", "MSP CSAT")
def _two_of_four_bidirectional(db: dict) -> None:
    for name in ("tickets_company", "tickets_queue"):
        relationship(db, name)["crossFilteringBehavior"] = "bothDirections"


@fires("LIMIT_ROW_LEVEL_SECURITY_(RLS)_LOGIC", "'BI_Companies'")
def _string_function_in_rls(db: dict) -> None:
    role_filter(db)["filterExpression"] = "UPPER ( 'BI_Companies'[Country] ) = \"NETHERLANDS\""


@fires("MODEL_USING_DIRECT_QUERY_AND_NO_AGGREGATIONS", "MSP CSAT")
def _direct_query(db: dict) -> None:
    table(db, "BI_Tickets")["partitions"][0]["mode"] = "directQuery"


@fires("MINIMIZE_POWER_QUERY_TRANSFORMATIONS", "'BI_Tickets'.'BI_Tickets'")
def _power_query_steps(db: dict) -> None:
    table(db, "BI_Tickets")["partitions"][0]["source"]["expression"] = [
        "let",
        "    Source = Sql.Database(Server, Database),",
        '    Data = Source{[Schema = "dbo", Item = "BI_Tickets"]}[Data],',
        '    Added = Table.AddColumn(Data, "Open", each [Status] <> "Complete")',
        "in",
        "    Added",
    ]


@fires("AVOID_USING_MANY-TO-MANY_RELATIONSHIPS_ON_TABLES_USED_FOR_DYNAMIC_ROW_LEVEL_SECURITY", "'BI_Companies'")
def _many_to_many_on_secured_table(db: dict) -> None:
    relationship(db, "tickets_company")["toCardinality"] = "many"


@fires("UNPIVOT_PIVOTED_(MONTH)_DATA", "'BI_Budget'")
def _pivoted_budget(db: dict) -> None:
    months = ["January", "February", "March", "April", "May", "June"]
    columns = [{"name": f"{m} Hours", "dataType": "decimal", "sourceColumn": m, "description": m,
                "summarizeBy": "none"} for m in months]
    add_table(db, _table("BI_Budget", "Budgeted hours per month.", [_key("CompanyKey"), *columns]))


@fires("MANY-TO-MANY_RELATIONSHIPS_SHOULD_BE_SINGLE-DIRECTION", "'BI_Tickets'[QueueKey] -> 'BI_Queues'[QueueKey]")
def _many_to_many_both_directions(db: dict) -> None:
    relationship(db, "tickets_queue").update(toCardinality="many", crossFilteringBehavior="bothDirections")


@fires("REDUCE_USAGE_OF_CALCULATED_TABLES", "'Ticket Statuses'")
def _calculated_table(db: dict) -> None:
    add_table(db, {
        "name": "Ticket Statuses", "description": "Distinct statuses.",
        "columns": [{"name": "Status", "dataType": "string", "type": "calculatedTableColumn",
                     "sourceColumn": "[Status]", "description": "Status.", "summarizeBy": "none"}],
        "partitions": [{"name": "Ticket Statuses", "mode": "import",
                        "source": {"type": "calculated", "expression": "DISTINCT ( 'BI_Tickets'[Status] )"}}],
    })


@fires("REMOVE_REDUNDANT_COLUMNS_IN_RELATED_TABLES", "'BI_Tickets'[Company]")
def _company_copied_into_tickets(db: dict) -> None:
    table(db, "BI_Tickets")["columns"].append(_text("Company", "The company name, copied."))


@fires("MEASURES_USING_TIME_INTELLIGENCE_AND_MODEL_IS_USING_DIRECT_QUERY", "[Tickets YTD]")
def _time_intelligence_on_direct_query(db: dict) -> None:
    _direct_query(db)
    add_measure(db, "Tickets YTD", "totalytd ( [Tickets], 'BI_Date'[Date] )")


@fires("REDUCE_NUMBER_OF_CALCULATED_COLUMNS", "MSP CSAT")
def _six_calculated_columns(db: dict) -> None:
    for number in range(6):
        add_calculated_column(db, "BI_Tickets", f"Label {number}", f"\"label {number}\"")


@fires("CHECK_IF_BI-DIRECTIONAL_AND_MANY-TO-MANY_RELATIONSHIPS_ARE_VALID",
       "'BI_Tickets'[CompanyKey] -> 'BI_Companies'[CompanyKey]")
def _one_bidirectional(db: dict) -> None:
    relationship(db, "tickets_company")["crossFilteringBehavior"] = "bothDirections"


@fires("CHECK_IF_DYNAMIC_ROW_LEVEL_SECURITY_(RLS)_IS_NECESSARY", "Dutch Companies/'BI_Companies'")
def _dynamic_rls(db: dict) -> None:
    role_filter(db)["filterExpression"] = "'BI_Companies'[Company] = USERPRINCIPALNAME ()"


# --- the tests ---------------------------------------------------------------------------------------------


def test_base_model_is_clean():
    findings = lint_database(base_model(), context=CONTEXT)
    assert findings == []


@pytest.mark.parametrize("rule_id", sorted(FIXTURES))
def test_rule_fires_on_its_fixture(rule_id: str):
    mutate, expected = FIXTURES[rule_id]
    assert lint_database(base_model(), rules=[rule_id], context=CONTEXT) == []
    database = base_model()
    mutate(database)
    findings = lint_database(database, rules=[rule_id], context=CONTEXT)
    assert {f.rule_id for f in findings} == {rule_id}
    assert expected in [f.object_name for f in findings], findings
    for finding in findings:
        assert finding.message and finding.hint


def test_every_rule_has_a_fixture():
    assert sorted(FIXTURES) == sorted(r.id for r in all_rules())


def _bpa_rules() -> list[dict]:
    """The BPA rules: the full reference file when it is present, else the repository's index of it."""
    index = json.loads((FIXTURE_DIR / "bpa_rules_index.json").read_text(encoding="utf-8"))["rules"]
    if BPA_RULES.exists():
        full = json.loads(BPA_RULES.read_text(encoding="utf-8-sig"))
        keys = ("ID", "Name", "Category", "Severity", "Scope")
        assert [{k: r[k] for k in keys} for r in full] == index, "tests/fixtures/lint/bpa_rules_index.json is stale"
        return full
    return index


def test_ported_rules_match_the_bpa_json():
    rules = {r.id: r for r in all_rules()}
    bpa = {r["ID"]: r for r in _bpa_rules()}
    assert len(bpa) == 71
    assert set(UNPORTED) <= set(bpa)
    for rule_id, rule in rules.items():
        if rule_id not in bpa:
            assert rule.category == "MSP CSAT", rule_id
            continue
        assert rule_id not in UNPORTED, rule_id
        source = bpa[rule_id]
        assert (rule.name, rule.severity, rule.category) == (source["Name"], source["Severity"], source["Category"])
        assert rule.scope == tuple(kind.strip() for kind in source["Scope"].split(",")), rule_id


def test_rule_metadata_is_complete():
    for rule in all_rules():
        assert rule.severity in (1, 2, 3)
        assert rule.scope and rule.description and rule.hint, rule.id


# --- thresholds and edges that the fixtures do not show ------------------------------------------------------


def test_one_bidirectional_relationship_in_four_is_not_excessive():
    database = base_model()
    _one_bidirectional(database)
    assert lint_database(database, rules=["AVOID_EXCESSIVE_BI-DIRECTIONAL_OR_MANY-TO-MANY_RELATIONSHIPS"]) == []


def test_five_calculated_columns_are_not_too_many():
    database = base_model()
    for number in range(5):
        add_calculated_column(database, "BI_Tickets", f"Label {number}", f"\"label {number}\"")
    assert lint_database(database, rules=["REDUCE_NUMBER_OF_CALCULATED_COLUMNS"]) == []


# --- selection, context, loading ------------------------------------------------------------------------------


def test_rule_selection_runs_only_the_chosen_rules():
    database = base_model()
    _double_column(database)
    _one_bidirectional(database)
    chosen = lint_database(database, rules=["avoid_floating_point_data_types"])
    assert [f.rule_id for f in chosen] == ["AVOID_FLOATING_POINT_DATA_TYPES"]
    everything = {f.rule_id for f in lint_database(database)}
    assert {"AVOID_FLOATING_POINT_DATA_TYPES", "CHECK_IF_BI-DIRECTIONAL_AND_MANY-TO-MANY_RELATIONSHIPS_ARE_VALID"} \
        <= everything
    assert lint_database(database, rules=[]) == []


def test_rule_selection_rejects_unknown_and_unported_ids():
    with pytest.raises(ToolError) as raised:
        select_rules(["NO_SUCH_RULE", "SPLIT_DATE_AND_TIME"])
    message = str(raised.value)
    assert "unknown rule id 'NO_SUCH_RULE'" in message
    assert "rule SPLIT_DATE_AND_TIME is not ported" in message


def test_findings_are_sorted_and_carry_the_rule_severity_and_hint():
    database = base_model()
    _double_column(database)
    _one_bidirectional(database)
    _no_date_table(database)
    findings = lint_database(database)
    assert findings == sorted(findings, key=lambda f: (-f.severity, f.rule_id, f.object_name, f.message))
    rules = {r.id: r for r in all_rules()}
    for finding in findings:
        assert finding.severity == rules[finding.rule_id].severity
        assert finding.hint == rules[finding.rule_id].hint


def test_lint_rejects_a_dict_that_is_not_a_database():
    with pytest.raises(ToolError, match="no \"model\" object"):
        lint_database({"name": "x"})


def test_load_bim_reads_utf8_with_and_without_bom(tmp_path: Path):
    text = json.dumps(base_model(), ensure_ascii=False)
    plain = tmp_path / "plain.bim"
    plain.write_text(text, encoding="utf-8")
    with_bom = tmp_path / "bom.bim"
    with_bom.write_text(text, encoding="utf-8-sig")
    assert load_bim(plain) == base_model()
    assert load_bim(str(with_bom)) == base_model()


def test_load_bim_names_the_file_on_bad_json(tmp_path: Path):
    broken = tmp_path / "broken model.bim"
    broken.write_text('{"model": {"tables": [}', encoding="utf-8")
    with pytest.raises(ToolError) as raised:
        load_bim(broken)
    assert str(broken) in str(raised.value)
    assert "not valid JSON" in str(raised.value)
    assert ":1:" in str(raised.value)


def test_load_bim_errors_name_the_file(tmp_path: Path):
    missing = tmp_path / "missing.bim"
    with pytest.raises(ToolError, match=re.escape("missing.bim: cannot read")):
        load_bim(missing)
    not_a_model = tmp_path / "list.bim"
    not_a_model.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ToolError, match=re.escape("list.bim: not a model.bim")):
        load_bim(not_a_model)
    latin = tmp_path / "latin.bim"
    latin.write_bytes('{"name": "Caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(ToolError, match=re.escape("latin.bim: not UTF-8")):
        load_bim(latin)


def test_lint_does_not_change_the_database():
    database = base_model()
    _many_to_many_both_directions(database)
    before = copy.deepcopy(database)
    lint_database(database)
    assert database == before
