"""DAX semantics of the offline engine on a small hand-made star schema, with values computed by hand.

The data (``tests/fixtures/engine_semantics/*.csv``, loaded into an in-memory DuckDB):

* ``Category``: 1 Bikes, 2 Parts, 3 Clothing (no products);
* ``Product`` → Category (a snowflake): 1 Road Red Bikes, 2 Mountain Blue Bikes, 3 Chain Red Parts, 4 Pedal Black
  Parts, 5 Bell Green Parts (no sales);
* ``Customer``: 1 Ann Paris, 2 Bob Lyon, 3 Cid Paris, 4 Dee Nice (no sales);
* ``Date``: every day of 2023 and 2024 (built here), marked as the date table on ``Date[Date]``;
* ``Sales``: 20 rows; → Product, → Customer, ``OrderDate`` → Date (active), ``ShipDate`` → Date (inactive);
  ``Discount`` is BLANK on 9 rows;
* ``Pick``: a disconnected table (2024-01-31 Red, 2024-02-29 Black) for TREATAS.

Totals the tests rely on (``[Sales]`` = SUM(Sales[Amount]), 1230 in all, ``[Quantity]`` = 41):

* by product: Road 630, Mountain 350, Chain 160, Pedal 90 — by color: Red 790, Blue 350, Black 90;
  by category: Bikes 980, Parts 250;
* by customer: Ann 580 (8 rows), Bob 320, Cid 330 — by city: Paris 910, Lyon 320;
  color × city: Red 550 / 240, Blue 290 / 60, Black 70 / 20 (Paris / Lyon);
* by order month: 2023-01 100, 2023-02 90, 2023-03 130, 2024-01 330, 2024-02 290, 2024-03 290;
  by ship month: 2023-01 100, 2023-02 60, 2023-03 50, 2023-04 110, 2024-01 110, 2024-02 260, 2024-03 380,
  2024-04 160;
* rows with Qty > 2: 3 (Chain, Ann), 7 (Chain, Ann), 10 (Mountain, Ann), 12 (Pedal, Ann, Qty 5), 19 (Chain, Cid,
  Qty 6);
* Discount: 11 non-blank values summing to 66, distinct {0, 5, 6, 10}.

Expected values follow DAX as documented (shared/reference/dax-semantics.md, sections 2.1–2.6). Tests that
fail because the engine disagrees with DAX are kept and marked ``xfail(strict=True)`` with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineColumn, EngineMeasure, EngineModel, EngineRelationship, EngineTable
from generator.engine.run import Engine, QueryResult
from generator.engine.values import DaxType

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "engine_semantics"
T = DaxType

# table name, SQL table / CSV file, columns (name, DAX type, SQL type), date column
TABLES: tuple[tuple[str, str, tuple[tuple[str, DaxType, str], ...], str | None], ...] = (
    ("Category", "category", (("CategoryKey", T.INTEGER, "BIGINT"), ("CategoryName", T.STRING, "VARCHAR")), None),
    ("Product", "product", (("ProductKey", T.INTEGER, "BIGINT"), ("Name", T.STRING, "VARCHAR"),
                            ("Color", T.STRING, "VARCHAR"), ("CategoryKey", T.INTEGER, "BIGINT")), None),
    ("Customer", "customer", (("CustomerKey", T.INTEGER, "BIGINT"), ("Name", T.STRING, "VARCHAR"),
                              ("City", T.STRING, "VARCHAR")), None),
    ("Sales", "sales", (("SalesKey", T.INTEGER, "BIGINT"), ("ProductKey", T.INTEGER, "BIGINT"),
                        ("CustomerKey", T.INTEGER, "BIGINT"), ("OrderDate", T.DATETIME, "DATE"),
                        ("ShipDate", T.DATETIME, "DATE"), ("Qty", T.INTEGER, "BIGINT"),
                        ("Amount", T.DECIMAL, "DECIMAL(18, 2)"), ("Discount", T.DOUBLE, "DOUBLE")), None),
    ("Pick", "pick", (("Day", T.DATETIME, "DATE"), ("Color", T.STRING, "VARCHAR")), None),
)
DATE_COLUMNS = (("Date", T.DATETIME), ("Year", T.INTEGER), ("Month", T.INTEGER), ("YearMonth", T.STRING))

MODEL = EngineModel(
    tables=(
        *(EngineTable(name, source, tuple(EngineColumn(c, t, c) for c, t, _ in columns), date_column=date)
          for name, source, columns, date in TABLES),
        EngineTable("Date", "date_table", tuple(EngineColumn(c, t, c) for c, t in DATE_COLUMNS), date_column="Date"),
    ),
    relationships=(
        EngineRelationship("Sales", "ProductKey", "Product", "ProductKey"),
        EngineRelationship("Sales", "CustomerKey", "Customer", "CustomerKey"),
        EngineRelationship("Sales", "OrderDate", "Date", "Date"),
        EngineRelationship("Sales", "ShipDate", "Date", "Date", active=False),
        EngineRelationship("Product", "CategoryKey", "Category", "CategoryKey"),
    ),
    measures=(
        EngineMeasure("Sales", "Sales", "SUM ( Sales[Amount] )"),
        EngineMeasure("Quantity", "Sales", "SUM ( Sales[Qty] )"),
        EngineMeasure("Red Sales", "Sales", 'CALCULATE ( [Sales], Product[Color] = "Red" )'),
        EngineMeasure("Loop A", "Sales", "[Loop B] + 1"),
        EngineMeasure("Loop B", "Sales", "[Loop A] * 2"),
    ),
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    connection = duckdb.connect()
    for _, source, columns, _ in TABLES:
        types = ", ".join(f"'{name}': '{sql}'" for name, _, sql in columns)
        path = (FIXTURES / f"{source}.csv").as_posix()
        connection.execute(f"CREATE TABLE {source} AS SELECT * FROM read_csv('{path}', header = true, "
                           f"columns = {{{types}}})")
    connection.execute(
        'CREATE TABLE date_table AS SELECT CAST(d AS DATE) AS "Date", year(d) AS "Year", month(d) AS "Month", '
        "strftime(d, '%Y-%m') AS \"YearMonth\" FROM range(DATE '2023-01-01', DATE '2025-01-01', INTERVAL 1 DAY) t(d)")
    yield Engine(MODEL, connection)
    connection.close()


def one(engine: Engine, text: str) -> QueryResult:
    """The result of a query with one EVALUATE."""
    results = engine.query(text)
    assert len(results) == 1
    return results[0]


def bag(engine: Engine, text: str) -> Counter:
    """The rows of a one-EVALUATE query as a multiset (DAX guarantees no order without ORDER BY)."""
    return Counter(one(engine, text).rows)


def day(year: int, month: int, number: int) -> dt.datetime:
    return dt.datetime(year, month, number)


def check(engine: Engine, expression: str, expected: Any) -> None:
    """``expression`` evaluated in an empty filter context equals ``expected`` (None: BLANK)."""
    actual = engine.evaluate(expression)
    if expected is None:
        assert actual is None, f"{expression} = {actual!r}, expected BLANK"
    elif isinstance(expected, bool):
        assert actual is expected, f"{expression} = {actual!r}, expected {expected!r}"
    elif isinstance(expected, float | int):
        assert actual == pytest.approx(expected), f"{expression} = {actual!r}, expected {expected!r}"
    else:
        assert actual == expected, f"{expression} = {actual!r}, expected {expected!r}"


def test_fixture_totals(engine: Engine) -> None:
    """The hand-computed totals the other tests build on."""
    assert bag(engine, 'EVALUATE ROW("s", [Sales], "q", [Quantity], "n", COUNTROWS(Sales))') == {(1230, 41, 20): 1}
    assert bag(engine, 'EVALUATE SUMMARIZECOLUMNS(Product[Name], "S", [Sales])') == Counter(
        {("Road", 630): 1, ("Mountain", 350): 1, ("Chain", 160): 1, ("Pedal", 90): 1})
    assert bag(engine, 'EVALUATE SUMMARIZECOLUMNS(Customer[Name], "S", [Sales], "N", COUNTROWS(Sales))') == Counter(
        {("Ann", 580, 8): 1, ("Bob", 320, 6): 1, ("Cid", 330, 6): 1})


# ------------------------------------------------------------------------------------------ CALCULATE filters


def test_boolean_filter_replaces_the_filter_on_its_column(engine: Engine) -> None:
    """Each color row gets the Red total; the Green row (no sales) stays as one expression is not BLANK."""
    result = one(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color],
            "Sales", [Sales],
            "Red", CALCULATE ( [Sales], Product[Color] = "Red" ) )""")
    assert result.columns == ("Product[Color]", "[Sales]", "[Red]")
    assert Counter(result.rows) == Counter(
        {("Red", 790, 790): 1, ("Blue", 350, 790): 1, ("Black", 90, 790): 1, ("Green", None, 790): 1})


