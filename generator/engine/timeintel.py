"""Time-intelligence table functions added for issue 22, declared in :mod:`generator.engine.functions`.

Each follows DAX's documented rule (Microsoft's DAX reference and DAX Guide), written next to it. "The dates in
context" are the values of the date column under the current filter context; results keep only dates that exist
in the column (as every DAX time-intelligence function does) and filter the date column (lineage kept).
"""

from __future__ import annotations

import re

from sqlglot import exp

from generator.dax import ast
from generator.engine import sqlfuncs
from generator.engine.compiler import Compiler, Env
from generator.engine.context import FilterContext
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Kind, declare
from generator.engine.relations import ColumnKey, Relation, RelColumn, col, column_name
from generator.engine.tables import (
    dates_argument,
    dates_between,
    first_column_aggregate,
    sql_interval,
    table_alias,
    truncate_date,
    values_of,
)
from generator.engine.values import DaxType

_MONTHS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
_ONE_MICROSECOND = 1


def _dates(compiler: Compiler, node: ast.Call, env: Env) -> tuple[ColumnKey, Relation, Relation]:
    """The dates argument: a date column (its dates in context), or a table expression of one date column with
    its lineage, e.g. ``STARTOFMONTH ( 'Date'[Date] )`` (its rows are the dates "in context", as DAX reads a
    table argument); with the key and every date of the column."""
    argument = node.args[0] if node.args else None
    if argument is None or isinstance(argument, ast.ColumnRef) or not compiler.is_table_expression(argument, env):
        return dates_argument(compiler, node, env)
    relation = compiler.table(argument, env)
    key = relation.columns[0].lineage if len(relation.columns) == 1 else None
    if key is None or compiler.column_type(key) is not DaxType.DATETIME:
        raise DaxEngineError(f"{node.name} needs a date column or a table of one date column",
                             *argument.position)
    alias = compiler.fresh("t")
    single = Relation(exp.select(exp.alias_(col(alias, relation.columns[0].sql), "c0")).from_(relation.subquery(alias)),
                      (RelColumn("c0", column_name(key), key, DaxType.DATETIME),))
    everything = values_of(compiler, [key], FilterContext((), env.context.activated), blank_row=False)
    return key, single, everything


def _minus_a_moment(value: exp.Expression) -> exp.Expression:
    return exp.Sub(this=value, expression=sql_interval(exp.Literal.number(_ONE_MICROSECOND), "MICROSECOND"))


def _months(value: exp.Expression, months: int) -> exp.Expression:
    return exp.Add(this=value, expression=sql_interval(exp.Literal.number(months), "MONTH"))


def _one_date(compiler: Compiler, key, relation_value: exp.Expression) -> Relation:
    """A one-row table holding ``relation_value`` (a date), or no row when it is NULL (no date in context)."""
    inner = exp.select(exp.alias_(relation_value, "c0"))
    wrapped = compiler.fresh("w")
    query = exp.select(col(wrapped, "c0")).from_(exp.Subquery(this=inner, alias=table_alias(wrapped))).where(
        exp.Not(this=exp.Is(this=col(wrapped, "c0"), expression=exp.Null())))
    return Relation(query, (RelColumn("c0", column_name(key), key, DaxType.DATETIME),))


def _period_start(compiler: Compiler, node: ast.Call, unit: str, anchor: exp.Expression) -> exp.Expression:
    """The start of the month, quarter or year holding ``anchor``; a year with the call's year-end argument (its
    second, for the …YEAR functions) is the fiscal year."""
    compiler.check_arity(node, 1, 2 if unit == "YEAR" else 1)
    if len(node.args) == 2:
        month, day = year_end(node, node.args[1])
        return _fiscal_year_start(anchor, month, day)
    return truncate_date(unit, anchor)


