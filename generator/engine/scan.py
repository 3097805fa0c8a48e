"""Reading a model table under a filter context: its expanded table as SQL joins, with every filter applied.

DAX filters a table through its *expanded* table: the table itself plus, following relationships from the
many side to the one side, every table it reaches. A filter on any column of the expanded table restricts
the table's rows; filters on other columns do not. Here the expanded table is built lazily as LEFT JOINs from
the base table (a fact row without a match sees BLANK dimension columns, as Power BI's blank row does).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from sqlglot import exp

from generator.engine.context import Filter, FilterContext
from generator.engine.errors import Unsupported
from generator.engine.model import EngineModel, EngineRelationship, EngineTable
from generator.engine.relations import ColumnKey, Relation, RelColumn, col
from generator.engine.sqltree import aliased, owned
from generator.engine.values import DaxType

Fresh = Callable[[str], str]


class Sources(Protocol):
    """Where a scan reads a table's rows from (row-level security gives the visible rows instead)."""

    def source(self, table: EngineTable, alias: str) -> exp.Expression:
        """The FROM item of ``table``'s rows (calculated columns included), aliased."""


def source_table(table: EngineTable, alias: str) -> exp.Table:
    """The SQL table behind ``table``, aliased (``schema.table`` sources keep their schema)."""
    if table.expression is not None:  # read through generator.engine.derived.Derived
        raise Unsupported(f"calculated table {table.name}", reason="calculated tables are evaluated by an engine")
    parts = table.source.split(".")
    name = exp.to_identifier(parts[-1], quoted=True)
    db = exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None
    return exp.Table(this=name, db=db, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def read_column(alias: str, source: str, dax_type: DaxType) -> exp.Expression:
    """A column as the engine computes with it: dates as TIMESTAMP, decimals as DOUBLE."""
    raw = exp.column(source, table=alias, quoted=True)
    if dax_type is DaxType.DATETIME:
        return exp.cast(raw, exp.DataType.build("TIMESTAMP"))
    if dax_type in (DaxType.DECIMAL, DaxType.DOUBLE):
        return exp.cast(raw, exp.DataType.build("DOUBLE"))
    return raw


def relationships_in_effect(model: EngineModel, context: FilterContext) -> list[EngineRelationship]:
    """The active relationships, after USERELATIONSHIP swapped in the activated ones."""
    in_effect = [r for r in model.relationships if r.active]
    for activated in context.activated:
        pair = {activated.from_table.lower(), activated.to_table.lower()}
        in_effect = [r for r in in_effect if {r.from_table.lower(), r.to_table.lower()} != pair]
        in_effect.append(activated)
    return in_effect


def _same(left: exp.Expression, right: exp.Expression, dax_type: DaxType) -> exp.Expression:
    """Filter matching: BLANK matches BLANK; text compares without regard to case, as Power BI does."""
    if dax_type is DaxType.STRING:
        left, right = exp.Lower(this=left), exp.Lower(this=right)
    return exp.NullSafeEQ(this=left, expression=right)


class TableScan:
    """The rows of one model table under a filter context, with the columns of its expanded table on demand."""

    def __init__(self, model: EngineModel, table: EngineTable, context: FilterContext, fresh: Fresh,
                 materialize: Callable[[Filter], exp.Query], source: Relation | None = None,
                 sources: Sources | None = None):
        """``source``: read the base rows from this compiled table (rows of ``table``) instead of its SQL table.
        ``sources``: where the tables' rows come from (row-level security); default the SQL tables."""
        self.model = model
        self.source = source
        self.sources = sources
        self.table = table
        self.context = context
        self.fresh = fresh
        self.materialize = materialize
        self.alias = fresh("t")
        self.relationships = relationships_in_effect(model, context)
        self.paths = self._paths()
        self.joined: dict[str, str] = {table.name.lower(): self.alias}
        self.joins: list[tuple[exp.Table, exp.Expression]] = []

    def _paths(self) -> dict[str, list[EngineRelationship]]:
        """The many-to-one path from the base table to each table of its expanded table."""
        paths: dict[str, list[EngineRelationship]] = {self.table.name.lower(): []}
        queue = deque([self.table.name.lower()])
        while queue:
            current = queue.popleft()
            for relationship in self.relationships:
                if relationship.from_table.lower() != current:
                    continue
                self._check_supported(relationship)
                target = relationship.to_table.lower()
                if target not in paths:
                    paths[target] = [*paths[current], relationship]
                    queue.append(target)
        for relationship in self.relationships:
            if relationship.to_table.lower() in paths:
                self._check_supported(relationship)
        return paths

    def _check_supported(self, relationship: EngineRelationship) -> None:
        if relationship.cross_filter != "single":
            raise Unsupported(f"bidirectional relationship {relationship.name}",
                              reason="filters flowing from the many side to the one side are not evaluated")
        if relationship.cardinality != "many_to_one":
            raise Unsupported(f"{relationship.cardinality.replace('_', '-')} relationship {relationship.name}")

    def reaches(self, table: str) -> bool:
        """True when ``table`` belongs to the expanded table."""
        return table.lower() in self.paths

    def _join(self, table: str) -> str:
        """The alias of ``table`` in the scan, adding the LEFT JOINs that reach it."""
        lowered = table.lower()
        if lowered in self.joined:
            return self.joined[lowered]
        alias = self.alias
        for relationship in self.paths[lowered]:
            target = relationship.to_table.lower()
            if target not in self.joined:
                target_table = self.model.table(relationship.to_table)
                assert target_table is not None
                to_column = self._source(relationship.to_table, relationship.to_column)
                new_alias = self.fresh("j")
                condition = exp.EQ(this=self._raw(alias, relationship.from_table, relationship.from_column),
                                   expression=exp.column(to_column, table=new_alias, quoted=True))
                self.joins.append((self._table_source(target_table, new_alias), condition))
                self.joined[target] = new_alias
            alias = self.joined[target]
        return alias

    def _table_source(self, table: EngineTable, alias: str) -> exp.Expression:
        return self.sources.source(table, alias) if self.sources is not None else source_table(table, alias)

    def _raw(self, alias: str, table: str, column: str) -> exp.Expression:
        """A column as stored (join keys), read from the base source when ``alias`` is the base."""
        if alias == self.alias and self.source is not None:
            found = self.source.find((table, column))
            assert found is not None
            return col(alias, found.sql)
        return exp.column(self._source(table, column), table=alias, quoted=True)

    def _source(self, table: str, column: str) -> str:
        model_table = self.model.table(table)
        assert model_table is not None
        model_column = model_table.column(column)
        assert model_column is not None
        return model_column.source

    def column(self, key: ColumnKey) -> exp.Expression | None:
        """The value of model column ``key`` for each scanned row, or None when it is not in the expanded table."""
        if not self.reaches(key[0]):
            return None
        model_table = self.model.table(key[0])
        assert model_table is not None
        model_column = model_table.column(key[1])
        assert model_column is not None
        if model_column.expression is not None and self.sources is None:  # computed by engine.derived
            raise Unsupported(f"calculated column {model_table.name}[{model_column.name}]",
                              reason="calculated columns are evaluated by an engine")
        if self.source is not None and key[0].lower() == self.table.name.lower():
            found = self.source.find((self.table.name, model_column.name))
            return col(self.alias, found.sql) if found is not None else None
        return read_column(self._join(key[0]), model_column.source, model_column.type)

    def conditions(self) -> list[exp.Expression]:
        """One SQL condition per filter of the context that reaches this table."""
        conditions: list[exp.Expression] = []
        for current in self.context.filters:
            values = [self.column(key) for key in current.columns]
            if all(value is None for value in values):
                continue
            if current.predicate is not None and all(value is not None for value in values):
                conditions.append(current.substitute([v for v in values if v is not None]))
                continue
            relation = current.relation if current.relation is not None else self.materialize(current)
            alias = self.fresh("f")
            matches = [_same(col(alias, f"c{i}"), value, self._type(current.columns[i]))
                       for i, value in enumerate(values) if value is not None]
            inner = exp.select(exp.Literal.number(1), copy=False).from_(
                exp.Subquery(this=owned(relation), alias=exp.TableAlias(this=exp.to_identifier(alias))), copy=False
            ).where(exp.and_(*matches, copy=False), copy=False)
            conditions.append(exp.Exists(this=inner))
        return conditions

    def _type(self, key: ColumnKey) -> DaxType:
        table = self.model.table(key[0])
        column = table.column(key[1]) if table is not None else None
        return column.type if column is not None else DaxType.VARIANT

    def select(self, *expressions: exp.Expression) -> exp.Select:
        """``SELECT expressions FROM`` the table, its joins and the context's filters."""
        where = self.conditions()  # may add joins
        base = self.source.subquery(self.alias) if self.source is not None else self._table_source(self.table,
                                                                                                   self.alias)
        query = exp.select(*expressions, copy=False).from_(base, copy=False)
        for table, condition in self.joins:
            query = query.join(table, on=condition, join_type="left", copy=False)
        if where:
            query = query.where(exp.and_(*where, copy=False), copy=False)
        return query

    def expanded_keys(self) -> list[ColumnKey]:
        """Every column of the expanded table: the base table's, then each related table's."""
        keys: list[ColumnKey] = []
        for lowered in self.paths:
            table = self.model.table(lowered)
            assert table is not None
            keys.extend((table.name, c.name) for c in table.columns
                        if c.expression is None or self.sources is not None)
        return keys

    def relation(self) -> Relation:
        """All columns of the table for the rows that pass the filters."""
        columns = tuple(RelColumn(f"c{i}", f"{self.table.name}[{c.name}]", (self.table.name, c.name), c.type)
                        for i, c in enumerate(self.table.columns))
        values = [self.column((self.table.name, c.name)) for c in self.table.columns]
        query = self.select(*[aliased(value, rel.sql) for value, rel in zip(values, columns, strict=True)
                              if value is not None])
        return Relation(query, columns, base_table=self.table.name)