def test_keepfilters_intersects_with_the_filter_on_its_column(engine: Engine) -> None:
    """BLANK on the non-red rows, which SUMMARIZECOLUMNS then drops."""
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color],
            "Red", CALCULATE ( [Sales], KEEPFILTERS ( Product[Color] = "Red" ) ) )""") == {("Red", 790): 1}
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color],
            "RB", CALCULATE ( [Sales], KEEPFILTERS ( Product[Color] IN { "Red", "Blue" } ) ) )""") == Counter(
        {("Red", 790): 1, ("Blue", 350): 1})


@pytest.mark.parametrize(("expression", "expected"), [
    # an outer filter on the same column is replaced, or intersected under KEEPFILTERS
    ('CALCULATE ( CALCULATE ( [Sales], Product[Color] = "Blue" ), Product[Color] = "Red" )', 350),
    ('CALCULATE ( CALCULATE ( [Sales], KEEPFILTERS ( Product[Color] = "Blue" ) ), Product[Color] = "Red" )', None),
    # a filter on another column of the same table is kept: red products of category 2 = Chain
    ('CALCULATE ( CALCULATE ( [Sales], Product[Color] = "Red" ), Product[CategoryKey] = 2 )', 160),
    ('CALCULATE ( [Red Sales], Category[CategoryName] = "Bikes" )', 630),
    # two filter arguments on one column intersect
    ('CALCULATE ( [Sales], Product[Color] IN { "Red", "Blue" }, Product[Color] IN { "Blue", "Black" } )', 350),
    ('CALCULATE ( [Sales], Product[Color] = "Red", Product[Color] = "Blue" )', None),
    # one predicate over two columns of one table
    ('CALCULATE ( [Sales], Product[Color] = "Red" || Product[Name] = "Pedal" )', 880),
    # an aggregation inside a boolean filter is evaluated in the outer context: the last order date, 2024-03-31
    ("CALCULATE ( [Sales], Sales[OrderDate] = MAX ( Sales[OrderDate] ) )", 70),
    ('CALCULATE ( [Sales], Product[Color] IN { "Red", "Black" } )', 880),
    ('CALCULATE ( [Sales], NOT Product[Color] IN { "Red", "Black" } )', 350),
    # BLANK equals 0 under = (9 blank and 2 zero discounts), not under ==
    ("CALCULATE ( COUNTROWS ( Sales ), Sales[Discount] = 0 )", 11),
    ("CALCULATE ( COUNTROWS ( Sales ), Sales[Discount] == 0 )", 2),
    ("CALCULATE ( COUNTROWS ( Sales ), Sales[Discount] <> 0 )", 9),
    ("CALCULATE ( [Sales], Sales[Discount] = BLANK () )", 660),
    # text comparisons ignore case
    ('CALCULATE ( [Sales], Product[Color] = "red" )', 790),
    ('CALCULATE ( [Sales], Product[Color] IN { "red", "BLUE" } )', 1140),
    ('VAR c = "Red" RETURN CALCULATE ( [Sales], Product[Color] = c )', 790),
    # table filters: FILTER(Product, …) is evaluated in the outer filter context; FILTER(ALL(Product), …) is not
    ('CALCULATE ( CALCULATE ( [Sales], FILTER ( Product, Product[Name] = "Road" ) ), Product[Color] = "Blue" )', None),
    ('CALCULATE ( CALCULATE ( [Sales], FILTER ( ALL ( Product ), Product[Name] = "Road" ) ), Product[Color] = "Blue" )',
     630),
    ('VAR t = FILTER ( ALL ( Product[Color] ), Product[Color] <> "Red" ) RETURN CALCULATE ( [Sales], t )', 440),
    ('CALCULATE ( [Sales], CROSSJOIN ( TREATAS ( { "Red" }, Product[Color] ), '
     'TREATAS ( { "Lyon" }, Customer[City] ) ) )', 240),
    ('CALCULATE ( COUNTROWS ( Product ), SUMMARIZE ( FILTER ( Sales, Sales[Qty] > 4 ), Product[Color] ) )', 3),
])
def test_calculate_filter_arguments(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# ------------------------------------------------------------------------------------------------ modifiers


def test_removefilters_table_inside_summarizecolumns(engine: Engine) -> None:
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], "All", CALCULATE ( [Sales], REMOVEFILTERS ( Product ) ),
            "Share", DIVIDE ( [Sales], CALCULATE ( [Sales], REMOVEFILTERS ( Product ) ) ) )""") == Counter(
        {("Red", 1230, 790 / 1230): 1, ("Blue", 1230, 350 / 1230): 1, ("Black", 1230, 90 / 1230): 1,
         ("Green", 1230, None): 1})


def test_all_column_keeps_filters_on_other_columns(engine: Engine) -> None:
    """ALL(Product[Color]) leaves the Name filter of each row: the product's own sales; Bell's row is all BLANK."""
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], Product[Name],
            "AllColors", CALCULATE ( [Sales], ALL ( Product[Color] ) ) )""") == Counter(
        {("Red", "Road", 630): 1, ("Blue", "Mountain", 350): 1, ("Red", "Chain", 160): 1, ("Black", "Pedal", 90): 1})


