"""Calculated columns and calculated tables evaluated by the DAX engine (generator.engine.derived).

Each model is written here as model.bim JSON or TMDL; the data are a few rows in an in-memory DuckDB, and every
expected value is computed by hand from those rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from generator.engine.errors import DaxEngineError
from generator.engine.run import Engine
from generator.engine.sources import model_from_bim, model_from_tmdl

CONTOSO = Path(__file__).parent / "fixtures" / "tmdl" / "contoso"


def _m(item: str) -> dict:
    return {"name": "p", "source": {"type": "m", "expression": f'let S = X{{[Item="{item}"]}} in S'}}


def _calculated(name: str, expression: str, data_type: str = "double") -> dict:
    return {"name": name, "type": "calculated", "dataType": data_type, "expression": expression}


# sales: (qty, price, product key) — lines 1×2, 3×5, 2×10 and 1×1 (product 3 is not in the product table)
SALES_ROWS = (
    "(1, 2.0, 1, DATE '2024-01-05'), (3, 5.0, 1, DATE '2024-02-10'), (2, 10.0, 2, DATE '2024-02-11'), "
    "(1, 1.0, 3, DATE '2025-03-01')"
)


def _model(
    tables_extra: list[dict] | None = None,
    sales_extra: list[dict] | None = None,
    relationships_extra: list[dict] | None = None,
    roles: list[dict] | None = None,
) -> dict:
    sales = {
        "name": "Sales",
        "columns": [
            {"name": "Qty", "dataType": "int64", "sourceColumn": "qty"},
            {"name": "Price", "dataType": "double", "sourceColumn": "price"},
            {"name": "ProductKey", "dataType": "int64", "sourceColumn": "pk"},
            {"name": "Day", "dataType": "dateTime", "sourceColumn": "day"},
            _calculated("Line", "Sales[Qty] * Sales[Price]"),
            _calculated("Size", 'IF ( [Line] > 10, "big", "small" )', "string"),  # needs Line: computed after it
            _calculated("Category", "RELATED ( Product[Category] )", "string"),
            *(sales_extra or []),
        ],
        "partitions": [_m("sales")],
        "measures": [{"name": "Total", "expression": "SUM ( Sales[Line] )"}],
    }
    product = {
        "name": "Product",
        "columns": [
            {"name": "ProductKey", "dataType": "int64", "sourceColumn": "pk"},
            {"name": "Category", "dataType": "string", "sourceColumn": "cat"},
            _calculated("Revenue", "[Total]"),  # a measure: context transition over the product's sales
            _calculated("Lines", "COUNTROWS ( RELATEDTABLE ( Sales ) )", "int64"),
        ],
        "partitions": [_m("product")],
    }
    model: dict = {
        "tables": [sales, product, *(tables_extra or [])],
        "relationships": [
            {
                "name": "r",
                "fromTable": "Sales",
                "fromColumn": "ProductKey",
                "toTable": "Product",
                "toColumn": "ProductKey",
            },
            *(relationships_extra or []),
        ],
    }
    if roles:
        model["roles"] = roles
    return {"model": model}


def _engine(tmp_path: Path, model: dict, **options) -> Engine:
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(model), encoding="utf-8")
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE sales AS SELECT * FROM (VALUES {SALES_ROWS}) t(qty, price, pk, day)")
    connection.execute("CREATE TABLE product AS SELECT * FROM (VALUES (1, 'A'), (2, 'B')) t(pk, cat)")
    return Engine(model_from_bim(path), connection, **options)


def _rows(engine: Engine, query: str) -> list[tuple]:
    return list(engine.query(query)[0].rows)


def test_calculated_columns_are_columns_of_their_table(tmp_path: Path) -> None:
    # Half is stored as the model's int64: 0.5, 1.5, 1 and 0.5 round half away from zero to 1, 2, 1 and 1
    engine = _engine(tmp_path, _model(sales_extra=[_calculated("Half", "Sales[Qty] / 2", "int64")]))
    assert _rows(engine, 'EVALUATE ROW ( "h", SUM ( Sales[Half] ) )') == [(5,)]
    assert _rows(
        engine,
        'EVALUATE SELECTCOLUMNS ( Sales, "q", Sales[Qty], "l", Sales[Line], "s", Sales[Size], "c", Sales[Category] )',
    ) == [(1, 1.0, "small", None), (1, 2.0, "small", "A"), (2, 20.0, "big", "B"), (3, 15.0, "big", "A")]
    # grouped by, filtered on and aggregated like stored columns
    assert _rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Sales[Size], "t", [Total] )') == [("big", 35.0), ("small", 3.0)]
    assert _rows(
        engine,
        'EVALUATE ROW ( "v", CALCULATE ( [Total], Sales[Category] = "A" ), '
        '"n", CALCULATE ( COUNTROWS ( Sales ), Sales[Line] >= 15 ), '
        '"x", SUMX ( Sales, Sales[Line] * 2 ) )',
    ) == [(17.0, 2, 76.0)]
    # a calculated column of a dimension filters the fact table through the relationship
    # (the blank row of Product, for the sale of product 3, has a BLANK Revenue)
    assert _rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Product[Revenue], "t", [Total] )') == [
        (None, 1.0),
        (17.0, 17.0),
        (20.0, 20.0),
    ]


def test_context_transition_in_a_calculated_column(tmp_path: Path) -> None:
    engine = _engine(tmp_path, _model())
    # Revenue = [Total] per product (1×2 + 3×5 = 17; 2×10 = 20); Lines counts its sales rows
    assert _rows(
        engine,
        'EVALUATE SELECTCOLUMNS ( Product, "k", Product[ProductKey], "r", Product[Revenue], "n", Product[Lines] )',
    ) == [(1, 17.0, 2), (2, 20.0, 1)]


def test_circular_calculated_columns_are_refused_naming_them(tmp_path: Path) -> None:
    model = _model(sales_extra=[_calculated("A", "Sales[B] + 1"), _calculated("B", "Sales[A] + 1")])
    engine = _engine(tmp_path, model)
    with pytest.raises(
        DaxEngineError,
        match=r"the calculated columns and tables 'Sales'\[A\], 'Sales'\[B\] "
        r"depend on each other",
    ):
        engine.query('EVALUATE ROW ( "v", [Total] )')
    # two columns that both use context transition on one table need each other too (DAX: circular dependency)
    model = _model(
        sales_extra=[
            _calculated("P", "CALCULATE ( SUM ( Sales[Qty] ) )"),
            _calculated("Q", "CALCULATE ( SUM ( Sales[Price] ) )"),
        ]
    )
    with pytest.raises(DaxEngineError, match=r"'Sales'\[P\], 'Sales'\[Q\] depend on each other"):
        _engine(tmp_path, model).query('EVALUATE ROW ( "v", [Total] )')


def test_a_calculated_column_that_does_not_compile_names_itself(tmp_path: Path) -> None:
    engine = _engine(tmp_path, _model(sales_extra=[_calculated("Bad", "Sales[Nope] * 2")]))
    with pytest.raises(DaxEngineError, match=r"calculated column 'Sales'\[Bad\]: unknown column 'Nope'"):
        engine.query('EVALUATE ROW ( "v", [Total] )')
    # a calculated table that cannot be computed is refused where it is read; the other tables still work
    bad = {
        "name": "Bad",
        "columns": [
            {"name": "Qty", "type": "calculatedTableColumn", "dataType": "int64", "sourceColumn": "Sales[Qty]"}
        ],
        "partitions": [{"name": "p", "source": {"type": "calculated", "expression": "ALLSELECTED ( Sales )"}}],
    }
    engine = _engine(tmp_path, _model([bad]))
    assert _rows(engine, 'EVALUATE ROW ( "v", [Total] )') == [(38.0,)]
    with pytest.raises(DaxEngineError, match=r"calculated table 'Bad': unsupported: ALLSELECTED"):
        engine.query('EVALUATE ROW ( "v", COUNTROWS ( Bad ) )')


def test_calculated_tables_with_relationships(tmp_path: Path) -> None:
    calendar = {
        "name": "Cal",
        "columns": [
            {"name": "Date", "type": "calculatedTableColumn", "dataType": "dateTime", "sourceColumn": "[Date]"},
            _calculated("Year", "YEAR ( Cal[Date] )", "int64"),
        ],
        "partitions": [
            {
                "name": "p",
                "source": {
                    "type": "calculated",
                    "expression": "CALENDAR ( DATE ( 2024, 1, 1 ), DATE ( 2025, 12, 31 ) )",
                },
            }
        ],
    }
    bands = {
        "name": "Band",
        "columns": [
            {"name": "Size", "type": "calculatedTableColumn", "dataType": "string", "sourceColumn": "[Size]"},
            {"name": "Rank", "type": "calculatedTableColumn", "dataType": "int64", "sourceColumn": "[Rank]"},
        ],
        "partitions": [
            {
                "name": "p",
                "source": {
                    "type": "calculated",
                    "expression": 'DATATABLE ( "Size", STRING, "Rank", INTEGER, { { "small", 1 }, { "big", 2 } } )',
                },
            }
        ],
    }
    big = {  # over another table, reading its calculated column
        "name": "Big",
        "columns": [
            {"name": "Qty", "type": "calculatedTableColumn", "dataType": "int64", "sourceColumn": "Sales[Qty]"},
            {"name": "Line", "type": "calculatedTableColumn", "dataType": "double", "sourceColumn": "Sales[Line]"},
        ],
        "partitions": [
            {"name": "p", "source": {"type": "calculated", "expression": "FILTER ( Sales, Sales[Line] > 10 )"}}
        ],
    }
    engine = _engine(
        tmp_path,
        _model(
            [calendar, bands, big],
            relationships_extra=[
                {"name": "d", "fromTable": "Sales", "fromColumn": "Day", "toTable": "Cal", "toColumn": "Date"},
                {"name": "b", "fromTable": "Sales", "fromColumn": "Size", "toTable": "Band", "toColumn": "Size"},
            ],
        ),
    )
    assert _rows(engine, 'EVALUATE ROW ( "days", COUNTROWS ( Cal ), "first", MIN ( Cal[Year] ) )') == [(731, 2024)]
    assert _rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Cal[Year], "t", [Total] )') == [(2024, 37.0), (2025, 1.0)]
    assert _rows(engine, 'EVALUATE ROW ( "n", COUNTROWS ( Big ), "q", SUM ( Big[Qty] ), "l", SUM ( Big[Line] ) )') == [
        (2, 5, 35.0)
    ]
    # a relationship on a calculated column to a calculated table
    assert _rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Band[Rank], "t", [Total] )') == [(1, 3.0), (2, 35.0)]


def test_calculated_columns_under_row_level_security(tmp_path: Path) -> None:
    role = {"name": "Big only", "tablePermissions": [{"name": "Sales", "filterExpression": 'Sales[Size] = "big"'}]}
    engine = _engine(tmp_path, _model(roles=[role]), role="Big only", user="u@x")
    # the role filters on a calculated column; calculated columns themselves are computed on every row
    assert _rows(engine, 'EVALUATE ROW ( "t", [Total], "r", MAX ( Product[Revenue] ) )') == [(35.0, 20.0)]


def test_public_sample_tmdl_model(tmp_path: Path) -> None:
    """The Contoso TMDL fixture: calculated columns on Sales, a CALENDAR table with a calculated column."""
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE \"Sales\" AS SELECT * FROM (VALUES ('o1', DATE '2024-01-01', 2, 4.0, 1.0, 1), "
        "('o2', DATE '2025-06-30', 1, 30.0, 9.0, 2)) "
        't("Order Number", "Order Date", "Quantity", "Net Price", "Cost", "ProductKey")'
    )
    connection.execute(
        'CREATE TABLE "Product Category" AS SELECT 1 AS "ProductKey", \'Bikes\' AS "Category", '
        "'x' AS \"Sub.Category\", 'y' AS \"Product Name\""
    )
    engine = Engine(model_from_tmdl(CONTOSO), connection)
    assert _rows(
        engine, 'EVALUATE SUMMARIZECOLUMNS ( Calendar[Year], Sales[Price Band], "t", SUM ( Sales[Line Total] ) )'
    ) == [(2024, "Low", 8.0), (2025, "High", 30.0)]
    # its calculation group (precedence 10): Current, YTD (DATESYTD) and Prior Year (SAMEPERIODLASTYEAR) in 2025
    assert _rows(
        engine,
        "EVALUATE SUMMARIZECOLUMNS ( 'Time Intelligence'[Time Calculation], TREATAS ( { 2025 }, Calendar[Year] ), "
        '"s", [Sales Amount] )',
    ) == [("Current", 30.0), ("Prior Year", 8.0), ("YTD", 30.0)]


def _group(name: str, precedence: int, items: list[tuple[str, str]]) -> dict:
    return {
        "name": name,
        "calculationGroup": {
            "precedence": precedence,
            "calculationItems": [
                {"name": item, "expression": expression, "ordinal": i} for i, (item, expression) in enumerate(items)
            ],
        },
        "columns": [
            {"name": name, "dataType": "string", "sourceColumn": "Name"},
            {"name": "Ordinal", "dataType": "int64", "sourceColumn": "Ordinal"},
        ],
        "partitions": [{"name": "p", "source": {"type": "calculationGroup"}}],
    }


def test_calculation_groups(tmp_path: Path) -> None:
    calc = _group(
        "Calc",
        10,
        [
            ("Current", "SELECTEDMEASURE ()"),
            ("Double", "SELECTEDMEASURE () * 2"),
            ("Name", 'IF ( SELECTEDMEASURENAME () = "Count", -1, SELECTEDMEASURE () )'),
            ("Only Total", "IF ( ISSELECTEDMEASURE ( [Total] ), SELECTEDMEASURE () )"),
            ("Formatted", "IF ( ISBLANK ( SELECTEDMEASUREFORMATSTRING () ), 0, 1 )"),
            ("Big", 'CALCULATE ( SELECTEDMEASURE (), Sales[Size] = "big" )'),
        ],
    )
    adder = _group("Adder", 5, [("Plus1", "SELECTEDMEASURE () + 1")])
    model = _model([calc, adder])
    model["model"]["tables"][0]["measures"].append(
        {"name": "Count", "expression": "COUNTROWS ( Sales )", "formatString": "0"}
    )
    engine = _engine(tmp_path, model)
    # grouping by the group's column applies each item to the measure references (Total = 38, Count = 4)
    assert _rows(engine, 'EVALUATE SUMMARIZECOLUMNS ( Calc[Calc], "t", [Total], "n", [Count] )') == [
        ("Big", 35.0, 2),
        ("Current", 38.0, 4),
        ("Double", 76.0, 8),
        ("Formatted", 0.0, 1),  # Count has a format string, Total none
        ("Name", 38.0, -1),
        ("Only Total", 38.0, None),
    ]
    # a CALCULATE filter selects an item; an expression that is not a measure reference is left alone
    assert _rows(
        engine,
        'EVALUATE ROW ( "t", CALCULATE ( [Total], Calc[Calc] = "Double" ), '
        '"s", CALCULATE ( SUM ( Sales[Line] ), Calc[Calc] = "Double" ), '
        '"all", CALCULATE ( [Total], Calc[Calc] IN { "Double", "Current" } ) )',
    ) == [(76.0, 38.0, 38.0)]
    # precedence: Calc (10) is applied first, outermost: (Total + 1) * 2, not Total * 2 + 1
    assert _rows(
        engine, 'EVALUATE ROW ( "t", CALCULATE ( [Total], Calc[Calc] = "Double", Adder[Adder] = "Plus1" ) )'
    ) == [(78.0,)]
    # SELECTEDMEASURE outside a calculation item
    with pytest.raises(DaxEngineError, match=r"SELECTEDMEASURE \(\) can only be used in a calculation item"):
        engine.query('EVALUATE ROW ( "v", SELECTEDMEASURE () )')


def test_bim_and_tmdl_give_the_same_calculated_objects(tmp_path: Path) -> None:
    tmdl = {
        "tables/T.tmdl": "table T\n\tcolumn A\n\t\tdataType: int64\n\t\tsourceColumn: a\n\n"
        "\tcolumn B = T[A] * 2\n\t\tdataType: int64\n\n\tpartition T = m\n\t\tmode: import\n"
        '\t\tsource = let S = X{[Item="t"]} in S\n',
        "tables/D.tmdl": "table D\n\tcolumn Value\n\t\tdataType: int64\n\t\tsourceColumn: [Value]\n\n"
        "\tpartition D = calculated\n\t\tmode: import\n\t\tsource = GENERATESERIES ( 1, 3 )\n",
        "tables/G.tmdl": "table G\n\tcalculationGroup\n\t\tprecedence: 3\n\n"
        "\t\tcalculationItem Twice = SELECTEDMEASURE () * 2\n\t\t\tordinal: 1\n"
        '\t\t\tformatStringDefinition = "0.0"\n\n'
        "\tcolumn G\n\t\tdataType: string\n\t\tsourceColumn: Name\n\n"
        "\tpartition G = calculationGroup\n\t\tmode: import\n\t\tsource\n",
        "model.tmdl": "model Model\n\nref table T\nref table D\nref table G\n",
    }
    definition = tmp_path / "definition"
    for name, text in tmdl.items():
        (definition / name).parent.mkdir(parents=True, exist_ok=True)
        (definition / name).write_text(text, encoding="utf-8")
    bim = {
        "model": {
            "tables": [
                {
                    "name": "T",
                    "columns": [
                        {"name": "A", "dataType": "int64", "sourceColumn": "a"},
                        _calculated("B", "T[A] * 2", "int64"),
                    ],
                    "partitions": [_m("t")],
                },
                {
                    "name": "D",
                    "columns": [
                        {
                            "name": "Value",
                            "type": "calculatedTableColumn",
                            "dataType": "int64",
                            "sourceColumn": "[Value]",
                        }
                    ],
                    "partitions": [
                        {"name": "D", "source": {"type": "calculated", "expression": "GENERATESERIES ( 1, 3 )"}}
                    ],
                },
                {
                    "name": "G",
                    "calculationGroup": {
                        "precedence": 3,
                        "calculationItems": [
                            {
                                "name": "Twice",
                                "expression": "SELECTEDMEASURE () * 2",
                                "ordinal": 1,
                                "formatStringDefinition": {"expression": '"0.0"'},
                            }
                        ],
                    },
                    "columns": [{"name": "G", "dataType": "string", "sourceColumn": "Name"}],
                    "partitions": [{"name": "G", "source": {"type": "calculationGroup"}}],
                },
            ]
        }
    }
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(bim), encoding="utf-8")
    from_bim, from_tmdl = model_from_bim(path), model_from_tmdl(definition)
    assert from_bim.tables == from_tmdl.tables
    group = from_tmdl.table("G").calculation_group
    assert group is not None and group.precedence == 3
    assert [(i.name, i.expression, i.ordinal, i.format_string_expression) for i in group.items] == [
        ("Twice", "SELECTEDMEASURE () * 2", 1, '"0.0"')
    ]
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1), (4)) v(a)")
    engine = Engine(from_tmdl, connection)
    assert _rows(engine, 'EVALUATE ROW ( "b", SUM ( T[B] ), "d", SUM ( D[Value] ), "g", COUNTROWS ( G ) )') == [
        (10, 6, 1)
    ]
