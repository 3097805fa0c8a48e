"""The binder and planner: DAX expressions → SQL under a filter context.

A scalar expression compiles to a :class:`Scalar` (an SQL expression, possibly with correlated subqueries
that read the rows of enclosing iterators); a table expression to a :class:`Relation`. An :class:`Env` holds
what DAX calls the evaluation context: the filter context (:class:`FilterContext`), the row contexts of the
enclosing iterators (innermost last) and the variables in scope. Aggregations read a model table through
:class:`TableScan`, which applies every filter that reaches the table through its relationships. Functions
outside the supported subset raise :class:`Unsupported`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from sqlglot import exp

from generator.dax import ast
from generator.dax.depth import MAX_MEASURE_DEPTH
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression
from generator.engine import currency, functions, scalars, selected, sqlfuncs
from generator.engine.context import PLACEHOLDER, Filter, FilterContext, equals_filter, placeholder
from generator.engine.crossfilter import crossfilter
from generator.engine.errors import DaxEngineError, Unsupported, did_you_mean
from generator.engine.functions import SCALAR_COMPILERS, Kind
from generator.engine.model import EngineMeasure, EngineModel, EngineTable
from generator.engine.propagation import reached_tables
from generator.engine.relations import ColumnKey, Relation, RelColumn, col, column_name
from generator.engine.scan import Sources, TableScan, relationships_in_effect, source_table
from generator.engine.sqltree import aliased
from generator.engine.values import DaxType, Scalar
from generator.semantic.names import ColumnName, Unknown

Value = Scalar | Relation


@dataclass(frozen=True)
class RowFrame:
    """A row context: the current row of ``relation``, read as ``alias.<column>``."""

    alias: str
    relation: Relation


@dataclass(frozen=True)
class Env:
    """The evaluation context of an expression."""

    context: FilterContext = field(default_factory=FilterContext)
    rows: tuple[RowFrame, ...] = ()
    variables: Mapping[str, Value] = field(default_factory=dict)
    measures: tuple[str, ...] = ()  # measures being expanded (cycle guard)

    def with_variable(self, name: str, value: Value) -> Env:
        """This environment with variable ``name`` bound (names compare case-insensitively)."""
        return replace(self, variables={**self.variables, name.lower(): value})

    def with_row(self, frame: RowFrame) -> Env:
        """This environment inside one more row context."""
        return replace(self, rows=(*self.rows, frame))

    def in_context(self, context: FilterContext) -> Env:
        """This environment with ``context`` as filter context and no row context (after CALCULATE)."""
        return replace(self, context=context, rows=())


@dataclass(frozen=True)
class _Modifier:
    """One CALCULATE argument, evaluated: a filter to add, filters to remove, or a relationship to activate."""

    kind: str  # "filter", "remove", "remove_all", "remove_tables", "all_except", "activate", "allselected"
    filter: Filter | None = None
    keep: bool = False
    keys: frozenset[ColumnKey] = frozenset()
    tables: frozenset[str] = frozenset()
    relationship: object = None


#: Operators whose long chains (:data:`_BALANCE_FROM` operands or more) compile as balanced trees.
_ASSOCIATIVE = frozenset({"+", "*", "&", "&&", "||"})
_BALANCE_FROM = 16


def _subquery(query: exp.Query) -> exp.Expression:
    """A scalar subquery."""
    return exp.Subquery(this=query)


def _nullif_zero(value: exp.Expression) -> exp.Expression:
    return exp.func("NULLIF", value, exp.Literal.number(0))


class Compiler:
    """Compiles DAX expressions of one query against ``model``; ``query_measures`` override model measures."""

    def __init__(self, model: EngineModel, query_measures: Mapping[str, EngineMeasure] | None = None,
                 blank_rows: Callable[[EngineTable, exp.Expression], bool] | None = None,
                 parses: dict[str, ast.Expr] | None = None, sources: Sources | None = None, user: str = "",
                 secured: Callable[[str], bool] | None = None, grouped_plan: bool = True):
        """``blank_rows(table, condition)`` answers whether ``table`` has DAX's blank row (the SQL ``condition``
        is true when some relationship to it has orphaned rows); without it the condition goes into the SQL.
        ``parses`` maps measure DAX text to its syntax tree; an engine shares one across its queries.
        ``sources`` gives each table's rows (row-level security: the visible ones); ``user`` is what
        USERPRINCIPALNAME() and USERNAME() return; ``secured(table)`` is true when a role filters the table
        (USERELATIONSHIP cannot then activate a relationship to it, as in Power BI). ``grouped_plan``: turn
        aggregates correlated with a group row into grouped aggregates (:mod:`generator.engine.plan`)."""
        self.model = model
        self.sources = sources
        self.user = user
        self.secured = secured
        self.blank_rows = blank_rows
        self.grouped_plan = grouped_plan
        self.query_variables: dict[str, Value] = {}
        self.query_measures = {k.lower(): v for k, v in (query_measures or {}).items()}
        self._ids = itertools.count(1)
        self.parses: dict[str, ast.Expr] = parses if parses is not None else {}
        self._homes: list[str] = []  # the home tables of the measures being compiled, innermost last
        # the measures calculation items are being applied to, innermost last (generator.engine.calcgroups)
        self.selected_measures: list = []

    # ----------------------------------------------------------------------------------------- helpers

    def fresh(self, prefix: str) -> str:
        """A new SQL alias."""
        return f"{prefix}{next(self._ids)}"

    def materialize(self, current: Filter) -> exp.Query:
        """A predicate filter as the relation of the value tuples it keeps (its table, unfiltered)."""
        table = self.table_named(current.table or current.columns[0][0], ast.TableRef(""))
        scan = self.scan(table, FilterContext())
        values = [scan.column(key) for key in current.columns]
        assert all(value is not None for value in values)
        selected = [aliased(value, f"c{i}") for i, value in enumerate(values) if value is not None]
        query = scan.select(*selected)
        return query.where(current.substitute([v for v in values if v is not None]), copy=False).distinct(copy=False)

    def scan(self, table: EngineTable, context: FilterContext, source: Relation | None = None) -> TableScan:
        """A scan of ``table`` (its rows, or ``source``'s) under ``context``: every filter that reaches it."""
        return TableScan(self.model, table, context, self.fresh, self.materialize, source, self.sources)

    def table_named(self, name: str, node: ast.Node) -> EngineTable:
        """The model table called ``name``; an unknown name is an error at ``node`` (with a suggestion)."""
        found = self.model.names.table(name)
        if isinstance(found, Unknown):
            raise DaxEngineError(f"unknown table '{name}'", *node.position, hint=found.hint(lambda t: f"'{t}'"))
        table = self.model.table(found.table)
        assert table is not None
        return table

    def column_key(self, node: ast.Expr) -> ColumnKey:
        """The model column a ``Table[Column]`` argument names (canonical spelling); in a measure, a bare
        ``[Column]`` of the measure's home table too (:meth:`home_column`)."""
        if isinstance(node, ast.NameRef) and (home := self.home_column(node)) is not None:
            node = home
        if not isinstance(node, ast.ColumnRef):
            raise DaxEngineError("expected a column reference Table[Column]", *node.position)
        found = self.model.names.column(node.table, node.column)
        if isinstance(found, ColumnName):
            return found.table, found.column
        if found.what == "table":
            raise DaxEngineError(f"unknown table '{node.table}'", *node.position, hint=found.hint(lambda t: f"'{t}'"))
        raise DaxEngineError(f"unknown column '{node.column}' in table '{found.table}'", *node.position,
                             hint=found.hint(lambda c: f"[{c}]"))

    def home_column(self, node: ast.NameRef) -> ast.ColumnRef | None:
        """``[Name]`` inside a measure, when no measure has that name and the measure's home table has such a
        column: that column (DAX resolves an unqualified column reference of a measure on its home table)."""
        if not self._homes or self._measure(node.name) is not None:
            return None
        found = self.model.names.column(self._homes[-1], node.name)
        if not isinstance(found, ColumnName):
            return None
        return ast.ColumnRef(found.table, found.column, node.line, node.column)

    def column_type(self, key: ColumnKey) -> DaxType:
        """The DAX type of the model column ``key``."""
        table = self.model.table(key[0])
        assert table is not None
        column = table.column(key[1])
        assert column is not None
        return column.type

    def _measure(self, name: str) -> EngineMeasure | None:
        """The measure ``[name]`` denotes: the query's own (``DEFINE MEASURE``) first, else the model's as the
        model's names resolve it (:mod:`generator.semantic.names`); None when there is none."""
        defined = self.query_measures.get(name.lower())
        if defined is not None:
            return defined
        found = self.model.names.measure(name)
        return None if isinstance(found, Unknown) else self.model.measure(found.measure)

    def format_of(self, node: ast.Expr) -> str | None:
        """The format string of the measure ``node`` is a plain reference to (``[M]``, ``Table[M]``), else None:
        a result column holding a measure's values is shown with its format, as Power BI does."""
        while isinstance(node, ast.Paren):
            node = node.expr
        if isinstance(node, ast.NameRef):
            measure = self._measure(node.name)
        elif isinstance(node, ast.ColumnRef):
            found = self.model.names.column(node.table, node.column)
            plain_column = not isinstance(found, Unknown) or found.what == "table"
            measure = None if plain_column else self._measure(node.column)
        else:
            return None
        return measure.format_string if measure is not None else None

    def check_arity(self, node: ast.Call, low: int, high: int | None = None) -> None:
        """Refuse ``node`` unless it has ``low`` to ``high`` arguments (``high`` None: no upper bound); for a count
        that depends on the arguments (a fixed one is declared in :mod:`generator.engine.functions`)."""
        arity = functions.Arity(low, high)
        if not arity.accepts(len(node.args)):
            raise DaxEngineError(arity.compiler_message(node.name, len(node.args)), *node.position)

    # ----------------------------------------------------------------------------------------- scalars

    def scalar(self, node: ast.Expr, env: Env) -> Scalar:
        """Compile a scalar expression."""
        match node:
            case ast.Number(text=text):
                return scalars.literal_number(text)
            case ast.String(value=value):
                return scalars.literal_string(value)
            case ast.Boolean(value=value):
                return scalars.literal_boolean(value)
            case ast.Paren(expr=inner):
                return self.scalar(inner, env)
            case ast.Unary(op=op, operand=operand):
                return scalars.unary(op, self.scalar(operand, env), *node.position)
            case ast.Binary(op="IN", left=left, right=right):
                return self._in(left, right, env)
            case ast.Binary(op=op) if op in _ASSOCIATIVE and len(chain := _chain(node)) >= _BALANCE_FROM:
                operands = [self.scalar(operand, env) for operand in chain]
                return self._balanced(op, operands, node)
            case ast.Binary(op=op, left=left, right=right):
                operands = [self.scalar(left, env), self.scalar(right, env)]
                return self._once(operands, lambda values: scalars.binary(op, *values, *node.position))
            case ast.VarBlock():
                return self._var_block(node, env)
            case ast.TableRef(name=name):
                bound = env.variables.get(name.lower())
                if isinstance(bound, Scalar):
                    return bound
                raise DaxEngineError(f"'{name}' is a table; a single value is expected here", *node.position)
            case ast.ColumnRef():
                return self._column_or_measure(node, env)
            case ast.NameRef(name=name):
                return self._name(node, name, env)
            case ast.Call():
                return self._call(node, env)
            case ast.TableConstructor():
                raise Unsupported("table constructor used as a single value", *node.position)
            case ast.Omitted():
                raise DaxEngineError("an argument is missing here", *node.position)
            case ast.DateTimeLiteral():
                from generator.engine.literals import datetime_literal

                return datetime_literal(node)
        raise Unsupported(type(node).__name__, *node.position)

    def _once(self, operands: list[Scalar], build: Callable[[list[Scalar]], Scalar]) -> Scalar:
        """``build(operands)``, with every operand that holds a subquery computed once.

        DAX's BLANK rules make operators and functions read an operand more than once (``a + b`` is BLANK only
        when both are), so inlining a measure's SQL would repeat its subqueries, and nested measures would
        multiply them. Such operands go into single-row derived tables of a scalar subquery instead.
        """
        heavy = [i for i, operand in enumerate(operands) if not _is_simple(operand.sql)]
        direct = build(operands)
        if not heavy or _count_subqueries(direct.sql) <= sum(_count_subqueries(o.sql) for o in operands):
            return direct  # each operand's SQL appears once: nothing is computed twice
        bound = list(operands)
        tables = []
        for index in heavy:
            alias = self.fresh("v")
            tables.append(exp.Subquery(this=exp.select(aliased(operands[index].sql, "v"), copy=False),
                                       alias=exp.TableAlias(this=exp.to_identifier(alias))))
            bound[index] = Scalar(col(alias, "v"), operands[index].type)
        result = build(bound)
        query = exp.select(aliased(result.sql, "v"), copy=False).from_(tables[0], copy=False)
        for table in tables[1:]:
            query = query.join(table, join_type="cross", copy=False)
        return Scalar(exp.Subquery(this=query), result.type)

    def _balanced(self, op: str, operands: list[Scalar], node: ast.Node) -> Scalar:
        """``a op b op c op d`` as ``(a op b) op (c op d)``: the same value (``op`` is associative, BLANK rules
        included), with SQL nested log n deep instead of n deep."""
        if len(operands) == 1:
            return operands[0]
        middle = len(operands) // 2
        halves = [self._balanced(op, operands[:middle], node), self._balanced(op, operands[middle:], node)]
        return self._once(halves, lambda values: scalars.binary(op, *values, *node.position))

    def _var_block(self, node: ast.VarBlock, env: Env) -> Scalar:
        """VAR … RETURN: each scalar variable is computed once, in a single-row derived table of a scalar
        subquery (LATERAL, so later variables can read earlier ones), and the body reads it by name; inlining
        the variable's SQL at every use would compute it again each time."""
        bound: list[tuple[str, exp.Select]] = []
        for name, expression in node.variables:
            value = self.value(expression, env)
            if isinstance(value, Scalar) and not _is_simple(value.sql):
                alias = self.fresh("v")
                bound.append((alias, exp.select(aliased(value.sql, "v"), copy=False)))
                value = Scalar(col(alias, "v"), value.type)
            env = env.with_variable(name, value)
        body = self.scalar(node.body, env)
        if not bound:
            return body
        first_alias, first = bound[0]
        query = exp.select(aliased(body.sql, "v"), copy=False).from_(
            exp.Subquery(this=first, alias=exp.TableAlias(this=exp.to_identifier(first_alias))), copy=False)
        for alias, select in bound[1:]:
            lateral = exp.Lateral(this=exp.Subquery(this=select), alias=exp.TableAlias(this=exp.to_identifier(alias)))
            query = query.join(lateral, join_type="cross", copy=False)
        return Scalar(exp.Subquery(this=query), body.type)

    def value(self, node: ast.Expr, env: Env) -> Value:
        """A VAR's value: a table when the expression is a table expression, otherwise a scalar."""
        if self.is_table_expression(node, env):
            return self.table(node, env)
        return self.scalar(node, env)

    def is_table_expression(self, node: ast.Expr, env: Env) -> bool:
        """True when ``node`` evaluates to a table (decided from its shape, as DAX does)."""
        match node:
            case ast.Paren(expr=inner):
                return self.is_table_expression(inner, env)
            case ast.TableConstructor():
                return True
            case ast.TableRef(name=name):
                bound = env.variables.get(name.lower())
                return isinstance(bound, Relation) or (bound is None and self.model.table(name) is not None)
            case ast.Call(name=name):
                return functions.is_kind(name, Kind.TABLE)
            case ast.VarBlock(body=body):
                return self.is_table_expression(body, env)
        return False

    def row_column(self, env: Env, key: ColumnKey | None, name: str | None) -> Scalar | None:
        """The value of column ``key`` (or of the column called ``name``) in the innermost row context holding it."""
        for frame in reversed(env.rows):
            found = frame.relation.find(key) if key is not None else frame.relation.find_name(name or "")
            if found is not None:
                return Scalar(col(frame.alias, found.sql), found.type)
        return None

    def _column_or_measure(self, node: ast.ColumnRef, env: Env) -> Scalar:
        table = self.model.table(node.table)
        bound = env.variables.get(node.table.lower())
        if isinstance(bound, Relation):
            found = self.row_column(env, None, node.column)
            if found is not None:
                return found
            raise DaxEngineError(f"columns of the table variable '{node.table}' cannot be read as {node.table}"
                                 f"[{node.column}]", *node.position)
        if table is not None and table.column(node.column) is None:
            measure = self._measure(node.column)
            if measure is not None:
                return self.measure(measure, node, env)
        key = self.column_key(node)
        found = self.row_column(env, key, None)
        if found is not None:
            return found
        raise DaxEngineError(f"a single value for column '{key[1]}' in table '{key[0]}' cannot be determined "
                             "(no row context; use an aggregation such as SUM or SELECTEDVALUE)", *node.position)

    def _name(self, node: ast.NameRef, name: str, env: Env) -> Scalar:
        measure = self._measure(name)
        if measure is not None:
            return self.measure(measure, node, env)
        found = self.row_column(env, None, name)
        if found is not None:
            return found
        home = self.home_column(node)
        if home is not None:
            return self._column_or_measure(home, env)
        names = [*self.model.names.measures, *(m.name for m in self.query_measures.values())]
        names += [c.short_name for frame in env.rows for c in frame.relation.columns]
        raise DaxEngineError(f"unknown measure or column [{name}]", *node.position,
                             hint=did_you_mean(name, names, lambda m: f"[{m}]"))

    def parsed(self, measure: EngineMeasure) -> ast.Expr:
        """The measure's expression, parsed once (per engine, when it shares ``parses``)."""
        key = measure.expression
        if key not in self.parses:
            try:
                self.parses[key] = parse_expression(measure.expression)
            except DaxSyntaxError as error:
                raise DaxEngineError(measure.parse_failure(error)) from error
        return self.parses[key]

    def measure(self, measure: EngineMeasure, node: ast.Node, env: Env) -> Scalar:
        """A measure reference: its expression in the filter context, after context transition."""
        if measure.name.lower() in env.measures:
            chain = " -> ".join([*env.measures, measure.name.lower()])
            raise DaxEngineError(f"circular measure reference: {chain}", *node.position)
        if len(env.measures) >= MAX_MEASURE_DEPTH:
            raise DaxEngineError(f"measure references nesting deeper than {MAX_MEASURE_DEPTH}", *node.position)
        inner = Env(self.transition(env), (), self.query_variables, (*env.measures, measure.name.lower()))
        groups = calcgroups.active(self, inner.context) if self.model.calculation_groups else ()
        if groups:
            return calcgroups.apply(self, measure, groups, inner)
        return self.measure_body(measure, inner)

    def measure_body(self, measure: EngineMeasure, inner: Env) -> Scalar:
        """The measure's expression compiled in ``inner`` (its filter context, after context transition)."""
        expression = self.parsed(measure)
        self._homes.append(measure.table)
        try:
            return self.scalar(expression, inner)
        except DaxEngineError as error:
            if error.args and str(error.args[0]).startswith("in measure"):
                raise
            where = f" ({measure.origin})" if measure.origin else ""
            error.args = (f"in measure [{measure.name}]{where}: {error.args[0]}",)
            raise
        finally:
            self._homes.pop()

    def transition(self, env: Env) -> FilterContext:
        """Context transition: every row context becomes filters on its columns (replacing theirs); inside an
        iterator, the context no longer has SUMMARIZECOLUMNS' shadow filter context (ALLSELECTED)."""
        context = env.context.iterated() if env.rows else env.context
        for frame in env.rows:
            lineage = [c for c in frame.relation.columns if c.lineage is not None]
            if not lineage:
                continue
            context = context.remove({c.lineage for c in lineage if c.lineage}, self.materialize)
            for rel_column in lineage:
                assert rel_column.lineage is not None
                context = context.add(equals_filter(rel_column.lineage, col(frame.alias, rel_column.sql),
                                                    rel_column.lineage[0]))
        return context

    def _in(self, left: ast.Expr, right: ast.Expr, env: Env) -> Scalar:
        items = list(left.items) if isinstance(left, ast.Tuple) else [left]
        values = [self.scalar(item, env) for item in items]
        if isinstance(right, ast.TableConstructor):
            rows = [[self.scalar(item, env) for item in row] for row in right.rows]
            return _in_list(values, rows)
        relation = self.table(right, env)
        if len(relation.columns) != len(values):
            raise DaxEngineError("IN compares a row with a table of a different number of columns", *right.position)
        alias = self.fresh("i")
        matches = [scalars.truthy(scalars.binary("=", value, Scalar(col(alias, c.sql), c.type)))
                   for value, c in zip(values, relation.columns, strict=True)]
        inner = exp.select(exp.Literal.number(1), copy=False).from_(relation.subquery(alias), copy=False).where(
            exp.and_(*matches, copy=False), copy=False)
        return Scalar(exp.Exists(this=inner), DaxType.BOOLEAN)

    # ------------------------------------------------------------------------------------ function calls

    def _call(self, node: ast.Call, env: Env) -> Scalar:
        name = node.name
        entry = functions.lookup(name)
        if entry is not None and entry.kind & SCALAR_COMPILERS:
            return entry(self, node, env)
        if entry is not None and entry.kind is Kind.SCALAR:
            keywords = scalars.KEYWORD_ARGUMENTS.get(name, frozenset())
            operands = [scalars.blank() if i in keywords else self.scalar(arg, env) for i, arg in enumerate(node.args)]
            return self._once(operands, lambda values: entry.scalar(values, node))
        if entry is not None and Kind.TABLE in entry.kind:
            raise DaxEngineError(f"{name} returns a table; a single value is expected here", *node.position)
        raise Unsupported(name, *node.position)

    def _user(self, node: ast.Call, env: Env) -> Scalar:
        """USERPRINCIPALNAME() / USERNAME(): the user the query runs as (in the Power BI service both return the
        user principal name)."""
        return scalars.literal_string(self.user)

    def row_filter(self, tree: ast.Expr, alias: str, row: Relation) -> exp.Expression:
        """A role's row filter evaluated for the row ``alias`` of ``row`` (no filter context): SQL true when the
        filter is TRUE (FALSE, BLANK, 0 and "" hide the row)."""
        return scalars.truthy(self.scalar(tree, Env().with_row(RowFrame(alias, row))))

    def _if(self, node: ast.Call, env: Env) -> Scalar:
        """IF: when the condition is known while compiling (ISFILTERED, HASONEVALUE of a constant …) only the
        branch taken is compiled, so the SQL never computes the other one; otherwise the scalar IF."""
        condition = self.scalar(node.args[0], env)
        if isinstance(condition.sql, exp.Boolean):
            if condition.sql.this:
                return self.scalar(node.args[1], env)
            return self.scalar(node.args[2], env) if len(node.args) == 3 else scalars.blank()
        branches = [self.scalar(arg, env) for arg in node.args[1:]]
        return self._once([condition, *branches], lambda values: scalars.if_function(values, node))

    def _calculate(self, node: ast.Call, env: Env) -> Scalar:
        return self.scalar(node.args[0], env.in_context(self.calculate_context(node.args[1:], env)))

    def calculate_context(self, arguments: tuple[ast.Expr, ...], env: Env) -> FilterContext:
        """The filter context CALCULATE's filter arguments make, in DAX's order.

        Arguments are evaluated in the outer context; then context transition; then USERELATIONSHIP and the
        REMOVEFILTERS / ALL family; then the filters, each replacing the filters on its columns unless wrapped
        in KEEPFILTERS. A filter on a date table's date column removes every filter on that date table.
        """
        modifiers = [self._modifier(argument, env) for argument in arguments]
        context = self.transition(env) if env.rows else env.context
        for modifier in modifiers:
            if modifier.kind == "activate":
                context = context.activate(modifier.relationship)  # type: ignore[arg-type]
        for modifier in modifiers:
            if modifier.kind == "remove_all":
                context = context.cleared()
            elif modifier.kind == "allselected":
                context = selected.restore(context, modifier.keys, modifier.tables, self.materialize)
            elif modifier.kind == "remove":
                context = context.remove(set(modifier.keys), self.materialize)
            elif modifier.kind == "remove_tables":
                context = context.remove_tables(set(modifier.tables), self.materialize)
            elif modifier.kind == "all_except":
                kept = {(t.lower(), c.lower()) for t, c in modifier.keys}
                filtered = {c for f in context.filters for c in f.columns
                            if c[0].lower() in modifier.tables and (c[0].lower(), c[1].lower()) not in kept}
                context = context.remove(filtered, self.materialize)
        filters = [m for m in modifiers if m.kind == "filter" and m.filter is not None]
        replaced: set[ColumnKey] = set()
        date_tables: set[str] = set()
        for modifier in filters:
            assert modifier.filter is not None
            if modifier.keep:
                continue
            replaced.update(modifier.filter.columns)
            for table in self.model.date_tables:
                if any(k[0].lower() == table.name.lower() and k[1].lower() == (table.date_column or "").lower()
                       for k in modifier.filter.columns):
                    date_tables.add(table.name)
        if date_tables:
            context = context.remove_tables(date_tables, self.materialize)
        if replaced:
            context = context.remove(replaced, self.materialize)
        for modifier in filters:
            assert modifier.filter is not None
            context = context.add(modifier.filter)
        return context

    def _expanded_tables(self, table: EngineTable, context: FilterContext) -> frozenset[str]:
        return frozenset(self.scan(table, context).paths)

    def _modifier(self, argument: ast.Expr, env: Env) -> _Modifier:
        """Evaluate one CALCULATE/CALCULATETABLE filter argument in the outer environment."""
        if isinstance(argument, ast.Paren):
            return self._modifier(argument.expr, env)
        if isinstance(argument, ast.Call) and functions.is_kind(argument.name, Kind.MODIFIER):
            name = argument.name
            if name == "KEEPFILTERS":
                self.check_arity(argument, 1, 1)
                inner = self._modifier(argument.args[0], env)
                if inner.kind != "filter":
                    raise DaxEngineError("KEEPFILTERS takes a filter expression", *argument.position)
                return replace(inner, keep=True)
            if name == "USERELATIONSHIP":
                return _Modifier("activate", relationship=self._relationship(argument))
            if name == "CROSSFILTER":
                return _Modifier("activate", relationship=crossfilter(self, argument, env.context))
            if name == "ALLSELECTED":
                keys, tables = selected.arguments(self, argument, env)
                return _Modifier("allselected", keys=keys, tables=tables)
            if name == "ALLCROSSFILTERED":
                raise Unsupported(name, *argument.position)
            if name == "ALLEXCEPT":
                self.check_arity(argument, 2)
                if not isinstance(argument.args[0], ast.TableRef):
                    raise DaxEngineError("ALLEXCEPT takes a table name first", *argument.position)
                table = self.table_named(argument.args[0].name, argument.args[0])
                keys = frozenset(self.column_key(arg) for arg in argument.args[1:])
                return _Modifier("all_except", keys=keys, tables=self._expanded_tables(table, env.context))
            # REMOVEFILTERS / ALL / ALLNOBLANKROW
            if not argument.args:
                return _Modifier("remove_all")
            if len(argument.args) == 1 and isinstance(argument.args[0], ast.TableRef):
                table = self.table_named(argument.args[0].name, argument.args[0])
                return _Modifier("remove_tables", tables=self._expanded_tables(table, env.context))
            keys = frozenset(self.column_key(arg) for arg in argument.args)
            if len({k[0].lower() for k in keys}) > 1:
                raise DaxEngineError(f"the columns of {name} must belong to one table", *argument.position)
            return _Modifier("remove", keys=keys)
        if self.is_table_expression(argument, env):
            return _Modifier("filter", filter=self._table_filter(self.table(argument, env), env))
        return _Modifier("filter", filter=self._predicate_filter(argument, env))

    def _relationship(self, node: ast.Call):
        self.check_arity(node, 2, 2)
        first, second = (self.column_key(arg) for arg in node.args)
        for relationship in self.model.relationships:
            ends = {(relationship.from_table.lower(), relationship.from_column.lower()),
                    (relationship.to_table.lower(), relationship.to_column.lower())}
            if ends == {(first[0].lower(), first[1].lower()), (second[0].lower(), second[1].lower())}:
                if self.secured is not None and self.secured(relationship.to_table):
                    raise DaxEngineError(f"USERELATIONSHIP cannot activate {relationship.name}: row-level "
                                         f"security filters table '{relationship.to_table}'", *node.position)
                return relationship
        raise DaxEngineError(f"USERELATIONSHIP: no relationship between {column_name(first)} and "
                             f"{column_name(second)}", *node.position)

    def _table_filter(self, relation: Relation, env: Env) -> Filter | None:
        """A table used as a filter: its lineage columns (the expanded table's, for rows of a model table)."""
        if relation.date_range is not None and relation.columns[0].lineage is not None:
            key = relation.columns[0].lineage
            low, high = relation.date_range
            inside = exp.and_(exp.GTE(this=placeholder(0), expression=low.copy()),
                              exp.LTE(this=placeholder(0), expression=high.copy()), copy=False)
            return Filter((key,), predicate=inside, table=key[0])
        if relation.base_table is not None:
            table = self.table_named(relation.base_table, ast.TableRef(""))
            scan = self.scan(table, FilterContext((), env.context.activated), source=relation)
            keys = scan.expanded_keys()
            values = [scan.column(key) for key in keys]
            query = scan.select(*[aliased(v, f"c{i}") for i, v in enumerate(values) if v is not None])
            return Filter(tuple(keys), relation=query)
        lineage = [c for c in relation.columns if c.lineage is not None]
        if not lineage:
            return None
        alias = self.fresh("v")
        query = exp.select(*[aliased(col(alias, c.sql), f"c{i}") for i, c in enumerate(lineage)], copy=False).from_(
            relation.subquery(alias), copy=False)
        return Filter(tuple(c.lineage for c in lineage if c.lineage), relation=query)

    def _predicate_filter(self, argument: ast.Expr, env: Env) -> Filter:
        """A boolean CALCULATE filter: ``FILTER(ALL(columns it reads), predicate)`` kept as a predicate."""
        if self._homes:  # in a measure, [Column] of its home table: CALCULATE ( …, [Region] = "North" )
            from generator.dax.functions import transform

            argument = transform(argument, lambda n: self.home_column(n) if isinstance(n, ast.NameRef) else None)
        keys: list[ColumnKey] = []
        for reference in _row_level_columns(argument):
            key = self.column_key(reference)
            if self._measure(reference.column) is not None and self.model.table(reference.table) is not None \
                    and self.table_named(reference.table, reference).column(reference.column) is None:
                continue
            if key not in keys:
                keys.append(key)
        _refuse_measures_in_filter(argument, self)
        if not keys:
            from generator.engine.refusals import first_unknown_call

            unknown = first_unknown_call(argument)
            if unknown is not None:
                raise Unsupported(unknown.name, *unknown.position)
            raise DaxEngineError("a boolean filter must read at least one column", *argument.position)
        tables = {k[0].lower() for k in keys}
        if len(tables) > 1:
            raise DaxEngineError("a boolean filter can read the columns of one table only (use FILTER for more)",
                                 *argument.position)
        columns = tuple(RelColumn(f"c{i}", column_name(k), k, self.column_type(k)) for i, k in enumerate(keys))
        frame = RowFrame(PLACEHOLDER, Relation(exp.select("*", copy=False), columns))
        condition = self.scalar(argument, env.with_row(frame))
        return Filter(tuple(keys), predicate=scalars.truthy(condition), table=keys[0][0])

    def _total_to_date(self, node: ast.Call, env: Env) -> Scalar:
        """TOTALYTD / TOTALQTD / TOTALMTD (expression, dates [, filter]) = CALCULATE(expression, DATESYTD(dates) …);
        TOTALYTD also takes a year-end (expression, dates [, filter] [, "6-30"]), passed on to DATESYTD."""
        filters, year_end = list(node.args[2:]), ()
        if node.name == "TOTALYTD" and filters and (isinstance(filters[-1], ast.String) or len(filters) == 2):
            year_end = (filters.pop(),)  # TOTALYTD(expression, dates [, filter] [, year_end_date])
        dates = ast.Call("DATES" + node.name[5:], (node.args[1], *year_end), *node.args[1].position)
        rewritten = ast.Call("CALCULATE", (node.args[0], dates, *filters), *node.position)
        return self._calculate(rewritten, env)

    def _rankx(self, node: ast.Call, env: Env) -> Scalar:
        """RANKX(table, expression [, value [, ASC|DESC [, SKIP|DENSE]]]): 1 + the rows ranked above ``value``.

        The expression is evaluated for each row of the table (in row context); ``value`` defaults to the
        expression in the current context. DESC (the default) ranks the largest first; SKIP (the default)
        leaves gaps after ties. A BLANK value ranks as 0, as DAX compares it.
        """
        relation = self.table(node.args[0], env)
        alias = self.fresh("k")
        row_value = self.scalar(node.args[1], env.with_row(RowFrame(alias, relation)))
        given = len(node.args) > 2 and not isinstance(node.args[2], ast.Omitted)
        current = self.scalar(node.args[2] if given else node.args[1], env)
        descending = True
        if len(node.args) > 3:
            order = node.args[3]
            if isinstance(order, ast.Keyword) and order.name in ("ASC", "DESC"):
                descending = order.name == "DESC"
            elif isinstance(order, ast.Number):
                descending = order.text in ("0",)
            elif isinstance(order, ast.Boolean):
                descending = not order.value
            else:
                raise DaxEngineError("RANKX order must be ASC or DESC", *order.position)
        dense = False
        if len(node.args) > 4:
            ties = node.args[4]
            if not isinstance(ties, ast.Keyword) or ties.name not in ("SKIP", "DENSE"):
                raise DaxEngineError("RANKX ties must be SKIP or DENSE", *ties.position)
            dense = ties.name == "DENSE"
        above = scalars.truthy(scalars.binary(">" if descending else "<", row_value, current, *node.position))
        distinct_value = row_value.sql.copy()
        if row_value.type.is_numeric:  # BLANK ranks as 0: one tie group with 0
            distinct_value = exp.func("COALESCE", distinct_value, exp.Literal.number(0))
        counted = exp.Count(this=exp.Distinct(expressions=[distinct_value])) if dense else exp.Count(this=exp.Star())
        query = exp.select(counted, copy=False).from_(relation.subquery(alias), copy=False).where(above, copy=False)
        rank = exp.Add(this=exp.Subquery(this=query), expression=exp.Literal.number(1))
        return Scalar(exp.cast(rank, exp.DataType.build("BIGINT")), DaxType.INTEGER)

    def _lookupvalue(self, node: ast.Call, env: Env) -> Scalar:
        """LOOKUPVALUE(result column, search column, value, … [, alternate]): the one result value of the rows
        matching every search pair, ignoring the filter context; BLANK (or the alternate) when none match; an
        error when they hold different values."""
        result_key = self.column_key(node.args[0])
        pairs = node.args[1:]
        alternate = None
        if len(pairs) % 2:
            alternate = self.scalar(pairs[-1], env)
            pairs = pairs[:-1]
        table = self.table_named(result_key[0], node)
        scan = self.scan(table, FilterContext((), env.context.activated))
        conditions = []
        for index in range(0, len(pairs), 2):
            key = self.column_key(pairs[index])
            column = scan.column(key)
            if column is None:
                raise DaxEngineError(f"LOOKUPVALUE: {column_name(key)} is not in table '{table.name}' or a table "
                                     "it relates to", *pairs[index].position)
            wanted = self.scalar(pairs[index + 1], env)
            conditions.append(scalars.truthy(scalars.binary("=", Scalar(column, self.column_type(key)), wanted)))
        result = scan.column(result_key)
        assert result is not None
        result_type = self.column_type(result_key)
        query = scan.select(exp.Case().when(
            exp.GT(this=exp.Count(this=exp.Distinct(expressions=[result.copy()])), expression=exp.Literal.number(1)),
            exp.cast(sqlfuncs.dax_error("LOOKUPVALUE: several different values match"), scalars.cast_to(
                scalars.blank(), result_type).sql.args.get("to") or exp.DataType.build("VARCHAR"))).else_(
            exp.Min(this=result))).where(exp.and_(*conditions, copy=False), copy=False)
        value = Scalar(exp.Subquery(this=query), result_type)
        if alternate is None:
            return value
        unified = scalars.unify_types([result_type, alternate.type])
        chosen = exp.func("COALESCE", scalars.cast_to(value, unified).sql, scalars.cast_to(alternate, unified).sql)
        return Scalar(chosen, unified)

    def _concatenatex(self, node: ast.Call, env: Env) -> Scalar:
        """CONCATENATEX(table, expression [, delimiter [, order expression [, ASC|DESC] …]])."""
        relation = self.table(node.args[0], env)
        alias = self.fresh("k")
        row_env = env.with_row(RowFrame(alias, relation))
        value = scalars.cast_to(self.scalar(node.args[1], row_env), DaxType.STRING)
        delimiter = scalars.cast_to(self.scalar(node.args[2], env), DaxType.STRING).sql if len(node.args) > 2 \
            else exp.Literal.string("")
        keys = []
        index = 3
        while index < len(node.args):
            key = self.scalar(node.args[index], row_env)
            descending = False
            if index + 1 < len(node.args) and isinstance(node.args[index + 1], ast.Keyword):
                descending = node.args[index + 1].name == "DESC"  # type: ignore[union-attr]
                index += 1
            keys.append(exp.Ordered(this=key.sql, desc=descending, nulls_first=not descending))
            index += 1
        text = exp.func("COALESCE", value.sql, exp.Literal.string(""))
        aggregate: exp.Expression = exp.GroupConcat(this=exp.Order(this=text, expressions=keys) if keys else text,
                                                    separator=delimiter)
        query = exp.select(aggregate, copy=False).from_(relation.subquery(alias), copy=False)
        return Scalar(exp.Subquery(this=query), DaxType.STRING)

    # --------------------------------------------------------------------------------------- aggregates

    def _aggregate(self, node: ast.Call, env: Env) -> Scalar:
        name = node.name
        if name in ("MIN", "MAX") and len(node.args) == 2:
            first, second = (self.scalar(arg, env) for arg in node.args)
            return _min_max(name, first, second)
        self.check_arity(node, 1, 1)
        key = self.column_key(node.args[0])
        table = self.table_named(key[0], node)
        scan = self.scan(table, env.context)
        value = scan.column(key)
        assert value is not None
        dax_type = self.column_type(key)
        aggregate, result_type = _column_aggregate(name, value, dax_type, node)
        return Scalar(_subquery(scan.select(aggregate)), result_type)

    def _iterate(self, node: ast.Call, env: Env) -> Scalar:
        relation = self.table(node.args[0], env)
        alias = self.fresh("r")
        value = self.scalar(node.args[1], env.with_row(RowFrame(alias, relation)))
        sql = value.sql
        if value.type is DaxType.BOOLEAN and node.name in ("SUMX", "AVERAGEX"):
            raise DaxEngineError(f"{node.name} cannot aggregate TRUE/FALSE values", *node.position)
        if node.name == "SUMX":
            aggregate, result = exp.Sum(this=sql), value.type if value.type.is_numeric else DaxType.DOUBLE
            if result is DaxType.INTEGER:
                aggregate = exp.cast(aggregate, exp.DataType.build("BIGINT"))
            elif result is DaxType.DECIMAL:
                aggregate = currency.exact_sum(sql)
        elif node.name == "AVERAGEX":
            aggregate, result = exp.Avg(this=exp.cast(sql, exp.DataType.build("DOUBLE"))), DaxType.DOUBLE
        elif node.name == "MEDIANX":
            if not value.type.is_numeric:
                raise DaxEngineError("MEDIANX needs numbers", *node.position)
            aggregate, result = exp.Median(this=exp.cast(sql, exp.DataType.build("DOUBLE"))), DaxType.DOUBLE
        elif node.name == "MINX":
            aggregate, result = exp.Min(this=sql), value.type
        elif node.name == "MAXX":
            aggregate, result = exp.Max(this=sql), value.type
        else:  # COUNTX, COUNTAX
            aggregate, result = _nullif_zero(exp.Count(this=sql)), DaxType.INTEGER
        query = exp.select(aggregate, copy=False).from_(relation.subquery(alias), copy=False)
        return Scalar(_subquery(query), result)

    def _countrows(self, node: ast.Call, env: Env) -> Scalar:
        count = _nullif_zero(exp.Count(this=exp.Star()))
        argument = node.args[0]
        if isinstance(argument, ast.TableRef) and argument.name.lower() not in env.variables:
            scan = self.scan(self.table_named(argument.name, argument), env.context)
            return Scalar(_subquery(scan.select(count)), DaxType.INTEGER)
        relation = self.table(argument, env)
        return Scalar(_subquery(exp.select(count, copy=False).from_(
            relation.subquery(self.fresh("r")), copy=False)), DaxType.INTEGER)

    # ------------------------------------------------------------------------------------------ blank row

    def _orphans(self, table: EngineTable) -> exp.Expression | None:
        """SQL true when a relationship to ``table`` has many-side rows with no match (or a BLANK key)."""
        checks = []
        for relationship in self.model.relationships:
            if relationship.to_table.lower() != table.name.lower() or relationship.cardinality == "many_to_many":
                continue  # a many-to-many relationship is limited: no blank row (generator.engine.propagation)
            many = self.table_named(relationship.from_table, ast.TableRef(""))
            many_column = many.column(relationship.from_column)
            one_column = table.column(relationship.to_column)
            assert many_column is not None and one_column is not None
            many_alias, one_alias = self.fresh("o"), self.fresh("o")
            match = exp.select(exp.Literal.number(1), copy=False).from_(
                self._source(table, one_alias), copy=False).where(
                exp.EQ(this=exp.column(one_column.source, table=one_alias, quoted=True),
                       expression=exp.column(many_column.source, table=many_alias, quoted=True)), copy=False)
            orphan = exp.select(exp.Literal.number(1), copy=False).from_(
                self._source(many, many_alias), copy=False).where(
                exp.Not(this=exp.Exists(this=match)), copy=False)
            checks.append(exp.Exists(this=orphan))
        return exp.or_(*checks, copy=False) if checks else None

    def _source(self, table: EngineTable, alias: str) -> exp.Expression:
        return self.sources.source(table, alias) if self.sources is not None else source_table(table, alias)

    def has_blank_row(self, table: EngineTable) -> exp.Expression | bool:
        """Whether ``table`` has the blank row: a bool when the database was asked, else an SQL condition."""
        condition = self._orphans(table)
        if condition is None:
            return False
        if self.blank_rows is not None:
            return self.blank_rows(table, condition)
        return condition

    def table_rows(self, table: EngineTable, context: FilterContext, blank_row: bool) -> Relation:
        """Every row of ``table`` under ``context``; with ``blank_row`` (ALL(table), VALUES(table)) also the
        blank row when a relationship to the table has orphaned rows."""
        relation = self.scan(table, context).relation()
        exists = self.has_blank_row(table) if blank_row else False
        if exists is False:
            return relation
        nulls = exp.select(*[aliased(scalars.cast_to(scalars.blank(), c.type).sql, c.sql)
                             for c in relation.columns], copy=False)
        blank_scan = self.scan(table, context, source=Relation(nulls, relation.columns, base_table=table.name))
        values = [blank_scan.column(c.lineage) for c in relation.columns if c.lineage is not None]
        blank = blank_scan.select(*[aliased(v, c.sql) for v, c in zip(values, relation.columns, strict=True)
                                    if v is not None])
        if exists is not True:
            blank = blank.where(exists, copy=False)
        return Relation(exp.union(relation.query, blank, distinct=False), relation.columns, table.name)

    def values_query(self, keys: list[ColumnKey], context: FilterContext, blank_row: bool = True) -> exp.Query:
        """The distinct value tuples of columns of one table under ``context`` (``c0 …``).

        With ``blank_row`` (VALUES, ALL, group-by columns) the table's blank row is included when a relationship
        to it is invalid, and it passes the context's filters, as in Power BI; DISTINCT and ALLNOBLANKROW leave
        it out.
        """
        table = self.table_named(keys[0][0], ast.TableRef(""))
        scan = self.scan(table, context)
        values = [scan.column(key) for key in keys]
        query: exp.Query = scan.select(*[aliased(v, f"c{i}") for i, v in enumerate(values)
                                         if v is not None]).distinct(copy=False)
        if not blank_row:
            return query
        exists = self.has_blank_row(table)
        if exists is False:
            return query
        columns = tuple(RelColumn(f"c{i}", column_name((table.name, c.name)), (table.name, c.name), c.type)
                        for i, c in enumerate(table.columns))
        nulls = exp.select(*[aliased(scalars.cast_to(scalars.blank(), c.type).sql, c.sql) for c in columns], copy=False)
        blank_scan = self.scan(table, context, source=Relation(nulls, columns, base_table=table.name))
        blank_values = [blank_scan.column(key) for key in keys]
        blank = blank_scan.select(*[aliased(v, f"c{i}") for i, v in enumerate(blank_values) if v is not None])
        if exists is not True:
            blank = blank.where(exists, copy=False)
        return exp.union(query, blank, distinct=True)

    def _hasonevalue(self, node: ast.Call, env: Env) -> Scalar:
        values = self.values_query([self.column_key(node.args[0])], env.context)
        alias = self.fresh("h")
        query = exp.select(exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)), copy=False).from_(
            exp.Subquery(this=values, alias=exp.TableAlias(this=exp.to_identifier(alias))), copy=False)
        return Scalar(_subquery(query), DaxType.BOOLEAN)

    def _selectedvalue(self, node: ast.Call, env: Env) -> Scalar:
        key = self.column_key(node.args[0])
        values = self.values_query([key], env.context)
        alias = self.fresh("h")
        dax_type = self.column_type(key)
        alternate = self.scalar(node.args[1], env) if len(node.args) == 2 else scalars.blank()
        result_type = scalars.unify_types([dax_type, alternate.type])
        single = exp.select(exp.Min(this=col(alias, "c0")), copy=False).from_(
            exp.Subquery(this=values, alias=exp.TableAlias(this=exp.to_identifier(alias))), copy=False).having(
            exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        chosen = exp.Case().when(exp.Exists(this=single.copy()), _subquery(single)).else_(
            scalars.cast_to(alternate, result_type).sql)
        return Scalar(scalars.cast_to(Scalar(chosen, dax_type), result_type).sql, result_type)

    def _isfiltered(self, node: ast.Call, env: Env) -> Scalar:
        argument = node.args[0]
        if isinstance(argument, ast.TableRef):
            table = self.table_named(argument.name, argument)
            filtered = any(env.context.is_filtered((table.name, c.name)) for c in table.columns)
        else:
            filtered = env.context.is_filtered(self.column_key(argument))
        return scalars.literal_boolean(filtered)

    def _earlier(self, node: ast.Call, env: Env) -> Scalar:
        """EARLIER(column [, n]): the column's value in the n-th enclosing row context that holds it (n = 1:
        the one outside the innermost)."""
        key = self.column_key(node.args[0])
        depth = 1
        if len(node.args) == 2:
            if not isinstance(node.args[1], ast.Number) or not node.args[1].text.isdigit():
                raise DaxEngineError("EARLIER's second argument must be a whole number", *node.args[1].position)
            depth = int(node.args[1].text)
        holding = [frame for frame in env.rows if frame.relation.find(key) is not None]
        if len(holding) <= depth:
            raise DaxEngineError(f"EARLIER({column_name(key)}): no outer row context holds the column",
                                 *node.position)
        frame = holding[-1 - depth]
        found = frame.relation.find(key)
        assert found is not None
        return Scalar(col(frame.alias, found.sql), found.type)

    def _isinscope(self, node: ast.Call, env: Env) -> Scalar:
        """ISINSCOPE(column): TRUE on the rows where SUMMARIZECOLUMNS groups by the column (no subtotals), FALSE
        where nothing filters it; a column filtered some other way (CALCULATE, context transition) is refused."""
        key = self.column_key(node.args[0])
        if env.context.is_grouped(key):
            return scalars.literal_boolean(True)
        if env.context.is_filtered(key) or env.rows:
            raise Unsupported("ISINSCOPE", *node.position,
                              reason="only inside SUMMARIZECOLUMNS groups or where the column is not filtered")
        return scalars.literal_boolean(False)

    def _iscrossfiltered(self, node: ast.Call, env: Env) -> Scalar:
        """ISCROSSFILTERED(column or table): TRUE when a filter reaches the table: on one of its columns or on a
        table whose filters propagate to it (its expanded table)."""
        argument = node.args[0]
        if isinstance(argument, ast.TableRef):
            table = self.table_named(argument.name, argument)
        else:
            table = self.table_named(self.column_key(argument)[0], argument)
        reached = reached_tables(self.scan(table, env.context))
        filtered = any(key[0].lower() in reached for f in env.context.filters for key in f.columns)
        return scalars.literal_boolean(filtered)

    def _isempty(self, node: ast.Call, env: Env) -> Scalar:
        relation = self.table(node.args[0], env)
        inner = exp.select(exp.Literal.number(1), copy=False).from_(relation.subquery(self.fresh("e")), copy=False)
        return Scalar(exp.Not(this=exp.Exists(this=inner)), DaxType.BOOLEAN)

    def _related(self, node: ast.Call, env: Env) -> Scalar:
        key = self.column_key(node.args[0])
        for frame in reversed(env.rows):
            base = frame.relation.base_table
            if base is None:
                continue
            table = self.table_named(base, node)
            scan = self.scan(table, FilterContext((), env.context.activated), source=frame.relation)
            if not scan.reaches(key[0]):
                continue
            # Read the related column of the current row: the scan's base is the row's own relation,
            # narrowed to the current row by all its columns.
            value = scan.column(key)
            assert value is not None
            row_match = [exp.NullSafeEQ(this=col(scan.alias, c.sql), expression=col(frame.alias, c.sql))
                         for c in frame.relation.columns]
            query = scan.select(value).where(exp.and_(*row_match, copy=False), copy=False).limit(1, copy=False)
            return Scalar(_subquery(query), self.column_type(key))
        raise DaxEngineError(f"RELATED({column_name(key)}): no row context of a table related to "
                             f"'{key[0]}'", *node.position)

    # ---------------------------------------------------------------------------------------------- tables

    def table(self, node: ast.Expr, env: Env) -> Relation:
        """Compile a table expression."""
        match node:
            case ast.Paren(expr=inner):
                return self.table(inner, env)
            case ast.TableRef(name=name):
                bound = env.variables.get(name.lower())
                if isinstance(bound, Relation):
                    return bound
                if bound is not None:
                    raise DaxEngineError(f"'{name}' is a single value; a table is expected here", *node.position)
                return self.scan(self.table_named(name, node), env.context).relation()
            case ast.TableConstructor(rows=rows):
                return self._constructor(rows, env, node)
            case ast.VarBlock(variables=variables, body=body):
                for name, expression in variables:
                    env = env.with_variable(name, self.value(expression, env))
                return self.table(body, env)
            case ast.Call(name=name):
                entry = functions.lookup(name)
                if entry is not None and Kind.TABLE in entry.kind and entry.compile is not None:
                    return entry(self, node, env)
                if entry is not None and entry.kind & (Kind.HANDLER | Kind.SCALAR | Kind.AGGREGATE):
                    raise DaxEngineError(f"{name} returns a single value; a table is expected here", *node.position)
                raise Unsupported(name, *node.position)
        raise DaxEngineError("a table expression is expected here", *node.position)

    def _constructor(self, rows: tuple[tuple[ast.Expr, ...], ...], env: Env, node: ast.Node) -> Relation:
        width = len(rows[0]) if rows else 1
        if any(len(row) != width for row in rows):
            raise DaxEngineError("every row of a table constructor must have the same number of values",
                                 *node.position)
        compiled = [[self.scalar(item, env) for item in row] for row in rows]
        types = [_constructor_type([row[i].type for row in compiled]) for i in range(width)]
        names = ["[Value]"] if width == 1 else [f"[Value{i + 1}]" for i in range(width)]
        columns = tuple(RelColumn(f"c{i}", names[i], None, types[i]) for i in range(width))
        if len(compiled) == 1:
            row = compiled[0]
            return Relation(exp.select(*[aliased(scalars.cast_to(v, types[i]).sql, f"c{i}")
                                         for i, v in enumerate(row)], copy=False), columns)
        # one VALUES list: SQL that grows linearly with the rows (a UNION ALL chain nests one level per row)
        alias = self.fresh("k")
        values = exp.Values(
            expressions=[exp.Tuple(expressions=[scalars.cast_to(v, types[i]).sql for i, v in enumerate(row)])
                         for row in compiled],
            alias=exp.TableAlias(this=exp.to_identifier(alias),
                                 columns=[exp.to_identifier(c.sql) for c in columns]))
        return Relation(exp.select(*[col(alias, c.sql) for c in columns], copy=False).from_(
            values, copy=False), columns)


def _chain(node: ast.Binary) -> list[ast.Expr]:
    """The operands of the left-deep chain of ``node.op`` that ``node`` ends: ``a + b + c`` gives ``[a, b, c]``."""
    operands: list[ast.Expr] = []
    current: ast.Expr = node
    while isinstance(current, ast.Binary) and current.op == node.op:
        operands.append(current.right)
        current = current.left
    operands.append(current)
    operands.reverse()
    return operands


def _in_list(values: list[Scalar], rows: list[list[Scalar]]) -> Scalar:
    """``values IN { rows }``; a long list as a balanced OR of short ones, so the SQL nests log n deep."""
    if len(rows) <= _BALANCE_FROM:
        return scalars.in_list(values, rows)
    middle = len(rows) // 2
    return scalars.binary("||", _in_list(values, rows[:middle]), _in_list(values, rows[middle:]))


def _constructor_type(types: list[DaxType]) -> DaxType:
    """A table constructor column's type: mixed types become text, as DAX documents."""
    unified = scalars.unify_types(types)
    if unified is DaxType.VARIANT:
        return DaxType.STRING
    return DaxType.INTEGER if unified is DaxType.BLANK else unified


def _column_aggregate(name: str, value: exp.Expression, dax_type: DaxType,
                      node: ast.Call) -> tuple[exp.Expression, DaxType]:
    """The SQL aggregate of one column and its DAX result type (BLANK over no rows)."""
    if name in ("SUM", "AVERAGE", "MEDIAN") and not dax_type.is_numeric:
        raise DaxEngineError(f"{name} cannot work with values of type {dax_type.value.upper()}", *node.position)
    if name == "SUM":
        if dax_type is DaxType.INTEGER:
            return exp.cast(exp.Sum(this=value), exp.DataType.build("BIGINT")), DaxType.INTEGER
        if dax_type is DaxType.DECIMAL:  # Currency adds exactly (generator/engine/currency.py)
            return currency.exact_sum(value), DaxType.DECIMAL
        return exp.Sum(this=value), DaxType.DOUBLE
    if name == "AVERAGE":
        return exp.Avg(this=exp.cast(value, exp.DataType.build("DOUBLE"))), DaxType.DOUBLE
    if name == "MEDIAN":  # blanks ignored, BLANK over no values
        return exp.Median(this=exp.cast(value, exp.DataType.build("DOUBLE"))), DaxType.DOUBLE
    if name == "MIN":
        return exp.Min(this=value), dax_type
    if name == "MAX":
        return exp.Max(this=value), dax_type
    if name in ("COUNT", "COUNTA"):
        return _nullif_zero(exp.Count(this=value)), DaxType.INTEGER
    if name == "COUNTBLANK":
        blank = exp.Is(this=value, expression=exp.Null())
        if dax_type is DaxType.STRING:
            blank = exp.or_(blank, exp.EQ(this=value, expression=exp.Literal.string("")), copy=False)
        counted = exp.Sum(this=exp.Case().when(blank, exp.Literal.number(1)).else_(exp.Literal.number(0)))
        return exp.Case().when(exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)),
                               exp.Null()).else_(counted), DaxType.INTEGER
    if name == "DISTINCTCOUNTNOBLANK":
        return _nullif_zero(exp.Count(this=exp.Distinct(expressions=[value]))), DaxType.INTEGER
    # DISTINCTCOUNT counts BLANK as a value
    has_blank = exp.Max(this=exp.Case().when(exp.Is(this=value, expression=exp.Null()), exp.Literal.number(1))
                        .else_(exp.Literal.number(0)))
    total = exp.Add(this=exp.Count(this=exp.Distinct(expressions=[value.copy()])),
                    expression=exp.func("COALESCE", has_blank, exp.Literal.number(0)))
    return _nullif_zero(total), DaxType.INTEGER


