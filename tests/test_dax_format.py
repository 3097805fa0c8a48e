"""The DAX formatter: DAX Formatter (SQLBI) layout, quoting, idempotence, round trips through the parser, queries;
and the reference walker."""

from __future__ import annotations

import random

import pytest
from test_dax_parser import MEASURES, QUERIES

from generator.dax import ast
from generator.dax.ast import (
    Binary,
    Boolean,
    Call,
    ColumnRef,
    Keyword,
    NameRef,
    Number,
    Paren,
    String,
    TableConstructor,
    TableRef,
    Tuple,
    Unary,
    VarBlock,
)
from generator.dax.formatter import add_parentheses, format_dax, format_query
from generator.dax.names import dax_column, dax_measure, dax_string, dax_table, table_name
from generator.dax.parser import parse_expression, parse_query
from generator.dax.references import References, children, find_references, walk
from generator.validation.compare import slice_query

WIDTHS = [100, 60, 40, 20]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("divide([a],[b])", "DIVIDE ( [a], [b] )"),
        ("blank()", "BLANK ()"),
        ("true", "TRUE ()"),
        ("False()", "FALSE ()"),
        ("if(1=1,true(),false())", "IF ( 1 = 1, TRUE (), FALSE () )"),
        ("'BI_Tickets'[status]", "BI_Tickets[status]"),
        ("'Dim Date'[Date]", "'Dim Date'[Date]"),
        ("'It''s'[x]", "'It''s'[x]"),
        ("[a]]b]", "[a]]b]"),
        ('"say ""hi"""', '"say ""hi"""'),
        ("1+2*3-4/5^6", "1 + 2 * 3 - 4 / 5 ^ 6"),
        ("a&&b||c", "a && b || c"),
        ("x in{1,2,3}", "x IN { 1, 2, 3 }"),
        ("(a,b)in{(1,2),(3,4)}", "( a, b ) IN { ( 1, 2 ), ( 3, 4 ) }"),
        ("not [x]", "NOT [x]"),
        ("not([x])", "NOT ( [x] )"),
        ("- - 1", "- -1"),
        ("-[x]", "-[x]"),
        ("2^-1", "2 ^ -1"),
        ("( ( 1 ) )", "( ( 1 ) )"),
        ("datesinperiod(D[d], max(D[d]), -1, year)", "DATESINPERIOD ( D[d], MAX ( D[d] ), -1, YEAR )"),
        ("percentile.inc(T[x], .5)", "PERCENTILE.INC ( T[x], .5 )"),
        ("a == b", "a == b"),
        ("a <> b", "a <> b"),
        ("var x = 1 return x", "VAR x = 1\nRETURN\n    x"),
    ],
)
def test_single_line_style(source: str, expected: str) -> None:
    assert format_dax(source) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sales", "Sales"),
        ("BI_Tickets", "BI_Tickets"),
        ("_t1", "_t1"),
        ("Dim Date", "'Dim Date'"),
        ("1Table", "'1Table'"),
        ("Ventes_Été", "'Ventes_Été'"),
        ("It's", "'It''s'"),
        ("Table", "'Table'"),
        ("order", "'order'"),
        ("Year", "'Year'"),
        ("status", "'status'"),
        ("Date", "'Date'"),
    ],
)
def test_table_name_quoting(name: str, expected: str) -> None:
    assert table_name(name) == expected


def test_name_and_string_escapes() -> None:
    assert dax_measure("a]b") == "[a]]b]"
    assert dax_string('a"b') == '"a""b"'


@pytest.mark.parametrize("table, name", [("BI_Date", "month"), ("O'Brien's [x]", "a]]b"), ("Date", "x'y"),
                                         ("Été 1", '"q"')])
def test_names_written_by_dax_names_read_back_as_the_same_names(table: str, name: str) -> None:
    """Every writer of DAX names goes through generator/dax/names.py; what it writes parses back to the name."""
    assert parse_expression(dax_column(table, name)) == ColumnRef(table, name)
    assert parse_expression(dax_table(table)) == TableRef(table)
    assert parse_expression(dax_measure(name)) == NameRef(name)
    query = parse_query(slice_query("total", [name]))  # validate's query of one measure on the grand total
    assert list(query.evaluates[0].table.args) == [String(name), NameRef(name)]


