# ruff: noqa: RUF012 - sqlglot declares arg_types and _sql_names as plain class dicts and lists
"""Parent-child path functions over a path text (issue 22): PATHLENGTH, PATHITEM, PATHITEMREVERSE, PATHCONTAINS.

A path is the text PATH returns: the IDs from the most distant ancestor to the row, joined by ``|``. Rules
followed (Microsoft Learn): PATHLENGTH counts the items (BLANK or ``""`` → 0); PATHITEM counts positions from the
left, PATHITEMREVERSE from the right, and both return BLANK for a position below 1 or beyond the last item; their
optional type is TEXT (0, the default) or INTEGER (1), anything else an error; PATHCONTAINS is TRUE when the item
is one of the path's IDs.

PATH itself (the walk up a parent-child table) is not registered, so it is refused with its position
(``unsupported: PATH at line:col``): it needs a recursive query the engine does not write yet. A path held in a
column, or written as text, works with the four functions.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.generator import Generator

from generator.dax import ast
from generator.engine import scalars, sqlfuncs
from generator.engine.errors import DaxEngineError
from generator.engine.values import DaxType, Scalar

_T = DaxType
_BAR = "|"


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


def _arity(args: list[Scalar], call: ast.Call, low: int, high: int) -> None:
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low} or {high}"
        raise DaxEngineError(f"{call.name} takes {expected} arguments, got {len(args)}", call.line, call.column)


# ------------------------------------------------------------------------------------------------- registration
scalars.SCALAR_FUNCTIONS.update(
    {"PATHLENGTH": pathlength, "PATHITEM": pathitem, "PATHITEMREVERSE": pathitem, "PATHCONTAINS": pathcontains}
)
scalars.KEYWORD_ARGUMENTS["PATHITEM"] = frozenset({2})
scalars.KEYWORD_ARGUMENTS["PATHITEMREVERSE"] = frozenset({2})
for _dialect, _render in (
    (sqlfuncs.EngineDuckDB, _split_part),
    (sqlfuncs.EnginePostgres, _pg_item),
    (sqlfuncs.EngineMySQL, _mysql_item),
    (sqlfuncs.EngineTSQL, _tsql_item),
    (sqlfuncs.EngineSpark, _spark_item),
):
    _dialect.Generator.TRANSFORMS[PathItemText] = _render