def _is_simple(sql: exp.Expression) -> bool:
    """True for SQL cheap enough to repeat: literals, columns, casts and NULL, without subqueries."""
    return not any(isinstance(n, exp.Subquery | exp.Exists | exp.Select) for n in sql.walk())


def _count_subqueries(sql: exp.Expression) -> int:
    return sum(1 for n in sql.walk() if isinstance(n, exp.Subquery | exp.Exists))


def _min_max(name: str, first: Scalar, second: Scalar) -> Scalar:
    """Two-argument MIN/MAX: BLANK counts as 0 (or as the other's zero), both BLANK gives BLANK."""
    result_type = scalars.unify_types([first.type, second.type])
    if result_type is DaxType.BLANK:
        return scalars.blank()
    zero = scalars.cast_to(scalars.literal_number("0"), result_type).sql
    left = exp.func("COALESCE", scalars.cast_to(first, result_type).sql, zero)
    right = exp.func("COALESCE", scalars.cast_to(second, result_type).sql, zero.copy())
    picked = exp.func("LEAST" if name == "MIN" else "GREATEST", left, right)
    both_blank = exp.and_(exp.Is(this=first.sql.copy(), expression=exp.Null()),
                          exp.Is(this=second.sql.copy(), expression=exp.Null()), copy=False)
    return Scalar(exp.Case().when(both_blank, exp.Null()).else_(picked), result_type)