def test_a_variable_reference_stays_unquoted_even_if_it_needs_quotes_as_a_table() -> None:
    text = format_dax("VAR Year = 2024 VAR Été = 1 RETURN Year + Été + COUNTROWS ( 'Été' ) + COUNTROWS ( Year2 )")
    assert text == "VAR Year = 2024\nVAR Été = 1\nRETURN\n    Year + Été + COUNTROWS ( Été ) + COUNTROWS ( Year2 )"
    assert format_dax("COUNTROWS ( 'Été' ) + COUNTROWS ( 'Year' )") == "COUNTROWS ( 'Été' ) + COUNTROWS ( 'Year' )"


def test_long_call_breaks_one_argument_per_line() -> None:
    source = "CALCULATE([Total Sales], REMOVEFILTERS('Date'), USERELATIONSHIP(Sales[ShipDate], 'Date'[Date]))"
    assert format_dax(source, width=60) == (
        "CALCULATE (\n"
        "    [Total Sales],\n"
        "    REMOVEFILTERS ( 'Date' ),\n"
        "    USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] )\n"
        ")"
    )


def test_breaking_is_recursive_and_inner_calls_that_fit_stay_inline() -> None:
    source = "SUMX(FILTER(Sales, Sales[Quantity] > 1 && Sales[Price] > 10), Sales[Quantity] * Sales[Price])"
    assert format_dax(source, width=40) == (
        "SUMX (\n"
        "    FILTER (\n"
        "        Sales,\n"
        "        Sales[Quantity] > 1\n"
        "        && Sales[Price] > 10\n"
        "    ),\n"
        "    Sales[Quantity] * Sales[Price]\n"
        ")"
    )


def test_the_comma_counts_towards_the_width() -> None:
    # "    ABCDEFGH ( 1 )," is 19 characters: at width 18 the inner call must break, at 19 it fits.
    tree = Call("F", (Call("ABCDEFGH", (Number("1"),)), Number("2")))
    assert format_dax(tree, width=19).splitlines()[1] == "    ABCDEFGH ( 1 ),"
    assert format_dax(tree, width=18).splitlines()[1:4] == ["    ABCDEFGH (", "        1", "    ),"]


def test_binary_breaks_before_the_operator() -> None:
    source = "DIVIDE([Promoters] - [Detractors], [Responses]) * 100 + [Adjustment For Something Long]"
    assert format_dax(source, width=50) == (
        "DIVIDE ( [Promoters] - [Detractors], [Responses] )\n    * 100\n+ [Adjustment For Something Long]"
    )


def test_a_chain_of_the_same_operator_breaks_at_every_operator() -> None:
    source = "[Alpha Measure] + [Beta Measure] - [Gamma Measure] + [Delta Measure]"
    assert format_dax(source, width=40) == ("[Alpha Measure]\n+ [Beta Measure]\n- [Gamma Measure]\n+ [Delta Measure]")


def test_var_block_layout() -> None:
    source = (
        "VAR CurrentSales = [Total Sales] "
        "VAR PreviousSales = CALCULATE([Total Sales], SAMEPERIODLASTYEAR('Date'[Date])) "
        "RETURN DIVIDE(CurrentSales - PreviousSales, PreviousSales)"
    )
    assert format_dax(source, width=70) == (
        "VAR CurrentSales = [Total Sales]\n"
        "VAR PreviousSales =\n"
        "    CALCULATE ( [Total Sales], SAMEPERIODLASTYEAR ( 'Date'[Date] ) )\n"
        "RETURN\n"
        "    DIVIDE ( CurrentSales - PreviousSales, PreviousSales )"
    )


def test_var_block_inside_a_call_forces_the_call_to_break() -> None:
    assert format_dax("SUMX(Sales, VAR q = Sales[Quantity] RETURN q * 2)") == (
        "SUMX (\n    Sales,\n    VAR q = Sales[Quantity]\n    RETURN\n        q * 2\n)"
    )


