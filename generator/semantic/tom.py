"""The TMSL writer: the IR → a TOM database dict (the JSON shape of a ``model.bim``).

Every Power BI output is serialised from this dict (model.bim and the .pbit's DataModelSchema by
:mod:`generator.powerbi.bim`, TMDL by :mod:`generator.powerbi.tmdl`). Properties at their TOM default are left
out, the way Power BI Desktop writes them, except those Desktop always writes (a column's ``summarizeBy`` and
``sourceColumn``, a measure's ``displayFolder`` and ``description``, a partition's ``mode``). Key order is
TOM's as Desktop writes it, so the output is deterministic.
"""

from __future__ import annotations

from typing import Any

from generator.semantic.model import (
    Annotation,
    Column,
    CrossFilter,
    Measure,
    NamedExpression,
    Partition,
    Relationship,
    Role,
    SemanticModel,
    Table,
)


def _annotations(annotations: tuple[Annotation, ...]) -> list[dict[str, str]]:
    return [{"name": a.name, "value": a.value} for a in annotations]


def _column(column: Column) -> dict[str, Any]:
    result: dict[str, Any] = {"name": column.name}
    if column.data_type is not None:
        result["dataType"] = column.data_type.value
    if column.expression is not None:
        result["type"] = "calculated"
        result["expression"] = column.expression
    if column.is_hidden:
        result["isHidden"] = True
    if not column.is_available_in_mdx:
        result["isAvailableInMdx"] = False
    if column.is_key:
        result["isKey"] = True
    if not column.is_nullable:
        result["isNullable"] = False
    if column.format_string:
        result["formatString"] = column.format_string
    if column.lineage_tag:
        result["lineageTag"] = column.lineage_tag
    if column.description:
        result["description"] = column.description
    result["summarizeBy"] = column.summarize_by.value
    if column.source_column is not None:
        result["sourceColumn"] = column.source_column
    if column.sort_by_column:
        result["sortByColumn"] = column.sort_by_column
    if column.annotations:
        result["annotations"] = _annotations(column.annotations)
    return result


def _measure(measure: Measure) -> dict[str, Any]:
    result: dict[str, Any] = {"name": measure.name, "expression": measure.expression}
    if measure.format_string:
        result["formatString"] = measure.format_string
    if measure.is_hidden:
        result["isHidden"] = True
    result["displayFolder"] = measure.display_folder
    result["description"] = measure.description
    if measure.lineage_tag:
        result["lineageTag"] = measure.lineage_tag
    if measure.annotations:
        result["annotations"] = _annotations(measure.annotations)
    return result


def _partition(partition: Partition) -> dict[str, Any]:
    source: dict[str, Any] = {"type": partition.source_type}
    if partition.expression:
        source["expression"] = partition.expression
    if partition.data_source:
        source["dataSource"] = partition.data_source
    if partition.entity_name:
        source["entityName"] = partition.entity_name
    return {"name": partition.name, "mode": partition.mode.value, "source": source}


def _table(table: Table) -> dict[str, Any]:
    result: dict[str, Any] = {"name": table.name}
    if table.description:
        result["description"] = table.description
    if table.data_category:
        result["dataCategory"] = table.data_category
    if table.is_hidden:
        result["isHidden"] = True
    if table.lineage_tag:
        result["lineageTag"] = table.lineage_tag
    result["columns"] = [_column(column) for column in table.columns]
    if table.measures:
        result["measures"] = [_measure(measure) for measure in table.measures]
    result["partitions"] = [_partition(partition) for partition in table.partitions]
    if table.annotations:
        result["annotations"] = _annotations(table.annotations)
    return result


def _relationship(relationship: Relationship) -> dict[str, Any]:
    result: dict[str, Any] = {"name": relationship.name}
    if not relationship.is_active:
        result["isActive"] = False
    if relationship.cross_filtering is not CrossFilter.ONE_DIRECTION:
        result["crossFilteringBehavior"] = relationship.cross_filtering.value
    result.update({"fromTable": relationship.from_table, "fromColumn": relationship.from_column,
                   "toTable": relationship.to_table, "toColumn": relationship.to_column})
    if relationship.annotations:
        result["annotations"] = _annotations(relationship.annotations)
    return result


def _role(role: Role) -> dict[str, Any]:
    result: dict[str, Any] = {"name": role.name}
    if role.description:
        result["description"] = role.description
    result["modelPermission"] = role.model_permission
    permissions = []
    for permission in role.table_permissions:
        item: dict[str, Any] = {"name": permission.table, "filterExpression": permission.filter_expression}
        if permission.annotations:
            item["annotations"] = _annotations(permission.annotations)
        permissions.append(item)
    if permissions:
        result["tablePermissions"] = permissions
    if role.annotations:
        result["annotations"] = _annotations(role.annotations)
    return result


def _expression(expression: NamedExpression) -> dict[str, Any]:
    result: dict[str, Any] = {"name": expression.name, "kind": expression.kind, "expression": expression.expression}
    if expression.description:
        result["description"] = expression.description
    if expression.lineage_tag:
        result["lineageTag"] = expression.lineage_tag
    if expression.annotations:
        result["annotations"] = _annotations(expression.annotations)
    return result


def to_database(model: SemanticModel) -> dict[str, Any]:
    """The TOM database (TMSL ``model.bim`` shape) of an IR."""
    body: dict[str, Any] = {}
    if model.culture:
        body["culture"] = model.culture
    if model.default_power_bi_data_source_version:
        body["defaultPowerBIDataSourceVersion"] = model.default_power_bi_data_source_version
    if model.discourage_implicit_measures:
        body["discourageImplicitMeasures"] = True
    if model.source_query_culture:
        body["sourceQueryCulture"] = model.source_query_culture
    if model.data_access_options:
        body["dataAccessOptions"] = dict(model.data_access_options)
    body["tables"] = [_table(table) for table in model.tables]
    body["relationships"] = [_relationship(rel) for rel in model.relationships]
    if model.roles:
        body["roles"] = [_role(role) for role in model.roles]
    body["expressions"] = [_expression(expression) for expression in model.expressions]
    if model.annotations:
        body["annotations"] = _annotations(model.annotations)
    database: dict[str, Any] = {"name": model.name}
    if model.compatibility_level:
        database["compatibilityLevel"] = model.compatibility_level
    database["model"] = body
    return database
