"""The semantic-model IR: frozen dataclasses shaped like TOM (the Tabular Object Model).

Every object keeps TOM's property names in snake case and the :class:`Location` it was read from. Locations
do not take part in equality, so the same model read from a model.bim and from a TMDL folder compares equal
where both formats carry the same information. Enumerated properties are enums whose values are TOM's
spellings; text properties are ``str`` (``""`` when absent) and optional references ``str | None``.

Names are kept as declared; :class:`SemanticModel` looks tables, columns, measures, roles and relationships
up case-insensitively, as DAX and the Analysis Services engine do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from generator.semantic.location import NOWHERE, Location


def key(name: str) -> str:
    """The case-insensitive lookup key of a model name."""
    return name.casefold()


class TomEnum(Enum):
    """An enumeration whose values are TOM's spellings; :meth:`parse` reads any case."""

    @classmethod
    def parse(cls, text: str) -> TomEnum | None:
        """The member spelled ``text`` in any case, or None."""
        wanted = text.casefold()
        return next((member for member in cls if member.value.casefold() == wanted), None)

    @classmethod
    def spellings(cls) -> str:
        """The accepted values, for messages: ``a, b or c``."""
        values = [member.value for member in cls]
        return ", ".join(values[:-1]) + " or " + values[-1]


class DataType(TomEnum):
    STRING = "string"
    INT64 = "int64"
    DOUBLE = "double"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATETIME = "dateTime"
    BINARY = "binary"
    VARIANT = "variant"
    AUTOMATIC = "automatic"
    UNKNOWN = "unknown"


class ColumnKind(TomEnum):
    DATA = "data"
    CALCULATED = "calculated"
    CALCULATED_TABLE_COLUMN = "calculatedTableColumn"


class SummarizeBy(TomEnum):
    DEFAULT = "default"
    NONE = "none"
    SUM = "sum"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    AVERAGE = "average"
    DISTINCT_COUNT = "distinctCount"


class Cardinality(TomEnum):
    ONE = "one"
    MANY = "many"
    NONE = "none"


class CrossFilter(TomEnum):
    ONE_DIRECTION = "oneDirection"
    BOTH_DIRECTIONS = "bothDirections"
    AUTOMATIC = "automatic"


class SecurityFilter(TomEnum):
    ONE_DIRECTION = "oneDirection"
    BOTH_DIRECTIONS = "bothDirections"
    NONE = "none"


class Mode(TomEnum):
    DEFAULT = "default"
    IMPORT = "import"
    DIRECT_QUERY = "directQuery"
    DUAL = "dual"
    DIRECT_LAKE = "directLake"
    PUSH = "push"


@dataclass(frozen=True)
class Annotation:
    """A name/value annotation (TOM keeps tool metadata in these)."""

    name: str
    value: str
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Annotated:
    """Mixin: the annotations of an object, by name."""

    def annotation(self, name: str) -> str | None:
        """The value of annotation ``name`` (exact spelling), or None."""
        return next((a.value for a in getattr(self, "annotations", ()) if a.name == name), None)


