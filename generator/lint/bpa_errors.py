"""Tabular Editor BPA rules of category Error Prevention."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from generator.lint.daxrefs import arguments, column_reference
from generator.lint.modelview import Named
from generator.lint.rules import Problem, Subject, rule

CATEGORY = "Error Prevention"
NAMED_SCOPE = ("Table, Measure, Hierarchy, Level, Perspective, Partition, DataColumn, CalculatedColumn, "
               "CalculatedTable, CalculatedTableColumn, KPI, ModelRole, CalculationGroup, CalculationItem")
# .NET's char.IsWhiteSpace among the control characters (Python's isspace() also counts U+001C..U+001F).
_CONTROL_WHITESPACE = frozenset("\t\n\v\f\r\x85")


def invalid_characters(text: str) -> list[str]:
    """The control characters in ``text`` that are not white space, as ``U+XXXX``, in order of appearance."""
    found = [c for c in text if unicodedata.category(c) == "Cc" and c not in _CONTROL_WHITESPACE]
    return [f"U+{ord(c):04X}" for c in dict.fromkeys(found)]


def _scope(text: str) -> tuple[str, ...]:
    return tuple(kind.strip() for kind in text.split(","))


@rule(id="DATA_COLUMNS_MUST_HAVE_A_SOURCE_COLUMN", name="[Error Prevention] Data columns must have a source column",
      category=CATEGORY, severity=3, scope="DataColumn",
      description="A data column without a source column fails to process.",
      hint="Set sourceColumn to the name of the column in the source query.")
def source_column(subject: Subject) -> Iterator[Problem]:
    for column in subject.model.columns:
        if column.kind == "DataColumn" and not column.source_column.strip():
            yield column.object_type, column.object_name, "data column without a source column"


@rule(id="EXPRESSION_RELIANT_OBJECTS_MUST_HAVE_AN_EXPRESSION",
      name="[Error Prevention] Expression-reliant objects must have an expression", category=CATEGORY, severity=3,
      scope="Measure, CalculatedColumn, CalculationItem",
      description="Measures, calculated columns and calculation items show nothing without an expression.",
      hint="Give the object a DAX expression, or delete it.")
def needs_expression(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for obj in model.objects(("Measure", "CalculatedColumn", "CalculationItem")):
        if not (obj.obj.expression or "").strip():
            yield obj.object_type, obj.object_name, "the expression is empty"


@rule(id="AVOID_STRUCTURED_DATA_SOURCES_WITH_PROVIDER_PARTITIONS",
      name="[Error Prevention] Avoid structured data sources with provider partitions", category=CATEGORY,
      severity=2, scope="Partition",
      description="Power BI does not support query (provider) partitions on structured data sources.",
      hint="Write the partition in M, or change the data source to a provider data source.")
def provider_partition_on_structured_source(subject: Subject) -> Iterator[Problem]:
    structured = {s.name.casefold() for s in subject.model.data_sources if s.kind == "StructuredDataSource"}
    for partition in subject.model.partitions:
        if partition.source_type == "query" and (partition.data_source or "").casefold() in structured:
            yield (partition.object_type, partition.object_name,
                   f"query partition on the structured data source {partition.data_source}")


@rule(id="AVOID_THE_USERELATIONSHIP_FUNCTION_AND_RLS_AGAINST_THE_SAME_TABLE",
      name="[Error Prevention] Avoid the USERELATIONSHIP function and RLS against the same table",
      category=CATEGORY, severity=3, scope="Table, CalculatedTable",
      description="USERELATIONSHIP fails on a table that row-level security filters.",
      hint="Remove the row-level security filter from the table, or avoid USERELATIONSHIP towards it.")
def userelationship_and_rls(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    targets: dict[str, set[str]] = {}
    for obj in model.dax_in_scope("Measure"):
        tokens = subject.tokens(obj)
        for open_index in subject.calls(obj, "USERELATIONSHIP"):
            args = arguments(tokens, open_index)
            ref = column_reference(args[1]) if len(args) >= 2 else None
            if ref is not None:
                targets.setdefault(ref[0].casefold(), set()).add(obj.object_name)
    for table in model.tables:
        if table.kind in ("Table", "CalculatedTable") and table.name.casefold() in targets and model.row_filters(
                table):
            measures = ", ".join(sorted(targets[table.name.casefold()]))
            yield (table.object_type, table.object_name,
                   f"row-level security on the table, and USERELATIONSHIP towards it in {measures}")


@rule(id="RELATIONSHIP_COLUMNS_SAME_DATA_TYPE",
      name="[Error Prevention] Relationship columns should be of the same data type", category=CATEGORY, severity=3,
      scope="Relationship", description="The two columns of a relationship have different data types.",
      hint="Give both columns the same data type (ideally int64).")
def same_data_type(subject: Subject) -> Iterator[Problem]:
    for relationship in subject.model.relationships:
        source, target = relationship.from_column, relationship.to_column
        if source is not None and target is not None and source.data_type != target.data_type:
            yield (relationship.object_type, relationship.object_name,
                   f"the from-column is {source.data_type}, the to-column {target.data_type}")


def _named(subject: Subject) -> list[Named]:
    return subject.model.objects(_scope(NAMED_SCOPE))


@rule(id="AVOID_INVALID_NAME_CHARACTERS", name="[Error Prevention] Avoid invalid characters in names",
      category=CATEGORY, severity=3, scope=NAMED_SCOPE,
      description="Control characters in a name make the deployment fail.",
      hint="Replace the control characters in the name with spaces.")
def invalid_name_characters(subject: Subject) -> Iterator[Problem]:
    for obj in _named(subject):
        found = invalid_characters(obj.name)
        if found:
            yield obj.object_type, obj.object_name, f"the name contains control characters {', '.join(found)}"


@rule(id="AVOID_INVALID_DESCRIPTION_CHARACTERS", name="[Error Prevention] Avoid invalid characters in descriptions",
      category=CATEGORY, severity=3, scope=NAMED_SCOPE,
      description="Control characters in a description make the deployment fail.",
      hint="Replace the control characters in the description with spaces.")
def invalid_description_characters(subject: Subject) -> Iterator[Problem]:
    for obj in _named(subject):
        found = invalid_characters(obj.description)
        if found:
            yield (obj.object_type, obj.object_name,
                   f"the description contains control characters {', '.join(found)}")


@rule(id="SET_ISAVAILABLEINMDX_TO_TRUE_ON_NECESSARY_COLUMNS",
      name="[Error Prevention] Set IsAvailableInMdx to true on necessary columns", category=CATEGORY, severity=3,
      scope="DataColumn, CalculatedColumn, CalculatedTableColumn",
      description="Sort-by, hierarchy and variation columns need their attribute hierarchy.",
      hint="Set isAvailableInMdx to true.")
def mdx_needed(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in model.columns:
        if column.is_available_in_mdx:
            continue
        uses = [text for used, text in (
            (model.used_in_sort_by(column), "sorts another column"),
            (model.used_in_hierarchies(column), "is a hierarchy level"),
            (model.used_in_variations(column), "has variations"),
            (column.sort_by_column is not None, "is sorted by another column"),
        ) if used]
        if uses:
            yield (column.object_type, column.object_name,
                   f"isAvailableInMdx is false but the column {' and '.join(uses)}")
