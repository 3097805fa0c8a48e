"""A read-only view of the semantic-model IR (:mod:`generator.semantic`) shaped the way the lint rules ask.

Each view wraps one IR object (``obj``) and adds what rules need: Tabular Editor's object kind, how findings
name the object, and lookups across the model. The IR has already applied TOM's defaults (relationships
active, single direction, many-to-one; columns of type ``data``, available in MDX, ``summarizeBy`` default), so
every property here reads the same whichever format the model came from. Names compare case-insensitively,
as in the engine. Enumerated values (data types, cardinalities, modes) are returned lower-case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from generator.dax.names import dax_measure as bracket
from generator.dax.names import dax_table as quote_table
from generator.semantic import model as ir
from generator.semantic.location import NOWHERE, Location
from generator.semantic.model import ColumnKind, SemanticModel

if TYPE_CHECKING:
    from generator.lint.daxindex import DaxIndex

# TOM object kinds as Tabular Editor's rule scopes name them.
TABLE_KINDS = ("Table", "CalculatedTable", "CalculationGroup")
COLUMN_KINDS = {
    ColumnKind.DATA: "DataColumn",
    ColumnKind.CALCULATED: "CalculatedColumn",
    ColumnKind.CALCULATED_TABLE_COLUMN: "CalculatedTableColumn",
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


def _key(name: str) -> str:
    return name.casefold()


def _lower(value: ir.TomEnum | None) -> str:
    return value.value.lower() if value is not None else ""


@dataclass(frozen=True, eq=False)
class Named:
    """A named model object: its kind (a rule scope name), the IR object and how findings name it."""

    kind: str
    obj: Any
    object_name: str

    @property
    def name(self) -> str:
        return str(getattr(self.obj, "name", ""))

    @property
    def object_type(self) -> str:
        return OBJECT_TYPES[self.kind]

    @property
    def description(self) -> str:
        return str(getattr(self.obj, "description", ""))

    @property
    def is_hidden(self) -> bool:
        return bool(getattr(self.obj, "is_hidden", False))

    @property
    def annotations(self) -> dict[str, str]:
        return {a.name: a.value for a in getattr(self.obj, "annotations", ())}


@dataclass(frozen=True, eq=False)
class ColumnView(Named):
    """A column of a table (data, calculated or calculated-table column)."""

    obj: ir.Column
    table: TableView = field(repr=False)

    @property
    def data_type(self) -> str:
        return _lower(self.obj.data_type)

    @property
    def expression(self) -> str:
        return self.obj.expression or ""

    @property
    def source_column(self) -> str:
        return self.obj.source_column or ""

    @property
    def is_key(self) -> bool:
        return self.obj.is_key

    @property
    def format_string(self) -> str:
        return self.obj.format_string

    @property
    def summarize_by(self) -> str:
        return _lower(self.obj.summarize_by)

    @property
    def data_category(self) -> str:
        return self.obj.data_category

    @property
    def sort_by_column(self) -> str | None:
        return self.obj.sort_by_column

    @property
    def is_available_in_mdx(self) -> bool:
        return self.obj.is_available_in_mdx

    @property
    def hidden_or_table_hidden(self) -> bool:
        return self.is_hidden or self.table.is_hidden

    @property
    def is_numeric(self) -> bool:
        return self.data_type in ("int64", "decimal", "double")


@dataclass(frozen=True, eq=False)
class MeasureView(Named):
    """A measure, with its KPI and dynamic format string if it has them."""

    obj: ir.Measure
    table: TableView = field(repr=False)

    @property
    def expression(self) -> str:
        return self.obj.expression

    @property
    def format_string(self) -> str:
        return self.obj.format_string

    @property
    def format_string_expression(self) -> str:
        return self.obj.format_string_expression

    @property
    def display_folder(self) -> str:
        return self.obj.display_folder

    @property
    def hidden_or_table_hidden(self) -> bool:
        return self.is_hidden or self.table.is_hidden

    @property
    def kpi(self) -> ir.Kpi | None:
        return self.obj.kpi


@dataclass(frozen=True, eq=False)
class PartitionView(Named):
    """A partition; ``expression`` is its M, DAX or query text."""

    obj: ir.Partition
    table: TableView = field(repr=False)

    @property
    def source_type(self) -> str:
        return self.obj.source_type

    @property
    def mode(self) -> str:
        return _lower(self.obj.mode)

    @property
    def expression(self) -> str:
        return self.obj.expression

    @property
    def data_source(self) -> str | None:
        return self.obj.data_source


@dataclass(frozen=True, eq=False)
class TableView(Named):
    """A table: regular, calculated (partition source ``calculated``) or calculation group."""

    obj: ir.Table
    model: ModelView = field(repr=False)

    @cached_property
    def columns(self) -> list[ColumnView]:
        return [ColumnView(COLUMN_KINDS[c.kind], c, self.object_name + bracket(c.name), self)
                for c in self.obj.columns]

    @cached_property
    def measures(self) -> list[MeasureView]:
        return [MeasureView("Measure", m, bracket(m.name), self) for m in self.obj.measures]

    @cached_property
    def partitions(self) -> list[PartitionView]:
        return [PartitionView("Partition", p, f"{self.object_name}.{quote_table(p.name)}", self)
                for p in self.obj.partitions]

    @cached_property
    def hierarchies(self) -> list[Named]:
        return [Named("Hierarchy", h, self.object_name + bracket(h.name)) for h in self.obj.hierarchies]

    @cached_property
    def levels(self) -> list[Named]:
        return [Named("Level", level, f"{hierarchy.object_name}.{bracket(level.name)}")
                for hierarchy in self.hierarchies for level in hierarchy.obj.levels]

    @property
    def calculation_group(self) -> ir.CalculationGroup | None:
        return self.obj.calculation_group

    @cached_property
    def calculation_items(self) -> list[Named]:
        items = self.obj.calculation_group.items if self.obj.calculation_group else ()
        return [Named("CalculationItem", item, f"{self.object_name}.{quote_table(item.name)}") for item in items]

    @property
    def data_category(self) -> str:
        return self.obj.data_category

    @property
    def refresh_source_expression(self) -> str:
        return self.obj.refresh_source_expression or ""

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
        default = _lower(self.model.ir.default_mode)
        modes = [default if p.mode == "default" else p.mode for p in self.partitions]
        return bool(modes) and all(mode == "directquery" for mode in modes)


def _table_kind(table: ir.Table) -> str:
    if table.calculation_group is not None:
        return "CalculationGroup"
    return "CalculatedTable" if table.is_calculated else "Table"


@dataclass(frozen=True, eq=False)
class RelationshipView(Named):
    """A relationship between two columns."""

    obj: ir.Relationship
    model: ModelView = field(repr=False)

    @property
    def from_table(self) -> str:
        return self.obj.from_table

    @property
    def to_table(self) -> str:
        return self.obj.to_table

    @property
    def from_column_name(self) -> str:
        return self.obj.from_column

    @property
    def to_column_name(self) -> str:
        return self.obj.to_column

    @property
    def from_column(self) -> ColumnView | None:
        return self.model.column(self.from_table, self.from_column_name)

    @property
    def to_column(self) -> ColumnView | None:
        return self.model.column(self.to_table, self.to_column_name)

    @property
    def is_active(self) -> bool:
        return self.obj.is_active

    @property
    def cross_filtering(self) -> str:
        return _lower(self.obj.cross_filtering)

    @property
    def security_filtering(self) -> str:
        return _lower(self.obj.security_filtering)

    @property
    def is_bidirectional(self) -> bool:
        return self.cross_filtering == "bothdirections"

    @property
    def from_cardinality(self) -> str:
        return _lower(self.obj.from_cardinality)

    @property
    def to_cardinality(self) -> str:
        return _lower(self.obj.to_cardinality)

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

    obj: ir.TablePermission
    role: Named = field(repr=False)

    @property
    def name(self) -> str:
        return self.obj.table

    @property
    def table_name(self) -> str:
        return self.obj.table

    @property
    def filter_expression(self) -> str:
        return self.obj.filter_expression


@dataclass(frozen=True)
class DaxObject:
    """One DAX expression in the model and the object that owns it.

    ``kind`` is the owner's rule scope (``Measure``, ``CalculatedColumn``, ``CalculatedTable``,
    ``CalculationItem``, ``TablePermission``, ``KPI``) or ``FormatString`` for a dynamic format string.
    ``table`` is the owner's table (for a table permission: the table it filters); ``start`` is where the text
    starts in its file, when the reader knows it (a measure's expression read from a model file).
    """

    kind: str
    object_type: str
    object_name: str
    expression: str
    table: TableView | None = field(repr=False, compare=False)
    owner: Named = field(repr=False, compare=False)
    start: Location = field(default=NOWHERE, repr=False, compare=False)


def as_model(model: SemanticModel | dict[str, Any]) -> SemanticModel:
    """The IR itself, or the IR of a TMSL database dict (as :func:`generator.powerbi.semantic.semantic_model`
    builds it)."""
    if isinstance(model, SemanticModel):
        return model
    from generator.semantic.tmsl import from_database

    return from_database(model)


class ModelView:
    """Read-only access to the objects of a semantic model, with the lookups the rules need."""

    def __init__(self, model: SemanticModel | dict[str, Any]):
        self.ir = as_model(model)
        self.tables = [TableView(_table_kind(t), t, quote_table(t.name), self) for t in self.ir.tables]
        self.relationships = [self._relationship(r) for r in self.ir.relationships]
        self._tables = {_key(t.name): t for t in self.tables}
        self._measures: dict[str, MeasureView] = {}
        for table in self.tables:
            for measure in table.measures:
                self._measures.setdefault(_key(measure.name), measure)

    def _relationship(self, rel: ir.Relationship) -> RelationshipView:
        name = (f"{quote_table(rel.from_table)}{bracket(rel.from_column)} -> "
                f"{quote_table(rel.to_table)}{bracket(rel.to_column)}")
        return RelationshipView("Relationship", rel, name, self)

    @property
    def name(self) -> str:
        return self.ir.name

    @cached_property
    def model_object(self) -> Named:
        """The model itself as a named object (named like the database; its description and annotations are
        the model's)."""
        return Named("Model", self.ir, self.name)

    @property
    def default_power_bi_data_source_version(self) -> str:
        return self.ir.default_power_bi_data_source_version

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
        return [Named("ModelRole", role, role.name) for role in self.ir.roles]

    @cached_property
    def table_permissions(self) -> list[TablePermissionView]:
        return [TablePermissionView("TablePermission", permission,
                                    f"{role.name}/{quote_table(permission.table)}", role)
                for role in self.roles for permission in role.obj.table_permissions]

    @cached_property
    def perspectives(self) -> list[Named]:
        return [Named("Perspective", p, p.name) for p in self.ir.perspectives]

    @cached_property
    def data_sources(self) -> list[Named]:
        return [Named("StructuredDataSource" if s.type == "structured" else "ProviderDataSource", s, s.name)
                for s in self.ir.data_sources]

    @cached_property
    def expressions(self) -> list[Named]:
        return [Named("NamedExpression", e, e.name) for e in self.ir.expressions]

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

    @cached_property
    def _locations(self) -> dict[tuple[str, str], Location]:
        found: dict[tuple[str, str], Location] = {}
        for obj in self.objects(tuple(OBJECT_TYPES)):
            found.setdefault((obj.object_type, obj.object_name), obj.obj.location)
        for measure in self.measures:
            if measure.kpi is not None:
                found.setdefault(("kpi", measure.object_name), measure.kpi.location)
        return found

    def location_of(self, object_type: str, object_name: str) -> Location | None:
        """Where the object a finding names (its object type and name) was read: the model file and line, the
        TMDL file and line or the YAML spec file and line; of two objects named alike the first. ``None`` when
        no such object is known or the model was not read from a file."""
        location = self._locations.get((object_type, object_name))
        return None if location is None or location.file == NOWHERE.file else location

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
                if any(_key(level.column) == _key(column.name) for level in h.obj.levels)]

    @staticmethod
    def used_in_variations(column: ColumnView) -> list[ir.Variation]:
        """The column's variations (auto date/time hierarchies attached to it)."""
        return list(column.obj.variations)

    def row_filters(self, table: TableView) -> list[str]:
        """The non-empty row-level-security filters defined on ``table`` by any role."""
        return [p.filter_expression for p in self.table_permissions
                if _key(p.table_name) == _key(table.name) and p.filter_expression.strip()]

    def hidden_by_object_security(self, column: ColumnView) -> bool:
        """Whether a role hides ``column`` or its table with object-level security (metadataPermission none)."""
        for permission in self.table_permissions:
            if _key(permission.table_name) != _key(column.table.name):
                continue
            if permission.obj.metadata_permission.lower() == "none":
                return True
            for column_permission in permission.obj.column_permissions:
                if (_key(column_permission.name) == _key(column.name)
                        and column_permission.metadata_permission.lower() == "none"):
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
            yield DaxObject("Measure", measure.object_type, measure.object_name, measure.expression, table, measure,
                            measure.obj.expression_location)
            kpi = measure.kpi
            for text in (kpi.target_expression, kpi.status_expression, kpi.trend_expression) if kpi else ():
                if text.strip():
                    yield DaxObject("KPI", "kpi", measure.object_name, text, table, measure)
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
            yield DaxObject("CalculationItem", item.object_type, item.object_name, item.obj.expression,
                            table, item)
            format_string = item.obj.format_string_expression
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