def test_nested_var_blocks_layout() -> None:
    assert format_dax("VAR a = VAR b = 1 RETURN b RETURN a") == (
        "VAR a =\n    VAR b = 1\n    RETURN\n        b\nRETURN\n    a"
    )


def test_table_constructor_breaks_one_row_per_line() -> None:
    source = '{ ("West", 2023), ("East", 2024), ("North", 2025) }'
    assert format_dax(source) == '{ ( "West", 2023 ), ( "East", 2024 ), ( "North", 2025 ) }'
    assert format_dax(source, width=30) == '{\n    ( "West", 2023 ),\n    ( "East", 2024 ),\n    ( "North", 2025 )\n}'
    assert format_dax("{ 1, 2, 3 }", width=8) == "{\n    1,\n    2,\n    3\n}"


def test_parentheses_break_around_their_content() -> None:
    source = "( [Alpha Measure] + [Beta Measure] ) * [Gamma Measure]"
    assert format_dax(source, width=30) == ("(\n    [Alpha Measure]\n    + [Beta Measure]\n)\n* [Gamma Measure]")


def test_comments_are_dropped() -> None:
    assert format_dax("// total\nSUM ( T[x] ) -- the sum\n/* end */") == "SUM ( T[x] )"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("source", MEASURES)
def test_idempotent_and_round_trips(source: str, width: int) -> None:
    formatted = format_dax(source, width=width)
    assert format_dax(formatted, width=width) == formatted
    assert parse_expression(formatted) == parse_expression(source)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("source", MEASURES)
def test_layout_hygiene(source: str, width: int) -> None:
    formatted = format_dax(source, width=width)
    assert "\r" not in formatted
    assert not formatted.endswith("\n")
    for line in formatted.split("\n"):
        assert line == line.rstrip(), repr(line)
        assert line.strip(), "no blank lines"
        assert (len(line) - len(line.lstrip(" "))) % 4 == 0 or line.lstrip().startswith(("+", "-", "*", "&", "|"))


@pytest.mark.parametrize("source", MEASURES)
def test_lines_fit_the_width_when_possible(source: str) -> None:
    for line in format_dax(source, width=100).split("\n"):
        assert len(line) <= 100


def test_parsed_trees_need_no_extra_parentheses() -> None:
    for source in MEASURES:
        tree = parse_expression(source)
        assert add_parentheses(tree) == tree


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (Binary("*", Binary("+", Number("1"), Number("2")), Number("3")), "( 1 + 2 ) * 3"),
        (Binary("-", Number("1"), Binary("-", Number("2"), Number("3"))), "1 - ( 2 - 3 )"),
        (Binary("^", Unary("-", Number("2")), Number("2")), "( -2 ) ^ 2"),
        (Binary("^", Number("2"), Binary("^", Number("3"), Number("2"))), "2 ^ ( 3 ^ 2 )"),
        (Unary("-", Binary("+", NameRef("a"), NameRef("b"))), "-( [a] + [b] )"),
        (Unary("NOT", Binary("&&", NameRef("a"), NameRef("b"))), "NOT ( [a] && [b] )"),
        (Binary("+", Unary("NOT", NameRef("a")), Number("1")), "( NOT [a] ) + 1"),
        (Binary("&&", Binary("||", NameRef("a"), NameRef("b")), NameRef("c")), "( [a] || [b] ) && [c]"),
        (
            Binary("+", VarBlock((("x", Number("1")),), TableRef("x")), Number("1")),
            "(\n    VAR x = 1\n    RETURN\n        x\n)\n+ 1",
        ),
        (Unary("-", Unary("-", Number("1"))), "- -1"),
        (Binary("=", NameRef("a"), Binary("=", NameRef("b"), NameRef("c"))), "[a] = ( [b] = [c] )"),
    ],
)
def test_hand_built_trees_get_the_parentheses_they_need(tree: ast.Expr, expected: str) -> None:
    text = format_dax(tree)
    assert text == expected
    assert parse_expression(text) == add_parentheses(tree)


