"""DAX's ROUND, ROUNDUP, ROUNDDOWN, TRUNC (and FIXED, CONVERT to INTEGER/CURRENCY) computed as Power BI computes
them: on the decimal value as DAX shows it (15 significant digits), halves away from zero — whatever the
database's own ROUND does with binary doubles (DuckDB 2.0.1 rounds the double 2.15 to 2.1; Desktop gives 2.2).

Expected values come from the Desktop probes (``ROUND(2.15, 1) = 2.2``, ``ROUND(-1.5, 0) = -2``, ``TRUNC(2.19, 1)``
…) or from DAX's documented rule applied to the decimal literal with :mod:`decimal` (an oracle that shares no code
with the engine). Each case runs three ways through the engine: literal arguments, the value read from a column
with constant digits, and both read from columns (digits only known when the query runs).
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext

import duckdb
import pytest
from sqlglot import exp

from generator.engine.model import EngineColumn, EngineModel, EngineTable
from generator.engine.rounding import Rounding, round_number
from generator.engine.run import Engine
from generator.engine.values import DaxType

MODES = {"ROUND": ROUND_HALF_UP, "ROUNDUP": ROUND_UP, "ROUNDDOWN": ROUND_DOWN}

# (function, number as DAX writes it, digits, expected); "probe" marks the Desktop-captured ones.
CASES: list[tuple[str, str, int, float]] = [
    ("ROUND", "2.15", 1, 2.2),  # probe; the double is 2.1499999999999999
    ("ROUND", "1.5", 0, 2.0),  # probe
    ("ROUND", "-1.5", 0, -2.0),  # probe
    ("ROUND", "2.5", 0, 3.0),  # probe
    ("ROUND", "-2.5", 0, -3.0),  # probe
    ("ROUND", "123.456", 2, 123.46),  # probe
    ("ROUND", "1234", -2, 1200.0),  # probe
    ("ROUND", "1.005", 2, 1.01),  # the double is 1.00499999999999989
    ("ROUND", "2.675", 2, 2.68),  # the double is 2.67499999999999982
    ("ROUND", "-2.675", 2, -2.68),
    ("ROUND", "1.255", 2, 1.26),
    ("ROUND", "-0.5", 0, -1.0),
    ("ROUND", "0.5", 0, 1.0),
    ("ROUND", "-0.4", 0, 0.0),
    ("ROUND", "0.285", 2, 0.29),
    ("ROUND", "8.325", 2, 8.33),
    ("ROUND", "1234.5678", -2, 1200.0),
    ("ROUND", "-1250", -2, -1300.0),
    ("ROUND", "150", -2, 200.0),
    ("ROUND", "49", -2, 0.0),
    ("ROUND", "500000000000000000000", -21, 1e21),
    ("ROUND", "123456789012345678", -3, 123456789012346000.0),
    ("ROUND", "0.000000000123456789", 12, 1.23e-10),
    ("ROUND", "1.23456789", 20, 1.23456789),
    ("ROUND", "3.14159", -5, 0.0),
    ("ROUND", "0", 2, 0.0),
    ("ROUNDUP", "2.15", 1, 2.2),
    ("ROUNDUP", "2.2", 1, 2.2),  # 2.2 · 10 is 22.000000000000004 in binary
    ("ROUNDUP", "3.14159", 3, 3.142),
    ("ROUNDUP", "-3.14159", 1, -3.2),
    ("ROUNDUP", "31415.92654", -2, 31500.0),
    ("ROUNDUP", "0.001", 0, 1.0),
    ("ROUNDUP", "-0.001", -3, -1000.0),
    ("ROUNDDOWN", "0.29", 2, 0.29),  # 0.29 · 100 is 28.999999999999996 in binary
    ("ROUNDDOWN", "3.14159", 3, 3.141),
    ("ROUNDDOWN", "-3.14159", 1, -3.1),
    ("ROUNDDOWN", "31415.92654", -2, 31400.0),
    ("ROUNDDOWN", "2.19", 1, 2.1),
    ("ROUNDDOWN", "4.35", 2, 4.35),
]


def documented(function: str, number: str, digits: int) -> float:
    """DAX's rule on the decimal literal: half away from zero (ROUND), away (ROUNDUP), toward zero (ROUNDDOWN)."""
    with localcontext() as context:
        context.prec = 100
        return float(Decimal(number).quantize(Decimal(1).scaleb(-digits), rounding=MODES[function]))


@pytest.mark.parametrize(("function", "number", "digits", "want"), CASES)
def test_cases_follow_the_documented_rule(function: str, number: str, digits: int, want: float) -> None:
    """The table itself is right: every expected value is DAX's rule applied to the decimal number."""
    assert documented(function, number, digits) == want


