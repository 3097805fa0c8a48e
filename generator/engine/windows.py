"""DAX's window functions (issue 22): OFFSET, INDEX, WINDOW (tables) and RANK, ROWNUMBER (scalars), with their
ORDERBY and PARTITIONBY clauses.

The rules followed, from Microsoft's DAX reference and DAX Guide:

* **Relation.** The rows the function works on. Omitted, it is ALLSELECTED() of the ORDERBY and PARTITIONBY
  columns (which must then be plain columns of one table); the engine compiles it as that ALLSELECTED call, so
  it is refused with ``unsupported: ALLSELECTED`` for as long as the engine lacks ALLSELECTED.
* **ORDERBY ( expression [, ASC|DESC|TRUE|FALSE|1|0] [, DEFAULT|FIRST|LAST] … ).** Each expression is evaluated
  in a row context of the relation; ascending by default. Omitted, the rows are ordered by every column of the
  relation that is not in PARTITIONBY, ascending.
* **Blanks** (the function's argument; an ORDERBY item's own one takes precedence): DEFAULT puts BLANK between
  the negative numbers and zero (numbers) or before every value, the empty string included (text, dates,
  booleans), mirrored by DESC; FIRST and LAST put BLANK first or last whatever the direction. Text sorts
  case-insensitively, as DAX compares it.
* **PARTITIONBY ( column … ).** Columns of the relation; each partition is numbered on its own. Omitted, the
  relation is one partition (BLANK values form one partition).
* **Unique order.** OFFSET, INDEX, WINDOW and ROWNUMBER need every row of a partition in a distinct place: when
  ORDERBY does not tell rows apart, DAX appends the fewest other columns that do; the engine appends every
  other column of the relation in its order (ascending), which gives the same order whenever those columns are
  the ones DAX would pick first. Rows equal on every column are DAX's error "cannot uniquely identify every
  row"; the engine fails the query with that error. RANK keeps ties (SKIP: the next rank after k tied rows
  moves by k; DENSE: by 1).
* **The current row** ("apply semantics"). Every column of the relation that holds a model column (lineage) is
  matched with its outer value: the innermost row context that holds the column; otherwise the filter
  context, where every combination of its values that exists (in the column's table) is a current row. So in
  ``SUMMARIZECOLUMNS ( 'Date'[Month], … )`` the group's month is the current row, and with no filter on the
  month every month is. Columns added by table functions (no lineage) are not matched.
* **Results.** OFFSET: for each current row, the row ``delta`` places after it in its partition (a BLANK
  delta is 0 [reading]); none when that is outside the partition. INDEX: for each partition of a current row,
  the row at ``position`` (1 first, -1 last); none when the position is 0, BLANK or outside. WINDOW: for each
  current row the rows from ``from`` to ``to``, both included: REL counts from the current row, ABS from the
  partition's start (1-based, 0 read as 1) or, negative, from its end (-1 last); the window is clipped to the
  partition and empty when it ends before it starts; with both bounds ABS the window depends on the partition
  only. OFFSET and WINDOW return the union of their current rows' results (overlapping windows repeat rows
  [reading]). RANK and ROWNUMBER: the current row's rank or row number; BLANK when no row of the relation
  matches; an error when the context holds several current rows [reading: a table of several values where one
  is expected].

[reading] marks the engine's reading where the reference says nothing. Refused with their position: MATCHBY,
the reset argument (visual calculations) and PARTITIONBY on a column the relation does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from generator.dax import ast
from generator.engine import functions, scalars
from generator.engine.compiler import Compiler, Env, RowFrame
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind
from generator.engine.relations import ColumnKey, Relation, col, column_name
from generator.engine.sqltree import aliased
from generator.engine.values import DaxType, Scalar

_BLANKS = frozenset({"DEFAULT", "FIRST", "LAST", "KEEP"})
_INDEX, _COUNT = "__i", "__n"  # the row's number (or rank) in its partition and the partition's size
_BIGINT = exp.DataType.build("BIGINT")


@dataclass(frozen=True)
class _Key:
    """One ORDERBY item: its SQL over the relation's row, its type, direction and blanks rule."""

    sql: exp.Expression
    type: DaxType
    descending: bool
    blanks: str


