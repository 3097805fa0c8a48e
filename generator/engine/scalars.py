"""DAX operators and scalar functions compiled to SQL (sqlglot expressions) with DAX's BLANK rules.

Everything here works on already compiled :class:`Scalar` values (an SQL expression and its DAX type; SQL NULL is
BLANK) and returns a new one. The SQL is built as sqlglot expressions and targets DuckDB (it renders for other
dialects, but DuckDB-only functions such as ``epoch_us``, ``make_timestamp``, ``to_months`` and ``error`` are used).

Conventions and the choices made where DAX sources disagree or are silent:

* **BLANK arithmetic** (PBIDOCS data types): ``BLANK + BLANK = BLANK``, ``BLANK + 5 = 5``, ``5 - BLANK = 5``,
  ``BLANK - 5 = -5``, ``BLANK * 5 = BLANK``, ``BLANK / 5 = BLANK``, ``BLANK / BLANK = BLANK``,
  ``5 / BLANK = Infinity``, ``0 / BLANK = NaN``. Division by zero follows IEEE (``x / 0`` is ±Infinity,
  ``0 / 0`` NaN): this relies on DuckDB's IEEE floating point division (its default).
* **Types**: INTEGER op INTEGER stays INTEGER for ``+ - *``; ``/`` and ``^`` give DOUBLE; BOOLEAN counts as 1/0;
  text is converted with ``CAST(... AS DOUBLE)`` (a runtime error when it is not a number). DATETIME - DATETIME is
  DOUBLE days (6 hours = 0.25; computed from microseconds, so exact), DATETIME ± number adds days and stays
  DATETIME, number - DATETIME is DOUBLE; ``*``, ``/`` and ``^`` see a DATETIME as its serial number (days since
  1899-12-30). A BLANK DATETIME in ``+``/``-`` counts as day 0 (1899-12-30), as in DAX.
* **Comparisons** (``= <> < > <= >=``) treat BLANK as 0, "", FALSE or 1899-12-30 depending on the other side and
  never return NULL (``BLANK = BLANK`` is TRUE); ``==`` is strict (``IS NOT DISTINCT FROM``: BLANK equals only
  BLANK). Text compares case-insensitively (``LOWER``). Mixed types follow the *operator reference* rule
  (MSDOCS ``dax-operator-reference.md``: number/number, text/text, boolean/boolean only; the current engine's error
  reads "DAX comparison operations do not support comparing values of type Text with values of type Integer"):
  comparing e.g. STRING with INTEGER raises :class:`DaxEngineError`. DATETIME and numbers compare as numbers.
* **Logical** ``&&`` / ``||`` / ``AND`` / ``OR`` follow the PBIDOCS truth table: BLANK acts as FALSE, except
  ``BLANK && BLANK`` and ``BLANK || BLANK``, which are BLANK (falsy in IF/FILTER). The result is never NULL when
  either side is non-blank. Numbers convert to booleans as ``<> 0``; text only when it reads TRUE/FALSE (any case)
  or is "" (FALSE); other text raises a runtime error, as DAX does.
* **Concatenation** ``&`` treats BLANK as "" and never returns BLANK; numbers are written as DAX does in general
  format (INTEGER ``12 & 34 = "1234"``; DOUBLE with up to 15 significant digits, ``1.5`` → "1.5", ``2.0`` → "2",
  exponents as ``1E+20``), booleans as TRUE/FALSE, datetimes as ``m/d/yyyy`` (plus ``h:mm:ss AM/PM`` when the
  time is not midnight; en-US).
* **Runtime errors**: where DAX raises an error for some inputs (``POWER(0, 0)``, ``SQRT(-1)``, ``LN(0)``,
  ``MOD(x, 0)``, ``QUOTIENT(x, 0)``, ``DATE`` with a day below 1, ...), the SQL calls DuckDB's ``error('DAX: ...')``
  inside a CASE, so the query fails at run time instead of returning a wrong number. Compile-time problems (wrong
  argument count, comparing incompatible types) raise :class:`DaxEngineError` with the call's position.
* **Functions of BLANK**: functions with f(0) = 0 return BLANK for BLANK (``SIN``, ``ABS``, ``ROUND``, ``SIGN``,
  ...); those with f(0) ≠ 0 compute f(0) (``COS(BLANK()) = 1``, ``EXP``, ``ACOS``), as pinned in Desktop for COS.
  Date-part functions (YEAR, MONTH, ..., WEEKDAY, WEEKNUM) read BLANK as 1899-12-30. Text functions return BLANK
  for BLANK, except ``LEN`` (0), ``EXACT``, ``CONCATENATE`` and ``CONTAINSSTRING`` (BLANK as ""). ``EOMONTH``,
  ``EDATE`` and ``DATEDIFF`` return BLANK when a date is BLANK. These BLANK cases are not Desktop-pinned.
* Mixed-type results (DAX's variant, e.g. ``IF(c, 1, "x")``) are refused with :class:`Unsupported`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlglot import exp

from generator.dax import ast
from generator.engine import currency, sqlfuncs
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.functions import Arity, Kind, declare, function
from generator.engine.rounding import Rounding, round_number, round_sql
from generator.engine.sqlbuild import (
    _NOT_STATIC,
    _add,
    _and,
    _bin,
    _bool,
    _case,
    _cast,
    _coalesce,
    _div,
    _double,
    _func,
    _int,
    _is_null,
    _mul,
    _neg,
    _not,
    _or,
    _p,
    _static,
    _static_number,
    _str,
    _sub,
    _timestamp,
    _x,
)
from generator.engine.values import DaxType, Scalar

__all__ = [
    "KEYWORD_ARGUMENTS",
    "binary",
    "blank",
    "cast_to",
    "error_value",
    "if_function",
    "in_list",
    "literal_boolean",
    "literal_number",
    "literal_string",
    "truthy",
    "unary",
    "unify_types",
]

ScalarFunction = Callable[[list[Scalar], ast.Call], Scalar]


#: Argument positions that are bare keywords (``DAY``, ``INTEGER``) read from the :class:`ast.Call` node rather
#: than compiled; the caller passes :func:`blank` (or anything) at those positions in ``args``.
KEYWORD_ARGUMENTS: dict[str, frozenset[int]] = {"DATEDIFF": frozenset({2}), "CONVERT": frozenset({1})}

_T = DaxType
_NUMERIC = (_T.INTEGER, _T.DOUBLE, _T.DECIMAL)
_SQL_TYPE = {
    _T.INTEGER: "BIGINT",
    _T.DOUBLE: "DOUBLE",
    _T.DECIMAL: "DOUBLE",
    _T.STRING: "VARCHAR",
    _T.BOOLEAN: "BOOLEAN",
    _T.DATETIME: "TIMESTAMP",
}
_OFFSET_US = 2_209_161_600_000_000  # microseconds from 1899-12-30 (DAX day 0) to 1970-01-01
_US_PER_DAY = 86_400_000_000
_DAY_ZERO = "1899-12-30 00:00:00"


#: Set by :func:`counting_error_sites`: the count of places compiled SQL can fail at run time (IFERROR asks).
_ERROR_SITES: ContextVar[list[int] | None] = ContextVar("dax_error_sites", default=None)


@contextmanager
def counting_error_sites() -> Iterator[list[int]]:
    """Count the places where the SQL compiled inside the block can fail while the query runs: the engine's error
    sites (:func:`error_value`) and conversions of text to numbers or dates (a text that is not one fails)."""
    counter = [0]
    token = _ERROR_SITES.set(counter)
    try:
        yield counter
    finally:
        _ERROR_SITES.reset(token)


def _error_site() -> None:
    counter = _ERROR_SITES.get()
    if counter is not None:
        counter[0] += 1


def error_value(message: str, t: DaxType) -> exp.Expression:
    """SQL of type ``t`` that fails at run time with ``DAX: message`` (DuckDB's ``error``).

    The CAST matters: DuckDB folds a function of an untyped ``error()`` (type NULL) to NULL without calling it.
    """
    _error_site()
    return _cast(sqlfuncs.dax_error(f"DAX: {message}"), _SQL_TYPE[t])


def _typed_null(t: DaxType) -> exp.Expression:
    return _cast(exp.Null(), _SQL_TYPE[t]) if t in _SQL_TYPE else exp.Null()


def _nullable(e: exp.Expression) -> bool:
    """False when ``e`` can never be NULL (conservative: True when unsure)."""
    if isinstance(e, exp.Null):
        return True
    if isinstance(e, (exp.Literal, exp.Boolean, exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ)):
        return False
    if isinstance(e, sqlfuncs.DaxError):
        return False
    if isinstance(e, exp.TryCast):
        return True
    if isinstance(e, (exp.Paren, exp.Neg, exp.Not, exp.Cast, exp.Abs, exp.Floor, exp.Ceil, exp.Lower, exp.Upper)):
        return _nullable(e.this)
    if isinstance(e, exp.Coalesce):
        return all(_nullable(a) for a in [e.this, *e.expressions])
    if isinstance(e, exp.Case):
        default = e.args.get("default")
        return default is None or _nullable(default) or any(_nullable(i.args["true"]) for i in e.args["ifs"])
    if isinstance(e, exp.Binary):
        return _nullable(e.this) or _nullable(e.expression)
    return True




# ----------------------------------------------------------------------------------------------------- literals
def literal_number(text: str) -> Scalar:
    """A numeric literal: INTEGER (BIGINT) when written without ``.`` or exponent and it fits, else DOUBLE."""
    if re.fullmatch(r"\d+", text) and int(text) < 2**63:
        return Scalar(_cast(_int(int(text)), "BIGINT"), _T.INTEGER)
    return Scalar(_double(float(text)), _T.DOUBLE)


def literal_string(value: str) -> Scalar:
    """A text literal."""
    return Scalar(_str(value), _T.STRING)


def literal_boolean(value: bool) -> Scalar:
    """``TRUE`` / ``FALSE``."""
    return Scalar(_bool(bool(value)), _T.BOOLEAN)


def blank() -> Scalar:
    """``BLANK()``: an untyped SQL NULL of type BLANK."""
    return Scalar(exp.Null(), _T.BLANK)


# -------------------------------------------------------------------------------------------------- conversions
def _known(value: Scalar, what: str, line: int = 0, column: int = 0) -> None:
    if value.type is _T.VARIANT:
        raise Unsupported(what, line, column, "the operand's type is not fixed (a mix of types, DAX's variant)")


def _serial(e: exp.Expression) -> exp.Expression:
    """A TIMESTAMP as DAX's serial number: DOUBLE days since 1899-12-30."""
    return _div(_cast(_add(_x(sqlfuncs.EpochUs, this=e), _int(_OFFSET_US)), "DOUBLE"), _int(_US_PER_DAY))


def _from_us(us_since_day_zero: exp.Expression) -> exp.Expression:
    """A TIMESTAMP from BIGINT microseconds since 1899-12-30."""
    return _x(sqlfuncs.TimestampFromUs, this=_sub(us_since_day_zero, _int(_OFFSET_US)))


def _to_number(value: Scalar, line: int = 0, column: int = 0) -> Scalar:
    """``value`` as a number (INTEGER, DOUBLE or DECIMAL) or BLANK: booleans are 1/0, text is parsed, datetimes are
    serial days."""
    _known(value, "arithmetic on a value of mixed types", line, column)
    t = value.type
    if t in _NUMERIC or t is _T.BLANK:
        return value
    if t is _T.BOOLEAN:
        return Scalar(_cast(value.sql, "BIGINT"), _T.INTEGER)
    if t is _T.STRING:
        _error_site()  # text that is not a number fails
        return Scalar(_cast(value.sql, "DOUBLE"), _T.DOUBLE)
    return Scalar(_serial(value.sql), _T.DOUBLE)  # DATETIME


def _as_double(value: Scalar) -> exp.Expression:
    """SQL DOUBLE of a numeric (non-BLANK) scalar."""
    return value.sql if value.type in (_T.DOUBLE, _T.DECIMAL) else _cast(value.sql, "DOUBLE")


def _to_datetime(value: Scalar, line: int = 0, column: int = 0) -> Scalar:
    """``value`` as a DATETIME (or BLANK): numbers are serial days, text is parsed (ISO) by DuckDB."""
    _known(value, "a date of mixed types", line, column)
    t = value.type
    if t in (_T.DATETIME, _T.BLANK):
        return value
    if t is _T.STRING:
        _error_site()  # text that is not a date fails
        return Scalar(_cast(value.sql, "TIMESTAMP"), _T.DATETIME)
    number = _to_number(value)
    return Scalar(_from_us(_days_to_us(number)), _T.DATETIME)


def _days_to_us(number: Scalar) -> exp.Expression:
    """BIGINT microseconds of a number of days."""
    if number.type is _T.INTEGER:
        return _mul(number.sql, _int(_US_PER_DAY))
    us = _mul(number.sql, _int(_US_PER_DAY))
    nearest = _mul(_func("sign", us), _x(exp.Floor, this=_add(_x(exp.Abs, this=us), _double(0.5))))
    return _cast(nearest, "BIGINT")


def _date_or_day_zero(value: Scalar, line: int, column: int) -> exp.Expression:
    """A TIMESTAMP for date-part functions: BLANK reads as 1899-12-30."""
    dt = _to_datetime(value, line, column)
    if dt.type is _T.BLANK:
        return _timestamp(_DAY_ZERO)
    return _coalesce(dt.sql, _timestamp(_DAY_ZERO)) if _nullable(dt.sql) else dt.sql


def _to_text(value: Scalar) -> Scalar:
    """``value`` as text (BLANK stays BLANK), formatted as DAX's general format (en-US)."""
    _known(value, "text conversion of a value of mixed types")
    t, e = value.type, value.sql
    if t in (_T.STRING, _T.BLANK):
        return value
    if t is _T.INTEGER:
        sql = _cast(e, "VARCHAR")
    elif t in (_T.DOUBLE, _T.DECIMAL):
        sql = _x(exp.Upper, this=_x(sqlfuncs.NumberText, format=_str("%.15g"), this=e))
    elif t is _T.BOOLEAN:
        whens = [_x(exp.If, this=_bool(True), true=_str("TRUE")), _x(exp.If, this=_bool(False), true=_str("FALSE"))]
        sql = _x(exp.Case, this=e, ifs=whens)
    else:  # DATETIME
        midnight = _x(exp.EQ, this=e, expression=_x(sqlfuncs.TruncTo, unit=_str("day"), this=e))
        sql = _case(
            [(midnight, _x(sqlfuncs.DateText, this=e, format=_str("%-m/%-d/%Y")))],
            _x(sqlfuncs.DateText, this=e, format=_str("%-m/%-d/%Y %-I:%M:%S %p")),
        )
    return Scalar(sql, _T.STRING)


def _boolean_sql(value: Scalar) -> exp.Expression | None:
    """``value`` as a nullable SQL boolean (None for a BLANK literal)."""
    _known(value, "a logical test on a value of mixed types")
    t, e = value.type, value.sql
    if t is _T.BLANK:
        return None
    if t is _T.BOOLEAN:
        return e
    if t in _NUMERIC:
        return _x(exp.NEQ, this=_p(e), expression=_int(0))
    if t is _T.DATETIME:
        return _x(exp.NEQ, this=_p(e), expression=_timestamp(_DAY_ZERO))
    lowered = _x(exp.Lower, this=e)
    return _case(
        [
            (_is_null(e), exp.Null()),
            (_x(exp.EQ, this=e, expression=_str("")), _bool(False)),
            (_x(exp.EQ, this=lowered, expression=_str("true")), _bool(True)),
            (_x(exp.EQ, this=lowered.copy(), expression=_str("false")), _bool(False)),
        ],
        error_value("cannot convert a text value to TRUE/FALSE", _T.BOOLEAN),
    )


def truthy(value: Scalar) -> exp.Expression:
    """SQL boolean, never NULL, TRUE exactly when DAX treats ``value`` as true (IF, FILTER, SWITCH(TRUE(), ...)).

    BLANK, FALSE, 0, 1899-12-30 and "" are false; text other than TRUE/FALSE/"" raises a runtime error.
    """
    sql = _boolean_sql(value)
    if sql is None:
        return _bool(False)
    return _coalesce(sql, _bool(False)) if _nullable(sql) else sql


def unify_types(types: list[DaxType]) -> DaxType:
    """The common type of IF/SWITCH results: BLANK is ignored; equal types stay; mixed numeric types give DOUBLE;
    anything else (or a VARIANT) gives VARIANT. All BLANK (or no types) gives BLANK."""
    known = [t for t in types if t is not _T.BLANK]
    if not known:
        return _T.BLANK
    if _T.VARIANT in known:
        return _T.VARIANT
    distinct = set(known)
    if len(distinct) == 1:
        return known[0]
    if all(t in _NUMERIC for t in distinct):
        return _T.DOUBLE
    return _T.VARIANT


def cast_to(value: Scalar, type: DaxType) -> Scalar:
    """``value`` converted to ``type`` as DAX converts: BLANK becomes a typed NULL; numbers round half away from
    zero to INTEGER; DECIMAL (currency) keeps 4 decimals; text uses :func:`_to_text`'s format; BOOLEAN is ``<> 0``
    for numbers. VARIANT (either way) is :class:`Unsupported`."""
    if value.type is type:
        return value
    if type is _T.VARIANT or value.type is _T.VARIANT:
        raise Unsupported("a value of mixed types", reason="DAX variant results have no single SQL type")
    if value.type is _T.BLANK:
        return Scalar(_typed_null(type), type)
    if type is _T.BLANK:
        raise Unsupported(f"conversion of {value.type.name} to BLANK")
    if type in (_T.DOUBLE, _T.DECIMAL):
        number = _to_number(value)
        sql = _as_double(number)
        if type is _T.DECIMAL and number.type is _T.DOUBLE:
            sql = round_sql(sql, 4)
        return Scalar(sql, type)
    if type is _T.INTEGER:
        number = _to_number(value)
        if number.type is _T.INTEGER:
            return number
        return Scalar(_cast(round_sql(number.sql, 0), "BIGINT"), _T.INTEGER)
    if type is _T.STRING:
        return _to_text(value)
    if type is _T.BOOLEAN:
        return Scalar(_boolean_sql(value), _T.BOOLEAN)
    return _to_datetime(value)


# -------------------------------------------------------------------------------------------------- operators
def _blank_additive(op: str, a: exp.Expression | None, b: exp.Expression | None, a_null: bool, b_null: bool):
    """``a op b`` (``+``/``-``) where BLANK (NULL) counts as 0 unless both are BLANK; None when both are BLANK."""
    make = _add if op == "+" else _sub
    if a is None and b is None:
        return None
    if a is None:
        return b if op == "+" else _neg(b)
    if b is None:
        return a
    result = make(a, b)
    fallbacks = []
    if b_null:
        fallbacks.append(a)
    if a_null:
        fallbacks.append(b if op == "+" else _neg(b))
    return _coalesce(result, *fallbacks) if fallbacks else result


def _additive(op: str, left: Scalar, right: Scalar, line: int, column: int) -> Scalar:
    if _T.DATETIME in (left.type, right.type):
        return _datetime_additive(op, left, right, line, column)
    a, b = _to_number(left, line, column), _to_number(right, line, column)
    t = currency.arithmetic_type(op, a.type, b.type)
    sql = _blank_additive(
        op,
        None if a.type is _T.BLANK else a.sql,
        None if b.type is _T.BLANK else b.sql,
        _nullable(a.sql),
        _nullable(b.sql),
    )
    if sql is not None and t is _T.DECIMAL:  # a Currency result keeps four decimals
        sql = currency.to_four_decimals(sql)
    return blank() if sql is None else Scalar(sql, t)


def _datetime_additive(op: str, left: Scalar, right: Scalar, line: int, column: int) -> Scalar:
    """``+``/``-`` with a DATETIME side, in microseconds since 1899-12-30 (exact for differences)."""

    def micros(value: Scalar) -> exp.Expression | None:
        if value.type is _T.DATETIME:
            return _add(_x(sqlfuncs.EpochUs, this=value.sql), _int(_OFFSET_US))
        number = _to_number(value, line, column)
        return None if number.type is _T.BLANK else _days_to_us(number)

    total = _blank_additive(op, micros(left), micros(right), _nullable(left.sql), _nullable(right.sql))
    if total is None:
        return blank()
    # DATETIME ± number and number + DATETIME are DATETIMEs; DATETIME - DATETIME and number - DATETIME are days.
    if op == "+" or (left.type is _T.DATETIME and right.type is not _T.DATETIME):
        return Scalar(_from_us(total), _T.DATETIME)
    return Scalar(_div(_cast(total, "DOUBLE"), _int(_US_PER_DAY)), _T.DOUBLE)


def _multiply(left: Scalar, right: Scalar, line: int, column: int) -> Scalar:
    a, b = _to_number(left, line, column), _to_number(right, line, column)
    if _T.BLANK in (a.type, b.type):
        return blank()
    t = currency.arithmetic_type("*", a.type, b.type)
    product = _mul(a.sql, b.sql)
    if t is _T.DECIMAL:  # a Currency result keeps four decimals
        product = currency.to_four_decimals(product)
    return Scalar(product, t)


def _divide(left: Scalar, right: Scalar, line: int, column: int) -> Scalar:
    a, b = _to_number(left, line, column), _to_number(right, line, column)
    if a.type is _T.BLANK:
        return blank()
    if b.type is _T.BLANK:
        denominator = _double(0.0)
    elif _nullable(b.sql):
        denominator = _coalesce(b.sql, _int(0))
    else:
        denominator = b.sql
    quotient = _div(_as_double(a), denominator)
    t = currency.arithmetic_type("/", a.type, b.type)
    if t is _T.DECIMAL:
        return Scalar(currency.to_four_decimals(quotient, denominator), t)
    return Scalar(quotient, _T.DOUBLE)


def _power(base: Scalar, exponent: Scalar, line: int, column: int) -> Scalar:
    """POWER and ``^``: BLANK base → BLANK; BLANK exponent → 0; 0 to a power ≤ 0 and a negative base to a
    fractional power raise runtime errors."""
    b, e = _to_number(base, line, column), _to_number(exponent, line, column)
    if b.type is _T.BLANK:
        return blank()
    bsql = _as_double(b)
    if e.type is _T.BLANK:
        esql = _int(0)
    elif _nullable(e.sql):
        esql = _coalesce(e.sql, _int(0))
    else:
        esql = e.sql
    whens = []
    static_e = _static_number(esql)
    if static_e is None or static_e <= 0:
        zero_base = _x(exp.EQ, this=_p(bsql), expression=_int(0))
        if static_e is None:
            zero_base = _and(zero_base, _x(exp.LTE, this=_p(esql), expression=_int(0)))
        whens.append((zero_base, error_value("POWER of 0 to a zero or negative power", _T.DOUBLE)))
    if static_e is None or static_e != int(static_e):
        negative = _x(exp.LT, this=_p(bsql), expression=_int(0))
        if static_e is None:
            negative = _and(negative, _x(exp.NEQ, this=_p(esql), expression=_x(exp.Floor, this=esql)))
        whens.append((negative, error_value("POWER of a negative number to a fractional power", _T.DOUBLE)))
    result = _x(exp.Pow, this=bsql, expression=esql)
    return Scalar(_case(whens, result) if whens else result, _T.DOUBLE)


def _concatenate(left: Scalar, right: Scalar, line: int, column: int) -> Scalar:
    parts = []
    for value in (left, right):
        _known(value, "& on a value of mixed types", line, column)
        if value.type is _T.BLANK:
            continue
        text = _to_text(value).sql
        parts.append(_coalesce(text, _str("")) if _nullable(text) else text)
    if not parts:
        return Scalar(_str(""), _T.STRING)
    if len(parts) == 1:
        return Scalar(parts[0], _T.STRING)
    return Scalar(_bin(exp.DPipe, parts[0], parts[1]), _T.STRING)


_COMPARISONS: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "==": exp.EQ,
    "<>": exp.NEQ,
    "<": exp.LT,
    ">": exp.GT,
    "<=": exp.LTE,
    ">=": exp.GTE,
}
_DOMAINS = {
    _T.INTEGER: "number",
    _T.DOUBLE: "number",
    _T.DECIMAL: "number",
    _T.STRING: "string",
    _T.BOOLEAN: "boolean",
    _T.DATETIME: "datetime",
}
_ZEROS: dict[str, Callable[[], exp.Expression]] = {
    "number": lambda: _int(0),
    "string": lambda: _str(""),
    "boolean": lambda: _bool(False),
    "datetime": lambda: _timestamp(_DAY_ZERO),
}


