"""Calculated columns and calculated tables: evaluated as derived tables the scans read instead of the stored ones.

Power BI computes a calculated column when the model is refreshed: its DAX is evaluated once for each row of
its table, in that row's context and without any filter context (``RELATED`` reads the related row, a measure
or ``CALCULATE`` turns the row into a filter by context transition), and the result is then stored like any
other column. A calculated table is a DAX table expression evaluated the same way, once, in an empty filter
context; its columns are the expression's, matched to the model's columns by ``sourceColumn`` (``[Date]``,
``Table[Column]``) or by name. A calculation group's table is read the same way: one row per item, its name
(``Name``) and ordinal (``Ordinal``); applying the items is :mod:`generator.engine.calcgroups`' job. None of
them sees row-level security (refresh runs as the model's owner).

Here each table that has calculated columns or is calculated becomes a common table expression
``__calc_<n>_<table>`` (:data:`CTE_PREFIX`, ``n`` numbering the engines) holding its stored (or computed)
columns under their SQL names and each calculated column under its own: every scan, join, filter and blank-row
check reads it as it would read the stored table, so a calculated column can be filtered, grouped by,
aggregated and related like a physical one. On DuckDB an engine materialises them once, as temporary tables
of those names, and its statements read those (``--sql`` output keeps the CTEs, so that it runs anywhere).

Calculated tables and columns are computed one at a time in dependency order (over the whole model), each
over the rows of its table so far: an expression reads the calculated columns it names (``T[c]``, or ``[c]``
unqualified), every calculated column of a table it reads whole (``COUNTROWS ( T )``, ``FILTER ( T, … )``),
those the measures it uses read and, through context transition (a measure, ``CALCULATE``,
``RELATEDTABLE``), every other column of its row — unless a stored column identifies the rows (the table is
the one side of a relationship), when DAX makes the transition depend on that column only. Columns and tables
that need each other — directly, or two columns using context transition on a table without such a column,
which DAX also calls a circular dependency — are refused with a sentence naming them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from sqlglot import exp

from generator.dax import ast
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression
from generator.dax.references import walk
from generator.engine import scalars
from generator.engine.compiler import Compiler, Env, RowFrame
from generator.engine.errors import DaxEngineError
from generator.engine.model import EngineColumn, EngineModel, EngineTable
from generator.engine.relations import Relation, RelColumn, col
from generator.engine.scan import read_column, source_table
from generator.engine.sqltree import aliased, with_ctes
from generator.engine.values import DaxType

CTE_PREFIX = "__calc_"
# One step of computing the derived tables: ("table", table, None) its calculated table's rows, ("column",
# table, column) one calculated column.
_Step = tuple[str, EngineTable, EngineColumn | None]
_Partial = tuple[EngineTable, Relation, list[EngineColumn], list[tuple[EngineColumn, RelColumn]]]
_INSTANCES = itertools.count(1)
_TRANSITIONS = frozenset({"CALCULATE", "CALCULATETABLE", "RELATEDTABLE"})


def derives(table: EngineTable) -> bool:
    """True when ``table`` is calculated or has a calculated column (its rows come from :class:`Derived`)."""
    return table.expression is not None or any(c.expression is not None for c in table.columns)


def _alias(name: str, alias: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))


class Derived:
    """The rows of the model's calculated tables and of its tables with calculated columns, as CTEs.

    One per engine: each table is compiled once, when a query first reads it, and every statement that reads it
    gets its CTE (:meth:`with_ctes`)."""

    def __init__(
        self,
        model: EngineModel,
        parses: dict[str, ast.Expr] | None = None,
        store: Callable[[str, exp.Query], bool] | None = None,
    ):
        """``store(name, query)``: materialise a derived table on the database as a temporary table called
        ``name`` (False when it cannot); statements then read the table instead of repeating its CTE."""
        self.model = model
        self.store = store
        self.stored: set[str] = set()
        self.prefix = f"{CTE_PREFIX}{next(_INSTANCES)}_"  # engines sharing a connection keep their tables apart
        self.compiler = Compiler(model, parses=parses, sources=self)
        self._ctes: dict[str, exp.Query] = {}
        self._built = False
        self._failed: dict[str, DaxEngineError] = {}  # table → why it cannot be computed (others still can)
        # while building: table → (table, its rows so far, stored columns, calculated columns done), None before
        # a calculated table's expression is computed
        self._partial: dict[str, _Partial | None] = {}

    def source(self, table: EngineTable, alias: str) -> exp.Expression:
        """The FROM item of ``table``'s rows with every column, calculated ones included, aliased."""
        if not derives(table):
            return source_table(table, alias)
        if not self._built:
            self._build_all()
        key = table.name.lower()
        if key in self._failed:
            raise self._failed[key]
        if key in self._partial:  # read while the derived tables are computed: its rows so far
            partial = self._partial[key]
            if partial is None:
                raise DaxEngineError(
                    f"calculated table '{table.name}' is read before it is computed (a circular dependency)"
                )
            return exp.Subquery(this=self._shape(*partial), alias=exp.TableAlias(this=exp.to_identifier(alias)))
        return _alias(self._name(table), alias)

    def with_ctes(self, query: exp.Query, standalone: bool = False) -> exp.Query:
        """``query`` with the CTEs of the derived tables it reads (and those they read), defined first; those
        materialised on the database are read from there unless ``standalone`` (SQL to show or run elsewhere)."""
        return with_ctes(query, self._ctes, () if standalone else self.stored)

    # ------------------------------------------------------------------------------------------- building

    def _build_all(self) -> None:
        """Compute every derived table, one calculated table or column at a time in dependency order; a table
        that cannot be computed (nor those that read it) is refused when read, the others still work."""
        self._built = True
        derived = [t for t in self.model.tables if derives(t)]
        order = self._order(derived)
        self._partial = {t.name.lower(): None for t in derived}
        try:
            for table in derived:
                if table.expression is None:
                    self._start(table, None)
            for kind, table, column in order:
                key = table.name.lower()
                if key in self._failed:
                    continue
                try:
                    self._step(kind, table, column)
                except DaxEngineError as error:
                    self._failed[key] = error
            for table in derived:
                partial = self._partial[table.name.lower()]
                if table.name.lower() not in self._failed and partial is not None:
                    self._ctes[self._name(table)] = self._shape(*partial)
        finally:
            self._partial = {}
        if self.store is not None:
            for name in self._ctes:  # with_ctes adds the CTEs of tables not stored yet that it reads
                table = exp.Table(this=exp.to_identifier(name, quoted=True))
                if not self.store(name, self.with_ctes(exp.select(exp.Star()).from_(table))):
                    self.stored.clear()
                    break
                self.stored.add(name)

    def _step(self, kind: str, table: EngineTable, column: EngineColumn | None) -> None:
        """Compute a calculated table's rows, or one calculated column over its table's rows so far."""
        key = table.name.lower()
        if kind == "table":
            self._start(table, self._calculated_table(table))
            return
        partial = self._partial[key]
        if partial is None:
            self._start(table, None)
            partial = self._partial[key]
        assert partial is not None and column is not None
        rows, done = partial[1], partial[3]
        rows, rel = self._add_column(table, column, rows, len(done))
        self._partial[key] = (table, rows, partial[2], [*done, (column, rel)])

    def _name(self, table: EngineTable) -> str:
        return f"{self.prefix}{table.name.lower()}"

    def _start(self, table: EngineTable, base: exp.Query | None) -> None:
        stored = [c for c in table.columns if c.expression is None]
        self._partial[table.name.lower()] = (table, self._rows(table, stored, base), stored, [])

    def _rows(self, table: EngineTable, stored: list[EngineColumn], base: exp.Query | None) -> Relation:
        """Every row of ``table`` with its stored columns as read (``__calc_c<i>``) beside their SQL names."""
        columns = tuple(
            RelColumn(f"__calc_c{i}", f"{table.name}[{c.name}]", (table.name, c.name), c.type)
            for i, c in enumerate(stored)
        )
        alias = "__calc_base"
        values = [aliased(read_column(alias, c.source, c.type), rc.sql) for c, rc in zip(stored, columns, strict=True)]
        source = (
            exp.Subquery(this=base, alias=exp.TableAlias(this=exp.to_identifier(alias)))
            if base is not None
            else source_table(table, alias)
        )
        everything = exp.Column(this=exp.Star(), table=exp.to_identifier(alias))
        return Relation(exp.select(everything, *values).from_(source), columns, base_table=table.name)

    @staticmethod
    def _shape(
        table: EngineTable, rows: Relation, stored: list[EngineColumn], done: list[tuple[EngineColumn, RelColumn]]
    ) -> exp.Query:
        """The rows as scans read a table: stored columns under their SQL names, calculated ones under theirs."""
        alias = "__calc_out"
        sources = list(dict.fromkeys(c.source for c in stored))
        selected: list[exp.Expression] = [exp.column(s, table=alias, quoted=True) for s in sources]
        selected += [exp.alias_(col(alias, rel.sql), column.source, quoted=True) for column, rel in done]
        return exp.select(*selected).from_(rows.subquery(alias))

    def _add_column(
        self, table: EngineTable, column: EngineColumn, rows: Relation, index: int
    ) -> tuple[Relation, RelColumn]:
        """``rows`` with calculated ``column`` computed for each of them."""
        assert column.expression is not None
        tree = self._parse(column.expression, f"calculated column '{table.name}'[{column.name}]")
        compiler = self.compiler
        row = compiler.fresh("__calc_row")  # unique: correlated subqueries read it from inside other derived rows
        compiler._homes.append(table.name)  # [Column] unqualified: a column of the table
        try:
            value = compiler.scalar(tree, Env().with_row(RowFrame(row, rows)))
        except DaxEngineError as error:
            error.args = (f"calculated column '{table.name}'[{column.name}]: {error.args[0] if error.args else ''}",)
            raise
        finally:
            compiler._homes.pop()
        if DaxType.VARIANT not in (column.type, value.type):  # the model's data type, as DAX stores it
            value = scalars.cast_to(value, column.type)
        rel = RelColumn(f"__calc_v{index}", f"{table.name}[{column.name}]", (table.name, column.name), column.type)
        everything = exp.Column(this=exp.Star(), table=exp.to_identifier(row))
        query = exp.select(everything, aliased(value.sql, rel.sql)).from_(rows.subquery(row))
        return Relation(query, (*rows.columns, rel), base_table=table.name), rel

    def _parse(self, text: str, what: str) -> ast.Expr:
        try:
            return parse_expression(text)
        except DaxSyntaxError as error:
            raise DaxEngineError(f"{what} does not parse: {error}") from error

    def _order(self, tables: list[EngineTable]) -> list[_Step]:
        """The calculated tables and columns of ``tables`` in dependency order; a cycle is refused naming its
        columns and tables."""
        needs: dict[_Step, set[_Step]] = {}
        for table in tables:
            if table.expression is not None:
                tree = self._parse(_table_expression(table), f"calculated table '{table.name}'")
                needs[("table", table, None)] = self._reads(tree, None, set())
            calculated = [c for c in table.columns if c.expression is not None]
            for column in calculated:
                assert column.expression is not None
                tree = self._parse(column.expression, f"calculated column '{table.name}'[{column.name}]")
                found = self._reads(tree, table, set())
                if table.expression is not None:
                    found.add(("table", table, None))
                if _transitions(tree, self.model) and not self._identified(table):
                    found |= {("column", table, other) for other in calculated if other is not column}
                found.discard(("column", table, column))
                needs[("column", table, column)] = found
        ordered: list[_Step] = []
        state: dict[_Step, str] = {}

        def visit(step: _Step, path: list[_Step]) -> None:
            if state.get(step) == "done":
                return
            if state.get(step) == "visiting":
                listed = ", ".join(_describe(s) for s in path[path.index(step) : -1])
                raise DaxEngineError(
                    f"the calculated columns and tables {listed} depend on each other (a circular "
                    "dependency; context transition — a measure, CALCULATE or RELATEDTABLE — "
                    "reads every other column of the row, and a table read whole all its "
                    "columns)"
                )
            state[step] = "visiting"
            for needed in sorted(needs.get(step, ()), key=_describe):
                if needed in needs:
                    visit(needed, [*path, needed])
            state[step] = "done"
            ordered.append(step)

        for step in needs:
            visit(step, [step])
        return ordered

    def _reads(self, tree: ast.Expr, home: EngineTable | None, measures: set[str]) -> set[_Step]:
        """The calculated tables and columns evaluating ``tree`` reads: the calculated columns it names, every
        calculated column of a table it reads whole (``COUNTROWS ( T )``, ``FILTER ( T, … )``) and, through the
        measures it uses, theirs; ``home`` is the table unqualified ``[Column]`` belongs to."""
        found: set[_Step] = set()

        def column(table: EngineTable, name: str) -> None:
            target = table.column(name)
            if target is not None:
                if table.expression is not None:
                    found.add(("table", table, None))
                if target.expression is not None:
                    found.add(("column", table, target))
                return
            measure = self.model.measure(name)
            if measure is not None and measure.name.lower() not in measures:
                measures.add(measure.name.lower())
                try:
                    inner = parse_expression(measure.expression)
                except DaxSyntaxError:
                    return  # reported where the measure is compiled
                found.update(self._reads(inner, self.model.table(measure.table), measures))

        for node in walk(tree):
            if isinstance(node, ast.ColumnRef):
                table = self.model.table(node.table)
                if table is not None:
                    column(table, node.column)
            elif isinstance(node, ast.NameRef):
                if home is not None and home.column(node.name) is not None:
                    column(home, node.name)
                else:
                    measure = self.model.measure(node.name)
                    if measure is not None:
                        column(self.model.table(measure.table) or home or self.model.tables[0], node.name)
            elif isinstance(node, ast.TableRef):
                table = self.model.table(node.name)
                if table is not None and derives(table):
                    if table.expression is not None:
                        found.add(("table", table, None))
                    found |= {("column", table, c) for c in table.columns if c.expression is not None}
        return found

    def _identified(self, table: EngineTable) -> bool:
        """True when a stored column identifies ``table``'s rows (the one side of a relationship): context
        transition then depends on that column only, as in DAX."""
        return any(
            r.to_table.lower() == table.name.lower()
            and (c := table.column(r.to_column)) is not None
            and c.expression is None
            for r in self.model.relationships
        )

    def _calculated_table(self, table: EngineTable) -> exp.Query:
        """The calculated table's DAX evaluated in an empty filter context, its columns under the model's SQL
        names (each model column matched by ``sourceColumn``, else by name)."""
        what = f"calculated table '{table.name}'"
        tree = self._parse(_table_expression(table), what)
        try:
            relation = self.compiler.table(tree, Env())
        except DaxEngineError as error:
            error.args = (f"{what}: {error.args[0] if error.args else ''}",)
            raise
        alias = "__calc_table"
        selected = []
        for column in (c for c in table.columns if c.expression is None):
            found = _result_column(relation, column)
            if found is None:
                listed = ", ".join(c.name for c in relation.columns)
                raise DaxEngineError(f"{what}: its expression has no column for [{column.name}] (it gives {listed})")
            selected.append(exp.alias_(col(alias, found.sql), column.source, quoted=True))
        return exp.select(*selected).from_(relation.subquery(alias))


