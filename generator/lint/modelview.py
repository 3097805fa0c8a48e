"""A thin read-only view over a TMSL database dict (the JSON of a ``model.bim``).

Absent properties read as their TOM defaults (relationships active, single direction, many-to-one; columns of
type ``data``, available in MDX, ``summarizeBy`` default). Names compare case-insensitively, as in the engine.
Enumerated values (data types, cardinalities, modes) are returned lower-case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.lint.daxindex import DaxIndex

# TOM object kinds as Tabular Editor's rule scopes name them.
TABLE_KINDS = ("Table", "CalculatedTable", "CalculationGroup")
COLUMN_KINDS = {
    "data": "DataColumn",
    "calculated": "CalculatedColumn",
    "calculatedtablecolumn": "CalculatedTableColumn",
}
OBJECT_TYPES = {
    "Model": "model",
    "Table": "table",
    "CalculatedTable": "calculated table",
    "CalculationGroup": "calculation group",
    "DataColumn": "column",
    "CalculatedColumn": "calculated column",
    "CalculatedTableColumn": "calculated table column",
    "Measure": "measure",
    "KPI": "kpi",
    "Hierarchy": "hierarchy",
    "Level": "level",
    "Partition": "partition",
    "Relationship": "relationship",
    "ModelRole": "role",
    "TablePermission": "table permission",
    "Perspective": "perspective",
    "ProviderDataSource": "data source",
    "StructuredDataSource": "data source",
    "NamedExpression": "expression",
    "CalculationItem": "calculation item",
}


def text_of(value: Any) -> str:
    """A TMSL text property as one string: lists of lines are joined with newlines, ``None`` is ``""``."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return str(value)


def quote_table(name: str) -> str:
    """``'name'`` with embedded quotes doubled, as DAX writes a table name."""
    return "'" + name.replace("'", "''") + "'"


def bracket(name: str) -> str:
    """``[name]`` with ``]`` doubled, as DAX writes a column or measure name."""
    return "[" + name.replace("]", "]]") + "]"


def _key(name: str) -> str:
    return name.casefold()


def _annotations(raw: dict[str, Any]) -> dict[str, str]:
    return {str(a.get("name", "")): text_of(a.get("value")) for a in raw.get("annotations") or []}


@dataclass(frozen=True, eq=False)
class Named:
    """A named TOM object: its kind (a rule scope name), the raw dict and how findings name it."""

    kind: str
    raw: dict[str, Any]
    object_name: str

    @property
    def name(self) -> str:
        return str(self.raw.get("name", ""))

    @property
    def object_type(self) -> str:
        return OBJECT_TYPES[self.kind]

    @property
    def description(self) -> str:
        return text_of(self.raw.get("description"))

    @property
    def is_hidden(self) -> bool:
        return bool(self.raw.get("isHidden", False))

    @property
    def annotations(self) -> dict[str, str]:
        return _annotations(self.raw)


@dataclass(frozen=True, eq=False)
class ColumnView(Named):
    """A column of a table (data, calculated or calculated-table column)."""

    table: TableView = field(repr=False)

    @property
    def data_type(self) -> str:
        return str(self.raw.get("dataType", "")).lower()

    @property
    def expression(self) -> str:
        return text_of(self.raw.get("expression"))

    @property
    def source_column(self) -> str:
        return text_of(self.raw.get("sourceColumn"))

    @property
    def is_key(self) -> bool:
        return bool(self.raw.get("isKey", False))

    @property
    def format_string(self) -> str:
        return text_of(self.raw.get("formatString"))

    @property
    def summarize_by(self) -> str:
        return str(self.raw.get("summarizeBy", "default")).lower()

    @property
    def data_category(self) -> str:
        return text_of(self.raw.get("dataCategory"))

    @property
    def sort_by_column(self) -> str | None:
        value = self.raw.get("sortByColumn")
        return str(value) if value else None

    @property
    def is_available_in_mdx(self) -> bool:
        return bool(self.raw.get("isAvailableInMdx", True))

    @property
    def hidden_or_table_hidden(self) -> bool:
        return self.is_hidden or self.table.is_hidden

    @property
    def is_numeric(self) -> bool:
        return self.data_type in ("int64", "decimal", "double")