def test_allexcept_keeps_only_the_named_column(engine: Engine) -> None:
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Name], Product[Color],
            "ColorTotal", CALCULATE ( [Sales], ALLEXCEPT ( Product, Product[Color] ) ) )""") == Counter(
        {("Road", "Red", 790): 1, ("Chain", "Red", 790): 1, ("Mountain", "Blue", 350): 1, ("Pedal", "Black", 90): 1})


@pytest.mark.parametrize(("expression", "expected"), [
    ('CALCULATE ( CALCULATE ( [Sales], ALL ( Product[Color] ) ), Product[Color] = "Red" )', 1230),
    ('CALCULATE ( CALCULATE ( [Sales], ALL ( Product[Color] ) ), Product[Color] = "Red", Product[Name] = "Chain" )',
     160),
    # REMOVEFILTERS / ALL of a table clear its expanded table (Product → Category) but not other tables
    ('CALCULATE ( CALCULATE ( [Sales], REMOVEFILTERS ( Product ) ), Category[CategoryName] = "Bikes" )', 1230),
    ('CALCULATE ( CALCULATE ( [Sales], REMOVEFILTERS ( Product ) ), Product[Color] = "Red", Customer[City] = "Lyon" )',
     320),
    ('CALCULATE ( CALCULATE ( [Sales], ALL ( Sales ) ), Product[Color] = "Red", Customer[City] = "Lyon" )', 1230),
    # ALLEXCEPT(Product, Color) clears the other Product and Category filters, keeps Customer's
    ('CALCULATE ( CALCULATE ( [Sales], ALLEXCEPT ( Product, Product[Color] ) ), Product[Color] = "Red", '
     'Product[Name] = "Road", Category[CategoryName] = "Bikes", Customer[City] = "Paris" )', 550),
    # ALL() / REMOVEFILTERS() clear everything
    ('CALCULATE ( CALCULATE ( [Sales], ALL () ), Product[Color] = "Red", Customer[City] = "Paris", '
     "'Date'[Year] = 2024 )", 1230),
    ('CALCULATE ( CALCULATE ( [Sales], REMOVEFILTERS () ), Product[Color] = "Red", Customer[City] = "Paris" )', 1230),
    # the modifier applies before the filter arguments of the same CALCULATE
    ('CALCULATE ( [Sales], ALL ( Product ), Product[Color] = "Blue" )', 350),
])
def test_removing_filters(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# -------------------------------------------------------------------------------------------- propagation


@pytest.mark.parametrize(("expression", "expected"), [
    # a filter on the many side does not reach the one side
    ("CALCULATE ( COUNTROWS ( Product ), Sales[Qty] > 2 )", 5),
    ("CALCULATE ( COUNTROWS ( Customer ), Sales[Amount] > 100 )", 4),
    ('CALCULATE ( COUNTROWS ( VALUES ( Product[Color] ) ), Customer[Name] = "Bob" )', 4),
    # one → many
    ('CALCULATE ( COUNTROWS ( Sales ), Product[Color] = "Red" )', 10),
    ('CALCULATE ( COUNTROWS ( Sales ), Customer[City] = "Paris" )', 14),
    # the snowflake: Category → Product → Sales
    ('CALCULATE ( COUNTROWS ( Sales ), Category[CategoryName] = "Parts" )', 10),
    ('CALCULATE ( COUNTROWS ( Product ), Category[CategoryName] = "Parts" )', 3),
    ('CALCULATE ( COUNTROWS ( Category ), Product[Color] = "Red" )', 3),
    # a table filter filters the expanded table: the dimensions of the rows it keeps
    ("CALCULATE ( COUNTROWS ( Product ), FILTER ( Sales, Sales[Qty] > 2 ) )", 3),
    ("CALCULATE ( COUNTROWS ( Customer ), FILTER ( Sales, Sales[Qty] > 2 ) )", 2),
    ("CALCULATE ( COUNTROWS ( Category ), FILTER ( Sales, Sales[Qty] > 2 ) )", 2),
    ("CALCULATE ( COUNTROWS ( Category ), FILTER ( Sales, Sales[Qty] > 4 ) )", 1),
    ("CALCULATE ( COUNTROWS ( 'Date' ), FILTER ( Sales, Sales[Qty] > 4 ) )", 2),
    ("CALCULATE ( [Sales], FILTER ( Sales, Sales[Qty] > 2 ) )", 240),
    ("CALCULATE ( COUNTROWS ( Product ), Sales[ProductKey] = 1 )", 5),
    ("CALCULATE ( SELECTEDVALUE ( Customer[City] ), Sales[SalesKey] = 1 )", None),
    ('COUNTROWS ( CALCULATETABLE ( Sales, Product[Color] = "Red" ) )', 10),
    ("COUNTROWS ( CALCULATETABLE ( Product, Sales[Qty] > 2 ) )", 5),
    ("COUNTROWS ( CALCULATETABLE ( Product, FILTER ( Sales, Sales[Qty] > 2 ) ) )", 3),
    ('CALCULATE ( COUNTROWS ( ALL ( Sales ) ), Product[Color] = "Red" )', 20),
])
def test_propagation(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


def test_snowflake_group_by_the_sub_dimension(engine: Engine) -> None:
    """Clothing has neither products nor sales: both expressions BLANK, the row is dropped."""
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Category[CategoryName], "Sales", [Sales], "Products", COUNTROWS ( Product ) )
        """) == Counter({("Bikes", 980, 2): 1, ("Parts", 250, 3): 1})


# -------------------------------------------------------------------------------------- context transition


@pytest.mark.parametrize(("expression", "expected"), [
    ("SUMX ( Product, [Sales] )", 1230),
    ("SUMX ( Product, SUM ( Sales[Amount] ) )", 1230 * 5),
    ("SUMX ( Product, CALCULATE ( SUM ( Sales[Amount] ) ) )", 1230),
    ("SUMX ( Sales, [Sales] )", 1230),
    ("SUMX ( VALUES ( Customer[City] ), [Sales] )", 1230),
    ("SUMX ( SUMMARIZE ( Sales, Product[Color] ), [Sales] )", 1230),
    ("COUNTROWS ( FILTER ( Product, [Sales] > 200 ) )", 2),
    ("COUNTROWS ( FILTER ( Product, SUM ( Sales[Amount] ) > 200 ) )", 5),
    # AVERAGEX skips Dee's BLANK: (580 + 320 + 330) / 3
    ("AVERAGEX ( Customer, [Sales] )", 410),
    ("MAXX ( Customer, [Sales] )", 580),
    # the transition replaces the outer filter on the iterated column
    ('CALCULATE ( SUMX ( Product, [Sales] ), Product[Color] = "Red" )', 790),
    ('CALCULATE ( MAXX ( Product, [Red Sales] ), Category[CategoryName] = "Parts" )', 160),
    ("SUMX ( Product, COUNTROWS ( RELATEDTABLE ( Sales ) ) )", 20),
    ('SUMX ( FILTER ( Sales, RELATED ( Category[CategoryName] ) = "Bikes" ), Sales[Amount] )', 980),
    # a Product row's filters stay on Name and key when Color is replaced: Road + Chain
    ('SUMX ( Product, CALCULATE ( [Sales], Product[Color] = "Red" ) )', 790),
    ('SUMX ( VALUES ( Product[Color] ), CALCULATE ( [Sales], Product[Color] = "Red" ) )', 790 * 4),
    ("SUMX ( Customer, SUMX ( Product, [Sales] ) )", 1230),
    ("SUMX ( Customer, SUMX ( Product, SUM ( Sales[Amount] ) ) )", 1230 * 20),
    # a Customer row does not filter Product
    ("SUMX ( Customer, CALCULATE ( COUNTROWS ( Product ) ) )", 20),
    ("SUMX ( Category, COUNTROWS ( RELATEDTABLE ( Sales ) ) )", 20),
    # each of the 20 rows carries its ProductKey: 5 rows per product
    ('SUMX ( SELECTCOLUMNS ( Sales, "K", Sales[ProductKey] ), [Sales] )', 1230 * 5),
    # computed columns add no filter
    ('SUMX ( ADDCOLUMNS ( Product, "x", 1 ), [Sales] )', 1230),
    ("SUMX ( Product, IF ( CALCULATE ( ISFILTERED ( Product[Color] ) ), 1, 0 ) )", 5),
    ("SUMX ( Product, IF ( HASONEVALUE ( Product[Color] ), 1, 0 ) )", 0),
    ('VAR t = ADDCOLUMNS ( VALUES ( Product[Color] ), "S", [Sales] ) RETURN MAXX ( t, [S] )', 790),
    ('VAR t = ADDCOLUMNS ( VALUES ( Product[Color] ), "S", [Sales] ) RETURN COUNTROWS ( FILTER ( t, [S] > 100 ) )', 2),
    ("COUNTROWS ( FILTER ( CROSSJOIN ( VALUES ( Product[Color] ), VALUES ( Customer[City] ) ), [Sales] > 100 ) )", 3),
])
def test_context_transition(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


def test_filter_by_a_measure_returns_the_rows(engine: Engine) -> None:
    assert bag(engine, 'EVALUATE SELECTCOLUMNS ( FILTER ( Product, [Sales] > 200 ), "Name", Product[Name] )') == \
        Counter({("Road",): 1, ("Mountain",): 1})
    assert bag(engine, 'EVALUATE SELECTCOLUMNS ( FILTER ( Customer, COUNTROWS ( RELATEDTABLE ( Sales ) ) > 6 ), '
                       '"Name", Customer[Name] )') == {("Ann",): 1}


@pytest.mark.parametrize(("expression", "expected"), [
    ('VAR t = [Sales] RETURN CALCULATE ( t, Product[Color] = "Red" )', 1230),
    ('CALCULATE ( VAR t = [Sales] RETURN CALCULATE ( t, ALL ( Product ) ), Product[Color] = "Red" )', 790),
    ("SUMX ( Product, VAR s = [Sales] RETURN s )", 1230),
    ('VAR red = CALCULATE ( [Sales], Product[Color] = "Red" ) RETURN DIVIDE ( red, [Sales] ) * 1230', 790),
])
def test_variables_are_evaluated_where_defined(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# ------------------------------------------------------------------------------------ USERELATIONSHIP, TREATAS


def test_userelationship_switches_to_the_ship_date(engine: Engine) -> None:
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( 'Date'[YearMonth],
            "Order", [Sales],
            "Ship", CALCULATE ( [Sales], USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] ) ) )""") == Counter({
        ("2023-01", 100, 100): 1, ("2023-02", 90, 60): 1, ("2023-03", 130, 50): 1, ("2023-04", None, 110): 1,
        ("2024-01", 330, 110): 1, ("2024-02", 290, 260): 1, ("2024-03", 290, 380): 1, ("2024-04", None, 160): 1})


@pytest.mark.parametrize(("expression", "expected"), [
    ("CALCULATE ( [Sales], USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] ), 'Date'[YearMonth] = \"2024-04\" )", 160),
    # the columns may be given in either order
    ("CALCULATE ( [Sales], USERELATIONSHIP ( 'Date'[Date], Sales[ShipDate] ), 'Date'[YearMonth] = \"2024-04\" )", 160),
    ("CALCULATE ( [Sales], 'Date'[YearMonth] = \"2024-04\" )", None),
    # without a date filter the relationship in use does not matter
    ("CALCULATE ( [Sales], USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] ) )", 1230),
    # TREATAS gives a disconnected table's values the lineage of a model column
    ("CALCULATE ( [Sales], TREATAS ( VALUES ( Pick[Day] ), 'Date'[Date] ) )", 130),
    ("CALCULATE ( [Sales], TREATAS ( VALUES ( Pick[Color] ), Product[Color] ) )", 880),
    ('CALCULATE ( [Sales], TREATAS ( { "Red", "Black" }, Product[Color] ) )', 880),
    ('CALCULATE ( [Sales], TREATAS ( { ( "Red", "Chain" ) }, Product[Color], Product[Name] ) )', 160),
    # TREATAS replaces an outer filter on its column, like any filter argument
    ('CALCULATE ( CALCULATE ( [Sales], TREATAS ( { "Blue" }, Product[Color] ) ), Product[Color] = "Red" )', 350),
    ('CALCULATE ( [Sales], TREATAS ( { "red" }, Product[Color] ) )', 790),
    # USERELATIONSHIP reaches iterators, context transitions and RELATED inside the CALCULATE
    ("CALCULATE ( SUMX ( Product, [Sales] ), USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] ), "
     "'Date'[YearMonth] = \"2024-04\" )", 160),
    ("CALCULATE ( COUNTROWS ( FILTER ( Sales, RELATED ( 'Date'[YearMonth] ) = \"2023-04\" ) ), "
     "USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] ) )", 1),
    ("COUNTROWS ( FILTER ( Sales, RELATED ( 'Date'[YearMonth] ) = \"2023-04\" ) )", None),
])
def test_userelationship_and_treatas(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# ------------------------------------------------------------------ VALUES, HASONEVALUE, SELECTEDVALUE, ISFILTERED


def test_selection_functions_inside_summarizecolumns(engine: Engine) -> None:
    result = one(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color],
            "N", COUNTROWS ( VALUES ( Product[Name] ) ),
            "D", COUNTROWS ( DISTINCT ( Product[Name] ) ),
            "One", HASONEVALUE ( Product[Name] ),
            "Sel", SELECTEDVALUE ( Product[Name] ),
            "Alt", SELECTEDVALUE ( Product[Name], "several" ),
            "ColorFiltered", ISFILTERED ( Product[Color] ),
            "NameFiltered", ISFILTERED ( Product[Name] ) )""")
    assert Counter(result.rows) == Counter({
        ("Red", 2, 2, False, None, "several", True, False): 1,
        ("Blue", 1, 1, True, "Mountain", "Mountain", True, False): 1,
        ("Black", 1, 1, True, "Pedal", "Pedal", True, False): 1,
        ("Green", 1, 1, True, "Bell", "Bell", True, False): 1})


