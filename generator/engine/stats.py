"""Statistics and error-handling functions added for issue 22, declared in :mod:`generator.engine.functions`.

Each follows the rule of Microsoft's DAX reference, written next to it. The column forms aggregate a model column
under the filter context (as SUM does); the X forms evaluate an expression for each row of a table (as SUMX does).
BLANK values are skipped by every one of them, and no value at all gives BLANK.
"""

from __future__ import annotations

from sqlglot import exp

from generator.dax import ast
from generator.engine import scalars
from generator.engine.compiler import Compiler, Env, RowFrame
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind, declare
from generator.engine.values import DaxType, Scalar

_DOUBLE = exp.DataType.build("DOUBLE")


def _values(compiler: Compiler, node: ast.Call, env: Env, iterated: bool) -> tuple[exp.Select, str]:
    """A query of one column ``v``: the column's values under the filter context (column form) or the expression
    for each row of the table (X form); also the function name without X for messages."""
    if iterated:
        relation = compiler.table(node.args[0], env)
        alias = compiler.fresh("r")
        value = compiler.scalar(node.args[1], env.with_row(RowFrame(alias, relation)))
        if not value.type.is_numeric and value.type is not DaxType.BLANK:
            raise DaxEngineError(f"{node.name} needs numbers; the expression gives {value.type.value.upper()}",
                                 *node.args[1].position)
        return exp.select(exp.alias_(exp.cast(value.sql, _DOUBLE), "v")).from_(relation.subquery(alias)), node.name
    key = compiler.column_key(node.args[0])
    if not compiler.column_type(key).is_numeric:
        raise DaxEngineError(f"{node.name} needs a column of numbers; {key[0]}[{key[1]}] is not one",
                             *node.args[0].position)
    scan = compiler.scan(compiler.table_named(key[0], node), env.context)
    value = scan.column(key)
    assert value is not None
    return scan.select(exp.alias_(exp.cast(value, _DOUBLE), "v")), node.name


def stdev_var(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """STDEV.S / STDEV.P / VAR.S / VAR.P (column) and STDEVX.S / STDEVX.P / VARX.S / VARX.P (table, expression).

    DAX reference: .S is the sample statistic, Σ(x − x̄)² / (n − 1) (its square root for STDEV), .P the
    population one, Σ(x − x̄)² / n; "blank rows are filtered out"; "an error is returned if the column contains
    less than 2 non-blank rows" (.S; .P needs one). No value at all: BLANK, as every aggregation of an empty
    table.
    """
    iterated = "X." in node.name
    values, _ = _values(compiler, node, env, iterated)
    sample = node.name.endswith(".S")
    alias = compiler.fresh("s")
    v = exp.column("v", table=alias)
    n = exp.Count(this=v.copy())
    if node.name.startswith("STDEV"):
        aggregate: exp.Expression = exp.StddevSamp(this=v.copy()) if sample else exp.StddevPop(this=v.copy())
    else:
        aggregate = exp.Variance(this=v.copy()) if sample else exp.VariancePop(this=v.copy())
    too_few = exp.EQ(this=n.copy(), expression=exp.Literal.number(1)) if sample else exp.false()
    result = exp.Case().when(exp.EQ(this=n, expression=exp.Literal.number(0)), exp.Null()).when(
        too_few, scalars.error_value(f"{node.name} needs at least 2 values that are not BLANK", DaxType.DOUBLE)
    ).else_(aggregate)
    query = exp.select(result).from_(exp.Subquery(this=values, alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return Scalar(exp.Subquery(this=query), DaxType.DOUBLE)


def percentile(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """PERCENTILE.INC / PERCENTILE.EXC (column, k) and PERCENTILEX.INC / PERCENTILEX.EXC (table, expression, k).

    DAX reference (as Excel): the values sorted ascending x₁ … xₙ (BLANKs skipped); the rank is r = 1 + k(n − 1)
    for .INC (0 ≤ k ≤ 1) and r = k(n + 1) for .EXC (1/(n + 1) ≤ k ≤ n/(n + 1)); the result interpolates linearly,
    x⌊r⌋ + (r − ⌊r⌋)(x⌊r⌋₊₁ − x⌊r⌋). A k outside its range is an error; no value at all gives BLANK.
    """
    iterated = node.name.startswith("PERCENTILEX")
    values, _ = _values(compiler, node, env, iterated)
    k = scalars.cast_to(compiler.scalar(node.args[-1], env), DaxType.DOUBLE).sql
    inclusive = node.name.endswith(".INC")
    inner, outer = compiler.fresh("p"), compiler.fresh("q")
    v = exp.column("v", table=inner)
    numbered = exp.select(
        exp.alias_(v.copy(), "v"),
        exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[exp.Ordered(this=v.copy())])), "i"),
        exp.alias_(exp.Window(this=exp.Count(this=exp.Star())), "n"),
    ).from_(exp.Subquery(this=values, alias=exp.TableAlias(this=exp.to_identifier(inner)))).where(
        exp.Not(this=exp.Is(this=v.copy(), expression=exp.Null())))
    n = exp.cast(exp.column("n", table=outer), _DOUBLE)
    i = exp.column("i", table=outer)
    value = exp.column("v", table=outer)
    one = exp.Literal.number(1)
    if inclusive:
        rank = exp.paren(exp.Add(this=one.copy(), expression=exp.Mul(
            this=exp.paren(k.copy()), expression=exp.paren(exp.Sub(this=n.copy(), expression=one.copy())))))
    else:
        rank = exp.paren(exp.Mul(this=exp.paren(k.copy()),
                                 expression=exp.paren(exp.Add(this=n.copy(), expression=one.copy()))))
    floor = exp.Floor(this=rank.copy())
    fraction = exp.paren(exp.Sub(this=rank.copy(), expression=floor.copy()))
    weight = exp.Case().when(exp.EQ(this=i.copy(), expression=floor.copy()),
                             exp.paren(exp.Sub(this=one.copy(), expression=fraction.copy()))).when(
        exp.EQ(this=i.copy(), expression=exp.paren(exp.Add(this=floor.copy(), expression=one.copy()))),
        fraction.copy()).else_(exp.Literal.number(0))
    interpolated = exp.Sum(this=exp.Mul(this=value, expression=exp.paren(weight)))
    if inclusive:
        bad = exp.or_(exp.LT(this=k.copy(), expression=exp.Literal.number(0)),
                      exp.GT(this=k.copy(), expression=exp.Literal.number(1)))
    else:
        size = exp.paren(exp.Add(this=exp.Max(this=n.copy()), expression=exp.Literal.number(1)))
        low = exp.Div(this=exp.Literal.number(1.0), expression=size)
        high = exp.Div(this=exp.Max(this=n.copy()), expression=size.copy())
        bad = exp.or_(exp.LT(this=k.copy(), expression=low), exp.GT(this=k.copy(), expression=high))
    result = exp.Case().when(exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)), exp.Null()) \
        .when(bad, scalars.error_value(f"{node.name}: k is outside the range its values allow", DaxType.DOUBLE)) \
        .else_(interpolated)
    query = exp.select(result).from_(exp.Subquery(this=numbered, alias=exp.TableAlias(this=exp.to_identifier(outer))))
    return Scalar(exp.Subquery(this=query), DaxType.DOUBLE)