@dataclass(frozen=True, eq=False)
class MeasureView(Named):
    """A measure, with its KPI and dynamic format string if it has them."""

    table: TableView = field(repr=False)

    @property
    def expression(self) -> str:
        return text_of(self.raw.get("expression"))

    @property
    def format_string(self) -> str:
        return text_of(self.raw.get("formatString"))

    @property
    def format_string_expression(self) -> str:
        return text_of((self.raw.get("formatStringDefinition") or {}).get("expression"))

    @property
    def display_folder(self) -> str:
        return text_of(self.raw.get("displayFolder"))

    @property
    def hidden_or_table_hidden(self) -> bool:
        return self.is_hidden or self.table.is_hidden

    @property
    def kpi(self) -> dict[str, Any] | None:
        return self.raw.get("kpi") or None


@dataclass(frozen=True, eq=False)
class PartitionView(Named):
    """A partition; ``expression`` is its M, DAX or query text."""

    table: TableView = field(repr=False)

    @property
    def source(self) -> dict[str, Any]:
        return self.raw.get("source") or {}

    @property
    def source_type(self) -> str:
        return str(self.source.get("type", "")).lower()

    @property
    def mode(self) -> str:
        return str(self.raw.get("mode", "default")).lower()

    @property
    def expression(self) -> str:
        return text_of(self.source.get("expression") or self.source.get("query"))

    @property
    def data_source(self) -> str | None:
        value = self.source.get("dataSource")
        return str(value) if value else None


@dataclass(frozen=True, eq=False)
class TableView(Named):
    """A table: regular, calculated (partition source ``calculated``) or calculation group."""

    model: ModelView = field(repr=False)

    @cached_property
    def columns(self) -> list[ColumnView]:
        result = []
        for raw in self.raw.get("columns") or []:
            kind = COLUMN_KINDS.get(str(raw.get("type", "data")).lower())
            if kind is not None:  # the engine's internal rowNumber column is not a model column
                name = str(raw.get("name", ""))
                result.append(ColumnView(kind, raw, self.object_name + bracket(name), self))
        return result

    @cached_property
    def measures(self) -> list[MeasureView]:
        return [MeasureView("Measure", raw, bracket(str(raw.get("name", ""))), self)
                for raw in self.raw.get("measures") or []]

    @cached_property
    def partitions(self) -> list[PartitionView]:
        return [PartitionView("Partition", raw, f"{self.object_name}.{quote_table(str(raw.get('name', '')))}", self)
                for raw in self.raw.get("partitions") or []]

    @cached_property
    def hierarchies(self) -> list[Named]:
        return [Named("Hierarchy", raw, self.object_name + bracket(str(raw.get("name", ""))))
                for raw in self.raw.get("hierarchies") or []]

    @cached_property
    def levels(self) -> list[Named]:
        return [Named("Level", level, f"{hierarchy.object_name}.{bracket(str(level.get('name', '')))}")
                for hierarchy in self.hierarchies for level in hierarchy.raw.get("levels") or []]

    @property
    def calculation_group(self) -> dict[str, Any] | None:
        group = self.raw.get("calculationGroup")
        return group if isinstance(group, dict) else None

    @cached_property
    def calculation_items(self) -> list[Named]:
        items = (self.calculation_group or {}).get("calculationItems") or []
        return [Named("CalculationItem", raw, f"{self.object_name}.{quote_table(str(raw.get('name', '')))}")
                for raw in items]

    @property
    def data_category(self) -> str:
        return text_of(self.raw.get("dataCategory"))

    @cached_property
    def column_index(self) -> dict[str, ColumnView]:
        return {_key(c.name): c for c in self.columns}

    def column(self, name: str) -> ColumnView | None:
        """The column called ``name`` (case-insensitive), or ``None``."""
        return self.column_index.get(_key(name))

    def measure(self, name: str) -> MeasureView | None:
        """The measure of this table called ``name`` (case-insensitive), or ``None``."""
        return next((m for m in self.measures if _key(m.name) == _key(name)), None)

    @property
    def is_marked_date_table(self) -> bool:
        """``dataCategory: Time`` and an ``isKey`` column of type dateTime, as Power BI marks a date table."""
        return self.data_category == "Time" and any(c.is_key and c.data_type == "datetime" for c in self.columns)

    @property
    def is_direct_query(self) -> bool:
        """Every partition is in DirectQuery mode (a partition in ``default`` mode follows the model)."""
        default = str(self.model.model.get("defaultMode", "import")).lower()
        modes = [default if p.mode == "default" else p.mode for p in self.partitions]
        return bool(modes) and all(mode == "directquery" for mode in modes)