def _compare(op: str, left: Scalar, right: Scalar, line: int, column: int) -> Scalar:
    _known(left, f"comparison ({op}) of a value of mixed types", line, column)
    _known(right, f"comparison ({op}) of a value of mixed types", line, column)
    dl, dr = _DOMAINS.get(left.type), _DOMAINS.get(right.type)
    if dl is None and dr is None:
        return literal_boolean(op in ("=", "==", "<=", ">="))
    if dl and dr and dl != dr:
        if {dl, dr} != {"number", "datetime"}:
            raise DaxEngineError(
                f"cannot compare {left.type.name} with {right.type.name} (DAX comparison operations do not support "
                "comparing values of different types; convert one side with VALUE or FORMAT)",
                line,
                column,
            )
        domain = "number"
    else:
        domain = dl or dr

    def operand(value: Scalar) -> exp.Expression | None:
        if value.type is _T.BLANK:
            return None
        if domain == "number":
            return _to_number(value, line, column).sql
        if domain == "string":
            return _x(exp.Lower, this=value.sql)
        return value.sql

    a, b = operand(left), operand(right)
    if op == "==":
        if a is None or b is None:
            return Scalar(_is_null(b if a is None else a), _T.BOOLEAN)
        if _nullable(a) or _nullable(b):
            return Scalar(_bin(exp.NullSafeEQ, a, b), _T.BOOLEAN)
        return Scalar(_bin(exp.EQ, a, b), _T.BOOLEAN)

    def filled(e: exp.Expression | None) -> exp.Expression:
        if e is None:
            return _ZEROS[domain]()
        return _coalesce(e, _ZEROS[domain]()) if _nullable(e) else e

    return Scalar(_bin(_COMPARISONS[op], filled(a), filled(b)), _T.BOOLEAN)