def _row_level_columns(node: ast.Expr) -> list[ast.ColumnRef]:
    """The column references a boolean filter reads row by row (not those inside aggregations)."""
    found: list[ast.ColumnRef] = []

    def visit(current: ast.Expr) -> None:
        match current:
            case ast.ColumnRef():
                found.append(current)
            case ast.Call(name=name, args=args):
                if functions.is_kind(name, Kind.SCALAR):
                    for arg in args:
                        visit(arg)
            case ast.Unary(operand=operand):
                visit(operand)
            case ast.Binary(left=left, right=right):
                visit(left)
                visit(right)
            case ast.Paren(expr=inner):
                visit(inner)
            case ast.Tuple(items=items):
                for item in items:
                    visit(item)

    visit(node)
    return found


def _refuse_measures_in_filter(node: ast.Expr, compiler: Compiler) -> None:
    from generator.dax.references import walk

    for current in walk(node):
        if isinstance(current, ast.Call) and current.name in ("CALCULATE", "CALCULATETABLE"):
            raise DaxEngineError("a boolean filter cannot contain CALCULATE; use FILTER", *current.position)
        if isinstance(current, ast.NameRef) and compiler._measure(current.name) is not None:
            raise DaxEngineError(f"a boolean filter cannot use the measure [{current.name}]; use FILTER",
                                 *current.position)