def start_end_of(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """STARTOFMONTH / STARTOFQUARTER / STARTOFYEAR (dates [, year_end]) and ENDOF… : a one-column, one-row table
    with the first (last) date of the column in the period (month, quarter, year) of the first (last) date in
    context (DAX reference: "returns the first date of the month in the current context"; ENDOF…: the last
    date). No date in context: an empty table. A year-end ("6-30") makes the year a fiscal year."""
    start = node.name.startswith("STARTOF")
    unit = node.name.removeprefix("STARTOF").removeprefix("ENDOF")
    key, in_context, everything = _dates(compiler, node, env)
    anchor = first_column_aggregate(in_context, exp.Min if start else exp.Max, compiler.fresh("m"))
    period_start = _period_start(compiler, node, unit, anchor)
    period_end = _minus_a_moment(_months(period_start.copy(), _MONTHS[unit]))
    dates = dates_between(compiler, key, everything, period_start, period_end)
    alias = compiler.fresh("d")
    pick = (exp.Min if start else exp.Max)(this=col(alias, "c0"))
    return _one_date(compiler, key, exp.Subquery(this=exp.select(pick).from_(dates.subquery(alias))))


def previous_next(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """PREVIOUSDAY / PREVIOUSMONTH / PREVIOUSQUARTER / PREVIOUSYEAR and NEXTDAY / NEXTMONTH / NEXTQUARTER /
    NEXTYEAR (dates): every date of the whole period before the first date in context (PREVIOUS…) or after the
    last date in context (NEXT…) (DAX reference: "all dates from the previous year, based on the first date in
    the current context"; "based on the last date in the input" for NEXT…). PREVIOUSDAY/NEXTDAY: the one day
    before the first / after the last date. PREVIOUSYEAR/NEXTYEAR take a year-end ("6-30": fiscal years)."""
    previous = node.name.startswith("PREVIOUS")
    unit = node.name.removeprefix("PREVIOUS").removeprefix("NEXT")
    key, in_context, everything = _dates(compiler, node, env)
    anchor = first_column_aggregate(in_context, exp.Min if previous else exp.Max, compiler.fresh("m"))
    if unit == "DAY":
        compiler.check_arity(node, 1, 1)
        day = truncate_date("DAY", anchor)
        start = exp.Add(this=day, expression=sql_interval(exp.Literal.number(-1 if previous else 1), "DAY"))
        end = _minus_a_moment(exp.Add(this=start.copy(), expression=sql_interval(exp.Literal.number(1), "DAY")))
        return dates_between(compiler, key, everything, start, end)
    months = _MONTHS[unit]
    period = _period_start(compiler, node, unit, anchor)
    start = _months(period, -months if previous else months)
    end = _minus_a_moment(_months(start.copy(), months))
    return dates_between(compiler, key, everything, start, end)


_YEAR_END = re.compile(r"\s*(?:(?P<y1>\d{4})[-/])?(?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?:[-/](?P<y2>\d{4}))?\s*")


def year_end(node: ast.Call, argument: ast.Expr) -> tuple[int, int]:
    """The (month, day) of a year-end argument: a string literal "6-30", "06/30", "2024-06-30" or "6/30/2024"
    (DAX ignores the year). Anything else is refused with its position."""
    if not isinstance(argument, ast.String):
        raise Unsupported(f"{node.name} with a year-end that is not a text literal", *argument.position)
    match = _YEAR_END.fullmatch(argument.value)
    if match is None:
        raise Unsupported(f"{node.name} year-end {argument.value!r} (write it as \"6-30\", month-day)",
                          *argument.position)
    month, day = int(match["m"]), int(match["d"])
    days = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= month <= 12 or not 1 <= day <= days[month - 1]:
        raise Unsupported(f"{node.name} year-end {argument.value!r} (not a day of the year)", *argument.position)
    return month, day


def _fiscal_year_start(last: exp.Expression, month: int, day: int) -> exp.Expression:
    """The first day of the fiscal year ending each ``month``-``day`` that holds ``last``: the day after the latest
    year-end before ``last``. The year-end of a year is clamped to the month's last day (2-29 in other years)."""
    def year_end_of(year_start: exp.Expression) -> exp.Expression:
        month_start = _months(year_start, month - 1)
        wanted = exp.Add(this=month_start.copy(), expression=sql_interval(exp.Literal.number(day - 1), "DAY"))
        month_last = exp.cast(sqlfuncs.MonthEnd(this=month_start.copy()), exp.DataType.build("TIMESTAMP"))
        return exp.func("LEAST", wanted, month_last)

    this_year = truncate_date("YEAR", last)
    end_this_year = year_end_of(this_year)
    end_last_year = year_end_of(_months(this_year.copy(), -12))
    after = exp.GT(this=truncate_date("DAY", last.copy()), expression=end_this_year.copy())
    latest_end = exp.Case().when(after, end_this_year).else_(end_last_year)
    return exp.Add(this=latest_end, expression=sql_interval(exp.Literal.number(1), "DAY"))


def dates_to_date(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """DATESMTD / DATESQTD (dates) and DATESYTD (dates [, year_end_date]): the dates from the start of the month,
    quarter or year of the last date in context to that date (DAX reference). DATESYTD's year-end ("6-30") makes
    the year start the day after the latest year-end before the last date: with "6-30", 2024-07-01 starts a year
    and 2024-06-30 ends one."""
    if node.name != "DATESYTD" or len(node.args) != 2:
        compiler.check_arity(node, 1, 1)
        unit = {"DATESMTD": "MONTH", "DATESQTD": "QUARTER", "DATESYTD": "YEAR"}[node.name]
        key, in_context, everything = _dates(compiler, node, env)
        last = first_column_aggregate(in_context, exp.Max, compiler.fresh("m"))
        return dates_between(compiler, key, everything, truncate_date(unit, last), last.copy())
    month, day = year_end(node, node.args[1])
    key, in_context, everything = _dates(compiler, node, env)
    last = first_column_aggregate(in_context, exp.Max, compiler.fresh("m"))
    return dates_between(compiler, key, everything, _fiscal_year_start(last, month, day), last.copy())


declare("STARTOFMONTH", "STARTOFQUARTER", "STARTOFYEAR", "ENDOFMONTH", "ENDOFQUARTER", "ENDOFYEAR", kind=Kind.TABLE,
        compile=start_end_of)
declare("PREVIOUSDAY", "PREVIOUSYEAR", "NEXTDAY", "NEXTMONTH", "NEXTQUARTER", "NEXTYEAR", kind=Kind.TABLE,
        compile=previous_next)
declare("DATESMTD", "DATESQTD", "DATESYTD", kind=Kind.TABLE, compile=dates_to_date)
