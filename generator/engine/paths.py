# ruff: noqa: RUF012 - sqlglot declares arg_types and _sql_names as plain class dicts and lists
"""Parent-child path functions over a path text (issue 22): PATHLENGTH, PATHITEM, PATHITEMREVERSE, PATHCONTAINS.

A path is the text PATH returns: the IDs from the most distant ancestor to the row, joined by ``|``. Rules
followed (Microsoft Learn): PATHLENGTH counts the items (BLANK or ``""`` → 0); PATHITEM counts positions from the
left, PATHITEMREVERSE from the right, and both return BLANK for a position below 1 or beyond the last item; their
optional type is TEXT (0, the default) or INTEGER (1), anything else an error; PATHCONTAINS is TRUE when the item
is one of the path's IDs.

PATH(id_column, parent_column), in a row context of their table: the IDs from the row's most distant ancestor to
the row, joined by ``|`` (``"1|3|7"``), walked up the whole table (filters do not apply: PATH is meant for
calculated columns) with one recursive query (``WITH RECURSIVE``). A parent that is not an ID of the table fails the
query ("the value … in Parent must also exist in Id", as Power BI refuses it); so does a loop (a walk longer than
:data:`MAX_DEPTH` levels).
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.generator import Generator

from generator.dax import ast
from generator.engine import scalars, sqlfuncs
from generator.engine.compiler import Compiler, Env
from generator.engine.context import FilterContext
from generator.engine.errors import DaxEngineError
from generator.engine.functions import Kind, declare
from generator.engine.relations import col
from generator.engine.values import DaxType, Scalar

_T = DaxType
_BAR = "|"
MAX_DEPTH = 1000
_TEXT = exp.DataType.build("VARCHAR(4000)")


class PathItemText(exp.Expression, exp.Func):
    """Item ``position`` (an INTEGER from 1 to the item count) of the path text ``this``."""

    arg_types = {"this": True, "position": True}
    _sql_names = ["SPLIT_PART"]


def _split_part(g: Generator, e: exp.Expression) -> str:
    return f"SPLIT_PART({g.sql(e.this)}, '{_BAR}', {g.sql(e.args['position'])})"


def _pg_item(g: Generator, e: exp.Expression) -> str:
    return f"SPLIT_PART({g.sql(e.this)}, '{_BAR}', CAST({g.sql(e.args['position'])} AS INTEGER))"


def _mysql_item(g: Generator, e: exp.Expression) -> str:
    return f"SUBSTRING_INDEX(SUBSTRING_INDEX({g.sql(e.this)}, '{_BAR}', {g.sql(e.args['position'])}), '{_BAR}', -1)"


def _tsql_item(g: Generator, e: exp.Expression) -> str:
    # the position-th value of STRING_SPLIT with ordinals (SQL Server 2022)
    return f"(SELECT value FROM STRING_SPLIT({g.sql(e.this)}, '{_BAR}', 1) WHERE ordinal = {g.sql(e.args['position'])})"


def _spark_item(g: Generator, e: exp.Expression) -> str:
    return f"SPLIT_PART({g.sql(e.this)}, '{_BAR}', {g.sql(e.args['position'])})"


def _text(value: Scalar) -> exp.Expression:
    """The path (or item) as text, BLANK as ``""``."""
    text = scalars.cast_to(value, _T.STRING).sql
    return exp.Coalesce(this=text, expressions=[exp.Literal.string("")])


def _length(path: exp.Expression) -> exp.Expression:
    bars = exp.Sub(
        this=exp.Length(this=path.copy()),
        expression=exp.Length(
            this=exp.Anonymous(
                this="REPLACE", expressions=[path.copy(), exp.Literal.string(_BAR), exp.Literal.string("")]
            )
        ),
    )
    empty = exp.EQ(this=path.copy(), expression=exp.Literal.string(""))
    return exp.Case(
        ifs=[exp.If(this=empty, true=exp.Literal.number(0))],
        default=exp.Add(this=exp.paren(bars), expression=exp.Literal.number(1)),
    )


def pathlength(args: list[Scalar], call: ast.Call) -> Scalar:
    """PATHLENGTH(path): the number of items in the path."""
    _arity(args, call, 1, 1)
    return Scalar(_length(_text(args[0])), _T.INTEGER)


def _item_type(call: ast.Call) -> DaxType:
    if len(call.args) < 3:
        return _T.STRING
    node = call.args[2]
    word = node.name.upper() if isinstance(node, ast.Keyword | ast.TableRef) else None
    if isinstance(node, ast.Number):
        word = {"0": "TEXT", "1": "INTEGER"}.get(node.text)
    if word not in ("TEXT", "INTEGER"):
        raise DaxEngineError(f"{call.name}: the type is TEXT (0) or INTEGER (1)", *node.position)
    return _T.STRING if word == "TEXT" else _T.INTEGER


def pathitem(args: list[Scalar], call: ast.Call) -> Scalar:
    """PATHITEM(path, position[, type]) and PATHITEMREVERSE(path, position[, type]): the item at the position,
    counted from the left (from the right for …REVERSE); BLANK outside 1 … the item count."""
    _arity(args, call, 2, 3)
    path = _text(args[0])
    position = scalars.cast_to(args[1], _T.INTEGER).sql
    count = _length(path)
    index = position
    if call.name == "PATHITEMREVERSE":
        index = exp.Add(
            this=exp.Sub(this=count.copy(), expression=exp.paren(position.copy())), expression=exp.Literal.number(1)
        )
    outside = exp.or_(
        exp.Is(this=position.copy(), expression=exp.Null()),
        exp.LT(this=position.copy(), expression=exp.Literal.number(1)),
        exp.GT(this=position.copy(), expression=count),
    )
    item = Scalar(PathItemText(this=path, position=index), _T.STRING)
    dax_type = _item_type(call)
    value = scalars.cast_to(item, dax_type).sql
    return Scalar(exp.Case(ifs=[exp.If(this=outside, true=exp.Null())], default=value), dax_type)


def pathcontains(args: list[Scalar], call: ast.Call) -> Scalar:
    """PATHCONTAINS(path, item): TRUE when the item is one of the path's IDs."""
    _arity(args, call, 2, 2)
    bar = exp.Literal.string(_BAR)
    framed_path = exp.DPipe(this=exp.DPipe(this=bar.copy(), expression=_text(args[0])), expression=bar.copy())
    framed_item = exp.DPipe(this=exp.DPipe(this=bar.copy(), expression=_text(args[1])), expression=bar.copy())
    found = sqlfuncs.StrPos(this=framed_path, substr=framed_item)
    return Scalar(exp.GT(this=found, expression=exp.Literal.number(0)), _T.BOOLEAN)


