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
from generator.semantic.tmsl import from_database

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


# DAX expressions


@fires("DAX_COLUMNS_FULLY_QUALIFIED", "[Hours Summed]")
def _unqualified_column(db: dict) -> None:
    add_measure(db, "Hours Summed", "SUMX ( 'BI_Tickets', [Hours Worked] )", formatString="#,0.0")


@fires("DAX_MEASURES_UNQUALIFIED", "[Closed %]")
def _qualified_measure(db: dict) -> None:
    measure(db, "Closed %")["expression"] = "DIVIDE ( 'BI_Tickets'[Closed Tickets], [Tickets] )"


@fires("AVOID_DUPLICATE_MEASURES", "[Ticket Count]")
def _duplicate_measure(db: dict) -> None:
    add_measure(db, "Ticket Count", "countrows('BI_Tickets')  // same as [Tickets]")


@fires("USE_THE_TREATAS_FUNCTION_INSTEAD_OF_INTERSECT", "[Tickets of Listed Companies]")
def _intersect(db: dict) -> None:
    add_measure(db, "Tickets of Listed Companies",
                "CALCULATE ( [Tickets], INTERSECT ( VALUES ( 'BI_Tickets'[CompanyKey] ), "
                "VALUES ( 'BI_Companies'[CompanyKey] ) ) )")


@fires("USE_THE_DIVIDE_FUNCTION_FOR_DIVISION", "[Closed %]")
def _slash(db: dict) -> None:
    measure(db, "Closed %")["expression"] = "[Closed Tickets] / [Tickets]"


@fires("AVOID_USING_THE_IFERROR_FUNCTION", "[Closed %]")
def _iferror(db: dict) -> None:
    measure(db, "Closed %")["expression"] = "IFERROR ( DIVIDE ( [Closed Tickets], [Tickets] ), 0 )"


@fires("MEASURES_SHOULD_NOT_BE_DIRECT_REFERENCES_OF_OTHER_MEASURES", "[Ticket Total]")
def _direct_reference(db: dict) -> None:
    add_measure(db, "Ticket Total", "[Tickets]")


@fires("FILTER_COLUMN_VALUES", "[Closed Tickets]")
def _filter_table_by_column(db: dict) -> None:
    measure(db, "Closed Tickets")["expression"] = (
        "CALCULATE ( [Tickets], FILTER ( 'BI_Tickets', 'BI_Tickets'[Status] = \"Complete\" ) )")


@fires("FILTER_MEASURE_VALUES_BY_COLUMNS", "[Tickets of Busy Companies]")
def _filter_table_by_measure(db: dict) -> None:
    add_measure(db, "Tickets of Busy Companies",
                "CALCULATE ( [Tickets], FILTER ( 'BI_Companies', [Tickets] > 10 ) )")


@fires("INACTIVE_RELATIONSHIPS_THAT_ARE_NEVER_ACTIVATED", "'BI_Tickets'[CompletedDateKey] -> 'BI_Date'[DateKey]")
def _userelationship_only_in_a_comment(db: dict) -> None:
    measure(db, "Completed Tickets")["expression"] = (
        "CALCULATE ( [Tickets] ) // USERELATIONSHIP ( 'BI_Tickets'[CompletedDateKey], 'BI_Date'[DateKey] )")


@fires("AVOID_USING_'1-(X/Y)'_SYNTAX", "[Open %]")
def _one_minus_divide(db: dict) -> None:
    add_measure(db, "Open %", "1 - DIVIDE ( [Closed Tickets], [Tickets] )", formatString=PERCENT)


@fires("EVALUATEANDLOG_SHOULD_NOT_BE_USED_IN_PRODUCTION_MODELS", "[Tickets]")
def _evaluateandlog(db: dict) -> None:
    measure(db, "Tickets")["expression"] = "EVALUATEANDLOG ( COUNTROWS ( 'BI_Tickets' ) )"


# Error prevention


