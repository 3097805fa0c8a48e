"""Tabular Editor BPA rules of category Naming Conventions."""

from __future__ import annotations

from collections.abc import Iterator

from generator.lint.rules import Problem, Subject, rule

CATEGORY = "Naming Conventions"
SPECIAL_SCOPE = ("Model, Table, Measure, Hierarchy, Perspective, Partition, DataColumn, CalculatedColumn, "
                 "CalculatedTable, CalculatedTableColumn, CalculationGroup, CalculationItem")
TRIM_SCOPE = ("Model, Table, Measure, Hierarchy, Level, Perspective, Partition, ProviderDataSource, DataColumn, "
              "CalculatedColumn, CalculatedTable, CalculatedTableColumn, StructuredDataSource, NamedExpression, "
              "ModelRole, CalculationGroup, CalculationItem")
_SPECIAL = {"\t": "a tab", "\n": "a line feed", "\r": "a carriage return"}


def scope_kinds(scope: str) -> tuple[str, ...]:
    """A comma-separated scope as a tuple of kinds."""
    return tuple(kind.strip() for kind in scope.split(","))


def space_problem(name: str) -> str | None:
    """What is wrong with the ends of ``name`` (a leading or trailing space), or ``None``."""
    ends = [text for flag, text in ((name.startswith(" "), "starts"), (name.endswith(" "), "ends")) if flag]
    return f"the name {' and '.join(ends)} with a space" if ends else None


@rule(id="PARTITION_NAME_SHOULD_MATCH_TABLE_NAME_FOR_SINGLE_PARTITION_TABLES",
      name="[Naming Conventions] Partition name should match table name for single partition tables",
      category=CATEGORY, severity=1, scope="Table",
      description="A table with one partition should give the partition its own name.",
      hint="Rename the partition after the table.")
def partition_name(subject: Subject) -> Iterator[Problem]:
    for table in subject.model.tables:
        if table.kind == "Table" and len(table.partitions) == 1 and table.partitions[0].name != table.name:
            yield (table.object_type, table.object_name,
                   f"the only partition is called {table.partitions[0].name!r}")


@rule(id="SPECIAL_CHARS_IN_OBJECT_NAMES", name="[Naming Conventions] Object names must not contain special characters",
      category=CATEGORY, severity=2, scope=SPECIAL_SCOPE,
      description="Tabs and line breaks in names break DAX and the field list.",
      hint="Remove tabs and line breaks from the name.")
def special_characters(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.objects(scope_kinds(SPECIAL_SCOPE)):
        found = [text for char, text in _SPECIAL.items() if char in obj.name]
        if found:
            yield obj.object_type, obj.object_name, f"the name contains {', '.join(found)}"


@rule(id="TRIM_OBJECT_NAMES", name="[Naming Conventions] Trim object names", category=CATEGORY, severity=1,
      scope=TRIM_SCOPE, description="Leading or trailing spaces in names are usually copy-and-paste accidents.",
      hint="Remove the spaces at the start and end of the name.")
def trim_names(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.objects(scope_kinds(TRIM_SCOPE)):
        problem = space_problem(obj.name)
        if problem:
            yield obj.object_type, obj.object_name, problem