@dataclass(frozen=True)
class _Numbered:
    """The relation's rows with ``__i`` and ``__n``, the partition columns, and the relation itself."""

    query: exp.Select
    relation: Relation
    partition: tuple[str, ...]  # sql names of the partition columns


@dataclass(frozen=True)
class _Arguments:
    relation: ast.Expr | None
    order: ast.Call | None
    blanks: str
    partition: ast.Call | None


def _word(node: ast.Expr) -> str | None:
    if isinstance(node, ast.Keyword | ast.TableRef):
        return node.name.upper()
    return None


def _arguments(compiler: Compiler, node: ast.Call, start: int, env: Env) -> _Arguments:
    """The relation, ORDERBY, blanks and PARTITIONBY arguments after ``node.args[start]``, recognized by kind."""
    relation = order = partition = None
    blanks = "DEFAULT"
    for argument in node.args[start:]:
        if isinstance(argument, ast.Omitted):
            continue
        word = _word(argument)
        if isinstance(argument, ast.Call) and argument.name == "ORDERBY":
            order = argument
        elif isinstance(argument, ast.Call) and argument.name == "PARTITIONBY":
            partition = argument
        elif isinstance(argument, ast.Call) and argument.name == "MATCHBY":
            raise Unsupported("MATCHBY", *argument.position)
        elif word in _BLANKS and not (
            isinstance(argument, ast.TableRef) and compiler.is_table_expression(argument, env)
        ):
            blanks = "DEFAULT" if word == "KEEP" else word
        elif relation is None and order is None and compiler.is_table_expression(argument, env):
            relation = argument
        else:
            raise Unsupported(
                f"{node.name}'s reset argument", *argument.position, reason="reset applies to visual calculations only"
            )
    if relation is None and order is None:
        raise DaxEngineError(f"{node.name} needs a relation or an ORDERBY clause", *node.position)
    return _Arguments(relation, order, blanks, partition)


def _columns(compiler: Compiler, clause: ast.Call) -> list[ColumnKey]:
    keys = []
    for argument in clause.args:
        if not isinstance(argument, ast.ColumnRef):
            raise DaxEngineError(f"{clause.name} takes columns Table[Column] here", *argument.position)
        keys.append(compiler.column_key(argument))
    return keys


def _order_items(clause: ast.Call) -> list[tuple[ast.Expr, bool, str | None]]:
    """ORDERBY's items: (expression, descending, own blanks rule or None)."""
    items: list[tuple[ast.Expr, bool, str | None]] = []
    index = 0
    args = clause.args
    while index < len(args):
        expression, descending, blanks = args[index], False, None
        index += 1
        if index < len(args):
            following = args[index]
            word = _word(following)
            if word in ("ASC", "DESC"):
                descending, index = word == "DESC", index + 1
            elif isinstance(following, ast.Boolean):
                descending, index = not following.value, index + 1
            elif isinstance(following, ast.Number) and following.text in ("0", "1"):
                descending, index = following.text == "0", index + 1
        if index < len(args) and _word(args[index]) in _BLANKS - {"KEEP"}:
            blanks, index = _word(args[index]), index + 1
        items.append((expression, descending, blanks))
    return items


def _relation(compiler: Compiler, node: ast.Call, arguments: _Arguments, env: Env) -> Relation:
    if arguments.relation is not None:
        return compiler.table(arguments.relation, env)
    assert arguments.order is not None
    columns = [item for item, _, _ in _order_items(arguments.order)]
    columns += list(arguments.partition.args) if arguments.partition is not None else []
    if not all(isinstance(c, ast.ColumnRef) for c in columns):
        raise DaxEngineError(
            f"{node.name} without a relation takes columns Table[Column] in ORDERBY and PARTITIONBY", *node.position
        )
    keys = [compiler.column_key(c) for c in columns]
    if len({k[0].lower() for k in keys}) > 1:
        raise DaxEngineError(f"{node.name} without a relation takes the columns of one table", *node.position)
    allselected = functions.lookup("ALLSELECTED")
    if allselected is None or allselected.compile is None:
        raise Unsupported(
            "ALLSELECTED",
            *node.position,
            reason=f"{node.name} without a relation works on ALLSELECTED of its ORDERBY and "
            "PARTITIONBY columns; give the relation, e.g. ALL ( 'Date'[Month] )",
        )
    unique = list(dict.fromkeys(columns))
    return compiler.table(ast.Call("ALLSELECTED", tuple(unique), *node.position), env)


