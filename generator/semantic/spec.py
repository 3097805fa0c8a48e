"""The YAML-spec reader: a validated :class:`generator.spec.model.Model` → the IR.

The specs describe more than the semantic model (staging and ETL tables, SQL types); the IR holds what Power BI
sees: the BI_ tables with their columns, measures and import partitions (M over a connection's parameters),
the relationships, the row-level-security roles, the connection's parameters and the model's settings. Every
object is located at its spec declaration. The Power BI outputs are written from this IR
(:func:`generator.powerbi.semantic.semantic_model`), so the IR read back from any of them equals it.

What the specs imply rather than say is decided here: a column is a key when it is the date table's key or the
one side of a relationship; a hidden column that nothing sorts by gets no attribute hierarchy
(``isAvailableInMdx`` false); objects carry a lineage tag derived from their names, a
``MSP_CSAT_Generated`` annotation naming their spec file and, from ``lint_ignore:``, Tabular Editor's
``BestPracticeAnalyzer_IgnoreRules``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from generator.powerbi.connections import DEFAULT_CONNECTION, Connection
from generator.powerbi.lineage import lineage_tag
from generator.powerbi.m import m_text
from generator.semantic.location import Location
from generator.semantic.model import (
    Annotation,
    Column,
    CrossFilter,
    DataType,
    Measure,
    Mode,
    NamedExpression,
    Partition,
    Relationship,
    Role,
    SemanticModel,
    SummarizeBy,
    Table,
    TablePermission,
)

if TYPE_CHECKING:
    from generator.spec import model as spec

COMPATIBILITY_LEVEL = 1550
CULTURE = "en-US"
DATASET_NAME = "MSP-CSAT"
GENERATED_ANNOTATION = "MSP_CSAT_Generated"
IGNORE_ANNOTATION = "BestPracticeAnalyzer_IgnoreRules"  # Tabular Editor's rule-suppression annotation
SPEC_LABEL = "model/"


def _at(origin: spec.Origin) -> Location:
    return Location(origin.file, origin.line)


def _ignore(ignores: tuple[tuple[str, str], ...]) -> tuple[Annotation, ...]:
    if not ignores:
        return ()
    value = json.dumps({"RuleIDs": [rule for rule, _ in ignores]}, separators=(",", ":"))
    return (Annotation(IGNORE_ANNOTATION, value),)


def relationship_name(relationship: spec.Relationship) -> str:
    """The relationship's TOM name: a GUID derived from its endpoints, as Power BI names relationships."""
    return lineage_tag("relationship", relationship.name)


def partition_expression(table: spec.Table, connection: Connection = DEFAULT_CONNECTION) -> str:
    """The Power Query (M) import query of a BI_ table over the connection's parameters (see
    :mod:`generator.powerbi.connections`)."""
    return connection.partition_expression(table.name)


def _column(table: spec.Table, column: spec.Column, model: spec.Model) -> Column:
    used_for_sorting = any(other.sort_by == column.name for other in table.columns)
    one_side_key = any(rel.to_table == table.name and rel.to_column == column.name for rel in model.relationships)
    return Column(
        name=column.name, data_type=DataType.parse(column.tabular_type),  # type: ignore[arg-type]
        source_column=column.name, format_string=column.format_string or "", is_hidden=column.hidden,
        is_key=(table.is_date_table and column.name in table.key) or one_side_key, is_nullable=column.nullable,
        is_available_in_mdx=not (column.hidden and not used_for_sorting and column.sort_by is None),
        summarize_by=SummarizeBy.parse(column.summarize_by),  # type: ignore[arg-type]
        sort_by_column=column.sort_by, description=column.description,
        lineage_tag=lineage_tag("column", table.name, column.name),
        annotations=(Annotation("SummarizationSetBy", "User"), *_ignore(column.lint_ignore)),
        location=_at(column.origin))


def _measure(measure: spec.Measure) -> Measure:
    return Measure(
        name=measure.name, expression=measure.expression, format_string=measure.format_string or "",
        is_hidden=measure.hidden, display_folder=measure.folder, description=measure.description,
        lineage_tag=lineage_tag("measure", measure.name),
        annotations=(Annotation(GENERATED_ANNOTATION, measure.origin.file), *_ignore(measure.lint_ignore)),
        location=_at(measure.origin))


def _table(table: spec.Table, model: spec.Model, connection: Connection) -> Table:
    return Table(
        name=table.name, description=table.description, data_category="Time" if table.is_date_table else "",
        is_hidden=table.hidden, lineage_tag=lineage_tag("table", table.name),
        columns=tuple(_column(table, column, model) for column in table.columns),
        measures=tuple(_measure(measure) for measure in model.measures_of(table.name)),
        partitions=(Partition(table.name, "m", Mode.IMPORT, partition_expression(table, connection),
                              location=_at(table.origin)),),
        annotations=(Annotation(GENERATED_ANNOTATION, table.origin.file), Annotation("PBI_ResultType", "Table"),
                     *_ignore(table.lint_ignore)),
        location=_at(table.origin))


def _relationship(relationship: spec.Relationship) -> Relationship:
    return Relationship(
        relationship_name(relationship), relationship.from_table, relationship.from_column, relationship.to_table,
        relationship.to_column, is_active=relationship.active,
        cross_filtering=CrossFilter.BOTH_DIRECTIONS if relationship.cross_filter == "both"
        else CrossFilter.ONE_DIRECTION,
        annotations=(Annotation(GENERATED_ANNOTATION, relationship.origin.file),
                     *_ignore(relationship.lint_ignore)),
        location=_at(relationship.origin))


def _role(role: spec.Role) -> Role:
    """Read permission and one row filter per table; no members (the service assigns them)."""
    permissions = tuple(TablePermission(p.table, p.filter, annotations=_ignore(p.lint_ignore),
                                        location=_at(p.origin)) for p in role.permissions)
    return Role(role.name, "read", (), permissions, role.description,
                (Annotation(GENERATED_ANNOTATION, role.origin.file), *_ignore(role.lint_ignore)), _at(role.origin))


def _parameter(name: str, value: str, description: str) -> NamedExpression:
    return NamedExpression(
        name, "m", f'{m_text(value)} meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]',
        description, lineage_tag("expression", name),
        (Annotation(GENERATED_ANNOTATION, "parameter"), Annotation("PBI_ResultType", "Text")))


def from_spec(model: spec.Model, connection: Connection = DEFAULT_CONNECTION) -> SemanticModel:
    """The IR of the specs' semantic model (its partitions and parameters written for ``connection``, SQL Server
    by default), every object located at its spec declaration."""
    return SemanticModel(
        name=DATASET_NAME, compatibility_level=COMPATIBILITY_LEVEL, culture=CULTURE,
        default_power_bi_data_source_version="powerBI_V3", discourage_implicit_measures=True,
        source_query_culture=CULTURE, data_access_options=(("legacyRedirects", True),
                                                            ("returnErrorValuesAsNull", True)),
        tables=tuple(_table(table, model, connection) for table in model.semantic_tables),
        relationships=tuple(_relationship(rel) for rel in model.relationships),
        roles=tuple(_role(role) for role in model.roles),
        expressions=tuple(_parameter(p.name, p.value, p.description) for p in connection.parameters()),
        annotations=(Annotation("__PBI_TimeIntelligenceEnabled", "0"), *_ignore(model.lint_ignore)),
        location=Location(SPEC_LABEL))