MODEL = EngineModel(tables=(
    EngineTable("N", "numbers", (EngineColumn("Id", DaxType.INTEGER, "id"), EngineColumn("X", DaxType.DOUBLE, "x"),
                                 EngineColumn("D", DaxType.INTEGER, "d"))),
), relationships=(), measures=())


def make_engine(rows: list[tuple[int, float, int]]) -> Engine:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE numbers (id BIGINT, x DOUBLE, d BIGINT)")
    connection.executemany("INSERT INTO numbers VALUES (?, ?, ?)", rows)
    return Engine(MODEL, connection)


@pytest.fixture(scope="module")
def cases_engine() -> Engine:
    return make_engine([(i, float(number), digits) for i, (_, number, digits, _) in enumerate(CASES)])


@pytest.fixture(scope="module")
def case_results(cases_engine: Engine) -> dict[int, tuple[float, float, float]]:
    """Each case evaluated three ways, in three queries: literal arguments (one ROW); the number read from the
    column with constant digits (one column per case over every row, of which the case's own row is kept); both
    read from columns."""
    literals = ", ".join(f'"{i}", {f}({n}, {d})' for i, (f, n, d, _) in enumerate(CASES))
    (literal,) = cases_engine.query(f"EVALUATE ROW({literals})")
    constants = ", ".join(f'"{i}", {f}(N[X], {d})' for i, (f, _, d, _) in enumerate(CASES))
    (constant,) = cases_engine.query(f'EVALUATE SELECTCOLUMNS(N, "Id", N[Id], {constants})')
    both = {}
    for function in MODES:
        (columns,) = cases_engine.query(f'EVALUATE SELECTCOLUMNS(N, "Id", N[Id], "v", {function}(N[X], N[D]))')
        both.update({row[0]: row[1] for row in columns.rows if CASES[row[0]][0] == function})
    by_id = {row[0]: row for row in constant.rows}
    return {i: (literal.rows[0][i], by_id[i][i + 1], both[i]) for i in range(len(CASES))}


@pytest.mark.parametrize(("index", "function", "number", "digits", "want"),
                         [(i, *case) for i, case in enumerate(CASES)],
                         ids=[f"{f}({n}, {d})" for f, n, d, _ in CASES])
def test_engine_rounds_like_dax(case_results: dict[int, tuple[float, float, float]], index: int, function: str,
                                number: str, digits: int, want: float) -> None:
    assert case_results[index] == (want, want, want), (function, number, digits)


def test_trunc_is_rounddown(cases_engine: Engine) -> None:
    """TRUNC(x, d) cuts toward zero on the shown decimal, as ROUNDDOWN (Desktop: TRUNC(2.19, 1) = 2.1)."""
    values = [cases_engine.evaluate(text) for text in
              ("TRUNC(2.9)", "TRUNC(-2.9)", "TRUNC(2.19, 1)", "TRUNC(-2.19, 1)", "TRUNC(0.29, 2)", "TRUNC(1234, -2)")]
    assert values == [2.0, -2.0, 2.1, -2.1, 0.29, 1200.0]


def test_conversions_round_like_round(cases_engine: Engine) -> None:
    """CONVERT to INTEGER rounds half away from zero, CURRENCY keeps 4 decimals, FIXED rounds before writing."""
    assert cases_engine.evaluate("CONVERT(2.5, INTEGER)") == 3
    assert cases_engine.evaluate("CONVERT(-2.5, INTEGER)") == -3
    assert cases_engine.evaluate("CONVERT(1.00005, CURRENCY)") == pytest.approx(1.0001, abs=0)
    assert cases_engine.evaluate("FIXED(2.15, 1)") == "2.2"
    assert cases_engine.evaluate("FIXED(1.005, 2)") == "1.01"
    assert cases_engine.evaluate("FIXED(-1234.5, 0)") == "-1,235"


def test_blank_infinity_and_nan_pass_through(cases_engine: Engine) -> None:
    assert cases_engine.evaluate("ROUND(BLANK(), 2)") is None
    assert cases_engine.evaluate("ROUND(1 / 0, 2)") == math.inf
    assert cases_engine.evaluate("ROUNDUP(-1 / 0, 2)") == -math.inf
    assert math.isnan(cases_engine.evaluate("ROUNDDOWN(0 / 0, 2)"))


def test_the_sql_never_uses_the_database_round(cases_engine: Engine) -> None:
    """The database's ROUND is what changed between DuckDB releases: none of the rounding functions may use it."""
    query = ('EVALUATE ROW("a", ROUND(N[X] + 0, 1), "b", ROUNDUP(2.5, 0), "c", ROUNDDOWN(2.5, 0), "d", TRUNC(2.5, 1), '
             '"e", FIXED(2.5, 1), "f", CONVERT(2.5, INTEGER), "g", CONVERT(2.5, CURRENCY), '
             '"h", DATE(2024.5, 1, 1), "i", MAXX(N, ROUND(N[X], N[D])))')
    query = query.replace("N[X] + 0", "2.5")
    for statement in cases_engine.compile(query):
        assert not list(statement.sql.find_all(exp.Round))
        for dialect in ("duckdb", "tsql", "postgres"):
            assert "ROUND(" not in statement.sql.sql(dialect=dialect).upper()