def _logical(op: str, left: Scalar, right: Scalar, line: int = 0, column: int = 0) -> Scalar:
    """``&&``/``||`` with the PBIDOCS BLANK truth table (BLANK is FALSE, but BLANK op BLANK is BLANK)."""
    _known(left, f"{op} on a value of mixed types", line, column)
    _known(right, f"{op} on a value of mixed types", line, column)
    a, b = _boolean_sql(left), _boolean_sql(right)
    if a is None and b is None:
        return blank()
    filled = [_bool(False) if e is None else (_coalesce(e, _bool(False)) if _nullable(e) else e) for e in (a, b)]
    core = (_and if op == "&&" else _or)(*filled)
    nullable = [e for e in (a, b) if e is not None and _nullable(e)]
    present = [e for e in (a, b) if e is not None]
    if len(nullable) < len(present) or not nullable:
        return Scalar(core, _T.BOOLEAN)
    both_blank = _and(*[_is_null(e) for e in nullable])
    return Scalar(_case([(both_blank, _typed_null(_T.BOOLEAN))], core), _T.BOOLEAN)


def binary(op: str, left: Scalar, right: Scalar, line: int = 0, column: int = 0) -> Scalar:
    """A DAX infix operator (``^ * / + - & = == <> < > <= >= && ||``) on compiled operands; ``line``/``column``
    locate the operator's expression for errors. ``IN`` is :func:`in_list`."""
    if op in ("+", "-"):
        return _additive(op, left, right, line, column)
    if op == "*":
        return _multiply(left, right, line, column)
    if op == "/":
        return _divide(left, right, line, column)
    if op == "^":
        return _power(left, right, line, column)
    if op == "&":
        return _concatenate(left, right, line, column)
    if op in _COMPARISONS:
        return _compare(op, left, right, line, column)
    if op in ("&&", "||"):
        return _logical(op, left, right, line, column)
    raise Unsupported(f"operator {op}", line, column)


