"""Tabular Editor BPA rules of category Formatting."""

from __future__ import annotations

from collections.abc import Iterator

from generator.dax.lexer import TokenKind
from generator.lint.bpa_naming import scope_kinds, space_problem
from generator.lint.daxrefs import is_table_token
from generator.lint.modelview import ColumnView
from generator.lint.rules import Problem, Subject, rule

CATEGORY = "Formatting"
COLUMNS = "DataColumn, CalculatedColumn, CalculatedTableColumn"
PERCENT_FORMAT = "#,0.0%;-#,0.0%;#,0.0%"
AGGREGATIONS = ("COUNT", "COUNTBLANK", "SUM", "AVERAGE", "VALUES", "DISTINCT", "DISTINCTCOUNT", "MIN", "MAX",
                "COUNTA", "AVERAGEA", "MAXA", "MINA")
SPACE_SCOPE = "Model, Table, Measure, Hierarchy, Perspective, Partition, DataColumn, CalculatedColumn"
CAPITAL_SCOPE = ("Table, Measure, Hierarchy, CalculatedColumn, CalculatedTable, CalculatedTableColumn, "
                 "CalculationGroup")


@rule(id="FORMAT_FLAG_COLUMNS_AS_YES/NO_VALUE_STRINGS", name="[Formatting] Format flag columns as Yes/No value strings",
      category=CATEGORY, severity=1, scope=COLUMNS, description="Yes/No reads better than 0/1 in a report.",
      hint="Load the flag as a text column with the values Yes and No.")
def flag_columns(subject: Subject) -> Iterator[Problem]:
    for column in subject.model.columns:
        if column.hidden_or_table_hidden:
            continue
        if column.name.startswith("Is") and column.data_type == "int64":
            yield column.object_type, column.object_name, "visible 'Is…' flag stored as int64"
        elif column.name.endswith(" Flag") and column.data_type != "string":
            yield column.object_type, column.object_name, f"visible '… Flag' column stored as {column.data_type}"


@rule(id="OBJECTS_SHOULD_NOT_START_OR_END_WITH_A_SPACE",
      name="[Formatting] Objects should not start or end with a space", category=CATEGORY, severity=3,
      scope=SPACE_SCOPE, description="Names with leading or trailing spaces are hard to reference.",
      hint="Remove the spaces at the start and end of the name.")
