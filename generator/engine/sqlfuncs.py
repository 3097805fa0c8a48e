# ruff: noqa: RUF012 - sqlglot declares arg_types, _sql_names and TRANSFORMS as plain class dicts and lists
"""The engine's SQL functions that databases spell differently, as sqlglot expressions with one rendering per dialect.

The compiler builds its SQL from sqlglot's standard nodes plus the classes below (a DAX runtime error, date and
time arithmetic, text of dates and numbers …). Each class renders as the DuckDB function it stood for (so the
DuckDB SQL is what it always was, even through sqlglot's own ``duckdb`` dialect); the engine's dialects —
:data:`DIALECTS`, small subclasses of sqlglot's DuckDB, PostgreSQL, MySQL (MariaDB), T-SQL and Spark dialects —
render them for their database. :func:`render` writes a query for a dialect; :func:`runtime_error` finds the DAX
runtime error in a database's error message.

A DAX runtime error (``MOD(1, 0)``) must fail the query with the engine's sentence. How each dialect raises one
from inside an expression, without writing anything (the sessions are read-only):

* DuckDB: ``error('DAX: …')``;
* PostgreSQL: a CAST of the text to the result type (``invalid input syntax for type integer: "DAX: …"``); the
  text goes through ``CONCAT`` (a stable function) so the planner does not fold the CAST in a branch never taken;
* T-SQL: a CAST of the text to the result type (``Conversion failed when converting the varchar value 'DAX: …'``);
* MySQL/MariaDB: a CAST never fails there, so ``EXP(710 + 0 * CHAR_LENGTH('DAX: …'))`` overflows a DOUBLE, and the
  error (``DOUBLE value is out of range in 'exp(710 + 0 * char_length('DAX: …'))'``) quotes the text;
* Spark SQL: ``raise_error('DAX: …')``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.mysql import MySQL
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.tsql import TSQL
from sqlglot.generator import Generator

from generator.engine.mariadb_rewrite import (
    lift_outer_references,
    outer_reference,
    unwrap_bare_selects,
    windowed_medians,
)

_US_PER_DAY = 86_400_000_000
_UNIT_US = {"second": 1_000_000, "minute": 60_000_000, "hour": 3_600_000_000, "day": _US_PER_DAY}


# ------------------------------------------------------------------------------------------------- expressions
class DaxError(exp.Expression, exp.Func):
    """Fails the query at run time with the text ``this`` (a string literal, ``DAX: …``)."""

    arg_types = {"this": True}
    _sql_names = ["ERROR"]


class EpochUs(exp.Expression, exp.Func):
    """BIGINT microseconds from 1970-01-01 00:00 to the TIMESTAMP ``this``."""

    _sql_names = ["EPOCH_US"]


class TimestampFromUs(exp.Expression, exp.Func):
    """The TIMESTAMP ``this`` (BIGINT) microseconds after 1970-01-01 00:00."""

    _sql_names = ["MAKE_TIMESTAMP"]


class YearStart(exp.Expression, exp.Func):
    """January 1 (midnight) of the year ``this`` (an integer) as a TIMESTAMP; build it with :func:`year_start`
    (the other arguments are the constant month, day, hour, minute and second DuckDB's ``make_timestamp`` takes)."""

    arg_types = {"this": True, "month": True, "day": True, "hour": True, "minute": True, "second": True}
    _sql_names = ["MAKE_TIMESTAMP"]


class Months(exp.Expression, exp.Func):
    """An interval of ``this`` (INTEGER) months, to add to a TIMESTAMP (the day clamped to the month's end)."""

    _sql_names = ["TO_MONTHS"]


class Days(exp.Expression, exp.Func):
    """An interval of ``this`` (INTEGER) days, to add to a TIMESTAMP."""

    _sql_names = ["TO_DAYS"]


class TruncTo(exp.Expression, exp.Func):
    """The TIMESTAMP ``this`` truncated to the start of its ``unit`` (a string literal: day, month or year)."""

    arg_types = {"unit": True, "this": True}
    _sql_names = ["DATE_TRUNC"]


class MonthEnd(exp.Expression, exp.Func):
    """The last day of the month of the TIMESTAMP ``this``, as a DATE."""

    _sql_names = ["LAST_DAY"]


class Boundaries(exp.Expression, exp.Func):
    """How many ``unit`` boundaries (a string literal: second … year) lie from TIMESTAMP ``this`` to
    ``expression`` (negative when ``this`` is later), as DuckDB's ``date_diff`` and T-SQL's ``DATEDIFF`` count."""

    arg_types = {"unit": True, "this": True, "expression": True}
    _sql_names = ["DATE_DIFF"]


class DateText(exp.Expression, exp.Func):
    """The TIMESTAMP ``this`` as text in DAX's en-US general date format: ``format`` is ``%-m/%-d/%Y`` (date only)
    or ``%-m/%-d/%Y %-I:%M:%S %p`` (with the time)."""

    arg_types = {"this": True, "format": True}
    _sql_names = ["STRFTIME"]


class NumberText(exp.Expression, exp.Func):
    """The DOUBLE ``this`` as text with ``format`` ``%.15g`` (15 significant digits, C's general format)."""

    arg_types = {"format": True, "this": True}
    _sql_names = ["PRINTF"]


class StrPos(exp.Expression, exp.Func):
    """The 1-based position of ``substr`` in ``this`` (0 when absent), case as the database compares text."""

    arg_types = {"this": True, "substr": True}
    _sql_names = ["STRPOS"]


class RegexpMatches(exp.Expression, exp.Func):
    """TRUE when the regular expression ``expression`` matches somewhere in ``this``."""

    arg_types = {"this": True, "expression": True}
    _sql_names = ["REGEXP_MATCHES"]


class SqueezeSpaces(exp.Expression, exp.Func):
    """``this`` with every run of spaces replaced by one space (DuckDB: ``regexp_replace(x, ' +', ' ', 'g')``)."""

    arg_types = {"this": True, "pattern": True, "replacement": True, "modifiers": True}
    _sql_names = ["REGEXP_REPLACE"]


class FixedText(exp.Expression, exp.Func):
    """The number ``this`` as text with ``format`` (a Python format spec ``{:,.Nf}`` or ``{:.Nf}``)."""

    arg_types = {"format": True, "this": True}
    _sql_names = ["FORMAT"]


class TruncNumber(exp.Expression, exp.Func):
    """The number ``this`` truncated towards zero."""

    _sql_names = ["TRUNC"]


def dax_error(text: str) -> DaxError:
    """An expression that fails the query with ``text`` when evaluated."""
    return DaxError(this=exp.Literal.string(text))


def year_start(year: exp.Expression) -> YearStart:
    """January 1 of ``year``."""
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    return YearStart(this=year, month=one, day=one.copy(), hour=zero, minute=zero.copy(), second=zero.copy())


def squeeze_spaces(e: exp.Expression) -> SqueezeSpaces:
    """``e`` with runs of spaces collapsed to one."""
    return SqueezeSpaces(this=e, pattern=exp.Literal.string(" +"), replacement=exp.Literal.string(" "),
                         modifiers=exp.Literal.string("g"))


# ------------------------------------------------------------------------------------------------- renderings
_Render = Callable[[Generator, exp.Expression], str]


def _literal(e: exp.Expression, key: str = "this") -> str:
    node = e.args[key]
    assert isinstance(node, exp.Literal), f"{type(e).__name__}.{key} must be a literal"
    return node.this


def _sql(g: Generator, e: exp.Expression | str) -> str:
    return g.sql(e) if isinstance(e, exp.Expression) else e


def _paren(g: Generator, e: exp.Expression) -> str:
    return f"({g.sql(e)})"


def _floor_div(g: Generator, e: exp.Expression, unit_us: int) -> str:
    return f"FLOOR(({g.sql(EpochUs(this=e.copy()))}) / {unit_us}.0)"


def _boundaries_by_parts(g: Generator, e: exp.Expression, extract: Callable[[str, exp.Expression], str]) -> str:
    """``Boundaries`` from date parts (month, quarter, year) and from microseconds since 1970 (the rest)."""
    unit = _literal(e, "unit").lower()
    a, b = e.this, e.expression
    if unit in _UNIT_US:
        return f"({_floor_div(g, b, _UNIT_US[unit])} - {_floor_div(g, a, _UNIT_US[unit])})"
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    if unit == "year":
        return f"({extract('YEAR', b)} - {extract('YEAR', a)})"
    index_a = f"({extract('YEAR', a)} * 12 + {extract('MONTH', a)} - 1)"
    index_b = f"({extract('YEAR', b)} * 12 + {extract('MONTH', b)} - 1)"
    return f"(FLOOR({index_b} / {months}.0) - FLOOR({index_a} / {months}.0))"


def _cast_error_text(g: Generator, text: str, to: str) -> str:
    return f"CAST(CONCAT({g.sql(exp.Literal.string(text))}) AS {to})"


_PG_DATE_FORMATS = {"%-m/%-d/%Y": "FMMM/FMDD/YYYY", "%-m/%-d/%Y %-I:%M:%S %p": "FMMM/FMDD/YYYY FMHH12:MI:SS AM"}
_MYSQL_DATE_FORMATS = {"%-m/%-d/%Y": "%c/%e/%Y", "%-m/%-d/%Y %-I:%M:%S %p": "%c/%e/%Y %l:%i:%s %p"}
_TSQL_DATE_FORMATS = {"%-m/%-d/%Y": "M/d/yyyy", "%-m/%-d/%Y %-I:%M:%S %p": "M/d/yyyy h:mm:ss tt"}
_SPARK_DATE_FORMATS = {"%-m/%-d/%Y": "M/d/yyyy", "%-m/%-d/%Y %-I:%M:%S %p": "M/d/yyyy h:mm:ss a"}
_FIXED = re.compile(r"\{:(,?)\.(\d+)f\}")


def _fixed_spec(e: exp.Expression) -> tuple[bool, int]:
    match = _FIXED.fullmatch(_literal(e, "format"))
    assert match, f"FixedText format {_literal(e, 'format')!r}"
    return bool(match.group(1)), int(match.group(2))


def _pg_fixed(g: Generator, e: exp.Expression) -> str:
    commas, decimals = _fixed_spec(e)
    integer = "FM999,999,999,999,999,999,990" if commas else "FM999999999999999999990"
    mask = integer + ("." + "0" * decimals if decimals else "")
    return f"TO_CHAR({g.sql(e.this)}, '{mask}')"


def _mysql_fixed(g: Generator, e: exp.Expression) -> str:
    commas, decimals = _fixed_spec(e)
    formatted = f"FORMAT({g.sql(e.this)}, {decimals}, 'en_US')"
    return formatted if commas else f"REPLACE({formatted}, ',', '')"


def _tsql_fixed(g: Generator, e: exp.Expression) -> str:
    commas, decimals = _fixed_spec(e)
    return f"FORMAT({g.sql(e.this)}, '{'N' if commas else 'F'}{decimals}', 'en-US')"


def _pg_extract(g: Generator) -> Callable[[str, exp.Expression], str]:
    return lambda part, e: f"EXTRACT({part} FROM {g.sql(e)})"


def _mysql_extract(g: Generator) -> Callable[[str, exp.Expression], str]:
    return lambda part, e: f"EXTRACT({part} FROM {g.sql(e)})"


def _tsql_extract(g: Generator) -> Callable[[str, exp.Expression], str]:
    return lambda part, e: f"DATEPART({part}, {g.sql(e)})"


def _pg_number_text(g: Generator, e: exp.Expression) -> str:
    """``%.15g`` in PostgreSQL (which has no printf): the DOUBLE rounded to 15 significant digits, then written as
    PostgreSQL writes a DOUBLE (the shortest text that reads back, exponent from 1e+15 and below 1e-4 as %g)."""
    x = f"CAST({g.sql(e.this)} AS DOUBLE PRECISION)"
    special = ", ".join(f"CAST('{v}' AS DOUBLE PRECISION)" for v in ("Infinity", "-Infinity", "NaN"))
    rounded = f"ROUND(CAST({x} AS NUMERIC), CAST(14 - FLOOR(LOG(ABS(CAST({x} AS NUMERIC)))) AS INTEGER))"
    return f"CAST(CASE WHEN {x} IN (0, {special}) THEN {x} ELSE CAST({rounded} AS DOUBLE PRECISION) END AS TEXT)"


def _mysql_number_text(g: Generator, e: exp.Expression) -> str:
    """``%.15g`` in MySQL/MariaDB: the DOUBLE rounded to 15 significant digits, written as they write a DOUBLE
    (shortest form; exponents as ``1e20``, not ``1E+20``)."""
    x = f"CAST({g.sql(e.this)} AS DOUBLE)"
    return f"CAST(CASE WHEN {x} = 0 THEN {x} ELSE ROUND({x}, CAST(14 - FLOOR(LOG10(ABS({x}))) AS SIGNED)) END AS CHAR)"


_POSTGRES: dict[type[exp.Expression], _Render] = {
    DaxError: lambda g, e: _cast_error_text(g, _literal(e), "INTEGER"),
    EpochUs: lambda g, e: f"CAST(EXTRACT(EPOCH FROM {g.sql(e.this)}) * 1000000 AS BIGINT)",
    TimestampFromUs: lambda g, e: f"(CAST('1970-01-01 00:00:00' AS TIMESTAMP) + {_paren(g, e.this)} "
                                  "* INTERVAL '1 microsecond')",
    YearStart: lambda g, e: f"MAKE_TIMESTAMP(CAST({g.sql(e.this)} AS INTEGER), 1, 1, 0, 0, 0)",
    Months: lambda g, e: f"({_paren(g, e.this)} * INTERVAL '1 month')",
    Days: lambda g, e: f"({_paren(g, e.this)} * INTERVAL '1 day')",
    TruncTo: lambda g, e: f"DATE_TRUNC({g.sql(e.args['unit'])}, {g.sql(e.this)})",
    MonthEnd: lambda g, e: f"CAST(DATE_TRUNC('month', {g.sql(e.this)}) + INTERVAL '1 month' - INTERVAL '1 day' "
                           "AS DATE)",
    Boundaries: lambda g, e: _boundaries_by_parts(g, e, _pg_extract(g)),
    DateText: lambda g, e: f"TO_CHAR({g.sql(e.this)}, '{_PG_DATE_FORMATS[_literal(e, 'format')]}')",
    NumberText: lambda g, e: _pg_number_text(g, e),
    StrPos: lambda g, e: f"STRPOS({g.sql(e.this)}, {g.sql(e.args['substr'])})",
    RegexpMatches: lambda g, e: f"({g.sql(e.this)} ~ {g.sql(e.expression)})",
    SqueezeSpaces: lambda g, e: f"REGEXP_REPLACE({g.sql(e.this)}, ' +', ' ', 'g')",
    FixedText: _pg_fixed,
    TruncNumber: lambda g, e: f"TRUNC({g.sql(e.this)})",
}

_MYSQL: dict[type[exp.Expression], _Render] = {
    DaxError: lambda g, e: f"EXP(710 + 0 * CHAR_LENGTH({g.sql(e.this)}))",
    EpochUs: lambda g, e: f"TIMESTAMPDIFF(MICROSECOND, TIMESTAMP '1970-01-01 00:00:00', {g.sql(e.this)})",
    TimestampFromUs: lambda g, e: f"TIMESTAMPADD(MICROSECOND, {g.sql(e.this)}, TIMESTAMP '1970-01-01 00:00:00')",
    YearStart: lambda g, e: f"CAST(MAKEDATE({g.sql(e.this)}, 1) AS DATETIME(6))",
    Months: lambda g, e: f"INTERVAL {_paren(g, e.this)} MONTH",
    Days: lambda g, e: f"INTERVAL {_paren(g, e.this)} DAY",
    MonthEnd: lambda g, e: f"LAST_DAY({g.sql(e.this)})",
    Boundaries: lambda g, e: _boundaries_by_parts(g, e, _mysql_extract(g)),
    DateText: lambda g, e: f"DATE_FORMAT({g.sql(e.this)}, '{_MYSQL_DATE_FORMATS[_literal(e, 'format')]}')",
    NumberText: lambda g, e: _mysql_number_text(g, e),
    StrPos: lambda g, e: f"LOCATE({g.sql(e.args['substr'])}, {g.sql(e.this)})",
    RegexpMatches: lambda g, e: f"({g.sql(e.this)} REGEXP {g.sql(e.expression)})",
    SqueezeSpaces: lambda g, e: f"REGEXP_REPLACE({g.sql(e.this)}, ' +', ' ')",
    FixedText: _mysql_fixed,
    TruncNumber: lambda g, e: f"TRUNCATE({g.sql(e.this)}, 0)",
}


def _mysql_trunc(g: Generator, e: exp.Expression) -> str:
    unit = _literal(e, "unit").lower()
    value = g.sql(e.this)
    if unit == "day":
        return f"CAST(CAST({value} AS DATE) AS DATETIME(6))"
    return f"CAST(DATE_FORMAT({value}, '{'%Y-%m-01' if unit == 'month' else '%Y-01-01'}') AS DATETIME(6))"


_MYSQL[TruncTo] = _mysql_trunc


def _tsql_from_us(g: Generator, e: exp.Expression) -> str:
    us = _paren(g, e.this)
    return (f"DATEADD(MICROSECOND, {us} % 1000000, DATEADD(SECOND, ({us} / 1000000) % 86400, "
            f"DATEADD(DAY, {us} / {_US_PER_DAY}, CAST('1970-01-01' AS DATETIME2))))")


def _tsql_trunc(g: Generator, e: exp.Expression) -> str:
    unit = _literal(e, "unit").lower()
    return f"DATETRUNC({unit}, {g.sql(e.this)})"


_TSQL: dict[type[exp.Expression], _Render] = {
    DaxError: lambda g, e: _cast_error_text(g, _literal(e), "INTEGER"),
    EpochUs: lambda g, e: f"DATEDIFF_BIG(MICROSECOND, CAST('1970-01-01' AS DATETIME2), {g.sql(e.this)})",
    TimestampFromUs: _tsql_from_us,
    YearStart: lambda g, e: f"DATETIME2FROMPARTS({g.sql(e.this)}, 1, 1, 0, 0, 0, 0, 0)",
    TruncTo: _tsql_trunc,
    MonthEnd: lambda g, e: f"EOMONTH({g.sql(e.this)})",
    Boundaries: lambda g, e: f"DATEDIFF_BIG({_literal(e, 'unit').upper()}, {g.sql(e.this)}, {g.sql(e.expression)})",
    DateText: lambda g, e: f"FORMAT({g.sql(e.this)}, '{_TSQL_DATE_FORMATS[_literal(e, 'format')]}', 'en-US')",
    NumberText: lambda g, e: f"FORMAT({g.sql(e.this)}, 'G15', 'en-US')",
    StrPos: lambda g, e: f"CHARINDEX({g.sql(e.args['substr'])}, {g.sql(e.this)})",
    RegexpMatches: lambda g, e: f"(PATINDEX('%[*?~]%', {g.sql(e.this)}) > 0)",
    SqueezeSpaces: lambda g, e: _tsql_squeeze(g, e),
    FixedText: _tsql_fixed,
    TruncNumber: lambda g, e: f"ROUND({g.sql(e.this)}, 0, 1)",
}


def _tsql_squeeze(g: Generator, e: exp.Expression) -> str:
    # no regular expressions: collapse runs of spaces with the three-REPLACE idiom (space, marker pairs)
    value = g.sql(e.this)
    return (f"REPLACE(REPLACE(REPLACE({value}, ' ', CONCAT(' ', CHAR(7))), CONCAT(CHAR(7), ' '), ''), "
            f"CHAR(7), '')")


_SPARK: dict[type[exp.Expression], _Render] = {
    DaxError: lambda g, e: f"RAISE_ERROR({g.sql(e.this)})",
    EpochUs: lambda g, e: f"UNIX_MICROS(CAST({g.sql(e.this)} AS TIMESTAMP))",
    TimestampFromUs: lambda g, e: f"CAST(TIMESTAMP_MICROS({g.sql(e.this)}) AS TIMESTAMP_NTZ)",
    YearStart: lambda g, e: f"MAKE_TIMESTAMP_NTZ({g.sql(e.this)}, 1, 1, 0, 0, 0)",
    Months: lambda g, e: f"MAKE_YM_INTERVAL(0, {g.sql(e.this)})",
    Days: lambda g, e: f"MAKE_DT_INTERVAL({g.sql(e.this)})",
    TruncTo: lambda g, e: f"DATE_TRUNC({g.sql(e.args['unit'])}, {g.sql(e.this)})",
    MonthEnd: lambda g, e: f"LAST_DAY({g.sql(e.this)})",
    Boundaries: lambda g, e: _boundaries_by_parts(g, e, _pg_extract(g)),
    DateText: lambda g, e: f"DATE_FORMAT({g.sql(e.this)}, '{_SPARK_DATE_FORMATS[_literal(e, 'format')]}')",
    NumberText: lambda g, e: f"CAST({g.sql(e.this)} AS STRING)",
    StrPos: lambda g, e: f"INSTR({g.sql(e.this)}, {g.sql(e.args['substr'])})",
    RegexpMatches: lambda g, e: f"({g.sql(e.this)} RLIKE {g.sql(e.expression)})",
    SqueezeSpaces: lambda g, e: f"REGEXP_REPLACE({g.sql(e.this)}, ' +', ' ')",
    FixedText: lambda g, e: f"FORMAT_NUMBER({g.sql(e.this)}, {_fixed_spec(e)[1]})",
    TruncNumber: lambda g, e: f"CAST({g.sql(e.this)} AS BIGINT)",
}


def _no_materialized_cte(g: Generator, e: exp.CTE) -> str:
    """A CTE without the MATERIALIZED hint (a dialect without it)."""
    if e.args.get("materialized") is not None:
        e = e.copy()
        e.set("materialized", None)
    return Generator.cte_sql(g, e)


def _error_cast(base: Callable[[Generator, exp.Cast], str]) -> Callable[[Generator, exp.Cast], str]:
    """CAST of a :class:`DaxError` straight from its text to a date or boolean type (an INTEGER cannot be cast to
    those in PostgreSQL and T-SQL); every other CAST as the dialect writes it."""

    def cast_sql(g: Generator, e: exp.Cast, safe_prefix: str | None = None) -> str:
        to = e.args.get("to")
        if isinstance(e.this, DaxError) and isinstance(to, exp.DataType) and not to.is_type(*exp.DataType.TEXT_TYPES) \
                and not to.is_type(*exp.DataType.NUMERIC_TYPES):
            return _cast_error_text(g, _literal(e.this), g.sql(to))
        return base(g, e) if safe_prefix is None else base(g, e, safe_prefix)  # type: ignore[call-arg]

    return cast_sql


def _tsql_add(g: Generator, e: exp.Add) -> str:
    """``timestamp + Months(n)`` / ``+ Days(n)`` as DATEADD (T-SQL has no interval arithmetic)."""
    if isinstance(e.expression, (Months, Days)):
        part = "MONTH" if isinstance(e.expression, Months) else "DAY"
        return f"DATEADD({part}, {g.sql(e.expression.this)}, {g.sql(e.this)})"
    if isinstance(e.expression, exp.Interval) and not isinstance(e.expression.this, exp.Literal):
        unit = e.expression.args["unit"].name.upper()
        return f"DATEADD({unit}, {g.sql(e.expression.this)}, {g.sql(e.this)})"
    return g.binary(e, "+")


def _date_parts(spellings: dict[str, str], other: str) -> Callable[[Generator, exp.Extract], str]:
    """An ``EXTRACT`` rendering: the parts DuckDB numbers its own way (DOW: Sunday 0; ISODOW: Monday 1; DOY; the
    ISO WEEK) as ``spellings`` writes them, any other as ``other`` (templates of ``{part}`` and ``{value}``)."""

    def extract_sql(g: Generator, e: exp.Extract) -> str:
        part = e.this.name.upper()
        return spellings.get(part, other).format(part=part, value=g.sql(e.expression))

    return extract_sql


_tsql_extract = _date_parts({"DOW": "((DATEPART(WEEKDAY, {value}) + @@DATEFIRST + 6) % 7)",
                             "ISODOW": "((DATEPART(WEEKDAY, {value}) + @@DATEFIRST + 5) % 7 + 1)",
                             "DOY": "DATEPART(DAYOFYEAR, {value})", "WEEK": "DATEPART(ISO_WEEK, {value})"},
                            "DATEPART({part}, {value})")
_mysql_extract_part = _date_parts({"DOW": "(DAYOFWEEK({value}) - 1)", "ISODOW": "(WEEKDAY({value}) + 1)",
                                   "DOY": "DAYOFYEAR({value})", "WEEK": "WEEK({value}, 3)"},
                                  "EXTRACT({part} FROM {value})")
#: Spark's ``EXTRACT(DOW …)`` counts Sunday as 1 and it has no ISODOW (its ``WEEKDAY`` counts Monday as 0)
_spark_extract_part = _date_parts({"DOW": "(DAYOFWEEK({value}) - 1)", "ISODOW": "(WEEKDAY({value}) + 1)",
                                   "DOY": "DAYOFYEAR({value})", "WEEK": "WEEKOFYEAR({value})"},
                                  "EXTRACT({part} FROM {value})")


class EngineDuckDB(DuckDB):
    """DuckDB as the engine writes it."""

    class Generator(DuckDB.Generator):
        TRANSFORMS = {**DuckDB.Generator.TRANSFORMS}


def _nonzero_constant(e: exp.Expression) -> bool:
    while isinstance(e, (exp.Cast, exp.Paren)):
        e = e.this
    return isinstance(e, exp.Literal) and not e.is_string and float(e.this) != 0


def _pg_div(g: Generator, e: exp.Div) -> str:
    """``a / b`` with IEEE results for a zero divisor (±Infinity, NaN), as DuckDB gives them; PostgreSQL raises
    "division by zero" instead."""
    a, b = g.sql(e.this), g.sql(e.expression)
    if _nonzero_constant(e.expression):
        return f"{a} / {b}"
    ieee = (f"CASE WHEN {a} > 0 THEN CAST('Infinity' AS DOUBLE PRECISION) WHEN {a} < 0 THEN CAST('-Infinity' AS "
            "DOUBLE PRECISION) ELSE CAST('NaN' AS DOUBLE PRECISION) END")
    return f"CASE WHEN {a} IS NULL THEN NULL WHEN {b} = 0 THEN {ieee} ELSE {a} / NULLIF({b}, 0) END"


def _pg_mod(g: Generator, e: exp.Mod) -> str:
    """``a % b`` for any numbers (PostgreSQL's ``%`` takes integers only)."""
    return f"MOD(CAST({g.sql(e.this)} AS NUMERIC), CAST({g.sql(e.expression)} AS NUMERIC))"


class EnginePostgres(Postgres):
    """PostgreSQL: the engine's functions in PostgreSQL's spelling."""

    class Generator(Postgres.Generator):
        TRANSFORMS = {**Postgres.Generator.TRANSFORMS, **_POSTGRES, exp.Div: _pg_div, exp.Mod: _pg_mod}
        cast_sql = _error_cast(Postgres.Generator.cast_sql)


class EngineMySQL(MySQL):
    """MySQL and MariaDB: the engine's functions in their spelling; CTEs lose MATERIALIZED."""

    class Generator(MySQL.Generator):
        TRANSFORMS = {**MySQL.Generator.TRANSFORMS, **_MYSQL, exp.CTE: _no_materialized_cte,
                      exp.Extract: _mysql_extract_part}


class EngineTSQL(TSQL):
    """T-SQL: DATEADD for interval arithmetic, CROSS APPLY for a lateral join, no MATERIALIZED hint."""

    class Generator(TSQL.Generator):
        TRANSFORMS = {**TSQL.Generator.TRANSFORMS, **_TSQL, exp.CTE: _no_materialized_cte, exp.Add: _tsql_add,
                      exp.Extract: _tsql_extract}
        cast_sql = _error_cast(TSQL.Generator.cast_sql)

        def join_sql(self, expression: exp.Join) -> str:
            if isinstance(expression.this, exp.Lateral) and expression.args.get("kind") == "CROSS":
                lateral = expression.this.copy()
                lateral.set("cross_apply", True)  # T-SQL spells a lateral join CROSS APPLY
                return super().join_sql(exp.Join(this=lateral))
            return super().join_sql(expression)


class EngineSpark(Spark):
    """Spark SQL: the engine's functions in Spark's spelling; CTEs lose MATERIALIZED."""

    class Generator(Spark.Generator):
        TRANSFORMS = {**Spark.Generator.TRANSFORMS, **_SPARK, exp.CTE: _no_materialized_cte,
                      exp.Extract: _spark_extract_part}


#: The engine's dialects by the names ``--dialect`` takes (``mysql`` also serves MariaDB).
DIALECTS: dict[str, type] = {
    "duckdb": EngineDuckDB,
    "postgres": EnginePostgres,
    "mysql": EngineMySQL,
    "tsql": EngineTSQL,
    "spark": EngineSpark,
}


def add_renderings(expression: type[exp.Expression], renders: dict[str, _Render]) -> None:
    """Teach the engine's dialects (keys of :data:`DIALECTS`) to write ``expression``, a class defined elsewhere
    (a module of the engine that adds functions registers its own SQL pieces this way)."""
    for name, render in renders.items():
        DIALECTS[name].Generator.TRANSFORMS[expression] = render


def _single_value(table: exp.Expression) -> tuple[str, exp.Expression] | None:
    """``(alias, e)`` for a derived table ``(SELECT e AS v) AS alias`` (one row, no FROM), else None."""
    if isinstance(table, exp.Lateral):
        table = exp.Subquery(this=table.this.this if isinstance(table.this, exp.Subquery) else table.this,
                             alias=table.args.get("alias"))
    if not isinstance(table, exp.Subquery) or not isinstance(table.this, exp.Select) or not table.alias:
        return None
    select = table.this
    if set(select.args) - {"expressions"} and any(select.args.get(k) for k in select.args if k != "expressions"):
        return None
    (projection,) = select.expressions if len(select.expressions) == 1 else (None,)
    if projection is None or projection.alias != "v":
        return None
    if isinstance(projection, exp.Alias):
        return table.alias, projection.this
    value = projection.copy()  # a subquery carries its alias itself
    value.set("alias", None)
    return table.alias, value


def _inline_values(node: exp.Expression) -> exp.Expression:
    """A scalar subquery ``SELECT f(a.v, b.v) FROM (SELECT e1 AS v) AS a CROSS JOIN [LATERAL] (SELECT e2 AS v) AS b``
    as ``SELECT f((e1), (e2))``: MariaDB cannot resolve the outer query's columns inside a derived table (nor has it
    LATERAL), so the values the engine binds once (a VAR, an operand read twice) are written out where they are
    read."""
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
        return node
    select = node.this
    source = select.args.get("from_") or select.args.get("from")
    if source is None or any(select.args.get(k) for k in ("where", "group", "having", "order", "limit", "qualify")):
        return node
    tables = [source.this] + [join.this for join in select.args.get("joins") or []]
    values: dict[str, exp.Expression] = {}
    for table in tables:
        found = _single_value(table)
        if found is None:
            return node
        alias, value = found
        values[alias] = _substitute(value.copy(), values)
    if len(select.expressions) != 1:
        return node
    body = _substitute(select.expressions[0].copy(), values)  # keeps its alias: a derived table's column name
    return exp.Subquery(this=exp.select(body), alias=node.args.get("alias"))


def _substitute(e: exp.Expression, values: dict[str, exp.Expression]) -> exp.Expression:
    def swap(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Column) and n.table in values and n.name == "v":
            return exp.Paren(this=values[n.table].copy())
        return n

    return e.transform(swap)


#: Dialects whose databases cannot read an outer query's columns inside a derived table (and have no LATERAL):
#: the values the engine binds once are written out where read (:func:`render`), and aggregates stay correlated
#: with their group rows (:func:`grouped_plan_allowed`).
_NO_OUTER_ROW_IN_DERIVED_TABLES = frozenset({"mysql"})
#: Dialects that resolve an outer query's column only one query level up, not inside a derived table of a
#: subquery's FROM nor through a scalar subquery nested in another (Spark: ``UNRESOLVED_COLUMN``): the values the
#: engine binds once are written out where read, and a scalar ``(SELECT e)`` without FROM is written ``(e)``
#: (:func:`render`). The grouped plan's SQL needs neither and runs there.
_VALUES_WRITTEN_OUT = _NO_OUTER_ROW_IN_DERIVED_TABLES | {"spark"}


def grouped_plan_allowed(dialect: str) -> bool:
    """Whether the grouped-aggregate plan's SQL (:mod:`generator.engine.plan`) runs on ``dialect``'s databases."""
    return dialect not in _NO_OUTER_ROW_IN_DERIVED_TABLES


def for_dialect(expression: exp.Expression, dialect: str) -> exp.Expression:
    """``expression`` as ``dialect``'s databases can run it: where they resolve an outer column only one query level
    up (Spark) or not inside a derived table (MariaDB), the values the engine binds once are written out where read
    and scalar subqueries without FROM are unwrapped; on MariaDB also the filters that read an enclosing row are
    moved out of derived tables and medians become window functions (:mod:`generator.engine.mariadb_rewrite`); a
    copy then, else ``expression`` itself."""
    if dialect not in _VALUES_WRITTEN_OUT:
        return expression
    expression = expression.copy()
    for node in reversed(list(expression.find_all(exp.Subquery, bfs=False))):  # innermost first: a value's SQL
        inlined = _inline_values(node)  # may hold values bound so too
        if inlined is not node:
            node.replace(inlined)
    expression = unwrap_bare_selects(expression)
    if dialect not in _NO_OUTER_ROW_IN_DERIVED_TABLES:  # Spark resolves an outer column one level up: enough
        return expression
    return windowed_medians(lift_outer_references(expression))


def unresolved(expression: exp.Expression, dialect: str) -> str | None:
    """Why ``dialect``'s databases cannot run ``expression`` (prepared by :func:`for_dialect`), or None."""
    if dialect not in _NO_OUTER_ROW_IN_DERIVED_TABLES:
        return None
    found = outer_reference(expression)
    if found is None:
        return None
    return (f"MariaDB/MySQL cannot run this query: it reads {found} of an enclosing row inside a derived table, "
            "which MariaDB/MySQL does not resolve")


def render(expression: exp.Expression, dialect: str = "duckdb", pretty: bool = False) -> str:
    """The SQL text of an engine expression in ``dialect`` (one of :data:`DIALECTS`)."""
    return for_dialect(expression, dialect).sql(dialect=DIALECTS[dialect], pretty=pretty)


# --------------------------------------------------------------------------------------------- runtime errors
_RAISED = {
    "postgres": re.compile(r'invalid input syntax for type [\w ]+: "(.*)"', re.DOTALL),
    "tsql": re.compile(r"converting the n?varchar value '((?:[^']|'')*)' to data type", re.DOTALL),
    "mysql": re.compile(r"out of range in 'exp\(710 \+ 0 \* char_length\('((?:[^'\\]|\\.)*)'\)\)'", re.DOTALL),
}


def runtime_error(dialect: str, message: str) -> str | None:
    """The text a :class:`DaxError` raised, found in a database's error ``message``; None when it is another error."""
    pattern = _RAISED.get(dialect)
    match = pattern.search(message) if pattern is not None else None
    if match is None:
        return None
    text = match.group(1)
    if dialect == "tsql":
        return text.replace("''", "'")
    if dialect == "mysql":
        return re.sub(r"\\(.)", r"\1", text)
    return text


__all__ = [
    "DIALECTS",
    "Boundaries",
    "DateText",
    "DaxError",
    "Days",
    "EpochUs",
    "FixedText",
    "MonthEnd",
    "Months",
    "NumberText",
    "RegexpMatches",
    "SqueezeSpaces",
    "StrPos",
    "TimestampFromUs",
    "TruncNumber",
    "TruncTo",
    "YearStart",
    "dax_error",
    "render",
    "runtime_error",
    "squeeze_spaces",
    "year_start",
]
