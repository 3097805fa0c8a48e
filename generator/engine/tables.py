"""DAX table functions compiled to SQL relations (FILTER, VALUES, SUMMARIZECOLUMNS, ADDCOLUMNS, TOPN …)."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from generator.dax import ast
from generator.engine import functions, scalars, sqlfuncs
from generator.engine.compiler import Compiler, Env, RowFrame
from generator.engine.context import FilterContext, equals_filter
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind
from generator.engine.plan import AggregatePlan, hoist, hoist_whole
from generator.engine.relations import ColumnKey, Relation, RelColumn, col, column_name
from generator.engine.sqltree import aliased
from generator.engine.values import DaxType, Scalar
from generator.text import plural

TableHandler = Callable[[Compiler, ast.Call, Env], Relation]


def table_alias(name: str) -> exp.TableAlias:
    """The SQL alias ``name`` of a derived table."""
    return exp.TableAlias(this=exp.to_identifier(name))


def _renumbered(columns: list[RelColumn]) -> tuple[RelColumn, ...]:
    return tuple(RelColumn(f"c{i}", c.name, c.lineage, c.type, c.format_string) for i, c in enumerate(columns))


def name_argument(node: ast.Expr, function: str) -> str:
    """The text of a column-name argument written in double quotes (``"Total"``); refuses anything else."""
    if not isinstance(node, ast.String):
        raise DaxEngineError(f"{function} expects a column name in double quotes here", *node.position)
    return node.value


def values_of(compiler: Compiler, keys: list[ColumnKey], context: FilterContext,
               blank_row: bool = True) -> Relation:
    """The distinct value tuples of columns of one table under ``context`` (with the blank row: see
    :meth:`Compiler.values_query`)."""
    query = compiler.values_query(keys, context, blank_row)
    columns = tuple(RelColumn(f"c{i}", column_name(k), k, compiler.column_type(k)) for i, k in enumerate(keys))
    return Relation(query, columns)


def filter_table(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """FILTER(table, condition): the rows where the condition is true, in row context."""
    relation = compiler.table(node.args[0], env)
    alias = compiler.fresh("r")
    condition = compiler.scalar(node.args[1], env.with_row(RowFrame(alias, relation)))
    query = exp.select(*[col(alias, c.sql) for c in relation.columns], copy=False).from_(
        relation.subquery(alias), copy=False).where(
        scalars.truthy(condition), copy=False)
    return Relation(query, relation.columns, relation.base_table)


def values_table(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """VALUES / DISTINCT of a column (distinct values in the filter context) or of a table."""
    argument = node.args[0]
    if isinstance(argument, ast.NameRef):  # in a measure, [Column] of its home table
        argument = compiler.home_column(argument) or argument
    if isinstance(argument, ast.ColumnRef):
        return values_of(compiler, [compiler.column_key(argument)], env.context, node.name == "VALUES")
    if node.name == "VALUES" and isinstance(argument, ast.TableRef) and argument.name.lower() not in env.variables:
        return compiler.table_rows(compiler.table_named(argument.name, argument), env.context, True)
    relation = compiler.table(argument, env)
    if node.name == "VALUES" and not isinstance(argument, ast.TableRef):
        raise DaxEngineError("VALUES takes a column or a table name; use DISTINCT for a table expression",
                             *node.position)
    alias = compiler.fresh("d")
    query = exp.select(*[col(alias, c.sql) for c in relation.columns], copy=False).from_(
        relation.subquery(alias), copy=False).distinct(copy=False)
    return Relation(query, relation.columns, relation.base_table)


def all_table(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """ALL(table) / ALL(column, …): every row or every distinct value, ignoring filters."""
    if not node.args:
        raise DaxEngineError(f"{node.name} () removes filters inside CALCULATE only; a table is expected here",
                             *node.position)
    unfiltered = FilterContext((), env.context.activated)
    if len(node.args) == 1 and isinstance(node.args[0], ast.TableRef) and \
            node.args[0].name.lower() not in env.variables:
        table = compiler.table_named(node.args[0].name, node.args[0])
        return compiler.table_rows(table, unfiltered, node.name == "ALL")
    keys = [compiler.column_key(arg) for arg in node.args]
    if len({k[0].lower() for k in keys}) > 1:
        raise DaxEngineError(f"the columns of {node.name} must belong to one table", *node.position)
    return values_of(compiler, keys, unfiltered, node.name == "ALL")


def calculatetable(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """CALCULATETABLE(table, filters…)."""
    context = compiler.calculate_context(node.args[1:], env)
    return compiler.table(node.args[0], env.in_context(context))


def relatedtable(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """RELATEDTABLE(table): the table's rows under context transition (CALCULATETABLE(table))."""
    return compiler.table(node.args[0], env.in_context(compiler.transition(env)))