def _sort_keys(key: _Key) -> list[exp.Ordered]:
    """SQL ORDER BY items that put ``key``'s values, BLANK included, in DAX's order (text case-insensitively, as
    DAX compares it)."""
    if key.type is DaxType.STRING:
        key = _Key(exp.Lower(this=key.sql.copy()), key.type, key.descending, key.blanks)
    is_blank = exp.Is(this=key.sql.copy(), expression=exp.Null())
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    if key.blanks in ("FIRST", "LAST"):
        flag = (
            exp.Case()
            .when(is_blank, zero if key.blanks == "FIRST" else one)
            .else_(one.copy() if key.blanks == "FIRST" else zero.copy())
        )
        return [
            exp.Ordered(this=flag, desc=False, nulls_first=True),
            exp.Ordered(this=key.sql.copy(), desc=key.descending, nulls_first=True),
        ]
    present = exp.Case().when(is_blank, zero).else_(one)
    if key.type.is_numeric:  # BLANK between the negative numbers and zero
        value = exp.func("COALESCE", key.sql.copy(), zero.copy())
        return [
            exp.Ordered(this=value, desc=key.descending, nulls_first=True),
            exp.Ordered(this=present, desc=key.descending, nulls_first=True),
        ]
    return [
        exp.Ordered(this=present, desc=key.descending, nulls_first=True),
        exp.Ordered(this=key.sql.copy(), desc=key.descending, nulls_first=True),
    ]


def _model_column(compiler: Compiler, node: ast.Expr) -> ColumnKey | None:
    """The model column ``node`` names (``Table[Column]`` of a model table), else None."""
    if not isinstance(node, ast.ColumnRef):
        return None
    table = compiler.model.table(node.table)
    if table is None or table.column(node.column) is None:
        return None
    return compiler.column_key(node)


def _numbered(compiler: Compiler, node: ast.Call, arguments: _Arguments, env: Env, ranking: str) -> _Numbered:
    """The relation numbered within its partitions: ``ranking`` is ROW_NUMBER (a unique order), RANK or
    DENSE_RANK."""
    relation = _relation(compiler, node, arguments, env)
    inner = compiler.fresh("r")
    row_env = env.with_row(RowFrame(inner, relation))
    partition: list[str] = []
    clause = arguments.partition
    for key in _columns(compiler, clause) if clause is not None else []:
        found = relation.find(key)
        if found is None:
            assert clause is not None
            raise Unsupported(f"PARTITIONBY on {column_name(key)}, which the relation does not hold", *clause.position)
        partition.append(found.sql)
    keys: list[_Key] = []
    ordered_columns: set[str] = set()
    if arguments.order is not None:
        for expression, descending, blanks in _order_items(arguments.order):
            if (key := _model_column(compiler, expression)) is not None:
                found = relation.find(key)
                if found is None:
                    raise DaxEngineError(
                        f"ORDERBY: {column_name(key)} is not a column of {node.name}'s relation", *expression.position
                    )
                ordered_columns.add(found.sql)
            value = compiler.scalar(expression, row_env)
            keys.append(_Key(value.sql, value.type, descending, blanks or arguments.blanks))
    else:
        for rel_column in relation.columns:
            if rel_column.sql not in partition:
                ordered_columns.add(rel_column.sql)
                keys.append(_Key(col(inner, rel_column.sql), rel_column.type, False, arguments.blanks))
    if ranking == "ROW_NUMBER":  # DAX appends columns until the order is unique
        for rel_column in relation.columns:
            if rel_column.sql not in partition and rel_column.sql not in ordered_columns:
                keys.append(_Key(col(inner, rel_column.sql), rel_column.type, False, "DEFAULT"))
    # the keys as columns of a derived table, so the window reads plain columns
    keyed = (
        exp.select(*[col(inner, c.sql) for c in relation.columns], copy=False)
        .select(*[aliased(k.sql, f"__k{i}") for i, k in enumerate(keys)], copy=False)
        .from_(relation.subquery(inner), copy=False)
    )
    outer = compiler.fresh("w")
    over_keys = [_Key(col(outer, f"__k{i}"), k.type, k.descending, k.blanks) for i, k in enumerate(keys)]
    parts = [col(outer, p) for p in partition]
    order = exp.Order(expressions=[o for k in over_keys for o in _sort_keys(k)])
    window_function = exp.RowNumber() if ranking == "ROW_NUMBER" else exp.Anonymous(this=ranking, expressions=[])
    number: exp.Expression = exp.Window(this=window_function, partition_by=parts, order=order)
    if ranking == "ROW_NUMBER":
        same = exp.Window(
            this=exp.Count(this=exp.Star()),
            partition_by=[*[p.copy() for p in parts], *[col(outer, c.sql) for c in relation.columns]],
        )
        message = f"{node.name}: the relation has rows that no column tells apart; the order is not unique"
        number = (
            exp.Case()
            .when(exp.GT(this=same, expression=exp.Literal.number(1)), scalars.error_value(message, DaxType.INTEGER))
            .else_(number)
        )
    size = exp.Window(this=exp.Count(this=exp.Star()), partition_by=[p.copy() for p in parts])
    query = (
        exp.select(*[col(outer, c.sql) for c in relation.columns], copy=False)
        .select(aliased(number, _INDEX), aliased(size, _COUNT), copy=False)
        .from_(_named(keyed, outer), copy=False)
    )
    return _Numbered(query, relation, tuple(partition))


