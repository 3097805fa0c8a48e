"""Everyday real-world DAX the engine used to refuse (issue 22), on a small table with values computed by hand.

``Sales`` (5 rows):

====  ======  ======  ===  ==========
Id    Region  Amount  Qty  OrderDate
====  ======  ======  ===  ==========
1     North   10.00   1    2024-01-15
2     North   20.00   2    2024-03-10
3     South   30.00   3    2024-06-30
4     South   40.00   4    2024-07-01
5     East    50.00   5    2024-12-31
====  ======  ======  ===  ==========

``Date``: every day from 2023-07-01 to 2025-06-30, marked as the date table; Sales[OrderDate] → Date[Date].
Measures live on ``Sales``; ``[Unqualified]`` is ``SUM ( [Amount] )`` (a column of its home table, unqualified).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineColumn, EngineMeasure, EngineModel, EngineRelationship, EngineTable
from generator.engine.run import Engine
from generator.engine.values import DaxType

T = DaxType
ROWS = [(1, "North", 10, 1, "2024-01-15"), (2, "North", 20, 2, "2024-03-10"), (3, "South", 30, 3, "2024-06-30"),
        (4, "South", 40, 4, "2024-07-01"), (5, "East", 50, 5, "2024-12-31")]

MODEL = EngineModel(
    tables=(
        EngineTable("Sales", "sales", tuple(EngineColumn(name, dax_type, name) for name, dax_type in (
            ("Id", T.INTEGER), ("Region", T.STRING), ("Amount", T.DECIMAL), ("Qty", T.INTEGER),
            ("OrderDate", T.DATETIME)))),
        EngineTable("Date", "date_table", (EngineColumn("Date", T.DATETIME, "Date"),
                                           EngineColumn("Year", T.INTEGER, "Year")), date_column="Date"),
    ),
    relationships=(EngineRelationship("Sales", "OrderDate", "Date", "Date"),),
    measures=(
        EngineMeasure("Total", "Sales", "SUM ( Sales[Amount] )"),
        EngineMeasure("Unqualified", "Sales", "SUM ( [Amount] )"),
        EngineMeasure("Unqualified X", "Sales", "SUMX ( Sales, [Amount] * [Qty] )"),
    ),
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE sales (Id BIGINT, Region VARCHAR, Amount DECIMAL(18, 2), Qty BIGINT, "
                       "OrderDate DATE)")
    connection.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?)", ROWS)
    connection.execute("CREATE TABLE date_table AS SELECT d::DATE AS Date, year(d) AS Year FROM "
                       "generate_series(DATE '2023-07-01', DATE '2025-06-30', INTERVAL 1 DAY) t(d)")
    yield Engine(MODEL, connection)
    connection.close()


def value(engine: Engine, expression: str) -> Any:
    return engine.evaluate(expression)


def rows(engine: Engine, query: str) -> list[tuple[Any, ...]]:
    (result,) = engine.query(query)
    return list(result.rows)


# ------------------------------------------------------------------------------------------------- syntax


def test_exponent_and_datetime_literals(engine: Engine) -> None:
    assert value(engine, "3.1E-1 * 1e2") == pytest.approx(31.0)
    assert value(engine, 'dt"2015-01-09"') == dt.datetime(2015, 1, 9)
    assert value(engine, 'dt"2015-01-09T10:30:00" - dt"2015-01-09"') == pytest.approx(0.4375)
    assert value(engine, 'CALCULATE ( [Total], Sales[OrderDate] >= dt"2024-06-30" )') == 120


def test_semicolon_separators(engine: Engine) -> None:
    assert rows(engine, 'EVALUATE ROW ( "v"; CALCULATE ( [Total]; Sales[Region] = "North" ) * 1,5 )') == [(45,)]


def test_bad_datetime_literal(engine: Engine) -> None:
    with pytest.raises(DaxEngineError, match=r'dt"2015-13-01" is not a date and time'):
        value(engine, 'dt"2015-13-01"')


def test_parameters(engine: Engine) -> None:
    query = 'EVALUATE ROW ( "v", CALCULATE ( [Total], Sales[Region] = @region, Sales[Qty] >= @qty ) )'
    with_values = Engine(MODEL, engine.connection, parameters={"region": "South", "qty": "4"})
    assert rows(with_values, query) == [(40,)]
    with pytest.raises(DaxEngineError, match=r"@region has no value"):
        engine.query(query)


def test_user_defined_functions_evaluate(engine: Engine) -> None:
    query = """
    DEFINE
        FUNCTION WithTax = ( amount : NUMERIC, rate : NUMERIC ) => amount * ( 1 + rate )
        FUNCTION ShareOfAll = ( m : SCALAR EXPR ) => DIVIDE ( m, CALCULATE ( m, REMOVEFILTERS ( Sales ) ) )
        FUNCTION Frozen = ( m : SCALAR VAL ) => DIVIDE ( m, CALCULATE ( m, REMOVEFILTERS ( Sales ) ) )
        TABLE 'Big Sales' = FILTER ( Sales, Sales[Amount] >= 30 )
    EVALUATE
    SUMMARIZECOLUMNS ( Sales[Region], "tax", WithTax ( [Total], 0.5 ), "share", ShareOfAll ( [Total] ),
                       "frozen", Frozen ( [Total] ), "big", COUNTROWS ( 'Big Sales' ) )
    ORDER BY Sales[Region]
    """
    # EXPR: the measure is evaluated again inside CALCULATE (share of 150); VAL: once, in the caller's
    # context, so CALCULATE cannot change it (always 1).
    assert rows(engine, query) == [("East", 75, 50 / 150, 1.0, 3), ("North", 45, 30 / 150, 1.0, 3),
                                   ("South", 105, 70 / 150, 1.0, 3)]


def test_query_cli_param(cli) -> None:
    result = cli("query", "--sql", 'EVALUATE FILTER ( BI_Date, BI_Date[year] = @year )', "--param", "year=2026")
    assert result.code == 0, result.err
    assert "2026" in result.out
    bad = cli("query", "--sql", "EVALUATE { 1 }", "--param", "year")
    assert bad.code != 0 and "--param 'year': expected NAME=VALUE" in bad.err and "Traceback" not in bad.err
    missing = cli("query", "--sql", 'EVALUATE ROW ( "v", @year )')
    assert missing.code != 0 and "1:21" in missing.err and "@year has no value" in missing.err


# ------------------------------------------------------------------------------------------ precise refusals


def test_unknown_table_function_as_a_filter_is_named(engine: Engine) -> None:
    with pytest.raises(Unsupported) as caught:
        value(engine, "CALCULATE ( [Total], FOOBARTABLE ( Sales ) )")
    assert str(caught.value) == "unsupported: FOOBARTABLE at 1:44"  # after 'EVALUATE ROW ( "Value", '


@pytest.mark.parametrize(("year_end", "message"), [
    ('"June"', "unsupported: DATESYTD year-end 'June' (write it as \"6-30\", month-day) at 1:69"),
    ('"2-30"', "unsupported: DATESYTD year-end '2-30' (not a day of the year) at 1:69"),
    ("Sales[Region]", "unsupported: DATESYTD with a year-end that is not a text literal at 1:69"),
])
def test_bad_year_end_is_named(engine: Engine, year_end: str, message: str) -> None:
    with pytest.raises(Unsupported) as caught:
        value(engine, f"CALCULATE ( [Total], DATESYTD ( 'Date'[Date], {year_end} ) )")
    assert str(caught.value) == message


# --------------------------------------------------------------------------------------- time intelligence

def at(day: str, expression: str) -> str:
    """``expression`` evaluated with the one day ``day`` in context (the inner CALCULATE reads that context)."""
    y, m, d = (int(part) for part in day.split("-"))
    return f"CALCULATE ( {expression}, 'Date'[Date] = DATE ( {y}, {m}, {d} ) )"


@pytest.mark.parametrize(("day", "expression", "expected"), [
    # DATESYTD with a year-end: 6-30 ends a year, 7-01 starts one
    ("2024-06-30", "CALCULATE ( [Total], DATESYTD ( 'Date'[Date], \"6-30\" ) )", 60),  # 10 + 20 + 30
    ("2024-07-01", "CALCULATE ( [Total], DATESYTD ( 'Date'[Date], \"06/30\" ) )", 40),
    ("2024-12-31", "TOTALYTD ( [Total], 'Date'[Date], \"6-30\" )", 90),  # 40 + 50
    ("2024-12-31", "TOTALYTD ( [Total], 'Date'[Date], Sales[Region] = \"East\", \"2024-06-30\" )", 50),
    ("2024-12-31", "TOTALYTD ( [Total], 'Date'[Date] )", 150),
    ("2025-01-01", "CALCULATE ( [Total], PREVIOUSYEAR ( 'Date'[Date] ) )", 150),
    ("2025-01-01", "CALCULATE ( [Total], PREVIOUSYEAR ( 'Date'[Date], \"6-30\" ) )", 60),
    ("2024-02-10", "CALCULATE ( [Total], NEXTMONTH ( 'Date'[Date] ) )", 20),
    ("2024-05-10", "CALCULATE ( [Total], NEXTQUARTER ( 'Date'[Date] ) )", 40),
    ("2023-08-01", "CALCULATE ( [Total], NEXTYEAR ( 'Date'[Date] ) )", 150),
    ("2024-07-02", "CALCULATE ( [Total], PREVIOUSDAY ( 'Date'[Date] ) )", 40),
    ("2024-06-29", "CALCULATE ( [Total], NEXTDAY ( 'Date'[Date] ) )", 30),
    ("2024-08-10", "CALCULATE ( MAX ( 'Date'[Date] ), STARTOFQUARTER ( 'Date'[Date] ) )", dt.datetime(2024, 7, 1)),
    ("2024-02-10", "CALCULATE ( MAX ( 'Date'[Date] ), ENDOFMONTH ( 'Date'[Date] ) )", dt.datetime(2024, 2, 29)),
    ("2024-02-10", "CALCULATE ( MAX ( 'Date'[Date] ), STARTOFYEAR ( 'Date'[Date] ) )", dt.datetime(2024, 1, 1)),
    ("2024-08-10", "CALCULATE ( MAX ( 'Date'[Date] ), ENDOFYEAR ( 'Date'[Date], \"6-30\" ) )",
     dt.datetime(2025, 6, 30)),
    ("2024-08-10", "CALCULATE ( MAX ( 'Date'[Date] ), ENDOFQUARTER ( 'Date'[Date] ) )", dt.datetime(2024, 9, 30)),
    ("2024-08-10", "CALCULATE ( MAX ( 'Date'[Date] ), STARTOFMONTH ( 'Date'[Date] ) )", dt.datetime(2024, 8, 1)),
])
def test_time_intelligence(engine: Engine, day: str, expression: str, expected: Any) -> None:
    assert value(engine, at(day, expression)) == expected


@pytest.mark.parametrize(("day", "expression", "expected"), [
    # CLOSINGBALANCE…: the last date of the period; OPENINGBALANCE…: the day before the period starts
    ("2024-06-10", "CLOSINGBALANCEMONTH ( [Total], 'Date'[Date] )", 30),  # 2024-06-30
    ("2024-07-10", "OPENINGBALANCEMONTH ( [Total], 'Date'[Date] )", 30),  # 2024-06-30
    ("2024-08-10", "OPENINGBALANCEQUARTER ( [Total], 'Date'[Date] )", 30),  # 2024-06-30
    ("2024-05-10", "CLOSINGBALANCEQUARTER ( [Total], 'Date'[Date] )", 30),  # 2024-06-30
    ("2024-01-10", "CLOSINGBALANCEYEAR ( [Total], 'Date'[Date] )", 50),  # 2024-12-31
    ("2024-01-10", "CLOSINGBALANCEYEAR ( [Total], 'Date'[Date], \"6-30\" )", 30),  # 2024-06-30
    ("2024-08-10", "OPENINGBALANCEYEAR ( [Total], 'Date'[Date], Sales[Region] = \"South\", \"6-30\" )", 30),
    ("2024-08-10", "OPENINGBALANCEYEAR ( [Total], 'Date'[Date], Sales[Region] = \"North\", \"6-30\" )", None),
    ("2024-12-01", "CLOSINGBALANCEMONTH ( [Total], 'Date'[Date], Sales[Region] = \"East\" )", 50),
    ("2024-08-10", "CALCULATE ( MAX ( 'Date'[Date] ), PREVIOUSDAY ( STARTOFMONTH ( 'Date'[Date] ) ) )",
     dt.datetime(2024, 7, 31)),
    ("2024-08-10", "CALCULATE ( MIN ( 'Date'[Date] ), STARTOFMONTH ( DATESYTD ( 'Date'[Date] ) ) )",
     dt.datetime(2024, 1, 1)),
])
def test_balances_and_table_arguments(engine: Engine, day: str, expression: str, expected: Any) -> None:
    assert value(engine, at(day, expression)) == expected


def test_startof_over_the_whole_column(engine: Engine) -> None:
    # no filter: the first date of the column is 2023-07-01; its year's first date in the column is that day
    assert value(engine, "CALCULATE ( MAX ( 'Date'[Date] ), STARTOFYEAR ( 'Date'[Date] ) )") == dt.datetime(2023, 7, 1)
    assert value(engine, "CALCULATE ( MAX ( 'Date'[Date] ), ENDOFYEAR ( 'Date'[Date] ) )") == dt.datetime(2025, 6, 30)


def test_year_to_date_by_month_with_a_year_end(engine: Engine) -> None:
    query = """EVALUATE SUMMARIZECOLUMNS ( 'Date'[Year], "ytd",
                   CALCULATE ( [Total], DATESYTD ( 'Date'[Date], "6-30" ) ) ) ORDER BY 'Date'[Year]"""
    # the last date of each calendar year: 2023-12-31 (FY from 2023-07-01: nothing), 2024-12-31 (40 + 50),
    # 2025-06-30 (FY 2024-07-01 .. 2025-06-30: 40 + 50)
    assert rows(engine, query) == [(2024, 90), (2025, 90)]


# ----------------------------------------------------------------------------------------------- functions


def test_unqualified_columns_resolve_on_the_home_table(engine: Engine) -> None:
    assert value(engine, "[Unqualified]") == 150
    assert value(engine, "[Unqualified X]") == 10 * 1 + 20 * 2 + 30 * 3 + 40 * 4 + 50 * 5
    query = """DEFINE MEASURE Sales[North] = CALCULATE ( SUM ( [Amount] ), Sales[Region] = "North" )
               MEASURE Sales[Regions] = COUNTROWS ( VALUES ( [Region] ) )
               MEASURE Sales[Big] = CALCULATE ( [Unqualified], [Amount] >= 30, [Region] <> "East" )
               EVALUATE ROW ( "n", [North], "r", [Regions], "b", [Big] )"""
    assert rows(engine, query) == [(30, 3, 70)]  # Big: rows 3 and 4 (30 + 40)
    with pytest.raises(DaxEngineError, match=r"unknown measure or column \[Amount\]"):
        value(engine, "SUMX ( ROW ( \"x\", 1 ), [Amount] )")  # outside a measure: no home table


@pytest.mark.parametrize(("expression", "expected"), [
    # Amount 10..50: mean 30, squared deviations 400 + 100 + 0 + 100 + 400 = 1000
    ("STDEV.S ( Sales[Amount] )", (1000 / 4) ** 0.5),
    ("STDEV.P ( Sales[Amount] )", (1000 / 5) ** 0.5),
    ("VAR.S ( Sales[Qty] )", 10 / 4),  # Qty 1..5: 4 + 1 + 0 + 1 + 4
    ("VAR.P ( Sales[Qty] )", 10 / 5),
    ("VARX.P ( Sales, Sales[Amount] * 2 )", 4000 / 5),
    ("STDEVX.S ( FILTER ( Sales, Sales[Region] = \"North\" ), Sales[Amount] )", (50 / 1) ** 0.5),
    ("CALCULATE ( STDEV.P ( Sales[Amount] ), Sales[Region] = \"East\" )", 0.0),
    ("CALCULATE ( STDEV.S ( Sales[Amount] ), Sales[Region] = \"Nowhere\" )", None),
    # PERCENTILE.INC: rank 1 + k(n − 1); .EXC: rank k(n + 1); linear between neighbours
    ("PERCENTILE.INC ( Sales[Amount], 0.3 )", 22.0),  # rank 2.2: 20 + 0.2 × 10
    ("PERCENTILE.INC ( Sales[Amount], 0 )", 10.0),
    ("PERCENTILE.INC ( Sales[Amount], 1 )", 50.0),
    ("PERCENTILE.EXC ( Sales[Amount], 0.3 )", 18.0),  # rank 1.8: 10 + 0.8 × 10
    ("PERCENTILEX.EXC ( Sales, Sales[Qty], 0.5 )", 3.0),
    ("PERCENTILEX.INC ( Sales, Sales[Qty] * 10, 0.25 )", 20.0),
    ("CURRENCY ( 1.234567 )", 1.2346),
    ("CURRENCY ( 2.00005 )", 2.0001),
    ("IFERROR ( 1 / 0, 5 )", float("inf")),  # division by zero is infinity in DAX, not an error
    ("IFERROR ( DIVIDE ( [Total], 0 ), 5 )", None),
    ("IFERROR ( VALUE ( 12 ), 5 )", 12.0),
    ("ISERROR ( [Total] )", False),
])
def test_statistics_and_errors(engine: Engine, expression: str, expected: Any) -> None:
    result = value(engine, expression)
    if isinstance(expected, float):
        assert result == pytest.approx(expected, rel=1e-12)
    else:
        assert result == expected


@pytest.mark.parametrize("expression", [
    "STDEV.S ( CALCULATE ( Sales[Amount] ) )",
])
def test_statistics_need_a_column(engine: Engine, expression: str) -> None:
    with pytest.raises(DaxEngineError):
        value(engine, expression)


@pytest.mark.parametrize(("expression", "message"), [
    ('CALCULATE ( STDEV.S ( Sales[Amount] ), Sales[Region] = "East" )', "STDEV.S needs at least 2 values"),
    ("PERCENTILE.EXC ( Sales[Amount], 0.1 )", "k is outside the range"),  # 0.1 < 1/6
    ("PERCENTILE.INC ( Sales[Amount], 1.5 )", "k is outside the range"),
])
def test_statistics_errors(engine: Engine, expression: str, message: str) -> None:
    with pytest.raises(DaxEngineError, match=message):
        value(engine, expression)


def test_iferror_around_something_that_can_fail_is_refused(engine: Engine) -> None:
    with pytest.raises(Unsupported) as caught:
        value(engine, 'IFERROR ( VALUE ( "x" ), 0 )')
    assert str(caught.value).startswith("unsupported: IFERROR at 1:23 (its first argument can fail")


def test_statistics_agree_with_pythons_statistics_module() -> None:
    """Property: on random samples (with BLANKs), the engine's statistics equal Python's ``statistics`` and a
    direct implementation of the percentile rule."""
    import random
    import statistics

    rng = random.Random(22)
    connection = duckdb.connect()
    model = EngineModel(tables=(EngineTable("N", "n", (EngineColumn("x", T.DOUBLE, "x"),)),), relationships=())
    sample_engine = Engine(model, connection)
    for _ in range(8):
        values = [round(rng.uniform(-100, 100), 3) for _ in range(rng.randint(2, 30))]
        connection.execute("CREATE OR REPLACE TABLE n (x DOUBLE)")
        connection.executemany("INSERT INTO n VALUES (?)", [(v,) for v in values] + [(None,)] * 3)
        k = rng.random()
        ordered = sorted(values)

        def interpolate(rank: float, ordered: list[float] = ordered) -> float:
            low = int(rank)
            fraction = rank - low
            upper = ordered[low] if low < len(ordered) else ordered[low - 1]
            return ordered[low - 1] + fraction * (upper - ordered[low - 1])

        result = rows(sample_engine, f"""EVALUATE ROW ( "s", STDEV.S ( N[x] ), "p", STDEV.P ( N[x] ),
            "vs", VAR.S ( N[x] ), "vp", VARX.P ( N, N[x] ), "inc", PERCENTILE.INC ( N[x], {k!r} ) )""")[0]
        expected = (statistics.stdev(values), statistics.pstdev(values), statistics.variance(values),
                    statistics.pvariance(values), interpolate(1 + k * (len(values) - 1)))
        assert result == pytest.approx(expected, rel=1e-9, abs=1e-9)
        n = len(values)
        if 1 / (n + 1) <= k <= n / (n + 1):
            exc = value(sample_engine, f"PERCENTILE.EXC ( N[x], {k!r} )")
            assert exc == pytest.approx(interpolate(k * (n + 1)), rel=1e-9, abs=1e-9)
    connection.close()


# --------------------------------------------------------------------------------------------- generators


@pytest.mark.parametrize(("expression", "expected"), [
    ("COUNTROWS ( GENERATESERIES ( 1, 10, 0.5 ) )", 19),
    ("SUMX ( GENERATESERIES ( 0, 1, 0.1 ), [Value] )", 5.5),  # 0 + 0.1 + … + 1.0, 11 values
    ("SUMX ( GENERATESERIES ( -3, 3 ), [Value] )", 0),
    ("COUNTROWS ( GENERATESERIES ( 5, 1 ) )", None),  # end before start: an empty table
    ("MAXX ( GENERATESERIES ( 1, 10, 4 ), [Value] )", 9),
    ('COUNTROWS ( GENERATESERIES ( dt"2024-01-01", dt"2024-01-31", 7 ) )', 5),
    ('COUNTROWS ( CALENDAR ( DATE ( 2024, 1, 1 ), dt"2024-12-31" ) )', 366),
    ('MAXX ( CALENDAR ( DATE ( 2024, 2, 1 ), DATE ( 2024, 2, 29 ) ), [Date] )', dt.datetime(2024, 2, 29)),
    ('SUMX ( DATATABLE ( "a", STRING, "b", INTEGER, { { "x", 1 }, { "y", 2 } } ), [b] )', 3),
    ('MAXX ( DATATABLE ( "d", DATETIME, { { "2024-03-01" }, { "2023-01-01" } } ), [d] )', dt.datetime(2024, 3, 1)),
    ('CONCATENATEX ( DATATABLE ( "a", STRING, { { "x" }, { "y" } } ), [a], "," )', "x,y"),
])
def test_generators(engine: Engine, expression: str, expected: Any) -> None:
    result = value(engine, expression)
    assert result == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_generators_in_a_query(engine: Engine) -> None:
    query = """DEFINE TABLE Targets = DATATABLE ( "Region", STRING, "Target", CURRENCY,
                                                 { { "North", 25 }, { "South", 80.5 } } )
               EVALUATE ADDCOLUMNS ( Targets, "met", CALCULATE ( [Total], TREATAS ( { [Region] }, Sales[Region] ) )
                                                    >= [Target] )
               ORDER BY [Region]"""
    assert rows(engine, query) == [("North", 25, True), ("South", 80.5, False)]


@pytest.mark.parametrize(("expression", "message"), [
    ("COUNTROWS ( GENERATESERIES ( 1, MAX ( Sales[Qty] ) ) )", "unsupported: GENERATESERIES with an argument "
                                                               "that is not a constant at 1:55"),
    ("COUNTROWS ( GENERATESERIES ( 1, 1000000 ) )", "unsupported: GENERATESERIES of more than 100,000 rows"),
    ("COUNTROWS ( GENERATESERIES ( 1, 10, 0 ) )", "the increment must be a positive number"),
    ("COUNTROWS ( CALENDAR ( DATE ( 2024, 2, 1 ), DATE ( 2024, 1, 1 ) ) )", "the start date is after the end"),
    ('COUNTROWS ( DATATABLE ( "a", TEXT, { { 1 } } ) )', "DATATABLE: unknown type"),
    ('COUNTROWS ( DATATABLE ( "a", STRING, "b", INTEGER, { { "x" } } ) )', "a row has 1 values for 2 columns"),
])
def test_generator_errors(engine: Engine, expression: str, message: str) -> None:
    with pytest.raises(DaxEngineError) as caught:
        value(engine, expression)
    assert message in str(caught.value)