def unary(op: str, operand: Scalar, line: int = 0, column: int = 0) -> Scalar:
    """Prefix ``-`` (BLANK stays BLANK; a DATETIME gives minus its serial number), ``+`` (unchanged) and ``NOT``
    (``NOT BLANK`` is TRUE; never NULL)."""
    op = op.upper()
    if op == "+":
        _known(operand, "unary + on a value of mixed types", line, column)
        return operand
    if op == "-":
        number = _to_number(operand, line, column)
        if number.type is _T.BLANK:
            return blank()
        return Scalar(_neg(number.sql), number.type)
    if op == "NOT":
        _known(operand, "NOT on a value of mixed types", line, column)
        return Scalar(_not(truthy(operand)), _T.BOOLEAN)
    raise Unsupported(f"unary operator {op}", line, column)


def in_list(left: list[Scalar], rows: list[list[Scalar]], line: int = 0, column: int = 0) -> Scalar:
    """``x IN {1, 2}`` / ``(a, b) IN {(1, 2), ...}``: some row equal to ``left`` column by column under ``=``
    (BLANK equals 0/""/FALSE). Never NULL."""
    matches = []
    for row in rows:
        if len(row) != len(left):
            raise DaxEngineError(
                f"IN compares {len(left)} value(s) with a row of {len(row)} value(s); the counts must match",
                line,
                column,
            )
        matches.append(_and(*[_compare("=", a, b, line, column).sql for a, b in zip(left, row, strict=True)]))
    if not matches:
        return literal_boolean(False)
    return Scalar(_or(*matches), _T.BOOLEAN)


# ------------------------------------------------------------------------------------------------- functions
def _arity(args: list[Scalar], call: ast.Call, low: int, high: int | None = None) -> None:
    """Raise unless ``low <= len(args) <= high`` (``high=None``: exactly ``low``; ``-1``: no upper bound)."""
    arity = Arity(low, low if high is None else None if high < 0 else high)
    if not arity.accepts(len(args)):
        raise DaxEngineError(arity.scalar_message(call.name, len(args)), call.line, call.column)


def _where(call: ast.Call) -> tuple[int, int]:
    return call.line, call.column


def _num(value: Scalar, call: ast.Call) -> Scalar:
    return _to_number(value, *_where(call))


def _unify_branches(values: list[Scalar], call: ast.Call) -> tuple[DaxType, list[exp.Expression]]:
    """The common type of ``values`` and their SQL cast to it (BLANK literals stay bare NULLs)."""
    for value in values:
        _known(value, f"{call.name} with a result of mixed types", *_where(call))
    t = unify_types([v.type for v in values])
    if t is _T.VARIANT:
        kinds = ", ".join(sorted({v.type.name for v in values if v.type is not _T.BLANK}))
        raise Unsupported(
            f"{call.name} with results of different types ({kinds})",
            *_where(call),
            reason="DAX would return a variant; convert the results to one type",
        )
    return t, [v.sql if v.type is _T.BLANK else cast_to(v, t).sql for v in values]


# ---- logical
@function("IF.EAGER", kind=Kind.SCALAR)
def if_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """IF(cond, then[, else]); IF.EAGER is the same (both branches are SQL anyway). Also IF's scalar form, called
    by the compiler's IF handler."""
    _arity(args, call, 2, 3)
    condition = args[0]
    branches = [args[1], args[2] if len(args) == 3 else blank()]
    t, (then_sql, else_sql) = _unify_branches(branches, call)
    if t is _T.BLANK:
        return blank()
    default = None if isinstance(else_sql, exp.Null) else else_sql
    return Scalar(_case([(truthy(condition), then_sql)], default), t)


@function("SWITCH", kind=Kind.SCALAR, arity=(3, None))
def _switch(args: list[Scalar], call: ast.Call) -> Scalar:
    """SWITCH(value, v1, r1, ...[, else]): BLANK matches only BLANK (``==``); ``SWITCH(TRUE(), cond, r, ...)``
    tests each condition's truth."""
    value, rest = args[0], args[1:]
    pairs = [(rest[i], rest[i + 1]) for i in range(0, len(rest) - 1, 2)]
    otherwise = rest[-1] if len(rest) % 2 else blank()
    t, sqls = _unify_branches([r for _, r in pairs] + [otherwise], call)
    if t is _T.BLANK:
        return blank()
    idiom = value.type is _T.BOOLEAN and _static(value.sql) is True
    whens = []
    for (candidate, _), result in zip(pairs, sqls, strict=False):
        if idiom and candidate.type in (_T.BOOLEAN, _T.BLANK):
            condition = truthy(candidate)
        else:
            condition = _compare("==", value, candidate, *_where(call)).sql
        whens.append((condition, result))
    default = None if isinstance(sqls[-1], exp.Null) else sqls[-1]
    return Scalar(_case(whens, default), t)


@function("DIVIDE", kind=Kind.SCALAR, arity=(2, 3))
def _divide_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """DIVIDE(n, d[, alternate]): alternate (default BLANK) when d is 0 or BLANK; BLANK numerator → BLANK."""
    n, d = _num(args[0], call), _num(args[1], call)
    alternate = args[2] if len(args) == 3 else blank()
    t, (_, alt_sql) = _unify_branches([Scalar(_typed_null(_T.DOUBLE), _T.DOUBLE), alternate], call)
    if d.type is _T.BLANK or _static_number(d.sql) == 0:
        return Scalar(alt_sql, t) if alternate.type is not _T.BLANK else blank()
    quotient = exp.Null() if n.type is _T.BLANK else _div(_as_double(n), d.sql)
    if _static_number(d.sql) is not None:
        return Scalar(quotient, t)
    zero = _x(exp.EQ, this=_p(_coalesce(d.sql, _int(0)) if _nullable(d.sql) else d.sql), expression=_int(0))
    return Scalar(_case([(zero, alt_sql)], quotient), t)


@function("COALESCE", kind=Kind.SCALAR, arity=(2, None))
def _coalesce_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """COALESCE(a, b, ...): the first non-BLANK value ("" is not BLANK)."""
    t, sqls = _unify_branches(args, call)
    if t is _T.BLANK:
        return blank()
    return Scalar(_coalesce(*sqls), t)


@function("AND", kind=Kind.SCALAR, arity=2)
def _and_function(args: list[Scalar], call: ast.Call) -> Scalar:
    return _logical("&&", args[0], args[1], *_where(call))


@function("OR", kind=Kind.SCALAR, arity=2)
def _or_function(args: list[Scalar], call: ast.Call) -> Scalar:
    return _logical("||", args[0], args[1], *_where(call))