def _current(compiler: Compiler, numbered: _Numbered, alias: str, env: Env) -> exp.Expression:
    """SQL true on the rows of ``numbered`` (read as ``alias``) that are current rows: each lineage column equal
    to its row-context value, or in a combination of values the filter context holds."""
    conditions: list[exp.Expression] = []
    from_context: dict[str, list[tuple[ColumnKey, str]]] = {}
    for rel_column in numbered.relation.columns:
        if rel_column.lineage is None:
            continue
        outer = compiler.row_column(env, rel_column.lineage, None)
        if outer is not None:
            conditions.append(exp.NullSafeEQ(this=col(alias, rel_column.sql), expression=outer.sql))
        else:
            from_context.setdefault(rel_column.lineage[0].lower(), []).append((rel_column.lineage, rel_column.sql))
    for pairs in from_context.values():
        values = compiler.fresh("x")
        query = compiler.values_query([key for key, _ in pairs], env.context)
        match = [
            exp.NullSafeEQ(this=col(values, f"c{i}"), expression=col(alias, sql)) for i, (_, sql) in enumerate(pairs)
        ]
        conditions.append(
            exp.Exists(
                this=exp.select(exp.Literal.number(1), copy=False)
                .from_(_named(query, values), copy=False)
                .where(exp.and_(*match, copy=False), copy=False)
            )
        )
    return exp.and_(*conditions, copy=False) if conditions else exp.true()


def _same_partition(numbered: _Numbered, left: str, right: str) -> list[exp.Expression]:
    return [exp.NullSafeEQ(this=col(left, p), expression=col(right, p)) for p in numbered.partition]


def _whole(compiler: Compiler, node: ast.Expr, env: Env) -> exp.Expression:
    """A position argument as a whole number (BLANK stays NULL)."""
    return scalars.cast_to(compiler.scalar(node, env), DaxType.INTEGER).sql


def _named(query: exp.Query, alias: str) -> exp.Subquery:
    """``query`` as a FROM item called ``alias``."""
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _result(numbered: _Numbered, query: exp.Select) -> Relation:
    return Relation(query, numbered.relation.columns, numbered.relation.base_table)