def _dax_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _table_expression(table: EngineTable) -> str:
    """A calculated table's DAX; for a calculation group, a DATATABLE of its items' names and ordinals (columns
    ``Name`` and ``Ordinal``, the ``sourceColumn`` names TOM gives a calculation group's columns)."""
    group = table.calculation_group
    if group is None:
        assert table.expression is not None
        return table.expression
    rows = ", ".join(
        f"{{ {_dax_string(item.name)}, {item.ordinal if item.ordinal is not None else index} }}"
        for index, item in enumerate(group.items)
    )
    return f'DATATABLE ( "Name", STRING, "Ordinal", INTEGER, {{ {rows} }} )'


def _describe(step: _Step) -> str:
    _kind, table, column = step
    return f"calculated table '{table.name}'" if column is None else f"'{table.name}'[{column.name}]"


def _transitions(tree: ast.Expr, model: EngineModel) -> bool:
    """True when ``tree`` uses context transition: CALCULATE, CALCULATETABLE, RELATEDTABLE or a measure."""
    for node in walk(tree):
        if isinstance(node, ast.Call) and node.name in _TRANSITIONS:
            return True
        if isinstance(node, ast.NameRef) and model.measure(node.name) is not None:
            return True
        if isinstance(node, ast.ColumnRef) and model.measure(node.column) is not None:
            table = model.table(node.table)
            if table is None or table.column(node.column) is None:
                return True
    return False


def _result_column(relation: Relation, column: EngineColumn) -> RelColumn | None:
    """The column of a calculated table's expression that fills model column ``column``: the one its
    ``sourceColumn`` names (``[Date]``, ``Table[Date]``, ``Date``), else the one named like the column."""
    wanted = [column.source, column.name]
    for name in wanted:
        text = name.strip()
        short = text[text.index("[") + 1 : -1] if text.endswith("]") and "[" in text else text
        for rel in relation.columns:
            if rel.name.lower() == text.lower():
                return rel
        for rel in relation.columns:
            if rel.short_name.lower() == short.lower():
                return rel
    return None
