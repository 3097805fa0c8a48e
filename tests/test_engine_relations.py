"""Bidirectional and many-to-many relationships, CROSSFILTER and ALLSELECTED, on a hand-made model.

The model (a ``model.bim`` written by the test) and its data, every value below computed by hand from them:

* ``Product``: 1 Road Bikes, 2 Mountain Bikes, 3 Chain Parts, 4 Bell Parts (no sales, no returns);
* ``Customer``: 1 Ann Paris, 2 Bob Lyon, 3 Cid Paris (no sales);
* ``Sales`` → Product (**both directions**), → Customer: (Road, Ann, 100), (Road, Bob, 200), (Mountain, Ann, 50),
  (Chain, Bob, 30), (Chain, Bob, 20) — by product Road 300, Mountain 50, Chain 50; 400 in all;
* ``Returns`` → Product (single direction): (Road, Ann, 1), (Chain, Bob, 2), (Chain, Bob, 1);
* ``Budget`` — ``Budget[Category]`` to ``Product[Category]`` is **many-to-many**, single direction (Product
  filters Budget): (Bikes, 2023, 1000), (Bikes, 2024, 1200), (Parts, 2024, 300), (Clothing, 2024, 50).

Ann bought Road and Mountain (both Bikes), Bob Road and Chain (Bikes and Parts); Cid nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.run import Engine
from generator.engine.sources import model_from_bim

DATA = {
    "Product": (
        "ProductKey BIGINT, Name VARCHAR, Category VARCHAR",
        "(1, 'Road', 'Bikes'), (2, 'Mountain', 'Bikes'), (3, 'Chain', 'Parts'), (4, 'Bell', 'Parts')",
    ),
    "Customer": (
        "CustomerKey BIGINT, Name VARCHAR, City VARCHAR",
        "(1, 'Ann', 'Paris'), (2, 'Bob', 'Lyon'), (3, 'Cid', 'Paris')",
    ),
    "Sales": (
        "SalesKey BIGINT, ProductKey BIGINT, CustomerKey BIGINT, Amount DOUBLE",
        "(1, 1, 1, 100), (2, 1, 2, 200), (3, 2, 1, 50), (4, 3, 2, 30), (5, 3, 2, 20)",
    ),
    "Returns": (
        "ReturnKey BIGINT, ProductKey BIGINT, CustomerKey BIGINT, Qty BIGINT",
        "(1, 1, 1, 1), (2, 3, 2, 2), (3, 3, 2, 1)",
    ),
    "Budget": (
        "Category VARCHAR, Year BIGINT, Amount DOUBLE",
        "('Bikes', 2023, 1000), ('Bikes', 2024, 1200), ('Parts', 2024, 300), ('Clothing', 2024, 50)",
    ),
}
_TYPES = {"BIGINT": "int64", "VARCHAR": "string", "DOUBLE": "double"}


def _relationship(name: str, many: str, one: str, **extra: str) -> dict:
    (from_table, from_column), (to_table, to_column) = (end.rstrip("]").split("[") for end in (many, one))
    return {
        "name": name,
        "fromTable": from_table,
        "fromColumn": from_column,
        "toTable": to_table,
        "toColumn": to_column,
        **extra,
    }


RELATIONSHIPS = [
    _relationship("sales_product", "Sales[ProductKey]", "Product[ProductKey]", crossFilteringBehavior="bothDirections"),
    _relationship("sales_customer", "Sales[CustomerKey]", "Customer[CustomerKey]"),
    _relationship("returns_product", "Returns[ProductKey]", "Product[ProductKey]"),
    _relationship(
        "budget_category", "Budget[Category]", "Product[Category]", fromCardinality="many", toCardinality="many"
    ),
]
MEASURES = {
    "Sales": "SUM ( Sales[Amount] )",
    "Returned": "SUM ( Returns[Qty] )",
    "Budget": "SUM ( Budget[Amount] )",
    "Share": "DIVIDE ( [Sales], CALCULATE ( [Sales], ALLSELECTED ( Product[Name] ) ) )",
}


def write_model(path: Path, relationships: list[dict]) -> Path:
    """A model.bim of the tables of DATA with ``relationships`` and the measures (on Sales)."""
    tables = []
    for name, (columns, _) in DATA.items():
        pairs = [c.split() for c in columns.split(", ")]
        table: dict = {
            "name": name,
            "columns": [{"name": c, "dataType": _TYPES[t], "sourceColumn": c} for c, t in pairs],
        }
        if name == "Sales":
            table["measures"] = [{"name": m, "expression": e} for m, e in MEASURES.items()]
        tables.append(table)
    path.write_text(
        json.dumps(
            {
                "name": "Relations",
                "compatibilityLevel": 1550,
                "model": {"tables": tables, "relationships": relationships},
            }
        ),
        encoding="utf-8",
    )
    return path


def _connection(extra_sales: str = "") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, (columns, rows) in DATA.items():
        con.execute(f'CREATE TABLE "{name}" ({columns})')
        con.execute(f'INSERT INTO "{name}" VALUES {rows}{extra_sales if name == "Sales" else ""}')
    return con


@pytest.fixture(scope="module")
def connection() -> duckdb.DuckDBPyConnection:
    con = _connection()
    yield con
    con.close()


def _engine(
    tmp_path_factory: pytest.TempPathFactory,
    connection: duckdb.DuckDBPyConnection,
    name: str,
    relationships: list[dict],
) -> Engine:
    path = write_model(tmp_path_factory.mktemp(name) / "model.bim", relationships)
    return Engine(model_from_bim(path), connection)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, connection: duckdb.DuckDBPyConnection) -> Engine:
    return _engine(tmp_path_factory, connection, "bidi", RELATIONSHIPS)


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory, connection: duckdb.DuckDBPyConnection) -> Engine:
    """The same model with Sales → Product in one direction only and without the many-to-many relationship."""
    plain = [{k: v for k, v in r.items() if k != "crossFilteringBehavior"} for r in RELATIONSHIPS[:3]]
    return _engine(tmp_path_factory, connection, "single", plain)


def rows(engine: Engine, text: str) -> Counter:
    (result,) = engine.query(text)
    return Counter(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in result.rows)


def value(engine: Engine, expression: str):
    return engine.evaluate(expression)


# ------------------------------------------------------------------------------------------- bidirectional

# Queries that never need a filter to cross Sales → Product against its many-to-one direction.
NOT_CROSSING = [
    ('EVALUATE SUMMARIZECOLUMNS ( Product[Category], "S", [Sales] )', {("Bikes", 350): 1, ("Parts", 50): 1}),
    (
        'EVALUATE SUMMARIZECOLUMNS ( Customer[City], Product[Category], "S", [Sales] )',
        {("Paris", "Bikes", 150): 1, ("Lyon", "Bikes", 200): 1, ("Lyon", "Parts", 50): 1},
    ),
    (
        'EVALUATE ROW ( "n", COUNTROWS ( Product ), "parts", CALCULATE ( COUNTROWS ( Product ), '
        'Product[Category] = "Parts" ) )',
        {(4, 2): 1},
    ),  # a filter on Product does not bounce back through Sales
    ('EVALUATE SUMMARIZECOLUMNS ( Product[Name], "R", [Returned] )', {("Road", 1): 1, ("Chain", 3): 1}),
    ("EVALUATE VALUES ( Product[Name] )", {("Road",): 1, ("Mountain",): 1, ("Chain",): 1, ("Bell",): 1}),
]


@pytest.mark.parametrize(("query", "expected"), NOT_CROSSING)
def test_queries_that_do_not_cross_answer_as_with_a_single_direction(
    engine: Engine, single: Engine, query: str, expected: dict
) -> None:
    assert rows(engine, query) == rows(single, query) == Counter(expected)


def test_a_filter_on_the_many_side_filters_the_one_side(engine: Engine) -> None:
    assert rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Customer[Name], "N", COUNTROWS ( Product ) )') == Counter(
        {("Ann", 2): 1, ("Bob", 2): 1}
    )  # Cid bought nothing: no product, the row is BLANK and dropped
    assert value(engine, "CALCULATE ( COUNTROWS ( Product ), Sales[Amount] > 60 )") == 1  # Road only
    assert value(engine, 'CALCULATE ( COUNTROWS ( Product ), Customer[Name] = "Cid" )') is None


def test_the_filter_travels_on_along_a_chain(engine: Engine) -> None:
    # Customer → Sales → Product (both directions) → Returns: returns of the products each city bought.
    assert rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Customer[City], "R", [Returned] )') == Counter(
        {("Paris", 1): 1, ("Lyon", 4): 1}
    )
    assert value(engine, "[Returned]") == 4


def test_the_blank_row_passes_when_filtered_sales_have_no_product(tmp_path_factory: pytest.TempPathFactory) -> None:
    # One more sale, by Bob, of product 9, which Product lacks: it belongs to Product's blank row.
    con = _connection(", (6, 9, 2, 5)")
    try:
        orphans = _engine(tmp_path_factory, con, "orphans", RELATIONSHIPS)
        names = "COUNTROWS ( VALUES ( Product[Name] ) )"
        assert rows(orphans, f'EVALUATE SUMMARIZECOLUMNS ( Customer[Name], "N", {names} )') == Counter(
            {("Ann", 2): 1, ("Bob", 3): 1}
        )  # Bob: Road, Chain and the blank row
        assert orphans.evaluate(f"CALCULATE ( {names}, Sales[Amount] > 60 )") == 1  # Road only
        assert orphans.evaluate(f"{names}") == 5
    finally:
        con.close()


def test_iscrossfiltered_sees_the_filter_that_crosses(engine: Engine) -> None:
    assert value(engine, 'CALCULATE ( ISCROSSFILTERED ( Product ), Customer[City] = "Lyon" )') is True
    assert value(engine, 'CALCULATE ( ISCROSSFILTERED ( Customer ), Product[Name] = "Road" )') is False


def test_an_ambiguous_path_is_refused_only_where_a_filter_takes_it(
    tmp_path_factory: pytest.TempPathFactory, connection: duckdb.DuckDBPyConnection
) -> None:
    # Returns → Customer as well: a Customer filter reaches Returns directly and through Sales and Product.
    ambiguous = _engine(
        tmp_path_factory,
        connection,
        "ambiguous",
        [*RELATIONSHIPS, _relationship("returns_customer", "Returns[CustomerKey]", "Customer[CustomerKey]")],
    )
    assert rows(ambiguous, 'EVALUATE SUMMARIZECOLUMNS ( Product[Name], "R", [Returned] )') == Counter(
        {("Road", 1): 1, ("Chain", 3): 1}
    )
    with pytest.raises(Unsupported) as caught:
        ambiguous.query('EVALUATE SUMMARIZECOLUMNS ( Customer[City], "R", [Returned] )')
    assert "ambiguous filter path from 'Customer' to 'Returns'" in str(caught.value)
    assert "Sales[ProductKey] -> Product[ProductKey]" in str(caught.value)


# -------------------------------------------------------------------------------------------- many-to-many


def test_many_to_many_filters_by_key_membership(engine: Engine) -> None:
    # Clothing has a budget and no product: no blank row collects it (a many-to-many relationship is limited).
    assert rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Product[Category], "B", [Budget] )') == Counter(
        {("Bikes", 2200): 1, ("Parts", 300): 1}
    )
    assert value(engine, "[Budget]") == 2550
    assert value(engine, 'CALCULATE ( [Budget], Product[Name] = "Bell" )') == 300
    # Customer → Sales → Product (both directions) → Budget: the categories each customer bought.
    assert rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Customer[Name], "B", [Budget] )') == Counter(
        {("Ann", 2200): 1, ("Bob", 2500): 1}
    )


def test_many_to_many_in_one_direction_does_not_filter_back(engine: Engine) -> None:
    assert rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Budget[Year], "N", COUNTROWS ( Product ) )') == Counter(
        {(2023, 4): 1, (2024, 4): 1}
    )


def test_many_to_many_is_not_a_lookup(engine: Engine) -> None:
    with pytest.raises(DaxEngineError, match="RELATED"):
        engine.query('EVALUATE ADDCOLUMNS ( Budget, "n", RELATED ( Product[Name] ) )')


# ------------------------------------------------------------------------------------------------ CROSSFILTER


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("BOTH", {(2023, 2): 1, (2024, 4): 1}),  # Bikes: Road, Mountain; 2024: Bikes and Parts
        ("ONEWAY_LEFTFILTERSRIGHT", {(2023, 2): 1, (2024, 4): 1}),  # Budget (left) filters Product
        ("4", {(2023, 2): 1, (2024, 4): 1}),
        ("ONEWAY_RIGHTFILTERSLEFT", {(2023, 4): 1, (2024, 4): 1}),  # Product filters Budget only
        ("NONE", {(2023, 4): 1, (2024, 4): 1}),
    ],
)
def test_crossfilter_on_many_to_many(engine: Engine, direction: str, expected: dict) -> None:
    query = (
        f'EVALUATE SUMMARIZECOLUMNS ( Budget[Year], "N", CALCULATE ( COUNTROWS ( Product ), '
        f"CROSSFILTER ( Budget[Category], Product[Category], {direction} ) ) )"
    )
    assert rows(engine, query) == Counter(expected)


def test_crossfilter_on_many_to_one(engine: Engine) -> None:
    none = "CALCULATE ( [Sales], CROSSFILTER ( Product[ProductKey], Sales[ProductKey], NONE ) )"
    assert rows(engine, f'EVALUATE SUMMARIZECOLUMNS ( Product[Category], "S", {none} )') == Counter(
        {("Bikes", 400): 1, ("Parts", 400): 1}
    )
    oneway = "CALCULATE ( COUNTROWS ( Product ), CROSSFILTER ( Sales[ProductKey], Product[ProductKey], ONEWAY ) )"
    assert rows(engine, f'EVALUATE SUMMARIZECOLUMNS ( Customer[Name], "N", {oneway} )') == Counter(
        {("Ann", 4): 1, ("Bob", 4): 1, ("Cid", 4): 1}
    )
    both = "CROSSFILTER ( Sales[CustomerKey], Customer[CustomerKey], BOTH )"
    assert value(engine, f'CALCULATE ( COUNTROWS ( Customer ), Product[Category] = "Parts", {both} )') == 1
    assert value(engine, 'CALCULATE ( COUNTROWS ( Customer ), Product[Category] = "Parts" )') == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("Sales[ProductKey], Product[ProductKey], ONEWAY_LEFTFILTERSRIGHT", "many-to-many relationship only"),
        ("Budget[Category], Product[Category], ONEWAY", "does not say which side filters"),
        ("Sales[Amount], Product[ProductKey], BOTH", "no relationship between Sales[Amount] and Product[ProductKey]"),
        ("Sales[ProductKey], Product[ProductKey], SIDEWAYS", "direction must be"),
    ],
)
def test_crossfilter_errors(engine: Engine, arguments: str, message: str) -> None:
    with pytest.raises(DaxEngineError, match=re.escape(message)):
        engine.query(f'EVALUATE ROW ( "x", CALCULATE ( [Sales], CROSSFILTER ( {arguments} ) ) )')


# ------------------------------------------------------------------------------------------------- ALLSELECTED

SELECTED = 'TREATAS ( { "Road", "Chain" }, Product[Name] )'


def test_allselected_restores_the_filter_tables_of_summarizecolumns(engine: Engine) -> None:
    # Selected: Road 300 + Chain 50 = 350; ALL would give 400.
    query = f"""EVALUATE SUMMARIZECOLUMNS ( Product[Name], {SELECTED}, "S", [Sales],
        "Selected", CALCULATE ( [Sales], ALLSELECTED ( Product[Name] ) ), "Share", [Share],
        "Table", CALCULATE ( [Sales], ALLSELECTED ( Product ) ), "All", CALCULATE ( [Sales], ALL ( Product[Name] ) ),
        "N", COUNTROWS ( ALLSELECTED ( Product[Name] ) ) )"""
    assert rows(engine, query) == Counter(
        {
            ("Road", 300, 350, round(300 / 350, 9), 350, 400, 2): 1,
            ("Chain", 50, 350, round(50 / 350, 9), 350, 400, 2): 1,
        }
    )


def test_allselected_keeps_the_filters_of_an_enclosing_calculatetable(engine: Engine) -> None:
    # Bob (Lyon) bought Road 200 and Chain 50.
    query = """EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( Product[Name], "S", [Sales],
        "Selected", CALCULATE ( [Sales], ALLSELECTED () ) ), Customer[City] = "Lyon" )"""
    assert rows(engine, query) == Counter({("Road", 200, 250): 1, ("Chain", 50, 250): 1})


@pytest.mark.parametrize(
    "query",
    [
        'EVALUATE ROW ( "x", CALCULATE ( [Sales], ALLSELECTED ( Product ) ) )',
        'EVALUATE SUMMARIZECOLUMNS ( Product[Name], "x", SUMX ( VALUES ( Customer[Name] ), [Share] ) )',
        'EVALUATE SUMMARIZECOLUMNS ( Product[Name], "x", SUMX ( { 1, 2 }, [Share] ) )',
        'EVALUATE SUMMARIZECOLUMNS ( Product[Name], "x", COUNTROWS ( FILTER ( ALLSELECTED ( Product ), [Share] ) ) )',
    ],
)
def test_allselected_without_a_known_shadow_filter_context_is_refused(engine: Engine, query: str) -> None:
    with pytest.raises(Unsupported, match="unsupported: ALLSELECTED"):
        engine.query(query)


# ---------------------------------------------------------------------------------------------------- servers

SERVER_QUERIES = {
    'EVALUATE SUMMARIZECOLUMNS ( Customer[City], "R", [Returned], "B", [Budget] )': {
        ("Paris", 1, 2200): 1,
        ("Lyon", 4, 2500): 1,
    },
    'EVALUATE SUMMARIZECOLUMNS ( Budget[Year], "N", CALCULATE ( COUNTROWS ( Product ), '
    "CROSSFILTER ( Budget[Category], Product[Category], BOTH ) ) )": {(2023, 2): 1, (2024, 4): 1},
    f'EVALUATE SUMMARIZECOLUMNS ( Product[Name], {SELECTED}, "Share", [Share] )': {
        ("Road", round(300 / 350, 9)): 1,
        ("Chain", round(50 / 350, 9)): 1,
    },
}


_SERVER_TYPES = {"VARCHAR": "VARCHAR(40)", "DOUBLE": "DOUBLE PRECISION"}


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_relations_on_the_servers(
    server: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import pyodbc

    from generator.engine.session import open_odbc_read_only

    connection_string = request.getfixturevalue(f"{server}_db").removeprefix("odbc:")
    quote = '"' if server == "postgres" else "`"
    loader = pyodbc.connect(connection_string, autocommit=True)
    for name, (columns, values) in DATA.items():
        typed = ", ".join(
            f"{quote}{c}{quote} {_SERVER_TYPES.get(t, t)}" for c, t in (pair.split() for pair in columns.split(", "))
        )
        loader.execute(f"CREATE TABLE {quote}{name}{quote} ({typed})")
        loader.execute(f"INSERT INTO {quote}{name}{quote} VALUES {values}")
    loader.close()
    session = open_odbc_read_only(connection_string)
    try:
        path = write_model(tmp_path_factory.mktemp(server) / "model.bim", RELATIONSHIPS)
        engine = Engine(model_from_bim(path), session)
        for query, expected in SERVER_QUERIES.items():
            assert rows(engine, query) == Counter(expected), query
    finally:
        session.close()