def _table_kind(raw: dict[str, Any]) -> str:
    if isinstance(raw.get("calculationGroup"), dict):
        return "CalculationGroup"
    sources = [str((p.get("source") or {}).get("type", "")).lower() for p in raw.get("partitions") or []]
    return "CalculatedTable" if "calculated" in sources else "Table"


@dataclass(frozen=True, eq=False)
class RelationshipView(Named):
    """A relationship between two columns."""

    model: ModelView = field(repr=False)

    @property
    def from_table(self) -> str:
        return str(self.raw.get("fromTable", ""))

    @property
    def to_table(self) -> str:
        return str(self.raw.get("toTable", ""))

    @property
    def from_column_name(self) -> str:
        return str(self.raw.get("fromColumn", ""))

    @property
    def to_column_name(self) -> str:
        return str(self.raw.get("toColumn", ""))

    @property
    def from_column(self) -> ColumnView | None:
        return self.model.column(self.from_table, self.from_column_name)

    @property
    def to_column(self) -> ColumnView | None:
        return self.model.column(self.to_table, self.to_column_name)

    @property
    def is_active(self) -> bool:
        return bool(self.raw.get("isActive", True))

    @property
    def cross_filtering(self) -> str:
        return str(self.raw.get("crossFilteringBehavior", "oneDirection")).lower()

    @property
    def is_bidirectional(self) -> bool:
        return self.cross_filtering == "bothdirections"

    @property
    def from_cardinality(self) -> str:
        return str(self.raw.get("fromCardinality", "many")).lower()

    @property
    def to_cardinality(self) -> str:
        return str(self.raw.get("toCardinality", "one")).lower()

    @property
    def is_many_to_many(self) -> bool:
        return self.from_cardinality == "many" and self.to_cardinality == "many"

    def touches(self, table: TableView) -> bool:
        """Whether ``table`` is on either side."""
        return _key(table.name) in (_key(self.from_table), _key(self.to_table))

    def uses(self, column: ColumnView) -> bool:
        """Whether ``column`` is the from- or the to-column."""
        return column in (self.from_column, self.to_column)


@dataclass(frozen=True, eq=False)
class TablePermissionView(Named):
    """A role's permission on one table: its row filter and object-level security."""

    role: Named = field(repr=False)

    @property
    def table_name(self) -> str:
        return self.name

    @property
    def filter_expression(self) -> str:
        return text_of(self.raw.get("filterExpression"))


@dataclass(frozen=True)
class DaxObject:
    """One DAX expression in the model and the object that owns it.

    ``kind`` is the owner's rule scope (``Measure``, ``CalculatedColumn``, ``CalculatedTable``,
    ``CalculationItem``, ``TablePermission``, ``KPI``) or ``FormatString`` for a dynamic format string.
    ``table`` is the owner's table (for a table permission: the table it filters).
    """

    kind: str
    object_type: str
    object_name: str
    expression: str
    table: TableView | None = field(repr=False, compare=False)
    owner: Named = field(repr=False, compare=False)