@function("NOT", kind=Kind.SCALAR, arity=1)
def _not_function(args: list[Scalar], call: ast.Call) -> Scalar:
    return unary("NOT", args[0], *_where(call))


@function("TRUE", kind=Kind.SCALAR, arity=0)
def _true(args: list[Scalar], call: ast.Call) -> Scalar:
    return literal_boolean(True)


@function("FALSE", kind=Kind.SCALAR, arity=0)
def _false(args: list[Scalar], call: ast.Call) -> Scalar:
    return literal_boolean(False)


@function("BLANK", kind=Kind.SCALAR, arity=0)
def _blank(args: list[Scalar], call: ast.Call) -> Scalar:
    return blank()


@function("ISBLANK", kind=Kind.SCALAR, arity=1)
def _isblank(args: list[Scalar], call: ast.Call) -> Scalar:
    """ISBLANK(x): x is BLANK (``ISBLANK("")`` and ``ISBLANK(0)`` are FALSE)."""
    if args[0].type is _T.BLANK:
        return literal_boolean(True)
    return Scalar(_is_null(args[0].sql), _T.BOOLEAN)


# ---- math
def _math1(
    name: str,
    build: Callable[[exp.Expression], exp.Expression],
    blank_as_zero: bool = False,
    error_when: Callable[[exp.Expression], exp.Expression] | None = None,
    message: str = "",
) -> None:
    """Register a one-argument DOUBLE function; BLANK → BLANK unless ``blank_as_zero`` (then f(0))."""

    def compile_(args: list[Scalar], call: ast.Call) -> Scalar:
        x = _num(args[0], call)
        if x.type is _T.BLANK:
            if not blank_as_zero:
                return blank()
            sql = _double(0.0)
        else:
            sql = _as_double(x)
            if blank_as_zero and _nullable(sql):
                sql = _coalesce(sql, _double(0.0))
        result = build(sql)
        if error_when is not None:
            result = _case([(error_when(sql), error_value(f"{name}: {message}", _T.DOUBLE))], result)
        return Scalar(result, _T.DOUBLE)

    declare(name, kind=Kind.SCALAR, arity=1, compile=compile_)


def _outside_unit(x: exp.Expression) -> exp.Expression:
    return _x(exp.GT, this=_x(exp.Abs, this=x), expression=_int(1))


_math1(
    "SQRT",
    lambda x: _x(exp.Sqrt, this=x),
    error_when=lambda x: _x(exp.LT, this=_p(x), expression=_int(0)),
    message="the argument is negative",
)
_math1("EXP", lambda x: _x(exp.Exp, this=x), blank_as_zero=True)
_math1("SIN", lambda x: _func("sin", x))
_math1("COS", lambda x: _func("cos", x), blank_as_zero=True)
_math1("TAN", lambda x: _func("tan", x))
_math1("ASIN", lambda x: _func("asin", x), error_when=_outside_unit, message="the argument is outside [-1, 1]")
_math1(
    "ACOS",
    lambda x: _func("acos", x),
    blank_as_zero=True,
    error_when=_outside_unit,
    message="the argument is outside [-1, 1]",
)
_math1("ATAN", lambda x: _func("atan", x))
_math1("DEGREES", lambda x: _func("degrees", x))
_math1("RADIANS", lambda x: _func("radians", x))


def _positive_or_error(value: Scalar, call: ast.Call, what: str) -> exp.Expression:
    """DOUBLE SQL of ``value`` for LN/LOG: BLANK or ≤ 0 raise a runtime error."""
    x = _num(value, call)
    if x.type is _T.BLANK:
        return error_value(f"{call.name}: {what} is BLANK", _T.DOUBLE)
    sql = _as_double(x)
    bad = _x(exp.LTE, this=_p(_coalesce(sql, _int(0)) if _nullable(sql) else sql), expression=_int(0))
    return _case([(bad, error_value(f"{call.name}: {what} must be greater than 0", _T.DOUBLE))], sql)


@function("LN", kind=Kind.SCALAR, arity=1)
def _ln(args: list[Scalar], call: ast.Call) -> Scalar:
    return Scalar(_x(exp.Ln, this=_positive_or_error(args[0], call, "the argument")), _T.DOUBLE)


@function("LOG", "LOG10", kind=Kind.SCALAR)
def _log(args: list[Scalar], call: ast.Call) -> Scalar:
    """LOG(x[, base=10]) and LOG10(x): BLANK or ≤ 0 arguments, and base 1, raise runtime errors."""
    if call.name == "LOG10":
        _arity(args, call, 1)
    else:
        _arity(args, call, 1, 2)
    x = _positive_or_error(args[0], call, "the number")
    base = args[1] if len(args) == 2 else None
    if base is None or _static_number(base.sql) == 10:
        return Scalar(_func("log10", x), _T.DOUBLE)
    b = _positive_or_error(base, call, "the base")
    b = _case([(_x(exp.EQ, this=_p(b), expression=_int(1)), error_value(f"{call.name}: the base is 1", _T.DOUBLE))], b)
    return Scalar(_div(_x(exp.Ln, this=x), _x(exp.Ln, this=b)), _T.DOUBLE)


@function("PI", kind=Kind.SCALAR, arity=0)
def _pi(args: list[Scalar], call: ast.Call) -> Scalar:
    return Scalar(_double(math.pi), _T.DOUBLE)


@function("ABS", kind=Kind.SCALAR, arity=1)
def _abs(args: list[Scalar], call: ast.Call) -> Scalar:
    x = _num(args[0], call)
    return blank() if x.type is _T.BLANK else Scalar(_x(exp.Abs, this=x.sql), x.type)


@function("SIGN", kind=Kind.SCALAR, arity=1)
def _sign(args: list[Scalar], call: ast.Call) -> Scalar:
    x = _num(args[0], call)
    return blank() if x.type is _T.BLANK else Scalar(_cast(_func("sign", x.sql), "BIGINT"), _T.INTEGER)


@function("INT", kind=Kind.SCALAR, arity=1)
def _int_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """INT(x): rounds down (toward -∞) to an INTEGER: ``INT(-2.1) = -3``."""
    x = _num(args[0], call)
    if x.type in (_T.BLANK, _T.INTEGER):
        return x
    return Scalar(_cast(_x(exp.Floor, this=x.sql), "BIGINT"), _T.INTEGER)


def _digits(value: Scalar | None, call: ast.Call) -> tuple[int | None, exp.Expression]:
    """A num_digits argument: (its static value or None, INTEGER SQL); BLANK/absent is 0, fractions truncate."""
    if value is None or value.type is _T.BLANK:
        return 0, _int(0)
    d = _num(value, call)
    static = _static_number(d.sql)
    if static is not None:
        return int(static), _int(int(static))
    sql = _coalesce(d.sql, _int(0)) if _nullable(d.sql) else d.sql
    return None, _cast(_x(sqlfuncs.TruncNumber, this=sql), "INTEGER")


def _rounding_digits(value: Scalar | None, call: ast.Call) -> int | exp.Expression:
    """A num_digits argument for :func:`round_sql`: a constant or INTEGER SQL."""
    static, sql = _digits(value, call)
    return sql if static is None else static


@function("ROUND", kind=Kind.SCALAR, arity=2)
def _round(args: list[Scalar], call: ast.Call) -> Scalar:
    """ROUND(x, digits): half away from zero on the 15-digit decimal value (:mod:`.rounding`); negative digits round
    left of the point."""
    x = _num(args[0], call)
    if x.type is _T.BLANK:
        return blank()
    return Scalar(round_sql(_as_double(x), _rounding_digits(args[1], call)), _T.DOUBLE)


@function("ROUNDUP", "ROUNDDOWN", kind=Kind.SCALAR, arity=2)
def _round_up_down(args: list[Scalar], call: ast.Call) -> Scalar:
    """ROUNDUP (away from zero) / ROUNDDOWN (toward zero) to ``digits``, on the 15-digit decimal value."""
    x = _num(args[0], call)
    if x.type is _T.BLANK:
        return blank()
    how = Rounding.UP if call.name == "ROUNDUP" else Rounding.DOWN
    return Scalar(round_sql(_as_double(x), _rounding_digits(args[1], call), how), _T.DOUBLE)


@function("TRUNC", kind=Kind.SCALAR, arity=(1, 2))
def _trunc(args: list[Scalar], call: ast.Call) -> Scalar:
    """TRUNC(x[, digits]): toward zero, as ROUNDDOWN."""
    x = _num(args[0], call)
    if x.type is _T.BLANK:
        return blank()
    digits = _rounding_digits(args[1] if len(args) == 2 else None, call)
    return Scalar(round_sql(_as_double(x), digits, Rounding.DOWN), _T.DOUBLE)