functions.declare("CALCULATE", kind=Kind.HANDLER, arity=(1, None), compile=Compiler._calculate)
functions.declare("IF", kind=Kind.HANDLER, arity=(2, 3), compile=Compiler._if)
functions.declare("TOTALYTD", kind=Kind.HANDLER, arity=(2, 4), compile=Compiler._total_to_date)
functions.declare("TOTALQTD", "TOTALMTD", kind=Kind.HANDLER, arity=(2, 3), compile=Compiler._total_to_date)
functions.declare("RANKX", kind=Kind.HANDLER, arity=(2, 5), compile=Compiler._rankx)
functions.declare("LOOKUPVALUE", kind=Kind.HANDLER, arity=(3, None), compile=Compiler._lookupvalue)
functions.declare("CONCATENATEX", kind=Kind.HANDLER, arity=(2, None), compile=Compiler._concatenatex)
functions.declare("COUNTROWS", kind=Kind.HANDLER, arity=1, compile=Compiler._countrows)
functions.declare("HASONEVALUE", kind=Kind.HANDLER, arity=1, compile=Compiler._hasonevalue)
functions.declare("SELECTEDVALUE", kind=Kind.HANDLER, arity=(1, 2), compile=Compiler._selectedvalue)
functions.declare("ISFILTERED", kind=Kind.HANDLER, arity=1, compile=Compiler._isfiltered)
functions.declare("EARLIER", kind=Kind.HANDLER, arity=(1, 2), compile=Compiler._earlier)
functions.declare("ISINSCOPE", kind=Kind.HANDLER, arity=1, compile=Compiler._isinscope)
functions.declare("ISCROSSFILTERED", kind=Kind.HANDLER, arity=1, compile=Compiler._iscrossfiltered)
functions.declare("ISEMPTY", kind=Kind.HANDLER, arity=1, compile=Compiler._isempty)
functions.declare("RELATED", kind=Kind.HANDLER, arity=1, compile=Compiler._related)
functions.declare("USERPRINCIPALNAME", "USERNAME", kind=Kind.HANDLER, arity=0, compile=Compiler._user)
functions.declare("SUM", "AVERAGE", "MIN", "MAX", "COUNT", "COUNTA", "COUNTBLANK", "DISTINCTCOUNT",
                  "DISTINCTCOUNTNOBLANK", "MEDIAN", kind=Kind.AGGREGATE, compile=Compiler._aggregate)
functions.declare("SUMX", "AVERAGEX", "MINX", "MAXX", "COUNTX", "COUNTAX", "MEDIANX", kind=Kind.ITERATOR,
                  arity=2, compile=Compiler._iterate)
# CALCULATE modifiers, evaluated by Compiler._modifier (ALL, ALLNOBLANKROW and KEEPFILTERS are also table
# functions: declared in tables.py)
functions.declare("REMOVEFILTERS", "USERELATIONSHIP", "CROSSFILTER", "ALLCROSSFILTERED", kind=Kind.MODIFIER)
functions.declare("ALLEXCEPT", kind=Kind.TABLE | Kind.MODIFIER)
functions.declare("ALLSELECTED", kind=Kind.TABLE | Kind.MODIFIER, compile=selected.allselected_table)

__all__ = ["Compiler", "Env", "RowFrame", "relationships_in_effect"]

# Calculation groups: applied to measure references by Compiler.measure (the module imports this one).
from generator.engine import calcgroups  # noqa: E402