@pytest.mark.parametrize(("expression", "expected"), [
    ("COUNTROWS ( VALUES ( Product[Color] ) )", 4),
    ("COUNTROWS ( DISTINCT ( Product[Color] ) )", 4),
    ("HASONEVALUE ( Product[Color] )", False),
    ("SELECTEDVALUE ( Product[Color] )", None),
    ('SELECTEDVALUE ( Product[Color], "none" )', "none"),
    ("ISFILTERED ( Product[Color] )", False),
    ("ISFILTERED ( Product )", False),
    # a filter on Name narrows Color's values without filtering Color directly
    ('CALCULATE ( SELECTEDVALUE ( Product[Color] ), Product[Name] = "Road" )', "Red"),
    ('CALCULATE ( HASONEVALUE ( Product[Color] ), Product[Name] = "Road" )', True),
    ('CALCULATE ( ISFILTERED ( Product[Color] ), Product[Name] = "Road" )', False),
    ('CALCULATE ( ISFILTERED ( Product[Color] ), Product[Color] = "Red" )', True),
    ('CALCULATE ( ISFILTERED ( Product ), Product[Color] = "Red" )', True),
    ('CALCULATE ( SELECTEDVALUE ( Product[Name], "several" ), Product[Color] = "Red" )', "several"),
    # VALUES of a dimension column follows the dimension's filters only
    ('CALCULATE ( COUNTROWS ( VALUES ( Product[Name] ) ), Product[Color] = "Red" )', 2),
    ("COUNTROWS ( DISTINCT ( SELECTCOLUMNS ( Sales, \"Q\", Sales[Qty] ) ) )", 6),
    ("CALCULATE ( SELECTEDVALUE ( 'Date'[YearMonth] ), 'Date'[Date] = DATE ( 2024, 2, 29 ) )", "2024-02"),
    ("CALCULATE ( ISFILTERED ( 'Date'[Date] ), 'Date'[Year] = 2024 )", False),
    ('CALCULATE ( DISTINCTCOUNT ( Sales[ProductKey] ), Product[Color] = "Red" )', 2),
    ("COUNTROWS ( VALUES ( Sales[ProductKey] ) )", 4),
    ("COUNTROWS ( VALUES ( Product ) )", 5),
    ('CONCATENATEX ( VALUES ( Product[Color] ), Product[Color], ",", Product[Color], ASC )', "Black,Blue,Green,Red"),
])
def test_selection_functions(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# ---------------------------------------------------------------------------------- aggregations and BLANK


@pytest.mark.parametrize(("expression", "expected"), [
    # over no rows: BLANK
    ('CALCULATE ( SUM ( Sales[Amount] ), Product[Color] = "Green" )', None),
    ('CALCULATE ( COUNTROWS ( Sales ), Product[Color] = "Green" )', None),
    ('CALCULATE ( AVERAGE ( Sales[Amount] ), Product[Color] = "Green" )', None),
    ('CALCULATE ( DISTINCTCOUNT ( Sales[Discount] ), Product[Color] = "Green" )', None),
    ('CALCULATE ( COUNT ( Sales[Amount] ), Product[Color] = "Green" )', None),
    ('CALCULATE ( MIN ( Sales[Amount] ), Product[Color] = "Green" )', None),
    ('CALCULATE ( SUMX ( Sales, Sales[Qty] ), Product[Color] = "Green" )', None),
    ('COUNTROWS ( FILTER ( Product, Product[Color] = "Pink" ) )', None),
    # BLANK as a value
    ("DISTINCTCOUNT ( Sales[Discount] )", 5),
    ("DISTINCTCOUNTNOBLANK ( Sales[Discount] )", 4),
    ("COUNT ( Sales[Discount] )", 11),
    ("COUNTA ( Sales[Discount] )", 11),
    ("COUNTBLANK ( Sales[Discount] )", 9),
    ("COUNT ( Product[Color] )", 5),
    ("SUM ( Sales[Discount] )", 66),
    # blanks are not in the divisor, zeros are: 66 / 11
    ("AVERAGE ( Sales[Discount] )", 6),
    ("AVERAGEX ( Sales, Sales[Discount] )", 6),
    ("MIN ( Sales[Discount] )", 0),
    ("MAX ( Sales[OrderDate] )", day(2024, 3, 31)),
    # DIVIDE
    ("DIVIDE ( 5, 0 )", None),
    ("DIVIDE ( 5, BLANK () )", None),
    ("DIVIDE ( 5, 0, 1 )", 1),
    ("DIVIDE ( 6, 3 )", 2),
    ('DIVIDE ( [Sales], CALCULATE ( [Sales], Product[Color] = "Green" ) )', None),
    # BLANK arithmetic
    ("BLANK () + 1", 1),
    ("BLANK () - 3", -3),
    ("BLANK () * 5", None),
    ("BLANK () + BLANK ()", None),
    ('CALCULATE ( [Sales], Product[Color] = "Green" ) + 1', 1),
    ('ISBLANK ( CALCULATE ( [Sales], Product[Color] = "Green" ) )', True),
])
def test_aggregations_and_blank(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# ------------------------------------------------------------------------------------------ SUMMARIZECOLUMNS


def test_summarizecolumns_drops_rows_whose_expressions_are_all_blank(engine: Engine) -> None:
    """Dee has no sales: both expressions BLANK, dropped; Ann, Bob and Cid keep their Red sales."""
    assert bag(engine, 'EVALUATE SUMMARIZECOLUMNS ( Customer[Name], "Sales", [Sales], "Red", [Red Sales] )') == \
        Counter({("Ann", 580, 370): 1, ("Bob", 320, 240): 1, ("Cid", 330, 180): 1})


def test_summarizecolumns_keeps_rows_with_one_non_blank_expression(engine: Engine) -> None:
    assert bag(engine, 'EVALUATE SUMMARIZECOLUMNS ( Product[Name], "Sales", [Sales], "N", COUNTROWS ( Product ) )') \
        == Counter({("Road", 630, 1): 1, ("Mountain", 350, 1): 1, ("Chain", 160, 1): 1, ("Pedal", 90, 1): 1,
                    ("Bell", None, 1): 1})


def test_summarizecolumns_cross_joins_columns_of_different_tables(engine: Engine) -> None:
    assert bag(engine, 'EVALUATE SUMMARIZECOLUMNS ( Product[Color], Customer[City], "Sales", [Sales] )') == Counter({
        ("Red", "Paris", 550): 1, ("Red", "Lyon", 240): 1, ("Blue", "Paris", 290): 1, ("Blue", "Lyon", 60): 1,
        ("Black", "Paris", 70): 1, ("Black", "Lyon", 20): 1})
    # without expressions nothing is dropped: every color with every city
    result = one(engine, "EVALUATE SUMMARIZECOLUMNS ( Product[Color], Customer[City] )")
    assert result.columns == ("Product[Color]", "Customer[City]")
    assert Counter(result.rows) == Counter({(c, t): 1 for c in ("Red", "Blue", "Black", "Green")
                                            for t in ("Paris", "Lyon", "Nice")})


def test_summarizecolumns_columns_of_one_table_keep_existing_combinations(engine: Engine) -> None:
    assert bag(engine, "EVALUATE SUMMARIZECOLUMNS ( Product[Color], Product[Name] )") == Counter({
        ("Red", "Road"): 1, ("Blue", "Mountain"): 1, ("Red", "Chain"): 1, ("Black", "Pedal"): 1, ("Green", "Bell"): 1})


def test_summarizecolumns_filter_tables(engine: Engine) -> None:
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], TREATAS ( { "Paris" }, Customer[City] ), "Sales", [Sales] )""") \
        == Counter({("Red", 550): 1, ("Blue", 290): 1, ("Black", 70): 1})
    # a filter table on the group column restricts the groups themselves
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], FILTER ( ALL ( Product[Color] ), Product[Color] <> "Red" ),
            "N", COUNTROWS ( Product ) )""") == Counter({("Blue", 1): 1, ("Black", 1): 1, ("Green", 1): 1})
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], TREATAS ( { "Parts" }, Category[CategoryName] ),
            "Sales", [Sales] )""") == Counter({("Red", 160): 1, ("Black", 90): 1})
    # with a filter table and no group column: one row
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( TREATAS ( { "Lyon" }, Customer[City] ), "Sales", [Sales] )""") == {(320,): 1}