def space_at_ends(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.objects(scope_kinds(SPACE_SCOPE)):
        problem = space_problem(obj.name)
        if problem:
            yield obj.object_type, obj.object_name, problem


def _named_datetime(subject: Subject, word: str, expected: str) -> Iterator[Problem]:
    for column in subject.model.columns:
        if (word.casefold() in column.name.casefold() and column.data_type == "datetime"
                and column.format_string != expected):
            shown = repr(column.format_string) if column.format_string else "no format string"
            yield column.object_type, column.object_name, f"{word} column with {shown}"


@rule(id="DATECOLUMN_FORMATSTRING", name='[Formatting] Provide format string for "Date" columns', category=CATEGORY,
      severity=1, scope=COLUMNS, description="DateTime columns named like a date should show as dates.",
      hint='Set formatString to "mm/dd/yyyy".')
def date_format(subject: Subject) -> Iterator[Problem]:
    yield from _named_datetime(subject, "Date", "mm/dd/yyyy")


@rule(id="MONTHCOLUMN_FORMATSTRING", name='[Formatting] Provide format string for "Month" columns',
      category=CATEGORY, severity=1, scope=COLUMNS, description="DateTime columns named like a month should show "
      "month and year.", hint='Set formatString to "MMMM yyyy".')
def month_format(subject: Subject) -> Iterator[Problem]:
    yield from _named_datetime(subject, "Month", "MMMM yyyy")


@rule(id="PROVIDE_FORMAT_STRING_FOR_MEASURES", name="[Formatting] Provide format string for measures",
      category=CATEGORY, severity=3, scope="Measure", description="Visible measures need a format string.",
      hint="Set the measure's formatString (or a format string expression).")
def measure_format(subject: Subject) -> Iterator[Problem]:
    for measure in subject.model.measures:
        if (not measure.hidden_or_table_hidden and not measure.format_string.strip()
                and not measure.format_string_expression.strip()):
            yield measure.object_type, measure.object_name, "visible measure without a format string"


@rule(id="NUMERIC_COLUMN_SUMMARIZE_BY", name="[Formatting] Do not summarize numeric columns", category=CATEGORY,
      severity=3, scope=COLUMNS, description="Visible numeric columns that summarize invite implicit measures.",
      hint='Set summarizeBy to "none" and write a measure instead.')
def summarize_by(subject: Subject) -> Iterator[Problem]:
    for column in subject.model.columns:
        if column.is_numeric and column.summarize_by != "none" and not column.hidden_or_table_hidden:
            yield (column.object_type, column.object_name,
                   f"visible {column.data_type} column with summarizeBy {column.summarize_by}")


@rule(id="PERCENTAGE_FORMATTING",
      name="[Formatting] Percentages should be formatted with thousands separators and 1 decimal",
      category=CATEGORY, severity=2, scope="Measure", description="One percentage format for every percentage.",
      hint=f'Set formatString to "{PERCENT_FORMAT}".')
def percentage_format(subject: Subject) -> Iterator[Problem]:
    for measure in subject.model.measures:
        if "%" in measure.format_string and measure.format_string != PERCENT_FORMAT:
            yield measure.object_type, measure.object_name, f"percentage format {measure.format_string!r}"


@rule(id="INTEGER_FORMATTING",
      name="[Formatting] Whole numbers should be formatted with thousands separators and no decimals",
      category=CATEGORY, severity=2, scope="Measure",
      description="Measures that are neither currency nor percentage use #,0 (or #,0.0).",
      hint='Set formatString to "#,0".')
def integer_format(subject: Subject) -> Iterator[Problem]:
    for measure in subject.model.measures:
        text = measure.format_string
        if "$" not in text and "%" not in text and text not in ("#,0", "#,0.0"):
            shown = repr(text) if text else "no format string"
            yield measure.object_type, measure.object_name, f"number format {shown}"


@rule(id="RELATIONSHIP_COLUMNS_SHOULD_BE_OF_INTEGER_DATA_TYPE",
      name="[Formatting] Relationship columns should be of integer data type", category=CATEGORY, severity=1,
      scope=COLUMNS, description="Integer keys make the smallest and fastest relationships.",
      hint="Use an int64 surrogate key for the relationship.")
def integer_keys(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in model.columns:
        if model.used_in_relationships(column) and column.data_type != "int64":
            yield column.object_type, column.object_name, f"relationship column of type {column.data_type}"


def _needs_category(column: ColumnView) -> bool:
    lower = column.name.lower()
    if column.data_type == "string" and any(word in lower for word in ("country", "continent", "city")):
        return True
    return lower in ("latitude", "longitude") and column.data_type in ("decimal", "double")


@rule(id="ADD_DATA_CATEGORY_FOR_COLUMNS", name="[Formatting] Add data category for columns", category=CATEGORY,
      severity=1, scope=COLUMNS, description="Geographic columns need a data category for maps.",
      hint="Set dataCategory (Country, Continent, City, Latitude or Longitude).")
def data_category(subject: Subject) -> Iterator[Problem]:
    for column in subject.model.columns:
        if not column.data_category.strip() and _needs_category(column):
            yield column.object_type, column.object_name, "geographic column without a data category"


@rule(id="HIDE_FOREIGN_KEYS", name="[Formatting] Hide foreign keys", category=CATEGORY, severity=2, scope=COLUMNS,
      description="Foreign keys should be hidden; users filter on the dimension.", hint="Set isHidden to true.")
def hide_foreign_keys(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in model.columns:
        if model.is_foreign_key(column) and not column.is_hidden:
            yield column.object_type, column.object_name, "visible foreign key"


@rule(id="MARK_PRIMARY_KEYS", name="[Formatting] Mark primary keys", category=CATEGORY, severity=1, scope=COLUMNS,
      description="The one-side column of a relationship is the table's key.", hint="Set isKey to true.")
def mark_primary_keys(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in model.columns:
        if (any(r.to_column is column and r.to_cardinality == "one" for r in model.relationships)
                and not column.is_key and column.table.data_category != "Time"):
            yield column.object_type, column.object_name, "primary key not marked with isKey"


def _aggregated_by(subject: Subject, column: ColumnView) -> list[str]:
    """The measures that aggregate ``column`` directly: ``SUM ( 'T'[C] )``, ``COUNT``, ``MIN`` …"""
    found = []
    table, name = column.table.name.casefold(), column.name.casefold()
    for obj in subject.model.dax_in_scope("Measure"):
        tokens = subject.tokens(obj)
        for open_index in subject.calls(obj, *AGGREGATIONS):
            window = tokens[open_index + 1:open_index + 4]
            if (len(window) == 3 and is_table_token(window, 0) and window[0].value.casefold() == table
                    and window[1].value.casefold() == name and window[2].kind == TokenKind.RPAREN):
                found.append(obj.object_name)
                break
    return sorted(set(found))


@rule(id="HIDE_FACT_TABLE_COLUMNS", name="[Formatting] Hide fact table columns", category=CATEGORY, severity=2,
      scope=COLUMNS, description="Numeric columns that measures aggregate should be hidden behind the measures.",
      hint="Set isHidden to true.")
def hide_fact_columns(subject: Subject) -> Iterator[Problem]:
    for column in subject.model.columns:
        if column.is_hidden or not column.is_numeric:
            continue
        measures = _aggregated_by(subject, column)
        if measures:
            yield column.object_type, column.object_name, f"visible, and aggregated by {', '.join(measures)}"


def _lower_first(name: str) -> bool:
    if not name:
        return False
    upper = name[0].upper()
    return len(upper) == 1 and upper != name[0]


@rule(id="FIRST_LETTER_OF_OBJECTS_MUST_BE_CAPITALIZED", name="[Formatting] First letter of objects must be capitalized",
      category=CATEGORY, severity=1, scope=CAPITAL_SCOPE, description="Names start with a capital letter.",
      hint="Capitalize the first letter of the name.")
def capitalized(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.objects(scope_kinds(CAPITAL_SCOPE)):
        if _lower_first(obj.name):
            yield obj.object_type, obj.object_name, "the name starts with a lower-case letter"


@rule(id="MONTH_(AS_A_STRING)_MUST_BE_SORTED", name="[Formatting] Month (as a string) must be sorted",
      category=CATEGORY, severity=2, scope=COLUMNS,
      description="Month names sort alphabetically (April, August …) unless sorted by a month number.",
      hint="Set sortByColumn to the month-number column.")
def month_sorted(subject: Subject) -> Iterator[Problem]:
    for column in subject.model.columns:
        upper = column.name.upper()
        if ("MONTH" in upper and "MONTHS" not in upper and column.data_type == "string"
                and column.sort_by_column is None):
            yield column.object_type, column.object_name, "month names without a sort-by column"