def _divisor(value: Scalar, call: ast.Call) -> tuple[float | None, exp.Expression]:
    """A divisor argument: (its static value or None, SQL where BLANK is 0)."""
    d = _num(value, call)
    if d.type is _T.BLANK:
        return 0, _int(0)
    return _static_number(d.sql), (_coalesce(d.sql, _int(0)) if _nullable(d.sql) else d.sql)


@function("MOD", kind=Kind.SCALAR, arity=2)
def _mod(args: list[Scalar], call: ast.Call) -> Scalar:
    """MOD(n, d): the remainder with the sign of the divisor (``MOD(-10, 3) = 2``, ``MOD(10, -3) = -2``); a zero or
    BLANK divisor raises a runtime error."""
    n = _num(args[0], call)
    static_d, d = _divisor(args[1], call)
    t = _T.INTEGER if n.type is _T.INTEGER and _num(args[1], call).type is _T.INTEGER else _T.DOUBLE
    if static_d == 0:
        return Scalar(error_value("MOD: division by zero", t), t)
    if n.type is _T.BLANK:
        return blank()

    def remainder() -> exp.Expression:
        return _bin(exp.Mod, n.sql.copy(), d.copy())

    sign_differs = exp.NEQ(
        this=exp.Paren(this=_x(exp.LT, this=_p(remainder()), expression=_int(0))),
        expression=exp.Paren(this=_x(exp.LT, this=_p(d.copy()), expression=_int(0))),
    )
    adjust = _and(_x(exp.NEQ, this=_p(remainder()), expression=_int(0)), sign_differs)
    result: exp.Expression = _case([(adjust, _add(remainder(), d.copy()))], remainder())
    if static_d is None:
        result = _case(
            [(_x(exp.EQ, this=_p(d.copy()), expression=_int(0)), error_value("MOD: division by zero", t))], result
        )
    return Scalar(result, t)


@function("QUOTIENT", kind=Kind.SCALAR, arity=2)
def _quotient(args: list[Scalar], call: ast.Call) -> Scalar:
    """QUOTIENT(n, d): the integer part of n / d (toward zero); a zero or BLANK divisor raises a runtime error."""
    n = _num(args[0], call)
    static_d, d = _divisor(args[1], call)
    if static_d == 0:
        return Scalar(error_value("QUOTIENT: division by zero", _T.INTEGER), _T.INTEGER)
    if n.type is _T.BLANK:
        return blank()
    result: exp.Expression = _cast(_x(sqlfuncs.TruncNumber, this=_div(_as_double(n), d)), "BIGINT")
    if static_d is None:
        result = _case(
            [(_x(exp.EQ, this=_p(d.copy()), expression=_int(0)),
              error_value("QUOTIENT: division by zero", _T.INTEGER))],
            result,
        )
    return Scalar(result, _T.INTEGER)


@function("FLOOR", "CEILING", kind=Kind.SCALAR, arity=2)
def _floor_ceiling(args: list[Scalar], call: ast.Call) -> Scalar:
    """FLOOR/CEILING(x, significance): the multiple of significance below/above x (``floor(x / s) · s``), so a
    negative significance flips the direction (``FLOOR(-2.5, -1) = -2``, ``CEILING(-2.5, -1) = -3``).

    ``CEILING(x, 0) = 0`` (Desktop-pinned); ``FLOOR(x, 0)``, and a positive x with a negative significance, raise a
    runtime error (as Excel's FLOOR/CEILING do; not Desktop-pinned)."""
    x = _num(args[0], call)
    static_s, s = _divisor(args[1], call)
    ceiling = call.name == "CEILING"
    if x.type is _T.BLANK:
        return blank()
    xs = _as_double(x)
    q = _div(xs, s)
    nudge = _mul(_x(exp.Abs, this=q.copy()), _double(1e-15))
    rounded = _x(exp.Ceil, this=_sub(q, nudge)) if ceiling else _x(exp.Floor, this=_add(q, nudge))
    whens = []
    zero_result = _double(0.0) if ceiling else error_value("FLOOR: the significance is 0", _T.DOUBLE)
    if static_s == 0:
        return Scalar(zero_result, _T.DOUBLE)
    if static_s is None:
        whens.append((_x(exp.EQ, this=_p(s.copy()), expression=_int(0)), zero_result))
    if static_s is None or static_s < 0:
        bad = _x(exp.GT, this=_p(xs.copy()), expression=_int(0))
        if static_s is None:
            bad = _and(bad, _x(exp.LT, this=_p(s.copy()), expression=_int(0)))
        whens.append((bad, error_value(f"{call.name}: a positive number with a negative significance", _T.DOUBLE)))
    result = _mul(rounded, s.copy())
    return Scalar(_case(whens, result) if whens else result, _T.DOUBLE)


@function("POWER", kind=Kind.SCALAR, arity=2)
def _power_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """POWER(base, exponent): see :func:`_power`."""
    return _power(args[0], args[1], *_where(call))


# ---- dates and times
def _whole(value: Scalar, call: ast.Call, how: str = "round") -> int | exp.Expression:
    """A whole-number argument: BLANK is 0; fractions are rounded half away from zero (``how="round"``) or
    truncated (``"trunc"``). A Python int when the argument is constant."""
    x = _num(value, call)
    if x.type is _T.BLANK:
        return 0
    static = _static_number(x.sql)
    if static is not None:
        return int(round_number(static, 0)) if how == "round" else int(static)
    if x.type is _T.INTEGER:
        sql = x.sql
    elif how == "round":
        sql = _cast(round_sql(_as_double(x), 0), "BIGINT")
    else:
        sql = _cast(_x(sqlfuncs.TruncNumber, this=x.sql), "BIGINT")
    return _coalesce(sql, _int(0)) if _nullable(sql) else sql


def _lit(value: int | exp.Expression) -> exp.Expression:
    return _int(value) if isinstance(value, int) else value


def _year_window(year: int | exp.Expression) -> int | exp.Expression:
    """DATE's year argument: 0–30 → 2000+y, below 100 (negative included) → 1900+y, else y (Desktop probes)."""
    if isinstance(year, int):
        return year + 2000 if 0 <= year <= 30 else year + 1900 if year < 100 else year
    return _case(
        [
            (
                _and(_bin(exp.GTE, year, _int(0)), _bin(exp.LTE, year, _int(30))),
                _add(year, _int(2000)),
            ),
            (_x(exp.LT, this=_p(year.copy()), expression=_int(100)), _add(year.copy(), _int(1900))),
        ],
        year.copy(),
    )


@function("DATE", kind=Kind.SCALAR, arity=3)
def _date(args: list[Scalar], call: ast.Call) -> Scalar:
    """DATE(year, month, day): arguments rounded (``DATE(2024.9, 8, 15)`` is in 2025); two-digit year window (see
    :func:`_year_window`); months and days beyond their range roll over (``DATE(2024, 13, 1)`` = 2025-01-01,
    ``DATE(2024, 0, 1)`` = 2023-12-01); a day below 1 or a year outside 1–9999 raises a runtime error."""
    year = _year_window(_whole(args[0], call))
    month, day = _whole(args[1], call), _whole(args[2], call)
    checks: list[tuple[exp.Expression, exp.Expression]] = []
    bad_day = error_value("DATE: the day must be at least 1", _T.DATETIME)
    bad_year = error_value("DATE: the year is outside 1-9999", _T.DATETIME)
    if isinstance(day, int):
        if day < 1:
            return Scalar(bad_day, _T.DATETIME)
    else:
        checks.append((_x(exp.LT, this=_p(day), expression=_int(1)), bad_day))
    if isinstance(year, int):
        if not 1 <= year <= 9999:
            return Scalar(bad_year, _T.DATETIME)
    else:
        checks.append(
            (
                _or(
                    _x(exp.LT, this=_p(year), expression=_int(1)),
                    _x(exp.GT, this=_p(year.copy()), expression=_int(9999)),
                ),
                bad_year,
            )
        )
    result: exp.Expression = sqlfuncs.year_start(_lit(year if isinstance(year, int) else year.copy()))
    months = month - 1 if isinstance(month, int) else _sub(month, _int(1))
    if not (isinstance(months, int) and months == 0):
        result = _add(result, _x(sqlfuncs.Months, this=_cast(_lit(months), "INTEGER")))
    days = day - 1 if isinstance(day, int) else _sub(day.copy(), _int(1))
    if not (isinstance(days, int) and days == 0):
        result = _add(result, _x(sqlfuncs.Days, this=_cast(_lit(days), "INTEGER")))
    return Scalar(_case(checks, result) if checks else result, _T.DATETIME)


