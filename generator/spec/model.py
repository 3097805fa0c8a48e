"""The validated in-memory model: tables, columns, relationships and the date table.

Everything downstream (SQL DDL, TMDL, model.bim, the DAX engine's binder, the demo loader) reads this
model; nothing reads the YAML again. Objects are frozen dataclasses in the order the specs declare them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from generator.semantic.location import Location

if TYPE_CHECKING:
    from generator.spec.report import Report

# The model's data types and what they become in Power BI (TMDL/TMSL ``dataType``).
TABULAR_TYPES: dict[str, str] = {
    "int64": "int64",
    "double": "double",
    "decimal": "decimal",
    "string": "string",
    "boolean": "boolean",
    "date": "dateTime",
    "datetime": "dateTime",
}
NUMERIC_TYPES = frozenset({"int64", "double", "decimal"})
SUMMARIZE_BY = ("none", "sum", "min", "max", "count", "average", "distinctCount")
TABLE_ROLES = ("semantic", "staging", "etl")


@dataclass(frozen=True)
class Origin(Location):
    """Where a spec object was declared: the project's one :class:`~generator.semantic.location.Location`,
    always written ``file:line`` (line 0 for a whole file or a built-in default)."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Column:
    """One column of a table, with its SQL and Power BI properties."""

    name: str
    data_type: str
    nullable: bool
    description: str
    format_string: str | None
    hidden: bool
    summarize_by: str
    sort_by: str | None
    max_length: int | None
    origin: Origin = field(compare=False)
    lint_ignore: tuple[tuple[str, str], ...] = ()  # (BPA rule id, reason) pairs

    @property
    def tabular_type(self) -> str:
        """The Power BI data type (``int64``, ``string``, ``dateTime`` …)."""
        return TABULAR_TYPES[self.data_type]


@dataclass(frozen=True)
class Table:
    """A table: a BI_ table of the semantic model, a staging table or an ETL bookkeeping table."""

    name: str
    role: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    is_date_table: bool
    origin: Origin = field(compare=False)
    lint_ignore: tuple[tuple[str, str], ...] = ()  # (BPA rule id, reason) pairs
    hidden: bool = False  # hidden from report authors (a security mapping table, for example)

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError when there is none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name}[{name}]")

    def has_column(self, name: str) -> bool:
        """True when the table has a column called ``name``."""
        return any(column.name == name for column in self.columns)

    @property
    def column_names(self) -> list[str]:
        """Column names in declaration order."""
        return [column.name for column in self.columns]


@dataclass(frozen=True)
class Relationship:
    """A many-to-one relationship: ``from_table[from_column]`` (many) → ``to_table[to_column]`` (one)."""

    from_table: str
    from_column: str
    to_table: str
    to_column: str
    active: bool
    cross_filter: str  # "single" (one side filters many side) or "both"
    origin: Origin = field(compare=False)
    lint_ignore: tuple[tuple[str, str], ...] = ()  # (BPA rule id, reason) pairs

    @property
    def name(self) -> str:
        """A stable name derived from the endpoints (used for TMDL objects and lineage tags)."""
        return f"{self.from_table}.{self.from_column} -> {self.to_table}.{self.to_column}"


@dataclass(frozen=True)
class Parameter:
    """A threshold the measures are parameterised by (``measures/*.yaml`` ``parameters:``)."""

    name: str
    value: int | float
    description: str
    origin: Origin = field(compare=False)


@dataclass(frozen=True)
class Measure:
    """A validated measure: its generated DAX (formatted) and the metadata Power BI shows."""

    name: str
    home_table: str
    folder: str
    description: str
    format_string: str
    expression: str
    kind: str
    hidden: bool
    depends_on: tuple[str, ...]
    lint_ignore: tuple[tuple[str, str], ...]
    origin: Origin = field(compare=False)


@dataclass(frozen=True)
class TablePermission:
    """A role's row filter on one table: a DAX boolean evaluated for each row of ``table`` (formatted DAX)."""

    table: str
    filter: str
    origin: Origin = field(compare=False)
    lint_ignore: tuple[tuple[str, str], ...] = ()  # (BPA rule id, reason) pairs


@dataclass(frozen=True)
class Role:
    """A row-level security role: read permission on the model and row filters on some tables.

    Members are not part of the model: they are assigned in the Power BI service.
    """

    name: str
    description: str
    permissions: tuple[TablePermission, ...]
    origin: Origin = field(compare=False)
    lint_ignore: tuple[tuple[str, str], ...] = ()  # (BPA rule id, reason) pairs

    def permission(self, table: str) -> TablePermission | None:
        """The row filter on ``table`` (any case), or None when the role does not filter it."""
        return next((p for p in self.permissions if p.table.lower() == table.lower()), None)


@dataclass(frozen=True)
class Model:
    """The whole validated model."""

    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...]
    measures: tuple[Measure, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    lint_ignore: tuple[tuple[str, str], ...] = ()  # model-wide (BPA rule id, reason) pairs
    roles: tuple[Role, ...] = ()
    slices: tuple[str, ...] = ()  # validation: slices (standard names or Table[column]); () when none are listed
    report: Report | None = field(default=None, compare=False)  # report/*.yaml, read after the measures

    def role(self, name: str) -> Role:
        """The role called ``name`` (any case); KeyError when there is none."""
        for role in self.roles:
            if role.name.lower() == name.lower():
                return role
        raise KeyError(name)

    def measure(self, name: str) -> Measure:
        """The measure called ``name``; KeyError when there is none."""
        for measure in self.measures:
            if measure.name == name:
                return measure
        raise KeyError(name)

    def measures_of(self, table: str) -> list[Measure]:
        """The measures whose home is ``table``, in declaration order."""
        return [measure for measure in self.measures if measure.home_table == table]

    def table(self, name: str) -> Table:
        """The table called ``name``; KeyError when there is none."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def tables_with_role(self, role: str) -> list[Table]:
        """Tables of one role (``semantic``, ``staging`` or ``etl``) in declaration order."""
        return [table for table in self.tables if table.role == role]

    @property
    def semantic_tables(self) -> list[Table]:
        """The BI_ tables that make up the Power BI semantic model."""
        return self.tables_with_role("semantic")

    @property
    def date_table(self) -> Table:
        """The table marked as the date table."""
        return next(table for table in self.tables if table.is_date_table)