def test_summarizecolumns_under_outer_filters(engine: Engine) -> None:
    assert bag(engine, """
        EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( Product[Color], "S", [Sales] ), Customer[City] = "Lyon" )""") \
        == Counter({("Red", 240): 1, ("Blue", 60): 1, ("Black", 20): 1})
    # a filter table on a fact column: Chain 30 + 40 + 60, Mountain 80, Pedal 30
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], FILTER ( ALL ( Sales[Qty] ), Sales[Qty] > 2 ), "S", [Sales] )""") \
        == Counter({("Red", 130): 1, ("Blue", 80): 1, ("Black", 30): 1})
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], TREATAS ( { "Paris" }, Customer[City] ),
            "F", ISFILTERED ( Customer[City] ) )""") == Counter(
        {("Red", True): 1, ("Blue", True): 1, ("Black", True): 1, ("Green", True): 1})


def test_summarizecolumns_by_a_fact_column_does_not_filter_dimensions(engine: Engine) -> None:
    assert bag(engine, 'EVALUATE SUMMARIZECOLUMNS ( Sales[ProductKey], "N", COUNTROWS ( Product ) )') == Counter(
        {(1, 5): 1, (2, 5): 1, (3, 5): 1, (4, 5): 1})


# ------------------------------------------------------------------------------------------- table functions


def test_summarize_over_the_fact_with_related_columns(engine: Engine) -> None:
    result = one(engine, "EVALUATE SUMMARIZE ( Sales, Product[Color], Customer[City] )")
    assert result.columns == ("Product[Color]", "Customer[City]")
    assert Counter(result.rows) == Counter({(c, t): 1 for c in ("Red", "Blue", "Black") for t in ("Paris", "Lyon")})
    assert bag(engine, "EVALUATE SUMMARIZE ( Sales, Category[CategoryName] )") == Counter(
        {("Bikes",): 1, ("Parts",): 1})
    assert bag(engine, "EVALUATE SUMMARIZE ( FILTER ( Sales, Sales[Qty] > 2 ), Product[Name] )") == Counter(
        {("Chain",): 1, ("Mountain",): 1, ("Pedal",): 1})
    assert bag(engine, "EVALUATE CALCULATETABLE ( SUMMARIZE ( Sales, Customer[Name] ), Sales[Qty] > 4 )") == Counter(
        {("Ann",): 1, ("Cid",): 1})
    assert bag(engine, "EVALUATE ADDCOLUMNS ( SUMMARIZE ( Sales, Product[Color], Customer[City] ), \"S\", [Sales] )") \
        == Counter({("Red", "Paris", 550): 1, ("Red", "Lyon", 240): 1, ("Blue", "Paris", 290): 1,
                    ("Blue", "Lyon", 60): 1, ("Black", "Paris", 70): 1, ("Black", "Lyon", 20): 1})


def test_addcolumns_measure_transitions_plain_aggregation_does_not(engine: Engine) -> None:
    result = one(engine, """
        EVALUATE ADDCOLUMNS ( SUMMARIZE ( Sales, Product[Color] ),
            "Measure", [Sales],
            "Plain", SUM ( Sales[Amount] ),
            "Calc", CALCULATE ( SUM ( Sales[Amount] ) ) )""")
    assert result.columns == ("Product[Color]", "[Measure]", "[Plain]", "[Calc]")
    assert Counter(result.rows) == Counter(
        {("Red", 790, 1230, 790): 1, ("Blue", 350, 1230, 350): 1, ("Black", 90, 1230, 90): 1})
    assert bag(engine, 'EVALUATE ADDCOLUMNS ( VALUES ( Product[Color] ), "S", [Sales] )') == Counter(
        {("Red", 790): 1, ("Blue", 350): 1, ("Black", 90): 1, ("Green", None): 1})