def path(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """PATH(id_column, parent_column): see the module docstring."""
    compiler.check_arity(node, 2, 2)
    keys = [compiler.column_key(argument) for argument in node.args]
    if keys[0][0].lower() != keys[1][0].lower():
        raise DaxEngineError("PATH: the ID and parent columns must be columns of one table", *node.position)
    row_id = compiler.scalar(node.args[0], env)  # the current row's ID (a row context is required)
    table = compiler.table_named(keys[0][0], node)
    scan = compiler.scan(table, FilterContext((), env.context.activated))
    id_sql, parent_sql = (scan.column(key) for key in keys)
    assert id_sql is not None and parent_sql is not None
    id_type = compiler.column_type(keys[0])
    nodes_name, walk_name = compiler.fresh("pn"), compiler.fresh("pw")
    nodes = scan.select(exp.alias_(id_sql, "id"), exp.alias_(parent_sql, "parent"))

    def text(value: exp.Expression) -> exp.Expression:
        return exp.cast(scalars.cast_to(Scalar(value, id_type), _T.STRING).sql, _TEXT)

    def depth_plus_one(alias: str) -> exp.Expression:
        return exp.Add(this=col(alias, "depth"), expression=exp.Literal.number(1))

    anchor = exp.select(
        exp.alias_(col("a", "id"), "start"),
        exp.alias_(col("a", "parent"), "parent"),
        exp.alias_(text(col("a", "id")), "path"),
        exp.alias_(exp.Literal.number(1), "depth"),
    ).from_(exp.to_table(nodes_name).as_("a"))
    step = (
        exp.select(
            col("w", "start"),
            exp.alias_(col("p", "parent"), "parent"),
            exp.alias_(
                exp.cast(
                    exp.DPipe(
                        this=exp.DPipe(this=text(col("p", "id")), expression=exp.Literal.string(_BAR)),
                        expression=col("w", "path"),
                    ),
                    _TEXT,
                ),
                "path",
            ),
            exp.alias_(depth_plus_one("w"), "depth"),
        )
        .from_(exp.to_table(walk_name).as_("w"))
        .join(exp.to_table(nodes_name).as_("p"), on=exp.EQ(this=col("p", "id"), expression=col("w", "parent")))
        .where(exp.LT(this=col("w", "depth"), expression=exp.Literal.number(MAX_DEPTH)))
    )
    walk = exp.union(anchor, step, distinct=False)
    missing = scalars.error_value(
        f"PATH: a value in {table.name}[{keys[1][1]}] is not in {table.name}[{keys[0][1]}], or the parents loop",
        _T.STRING,
    )
    # the row's walk ends at a root (a BLANK parent); no root reached means a missing parent or a loop. Aggregates
    # over the row's walk rather than a derived table: MariaDB resolves no outer column inside a derived table.
    at_root = exp.Is(this=col("w", "parent"), expression=exp.Null())
    reached = exp.Max(
        this=exp.Case(ifs=[exp.If(this=at_root, true=exp.Literal.number(1))], default=exp.Literal.number(0))
    )
    root_path = exp.Max(this=exp.Case(ifs=[exp.If(this=at_root.copy(), true=col("w", "path"))]))
    result = exp.Case(
        ifs=[exp.If(this=exp.EQ(this=reached, expression=exp.Literal.number(0)), true=missing)], default=root_path
    )
    query = (
        exp.select(result)
        .from_(exp.to_table(walk_name).as_("w"))
        .where(exp.EQ(this=col("w", "start"), expression=row_id.sql))
        .with_(nodes_name, as_=nodes, recursive=True)
        .with_(walk_name, as_=walk, recursive=True)
    )
    return Scalar(exp.Subquery(this=query), _T.STRING)


def _arity(args: list[Scalar], call: ast.Call, low: int, high: int) -> None:
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low} or {high}"
        raise DaxEngineError(f"{call.name} takes {expected} arguments, got {len(args)}", call.line, call.column)


# ------------------------------------------------------------------------------------------------- registration
declare("PATH", kind=Kind.HANDLER, arity=2, compile=path)
declare("PATHLENGTH", kind=Kind.SCALAR, arity=1, compile=pathlength)
declare("PATHITEM", "PATHITEMREVERSE", kind=Kind.SCALAR, arity=(2, 3), compile=pathitem)
declare("PATHCONTAINS", kind=Kind.SCALAR, arity=2, compile=pathcontains)
scalars.KEYWORD_ARGUMENTS["PATHITEM"] = frozenset({2})
scalars.KEYWORD_ARGUMENTS["PATHITEMREVERSE"] = frozenset({2})
sqlfuncs.add_renderings(
    PathItemText,
    {"duckdb": _split_part, "postgres": _pg_item, "mysql": _mysql_item, "tsql": _tsql_item, "spark": _spark_item},
)