@fires("DATA_COLUMNS_MUST_HAVE_A_SOURCE_COLUMN", "'BI_Tickets'[Status]")
def _no_source_column(db: dict) -> None:
    del column(db, "BI_Tickets", "Status")["sourceColumn"]


@fires("EXPRESSION_RELIANT_OBJECTS_MUST_HAVE_AN_EXPRESSION", "[Hours per Ticket]")
def _empty_expression(db: dict) -> None:
    measure(db, "Hours per Ticket")["expression"] = ["", "  "]


@fires("AVOID_STRUCTURED_DATA_SOURCES_WITH_PROVIDER_PARTITIONS", "'BI_Queues'.'BI_Queues'")
def _provider_partition(db: dict) -> None:
    db["model"]["dataSources"] = [{"type": "structured", "name": "SQL/csat",
                                   "connectionDetails": {"protocol": "tds",
                                                         "address": {"server": "sql", "database": "csat"}}}]
    table(db, "BI_Queues")["partitions"][0]["source"] = {"type": "query", "query": "SELECT * FROM dbo.BI_Queues",
                                                         "dataSource": "SQL/csat"}


@fires("AVOID_THE_USERELATIONSHIP_FUNCTION_AND_RLS_AGAINST_THE_SAME_TABLE", "'BI_Date'")
def _rls_on_activated_table(db: dict) -> None:
    db["model"]["roles"][0]["tablePermissions"].append(
        {"name": "BI_Date", "filterExpression": "'BI_Date'[Year] >= 2020"})


@fires("RELATIONSHIP_COLUMNS_SAME_DATA_TYPE", "'BI_Tickets'[QueueKey] -> 'BI_Queues'[QueueKey]")
def _text_foreign_key(db: dict) -> None:
    column(db, "BI_Tickets", "QueueKey")["dataType"] = "string"


@fires("AVOID_INVALID_NAME_CHARACTERS", "[Closed\x07%]")
def _bell_in_name(db: dict) -> None:
    measure(db, "Closed %")["name"] = "Closed\x07%"


@fires("AVOID_INVALID_DESCRIPTION_CHARACTERS", "'BI_Queues'")
def _nul_in_description(db: dict) -> None:
    table(db, "BI_Queues")["description"] = "One row per\x00queue."


@fires("SET_ISAVAILABLEINMDX_TO_TRUE_ON_NECESSARY_COLUMNS", "'BI_Date'[Month Number]")
def _sort_column_without_mdx(db: dict) -> None:
    column(db, "BI_Date", "Month Number")["isAvailableInMdx"] = False


# Maintenance


@fires("UNNECESSARY_COLUMNS", "'BI_Tickets'[Source System]")
def _unused_hidden_column(db: dict) -> None:
    table(db, "BI_Tickets")["columns"].append(
        {"name": "Source System", "dataType": "string", "sourceColumn": "source_system", "isHidden": True,
         "isAvailableInMdx": False})


@fires("UNNECESSARY_MEASURES", "[Hours per Ticket]")
def _unused_hidden_measure(db: dict) -> None:
    measure(db, "Hours per Ticket")["isHidden"] = True


@fires("REMOVE_DATA_SOURCES_NOT_REFERENCED_BY_ANY_PARTITIONS", "Legacy CSAT")
def _unused_data_source(db: dict) -> None:
    db["model"]["dataSources"] = [{"name": "Legacy CSAT", "connectionString": "Provider=SQLNCLI11;Data Source=old"}]


@fires("REMOVE_ROLES_WITH_NO_MEMBERS", "Dutch Companies")
def _role_without_members(db: dict) -> None:
    db["model"]["roles"][0]["members"] = []


@fires("ENSURE_TABLES_HAVE_RELATIONSHIPS", "'BI_Queues'")
def _unrelated_table(db: dict) -> None:
    db["model"]["relationships"].remove(relationship(db, "tickets_queue"))


