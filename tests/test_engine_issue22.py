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