@dataclass(frozen=True)
class Variation(Annotated):
    """An auto date/time variation of a column."""

    name: str
    relationship: str = ""
    default_hierarchy: str = ""
    is_default: bool = False
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Column(Annotated):
    """A column: data (read from the source), calculated (``expression`` is DAX) or of a calculated table.

    ``data_type`` is None when the source does not state one.
    """

    name: str
    kind: ColumnKind = ColumnKind.DATA
    data_type: DataType | None = None
    expression: str | None = None
    source_column: str | None = None
    format_string: str = ""
    is_hidden: bool = False
    is_key: bool = False
    is_nullable: bool = True
    is_available_in_mdx: bool = True
    summarize_by: SummarizeBy = SummarizeBy.DEFAULT
    sort_by_column: str | None = None
    data_category: str = ""
    display_folder: str = ""
    description: str = ""
    alternate_of: bool = False
    variations: tuple[Variation, ...] = ()
    lineage_tag: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Kpi:
    """A measure's KPI expressions."""

    target_expression: str = ""
    status_expression: str = ""
    trend_expression: str = ""
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Measure(Annotated):
    """A measure: its DAX (``""`` when missing), static and dynamic format strings, folder and KPI.

    ``expression_location`` is where the DAX text starts in its file (see :meth:`.Location.within`), so that a
    position in the DAX can be named in the file; ``NOWHERE`` when the reader does not know (the specs, whose
    DAX is checked where it is written)."""

    name: str
    expression: str = ""
    format_string: str = ""
    format_string_expression: str = ""
    display_folder: str = ""
    is_hidden: bool = False
    description: str = ""
    kpi: Kpi | None = None
    lineage_tag: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)
    expression_location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Partition(Annotated):
    """A partition: ``source_type`` is TOM's partition source type in lower case (``m``, ``calculated``,
    ``query``, ``entity``, ``calculationgroup``, ``policyrange`` …); ``expression`` its M, DAX or query text."""

    name: str
    source_type: str = ""
    mode: Mode = Mode.DEFAULT
    expression: str = ""
    data_source: str | None = None
    entity_name: str | None = None
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Level:
    """A hierarchy level on a column."""

    name: str
    column: str
    ordinal: int = 0
    description: str = ""
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Hierarchy(Annotated):
    name: str
    levels: tuple[Level, ...] = ()
    is_hidden: bool = False
    description: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class CalculationItem(Annotated):
    name: str
    expression: str = ""
    format_string_expression: str = ""
    ordinal: int | None = None
    description: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class CalculationGroup:
    precedence: int = 0
    items: tuple[CalculationItem, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Table(Annotated):
    """A table: regular, calculated (a ``calculated`` partition) or a calculation group.

    ``refresh_source_expression`` is an incremental-refresh policy's source M.
    """

    name: str
    columns: tuple[Column, ...] = ()
    measures: tuple[Measure, ...] = ()
    partitions: tuple[Partition, ...] = ()
    hierarchies: tuple[Hierarchy, ...] = ()
    calculation_group: CalculationGroup | None = None
    data_category: str = ""
    is_hidden: bool = False
    description: str = ""
    refresh_source_expression: str | None = None
    lineage_tag: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)

    @cached_property
    def _columns(self) -> dict[str, Column]:
        index: dict[str, Column] = {}
        for column in self.columns:
            index.setdefault(key(column.name), column)
        return index

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (any case), or None."""
        return self._columns.get(key(name))

    @property
    def is_calculated(self) -> bool:
        return any(p.source_type == "calculated" for p in self.partitions)

    @property
    def is_date_table(self) -> bool:
        """Marked as a date table (``dataCategory: Time``)."""
        return self.data_category.casefold() == "time"


@dataclass(frozen=True)
class Relationship(Annotated):
    """``from_table[from_column]`` → ``to_table[to_column]`` with TOM's ends, directions and activity."""

    name: str
    from_table: str
    from_column: str
    to_table: str
    to_column: str
    from_cardinality: Cardinality = Cardinality.MANY
    to_cardinality: Cardinality = Cardinality.ONE
    cross_filtering: CrossFilter = CrossFilter.ONE_DIRECTION
    security_filtering: SecurityFilter = SecurityFilter.ONE_DIRECTION
    is_active: bool = True
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)

    @property
    def path(self) -> str:
        """``'from'[col] -> 'to'[col]``, as messages name a relationship."""
        return f"{self.from_table}[{self.from_column}] -> {self.to_table}[{self.to_column}]"