@fires("OBJECTS_WITH_NO_DESCRIPTION", "'BI_Companies'[Company]")
def _no_description(db: dict) -> None:
    column(db, "BI_Companies", "Company")["description"] = "  "


@fires("PERSPECTIVES_WITH_NO_OBJECTS", "Service Desk")
def _empty_perspective(db: dict) -> None:
    db["model"]["perspectives"][0]["tables"] = []


@fires("CALCULATION_GROUPS_WITH_NO_CALCULATION_ITEMS", "'Time Calculation'")
def _calculation_group_without_items(db: dict) -> None:
    group = add_table(db, fixture_table("calculation_group.json"))
    group["calculationGroup"]["calculationItems"] = []


# Naming conventions


@fires("PARTITION_NAME_SHOULD_MATCH_TABLE_NAME_FOR_SINGLE_PARTITION_TABLES", "'BI_Tickets'")
def _partition_named_partition(db: dict) -> None:
    table(db, "BI_Tickets")["partitions"][0]["name"] = "Partition"


@fires("SPECIAL_CHARS_IN_OBJECT_NAMES", "[Closed\n%]")
def _line_break_in_name(db: dict) -> None:
    measure(db, "Closed %")["name"] = "Closed\n%"


@fires("TRIM_OBJECT_NAMES", "Dutch Companies ")
def _trailing_space_in_role(db: dict) -> None:
    db["model"]["roles"][0]["name"] = "Dutch Companies "


# Formatting


@fires("FORMAT_FLAG_COLUMNS_AS_YES/NO_VALUE_STRINGS", "'BI_Tickets'[IsBillable]")
def _integer_flag(db: dict) -> None:
    table(db, "BI_Tickets")["columns"].append(
        {"name": "IsBillable", "dataType": "int64", "sourceColumn": "is_billable", "summarizeBy": "none",
         "description": "1 when the ticket is billable."})


@fires("OBJECTS_SHOULD_NOT_START_OR_END_WITH_A_SPACE", "'BI_Tickets'[ Status]")
def _leading_space_in_column(db: dict) -> None:
    column(db, "BI_Tickets", "Status")["name"] = " Status"


@fires("DATECOLUMN_FORMATSTRING", "'BI_Date'[Date]")
def _iso_date_format(db: dict) -> None:
    column(db, "BI_Date", "Date")["formatString"] = "yyyy-mm-dd"


@fires("MONTHCOLUMN_FORMATSTRING", "'BI_Date'[Month Start]")
def _month_start_as_date(db: dict) -> None:
    table(db, "BI_Date")["columns"].append(
        {"name": "Month Start", "dataType": "dateTime", "sourceColumn": "Month Start", "formatString": "mm/dd/yyyy",
         "description": "First day of the month."})


@fires("PROVIDE_FORMAT_STRING_FOR_MEASURES", "[Tickets]")
def _no_format_string(db: dict) -> None:
    del measure(db, "Tickets")["formatString"]


@fires("NUMERIC_COLUMN_SUMMARIZE_BY", "'BI_Date'[Year]")
def _default_summarize_by(db: dict) -> None:
    del column(db, "BI_Date", "Year")["summarizeBy"]


@fires("PERCENTAGE_FORMATTING", "[Closed %]")
def _other_percentage_format(db: dict) -> None:
    measure(db, "Closed %")["formatString"] = "0.00%"


@fires("INTEGER_FORMATTING", "[Tickets]")
def _plain_integer_format(db: dict) -> None:
    measure(db, "Tickets")["formatString"] = "0"


@fires("RELATIONSHIP_COLUMNS_SHOULD_BE_OF_INTEGER_DATA_TYPE", "'BI_Date'[Date]")
def _date_relationship(db: dict) -> None:
    table(db, "BI_Tickets")["columns"].append(
        {"name": "Created", "dataType": "dateTime", "sourceColumn": "created", "isHidden": True,
         "formatString": "mm/dd/yyyy", "isAvailableInMdx": False})
    relationship(db, "tickets_created").update(fromColumn="Created", toColumn="Date")


