"""Tabular Editor BPA rules of category Performance that the model definition alone can decide."""

from __future__ import annotations

from collections.abc import Iterator

from generator.lint.modelview import ColumnView, TableView
from generator.lint.rules import Problem, Subject, rule
from generator.text import plural

CATEGORY = "Performance"
COLUMNS = ("DataColumn", "CalculatedColumn", "CalculatedTableColumn")
NUMERIC = ("int64", "decimal", "double")
TIME_INTELLIGENCE = (
    "CLOSINGBALANCEMONTH", "CLOSINGBALANCEQUARTER", "CLOSINGBALANCEYEAR", "DATEADD", "DATESBETWEEN", "DATESINPERIOD",
    "DATESMTD", "DATESQTD", "DATESYTD", "ENDOFMONTH", "ENDOFQUARTER", "ENDOFYEAR", "FIRSTDATE", "FIRSTNONBLANK",
    "FIRSTNONBLANKVALUE", "LASTDATE", "LASTNONBLANK", "LASTNONBLANKVALUE", "NEXTDAY", "NEXTMONTH", "NEXTQUARTER",
    "NEXTYEAR", "OPENINGBALANCEMONTH", "OPENINGBALANCEQUARTER", "OPENINGBALANCEYEAR", "PARALLELPERIOD", "PREVIOUSDAY",
    "PREVIOUSMONTH", "PREVIOUSQUARTER", "PREVIOUSYEAR", "SAMEPERIODLASTYEAR", "STARTOFMONTH", "STARTOFQUARTER",
    "STARTOFYEAR", "TOTALMTD", "TOTALQTD", "TOTALYTD",
)
POWER_QUERY_STEPS = (
    "Table.Combine(", "Table.Join(", "Table.NestedJoin(", "Table.AddColumn(", "Table.Group(", "Table.Sort(",
    "Table.Pivot(", "Table.Unpivot(", "Table.UnpivotOtherColumns(", "Table.Distinct(", '[Query="SELECT',
    "Value.NativeQuery", "OleDb.Query", "Odbc.Query",
)
RLS_STRING_FUNCTIONS = ("RIGHT", "LEFT", "UPPER", "LOWER", "FIND")


def _columns(subject: Subject) -> list[ColumnView]:
    return subject.model.columns


def _tables(subject: Subject, *kinds: str) -> list[TableView]:
    return [t for t in subject.model.tables if t.kind in kinds]


@rule(id="AVOID_FLOATING_POINT_DATA_TYPES", name="[Performance] Do not use floating point data types",
      category=CATEGORY, severity=2, scope="DataColumn, CalculatedColumn, CalculatedTableColumn",
      description="Double columns can round unpredictably and are slower than Int64 or Decimal.",
      hint="Change the data type to Decimal (fixed decimal number) or Int64.")
def floating_point(subject: Subject) -> Iterator[Problem]:
    for column in _columns(subject):
        if column.data_type == "double":
            yield column.object_type, column.object_name, "the data type is Double"


@rule(id="ISAVAILABLEINMDX_FALSE_NONATTRIBUTE_COLUMNS",
      name="[Performance] Set IsAvailableInMdx to false on non-attribute columns", category=CATEGORY, severity=2,
      scope="DataColumn, CalculatedColumn, CalculatedTableColumn",
      description="Hidden columns that no sort-by, hierarchy or variation uses need no attribute hierarchy.",
      hint="Set isAvailableInMdx to false.")