# ------------------------------------------------------------------------------------------------ random trees
_OPS = ["^", "*", "/", "+", "-", "&", "=", "==", "<>", "<", ">", "<=", ">=", "IN", "&&", "||"]
_FUNCTIONS = ["SUM", "CALCULATE", "BLANK", "IF", "NOT", "PERCENTILE.INC"]


def _random_tree(rng: random.Random, depth: int, variables: tuple[str, ...] = ()) -> ast.Expr:
    if depth == 0 or rng.random() < 0.2:
        leaves: list[ast.Expr] = [
            Number(rng.choice(["1", "2.5", ".5", "10"])),
            String(rng.choice(["a", 'q"uote', ""])),
            Boolean(rng.random() < 0.5),
            TableRef(rng.choice(["Sales", "Dim Date", "Year", "It's"])),
            ColumnRef(rng.choice(["Sales", "Dim Date"]), rng.choice(["Amount", "a]b"])),
            NameRef(rng.choice(["Total Sales", "m"])),
            Keyword("DESC"),
        ]
        if variables:
            leaves.append(TableRef(rng.choice(variables)))
        return rng.choice(leaves)
    sub = depth - 1
    kind = rng.choice(["binary", "binary", "binary", "unary", "call", "paren", "table", "var", "in_tuple"])
    if kind == "binary":
        op = rng.choice(_OPS)
        return Binary(op, _random_tree(rng, sub, variables), _random_tree(rng, sub, variables))
    if kind == "unary":
        return Unary(rng.choice(["-", "+", "NOT"]), _random_tree(rng, sub, variables))
    if kind == "call":
        args = tuple(_random_tree(rng, sub, variables) for _ in range(rng.randint(0, 3)))
        return Call(rng.choice(_FUNCTIONS), args)
    if kind == "paren":
        return Paren(_random_tree(rng, sub, variables))
    if kind == "table":
        size = rng.randint(1, 2)
        rows = tuple(tuple(_random_tree(rng, sub, variables) for _ in range(size)) for _ in range(rng.randint(1, 3)))
        return TableConstructor(rows)
    if kind == "in_tuple":
        items = (_random_tree(rng, sub, variables), _random_tree(rng, sub, variables))
        return Binary("IN", Tuple(items), TableConstructor((items,)))
    names = tuple(f"v{depth}_{i}" for i in range(rng.randint(1, 2)))
    definitions = tuple((name, _random_tree(rng, sub, variables + names[:i])) for i, name in enumerate(names))
    return VarBlock(definitions, _random_tree(rng, sub, variables + names))


@pytest.mark.parametrize("seed", range(300))
def test_random_trees_print_to_text_that_parses_back(seed: int) -> None:
    rng = random.Random(seed)
    tree = _random_tree(rng, rng.randint(1, 5))
    width = rng.choice(WIDTHS)
    text = format_dax(tree, width=width)
    fixed = add_parentheses(tree)
    assert add_parentheses(fixed) == fixed
    assert parse_expression(text) == fixed, text
    assert format_dax(text, width=width) == text


# ------------------------------------------------------------------------------------------------------ queries
def test_query_layout() -> None:
    source = (
        "define measure Sales[Total] = sum(Sales[Amount]) var MinAmount = 10 "
        "evaluate summarizecolumns('Date'[Year], \"Total\", [Total]) order by 'Date'[Year] desc, [Total] start at 2024"
    )
    assert format_query(source) == (
        "DEFINE\n"
        "    MEASURE Sales[Total] = SUM ( Sales[Amount] )\n"
        "    VAR MinAmount = 10\n"
        "EVALUATE\n"
        "SUMMARIZECOLUMNS ( 'Date'[Year], \"Total\", [Total] )\n"
        "ORDER BY\n"
        "    'Date'[Year] DESC,\n"
        "    [Total]\n"
        "START AT 2024"
    )