@fires("ADD_DATA_CATEGORY_FOR_COLUMNS", "'BI_Companies'[Country]")
def _country_without_category(db: dict) -> None:
    del column(db, "BI_Companies", "Country")["dataCategory"]


@fires("HIDE_FOREIGN_KEYS", "'BI_Tickets'[CompanyKey]")
def _visible_foreign_key(db: dict) -> None:
    column(db, "BI_Tickets", "CompanyKey")["isHidden"] = False


@fires("MARK_PRIMARY_KEYS", "'BI_Queues'[QueueKey]")
def _unmarked_primary_key(db: dict) -> None:
    del column(db, "BI_Queues", "QueueKey")["isKey"]


@fires("HIDE_FACT_TABLE_COLUMNS", "'BI_Tickets'[Hours Worked]")
def _visible_aggregated_column(db: dict) -> None:
    column(db, "BI_Tickets", "Hours Worked")["isHidden"] = False


@fires("FIRST_LETTER_OF_OBJECTS_MUST_BE_CAPITALIZED", "'BI_Date'[calendar]")
def _lower_case_hierarchy(db: dict) -> None:
    table(db, "BI_Date")["hierarchies"][0]["name"] = "calendar"


@fires("MONTH_(AS_A_STRING)_MUST_BE_SORTED", "'BI_Date'[Month]")
def _unsorted_month(db: dict) -> None:
    del column(db, "BI_Date", "Month")["sortByColumn"]


# Our own rules


@fires("MSP_UNKNOWN_REFERENCE", "[Closed Tickets]")
def _unknown_column(db: dict) -> None:
    measure(db, "Closed Tickets")["expression"] = "CALCULATE ( [Tickets], 'BI_Tickets'[State] = \"Complete\" )"


@fires("MSP_NO_REFERENCE_IMPLEMENTATION", "[Reopened Tickets]")
def _generated_without_reference(db: dict) -> None:
    add_measure(db, "Reopened Tickets", "CALCULATE ( [Tickets], 'BI_Tickets'[Status] = \"Reopened\" )",
                annotations=[{"name": GENERATED, "value": "true"}])


@fires("MSP_MEASURE_WITHOUT_FOLDER", "[Tickets]")
def _measure_without_folder(db: dict) -> None:
    measure(db, "Tickets")["displayFolder"] = ""


@fires("MSP_ROLE_FILTER_REACHES_NO_FACT", "Dutch Companies/'BI_UserMap'")
def _role_filter_on_unrelated_mapping(db: dict) -> None:
    add_table(db, _table("BI_UserMap", "Which user sees which company.",
                         [_text("Upn", "User principal name."), _key("CompanyKey")]))
    db["model"]["roles"][0]["tablePermissions"] = [
        {"name": "BI_UserMap", "filterExpression": "'BI_UserMap'[Upn] = USERPRINCIPALNAME ()"}]


@fires("MSP_BIDIRECTIONAL_WIDENS_ROLE", "'BI_Tickets'[QueueKey] -> 'BI_Queues'[QueueKey]")
def _bidirectional_beside_a_role(db: dict) -> None:
    relationship(db, "tickets_queue")["crossFilteringBehavior"] = "bothDirections"


@fires("MSP_UNREADABLE_DAX", "[Closed Tickets]")
def _unterminated_string(db: dict) -> None:
    measure(db, "Closed Tickets")["expression"] = "CALCULATE ( [Tickets], 'BI_Tickets'[Status] = \"Complete )"


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


def test_every_bpa_rule_is_ported_or_unported_never_both():
    ported = {r.id for r in all_rules()}
    for source in _bpa_rules():
        assert (source["ID"] in ported) != (source["ID"] in UNPORTED), source["ID"]
    assert all(reason.endswith(".") and len(reason) > 20 for reason in UNPORTED.values())


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
    assert load_bim(plain) == from_database(base_model())
    assert load_bim(str(with_bom)) == from_database(base_model())


