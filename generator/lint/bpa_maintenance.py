"""Tabular Editor BPA rules of category Maintenance."""

from __future__ import annotations

from collections.abc import Iterator

from generator.lint.rules import Problem, Subject, rule

CATEGORY = "Maintenance"


@rule(id="UNNECESSARY_COLUMNS", name="[Maintenance] Remove unnecessary columns", category=CATEGORY, severity=2,
      scope="DataColumn, CalculatedColumn, CalculatedTableColumn",
      description="A hidden column that no DAX, relationship, hierarchy, sort-by or security uses is dead weight.",
      hint="Delete the column (and drop it from the source query).")
def unnecessary_columns(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for column in model.columns:
        if (column.hidden_or_table_hidden and not model.referenced_by(column)
                and not model.used_in_relationships(column) and not model.used_in_sort_by(column)
                and not model.used_in_hierarchies(column) and not model.hidden_by_object_security(column)):
            yield (column.object_type, column.object_name,
                   "hidden, and no expression, relationship, hierarchy, sort-by or security uses it")


@rule(id="UNNECESSARY_MEASURES", name="[Maintenance] Remove unnecessary measures", category=CATEGORY, severity=2,
      scope="Measure", description="A hidden measure that no DAX expression uses is dead weight.",
      hint="Delete the measure.")
def unnecessary_measures(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for measure in model.measures:
        users = [obj for obj in model.referenced_by(measure) if obj.owner is not measure]
        if measure.hidden_or_table_hidden and not users:
            yield measure.object_type, measure.object_name, "hidden, and no expression uses it"


@rule(id="REMOVE_DATA_SOURCES_NOT_REFERENCED_BY_ANY_PARTITIONS",
      name="[Maintenance] Remove data sources not referenced by any partitions", category=CATEGORY, severity=1,
      scope="ProviderDataSource, StructuredDataSource",
      description="A data source that no partition or M expression uses can go.",
      hint="Delete the data source.")
def unused_data_sources(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    texts = [p.expression for p in model.partitions]
    texts += [t.refresh_source_expression for t in model.tables]
    texts += [e.obj.expression for e in model.expressions]
    for source in model.data_sources:
        used = any((p.data_source or "").casefold() == source.name.casefold() for p in model.partitions)
        if not used and not any(source.name in text for text in texts):
            yield source.object_type, source.object_name, "no partition or expression uses the data source"


@rule(id="REMOVE_ROLES_WITH_NO_MEMBERS", name="[Maintenance] Remove roles with no members", category=CATEGORY,
      severity=1, scope="ModelRole", description="A role without members may not be needed.",
      hint="Add members to the role, or delete it.")
def roles_without_members(subject: Subject) -> Iterator[Problem]:
    for role in subject.model.roles:
        if not role.obj.members:
            yield role.object_type, role.object_name, "the role has no members"


@rule(id="ENSURE_TABLES_HAVE_RELATIONSHIPS", name="[Maintenance] Ensure tables have relationships",
      category=CATEGORY, severity=1, scope="Table, CalculatedTable",
      description="A table with no relationship is not connected to the rest of the model.",
      hint="Relate the table to the model, or check that it is meant to stand alone.")
def tables_without_relationships(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for table in model.tables:
        if table.kind in ("Table", "CalculatedTable") and not model.relationships_of_table(table):
            yield table.object_type, table.object_name, "no relationship uses the table"


@rule(id="OBJECTS_WITH_NO_DESCRIPTION", name="[Maintenance] Visible objects with no description", category=CATEGORY,
      severity=1, scope="Table, Measure, DataColumn, CalculatedColumn, CalculatedTable, CalculatedTableColumn, "
                        "CalculationGroup",
      description="Descriptions show in the field list and feed data dictionaries.",
      hint="Write a description for the object.")
def no_description(subject: Subject) -> Iterator[Problem]:
    kinds = ("Table", "Measure", "DataColumn", "CalculatedColumn", "CalculatedTable", "CalculatedTableColumn",
             "CalculationGroup")
    for obj in subject.model.objects(kinds):
        if not obj.description.strip() and not obj.is_hidden:
            yield obj.object_type, obj.object_name, "visible, without a description"


@rule(id="PERSPECTIVES_WITH_NO_OBJECTS", name="[Maintenance] Perspectives with no objects", category=CATEGORY,
      severity=1, scope="Perspective", description="A perspective without tables shows nothing.",
      hint="Add tables to the perspective, or delete it.")
def empty_perspectives(subject: Subject) -> Iterator[Problem]:
    for perspective in subject.model.perspectives:
        if not perspective.obj.tables:
            yield perspective.object_type, perspective.object_name, "the perspective contains no table"


@rule(id="CALCULATION_GROUPS_WITH_NO_CALCULATION_ITEMS",
      name="[Maintenance] Calculation groups with no calculation items", category=CATEGORY, severity=2,
      scope="CalculationGroup", description="A calculation group without items does nothing.",
      hint="Add calculation items, or delete the calculation group.")
def empty_calculation_groups(subject: Subject) -> Iterator[Problem]:
    for table in subject.model.tables:
        if table.kind == "CalculationGroup" and not table.calculation_items:
            yield table.object_type, table.object_name, "the calculation group has no calculation items"