@function("TIME", kind=Kind.SCALAR, arity=3)
def _time(args: list[Scalar], call: ast.Call) -> Scalar:
    """TIME(hour, minute, second): each part rounded, BLANK parts 0, the total wrapped modulo 24 hours, on day 0
    (1899-12-30); a negative total raises a runtime error."""
    parts = [_whole(a, call) for a in args]
    weights = (3600, 60, 1)
    if all(isinstance(p, int) for p in parts):
        total = sum(p * w for p, w in zip(parts, weights, strict=True))
        if total < 0:
            return Scalar(error_value("TIME: the time is negative", _T.DATETIME), _T.DATETIME)
        return Scalar(_from_us(_int((total % 86400) * 1_000_000)), _T.DATETIME)
    terms = [_mul(_lit(p), _int(w)) if w != 1 else _lit(p) for p, w in zip(parts, weights, strict=True)]
    total_sql = _add(_add(terms[0], terms[1]), terms[2])
    wrapped = _from_us(_mul(_bin(exp.Mod, total_sql.copy(), _int(86400)), _int(1_000_000)))
    negative = _x(exp.LT, this=_p(total_sql), expression=_int(0))
    return Scalar(_case([(negative, error_value("TIME: the time is negative", _T.DATETIME))], wrapped), _T.DATETIME)


def _date_part(part: str) -> ScalarFunction:
    def compile_(args: list[Scalar], call: ast.Call) -> Scalar:
        date = _date_or_day_zero(args[0], *_where(call))
        return Scalar(_cast(_x(exp.Extract, this=exp.var(part), expression=date), "BIGINT"), _T.INTEGER)

    return compile_


for _name in ("YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"):
    declare(_name, kind=Kind.SCALAR, arity=1, compile=_date_part(_name))


def _static_choice(value: Scalar | None, call: ast.Call, default: int, allowed: tuple[int, ...]) -> int:
    """A constant return-type argument (WEEKDAY, WEEKNUM); a non-constant one is :class:`Unsupported`."""
    if value is None or value.type is _T.BLANK:
        return default
    static = _static_number(value.sql)
    if static is None:
        raise Unsupported(f"{call.name} with a non-constant return type", *_where(call))
    if int(static) not in allowed:
        raise DaxEngineError(
            f"{call.name}: return type {static} is not one of {', '.join(map(str, allowed))}", *_where(call)
        )
    return int(static)


@function("WEEKDAY", kind=Kind.SCALAR, arity=(1, 2))
def _weekday(args: list[Scalar], call: ast.Call) -> Scalar:
    """WEEKDAY(date[, type]): 1 = Sunday 1..Saturday 7; 2 = Monday 1..Sunday 7; 3 = Monday 0..Sunday 6."""
    date = _date_or_day_zero(args[0], *_where(call))
    kind = _static_choice(args[1] if len(args) == 2 else None, call, 1, (1, 2, 3))
    if kind == 1:
        sql = _add(_x(exp.Extract, this=exp.var("DOW"), expression=date), _int(1))
    else:
        sql = _x(exp.Extract, this=exp.var("ISODOW"), expression=date)
        if kind == 3:
            sql = _sub(sql, _int(1))
    return Scalar(_cast(sql, "BIGINT"), _T.INTEGER)


# WEEKNUM return types of "system 1" (the week containing January 1 is week 1) → first day of the week (0 = Sunday).
_WEEK_STARTS = {1: 0, 2: 1, 11: 1, 12: 2, 13: 3, 14: 4, 15: 5, 16: 6, 17: 0}


@function("WEEKNUM", kind=Kind.SCALAR, arity=(1, 2))
def _weeknum(args: list[Scalar], call: ast.Call) -> Scalar:
    """WEEKNUM(date[, type]): types 1 (weeks start Sunday), 2 (Monday), 11–17 (Monday..Sunday), the week holding
    January 1 being week 1; 21 is the ISO 8601 week."""
    date = _date_or_day_zero(args[0], *_where(call))
    kind = _static_choice(args[1] if len(args) == 2 else None, call, 1, (*_WEEK_STARTS, 21))
    if kind == 21:
        return Scalar(_cast(_x(exp.Extract, this=exp.var("WEEK"), expression=date), "BIGINT"), _T.INTEGER)
    january_first = _x(sqlfuncs.TruncTo, unit=_str("year"), this=date.copy())
    offset = _bin(
        exp.Mod,
        _add(_x(exp.Extract, this=exp.var("DOW"), expression=january_first), _int(7 - _WEEK_STARTS[kind])),
        _int(7),
    )
    day_index = _add(_sub(_x(exp.Extract, this=exp.var("DOY"), expression=date), _int(1)), offset)
    week = _add(_x(exp.Floor, this=_div(_cast(day_index, "DOUBLE"), _int(7))), _int(1))
    return Scalar(_cast(week, "BIGINT"), _T.INTEGER)


@function("EOMONTH", kind=Kind.SCALAR, arity=2)
def _eomonth(args: list[Scalar], call: ast.Call) -> Scalar:
    """EOMONTH(start, months): the last day of the month ``months`` (rounded) after start's; BLANK start → BLANK."""
    start = _to_datetime(args[0], *_where(call))
    if start.type is _T.BLANK:
        return blank()
    months = _whole(args[1], call, "round")
    month_start = _x(sqlfuncs.TruncTo, unit=_str("month"), this=start.sql)
    if not (isinstance(months, int) and months == 0):
        month_start = _add(month_start, _x(sqlfuncs.Months, this=_cast(_lit(months), "INTEGER")))
    return Scalar(_cast(_x(sqlfuncs.MonthEnd, this=month_start), "TIMESTAMP"), _T.DATETIME)


@function("EDATE", kind=Kind.SCALAR, arity=2)
def _edate(args: list[Scalar], call: ast.Call) -> Scalar:
    """EDATE(start, months): the same day ``months`` (truncated) later, clamped to the month's end (Jan 31 + 1 →
    Feb 29); the time of day is dropped; BLANK start → BLANK."""
    start = _to_datetime(args[0], *_where(call))
    if start.type is _T.BLANK:
        return blank()
    months = _whole(args[1], call, "trunc")
    day = _x(sqlfuncs.TruncTo, unit=_str("day"), this=start.sql)
    result = (
        day
        if isinstance(months, int) and months == 0
        else _add(day, _x(sqlfuncs.Months, this=_cast(_lit(months), "INTEGER")))
    )
    return Scalar(_cast(result, "TIMESTAMP"), _T.DATETIME)


_DATEDIFF_UNITS = ("SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")


@function("DATEDIFF", kind=Kind.SCALAR, arity=(2, 3))
def _datediff(args: list[Scalar], call: ast.Call) -> Scalar:
    """DATEDIFF(date1, date2, interval): interval boundaries crossed from date1 to date2 (negative when date1 is
    later); WEEK boundaries are Sundays. The interval keyword is read from ``call`` (see KEYWORD_ARGUMENTS).
    A BLANK date gives BLANK."""
    if len(call.args) != 3:
        raise DaxEngineError(f"DATEDIFF takes 3 arguments, got {len(call.args)}", *_where(call))
    keyword = call.args[2]
    unit = keyword.name.upper() if isinstance(keyword, (ast.Keyword, ast.TableRef)) else None
    if unit not in _DATEDIFF_UNITS:
        raise DaxEngineError(f"DATEDIFF: the interval must be one of {', '.join(_DATEDIFF_UNITS)}", *keyword.position)
    a, b = (_to_datetime(v, *_where(call)) for v in args[:2])
    if _T.BLANK in (a.type, b.type):
        return blank()
    if unit == "WEEK":

        def weeks(e: exp.Expression) -> exp.Expression:
            days = _x(sqlfuncs.Boundaries, unit=_str("day"), this=_timestamp("1970-01-04 00:00:00"),
                     expression=e)
            return _x(exp.Floor, this=_div(_cast(days, "DOUBLE"), _int(7)))

        return Scalar(_cast(_sub(weeks(b.sql), weeks(a.sql)), "BIGINT"), _T.INTEGER)
    boundaries = _x(sqlfuncs.Boundaries, unit=_str(unit.lower()), this=a.sql, expression=b.sql)
    return Scalar(_cast(boundaries, "BIGINT"), _T.INTEGER)


# ---- text
def _text(value: Scalar, call: ast.Call) -> Scalar:
    _known(value, f"{call.name} of a value of mixed types", *_where(call))
    return _to_text(value)


def _text_or_empty(value: Scalar, call: ast.Call) -> exp.Expression:
    t = _text(value, call)
    if t.type is _T.BLANK:
        return _str("")
    return _coalesce(t.sql, _str("")) if _nullable(t.sql) else t.sql


def _text1(name: str, build: Callable[[exp.Expression], exp.Expression]) -> None:
    def compile_(args: list[Scalar], call: ast.Call) -> Scalar:
        t = _text(args[0], call)
        return blank() if t.type is _T.BLANK else Scalar(build(t.sql), _T.STRING)

    declare(name, kind=Kind.SCALAR, arity=1, compile=compile_)