def test_selectcolumns_and_row(engine: Engine) -> None:
    result = one(engine, 'EVALUATE SELECTCOLUMNS ( Product, "Name", Product[Name], "Len", LEN ( Product[Name] ) )')
    assert result.columns == ("[Name]", "[Len]")
    assert Counter(result.rows) == Counter(
        {("Road", 4): 1, ("Mountain", 8): 1, ("Chain", 5): 1, ("Pedal", 5): 1, ("Bell", 4): 1})
    result = one(engine, 'EVALUATE ROW ( "a", 1, "b", "x", "c", [Sales] )')
    assert result.columns == ("[a]", "[b]", "[c]")
    assert result.rows == ((1, "x", 1230),)


def test_topn_keeps_ties_at_the_boundary(engine: Engine) -> None:
    """Months by order: 2024-01 330, 2024-02 and 2024-03 tie at 290, 2023-03 130, 2023-01 100, 2023-02 90."""
    months = "SUMMARIZE ( Sales, 'Date'[YearMonth] )"
    assert bag(engine, f"EVALUATE TOPN ( 2, {months}, [Sales] )") == Counter(
        {("2024-01",): 1, ("2024-02",): 1, ("2024-03",): 1})
    assert bag(engine, f"EVALUATE TOPN ( 1, {months}, [Sales], DESC )") == {("2024-01",): 1}
    assert bag(engine, f"EVALUATE TOPN ( 4, {months}, [Sales], DESC )") == Counter(
        {("2024-01",): 1, ("2024-02",): 1, ("2024-03",): 1, ("2023-03",): 1})
    assert bag(engine, f"EVALUATE TOPN ( 1, {months}, [Sales], ASC )") == {("2023-02",): 1}
    assert bag(engine, f"EVALUATE TOPN ( 2, {months}, [Sales], ASC )") == Counter({("2023-02",): 1, ("2023-01",): 1})
    # BLANK sorts lowest: Bell (no sales) comes first ascending, last descending
    names = "VALUES ( Product[Name] )"
    assert bag(engine, f"EVALUATE TOPN ( 1, {names}, [Sales], ASC )") == {("Bell",): 1}
    assert bag(engine, f"EVALUATE TOPN ( 4, {names}, [Sales], DESC )") == Counter(
        {("Road",): 1, ("Mountain",): 1, ("Chain",): 1, ("Pedal",): 1})
    assert one(engine, f"EVALUATE TOPN ( 0, {names}, [Sales] )").rows == ()
    check(engine, "SUMX ( TOPN ( 2, Product, [Sales] ), [Sales] )", 980)
    result = one(engine, "EVALUATE TOPN ( 2, Product, [Sales] )")
    assert result.columns == ("Product[ProductKey]", "Product[Name]", "Product[Color]", "Product[CategoryKey]")
    assert Counter(r[1] for r in result.rows) == Counter({"Road": 1, "Mountain": 1})


def test_crossjoin_union_and_constructors(engine: Engine) -> None:
    result = one(engine, "EVALUATE CROSSJOIN ( VALUES ( Product[Color] ), VALUES ( Customer[City] ) )")
    assert result.columns == ("Product[Color]", "Customer[City]")
    assert len(result.rows) == 12 and len(set(result.rows)) == 12
    assert bag(engine, 'EVALUATE UNION ( VALUES ( Product[Color] ), { "Pink" } )') == Counter(
        {("Red",): 1, ("Blue",): 1, ("Black",): 1, ("Green",): 1, ("Pink",): 1})
    assert bag(engine, "EVALUATE UNION ( { 1, 2 }, { 2 } )") == Counter({(1,): 1, (2,): 2})
    result = one(engine, "EVALUATE { 1, 2 }")
    assert result.columns == ("[Value]",)
    assert Counter(result.rows) == Counter({(1,): 1, (2,): 1})
    result = one(engine, 'EVALUATE { ( 1, "a" ), ( 2, "b" ) }')
    assert result.columns == ("[Value1]", "[Value2]")
    assert Counter(result.rows) == Counter({(1, "a"): 1, (2, "b"): 1})


