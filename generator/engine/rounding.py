"""DAX rounding (ROUND, ROUNDUP, ROUNDDOWN, TRUNC, FIXED, conversion to INTEGER) computed as Power BI computes it.

DAX rounds the *decimal value as DAX shows it*: a DAX number holds 15 significant digits, so the DOUBLE 2.15 (in
binary 2.149999999999999911…) is the decimal 2.15 and ``ROUND(2.15, 1)`` is 2.2 (Desktop-pinned), and
``ROUND(1.005, 2)`` is 1.01. Halves go away from zero (``ROUND(-1.5, 0) = -2``, Desktop-pinned). A database's own
ROUND works on the binary double and differs between releases (DuckDB 2.0.1 rounds 2.15 to 2.1, 2.0.0 to 2.2), so
the SQL here never calls it. It uses only operations IEEE 754 defines exactly, plus LOG10 for the order of magnitude
(an error of one there costs at most one of the 15 digits, and only within a few units of the last place of a
power of ten):

1. ``e = FLOOR(LOG10(|x|))`` and ``s = 14 - e``: ``|x| · 10^s`` has 15 digits before the point.
2. ``N = FLOOR(|x| · 10^s + 0.5)``: the 15 significant digits of ``x`` as a whole number (below 2^53, so exact).
3. ``p = s - digits`` is how many of those digits the rounding drops: ``p <= 0`` drops none (the result is the
   15-digit value ``N · 10^-s``; so is it for ``p = 1`` when ``N`` is 10^15: the 15 digits rounded up to the next
   power of ten);
   ``p >= 16`` drops them all (0, or one unit for ROUNDUP); otherwise the kept part ``q`` is
   ``FLOOR((N + 5·10^(p-1)) / 10^p)`` (half away), ``CEIL(N / 10^p)`` (up) or ``FLOOR(N / 10^p)`` (down). Every
   operand is a whole number below 2^53 and 10^p is exact, so the quotient is rounded only once and cannot cross a
   whole number: the result is the exact decimal rounding.
4. ``q`` scaled back, ``q / 10^digits``, is the double nearest the decimal result (what DAX
   holds), with the sign of ``x``; zero has no sign. Infinity and NaN pass through unchanged. Scaling by 10^k is one
   rounding while 10^|k| is exact (|k| <= 22); beyond (results below 1e-22 or above 1e37) it may be off by one
   unit in the last place.

:func:`round_number` is the same rule in Python (on :mod:`decimal`), used to fold constant arguments and as the
tests' oracle for the SQL.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext
from enum import Enum

from sqlglot import exp

from generator.engine.sqlbuild import (
    _add,
    _and,
    _case,
    _div,
    _double,
    _func,
    _int,
    _mul,
    _or,
    _p,
    _static_number,
    _sub,
    _x,
)

__all__ = ["Rounding", "round_number", "round_sql"]

SIGNIFICANT_DIGITS = 15
_LARGEST_DOUBLE = 1.7976931348623157e308
_SMALLEST_DOUBLE = 5e-324
_MAX_DIGITS = 308
_ALIAS = "dax_rounding"  # the steps' table alias; the compiler's own aliases never take it
_SPLIT = 300  # 10^300 is a double; 10^309 is not


class Rounding(Enum):
    """Which way a dropped remainder goes."""

    HALF_AWAY = "half away from zero"  # ROUND
    UP = "away from zero"  # ROUNDUP
    DOWN = "toward zero"  # ROUNDDOWN, TRUNC

    @property
    def _decimal_mode(self) -> str:
        return {Rounding.HALF_AWAY: ROUND_HALF_UP, Rounding.UP: ROUND_UP, Rounding.DOWN: ROUND_DOWN}[self]


def round_number(x: float, digits: int, how: Rounding = Rounding.HALF_AWAY) -> float:
    """``x`` rounded to ``digits`` decimals (negative: left of the point; taken within ±308) the way DAX rounds: on
    its 15 significant decimal digits. Infinity and NaN are returned unchanged; when the rounding drops no digit, the
    result is the 15-digit value itself."""
    digits = max(-_MAX_DIGITS, min(_MAX_DIGITS, digits))
    if not math.isfinite(x):
        return x
    if x == 0:
        return 0.0
    shown = Decimal(f"{x:.{SIGNIFICANT_DIGITS - 1}e}")
    dropped = (SIGNIFICANT_DIGITS - 1 - shown.adjusted()) - digits
    if dropped <= 0:
        return float(shown)
    with localcontext() as context:
        context.prec = 2 * SIGNIFICANT_DIGITS
        if dropped > SIGNIFICANT_DIGITS:
            # every digit is dropped: the result is 0, or one unit of the last kept place for ROUNDUP
            result = Decimal(0) if how is not Rounding.UP else Decimal(1).scaleb(-digits).copy_sign(shown)
        else:
            result = shown.quantize(Decimal(1).scaleb(-digits), rounding=how._decimal_mode)
    value = float(result)
    return 0.0 if value == 0 else value


def _power_of_ten(exponent: exp.Expression) -> exp.Expression:
    return _x(exp.Pow, this=_double(10.0), expression=exponent)


def _times_ten_to(value: exp.Expression, exponent: int | exp.Expression) -> exp.Expression:
    """``value · 10^exponent``, rounded once while 10^|exponent| is exact (up to 10^22).

    A constant exponent is a multiplication or a division by a constant. An SQL exponent ``k`` gives
    ``value · 10^max(k, 0) / 10^max(-k, 0)``, where one of the two powers is 1 (so still one rounding) and ``k``
    appears twice, not once per CASE branch; past ±300 each power is split in two so that it does not overflow."""
    if isinstance(exponent, int):
        if abs(exponent) > _SPLIT:
            split = _SPLIT if exponent > 0 else -_SPLIT
            return _times_ten_to(_times_ten_to(value, split), exponent - split)
        return _div(value, _double(10.0**-exponent)) if exponent < 0 else _mul(value, _double(10.0**exponent))

    def power(k: exp.Expression) -> exp.Expression:
        up_to_split = _func("least", _func("greatest", k, _int(0)), _int(_SPLIT))
        beyond = _func("greatest", _sub(k, _int(_SPLIT)), _int(0))
        return _mul(_power_of_ten(up_to_split), _power_of_ten(beyond))

    return _div(_mul(value, power(exponent)), power(_x(exp.Neg, this=_p(exponent))))


def _negated(value: int | exp.Expression) -> int | exp.Expression:
    return -value if isinstance(value, int) else _x(exp.Neg, this=_p(value))


def _column(name: str) -> exp.Column:
    return exp.column(name, table=_ALIAS)


def _step(columns: list[tuple[str, exp.Expression]], source: exp.Expression | None) -> exp.Subquery:
    """``(SELECT expr AS name, … [FROM source]) AS <alias>``: one step of the computation, whose columns the next
    step reads by name (so that each intermediate value is written once in the SQL)."""
    select = exp.select(*(exp.alias_(sql, name) for name, sql in columns))
    if source is not None:
        select = select.from_(source)
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(_ALIAS)))


def round_sql(x: exp.Expression, digits: int | exp.Expression, how: Rounding = Rounding.HALF_AWAY) -> exp.Expression:
    """SQL rounding the DOUBLE ``x`` to ``digits`` decimals the way DAX does (see the module's docstring); ``digits``
    is a constant or an INTEGER SQL expression, taken within a double's exponent range (±308). NULL stays NULL.

    A constant ``x`` with constant digits is folded (:func:`round_number`). Otherwise the result is a scalar subquery
    over four nested single-row steps (x and digits; the scale s; N and p; the kept q), so that each is computed
    once; it reads outer columns only through ``x`` and ``digits``."""
    constant = _static_number(x)
    if constant is not None and isinstance(digits, int):
        return _double(round_number(constant, digits, how))
    if isinstance(digits, int):
        digits = max(-_MAX_DIGITS, min(_MAX_DIGITS, digits))
        inputs = [("x", x)]
    else:
        inputs = [("x", x), ("d", _func("greatest", _int(-_MAX_DIGITS), _func("least", _int(_MAX_DIGITS), digits)))]
    value = _column("x")
    d: int | exp.Expression = digits if isinstance(digits, int) else _column("d")
    magnitude = _x(exp.Abs, this=value)
    positive = _func("greatest", magnitude, _double(_SMALLEST_DOUBLE))  # LOG10(0) is -inf; 0 is handled below
    s = _sub(_int(SIGNIFICANT_DIGITS - 1), _x(exp.Floor, this=_func("log10", positive)))
    carried = [(name, _column(name)) for name, _ in inputs]
    scaled = _step([*carried, ("s", s)], _step(inputs, None))
    whole = _x(exp.Floor, this=_add(_times_ten_to(magnitude, _column("s")), _double(0.5)))
    dropped = _sub(_column("s"), _int(d) if isinstance(d, int) else d)
    steps = _step([*carried, ("s", _column("s")), ("n", whole), ("p", dropped)], scaled)
    n, p, s = _column("n"), _column("p"), _column("s")
    unit = _power_of_ten(p)
    if how is Rounding.HALF_AWAY:
        kept = _x(exp.Floor, this=_div(_add(n, _mul(_double(5.0), _power_of_ten(_sub(p, _int(1))))), unit))
    elif how is Rounding.UP:
        kept = _x(exp.Ceil, this=_div(n, unit))
    else:
        kept = _x(exp.Floor, this=_div(n, unit))
    steps = _step([*carried, ("s", s), ("n", n), ("p", p), ("q", kept)], steps)
    q = _column("q")
    everything_dropped = _times_ten_to(_func("sign", value), _negated(d)) if how is Rounding.UP else _double(0.0)
    with_sign = _func("sign", value)
    nothing_dropped = _or(
        _x(exp.LTE, this=_p(p), expression=_int(0)),
        _and(_x(exp.EQ, this=_p(p), expression=_int(1)),
             _x(exp.GTE, this=_p(n), expression=_double(10.0**SIGNIFICANT_DIGITS))),
    )
    result = _case(
        [
            (_x(exp.Not, this=_p(_x(exp.LTE, this=_p(magnitude), expression=_double(_LARGEST_DOUBLE)))), value),
            (_x(exp.EQ, this=_p(magnitude), expression=_int(0)), _double(0.0)),
            (nothing_dropped, _mul(with_sign, _times_ten_to(n, _negated(s)))),
            (_x(exp.GT, this=_p(p), expression=_int(SIGNIFICANT_DIGITS)), everything_dropped),
            (_x(exp.EQ, this=_p(q), expression=_int(0)), _double(0.0)),
        ],
        _mul(with_sign, _times_ten_to(q, _negated(d))),
    )
    return exp.Subquery(this=exp.select(result).from_(steps))