def keepfilters_table(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """KEEPFILTERS(table) outside a filter argument is the table itself."""
    return compiler.table(node.args[0], env)


def _split_summarize_arguments(node: ast.Call, start: int) -> tuple[list[ast.Expr], list[tuple[str, ast.Expr]]]:
    groups: list[ast.Expr] = []
    index = start
    while index < len(node.args) and not isinstance(node.args[index], ast.String):
        groups.append(node.args[index])
        index += 1
    named: list[tuple[str, ast.Expr]] = []
    while index < len(node.args):
        name = name_argument(node.args[index], node.name)
        if index + 1 >= len(node.args):
            raise DaxEngineError(f"{node.name}: the name \"{name}\" has no expression", *node.args[index].position)
        named.append((name, node.args[index + 1]))
        index += 2
    return groups, named


def summarizecolumns(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """SUMMARIZECOLUMNS(group columns…, filter tables…, "name", expression…).

    Group columns of one table keep the value combinations that exist in it; those of different tables are
    cross-joined. Each expression is evaluated with the group's values as filters; rows whose expressions
    are all BLANK are dropped.
    """
    if env.rows:
        raise Unsupported("SUMMARIZECOLUMNS in a row context", *node.position)
    leading, named = _split_summarize_arguments(node, 0)
    group_keys: list[ColumnKey] = []
    filter_arguments: list[ast.Expr] = []
    for argument in leading:
        if isinstance(argument, ast.ColumnRef):
            key = compiler.column_key(argument)
            if key in group_keys:
                raise DaxEngineError(f"SUMMARIZECOLUMNS groups by {column_name(key)} twice", *argument.position)
            group_keys.append(key)
        elif isinstance(argument, ast.Call) and argument.name in ("ROLLUPADDISSUBTOTAL", "ROLLUPGROUP",
                                                                  "NONVISUAL", "IGNORE"):
            raise Unsupported(argument.name, *argument.position)
        elif compiler.is_table_expression(argument, env):
            filter_arguments.append(argument)
        else:
            raise DaxEngineError("SUMMARIZECOLUMNS expects group-by columns, filter tables, then "
                                 "\"name\", expression pairs", *argument.position)
    for _, expression in named:
        if isinstance(expression, ast.Call) and expression.name in ("IGNORE", "NONVISUAL"):
            raise Unsupported(expression.name, *expression.position)
    context = compiler.calculate_context(tuple(filter_arguments), env) if filter_arguments else env.context
    context = context.with_shadow()  # what ALLSELECTED restores (generator.engine.selected)

    by_table: dict[str, list[ColumnKey]] = {}
    for key in group_keys:
        by_table.setdefault(key[0].lower(), []).append(key)
    group_columns: list[RelColumn] = []
    group_query: exp.Select | None = None
    sources: list[tuple[str, Relation]] = []
    for keys in by_table.values():
        sources.append((compiler.fresh("s"), values_of(compiler, keys, context)))
    if sources:
        selected = []
        for alias, relation in sources:
            for rel_column in relation.columns:
                new_name = f"c{len(group_columns)}"
                selected.append(aliased(col(alias, rel_column.sql), new_name))
                group_columns.append(RelColumn(new_name, rel_column.name, rel_column.lineage, rel_column.type,
                                               rel_column.format_string))
        group_query = exp.select(*selected, copy=False).from_(sources[0][1].subquery(sources[0][0]), copy=False)
        for alias, relation in sources[1:]:
            group_query = group_query.join(relation.subquery(alias), join_type="cross", copy=False)
    ordered = {k: c for c in group_columns for k in [c.lineage]}
    group_columns = [ordered[k] for k in group_keys]

    def group_env(alias: str) -> Env:
        row_context = context
        for rel_column in group_columns:
            assert rel_column.lineage is not None
            row_context = row_context.remove({rel_column.lineage}, compiler.materialize)
            row_context = row_context.add(equals_filter(rel_column.lineage, col(alias, rel_column.sql),
                                                        rel_column.lineage[0], grouped=True))
        return env.in_context(row_context)

    if group_query is not None:
        return _grouped_measures(compiler, named, group_query, group_columns, group_env)
    # no group columns: each expression is its own one-row subquery, cross-joined
    columns = list(group_columns)
    outputs: list[exp.Expression] = []
    joins: list[exp.Expression] = []
    values = []
    for name, expression in named:
        value = compiler.scalar(expression, group_env(compiler.fresh("g")))
        sql_name = f"c{len(columns)}"
        joined = compiler.fresh("e")
        joins.append(exp.Subquery(this=exp.select(aliased(value.sql, "v")), alias=table_alias(joined)))
        outputs.append(aliased(col(joined, "v"), sql_name))
        columns.append(RelColumn(sql_name, f"[{name}]", None, value.type, compiler.format_of(expression)))
        values.append(sql_name)
    if joins:
        query = exp.select(*outputs, copy=False).from_(joins[0], copy=False)
        for table in joins[1:]:
            query = query.join(table, join_type="cross", copy=False)
    else:
        query = exp.select(*outputs, copy=False)
    return _non_blank_rows(compiler, query, columns, values)


def _grouped_measures(compiler: Compiler, named: list[tuple[str, ast.Expr]], group_query: exp.Select,
                      group_columns: list[RelColumn], group_env: Callable[[str], Env]) -> Relation:
    """The SUMMARIZECOLUMNS rows: the groups, each expression evaluated for each group.

    Every expression is compiled for the group row ``g``; its aggregates correlated with the group only
    through the group values become grouped aggregates (:mod:`generator.engine.plan`), shared by all the
    expressions and LEFT JOINed to the groups once. An expression still correlated with the group after that
    is its own subquery over the groups, joined back on the group columns (DuckDB plans many correlated
    subqueries in one SELECT list in time that grows much faster than their number).
    """
    group_alias = compiler.fresh("g")
    env = group_env(group_alias)
    shared = AggregatePlan(group_alias, compiler.fresh, compiler.grouped_plan)
    columns = list(group_columns)
    outputs: list[exp.Expression] = [aliased(col(group_alias, c.sql), c.sql) for c in group_columns]
    residual: list[tuple[exp.Expression, exp.Expression]] = []
    values = []
    for name, expression in named:
        value = compiler.scalar(expression, env)
        sql_name = f"c{len(columns)}"
        whole = hoist_whole(value.sql, shared)
        if whole is not None:
            outputs.append(aliased(whole, sql_name))
        else:
            own = AggregatePlan(group_alias, compiler.fresh, compiler.grouped_plan)
            hoisted = hoist(value.sql, own)
            keys = [aliased(col(group_alias, c.sql), c.sql) for c in group_columns]
            per_group = exp.select(*keys, aliased(hoisted, "v"), copy=False).from_(
                exp.Subquery(this=group_query.copy(), alias=table_alias(group_alias)), copy=False)
            joined = compiler.fresh("e")
            condition = exp.and_(*[exp.NullSafeEQ(this=col(joined, c.sql), expression=col(group_alias, c.sql))
                                   for c in group_columns], copy=False)
            residual.append((exp.Subquery(this=own.apply(per_group), alias=table_alias(joined)), condition))
            outputs.append(aliased(col(joined, "v"), sql_name))
        columns.append(RelColumn(sql_name, f"[{name}]", None, value.type, compiler.format_of(expression)))
        values.append(sql_name)
    query = exp.select(*outputs, copy=False).from_(exp.Subquery(this=group_query, alias=table_alias(group_alias)),
                                                   copy=False)
    query = shared.apply(query)
    for table, condition in residual:
        query = query.join(table, on=condition, join_type="left", copy=False)
    return _non_blank_rows(compiler, query, columns, values)


def _non_blank_rows(compiler: Compiler, query: exp.Select, columns: list[RelColumn], values: list[str]) -> Relation:
    """SUMMARIZECOLUMNS drops the rows whose expressions are all BLANK."""
    if values:
        wrapped = compiler.fresh("w")
        keep = exp.or_(*[exp.Not(this=exp.Is(this=col(wrapped, v), expression=exp.Null())) for v in values], copy=False)
        query = exp.select(*[col(wrapped, c.sql) for c in columns], copy=False).from_(
            exp.Subquery(this=query, alias=table_alias(wrapped)), copy=False).where(keep, copy=False)
    return Relation(query, tuple(columns))


def summarize(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """SUMMARIZE(table, group columns…): the distinct combinations of the columns in the table's rows.

    Group columns may belong to tables related to it (its expanded table). Added name/expression pairs are
    evaluated by :mod:`generator.engine.summarize`.
    """
    groups, named = _split_summarize_arguments(node, 1)
    if named:  # generator.engine.summarize handles them (it declares SUMMARIZE and calls this function)
        raise Unsupported("SUMMARIZE with added columns", *node.args[0].position)
    relation = compiler.table(node.args[0], env)
    keys = [compiler.column_key(group) for group in groups]
    if relation.base_table is not None:
        table = compiler.table_named(relation.base_table, node)
        scan = compiler.scan(table, FilterContext((), env.context.activated), source=relation)
        values = []
        for key, group in zip(keys, groups, strict=True):
            value = scan.column(key)
            if value is None:
                raise DaxEngineError(f"SUMMARIZE: {column_name(key)} is not in table '{table.name}' or a "
                                     "table it relates to", *group.position)
            values.append(value)
        query = scan.select(*[aliased(v, f"c{i}") for i, v in enumerate(values)]).distinct(copy=False)
    else:
        alias = compiler.fresh("r")
        values = []
        for key, group in zip(keys, groups, strict=True):
            found = relation.find(key)
            if found is None:
                raise DaxEngineError(f"SUMMARIZE: the table has no column {column_name(key)}", *group.position)
            values.append(col(alias, found.sql))
        query = exp.select(*[aliased(v, f"c{i}") for i, v in enumerate(values)]).from_(
            relation.subquery(alias), copy=False).distinct(copy=False)
    columns = tuple(RelColumn(f"c{i}", column_name(k), k, compiler.column_type(k)) for i, k in enumerate(keys))
    return Relation(query, columns)


def _correlated(query: exp.Expression) -> bool:
    """True when ``query`` reads columns of a table alias it does not define (an enclosing row or group)."""
    defined = {a.name for a in query.find_all(exp.TableAlias)} | {t.alias_or_name for t in query.find_all(exp.Table)}
    return any(c.table and c.table not in defined for c in query.find_all(exp.Column))


def addcolumns(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """ADDCOLUMNS(table, "name", expression…): each expression evaluated in the row context of each row.

    The aggregates an expression reads that are correlated with the row only through equalities (context
    transition over the row's columns) become grouped aggregates LEFT JOINed to the rows
    (:mod:`generator.engine.plan`). With several expressions still correlated after that, over a table that
    does not depend on an enclosing row, the rows are numbered once (a materialized CTE) and each such
    expression becomes its own subquery joined back on the row number: DuckDB plans many correlated
    subqueries in one SELECT list in time that grows much faster than their number (12 catalogue measures by
    client: 17.8 s in one list).
    """
    relation = compiler.table(node.args[0], env)
    _, named = _split_summarize_arguments(node, 1)
    for name, _ in named:
        if any(c.lineage is None and c.short_name.lower() == name.lower() for c in relation.columns):
            raise DaxEngineError(f"ADDCOLUMNS: the table already has a column [{name}]", *node.position)
    alias = compiler.fresh("r")
    row_env = env.with_row(RowFrame(alias, relation))
    values = [compiler.scalar(expression, row_env) for _, expression in named]
    shared = AggregatePlan(alias, compiler.fresh, compiler.grouped_plan)
    wholes = [hoist_whole(value.sql, shared) for value in values]  # None: still correlated with the row
    columns = list(relation.columns)
    for (name, expression), value in zip(named, values, strict=True):
        columns.append(RelColumn(f"c{len(columns)}", f"[{name}]", None, value.type, compiler.format_of(expression)))
    if len(named) > 1 and not env.rows and not _correlated(relation.query) and None in wholes:
        return _addcolumns_joined(compiler, relation, alias, values, wholes, shared, columns)
    outputs: list[exp.Expression] = [col(alias, c.sql) for c in relation.columns]
    for value, whole, rel_column in zip(values, wholes, columns[len(relation.columns):], strict=True):
        outputs.append(aliased(whole if whole is not None else hoist(value.sql, shared), rel_column.sql))
    query = shared.apply(exp.select(*outputs, copy=False).from_(relation.subquery(alias), copy=False))
    return Relation(query, tuple(columns), relation.base_table)


def _addcolumns_joined(compiler: Compiler, relation: Relation, alias: str, values: list[Scalar],
                       wholes: list[exp.Expression | None], shared: AggregatePlan,
                       columns: list[RelColumn]) -> Relation:
    """ADDCOLUMNS whose expressions stay correlated with the row: the rows numbered once (a materialized CTE
    read as ``alias``); the expressions whose aggregates all became grouped aggregates (``wholes``, over
    ``shared``) are computed in the outer query, each other one in its own subquery joined back on the row
    number."""
    base_name = compiler.fresh("base")
    numbering = compiler.fresh("r")
    numbered = exp.select(*[col(numbering, c.sql) for c in relation.columns],
                          aliased(exp.Window(this=exp.RowNumber()), "__rn"), copy=False).from_(
        relation.subquery(numbering), copy=False)
    outputs: list[exp.Expression] = [col(alias, c.sql) for c in relation.columns]
    joins = []
    for value, whole, rel_column in zip(values, wholes, columns[len(relation.columns):], strict=True):
        if whole is not None:
            outputs.append(aliased(whole, rel_column.sql))
            continue
        own = AggregatePlan(alias, compiler.fresh, compiler.grouped_plan)
        per_row = exp.select(col(alias, "__rn"), aliased(hoist(value.sql, own), "v"), copy=False).from_(
            exp.Table(this=exp.to_identifier(base_name), alias=table_alias(alias)), copy=False)
        joined = compiler.fresh("e")
        joins.append((exp.Subquery(this=own.apply(per_row), alias=table_alias(joined)),
                      exp.EQ(this=col(joined, "__rn"), expression=col(alias, "__rn"))))
        outputs.append(aliased(col(joined, "v"), rel_column.sql))
    query = exp.select(*outputs, copy=False).from_(
        exp.Table(this=exp.to_identifier(base_name), alias=table_alias(alias)), copy=False)
    query = shared.apply(query)
    for table, condition in joins:
        query = query.join(table, on=condition, join_type="left", copy=False)
    query = query.with_(base_name, as_=numbered, materialized=True, copy=False)
    return Relation(query, tuple(columns), relation.base_table)


def selectcolumns(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """SELECTCOLUMNS(table, "name", expression…); a plain column reference keeps its lineage."""
    relation = compiler.table(node.args[0], env)
    _, named = _split_summarize_arguments(node, 1)
    alias = compiler.fresh("r")
    row_env = env.with_row(RowFrame(alias, relation))
    outputs = []
    columns = []
    for name, expression in named:
        value = compiler.scalar(expression, row_env)
        lineage = compiler.column_key(expression) if isinstance(expression, ast.ColumnRef) and \
            compiler.model.table(expression.table) is not None and \
            compiler.model.table(expression.table).column(
                expression.column) is not None else None  # type: ignore[union-attr]
        sql_name = f"c{len(columns)}"
        outputs.append(aliased(value.sql, sql_name))
        columns.append(RelColumn(sql_name, f"[{name}]", lineage, value.type, compiler.format_of(expression)))
    return Relation(exp.select(*outputs, copy=False).from_(relation.subquery(alias), copy=False), tuple(columns))


def row_table(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """ROW("name", expression, …): one row."""
    if len(node.args) % 2:
        raise DaxEngineError("ROW takes \"name\", expression pairs", *node.position)
    outputs = []
    columns = []
    for index in range(0, len(node.args), 2):
        name = name_argument(node.args[index], "ROW")
        value = compiler.scalar(node.args[index + 1], env)
        sql_name = f"c{len(columns)}"
        outputs.append(aliased(value.sql, sql_name))
        columns.append(RelColumn(sql_name, f"[{name}]", None, value.type, compiler.format_of(node.args[index + 1])))
    return Relation(exp.select(*outputs, copy=False), tuple(columns))


def topn(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """TOPN(n, table, order expression [, ASC|DESC] …): the first n rows, ties at the boundary included."""
    count = compiler.scalar(node.args[0], env)
    relation = compiler.table(node.args[1], env)
    alias = compiler.fresh("r")
    row_env = env.with_row(RowFrame(alias, relation))
    keys: list[exp.Ordered] = []
    index = 2
    while index < len(node.args):
        value = compiler.scalar(node.args[index], row_env)
        descending = True
        if index + 1 < len(node.args):
            following = node.args[index + 1]
            direction = None
            if isinstance(following, ast.Keyword) and following.name in ("ASC", "DESC"):
                direction = following.name == "ASC"
            elif isinstance(following, ast.Number | ast.Boolean):
                direction = (following.text not in ("0",)) if isinstance(following, ast.Number) else following.value
            if direction is not None:
                descending = not direction
                index += 1
        keys.append(exp.Ordered(this=value.sql, desc=descending, nulls_first=not descending))
        index += 1
    outputs = [col(alias, c.sql) for c in relation.columns]
    if not keys:
        raise Unsupported("TOPN without an order expression", *node.position)
    ranked = exp.Window(this=exp.Rank(), order=exp.Order(expressions=keys))
    inner = exp.select(*outputs, aliased(ranked, "__rank"), copy=False).from_(relation.subquery(alias))
    wrapped = compiler.fresh("w")
    limit = exp.func("COALESCE", count.sql, exp.Literal.number(0))
    query = exp.select(*[col(wrapped, c.sql) for c in relation.columns], copy=False).from_(
        exp.Subquery(this=inner, alias=table_alias(wrapped)), copy=False).where(
            exp.LTE(this=col(wrapped, "__rank"), expression=limit), copy=False)
    return Relation(query, relation.columns, relation.base_table)


def treatas(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """TREATAS(table, column…): the table's values, as values of the given model columns."""
    relation = compiler.table(node.args[0], env)
    keys = [compiler.column_key(arg) for arg in node.args[1:]]
    if len(keys) != len(relation.columns):
        raise DaxEngineError(f"TREATAS: the table has {plural(len(relation.columns), 'column')} but "
                             f"{plural(len(keys), 'target column')} {'is' if len(keys) == 1 else 'are'} given",
                             *node.position)
    columns = tuple(RelColumn(c.sql, column_name(k), k, compiler.column_type(k))
                    for c, k in zip(relation.columns, keys, strict=True))
    return Relation(relation.query, columns)


def crossjoin(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """CROSSJOIN(table, table, …)."""
    relations = [compiler.table(arg, env) for arg in node.args]
    outputs = []
    columns: list[RelColumn] = []
    query: exp.Select | None = None
    for relation in relations:
        alias = compiler.fresh("x")
        for rel_column in relation.columns:
            sql_name = f"c{len(columns)}"
            outputs.append(aliased(col(alias, rel_column.sql), sql_name))
            columns.append(RelColumn(sql_name, rel_column.name, rel_column.lineage, rel_column.type,
                                     rel_column.format_string))
        if query is None:
            query = exp.select(copy=False).from_(relation.subquery(alias), copy=False)
        else:
            query = query.join(relation.subquery(alias), join_type="cross", copy=False)
    assert query is not None
    return Relation(query.select(*outputs), tuple(columns))


def union(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """UNION(table, table, …): every row of every table (duplicates kept); names and lineage of the first."""
    relations = [compiler.table(arg, env) for arg in node.args]
    width = len(relations[0].columns)
    if any(len(r.columns) != width for r in relations):
        raise DaxEngineError("UNION needs tables with the same number of columns", *node.position)
    types = []
    for index in range(width):
        column_types = [r.columns[index].type for r in relations]
        unified = scalars.unify_types(column_types)
        if unified is DaxType.VARIANT:
            raise Unsupported("UNION of columns with different types", *node.position)
        types.append(DaxType.INTEGER if unified is DaxType.BLANK else unified)
    query: exp.Query | None = None
    for relation in relations:
        alias = compiler.fresh("u")
        select = exp.select(*[
            aliased(scalars.cast_to(Scalar(col(alias, c.sql), c.type), types[i]).sql, f"c{i}")
            for i, c in enumerate(relation.columns)], copy=False).from_(relation.subquery(alias), copy=False)
        query = select if query is None else exp.union(query, select, distinct=False)
    assert query is not None
    first = relations[0].columns
    lineages = [c.lineage if all(r.columns[i].lineage == c.lineage for r in relations) else None
                for i, c in enumerate(first)]
    formats = [c.format_string if all(r.columns[i].format_string == c.format_string for r in relations) else None
               for i, c in enumerate(first)]
    columns = tuple(RelColumn(f"c{i}", c.name, lineages[i], types[i], formats[i]) for i, c in enumerate(first))
    return Relation(query, columns)


# ------------------------------------------------------------------------------------- time intelligence


def dates_argument(compiler: Compiler, node: ast.Call, env: Env) -> tuple[ColumnKey, Relation, Relation]:
    """The dates column of a time-intelligence function: its key, its values in context, and all its values."""
    argument = node.args[0]
    if not isinstance(argument, ast.ColumnRef):
        raise Unsupported(f"{node.name} over a table expression", *argument.position,
                          reason="give the date column, e.g. 'Date'[Date]")
    key = compiler.column_key(argument)
    if compiler.column_type(key) is not DaxType.DATETIME:
        raise DaxEngineError(f"{node.name} needs a date column; {column_name(key)} is not one", *argument.position)
    in_context = values_of(compiler, [key], env.context, blank_row=False)
    everything = values_of(compiler, [key], FilterContext((), env.context.activated), blank_row=False)
    return key, in_context, everything


def first_column_aggregate(relation: Relation, aggregate: type[exp.Expression], alias: str) -> exp.Expression:
    """A scalar subquery: ``aggregate`` (``exp.Min``, ``exp.Max`` …) of the first column of ``relation``."""
    return exp.Subquery(this=exp.select(aggregate(this=col(alias, "c0")), copy=False).from_(
        relation.subquery(alias), copy=False))


def dates_between(compiler: Compiler, key: ColumnKey, everything: Relation, start: exp.Expression,
                end: exp.Expression) -> Relation:
    """The dates of the column between ``start`` and ``end`` (inclusive)."""
    alias = compiler.fresh("d")
    value = col(alias, "c0")
    query = exp.select(aliased(value, "c0"), copy=False).from_(everything.subquery(alias)).where(
        exp.and_(exp.GTE(this=value.copy(), expression=start), exp.LTE(this=value.copy(
            ), expression=end), copy=False), copy=False)
    return Relation(query, (RelColumn("c0", column_name(key), key, DaxType.DATETIME),),
                    date_range=(start.copy(), end.copy()))


def sql_interval(amount: exp.Expression, unit: str) -> exp.Expression:
    """The SQL interval of ``amount`` times ``unit`` (``DAY``, ``MONTH`` …)."""
    return exp.Interval(this=amount, unit=exp.var(unit))


def truncate_date(unit: str, value: exp.Expression) -> exp.Expression:
    """``value`` truncated to the start of its ``unit`` (``DAY``, ``MONTH``, ``QUARTER``, ``YEAR``), as a timestamp."""
    return exp.cast(exp.DateTrunc(this=value, unit=exp.var(unit)), exp.DataType.build("TIMESTAMP"))


def previous_period(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """PREVIOUSMONTH / PREVIOUSQUARTER (dates): every date of the period before the first date in context."""
    key, in_context, everything = dates_argument(compiler, node, env)
    unit = "MONTH" if node.name == "PREVIOUSMONTH" else "QUARTER"
    months = 1 if unit == "MONTH" else 3
    first = first_column_aggregate(in_context, exp.Min, compiler.fresh("m"))
    period_start = truncate_date(unit, first)
    start = exp.Sub(this=period_start, expression=sql_interval(exp.Literal.number(months), "MONTH"))
    end = exp.Sub(this=period_start.copy(), expression=sql_interval(exp.Literal.number(1), "MICROSECOND"))
    return dates_between(compiler, key, everything, start, end)


def parallelperiod(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """PARALLELPERIOD(dates, n, MONTH|QUARTER|YEAR): whole periods, from the period of the first date in
    context to the period of the last one, moved by n periods."""
    interval = node.args[2]
    if not isinstance(interval, ast.Keyword) or interval.name not in ("MONTH", "QUARTER", "YEAR"):
        raise DaxEngineError("PARALLELPERIOD's interval must be MONTH, QUARTER or YEAR", *interval.position)
    key, in_context, everything = dates_argument(compiler, node, env)
    size = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[interval.name]
    steps = exp.cast(compiler.scalar(node.args[1], env).sql, exp.DataType.build("BIGINT"))
    shift = exp.Mul(this=steps, expression=exp.Literal.number(size))
    first = truncate_date(interval.name, first_column_aggregate(in_context, exp.Min, compiler.fresh("m")))
    last = truncate_date(interval.name, first_column_aggregate(in_context, exp.Max, compiler.fresh("m")))
    start = exp.Add(this=first, expression=sql_interval(shift, "MONTH"))
    after = exp.Add(this=last, expression=sql_interval(exp.Add(this=shift.copy(), expression=exp.Literal.number(size)),
                                                    "MONTH"))
    end = exp.Sub(this=after, expression=sql_interval(exp.Literal.number(1), "MICROSECOND"))
    return dates_between(compiler, key, everything, start, end)


def dateadd(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """DATEADD(dates, n, DAY|MONTH|QUARTER|YEAR) and SAMEPERIODLASTYEAR(dates).

    Each date in context moves by the interval (month ends clamp, as EDATE does); only dates that exist in
    the column are kept. When a date is the last day of its month, the shifted month's remaining days are
    included too (Feb 27–28 + 1 month → Mar 27–31), as DAX documents.
    """
    if node.name == "SAMEPERIODLASTYEAR":
        compiler.check_arity(node, 1, 1)
        amount, unit = scalars.literal_number("-1"), "YEAR"
    else:
        compiler.check_arity(node, 3, 3)
        amount = compiler.scalar(node.args[1], env)
        interval = node.args[2]
        if not isinstance(interval, ast.Keyword) or interval.name not in ("DAY", "MONTH", "QUARTER", "YEAR"):
            raise DaxEngineError("DATEADD's interval must be DAY, MONTH, QUARTER or YEAR", *interval.position)
        unit = interval.name
    key, in_context, everything = dates_argument(compiler, node, env)
    source = compiler.fresh("s")
    moved = compiler.fresh("d")
    original = col(source, "c0")
    steps = exp.cast(amount.sql, exp.DataType.build("BIGINT"))
    if unit == "DAY":
        shifted: exp.Expression = exp.Add(this=original, expression=sql_interval(steps, "DAY"))
        last = shifted.copy()
    else:
        months = exp.Mul(this=steps, expression=exp.Literal.number({"MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit]))
        shifted = exp.Add(this=original, expression=sql_interval(months, "MONTH"))
        month_end = exp.cast(sqlfuncs.MonthEnd(this=original.copy()), exp.DataType.build("TIMESTAMP"))
        is_month_end = exp.EQ(this=exp.cast(original.copy(), exp.DataType.build("DATE")),
                              expression=exp.cast(month_end, exp.DataType.build("DATE")))
        last = exp.Case().when(is_month_end, exp.cast(sqlfuncs.MonthEnd(this=shifted.copy()),
                                                      exp.DataType.build("TIMESTAMP"))).else_(shifted.copy())
    candidate = col(moved, "c0")
    match = exp.and_(exp.GTE(this=candidate.copy(), expression=shifted), exp.LTE(this=candidate.copy(),
                                                                                 expression=last), copy=False)
    exists = exp.Exists(this=exp.select(exp.Literal.number(1), copy=False).from_(
        in_context.subquery(source), copy=False).where(match, copy=False))
    query = exp.select(aliased(candidate, "c0"), copy=False).from_(everything.subquery(moved)).where(
        exists, copy=False)
    return Relation(query, (RelColumn("c0", column_name(key), key, DaxType.DATETIME),))


def datesbetween(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """DATESBETWEEN(dates, start, end): BLANK start/end mean the first/last date of the column."""
    key, _, everything = dates_argument(compiler, node, env)
    start = compiler.scalar(node.args[1], env)
    end = compiler.scalar(node.args[2], env)
    first = first_column_aggregate(everything, exp.Min, compiler.fresh("m"))
    last = first_column_aggregate(everything, exp.Max, compiler.fresh("m"))
    return dates_between(compiler, key, everything, exp.func("COALESCE", start.sql, first),
                       exp.func("COALESCE", end.sql, last))


def first_last_date(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """FIRSTDATE / LASTDATE(dates): a one-row table with the first / last date in context (none when empty)."""
    key, in_context, _ = dates_argument(compiler, node, env)
    alias = compiler.fresh("d")
    aggregate = exp.Min if node.name == "FIRSTDATE" else exp.Max
    inner = exp.select(aliased(aggregate(this=col(alias, "c0")), "c0")).from_(
        in_context.subquery(alias), copy=False)
    wrapped = compiler.fresh("w")
    query = exp.select(col(wrapped, "c0"), copy=False).from_(
        exp.Subquery(this=inner, alias=table_alias(wrapped)), copy=False).where(
        exp.Not(this=exp.Is(this=col(wrapped, "c0"), expression=exp.Null())), copy=False)
    return Relation(query, (RelColumn("c0", column_name(key), key, DaxType.DATETIME),))


def datesinperiod(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """DATESINPERIOD(dates, start, n, DAY|MONTH|QUARTER|YEAR): the dates of the n intervals from ``start``
    (backwards when n is negative: the period ends on ``start``)."""
    key, _, everything = dates_argument(compiler, node, env)
    start = compiler.scalar(node.args[1], env).sql
    count = exp.cast(compiler.scalar(node.args[2], env).sql, exp.DataType.build("BIGINT"))
    interval = node.args[3]
    if not isinstance(interval, ast.Keyword) or interval.name not in ("DAY", "MONTH", "QUARTER", "YEAR"):
        raise DaxEngineError("DATESINPERIOD's interval must be DAY, MONTH, QUARTER or YEAR", *interval.position)
    if interval.name == "DAY":
        moved = exp.Add(this=start.copy(), expression=sql_interval(count, "DAY"))
    else:
        months = exp.Mul(this=count, expression=exp.Literal.number({"MONTH": 1, "QUARTER": 3, "YEAR": 12}[
            interval.name]))
        moved = exp.Add(this=start.copy(), expression=sql_interval(months, "MONTH"))
    one_day = sql_interval(exp.Literal.number(1), "DAY")
    backwards = exp.LT(this=count.copy(), expression=exp.Literal.number(0))
    low = exp.Case().when(backwards, exp.Add(this=moved.copy(), expression=one_day.copy())).else_(start.copy())
    high = exp.Case().when(backwards, start.copy()).else_(exp.Sub(this=moved.copy(), expression=one_day.copy()))
    return dates_between(compiler, key, everything, low, high)


functions.declare("FIRSTDATE", "LASTDATE", kind=Kind.TABLE, arity=1, compile=first_last_date)
functions.declare("DATESINPERIOD", kind=Kind.TABLE, arity=4, compile=datesinperiod)
functions.declare("FILTER", kind=Kind.TABLE, arity=2, compile=filter_table)
functions.declare("VALUES", "DISTINCT", kind=Kind.TABLE, arity=1, compile=values_table)
functions.declare("ALL", "ALLNOBLANKROW", kind=Kind.TABLE | Kind.MODIFIER, compile=all_table)
functions.declare("CALCULATETABLE", kind=Kind.TABLE, arity=(1, None), compile=calculatetable)
functions.declare("RELATEDTABLE", kind=Kind.TABLE, arity=1, compile=relatedtable)
functions.declare("KEEPFILTERS", kind=Kind.TABLE | Kind.MODIFIER, arity=1, compile=keepfilters_table)
functions.declare("SUMMARIZECOLUMNS", kind=Kind.TABLE, compile=summarizecolumns)
# SUMMARIZE is declared by generator/engine/summarize.py (added columns), which calls summarize.
functions.declare("ADDCOLUMNS", kind=Kind.TABLE, arity=(3, None), compile=addcolumns)
functions.declare("SELECTCOLUMNS", kind=Kind.TABLE, arity=(3, None), compile=selectcolumns)
functions.declare("ROW", kind=Kind.TABLE, arity=(2, None), compile=row_table)
functions.declare("TOPN", kind=Kind.TABLE, arity=(2, None), compile=topn)
functions.declare("TREATAS", kind=Kind.TABLE, arity=(2, None), compile=treatas)
functions.declare("CROSSJOIN", kind=Kind.TABLE, arity=(2, None), compile=crossjoin)
functions.declare("UNION", kind=Kind.TABLE, arity=(2, None), compile=union)
functions.declare("PREVIOUSMONTH", "PREVIOUSQUARTER", kind=Kind.TABLE, arity=1, compile=previous_period)
functions.declare("DATEADD", "SAMEPERIODLASTYEAR", kind=Kind.TABLE, compile=dateadd)
functions.declare("PARALLELPERIOD", kind=Kind.TABLE, arity=3, compile=parallelperiod)
functions.declare("DATESBETWEEN", kind=Kind.TABLE, arity=3, compile=datesbetween)
# Table functions the engine recognises (a call of one is a table expression) but does not compile.
functions.declare("EXCEPT", "GENERATE", "GENERATEALL", "GROUPBY", "INTERSECT", "NATURALINNERJOIN",
                  "NATURALLEFTOUTERJOIN", "SUBSTITUTEWITHINDEX", "TOPNSKIP", kind=Kind.TABLE)