def random_decimals(count: int, seed: int) -> list[tuple[str, int]]:
    """Decimal numbers of 1 to 15 significant digits over magnitudes 1e-9 to 1e17, with digits -18..18, many of
    them exact halves at the rounded place (the cases binary doubles get wrong)."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        significant = rng.randint(1, 15)
        mantissa = rng.randint(10 ** (significant - 1), 10**significant - 1)
        exponent = rng.randint(-8 - significant, 17 - significant)
        number = Decimal(mantissa).scaleb(exponent) * rng.choice((1, -1))
        digits = rng.randint(-18, 18)
        if rng.random() < 0.5:  # put a 5 exactly at the first dropped place
            digits = -(exponent + 1)
            number = Decimal(mantissa - mantissa % 10 + 5).scaleb(exponent).copy_sign(number)
        cases.append((str(number), digits))
    return cases


def test_random_decimals_match_the_documented_rule() -> None:
    """3,000 random decimal numbers (written with at most 15 significant digits, as DAX holds them) rounded by the
    engine's SQL, with digits from a column, equal DAX's rule on the decimal itself; the Python folding of
    constants (round_number) agrees too."""
    cases = random_decimals(3000, seed=20261202)
    engine = make_engine([(i, float(number), digits) for i, (number, digits) in enumerate(cases)])
    query = ('EVALUATE SELECTCOLUMNS(N, "Id", N[Id], "ROUND", ROUND(N[X], N[D]), "ROUNDUP", ROUNDUP(N[X], N[D]), '
             '"ROUNDDOWN", ROUNDDOWN(N[X], N[D]))')
    (result,) = engine.query(query)
    wrong = []
    for row in sorted(result.rows):
        number, digits = cases[row[0]]
        for function, got in zip(("ROUND", "ROUNDUP", "ROUNDDOWN"), row[1:], strict=True):
            want = documented(function, number, digits)
            python = round_number(float(number), digits, {"ROUND": Rounding.HALF_AWAY, "ROUNDUP": Rounding.UP,
                                                          "ROUNDDOWN": Rounding.DOWN}[function])
            if not (got == want == python):
                wrong.append(f"{function}({number}, {digits}) = {got!r} (SQL), {python!r} (Python), want {want!r}")
    assert not wrong, f"{len(wrong)} wrong, e.g. {wrong[:5]}"


def agrees(got: float, want: float, x: float, digits: int) -> bool:
    """Equal while every power of ten the SQL scales by is exact (1e-8 <= |x| < 1e23, |digits| <= 22); beyond, the
    scaling rounds twice and may move the 15th digit, or the rounded place, by one unit."""
    if got == want:
        return True
    exact_scaling = x == 0 or (-8 <= math.floor(math.log10(abs(x))) <= 22 and abs(digits) <= 22)
    if exact_scaling:
        return False
    return abs(got - want) <= max(2e-14 * abs(want), 1.000001 * 10.0**-digits)


def test_random_doubles_sql_equals_python() -> None:
    """Arbitrary doubles (17 significant digits, far beyond what DAX shows), huge and tiny magnitudes and digits:
    the SQL and the Python rule agree on every one (see :func:`agrees` for magnitudes past 10^±22)."""
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) * 10.0 ** rng.randint(-300, 300) for _ in range(1500)]
    values += [float(f"{v:.15g}") for v in values[:300]] + [9.999999999999999e22, 1e22, 5e-324, -1e-310, 1e308]
    rows = [(i, v, rng.randint(-320, 320) if i % 3 == 0 else rng.randint(-20, 20)) for i, v in enumerate(values)]
    engine = make_engine(rows)
    (result,) = engine.query('EVALUATE SELECTCOLUMNS(N, "Id", N[Id], "a", ROUND(N[X], N[D]), '
                             '"b", ROUNDUP(N[X], N[D]), "c", ROUNDDOWN(N[X], N[D]))')
    wrong = []
    for row in result.rows:
        _, x, digits = rows[row[0]]
        for how, got in zip(Rounding, row[1:], strict=True):
            want = round_number(x, max(-308, min(308, digits)), how)
            if not agrees(got, want, x, max(-308, min(308, digits))):
                wrong.append(f"{how.name}({x!r}, {digits}) = {got!r}, Python {want!r}")
    assert not wrong, f"{len(wrong)} disagree, e.g. {wrong[:5]}"