@pytest.mark.parametrize(("expression", "expected"), [
    ("2 IN { 1, 2 }", True),
    ('"x" IN { "a", "b" }', False),
    ('COUNTROWS ( FILTER ( Product, NOT Product[Color] IN { "Red" } ) )', 3),
    ('COUNTROWS ( FILTER ( Product, ( Product[Color], Product[Name] ) IN { ( "Red", "Road" ), ( "Red", "Bell" ) } ) )',
     1),
    ("COUNTROWS ( FILTER ( Product, Product[Color] IN VALUES ( Pick[Color] ) ) )", 3),
])
def test_in(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# --------------------------------------------------------------------------------------- time intelligence


def test_previousmonth_by_month(engine: Engine) -> None:
    """The PREVIOUSMONTH filter on Date[Date] removes the row's YearMonth filter (marked date table)."""
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( 'Date'[YearMonth],
            "Sales", [Sales],
            "Previous", CALCULATE ( [Sales], PREVIOUSMONTH ( 'Date'[Date] ) ) )""") == Counter({
        ("2023-01", 100, None): 1, ("2023-02", 90, 100): 1, ("2023-03", 130, 90): 1, ("2023-04", None, 130): 1,
        ("2024-01", 330, None): 1, ("2024-02", 290, 330): 1, ("2024-03", 290, 290): 1, ("2024-04", None, 290): 1})


def test_sameperiodlastyear_by_month(engine: Engine) -> None:
    assert bag(engine, """
        EVALUATE SUMMARIZECOLUMNS ( 'Date'[YearMonth],
            TREATAS ( { "2024-01", "2024-02", "2024-03" }, 'Date'[YearMonth] ),
            "LastYear", CALCULATE ( [Sales], SAMEPERIODLASTYEAR ( 'Date'[Date] ) ),
            "Ytd", CALCULATE ( [Sales], DATESYTD ( 'Date'[Date] ) ) )""") == Counter({
        ("2024-01", 100, 330): 1, ("2024-02", 90, 620): 1, ("2024-03", 130, 910): 1})


FEB_28_29 = "DATESBETWEEN ( 'Date'[Date], DATE ( 2024, 2, 28 ), DATE ( 2024, 2, 29 ) )"


@pytest.mark.parametrize(("expression", "expected"), [
    # a filter on the date column of the marked date table removes the other Date filters
    ("CALCULATE ( CALCULATE ( [Sales], 'Date'[Date] = DATE ( 2024, 1, 31 ) ), 'Date'[YearMonth] = \"2024-02\" )", 80),
    # ... a filter on another Date column does not
    ("CALCULATE ( CALCULATE ( [Sales], 'Date'[Month] = 1 ), 'Date'[Year] = 2024 )", 330),
    ("CALCULATE ( CALCULATE ( [Sales], TREATAS ( VALUES ( Pick[Day] ), 'Date'[Date] ) ), 'Date'[Year] = 2023 )", 130),
    ("CALCULATE ( CALCULATE ( [Sales], ALL ( 'Date' ) ), 'Date'[YearMonth] = \"2024-02\" )", 1230),
    # PREVIOUSMONTH: the whole month before the first date in context
    ("CALCULATE ( CALCULATE ( [Sales], PREVIOUSMONTH ( 'Date'[Date] ) ), 'Date'[Date] = DATE ( 2024, 3, 15 ) )", 290),
    ("CALCULATE ( CALCULATE ( [Sales], PREVIOUSMONTH ( 'Date'[Date] ) ), 'Date'[Year] = 2024 )", None),
    ("CALCULATE ( CALCULATE ( [Sales], PREVIOUSMONTH ( 'Date'[Date] ) ), 'Date'[YearMonth] = \"2024-03\" )", 290),
    # DATEADD over whole months
    ("CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], -1, MONTH ) ), 'Date'[YearMonth] = \"2024-03\" )", 290),
    ("CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], -12, MONTH ) ), 'Date'[YearMonth] = \"2024-02\" )", 90),
    ("CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], -1, YEAR ) ), 'Date'[YearMonth] = \"2024-03\" )", 130),
    ("CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], -1, DAY ) ), 'Date'[Date] = DATE ( 2024, 2, 1 ) )", 80),
    # Feb 28-29 2024, the month's last two days: -1 month is Jan 28-31 (rows of Jan 30 and 31, not Jan 27)
    (f"CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], -1, MONTH ) ), {FEB_28_29} )", 200),
    # +1 month is Mar 28-31 (Mar 29 and Mar 31 twice)
    (f"CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], 1, MONTH ) ), {FEB_28_29} )", 160),
    # Jan 30 is not a month end: +1 month is Feb 29 alone (clamped)
    ("CALCULATE ( CALCULATE ( [Sales], DATEADD ( 'Date'[Date], 1, MONTH ) ), 'Date'[Date] = DATE ( 2024, 1, 30 ) )",
     50),
    # SAMEPERIODLASTYEAR
    ("CALCULATE ( CALCULATE ( [Sales], SAMEPERIODLASTYEAR ( 'Date'[Date] ) ), 'Date'[YearMonth] = \"2024-02\" )", 90),
    ("CALCULATE ( CALCULATE ( [Sales], SAMEPERIODLASTYEAR ( 'Date'[Date] ) ), 'Date'[Date] = DATE ( 2024, 2, 29 ) )",
     30),
    ("CALCULATE ( CALCULATE ( [Sales], SAMEPERIODLASTYEAR ( 'Date'[Date] ) ), 'Date'[Year] = 2024 )", 320),
    # DATESYTD: from Jan 1 to the last date in context
    ("CALCULATE ( CALCULATE ( [Sales], DATESYTD ( 'Date'[Date] ) ), 'Date'[YearMonth] = \"2024-03\" )", 910),
    ("CALCULATE ( CALCULATE ( [Sales], DATESYTD ( 'Date'[Date] ) ), 'Date'[YearMonth] = \"2023-02\" )", 190),
    ("CALCULATE ( CALCULATE ( [Sales], DATESYTD ( 'Date'[Date] ) ), 'Date'[Date] = DATE ( 2024, 2, 14 ) )", 370),
    ("CALCULATE ( CALCULATE ( [Sales], DATESYTD ( 'Date'[Date] ) ), 'Date'[Year] = 2023 )", 320),
    ("CALCULATE ( CALCULATE ( [Sales], DATESMTD ( 'Date'[Date] ) ), 'Date'[Date] = DATE ( 2024, 1, 30 ) )", 250),
    ("CALCULATE ( CALCULATE ( [Sales], DATESQTD ( 'Date'[Date] ) ), 'Date'[Date] = DATE ( 2024, 2, 14 ) )", 370),
    ("CALCULATE ( TOTALYTD ( [Sales], 'Date'[Date] ), 'Date'[YearMonth] = \"2024-02\" )", 620),
    # DATESBETWEEN, BLANK bounds meaning the first / last date
    ("CALCULATE ( [Sales], DATESBETWEEN ( 'Date'[Date], DATE ( 2024, 1, 30 ), DATE ( 2024, 2, 1 ) ) )", 210),
    ("CALCULATE ( [Sales], DATESBETWEEN ( 'Date'[Date], BLANK (), DATE ( 2023, 12, 31 ) ) )", 320),
    ("CALCULATE ( [Sales], DATESBETWEEN ( 'Date'[Date], DATE ( 2024, 3, 15 ), BLANK () ) )", 260),
    ("COUNTROWS ( DATESBETWEEN ( 'Date'[Date], DATE ( 2024, 2, 1 ), DATE ( 2024, 2, 29 ) ) )", 29),
])
def test_time_intelligence(engine: Engine, expression: str, expected: Any) -> None:
    check(engine, expression, expected)


# -------------------------------------------------------------------------------------------------- queries


def test_define_measure_overrides_the_model_measure(engine: Engine) -> None:
    """The query's [Sales] is the quantity; the model's [Red Sales] uses it too."""
    assert bag(engine, """
        DEFINE MEASURE Sales[Sales] = SUM ( Sales[Qty] )
        EVALUATE ROW ( "s", [Sales], "r", [Red Sales] )""") == {(41, 22): 1}
    # the model measure is back in the next query
    check(engine, "[Red Sales]", 790)


def test_define_var_and_table(engine: Engine) -> None:
    assert bag(engine, """
        DEFINE VAR Threshold = 200
        EVALUATE FILTER ( VALUES ( Product[Name] ), [Sales] > Threshold )""") == Counter(
        {("Road",): 1, ("Mountain",): 1})
    results = engine.query("""
        DEFINE TABLE Big = FILTER ( Product, [Sales] > 200 )
        EVALUATE ROW ( "n", COUNTROWS ( Big ), "s", CALCULATE ( [Sales], Big ) )
        EVALUATE SELECTCOLUMNS ( Big, "Name", Product[Name] )""")
    assert results[0].rows == ((2, 980),)
    assert Counter(results[1].rows) == Counter({("Road",): 1, ("Mountain",): 1})


@pytest.mark.parametrize(("text", "expected"), [
    ("""DEFINE VAR Bonus = 10 MEASURE Sales[Plus] = [Sales] + Bonus
        EVALUATE ROW ( "v", [Plus] )""", 1240),
    ("""DEFINE TABLE Big = FILTER ( Product, [Sales] > 200 ) MEASURE Sales[Big Sales] = CALCULATE ( [Sales], Big )
        EVALUATE ROW ( "v", [Big Sales] )""", 980),
])
def test_define_measure_uses_the_query_definitions(engine: Engine, text: str, expected: int) -> None:
    """DEFINE's expressions "can use any of the defined entities" (MSDOCS define-statement-dax)."""
    assert one(engine, text).rows == ((expected,),)


def test_order_by_a_computed_column(engine: Engine) -> None:
    result = one(engine, 'EVALUATE ADDCOLUMNS ( VALUES ( Product[Name] ), "S", [Sales] ) ORDER BY [S] DESC')
    assert result.columns == ("Product[Name]", "[S]")
    assert result.rows == (("Road", 630), ("Mountain", 350), ("Chain", 160), ("Pedal", 90), ("Bell", None))
    result = one(engine, "EVALUATE VALUES ( Product[Name] ) ORDER BY Product[Name]")
    assert result.rows == (("Bell",), ("Chain",), ("Mountain",), ("Pedal",), ("Road",))
    result = one(engine, """
        EVALUATE SUMMARIZECOLUMNS ( Product[Color], Customer[City], "S", [Sales] )
        ORDER BY Customer[City] DESC, [S]""")
    assert result.rows == (("Black", "Paris", 70), ("Blue", "Paris", 290), ("Red", "Paris", 550),
                           ("Black", "Lyon", 20), ("Blue", "Lyon", 60), ("Red", "Lyon", 240))


def test_multiple_evaluates(engine: Engine) -> None:
    results = engine.query("""
        DEFINE VAR x = 1
        EVALUATE ROW ( "a", x )
        EVALUATE ROW ( "b", x + 1 )
        EVALUATE VALUES ( Customer[City] )""")
    assert [r.columns for r in results] == [("[a]",), ("[b]",), ("Customer[City]",)]
    assert results[0].rows == ((1,),)
    assert results[1].rows == ((2,),)
    assert Counter(results[2].rows) == Counter({("Paris",): 1, ("Lyon",): 1, ("Nice",): 1})


def test_dates_come_back_as_datetimes(engine: Engine) -> None:
    result = one(engine, "EVALUATE TREATAS ( VALUES ( Pick[Day] ), 'Date'[Date] )")
    assert result.columns == ("Date[Date]",)
    assert Counter(result.rows) == Counter({(day(2024, 1, 31),): 1, (day(2024, 2, 29),): 1})


# --------------------------------------------------------------------------------------------------- errors


def error_of(engine: Engine, text: str, kind: type[DaxEngineError] = DaxEngineError) -> DaxEngineError:
    with pytest.raises(kind) as caught:
        engine.query(text)
    return caught.value


@pytest.mark.parametrize(("text", "words", "line", "column"), [
    ('EVALUATE\nROW ( "x", SUM ( Sales[Amont] ) )', "unknown column 'Amont'", 2, 18),
    ('EVALUATE ROW ( "x", COUNTROWS ( Nope ) )', "unknown table 'Nope'", 1, 33),
    ('EVALUATE\n  ROW ( "x",\n    [Nope] )', "[Nope]", 3, 5),
    ('EVALUATE ROW ( "x", Sales[Amount] + 1 )', "cannot be determined", 1, 21),
    ('EVALUATE SUMMARIZECOLUMNS ( Product[Color], "x", Product[Name] )', "cannot be determined", 1, 50),
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], Nope[Color] = "Red" ) )', "unknown table 'Nope'", 1, 42),
    ('DEFINE MEASURE Sales[X] = [Y] + 1 MEASURE Sales[Y] = [X] EVALUATE ROW ( "x", [X] )', "circular", 1, 54),
    ('EVALUATE ROW ( "x", Sales[Nope] )', "unknown column 'Nope'", 1, 21),
    ("EVALUATE\n\tNope", "unknown table 'Nope'", 2, 2),
    ('EVALUATE ROW ( "x", SUMX ( Product, Sales[Amount] ) )', "cannot be determined", 1, 37),
    ('EVALUATE ROW ( "x", DIVIDE ( 1 ) )', "DIVIDE takes 2 or 3 arguments", 1, 21),
    ('EVALUATE ROW ( "x", Product )', "is a table", 1, 21),
    ('EVALUATE ROW ( "x", SUM ( Product[Color] ) )', "SUM cannot work with values of type STRING", 1, 21),
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], [Sales] > 10 ) )', "cannot use the measure [Sales]", 1, 42),
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], Product[Color] = "Red" || Customer[City] = "Paris" ) )',
     "columns of one table only", 1, 42),
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], USERELATIONSHIP ( Sales[ProductKey], Customer[CustomerKey] ) ) )',
     "no relationship", 1, 42),
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], ALL ( Product[Color], Customer[City] ) ) )', "one table", 1, 42),
])
def test_errors_with_positions(engine: Engine, text: str, words: str, line: int, column: int) -> None:
    error = error_of(engine, text)
    assert not isinstance(error, Unsupported)
    assert words in str(error)
    assert (error.line, error.column) == (line, column)