@dataclass(frozen=True)
class ColumnPermission:
    name: str
    metadata_permission: str = "default"
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class TablePermission(Annotated):
    """A role's permission on ``table``: its DAX row filter (``""``: none) and object-level security."""

    table: str
    filter_expression: str = ""
    metadata_permission: str = "default"
    column_permissions: tuple[ColumnPermission, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Role(Annotated):
    name: str
    model_permission: str = "none"
    members: tuple[str, ...] = ()
    table_permissions: tuple[TablePermission, ...] = ()
    description: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Perspective(Annotated):
    """A perspective and the tables it shows."""

    name: str
    tables: tuple[str, ...] = ()
    description: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class DataSource(Annotated):
    name: str
    type: str = "provider"
    description: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class NamedExpression(Annotated):
    """A shared (M) expression or parameter."""

    name: str
    kind: str = "m"
    expression: str = ""
    description: str = ""
    lineage_tag: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class SemanticModel(Annotated):
    """A whole model: TOM's ``Model`` (with its database's name and compatibility level) and everything in it.

    ``data_access_options`` are the options set, as (TOM name, value) pairs in TOM's order."""

    name: str = "Model"
    tables: tuple[Table, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    roles: tuple[Role, ...] = ()
    perspectives: tuple[Perspective, ...] = ()
    data_sources: tuple[DataSource, ...] = ()
    expressions: tuple[NamedExpression, ...] = ()
    cultures: tuple[str, ...] = ()
    culture: str = ""
    default_mode: Mode = Mode.IMPORT
    default_power_bi_data_source_version: str = ""
    discourage_implicit_measures: bool = False
    source_query_culture: str = ""
    data_access_options: tuple[tuple[str, bool], ...] = ()
    compatibility_level: int = 0
    description: str = ""
    annotations: tuple[Annotation, ...] = ()
    location: Location = field(default=NOWHERE, compare=False, repr=False)

    # -- the one case-insensitive lookup ------------------------------------------------------------------
    @cached_property
    def _tables(self) -> dict[str, Table]:
        index: dict[str, Table] = {}
        for table in self.tables:
            index.setdefault(key(table.name), table)
        return index

    @cached_property
    def _measures(self) -> dict[str, tuple[Table, Measure]]:
        index: dict[str, tuple[Table, Measure]] = {}
        for table in self.tables:
            for measure in table.measures:
                index.setdefault(key(measure.name), (table, measure))
        return index

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (any case), or None."""
        return self._tables.get(key(name))

    def column(self, table: str, name: str) -> Column | None:
        """Column ``name`` of ``table`` (any case), or None when either is missing."""
        found = self.table(table)
        return found.column(name) if found else None

    def measure(self, name: str) -> Measure | None:
        """The measure called ``name`` in any table (any case), or None."""
        found = self._measures.get(key(name))
        return found[1] if found else None

    def measure_table(self, name: str) -> Table | None:
        """The table holding measure ``name`` (any case), or None."""
        found = self._measures.get(key(name))
        return found[0] if found else None

    def role(self, name: str) -> Role | None:
        """The role called ``name`` (any case), or None."""
        return next((role for role in self.roles if key(role.name) == key(name)), None)

    def relationships_of(self, table: str) -> tuple[Relationship, ...]:
        """The relationships with ``table`` at either end."""
        wanted = key(table)
        return tuple(r for r in self.relationships if wanted in (key(r.from_table), key(r.to_table)))

    def relationship(self, from_table: str, from_column: str, to_table: str, to_column: str
                     ) -> Relationship | None:
        """The relationship with these ends (any case, either direction), or None."""
        ends = {(key(from_table), key(from_column)), (key(to_table), key(to_column))}
        return next((r for r in self.relationships
                     if {(key(r.from_table), key(r.from_column)), (key(r.to_table), key(r.to_column))} == ends),
                    None)

    def relationship_path(self, from_table: str, to_table: str) -> tuple[Relationship, ...] | None:
        """The shortest chain of active relationships along which ``from_table`` reaches ``to_table`` going from
        the many side to the one side (the way a filter on ``to_table`` reaches ``from_table``): ``()`` for the
        same table, None when there is none. Ties are broken by model order."""
        start, goal = key(from_table), key(to_table)
        paths: dict[str, tuple[Relationship, ...]] = {start: ()}
        frontier = [start]
        while frontier and goal not in paths:
            following = []
            for table in frontier:
                for rel in self.relationships:
                    if not rel.is_active:
                        continue
                    ends = (key(rel.from_table), key(rel.to_table))
                    many_to_one = (rel.from_cardinality, rel.to_cardinality) != (Cardinality.ONE, Cardinality.MANY)
                    near, far = ends if many_to_one else ends[::-1]
                    if near == table and far not in paths:
                        paths[far] = paths[table] + (rel,)
                        following.append(far)
            frontier = following
        return paths.get(goal)
