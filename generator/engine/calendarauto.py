"""CALENDARAUTO([fiscal_year_end_month]) (issue 22), declared in the function registry.

Rule followed (Microsoft Learn and DAX Guide, CALENDARAUTO): one column ``[Date]`` with every day from the first
day of the fiscal year holding MinDate to the last day of the fiscal year holding MaxDate, where MinDate and
MaxDate are the earliest and latest dates in the model's date columns that are not calculated columns and not in
calculated tables; the fiscal year ends with the month ``fiscal_year_end_month`` (a constant from 1 to 12,
default 12). Example of the documentation: MinDate 2018-07-01 and MaxDate 2019-06-30 give 2018-01-01 …
2019-12-31, and with 3, 2018-04-01 … 2020-03-31. A model without such a column is an error; so is a model
without any date value (the SQL fails with a DAX error).

The days are generated in SQL from the data (five cross-joined digit lists, 0 … 99,999): a span of more than
:data:`MAX_DAYS` days fails the query with a DAX error rather than being cut short.
"""

from __future__ import annotations

import decimal

from sqlglot import exp

from generator.dax import ast
from generator.engine import scalars, sqlfuncs
from generator.engine.compiler import Compiler, Env
from generator.engine.context import FilterContext
from generator.engine.errors import DaxEngineError
from generator.engine.functions import Kind, declare
from generator.engine.generators import constant
from generator.engine.relations import Relation, RelColumn, col
from generator.engine.values import DaxType

MAX_DAYS = 100_000
_DIGITS = 5


def _year_end_month(node: ast.Call) -> int:
    if not node.args:
        return 12
    value = constant(node.args[0], "CALENDARAUTO")
    if not isinstance(value, decimal.Decimal) or value != int(value) or not 1 <= value <= 12:
        raise DaxEngineError(
            "CALENDARAUTO: the fiscal year-end month is a whole number from 1 to 12", *node.args[0].position
        )
    return int(value)


def _bounds(compiler: Compiler, node: ast.Call, env: Env) -> exp.Select:
    """One row (lo, hi): the earliest and latest value of every imported date column of the model."""
    parts: list[exp.Select] = []
    for table in compiler.model.tables:
        if table.expression is not None:
            continue
        dates = [c for c in table.columns if c.type is DaxType.DATETIME and c.expression is None]
        if not dates:
            continue
        scan = compiler.scan(table, FilterContext((), env.context.activated))
        for column in dates:
            value = scan.column((table.name, column.name))
            assert value is not None
            parts.append(
                scan.select(exp.alias_(exp.Min(this=value), "lo"), exp.alias_(exp.Max(this=value.copy()), "hi"))
            )
    if not parts:
        raise DaxEngineError("CALENDARAUTO: the model has no date column that is not calculated", *node.position)
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    alias = compiler.fresh("b")
    return exp.select(
        exp.alias_(exp.Min(this=col(alias, "lo")), "lo"), exp.alias_(exp.Max(this=col(alias, "hi")), "hi")
    ).from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier(alias))))


def _fiscal_year_start(value: exp.Expression, end_month: int) -> exp.Expression:
    """The first day of the fiscal year (ending with month ``end_month``) that holds the TIMESTAMP ``value``: the
    start of its month, less the months since the fiscal year began."""
    month = exp.Extract(this=exp.var("MONTH"), expression=value.copy())
    later = exp.GT(this=month, expression=exp.Literal.number(end_month))
    since = exp.Case(
        ifs=[exp.If(this=later, true=exp.Sub(this=month.copy(), expression=exp.Literal.number(end_month + 1)))],
        default=exp.Add(this=month.copy(), expression=exp.Literal.number(11 - end_month)),
    )
    month_start = sqlfuncs.TruncTo(unit=exp.Literal.string("month"), this=value.copy())
    return exp.Add(this=month_start, expression=sqlfuncs.Months(this=exp.Neg(this=exp.paren(since))))


def calendarauto(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """CALENDARAUTO([fiscal_year_end_month]): see the module docstring."""
    compiler.check_arity(node, 0, 1)
    end_month = _year_end_month(node)
    bounds_alias, digits_alias = compiler.fresh("b"), compiler.fresh("n")
    lo, hi = col(bounds_alias, "lo"), col(bounds_alias, "hi")
    first = _fiscal_year_start(lo, end_month)
    after_last = exp.Add(
        this=_fiscal_year_start(hi, end_month), expression=sqlfuncs.Months(this=exp.Literal.number(12))
    )
    days = sqlfuncs.Boundaries(unit=exp.Literal.string("day"), this=first.copy(), expression=after_last)

    range_alias = compiler.fresh("r")
    bounds = exp.Subquery(this=_bounds(compiler, node, env), alias=exp.TableAlias(this=exp.to_identifier(bounds_alias)))
    # the first day and the day count, computed once from the one row of bounds
    span = exp.select(
        exp.alias_(first, "first"),
        exp.alias_(days, "days"),
        exp.alias_(exp.Is(this=col(bounds_alias, "lo"), expression=exp.Null()), "none"),
    ).from_(bounds)

    digit_tables = []
    for i in range(_DIGITS):
        name = f"{digits_alias}{i}"
        values = exp.Values(
            expressions=[exp.Tuple(expressions=[exp.Literal.number(d)]) for d in range(10)],
            alias=exp.TableAlias(this=exp.to_identifier(name), columns=[exp.to_identifier("d")]),
        )
        digit_tables.append((name, values))
    offset: exp.Expression = col(digit_tables[0][0], "d")
    for i, (name, _) in enumerate(digit_tables[1:], start=1):
        offset = exp.Add(this=offset, expression=exp.Mul(this=col(name, "d"), expression=exp.Literal.number(10**i)))
    day = exp.Add(this=col(range_alias, "first"), expression=sqlfuncs.Days(this=offset))

    no_dates = col(range_alias, "none")
    too_many = exp.GT(this=col(range_alias, "days"), expression=exp.Literal.number(MAX_DAYS))
    value = exp.Case(
        ifs=[
            exp.If(
                this=no_dates.copy(), true=scalars.error_value("CALENDARAUTO: the model has no dates", DaxType.DATETIME)
            ),
            exp.If(
                this=too_many.copy(),
                true=scalars.error_value(
                    f"CALENDARAUTO: the model's dates span more than {MAX_DAYS:,} days", DaxType.DATETIME
                ),
            ),
        ],
        default=day,
    )
    query = exp.select(exp.alias_(value, "c0")).from_(
        exp.Subquery(this=span, alias=exp.TableAlias(this=exp.to_identifier(range_alias)))
    )
    for _, values in digit_tables:
        query = query.join(values, join_type="cross")
    # one row (which fails) when there is nothing to generate; otherwise the days from the first one
    keep = exp.Case(
        ifs=[
            exp.If(
                this=exp.or_(no_dates.copy(), too_many.copy()),
                true=exp.EQ(this=offset.copy(), expression=exp.Literal.number(0)),
            )
        ],
        default=exp.LT(this=offset.copy(), expression=col(range_alias, "days")),
    )
    query = query.where(keep)
    return Relation(query, (RelColumn("c0", "[Date]", None, DaxType.DATETIME),))


declare("CALENDARAUTO", kind=Kind.TABLE, arity=(0, 1), compile=calendarauto)
