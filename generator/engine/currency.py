"""Fixed-decimal numbers (DAX's Currency, Power BI's "Fixed decimal number"; :attr:`DaxType.DECIMAL`) in arithmetic.

Currency is "a 64-bit integer value divided by 10,000" (DAX Guide, Currency): four decimal places, kept exactly.
The engine computes with DOUBLEs and brings every Currency result back to four decimals:

* Result types follow Microsoft's table of implicit conversions (Analysis Services, "Data types supported in
  tabular models", tables for + − × ÷; INTEGER, CURRENCY and REAL): ``+``/``−``: INTEGER with CURRENCY and
  CURRENCY with CURRENCY give CURRENCY, REAL with CURRENCY gives REAL; ``×``: INTEGER or REAL with CURRENCY give
  CURRENCY, CURRENCY × CURRENCY gives REAL; ``÷``: CURRENCY ÷ INTEGER, INTEGER ÷ CURRENCY and CURRENCY ÷ REAL give
  CURRENCY, CURRENCY ÷ CURRENCY and REAL ÷ CURRENCY give REAL. (DAX Guide's page on Currency says instead that
  multiplication and division "produce a floating-point value"; the engine follows Microsoft's table.)
* A Currency result is rounded to four decimals half away from zero, as CURRENCY() converts ("rounds up the 5th
  significant decimal"): ``CURRENCY(1.5) * 0.33333`` is 0.5, not 0.499995. A zero divisor keeps DAX's
  ±Infinity/NaN.
* SUM of a Currency column (and SUMX of a Currency expression) adds the values as whole ten-thousandths, exactly:
  SUM over 0.1 and 0.2 is 0.3, not 0.30000000000000004.
"""

from __future__ import annotations

from sqlglot import exp

from generator.engine.rounding import round_sql
from generator.engine.values import DaxType

_T = DaxType
_SCALE = 10_000

#: (operator, left, right) → result, where CURRENCY takes part and the pair is not CURRENCY with itself or REAL
#: under + and −; every other pair follows :func:`arithmetic_type`'s general rule.
_TABLE: dict[tuple[str, DaxType, DaxType], DaxType] = {
    ("*", _T.DECIMAL, _T.DECIMAL): _T.DOUBLE,
    ("*", _T.DECIMAL, _T.DOUBLE): _T.DECIMAL,
    ("*", _T.DOUBLE, _T.DECIMAL): _T.DECIMAL,
    ("/", _T.DECIMAL, _T.DECIMAL): _T.DOUBLE,
    ("/", _T.DECIMAL, _T.INTEGER): _T.DECIMAL,
    ("/", _T.INTEGER, _T.DECIMAL): _T.DECIMAL,
    ("/", _T.DECIMAL, _T.DOUBLE): _T.DECIMAL,
    ("/", _T.DOUBLE, _T.DECIMAL): _T.DOUBLE,
}


def arithmetic_type(op: str, left: DaxType, right: DaxType) -> DaxType:
    """The DAX type of ``left op right`` (``op`` one of ``+ - * /``) for numeric or BLANK operands (BLANK takes the
    other side's type; both BLANK → BLANK)."""
    if left is _T.BLANK or right is _T.BLANK:
        other = right if left is _T.BLANK else left
        return _T.DOUBLE if op == "/" and other is not _T.BLANK and other is not _T.DECIMAL else other
    if (op, left, right) in _TABLE:
        return _TABLE[(op, left, right)]
    if op == "/":
        return _T.DOUBLE
    if _T.DOUBLE in (left, right):
        return _T.DOUBLE
    if _T.DECIMAL in (left, right):
        return _T.DECIMAL
    return _T.INTEGER


def to_four_decimals(sql: exp.Expression, divisor: exp.Expression | None = None) -> exp.Expression:
    """The DOUBLE ``sql`` rounded to four decimals half away from zero; with ``divisor``, a quotient whose zero
    divisor keeps its IEEE value (±Infinity, NaN) unrounded."""
    rounded = round_sql(sql, 4)
    if divisor is None:
        return rounded
    zero = exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=zero, true=sql.copy())], default=rounded)


def exact_sum(value: exp.Expression) -> exp.Expression:
    """SUM of Currency values as whole ten-thousandths (BIGINT, exact), back to a DOUBLE; NULL over no values."""
    # the scaled values are whole numbers up to a double's error: the nearest one, in SQL every database takes
    scaled = exp.Floor(
        this=exp.Add(
            this=exp.Mul(this=value, expression=exp.Literal.number(_SCALE)), expression=exp.Literal.number(0.5)
        )
    )
    total = exp.Sum(this=exp.cast(scaled, exp.DataType.build("BIGINT")))
    return exp.Div(this=exp.cast(total, exp.DataType.build("DOUBLE")), expression=exp.Literal.number(_SCALE))