_text1("UPPER", lambda e: _x(exp.Upper, this=e))
_text1("LOWER", lambda e: _x(exp.Lower, this=e))
# TRIM removes leading and trailing spaces and collapses inner runs of spaces to one (as Excel's TRIM).
_text1("TRIM", lambda e: _x(exp.Trim, this=sqlfuncs.squeeze_spaces(e.copy() if e.parent is not None else e)))


@function("LEN", kind=Kind.SCALAR, arity=1)
def _len(args: list[Scalar], call: ast.Call) -> Scalar:
    """LEN(text): characters; BLANK counts as "" (0)."""
    return Scalar(_cast(_x(exp.Length, this=_text_or_empty(args[0], call)), "BIGINT"), _T.INTEGER)


def _count_argument(value: Scalar | None, call: ast.Call, what: str, minimum: int) -> exp.Expression:
    """A character count/position (truncated; BLANK is 0), with a runtime error below ``minimum``."""
    if value is None:
        return _int(1)
    n = _whole(value, call, "trunc")
    message = f"{call.name}: {what} must be at least {minimum}"
    if isinstance(n, int):
        return _int(n) if n >= minimum else error_value(message, _T.INTEGER)
    return _case([(_x(exp.LT, this=_p(n), expression=_int(minimum)), error_value(message, _T.INTEGER))], n.copy())


@function("LEFT", "RIGHT", kind=Kind.SCALAR, arity=(1, 2))
def _left_right(args: list[Scalar], call: ast.Call) -> Scalar:
    """LEFT/RIGHT(text[, count=1]); a negative count raises a runtime error."""
    t = _text(args[0], call)
    if t.type is _T.BLANK:
        return blank()
    count = _count_argument(args[1] if len(args) == 2 else None, call, "the number of characters", 0)
    cls = exp.Left if call.name == "LEFT" else exp.Right
    return Scalar(cls(this=t.sql, expression=count), _T.STRING)


@function("MID", kind=Kind.SCALAR, arity=3)
def _mid(args: list[Scalar], call: ast.Call) -> Scalar:
    """MID(text, start, count): 1-based start (≥ 1), count ≥ 0, else a runtime error."""
    t = _text(args[0], call)
    if t.type is _T.BLANK:
        return blank()
    start = _count_argument(args[1], call, "the start", 1)
    count = _count_argument(args[2], call, "the number of characters", 0)
    return Scalar(_x(exp.Substring, this=t.sql, start=start, length=count), _T.STRING)


@function("CONCATENATE", kind=Kind.SCALAR, arity=2)
def _concatenate_function(args: list[Scalar], call: ast.Call) -> Scalar:
    """CONCATENATE(a, b): as ``a & b``."""
    return _concatenate(args[0], args[1], *_where(call))


@function("EXACT", kind=Kind.SCALAR, arity=2)
def _exact(args: list[Scalar], call: ast.Call) -> Scalar:
    """EXACT(a, b): case-sensitive equality of the texts (BLANK as "")."""
    return Scalar(_bin(exp.EQ, _text_or_empty(args[0], call), _text_or_empty(args[1], call)), _T.BOOLEAN)


@function("SUBSTITUTE", kind=Kind.SCALAR)
def _substitute(args: list[Scalar], call: ast.Call) -> Scalar:
    """SUBSTITUTE(text, old, new): every occurrence, case-sensitive (the instance argument is not supported)."""
    if len(args) == 4:
        raise Unsupported("SUBSTITUTE with an instance number", *_where(call))
    _arity(args, call, 3)
    t = _text(args[0], call)
    if t.type is _T.BLANK:
        return blank()
    old, new = _text_or_empty(args[1], call), _text_or_empty(args[2], call)
    return Scalar(_func("replace", t.sql, old, new), _T.STRING)


@function("VALUE", kind=Kind.SCALAR, arity=1)
def _value(args: list[Scalar], call: ast.Call) -> Scalar:
    """VALUE(text): the number it spells (DOUBLE; a runtime error when it is not a number); numbers pass through."""
    x = _num(args[0], call)
    if x.type is _T.BLANK:
        return blank()
    return Scalar(_as_double(x), _T.DOUBLE)


def _like_pattern(find: str) -> str:
    """CONTAINSSTRING's pattern (``?`` one character, ``*`` any, ``~`` escapes) as a LIKE pattern with ``\\``."""
    out, escaped = [], False
    for char in find:
        if escaped:
            out.append("\\" + char if char in "%_\\" else char)
            escaped = False
        elif char == "~":
            escaped = True
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "%_\\":
            out.append("\\" + char)
        else:
            out.append(char)
    if escaped:
        out.append("~")
    return "%" + "".join(out) + "%"


@function("CONTAINSSTRING", "CONTAINSSTRINGEXACT", kind=Kind.SCALAR, arity=2)
def _containsstring(args: list[Scalar], call: ast.Call) -> Scalar:
    """CONTAINSSTRING(within, find): case-insensitive, with ``?``/``*`` wildcards (``~`` escapes) for a constant
    ``find`` (a non-constant one containing wildcards raises a runtime error). CONTAINSSTRINGEXACT:
    case-sensitive, no wildcards. BLANK reads as ""."""
    within, find = _text_or_empty(args[0], call), _text_or_empty(args[1], call)
    if call.name == "CONTAINSSTRINGEXACT":
        return Scalar(_x(exp.GT, this=_x(sqlfuncs.StrPos, this=within, substr=find), expression=_int(0)), _T.BOOLEAN)
    static = _static(find)
    if isinstance(static, str):
        pattern = exp.Literal.string(_like_pattern(static))
        return Scalar(
            _x(exp.Escape, this=_x(exp.ILike, this=within, expression=pattern), expression=_str("\\")), _T.BOOLEAN
        )
    position = _x(sqlfuncs.StrPos, this=_x(exp.Lower, this=within), substr=_x(exp.Lower, this=find))
    contains = _bin(exp.GT, position, _int(0))
    wildcard = _x(sqlfuncs.RegexpMatches, this=find.copy(), expression=_str(r"[*?~]"))
    message = error_value("CONTAINSSTRING: wildcards in a non-constant search text are not supported", _T.BOOLEAN)
    return Scalar(_case([(wildcard, message)], contains), _T.BOOLEAN)


@function("FIXED", kind=Kind.SCALAR, arity=(1, 3))
def _fixed(args: list[Scalar], call: ast.Call) -> Scalar:
    """FIXED(number[, decimals=2[, no_commas=FALSE]]): rounded half away from zero and written with thousands
    separators unless no_commas; decimals and no_commas must be constants. BLANK → BLANK."""
    x = _num(args[0], call)
    decimals = _digits(args[1] if len(args) >= 2 else literal_number("2"), call)[0]
    no_commas = _static(args[2].sql) if len(args) == 3 else False
    if decimals is None or no_commas is _NOT_STATIC:
        raise Unsupported("FIXED with non-constant decimals or no_commas", *_where(call))
    if x.type is _T.BLANK:
        return blank()
    rounded = round_sql(_as_double(x), decimals)
    spec = "{:" + ("" if no_commas else ",") + f".{max(decimals, 0)}f" + "}"
    return Scalar(_x(sqlfuncs.FixedText, format=_str(spec), this=rounded), _T.STRING)


# ---- conversion
_CONVERT_TYPES = {
    "INTEGER": _T.INTEGER,
    "INT64": _T.INTEGER,
    "DOUBLE": _T.DOUBLE,
    "CURRENCY": _T.DECIMAL,
    "DECIMAL": _T.DECIMAL,
    "STRING": _T.STRING,
    "BOOLEAN": _T.BOOLEAN,
    "DATETIME": _T.DATETIME,
}


@function("CONVERT", kind=Kind.SCALAR)
def _convert(args: list[Scalar], call: ast.Call) -> Scalar:
    """CONVERT(value, TYPE): TYPE (a keyword read from ``call``) is INTEGER, DOUBLE, CURRENCY, STRING, BOOLEAN or
    DATETIME; see :func:`cast_to`."""
    if len(call.args) != 2:
        raise DaxEngineError(f"CONVERT takes 2 arguments, got {len(call.args)}", *_where(call))
    _arity(args, call, 1, 2)
    keyword = call.args[1]
    name = keyword.name.upper() if isinstance(keyword, (ast.Keyword, ast.TableRef)) else None
    if name not in _CONVERT_TYPES:
        raise DaxEngineError(f"CONVERT: unknown data type (one of {', '.join(_CONVERT_TYPES)})", *keyword.position)
    _known(args[0], "CONVERT of a value of mixed types", *_where(call))
    return cast_to(args[0], _CONVERT_TYPES[name])