class ModelView:
    """Read-only access to the objects of a TMSL database, with the lookups the rules need."""

    def __init__(self, database: dict[str, Any]):
        self.database = database
        self.model: dict[str, Any] = database.get("model") or {}
        self.tables = [TableView(_table_kind(raw), raw, quote_table(str(raw.get("name", ""))), self)
                       for raw in self.model.get("tables") or []]
        self.relationships = [self._relationship(raw) for raw in self.model.get("relationships") or []]
        self._tables = {_key(t.name): t for t in self.tables}
        self._measures: dict[str, MeasureView] = {}
        for table in self.tables:
            for measure in table.measures:
                self._measures.setdefault(_key(measure.name), measure)

    def _relationship(self, raw: dict[str, Any]) -> RelationshipView:
        name = (f"{quote_table(str(raw.get('fromTable', '')))}{bracket(str(raw.get('fromColumn', '')))} -> "
                f"{quote_table(str(raw.get('toTable', '')))}{bracket(str(raw.get('toColumn', '')))}")
        return RelationshipView("Relationship", raw, name, self)

    @property
    def name(self) -> str:
        return str(self.database.get("name") or self.model.get("name") or "Model")

    @cached_property
    def model_object(self) -> Named:
        """The model itself as a named object (named like the database; its description and annotations are
        the model's)."""
        raw = {"name": self.name, "description": self.model.get("description"),
               "annotations": self.model.get("annotations") or []}
        return Named("Model", raw, self.name)

    @property
    def measures(self) -> list[MeasureView]:
        return [m for t in self.tables for m in t.measures]

    @property
    def columns(self) -> list[ColumnView]:
        return [c for t in self.tables for c in t.columns]

    @property
    def partitions(self) -> list[PartitionView]:
        return [p for t in self.tables for p in t.partitions]

    @cached_property
    def roles(self) -> list[Named]:
        return [Named("ModelRole", raw, str(raw.get("name", ""))) for raw in self.model.get("roles") or []]

    @cached_property
    def table_permissions(self) -> list[TablePermissionView]:
        return [TablePermissionView("TablePermission", raw, f"{role.name}/{quote_table(str(raw.get('name', '')))}",
                                    role)
                for role in self.roles for raw in role.raw.get("tablePermissions") or []]

    @cached_property
    def perspectives(self) -> list[Named]:
        return [Named("Perspective", raw, str(raw.get("name", ""))) for raw in self.model.get("perspectives") or []]

    @cached_property
    def data_sources(self) -> list[Named]:
        result = []
        for raw in self.model.get("dataSources") or []:
            kind = "StructuredDataSource" if str(raw.get("type", "")).lower() == "structured" else "ProviderDataSource"
            result.append(Named(kind, raw, str(raw.get("name", ""))))
        return result

    @cached_property
    def expressions(self) -> list[Named]:
        return [Named("NamedExpression", raw, str(raw.get("name", ""))) for raw in self.model.get("expressions") or []]

    def table(self, name: str) -> TableView | None:
        """The table called ``name`` (case-insensitive), or ``None``."""
        return self._tables.get(_key(name))

    def column(self, table: str, name: str) -> ColumnView | None:
        """Column ``name`` of table ``table``, or ``None`` if either is missing."""
        found = self.table(table)
        return found.column(name) if found else None

    def measure(self, name: str) -> MeasureView | None:
        """The measure called ``name`` in any table (measure names are unique in a model), or ``None``."""
        return self._measures.get(_key(name))

    def columns_named(self, name: str) -> list[ColumnView]:
        """Every column called ``name``, in any table."""
        return [c for t in self.tables if (c := t.column(name)) is not None]

    def objects(self, kinds: tuple[str, ...]) -> list[Named]:
        """The named objects of the given kinds (rule scope names such as ``Table`` or ``DataColumn``), in model
        order: model, tables, their columns, measures, hierarchies, levels, partitions and calculation items,
        then relationships, roles, table permissions, perspectives, data sources and named expressions."""
        wanted = set(kinds)
        found: list[Named] = []
        if "Model" in wanted:
            found.append(self.model_object)
        for table in self.tables:
            if table.kind in wanted:
                found.append(table)
            for group in (table.columns, table.measures, table.hierarchies, table.levels, table.partitions,
                          table.calculation_items):
                found.extend(obj for obj in group if obj.kind in wanted)
        for group in (self.relationships, self.roles, self.table_permissions, self.perspectives, self.data_sources,
                      self.expressions):
            found.extend(obj for obj in group if obj.kind in wanted)
        return found

    # --- relationships, sorting, hierarchies, security -----------------------------------------------

    def relationships_of_table(self, table: TableView) -> list[RelationshipView]:
        """The relationships with ``table`` on either side."""
        return [r for r in self.relationships if r.touches(table)]

    def used_in_relationships(self, column: ColumnView) -> list[RelationshipView]:
        """The relationships that use ``column`` on either side."""
        return [r for r in self.relationships if r.uses(column)]

    def is_foreign_key(self, column: ColumnView) -> bool:
        """``column`` is the from-column of a relationship whose from side is "many"."""
        return any(r.from_column is column and r.from_cardinality == "many" for r in self.relationships)

    def used_in_sort_by(self, column: ColumnView) -> list[ColumnView]:
        """The columns of the same table sorted by ``column``."""
        return [c for c in column.table.columns if c.sort_by_column and _key(c.sort_by_column) == _key(column.name)]

    def used_in_hierarchies(self, column: ColumnView) -> list[Named]:
        """The hierarchies of the column's table with a level on ``column``."""
        return [h for h in column.table.hierarchies
                if any(_key(str(level.get("column", ""))) == _key(column.name) for level in h.raw.get("levels") or [])]

    @staticmethod
    def used_in_variations(column: ColumnView) -> list[dict[str, Any]]:
        """The column's variations (auto date/time hierarchies attached to it)."""
        return list(column.raw.get("variations") or [])

    def row_filters(self, table: TableView) -> list[str]:
        """The non-empty row-level-security filters defined on ``table`` by any role."""
        return [p.filter_expression for p in self.table_permissions
                if _key(p.table_name) == _key(table.name) and p.filter_expression.strip()]

    def hidden_by_object_security(self, column: ColumnView) -> bool:
        """Whether a role hides ``column`` or its table with object-level security (metadataPermission none)."""
        for permission in self.table_permissions:
            if _key(permission.table_name) != _key(column.table.name):
                continue
            if str(permission.raw.get("metadataPermission", "")).lower() == "none":
                return True
            for column_permission in permission.raw.get("columnPermissions") or []:
                if (_key(str(column_permission.get("name", ""))) == _key(column.name)
                        and str(column_permission.get("metadataPermission", "")).lower() == "none"):
                    return True
        return False

    # --- DAX expressions ----------------------------------------------------------------------------

    @cached_property
    def dax_objects(self) -> list[DaxObject]:
        """Every DAX expression of the model with the object that owns it."""
        found: list[DaxObject] = []
        for table in self.tables:
            found.extend(self._table_dax(table))
        for permission in self.table_permissions:
            found.append(DaxObject("TablePermission", permission.object_type, permission.object_name,
                                   permission.filter_expression, self.table(permission.table_name), permission))
        return found

    def _table_dax(self, table: TableView) -> Iterator[DaxObject]:
        for measure in table.measures:
            yield DaxObject("Measure", measure.object_type, measure.object_name, measure.expression, table, measure)
            kpi = measure.kpi or {}
            for key in ("targetExpression", "statusExpression", "trendExpression"):
                if text_of(kpi.get(key)).strip():
                    yield DaxObject("KPI", "kpi", measure.object_name, text_of(kpi.get(key)), table, measure)
            if measure.format_string_expression.strip():
                yield DaxObject("FormatString", measure.object_type, measure.object_name,
                                measure.format_string_expression, table, measure)
        for column in table.columns:
            if column.kind == "CalculatedColumn":
                yield DaxObject("CalculatedColumn", column.object_type, column.object_name, column.expression, table,
                                column)
        if table.kind == "CalculatedTable":
            for partition in table.partitions:
                if partition.source_type == "calculated":
                    yield DaxObject("CalculatedTable", "calculated table", table.object_name, partition.expression,
                                    table, table)
        for item in table.calculation_items:
            yield DaxObject("CalculationItem", item.object_type, item.object_name, text_of(item.raw.get("expression")),
                            table, item)
            format_string = text_of((item.raw.get("formatStringDefinition") or {}).get("expression"))
            if format_string.strip():
                yield DaxObject("FormatString", item.object_type, item.object_name, format_string, table, item)

    @cached_property
    def dax(self) -> DaxIndex:
        """Tokens and resolved references of every DAX expression (built on first use)."""
        from generator.lint.daxindex import DaxIndex

        return DaxIndex(self)

    def referenced_by(self, target: Named) -> list[DaxObject]:
        """The DAX expressions that refer to ``target`` (a table, column or measure)."""
        return self.dax.referenced_by(target)

    def dax_in_scope(self, *kinds: str) -> list[DaxObject]:
        """The DAX expressions owned by objects of the given kinds."""
        return [d for d in self.dax_objects if d.kind in kinds]