def offset(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """OFFSET ( delta [, relation] [, ORDERBY] [, blanks] [, PARTITIONBY] ): for each current row, the row
    ``delta`` places after it in its partition (before it when negative; BLANK counts as 0); none outside the
    partition. See the module's rules."""
    compiler.check_arity(node, 2)
    delta = exp.func("COALESCE", _whole(compiler, node.args[0], env), exp.Literal.number(0))
    numbered = _numbered(compiler, node, _arguments(compiler, node, 1, env), env, "ROW_NUMBER")
    target, current = compiler.fresh("t"), compiler.fresh("c")
    moved = exp.EQ(this=col(target, _INDEX), expression=exp.Add(this=col(current, _INDEX), expression=delta))
    return _around_current(compiler, numbered, target, current, moved, env)


def _around_current(
    compiler: Compiler, numbered: _Numbered, target: str, current: str, condition: exp.Expression, env: Env
) -> Relation:
    """The rows (``target``) that meet ``condition`` for a current row (``current``) of their partition, once
    for each such current row (the union of the current rows' results)."""
    query = (
        exp.select(*[col(target, c.sql) for c in numbered.relation.columns], copy=False)
        .from_(_named(numbered.query, target), copy=False)
        .join(
            _named(numbered.query.copy(), current),
            on=exp.and_(*_same_partition(numbered, target, current), condition, copy=False),
            join_type="inner",
            copy=False,
        )
        .where(_current(compiler, numbered, current, env), copy=False)
    )
    return _result(numbered, query)


def _position(position: exp.Expression, size: exp.Expression) -> exp.Expression:
    """An absolute position: positive from the partition's start, negative from its end (-1 is the last row)."""
    return (
        exp.Case()
        .when(
            exp.LT(this=position, expression=exp.Literal.number(0)),
            exp.Add(this=exp.Add(this=size, expression=exp.Literal.number(1)), expression=position.copy()),
        )
        .else_(position.copy())
    )


def _partitions(compiler: Compiler, numbered: _Numbered, target: str, env: Env) -> exp.Expression:
    """SQL true on the rows (``target``) whose partition holds a current row."""
    current = compiler.fresh("c")
    inner = (
        exp.select(exp.Literal.number(1), copy=False)
        .from_(_named(numbered.query.copy(), current), copy=False)
        .where(
            exp.and_(
                _current(compiler, numbered, current, env), *_same_partition(numbered, target, current), copy=False
            ),
            copy=False,
        )
    )
    return exp.Exists(this=inner)


def index(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """INDEX ( position [, relation] [, ORDERBY] [, blanks] [, PARTITIONBY] ): in each partition that holds a
    current row, the row at ``position`` (1 the first, -1 the last); none when the position is 0, BLANK or
    outside the partition. See the module's rules."""
    compiler.check_arity(node, 2)
    position = _whole(compiler, node.args[0], env)
    numbered = _numbered(compiler, node, _arguments(compiler, node, 1, env), env, "ROW_NUMBER")
    target = compiler.fresh("t")
    at = exp.EQ(this=col(target, _INDEX), expression=_position(position, col(target, _COUNT)))
    query = (
        exp.select(*[col(target, c.sql) for c in numbered.relation.columns], copy=False)
        .from_(_named(numbered.query, target), copy=False)
        .where(exp.and_(at, _partitions(compiler, numbered, target, env), copy=False), copy=False)
    )
    return _result(numbered, query)


def _bound_type(node: ast.Expr) -> str:
    word = _word(node)
    if word not in ("ABS", "REL"):
        raise DaxEngineError("WINDOW's from_type and to_type are ABS or REL", *node.position)
    return word  # type: ignore[return-value]


def window(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """WINDOW ( from [, from_type], to [, to_type] [, relation] [, ORDERBY] [, blanks] [, PARTITIONBY] ): the
    rows from ``from`` to ``to`` of the current row's partition, both included; REL (the default) counts from
    the current row, ABS from the partition's start (1-based, 0 read as 1) or, negative, from its end; clipped
    to the partition. See the module's rules."""
    compiler.check_arity(node, 2)
    args = list(node.args)
    bounds: list[tuple[ast.Expr, str]] = []
    index_ = 0
    for _ in range(2):
        if index_ >= len(args):
            raise DaxEngineError("WINDOW takes from [, from_type], to [, to_type]", *node.position)
        value = args[index_]
        index_ += 1
        kind = "REL"
        if index_ < len(args) and _word(args[index_]) in ("ABS", "REL"):
            kind = _bound_type(args[index_])
            index_ += 1
        bounds.append((value, kind))
    numbered = _numbered(compiler, node, _arguments(compiler, node, index_, env), env, "ROW_NUMBER")
    target, current = compiler.fresh("t"), compiler.fresh("c")
    size = col(target, _COUNT)
    limits = []
    for value, kind in bounds:
        amount = exp.func("COALESCE", _whole(compiler, value, env), exp.Literal.number(0))
        if kind == "REL":
            limits.append(exp.Add(this=col(current, _INDEX), expression=amount))
        else:
            limits.append(
                exp.Case()
                .when(exp.EQ(this=amount, expression=exp.Literal.number(0)), exp.Literal.number(1))
                .else_(_position(amount.copy(), size.copy()))
            )
    inside = exp.Between(this=col(target, _INDEX), low=limits[0], high=limits[1])
    if all(kind == "ABS" for _, kind in bounds):  # the window depends on the partition only
        query = (
            exp.select(*[col(target, c.sql) for c in numbered.relation.columns], copy=False)
            .from_(_named(numbered.query, target), copy=False)
            .where(exp.and_(inside, _partitions(compiler, numbered, target, env), copy=False), copy=False)
        )
        return _result(numbered, query)
    return _around_current(compiler, numbered, target, current, inside, env)


def _scalar_rank(compiler: Compiler, node: ast.Call, env: Env, ranking: str, start: int) -> Scalar:
    """The current row's number: BLANK without one, DAX's error with several. The error is outside the
    subqueries, so that it is raised only where the value is used (not in an IF branch never taken)."""
    numbered = _numbered(compiler, node, _arguments(compiler, node, start, env), env, ranking)

    def over_current(value: exp.Expression, rows: exp.Query) -> exp.Subquery:
        current = compiler.fresh("c")
        query = (
            exp.select(value, copy=False)
            .from_(_named(rows.copy(), current))
            .where(_current(compiler, numbered, current, env), copy=False)
        )
        return exp.Subquery(this=query)

    several = f"{node.name}: the context holds more than one current row of the relation"
    count = over_current(exp.Count(this=exp.Star()), numbered.relation.query)  # no ordering needed to count
    number = over_current(exp.cast(exp.Max(this=exp.column(_INDEX)), _BIGINT), numbered.query)
    value = (
        exp.Case()
        .when(exp.GT(this=count, expression=exp.Literal.number(1)), scalars.error_value(several, DaxType.INTEGER))
        .else_(number)
    )
    return Scalar(value, DaxType.INTEGER)


def rank(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """RANK ( [ties] [, relation] [, ORDERBY] [, blanks] [, PARTITIONBY] ): the current row's rank in its
    partition, ties ranked alike: SKIP (the default) leaves gaps after ties, DENSE does not; BLANK when no row
    of the relation is the current one. See the module's rules."""
    compiler.check_arity(node, 1)
    ties = node.args[0]
    word = _word(ties) if not isinstance(ties, ast.Omitted) else "SKIP"
    if word in ("SKIP", "DENSE"):
        return _scalar_rank(compiler, node, env, "DENSE_RANK" if word == "DENSE" else "RANK", 1)
    return _scalar_rank(compiler, node, env, "RANK", 0)


def rownumber(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """ROWNUMBER ( [relation] [, ORDERBY] [, blanks] [, PARTITIONBY] ): the current row's number in its
    partition (a unique order: see the module's rules); BLANK when no row of the relation is the current one."""
    compiler.check_arity(node, 1)
    return _scalar_rank(compiler, node, env, "ROW_NUMBER", 0)


def clause(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """ORDERBY / PARTITIONBY outside a window function: DAX allows them only as its arguments."""
    raise DaxEngineError(f"{node.name} is an argument of OFFSET, INDEX, WINDOW, RANK or ROWNUMBER only", *node.position)


functions.declare("OFFSET", kind=Kind.TABLE, compile=offset)
functions.declare("INDEX", kind=Kind.TABLE, compile=index)
functions.declare("WINDOW", kind=Kind.TABLE, compile=window)
functions.declare("RANK", kind=Kind.HANDLER, compile=rank)
functions.declare("ROWNUMBER", kind=Kind.HANDLER, compile=rownumber)
functions.declare("ORDERBY", "PARTITIONBY", kind=Kind.HANDLER, compile=clause)
