"""The model a DAX query binds to: tables (with their SQL sources), relationships and measures.

Built from our YAML specs, a ``model.bim`` or a TMDL ``definition/`` folder (:mod:`generator.engine.sources`).
Names are matched case-insensitively, as DAX does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from generator.dax.lexer import DaxSyntaxError
from generator.engine.values import DaxType
from generator.semantic.location import Location
from generator.semantic.names import Names

#: The expression of a calculation-group table (its rows are the group's items, not a DAX table expression).
CALCULATION_GROUP = "-- calculation group"


@dataclass(frozen=True)
class EngineColumn:
    """A column: its DAX name and type, and the SQL column holding it (``source``).

    ``expression`` is set for calculated columns (DAX text), computed by :mod:`generator.engine.derived`.
    """

    name: str
    type: DaxType
    source: str
    expression: str | None = None


@dataclass(frozen=True)
class EngineCalculationItem:
    """One item of a calculation group: its name (a value of the group's column), DAX expression (with
    ``SELECTEDMEASURE()``), ordinal and format string expression (DAX, may be empty)."""

    name: str
    expression: str
    ordinal: int | None = None
    format_string_expression: str = ""


@dataclass(frozen=True)
class EngineCalculationGroup:
    """A calculation group: its items and precedence (higher: applied first, outermost)."""

    precedence: int = 0
    items: tuple[EngineCalculationItem, ...] = ()


@dataclass(frozen=True)
class EngineTable:
    """A table of the model and the SQL table it is read from (``source``).

    ``expression`` is set for calculated tables (DAX text), computed by :mod:`generator.engine.derived`, and is
    :data:`CALCULATION_GROUP` for a calculation group.
    ``date_column`` names the key column of a table marked as a date table; ``calculation_group`` is set for a
    calculation group's table.
    """

    name: str
    source: str
    columns: tuple[EngineColumn, ...]
    date_column: str | None = None
    expression: str | None = None
    calculation_group: EngineCalculationGroup | None = None
    _by_name: dict[str, EngineColumn] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            self._by_name.setdefault(column.name.lower(), column)

    def column(self, name: str) -> EngineColumn | None:
        """The column called ``name`` (any case), or None."""
        return self._by_name.get(name.lower())

    @property
    def is_calculation_group(self) -> bool:
        """True for a calculation group's table."""
        return self.expression == CALCULATION_GROUP

    @property
    def is_date_table(self) -> bool:
        """True when the table is marked as a date table."""
        return self.date_column is not None


@dataclass(frozen=True)
class EngineRelationship:
    """``from_table[from_column]`` (many side) → ``to_table[to_column]`` (one side).

    ``cross_filter`` is ``single`` (the one side filters the many side) or ``both``; ``cardinality`` is
    ``many_to_one``, ``one_to_one`` or ``many_to_many``.
    """

    from_table: str
    from_column: str
    to_table: str
    to_column: str
    active: bool = True
    cross_filter: str = "single"
    cardinality: str = "many_to_one"

    @property
    def name(self) -> str:
        """``from[col] -> to[col]``."""
        return f"{self.from_table}[{self.from_column}] -> {self.to_table}[{self.to_column}]"


@dataclass(frozen=True)
class EngineMeasure:
    """A measure: its home table, DAX expression and where it was defined (``origin``, for messages);
    ``expression_location`` is where the DAX text starts in the model file, when known."""

    name: str
    table: str
    expression: str
    format_string: str | None = None
    origin: str = ""
    expression_location: Location | None = field(default=None, compare=False)

    def parse_failure(self, error: DaxSyntaxError) -> str:
        """The sentence for an expression that does not parse: where it fails, in the model file when the
        expression's start is known there (else the measure's origin), and why."""
        where = f" ({self.origin})" if self.origin else ""
        start = self.expression_location
        if start is None or not start.line:
            return f"measure [{self.name}]{where} does not parse: {error}"
        at = start.within(error.line, error.column)
        return (f"measure [{self.name}] does not parse at {at} (line {error.line}, column {error.column} of its "
                f"expression): {error.message}")


@dataclass(frozen=True)
class EngineTablePermission:
    """A role's row filter on ``table``: DAX evaluated for each row of the table (TRUE keeps the row)."""

    table: str
    expression: str
    origin: str = ""


@dataclass(frozen=True)
class EngineRole:
    """A row-level security role: its row filters (a role without any sees everything)."""

    name: str
    permissions: tuple[EngineTablePermission, ...] = ()
    origin: str = ""


@dataclass(frozen=True)
class EngineModel:
    """Tables, relationships, measures and roles, looked up by name case-insensitively."""

    tables: tuple[EngineTable, ...]
    relationships: tuple[EngineRelationship, ...]
    measures: tuple[EngineMeasure, ...] = ()
    description: str = ""
    roles: tuple[EngineRole, ...] = ()
    _tables: dict[str, EngineTable] = field(default_factory=dict, compare=False, repr=False)
    _measures: dict[str, EngineMeasure] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for table in self.tables:
            self._tables.setdefault(table.name.lower(), table)
        for measure in self.measures:
            self._measures.setdefault(measure.name.lower(), measure)

    def table(self, name: str) -> EngineTable | None:
        """The table called ``name`` (any case), or None."""
        return self._tables.get(name.lower())

    def measure(self, name: str) -> EngineMeasure | None:
        """The measure called ``name`` (any case), or None."""
        return self._measures.get(name.lower())

    @cached_property
    def names(self) -> Names:
        """The model's tables, columns and measures for DAX name resolution."""
        return Names({t.name: [c.name for c in t.columns] for t in self.tables},
                     {m.name: m.table for m in self.measures})

    def role(self, name: str) -> EngineRole | None:
        """The role called ``name`` (any case), or None."""
        return next((role for role in self.roles if role.name.lower() == name.lower()), None)

    @cached_property
    def calculation_groups(self) -> tuple[EngineTable, ...]:
        """The calculation groups' tables, highest precedence first (ties in model order)."""
        groups = [t for t in self.tables if t.calculation_group is not None]
        return tuple(sorted(groups, key=lambda t: -t.calculation_group.precedence))  # type: ignore[union-attr]

    def with_measures(self, measures: tuple[EngineMeasure, ...]) -> EngineModel:
        """This model with ``measures`` added; a measure of the same name is replaced."""
        replaced = {m.name.lower() for m in measures}
        kept = tuple(m for m in self.measures if m.name.lower() not in replaced)
        return EngineModel(self.tables, self.relationships, kept + measures, self.description, self.roles)

    @property
    def date_tables(self) -> tuple[EngineTable, ...]:
        """The tables marked as date tables."""
        return tuple(t for t in self.tables if t.is_date_table)
