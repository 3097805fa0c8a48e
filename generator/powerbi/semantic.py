"""The validated model as a TOM database: the dictionary shape of a TMSL ``model.bim``.

This is the one in-memory semantic model every Power BI output serialises (model.bim, TMDL, the .pbit's
DataModelSchema) and that ``lint`` checks. Keys follow TOM/TMSL names; defaults are left out, the way
Power BI Desktop writes them. Order is the specs' declaration order, so output is deterministic.
"""

from __future__ import annotations

import json
from typing import Any

from generator.powerbi.connections import DEFAULT_CONNECTION, Connection
from generator.powerbi.lineage import lineage_tag
from generator.powerbi.m import m_text
from generator.spec.model import Column, Measure, Model, Relationship, Role, Table

COMPATIBILITY_LEVEL = 1550
CULTURE = "en-US"
DATASET_NAME = "MSP-CSAT"
GENERATED_ANNOTATION = "MSP_CSAT_Generated"
IGNORE_ANNOTATION = "BestPracticeAnalyzer_IgnoreRules"  # Tabular Editor's rule-suppression annotation


def _ignore_annotation(ignores: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    if not ignores:
        return []
    value = json.dumps({"RuleIDs": [rule for rule, _ in ignores]}, separators=(",", ":"))
    return [{"name": IGNORE_ANNOTATION, "value": value}]


def relationship_name(relationship: Relationship) -> str:
    """The relationship's TOM name: a GUID derived from its endpoints, as Power BI names relationships."""
    return lineage_tag("relationship", relationship.name)


def _column(table: Table, column: Column, model: Model) -> dict[str, Any]:
    used_for_sorting = any(other.sort_by == column.name for other in table.columns)
    one_side_key = any(rel.to_table == table.name and rel.to_column == column.name for rel in model.relationships)
    result: dict[str, Any] = {"name": column.name, "dataType": column.tabular_type}
    if column.hidden:
        result["isHidden"] = True
    if column.hidden and not used_for_sorting and column.sort_by is None:
        result["isAvailableInMdx"] = False  # no attribute hierarchy for a column nobody browses
    if (table.is_date_table and column.name in table.key) or one_side_key:
        result["isKey"] = True
    if not column.nullable:
        result["isNullable"] = False
    if column.format_string:
        result["formatString"] = column.format_string
    result["lineageTag"] = lineage_tag("column", table.name, column.name)
    if column.description:
        result["description"] = column.description
    result["summarizeBy"] = column.summarize_by
    result["sourceColumn"] = column.name
    if column.sort_by:
        result["sortByColumn"] = column.sort_by
    result["annotations"] = [{"name": "SummarizationSetBy", "value": "User"},
                             *_ignore_annotation(column.lint_ignore)]
    return result


def _measure(measure: Measure) -> dict[str, Any]:
    result: dict[str, Any] = {"name": measure.name, "expression": measure.expression}
    if measure.format_string:
        result["formatString"] = measure.format_string
    if measure.hidden:
        result["isHidden"] = True
    result["displayFolder"] = measure.folder
    result["description"] = measure.description
    result["lineageTag"] = lineage_tag("measure", measure.name)
    result["annotations"] = [{"name": GENERATED_ANNOTATION, "value": measure.origin.file},
                             *_ignore_annotation(measure.lint_ignore)]
    return result


def partition_expression(table: Table, connection: Connection = DEFAULT_CONNECTION) -> str:
    """The Power Query (M) import query of a BI_ table over the connection's parameters (see
    :mod:`.connections`)."""
    return connection.partition_expression(table.name)


def _table(table: Table, model: Model, connection: Connection) -> dict[str, Any]:
    result: dict[str, Any] = {"name": table.name}
    if table.description:
        result["description"] = table.description
    if table.is_date_table:
        result["dataCategory"] = "Time"
    if table.hidden:
        result["isHidden"] = True
    result["lineageTag"] = lineage_tag("table", table.name)
    result["columns"] = [_column(table, column, model) for column in table.columns]
    measures = [_measure(measure) for measure in model.measures_of(table.name)]
    if measures:
        result["measures"] = measures
    result["partitions"] = [{"name": table.name, "mode": "import",
                             "source": {"type": "m", "expression": partition_expression(table, connection)}}]
    result["annotations"] = [{"name": GENERATED_ANNOTATION, "value": table.origin.file},
                             {"name": "PBI_ResultType", "value": "Table"}, *_ignore_annotation(table.lint_ignore)]
    return result


def _relationship(relationship: Relationship) -> dict[str, Any]:
    result: dict[str, Any] = {"name": relationship_name(relationship)}
    if not relationship.active:
        result["isActive"] = False
    if relationship.cross_filter == "both":
        result["crossFilteringBehavior"] = "bothDirections"
    result.update({"fromTable": relationship.from_table, "fromColumn": relationship.from_column,
                   "toTable": relationship.to_table, "toColumn": relationship.to_column})
    result["annotations"] = [{"name": GENERATED_ANNOTATION, "value": relationship.origin.file},
                             *_ignore_annotation(relationship.lint_ignore)]
    return result


def _role(role: Role) -> dict[str, Any]:
    """A row-level security role: read permission and one row filter per table; no members (the service
    assigns them)."""
    result: dict[str, Any] = {"name": role.name}
    if role.description:
        result["description"] = role.description
    result["modelPermission"] = "read"
    permissions = []
    for permission in role.permissions:
        item: dict[str, Any] = {"name": permission.table, "filterExpression": permission.filter}
        annotations = _ignore_annotation(permission.lint_ignore)
        if annotations:
            item["annotations"] = annotations
        permissions.append(item)
    if permissions:
        result["tablePermissions"] = permissions
    result["annotations"] = [{"name": GENERATED_ANNOTATION, "value": role.origin.file},
                             *_ignore_annotation(role.lint_ignore)]
    return result


def _parameter(name: str, value: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "m",
        "expression": f'{m_text(value)} meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]',
        "description": description,
        "lineageTag": lineage_tag("expression", name),
        "annotations": [{"name": GENERATED_ANNOTATION, "value": "parameter"},
                        {"name": "PBI_ResultType", "value": "Text"}],
    }


def semantic_model(model: Model, connection: Connection = DEFAULT_CONNECTION) -> dict[str, Any]:
    """The TOM database (TMSL ``model.bim`` shape) of the model's BI_ tables, relationships and measures, its
    partitions and parameters written for ``connection`` (SQL Server by default)."""
    return {
        "name": DATASET_NAME,
        "compatibilityLevel": COMPATIBILITY_LEVEL,
        "model": {
            "culture": CULTURE,
            "defaultPowerBIDataSourceVersion": "powerBI_V3",
            "discourageImplicitMeasures": True,
            "sourceQueryCulture": CULTURE,
            "dataAccessOptions": {"legacyRedirects": True, "returnErrorValuesAsNull": True},
            "tables": [_table(table, model, connection) for table in model.semantic_tables],
            "relationships": [_relationship(rel) for rel in model.relationships],
            **({"roles": [_role(role) for role in model.roles]} if model.roles else {}),
            "expressions": [_parameter(p.name, p.value, p.description) for p in connection.parameters()],
            "annotations": [{"name": "__PBI_TimeIntelligenceEnabled", "value": "0"},
                            *_ignore_annotation(model.lint_ignore)],
        },
    }