def test_circular_model_measures(engine: Engine) -> None:
    error = error_of(engine, 'EVALUATE ROW ( "x", [Loop A] )')
    assert "circular measure reference" in str(error)
    assert "loop a -> loop b -> loop a" in str(error).lower()


@pytest.mark.parametrize(("text", "what", "column"), [
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], ALLCROSSFILTERED ( Product ) ) )', "ALLCROSSFILTERED", 42),
    ('EVALUATE ROW ( "x", CALCULATE ( [Sales], ALLSELECTED ( Product ) ) )', "ALLSELECTED", 42),
])
def test_refused_constructs(engine: Engine, text: str, what: str, column: int) -> None:
    error = error_of(engine, text, Unsupported)
    assert isinstance(error, Unsupported)
    assert error.what == what
    assert str(error).startswith(f"unsupported: {what} at 1:{column}")


def test_start_at(engine: Engine) -> None:
    ascending = engine.query('EVALUATE VALUES ( Product[Color] ) ORDER BY Product[Color] START AT "Blue"')[0]
    colors = [row[0] for row in ascending.rows]
    assert colors == sorted(colors, key=str.lower) and all(c.lower() >= "blue" for c in colors)
    everything = [row[0] for row in engine.query("EVALUATE VALUES ( Product[Color] ) ORDER BY Product[Color]")[0].rows]
    assert colors == [c for c in everything if c is not None and c.lower() >= "blue"]
    descending = engine.query('EVALUATE VALUES ( Product[Color] ) ORDER BY Product[Color] DESC START AT "Blue"')[0]
    assert [row[0] for row in descending.rows] == [c for c in reversed(everything) if c is None or c.lower() <= "blue"]
    with pytest.raises(DaxEngineError, match="syntax error: 1:36"):
        engine.query('EVALUATE VALUES ( Product[Color] ) START AT "Blue"')  # START AT only follows ORDER BY


def test_syntax_error_has_a_position(engine: Engine) -> None:
    error = error_of(engine, 'EVALUATE\nROW ( "x", 1 + )')
    assert "syntax error" in str(error)
    assert (error.line, error.column) == (2, 16)


def test_syntax_error_message_names_the_position(engine: Engine) -> None:
    error = error_of(engine, 'EVALUATE\nROW ( "x", 1 + )')
    assert "2:16" in str(error)


# ------------------------------------------------------------------------- the blank row of a broken relationship


@pytest.fixture(scope="module")
def orphans() -> Engine:
    """Fact rows whose key (9) has no dimension row: DAX shows them under the dimension's virtual blank row."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE dim AS SELECT * FROM (VALUES (1, 'Red'), (2, 'Blue')) v(k, color)")
    connection.execute("CREATE TABLE fact AS SELECT * FROM (VALUES (1, 10), (2, 20), (9, 5), (9, 2)) v(k, amount)")
    model = EngineModel(
        tables=(EngineTable("Dim", "dim", (EngineColumn("Key", T.INTEGER, "k"),
                                           EngineColumn("Color", T.STRING, "color"))),
                EngineTable("Fact", "fact", (EngineColumn("Key", T.INTEGER, "k"),
                                             EngineColumn("Amount", T.INTEGER, "amount")))),
        relationships=(EngineRelationship("Fact", "Key", "Dim", "Key"),),
        measures=(EngineMeasure("Total", "Fact", "SUM ( Fact[Amount] )"),))
    yield Engine(model, connection)
    connection.close()


def test_unmatched_fact_rows_are_counted_in_the_total(orphans: Engine) -> None:
    check(orphans, "[Total]", 37)
    check(orphans, "CALCULATE ( [Total], ISBLANK ( Dim[Color] ) )", 7)
    check(orphans, 'CALCULATE ( [Total], Dim[Color] = "Red" )', 10)
    check(orphans, "COUNTROWS ( DISTINCT ( Dim[Color] ) )", 2)
    check(orphans, "COUNTROWS ( ALL ( Dim[Color] ) )", 3)
    check(orphans, "COUNTROWS ( ALLNOBLANKROW ( Dim[Color] ) )", 2)
    check(orphans, "COUNTROWS ( ALLNOBLANKROW ( Dim ) )", 2)
    # the blank row's BLANK color is "" for <>, so the unmatched rows pass
    check(orphans, 'CALCULATE ( [Total], Dim[Color] <> "Red" )', 27)
    check(orphans, 'CALCULATE ( [Total], Dim[Color] IN { "Red", "Blue" } )', 30)
    check(orphans, "CALCULATE ( [Total], VALUES ( Dim[Color] ) )", 37)
    check(orphans, "CALCULATE ( [Total], DISTINCT ( Dim[Color] ) )", 30)
    check(orphans, "SUMX ( VALUES ( Dim[Color] ), [Total] )", 37)
    check(orphans, "CALCULATE ( [Total], Dim[Key] = 9 )", None)


def test_values_and_summarizecolumns_show_the_blank_row(orphans: Engine) -> None:
    check(orphans, "COUNTROWS ( VALUES ( Dim[Color] ) )", 3)
    assert bag(orphans, 'EVALUATE SUMMARIZECOLUMNS ( Dim[Color], "T", [Total] )') == Counter(
        {("Red", 10): 1, ("Blue", 20): 1, (None, 7): 1})


@pytest.mark.parametrize(("expression", "expected"), [
    # MSDOCS allnoblankrow: COUNTROWS(ALL('DateTime')) = 1281 vs COUNTROWS(ALLNOBLANKROW('DateTime')) = 1280
    ("COUNTROWS ( ALL ( Dim ) )", 3),
    # MSDOCS values: "returns all rows in the specified table plus a blank row, if there is a violation of
    # referential integrity"
    ("COUNTROWS ( VALUES ( Dim ) )", 3),
    ("SUMX ( VALUES ( Dim ), [Total] )", 37),
])
def test_table_forms_include_the_blank_row(orphans: Engine, expression: str, expected: Any) -> None:
    check(orphans, expression, expected)