def test_query_single_order_key_stays_inline() -> None:
    assert format_query("evaluate 'Sales' order by 'Sales'[Amount] DESC") == (
        "EVALUATE\nSales\nORDER BY Sales[Amount] DESC"
    )
    assert format_query("EVALUATE ( 'Table' )") == "EVALUATE\n( 'Table' )"


def test_query_long_definition_breaks_under_its_header() -> None:
    source = "DEFINE MEASURE 'Sales Table'[Big] = CALCULATE([Total], Sales[Amount] > 1000, ALL(Customer)) EVALUATE T"
    assert format_query(source, width=50) == (
        "DEFINE\n"
        "    MEASURE 'Sales Table'[Big] =\n"
        "        CALCULATE (\n"
        "            [Total],\n"
        "            Sales[Amount] > 1000,\n"
        "            ALL ( Customer )\n"
        "        )\n"
        "EVALUATE\n"
        "T"
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("source", QUERIES)
def test_queries_are_idempotent_and_round_trip(source: str, width: int) -> None:
    formatted = format_query(source, width=width)
    assert format_query(formatted, width=width) == formatted
    assert parse_query(formatted) == parse_query(source)


def test_format_query_accepts_a_tree() -> None:
    assert format_query(parse_query("EVALUATE { 1 }")) == "EVALUATE\n{ 1 }"


# --------------------------------------------------------------------------------------------------- references
def test_find_references() -> None:
    source = (
        "VAR Threshold = [Target] * 1.1 "
        "VAR Rows = FILTER ( ALL ( 'Dim Date' ), 'Dim Date'[Year] = 2024 ) "
        "RETURN SUMX ( Rows, IF ( [Sales] > Threshold, Sales[Amount], BLANK () ) ) + COUNTROWS ( Customer )"
    )
    assert find_references(parse_expression(source)) == References(
        columns=frozenset({("Dim Date", "Year"), ("Sales", "Amount")}),
        names=frozenset({"Target", "Sales"}),
        tables=frozenset({"Dim Date", "Customer"}),
        functions=frozenset({"FILTER", "ALL", "SUMX", "IF", "BLANK", "COUNTROWS"}),
    )


def test_variables_are_not_tables_but_only_where_they_are_in_scope() -> None:
    refs = find_references(parse_expression("VAR t = t VAR u = T RETURN COUNTROWS ( u ) + COUNTROWS ( v )"))
    assert refs.tables == {"t", "v"}  # 't' in its own definition is the table; 'T' after it is the variable
    nested = find_references(parse_expression("SUMX ( VAR x = 1 RETURN x, x )"))
    assert nested.tables == {"x"}


def test_keywords_and_literals_are_not_references() -> None:
    refs = find_references(parse_expression("RANKX ( ALL ( T ), [m], , DESC )".replace(", ,", ",")))
    assert refs.tables == {"T"}
    assert refs.functions == {"RANKX", "ALL"}
    assert find_references(parse_expression("TRUE () && NOT FALSE")) == References(
        frozenset(), frozenset(), frozenset(), frozenset()
    )


def test_walk_is_depth_first_in_source_order() -> None:
    tree = parse_expression("VAR a = 1 RETURN F ( [x], -T[c] ) + { ( 2, 3 ) }")
    kinds = [type(node).__name__ for node in walk(tree)]
    assert kinds == [
        "VarBlock",
        "Number",
        "Binary",
        "Call",
        "NameRef",
        "Unary",
        "ColumnRef",
        "TableConstructor",
        "Number",
        "Number",
    ]
    assert children(Number("1")) == ()


@pytest.mark.parametrize("source", MEASURES)
def test_every_measure_has_walkable_references(source: str) -> None:
    tree = parse_expression(source)
    refs = find_references(tree)
    calls = {node.name for node in walk(tree) if isinstance(node, Call)}
    assert refs.functions == calls
    assert refs.columns == {(n.table, n.column) for n in walk(tree) if isinstance(n, ColumnRef)}
    assert not any(isinstance(n, Keyword) and n.name in refs.tables for n in walk(tree))