def iferror(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """IFERROR(value, value_if_error) and ISERROR(value).

    DAX reference: IFERROR returns ``value_if_error`` when ``value`` is an error, else ``value`` (both of one type);
    ISERROR is TRUE when the value is an error. Division by zero is not an error in DAX (it is infinity or NaN,
    and DIVIDE gives BLANK). The engine knows, when it compiles ``value``, whether the SQL can fail at run time
    (a conversion of text that is not a number, a date out of range …): when it cannot, IFERROR is ``value`` and
    ISERROR is FALSE; when it can, the call is refused (SQL cannot catch an error of one row).
    """
    with scalars.counting_error_sites() as counter:
        value = compiler.scalar(node.args[0], env)
    if counter[0]:
        raise Unsupported(node.name, *node.position,
                          reason="its first argument can fail while the query runs (a conversion or a date out "
                                 "of range); only an argument that cannot fail is evaluated")
    if node.name == "ISERROR":
        return scalars.literal_boolean(False)
    fallback = compiler.scalar(node.args[1], env)
    return scalars.if_function([scalars.literal_boolean(True), value, fallback], node)


def currency(args: list[Scalar], call: ast.Call) -> Scalar:
    """CURRENCY(value): the value as a fixed decimal number of four decimal places (DAX reference: "rounds up the
    5th significant decimal"; the same conversion as CONVERT(value, CURRENCY))."""
    return scalars.cast_to(args[0], DaxType.DECIMAL)


declare("STDEV.S", "STDEV.P", "VAR.S", "VAR.P", kind=Kind.HANDLER, arity=1, compile=stdev_var)
declare("STDEVX.S", "STDEVX.P", "VARX.S", "VARX.P", kind=Kind.HANDLER, arity=2, compile=stdev_var)
declare("PERCENTILE.INC", "PERCENTILE.EXC", kind=Kind.HANDLER, arity=2, compile=percentile)
declare("PERCENTILEX.INC", "PERCENTILEX.EXC", kind=Kind.HANDLER, arity=3, compile=percentile)
declare("IFERROR", kind=Kind.HANDLER, arity=2, compile=iferror)
declare("ISERROR", kind=Kind.HANDLER, arity=1, compile=iferror)
declare("CURRENCY", kind=Kind.SCALAR, arity=1, compile=currency)