def test_load_bim_names_the_file_on_bad_json(tmp_path: Path):
    broken = tmp_path / "broken model.bim"
    broken.write_text('{"model": {"tables": [}', encoding="utf-8")
    with pytest.raises(ToolError) as raised:
        load_bim(broken)
    assert str(broken) in str(raised.value)
    assert "invalid JSON" in str(raised.value)
    assert ":1:" in str(raised.value)


def test_load_bim_errors_name_the_file(tmp_path: Path):
    missing = tmp_path / "missing.bim"
    with pytest.raises(ToolError, match=re.escape("missing.bim: cannot read")):
        load_bim(missing)
    not_a_model = tmp_path / "list.bim"
    not_a_model.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ToolError, match=re.escape("list.bim:1: is not a TMSL model")):
        load_bim(not_a_model)
    latin = tmp_path / "latin.bim"
    latin.write_bytes('{"name": "Caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(ToolError, match=re.escape("latin.bim: is not UTF-8")):
        load_bim(latin)


def test_lint_does_not_change_the_database():
    database = base_model()
    _many_to_many_both_directions(database)
    before = copy.deepcopy(database)
    lint_database(database)
    assert database == before


# --- behaviour the fixtures do not show ---------------------------------------------------------------------


def _fired(database: dict, rule_id: str, context: LintContext | None = None) -> list[str]:
    return [f.object_name for f in lint_database(database, rules=[rule_id], context=context)]


def test_reference_rule_is_skipped_without_reference_measures():
    database = base_model()
    _generated_without_reference(database)
    assert _fired(database, "MSP_NO_REFERENCE_IMPLEMENTATION") == []
    assert _fired(database, "MSP_NO_REFERENCE_IMPLEMENTATION", LintContext()) == []
    assert _fired(database, "MSP_NO_REFERENCE_IMPLEMENTATION", LintContext(frozenset())) == sorted(
        f"[{name}]" for name in generated_measures(database))
    known = LintContext(reference_measures=frozenset({"reopened tickets"}) | CONTEXT.reference_measures)
    assert _fired(database, "MSP_NO_REFERENCE_IMPLEMENTATION", known) == []


def test_names_in_strings_and_comments_are_not_code():
    database = base_model()
    add_measure(database, "Notes", '"IFERROR ( 1 / 0 ) and EVALUATEANDLOG ( x )" // [Tickets] / 2 INTERSECT (')
    add_calculated_column(database, "BI_Tickets", "Related Count", "COUNTROWS ( RELATEDTABLE ( 'BI_Queues' ) )",
                          dataType="int64", isHidden=True)
    for rule_id in ("AVOID_USING_THE_IFERROR_FUNCTION", "EVALUATEANDLOG_SHOULD_NOT_BE_USED_IN_PRODUCTION_MODELS",
                    "USE_THE_DIVIDE_FUNCTION_FOR_DIVISION", "USE_THE_TREATAS_FUNCTION_INSTEAD_OF_INTERSECT",
                    "REDUCE_USAGE_OF_CALCULATED_COLUMNS_THAT_USE_THE_RELATED_FUNCTION", "MSP_UNKNOWN_REFERENCE"):
        assert _fired(database, rule_id) == [], rule_id


@pytest.mark.parametrize(
    ("expression", "fires_rule"),
    [
        ("[Closed Tickets] / [Tickets]", True),
        ("COUNTROWS ( 'BI_Tickets' ) / 2", True),
        ("SUM ( 'BI_Tickets'[Hours Worked] ) /* per day */ / 8", True),
        ("24 / 8", False),
        ("VAR x = [Tickets] RETURN x / 2", False),
        ("DIVIDE ( [Closed Tickets], [Tickets] ) // [a] / [b]", False),
    ],
)
def test_divide_rule_looks_at_the_token_before_the_slash(expression: str, fires_rule: bool):
    database = base_model()
    measure(database, "Closed %")["expression"] = expression
    assert (_fired(database, "USE_THE_DIVIDE_FUNCTION_FOR_DIVISION") == ["[Closed %]"]) is fires_rule


@pytest.mark.parametrize(
    ("expression", "fires_rule"),
    [
        ("1 - DIVIDE ( [Closed Tickets], [Tickets] )", True),
        ("1 + ( ( SUM ( 'BI_Tickets'[Hours Worked] ) / [Tickets] ) )", True),
        ("1 - SUM ( BI_Tickets[Hours Worked] ) / 8", True),
        ("DIVIDE ( [Tickets] - [Closed Tickets], [Tickets] )", False),
        ("1 - SUM ( 'BI_Tickets'[Hours Worked] )", False),
        ("[Tickets] - DIVIDE ( 1, 2 )", False),
    ],
)
def test_one_minus_ratio_patterns(expression: str, fires_rule: bool):
    database = base_model()
    measure(database, "Closed %")["expression"] = expression
    assert (_fired(database, "AVOID_USING_'1-(X/Y)'_SYNTAX") == ["[Closed %]"]) is fires_rule


def test_userelationship_activates_in_either_argument_order():
    database = base_model()
    measure(database, "Completed Tickets")["expression"] = (
        "CALCULATE ( [Tickets], USERELATIONSHIP ( bi_date[datekey], 'BI_Tickets'[CompletedDateKey] ) )")
    assert _fired(database, "INACTIVE_RELATIONSHIPS_THAT_ARE_NEVER_ACTIVATED") == []


def test_filter_rules_look_at_every_filter_argument_only():
    database = base_model()
    measure(database, "Closed Tickets")["expression"] = (
        "CALCULATE ( SUMX ( 'BI_Tickets', 1 ), 'BI_Date'[Year] = 2024, "
        "FILTER ( BI_Tickets, BI_Tickets[Status] = \"Complete\" ) )")
    add_measure(database, "Filtered Rows", "COUNTROWS ( FILTER ( 'BI_Tickets', 'BI_Tickets'[Status] = \"x\" ) )")
    assert _fired(database, "FILTER_COLUMN_VALUES") == ["[Closed Tickets]"]


def test_hide_foreign_keys_looks_at_the_column_not_its_name():
    database = base_model()
    column(database, "BI_Companies", "CompanyKey")["isHidden"] = False
    assert _fired(database, "HIDE_FOREIGN_KEYS") == []
    relationship(database, "tickets_company")["fromCardinality"] = "one"
    column(database, "BI_Tickets", "CompanyKey")["isHidden"] = False
    assert _fired(database, "HIDE_FOREIGN_KEYS") == []


def test_unknown_references_in_filters_and_calculated_columns():
    database = base_model()
    role_filter(database)["filterExpression"] = "'BI_Companies'[Region] = \"EU\""
    add_calculated_column(database, "BI_Tickets", "Queue Name", "RELATED ( 'BI_Queue'[Queue] )")
    add_calculated_column(database, "BI_Tickets", "Open", "[Status] <> \"Complete\"", dataType="boolean")
    findings = lint_database(database, rules=["MSP_UNKNOWN_REFERENCE"])
    assert [(f.object_type, f.object_name) for f in findings] == [
        ("calculated column", "'BI_Tickets'[Queue Name]"),
        ("table permission", "Dutch Companies/'BI_Companies'"),
    ]
    assert "table 'BI_Queue', which the model does not have" in findings[0].message
    assert "'BI_Companies'[Region]: table 'BI_Companies' has no such column or measure" in findings[1].message


def test_names_an_expression_defines_are_not_unknown():
    database = base_model()
    add_measure(database, "Busiest Queue Tickets",
                "MAXX ( ADDCOLUMNS ( VALUES ( 'BI_Queues'[Queue] ), \"Queue Tickets\", [Tickets] ), "
                "[Queue Tickets] )")
    add_measure(database, "Series Total", "SUMX ( GENERATESERIES ( 1, 3 ), [Value] )")
    add_measure(database, "Typo", "[Tickets ] + [Ticket]")
    findings = lint_database(database, rules=["MSP_UNKNOWN_REFERENCE"])
    assert [(f.object_name, f.message) for f in findings] == [
        ("[Typo]", "[Ticket] is neither a measure nor a column of the model"),
        ("[Typo]", "[Tickets ] is neither a measure nor a column of the model"),
    ]


def test_unqualified_columns_in_row_filters_must_be_qualified():
    database = base_model()
    role_filter(database)["filterExpression"] = "[Country] = \"Netherlands\""
    assert _fired(database, "DAX_COLUMNS_FULLY_QUALIFIED") == ["Dutch Companies/'BI_Companies'"]
    assert _fired(database, "MSP_UNKNOWN_REFERENCE") == []


def test_hidden_columns_used_by_security_are_necessary():
    database = base_model()
    _unused_hidden_column(database)
    role_filter(database)["filterExpression"] = "'BI_Companies'[Country] = \"Netherlands\""
    database["model"]["roles"][0]["tablePermissions"].append(
        {"name": "BI_Tickets", "filterExpression": "'BI_Tickets'[Source System] = \"Autotask\""})
    assert _fired(database, "UNNECESSARY_COLUMNS") == []
    database["model"]["roles"][0]["tablePermissions"][1] = {
        "name": "BI_Tickets", "columnPermissions": [{"name": "Source System", "metadataPermission": "none"}]}
    assert _fired(database, "UNNECESSARY_COLUMNS") == []


def test_a_calculation_group_keeps_the_base_clean():
    database = base_model()
    add_table(database, fixture_table("calculation_group.json"))
    assert lint_database(database, context=CONTEXT) == []


def test_invalid_characters_follow_dotnet_white_space():
    database = base_model()
    measure(database, "Closed %")["name"] = "Closed\t%\x1f"
    assert _fired(database, "AVOID_INVALID_NAME_CHARACTERS") == ["[Closed\t%\x1f]"]
    measure(database, "Closed\t%\x1f")["name"] = "Closed\t%"
    assert _fired(database, "AVOID_INVALID_NAME_CHARACTERS") == []
    assert _fired(database, "SPECIAL_CHARS_IN_OBJECT_NAMES") == ["[Closed\t%]"]


def test_load_bim_reads_utf16(tmp_path: Path):
    path = tmp_path / "DataModelSchema.bim"
    path.write_bytes(json.dumps(base_model()).encode("utf-16"))
    assert load_bim(path) == from_database(base_model())


# --- the model view the rules (and suppressions) read --------------------------------------------------------


def test_model_view_defaults_and_helpers():
    from generator.lint.modelview import ModelView

    view = ModelView(base_model())
    assert view.model_object.object_name == "MSP CSAT"
    assert view.model_object.annotations == {"__PBI_TimeIntelligenceEnabled": "0"}
    tickets = view.table("bi_tickets")
    assert tickets is not None and tickets.kind == "Table"
    company_key = tickets.column("CompanyKey")
    assert company_key is not None and view.is_foreign_key(company_key)
    assert [r.name for r in view.used_in_relationships(company_key)] == ["tickets_company"]
    completed = next(r for r in view.relationships if r.name == "tickets_completed")
    assert (completed.is_active, completed.cross_filtering, completed.from_cardinality,
            completed.to_cardinality) == (False, "onedirection", "many", "one")
    hours = tickets.column("Hours Worked")
    assert [d.object_name for d in view.referenced_by(hours)] == ["[Hours Worked Total]"]
    assert [d.object_name for d in view.referenced_by(view.measure("tickets"))] == [
        "[Closed Tickets]", "[Closed %]", "[Completed Tickets]", "[Hours per Ticket]"]
    assert view.table("BI_Date").is_marked_date_table
    assert view.measure("Completed Tickets").expression.startswith("CALCULATE (\n    [Tickets],")