def mdx_on_non_attribute(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in _columns(subject):
        if (column.is_available_in_mdx and column.hidden_or_table_hidden and not model.used_in_sort_by(column)
                and not model.used_in_hierarchies(column) and not model.used_in_variations(column)
                and column.sort_by_column is None):
            yield (column.object_type, column.object_name,
                   "hidden column, not used for sorting or in a hierarchy, builds an attribute hierarchy")


@rule(id="REDUCE_USAGE_OF_CALCULATED_COLUMNS_THAT_USE_THE_RELATED_FUNCTION",
      name="[Performance] Reduce usage of calculated columns that use the RELATED function", category=CATEGORY,
      severity=2, scope="CalculatedColumn",
      description="Calculated columns compress worse than data columns; those using RELATED are easy to avoid.",
      hint="Bring the related value in at the source (or in Power Query) instead of a calculated column.")
def calculated_related(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("CalculatedColumn"):
        if subject.calls(obj, "RELATED"):
            yield obj.object_type, obj.object_name, "calculated column uses RELATED"


@rule(id="SNOWFLAKE_SCHEMA_ARCHITECTURE",
      name="[Performance] Consider a star-schema instead of a snowflake architecture", category=CATEGORY,
      severity=2, scope="Table, CalculatedTable",
      description="A table on the from side of one relationship and the to side of another forms a snowflake.",
      hint="Flatten the chain of dimension tables into one dimension (star schema).")
def snowflake(subject: Subject) -> Iterator[Problem]:
    for table in _tables(subject, "Table", "CalculatedTable"):
        relationships = subject.model.relationships_of_table(table)
        name = table.name.casefold()
        if (any(r.from_table.casefold() == name for r in relationships)
                and any(r.to_table.casefold() == name for r in relationships)):
            yield (table.object_type, table.object_name,
                   "the table is the from-table of one relationship and the to-table of another")


@rule(id="MODEL_SHOULD_HAVE_A_DATE_TABLE", name="[Performance] Model should have a date table", category=CATEGORY,
      severity=2, scope="Model", description="Time intelligence needs a table marked as a date table.",
      hint="Add a date table with dataCategory Time and an isKey dateTime column.")
def needs_date_table(subject: Subject) -> Iterator[Problem]:
    if not any(table.is_marked_date_table for table in subject.model.tables):
        model = subject.model.model_object
        yield model.object_type, model.object_name, "no table is marked as a date table"


@rule(id="DATE/CALENDAR_TABLES_SHOULD_BE_MARKED_AS_A_DATE_TABLE",
      name="[Performance] Date/calendar tables should be marked as a date table", category=CATEGORY, severity=2,
      scope="Table, CalculatedTable",
      description="A table whose name contains 'date' or 'calendar' is probably a date table and should be marked.",
      hint="Mark it as a date table: dataCategory Time and isKey on its unique dateTime column.")
def mark_date_tables(subject: Subject) -> Iterator[Problem]:
    for table in _tables(subject, "Table", "CalculatedTable"):
        upper = table.name.upper()
        if ("DATE" in upper or "CALENDAR" in upper) and not table.is_marked_date_table:
            yield table.object_type, table.object_name, "the table looks like a date table but is not marked as one"


@rule(id="REMOVE_AUTO-DATE_TABLE", name="[Performance] Remove auto-date table", category=CATEGORY, severity=2,
      scope="Table, CalculatedTable", description="Auto date/time tables cost memory for every date column.",
      hint="Turn off Auto date/time in Power BI Desktop and use one marked date table.")
def auto_date_tables(subject: Subject) -> Iterator[Problem]:
    for table in _tables(subject, "CalculatedTable"):
        if table.name.startswith(("DateTableTemplate_", "LocalDateTable_")):
            yield table.object_type, table.object_name, "auto date/time table"


@rule(id="AVOID_EXCESSIVE_BI-DIRECTIONAL_OR_MANY-TO-MANY_RELATIONSHIPS",
      name="[Performance] Avoid excessive bi-directional or many-to-many relationships", category=CATEGORY,
      severity=2, scope="Model",
      description="More than 30% of the relationships are bi-directional or many-to-many.",
      hint="Make relationships single-direction and many-to-one where the model allows it.")
def excessive_bidirectional(subject: Subject) -> Iterator[Problem]:
    relationships = subject.model.relationships
    count = sum(r.is_bidirectional for r in relationships) + sum(r.is_many_to_many for r in relationships)
    if count / max(len(relationships), 1) > 0.3:
        model = subject.model.model_object
        yield (model.object_type, model.object_name,
               f"{plural(count, 'bi-directional or many-to-many setting')} on "
               f"{plural(len(relationships), 'relationship')} (over 30%)")


@rule(id="LIMIT_ROW_LEVEL_SECURITY_(RLS)_LOGIC", name="[Performance] Limit row level security (RLS) logic",
      category=CATEGORY, severity=2, scope="Table, CalculatedTable",
      description="String functions in row-level security filters are evaluated per query; move them upstream.",
      hint="Precompute the value in the source and filter on a plain column.")
def rls_logic(subject: Subject) -> Iterator[Problem]:
    for table in _tables(subject, "Table", "CalculatedTable"):
        used: set[str] = set()
        for obj in subject.model.dax_in_scope("TablePermission"):
            if obj.table is table:
                used.update(subject.called(obj, *RLS_STRING_FUNCTIONS))
        if used:
            yield (table.object_type, table.object_name,
                   f"row-level security filters call {', '.join(sorted(used))}")


@rule(id="MODEL_USING_DIRECT_QUERY_AND_NO_AGGREGATIONS",
      name="[Performance] Consider using aggregations if using Direct Query in Power BI", category=CATEGORY,
      severity=1, scope="Model",
      description="A Power BI model with DirectQuery tables and no aggregation tables.",
      hint="Add aggregation tables (columns with alternateOf) for the DirectQuery tables.")
def direct_query_without_aggregations(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    version = model.default_power_bi_data_source_version.lower()
    if (any(t.is_direct_query for t in model.tables) and not any(c.obj.alternate_of for c in model.columns)
            and version == "powerbi_v3"):
        yield model.model_object.object_type, model.model_object.object_name, "DirectQuery tables, no aggregations"


@rule(id="MINIMIZE_POWER_QUERY_TRANSFORMATIONS", name="[Performance] Minimize Power Query transformations",
      category=CATEGORY, severity=2, scope="Partition",
      description="Transformations in M slow down processing; push them to the source.",
      hint="Move the transformation into a view or table in the data warehouse and check query folding.")
def power_query_transformations(subject: Subject) -> Iterator[Problem]:
    for partition in subject.model.partitions:
        if partition.source_type == "m":
            found = [step for step in POWER_QUERY_STEPS if step in partition.expression]
            if found:
                yield partition.object_type, partition.object_name, f"the M query uses {', '.join(found)}"


@rule(id="AVOID_USING_MANY-TO-MANY_RELATIONSHIPS_ON_TABLES_USED_FOR_DYNAMIC_ROW_LEVEL_SECURITY",
      name="[Performance] Avoid using many-to-many relationships on tables used for dynamic row level security",
      category=CATEGORY, severity=3, scope="Table",
      description="Many-to-many relationships on a table with row-level security degrade every query.",
      hint="Relate a single dimension many-to-one to a security table instead.")
def many_to_many_with_rls(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for table in _tables(subject, "Table"):
        if any(r.is_many_to_many for r in model.relationships_of_table(table)) and model.row_filters(table):
            yield (table.object_type, table.object_name,
                   "the table has row-level security and a many-to-many relationship")


@rule(id="UNPIVOT_PIVOTED_(MONTH)_DATA", name="[Performance] Unpivot pivoted (month) data", category=CATEGORY,
      severity=2, scope="Table, CalculatedTable",
      description="One numeric column per month (Jan … Jun) is pivoted data.",
      hint="Unpivot the month columns into a month column and a value column.")
def pivoted_months(subject: Subject) -> Iterator[Problem]:
    for table in _tables(subject, "Table", "CalculatedTable"):
        if all(any(month in c.name.upper() and c.data_type in NUMERIC for c in table.columns)
               for month in ("JAN", "FEB", "MAR", "APR", "MAY", "JUN")):
            yield table.object_type, table.object_name, "numeric columns per month (pivoted data)"


@rule(id="MANY-TO-MANY_RELATIONSHIPS_SHOULD_BE_SINGLE-DIRECTION",
      name="[Performance] Many-to-many relationships should be single-direction", category=CATEGORY, severity=2,
      scope="Relationship", description="A many-to-many relationship that filters both ways.",
      hint="Set crossFilteringBehavior to oneDirection.")
def many_to_many_bidirectional(subject: Subject) -> Iterator[Problem]:
    for relationship in subject.model.relationships:
        if relationship.is_many_to_many and relationship.is_bidirectional:
            yield relationship.object_type, relationship.object_name, "many-to-many and bi-directional"


@rule(id="REDUCE_USAGE_OF_CALCULATED_TABLES", name="[Performance] Reduce usage of calculated tables",
      category=CATEGORY, severity=2, scope="CalculatedTable",
      description="Calculated table logic belongs in the data warehouse.",
      hint="Build the table in the source and load it as a regular table.")
def calculated_tables(subject: Subject) -> Iterator[Problem]:
    for table in _tables(subject, "CalculatedTable"):
        yield table.object_type, table.object_name, "calculated table"


@rule(id="REMOVE_REDUNDANT_COLUMNS_IN_RELATED_TABLES", name="[Performance] Remove redundant columns in related tables",
      category=CATEGORY, severity=2, scope="DataColumn, CalculatedColumn, CalculatedTableColumn",
      description="A column repeated in a table this table relates to is redundant.",
      hint="Remove the copy and use the column of the related table.")
def redundant_columns(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in _columns(subject):
        if model.used_in_relationships(column):
            continue
        here = column.table.name.casefold()
        for other in model.columns_named(column.name):
            if other.table is not column.table and any(
                    r.from_table.casefold() == here for r in model.relationships_of_table(other.table)):
                yield (column.object_type, column.object_name,
                       f"the related table has the same column {other.object_name}")
                break


@rule(id="MEASURES_USING_TIME_INTELLIGENCE_AND_MODEL_IS_USING_DIRECT_QUERY",
      name="[Performance] Measures using time intelligence and model is using Direct Query", category=CATEGORY,
      severity=2, scope="Measure, CalculationItem",
      description="Time intelligence functions perform poorly against DirectQuery tables.",
      hint="Consider precomputed period columns in the fact table instead of time intelligence functions.")
def time_intelligence_on_direct_query(subject: Subject) -> Iterator[Problem]:
    if not any(t.is_direct_query for t in subject.model.tables):
        return
    for obj in subject.model.dax_in_scope("Measure", "CalculationItem"):
        used = subject.called(obj, *TIME_INTELLIGENCE)
        if used:
            yield obj.object_type, obj.object_name, f"uses {', '.join(used)} in a DirectQuery model"


@rule(id="REDUCE_NUMBER_OF_CALCULATED_COLUMNS", name="[Performance] Reduce number of calculated columns",
      category=CATEGORY, severity=2, scope="Model",
      description="More than five calculated columns; they compress badly and slow down processing.",
      hint="Turn calculated columns into data columns computed in the source.")
def many_calculated_columns(subject: Subject) -> Iterator[Problem]:
    count = sum(1 for c in subject.model.columns if c.kind == "CalculatedColumn")
    if count > 5:
        model = subject.model.model_object
        yield model.object_type, model.object_name, f"{count} calculated columns (more than 5)"


@rule(id="CHECK_IF_BI-DIRECTIONAL_AND_MANY-TO-MANY_RELATIONSHIPS_ARE_VALID",
      name="[Performance] Check if bi-directional and many-to-many relationships are valid", category=CATEGORY,
      severity=1, scope="Relationship",
      description="Bi-directional and many-to-many relationships can be slow or ambiguous.",
      hint="Check that the relationship needs to be bi-directional or many-to-many.")
def check_bidirectional(subject: Subject) -> Iterator[Problem]:
    for relationship in subject.model.relationships:
        kinds = [text for flag, text in ((relationship.is_many_to_many, "many-to-many"),
                                         (relationship.is_bidirectional, "bi-directional")) if flag]
        if kinds:
            yield relationship.object_type, relationship.object_name, " and ".join(kinds)


@rule(id="CHECK_IF_DYNAMIC_ROW_LEVEL_SECURITY_(RLS)_IS_NECESSARY",
      name="[Performance] Check if dynamic row level security (RLS) is necessary", category=CATEGORY, severity=1,
      scope="TablePermission", description="Dynamic row-level security adds memory and query overhead.",
      hint="Check whether static roles would do.")
def dynamic_rls(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("TablePermission"):
        used = subject.called(obj, "USERNAME", "USERPRINCIPALNAME")
        if used:
            yield obj.object_type, obj.object_name, f"dynamic row-level security ({', '.join(used)})"
