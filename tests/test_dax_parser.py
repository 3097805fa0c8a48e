"""The DAX parser: precedence, every node kind, positions, error messages, real-world measures and queries.

``MEASURES`` and ``QUERIES`` are also used by ``test_dax_format.py``.
"""

from __future__ import annotations

import pytest

from generator.dax import ast
from generator.dax.ast import (
    Binary,
    Boolean,
    Call,
    ColumnRef,
    Define,
    Evaluate,
    Keyword,
    NameRef,
    Number,
    OrderKey,
    Paren,
    Query,
    String,
    TableConstructor,
    TableRef,
    Tuple,
    Unary,
    VarBlock,
)
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression, parse_query
from generator.dax.references import children

# Real-world measure expressions, written in the many styles people use (comments, lower case, no spaces ...).
MEASURES: list[str] = [
    "SUM ( Sales[Amount] )",
    "sum(Sales[Amount])",
    "DIVIDE ( [Total Sales], [Total Cost] )",
    "DIVIDE([Profit], [Revenue], 0)",
    'COUNTROWS ( FILTER ( BI_Tickets, BI_Tickets[status] = "Closed" ) )',
    "CALCULATE ( [Total Sales], 'Date'[Year] = 2024 )",
    "CALCULATE([Total Sales], SAMEPERIODLASTYEAR('Date'[Date]))",
    "CALCULATE ( [Total Sales], DATESYTD ( 'Date'[Date] ) )",
    "TOTALYTD([Total Sales], 'Date'[Date], \"06-30\")",
    "CALCULATE ( [Total Sales], DATESINPERIOD ( 'Date'[Date], MAX ( 'Date'[Date] ), -12, MONTH ) )",
    "CALCULATE([Total Sales], DATEADD('Date'[Date], -1, year))",
    "VAR CurrentSales = [Total Sales]\n"
    "VAR PreviousSales = CALCULATE ( [Total Sales], SAMEPERIODLASTYEAR ( 'Date'[Date] ) )\n"
    "RETURN\n    DIVIDE ( CurrentSales - PreviousSales, PreviousSales )",
    'SWITCH ( TRUE (), [Score] >= 9, "Promoter", [Score] >= 7, "Passive", "Detractor" )',
    'SWITCH(TRUE, [CSAT] < 0.5, "Red", [CSAT] < .8, "Amber", "Green")',
    'SWITCH ( SELECTEDVALUE ( \'Period\'[Period] ), "MTD", [Sales MTD], "QTD", [Sales QTD], [Sales YTD] )',
    "SUMX ( FILTER ( Sales, Sales[Quantity] > 1 && Sales[Price] > 10 ), Sales[Quantity] * Sales[Price] )",
    "SUMX(VALUES(Customer[CustomerKey]), [Total Sales])",
    "AVERAGEX ( KEEPFILTERS ( VALUES ( 'Date'[Month] ) ), [Total Sales] )",
    "CALCULATE ( [Total Sales], ALL ( 'Product' ), 'Product'[Color] IN { \"Red\", \"Blue\" } )",
    "CALCULATE ( [Total Sales], REMOVEFILTERS ( 'Date' ), USERELATIONSHIP ( Sales[ShipDate], 'Date'[Date] ) )",
    "CALCULATE ( [Total Sales], NOT 'Product'[Color] IN { \"Red\" } )",
    'CALCULATE ( [Total Sales], KEEPFILTERS ( Sales[Region] <> "West" || Sales[Region] = BLANK () ) )',
    "IF ( ISBLANK ( [Total Sales] ), 0, [Total Sales] )",
    "IF(HASONEVALUE('Product'[Category]), [Total Sales], BLANK())",
    "IF ( NOT ( ISINSCOPE ( 'Date'[Month] ) ), BLANK (), [Total Sales] )",
    "RANKX ( ALL ( 'Product'[Name] ), [Total Sales], [Total Sales], DESC, DENSE )",
    "TOPN ( 10, ALL ( Customer ), [Total Sales], DESC )",
    "DIVIDE ( [Promoters] - [Detractors], [Responses] ) * 100",
    "-2 ^ 2 + 3 * ( 4 - 1 ) / 2",
    '[First Name] & " " & [Last Name]',
    'FORMAT ( [Total Sales], "#,##0.00" ) & " EUR"',
    "COUNTROWS ( 'Table With ''Quote''' )",
    "'Table With ''Quote'''[c] + 'Sales'[Amount] + Sales[Amount]",
    "MAXX ( FILTER ( ALL ( 'Date' ), 'Date'[Date] <= MAX ( 'Date'[Date] ) ), 'Date'[Date] )",
    "// CSAT score\nDIVIDE (\n    [Positive Ratings], -- numerator\n    [Total Ratings] /* denominator */\n)",
    'VAR _tickets =\n    CALCULATETABLE ( VALUES ( BI_Tickets[ticket_id] ), BI_Tickets[status] = "Complete" )\n'
    "VAR _count = COUNTROWS ( _tickets )\nRETURN\n    IF ( _count > 0, _count )",
    "VAR a = VAR inner = 2 RETURN inner * 2\nRETURN a + 1",
    "SUMX ( Sales, VAR Line = Sales[Quantity] * Sales[Price] RETURN Line - Sales[Discount] )",
    'CONTAINSROW ( { ( 1, "a" ), ( 2, "b" ) }, [Key], [Code] )',
    '( [Region], [Year] ) IN { ( "West", 2023 ), ( "East", 2024 ) }',
    'SELECTEDVALUE ( \'Period\'[Period], "YTD" ) == "YTD"',
    "PERCENTILE.INC ( Sales[Amount], 0.9 )",
    "CALCULATE ( [Total Sales], CROSSFILTER ( Sales[CustomerKey], Customer[CustomerKey], BOTH ) )",
    "ADDCOLUMNS ( SUMMARIZE ( Sales, 'Product'[Category] ), \"@Sales\", [Total Sales] )",
    "CONCATENATEX ( VALUES ( 'Product'[Name] ), 'Product'[Name], \", \", 'Product'[Name], ASC )",
    "  [Total Sales]   \n\n",
    "[Margin %] >= 0.25 && [Units] > 0 || [Override] = TRUE",
    'DATATABLE ( "Name", STRING, "Value", INTEGER, { { "a", 1 }, { "b", 2 } } )',
    "GENERATESERIES ( 1, 10, 1 )",
]

QUERIES: list[str] = [
    "EVALUATE Sales",
    "evaluate\n'Sales'\norder by 'Sales'[Amount] desc",
    "DEFINE\n    MEASURE Sales[Total] = SUM ( Sales[Amount] )\n    VAR MinAmount = 10\n"
    "EVALUATE\nSUMMARIZECOLUMNS ( 'Date'[Year], \"Total\", [Total] )\nORDER BY 'Date'[Year] DESC, [Total]\n"
    "START AT 2024",
    "DEFINE TABLE Top10 = TOPN ( 10, Customer, [Sales] ) COLUMN Customer[Big] = Customer[Sales] > 1000\n"
    'EVALUATE Top10 EVALUATE ROW ( "n", COUNTROWS ( Top10 ) )',
    "-- a query\nDEFINE MEASURE 'Sales Table'[x] = 1 DEFINE VAR v = { 1, 2 }\nEVALUATE v ORDER BY [Value] ASC",
]


def sexpr(node: ast.Expr) -> str:
    """A compact prefix rendering used to state expected trees: ``(+ 1 (* 2 3))``."""
    match node:
        case Number(text=text):
            return text
        case String(value=value):
            return f'"{value}"'
        case Boolean(value=value):
            return "TRUE" if value else "FALSE"
        case TableRef(name=name) | Keyword(name=name):
            return name
        case ColumnRef(table=table, column=column):
            return f"{table}[{column}]"
        case NameRef(name=name):
            return f"[{name}]"
        case Call(name=name, args=args):
            return f"({name}{''.join(' ' + sexpr(a) for a in args)})"
        case Unary(op=op, operand=operand):
            return f"({op} {sexpr(operand)})"
        case Binary(op=op, left=left, right=right):
            return f"({op} {sexpr(left)} {sexpr(right)})"
        case Paren(expr=expr):
            return f"(paren {sexpr(expr)})"
        case Tuple(items=items):
            return f"(tuple {' '.join(sexpr(i) for i in items)})"
        case TableConstructor(rows=rows):
            return "{" + " ".join("(" + " ".join(sexpr(i) for i in row) + ")" for row in rows) + "}"
        case VarBlock(variables=variables, body=body):
            return f"(var {' '.join(f'{n}={sexpr(e)}' for n, e in variables)} {sexpr(body)})"
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 * 2 + 3", "(+ (* 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
        ("2 ^ 3 ^ 2", "(^ (^ 2 3) 2)"),
        ("-2 ^ 2", "(- (^ 2 2))"),
        ("2 ^ -1", "(^ 2 (- 1))"),
        ("-2 * 3", "(* (- 2) 3)"),
        ("- - 1", "(- (- 1))"),
        ("+1", "(+ 1)"),
        ("2 * 3 ^ 2", "(* 2 (^ 3 2))"),
        ("1 + 2 & 3", "(& (+ 1 2) 3)"),
        ('"a" & 1 = "a1"', '(= (& "a" 1) "a1")'),
        ("1 + 1 = 2", "(= (+ 1 1) 2)"),
        ("1 < 2 = TRUE", "(= (< 1 2) TRUE)"),
        ("a <> b", "(<> a b)"),
        ("a == b", "(== a b)"),
        ("a <= b && c >= d", "(&& (<= a b) (>= c d))"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a && b || c && d", "(|| (&& a b) (&& c d))"),
        ("NOT a && b", "(&& (NOT a) b)"),
        ("NOT a = b", "(NOT (= a b))"),
        ("NOT NOT a", "(NOT (NOT a))"),
        ('NOT [Color] IN { "Red" }', '(NOT (IN [Color] {("Red")}))'),
        ("not(a) && b", "(&& (NOT a) b)"),
        ("[x] in {1, 2} || [y] IN VALUES ( T[c] )", "(|| (IN [x] {(1) (2)}) (IN [y] (VALUES T[c])))"),
        ("1 + 2 IN { 3 }", "(IN (+ 1 2) {(3)})"),
        ("(a, b) IN { (1, 2) }", "(IN (tuple a b) {(1 2)})"),
        ("(1 + 2) * 3", "(* (paren (+ 1 2)) 3)"),
        ("-(1 + 2)", "(- (paren (+ 1 2)))"),
        ("a & b & c", "(& (& a b) c)"),
    ],
)
def test_precedence(source: str, expected: str) -> None:
    assert sexpr(parse_expression(source)) == expected


def test_every_node_kind() -> None:
    assert parse_expression("12") == Number("12")
    assert parse_expression(".5") == Number(".5")
    assert parse_expression('"a ""b"""') == String('a "b"')
    assert parse_expression("TRUE") == Boolean(True)
    assert parse_expression("false()") == Boolean(False)
    assert parse_expression("Sales") == TableRef("Sales")
    assert parse_expression("'Dim Date'") == TableRef("Dim Date")
    assert parse_expression("Sales[Amount]") == ColumnRef("Sales", "Amount")
    assert parse_expression("'Sales Table'[Net]]Amount]") == ColumnRef("Sales Table", "Net]Amount")
    assert parse_expression("[Total Sales]") == NameRef("Total Sales")
    assert parse_expression("blank()") == Call("BLANK", ())
    assert parse_expression("Divide([a], [b])") == Call("DIVIDE", (NameRef("a"), NameRef("b")))
    assert parse_expression("-[a]") == Unary("-", NameRef("a"))
    assert parse_expression("NOT [a]") == Unary("NOT", NameRef("a"))
    assert parse_expression("[a] in {1}") == Binary("IN", NameRef("a"), TableConstructor(((Number("1"),),)))
    assert parse_expression('{ (1, "a"), (2, "b") }') == TableConstructor(
        ((Number("1"), String("a")), (Number("2"), String("b")))
    )
    assert parse_expression("{ 1, 2 }") == TableConstructor(((Number("1"),), (Number("2"),)))
    assert parse_expression("(1, 2)") == Tuple((Number("1"), Number("2")))
    assert parse_expression("( 1 )") == Paren(Number("1"))
    assert parse_expression("VAR a = 1 VAR b = 2 RETURN a") == VarBlock(
        (("a", Number("1")), ("b", Number("2"))), TableRef("a")
    )
    assert parse_expression("DATEADD ( D[d], -1, Month )").args[2] == Keyword("MONTH")


def test_keywords_and_function_names_are_case_insensitive() -> None:
    assert parse_expression("var x = 1 return x") == parse_expression("VAR x = 1 RETURN x")
    assert parse_expression("calculate([m], not T[c] in {1})") == parse_expression("CALCULATE([m], NOT T[c] IN {1})")
    assert parse_expression("percentile.inc(T[x], 1)").name == "PERCENTILE.INC"


def test_a_variable_named_like_an_argument_keyword_is_a_variable() -> None:
    tree = parse_expression("VAR Year = 2024 RETURN Year + 1")
    assert isinstance(tree, VarBlock)
    assert tree.body == Binary("+", TableRef("Year"), Number("1"))


def test_positions_of_nodes() -> None:
    tree = parse_expression("VAR x =\n  DIVIDE ( 'T'[a], [b] )\nRETURN -x")
    assert isinstance(tree, VarBlock)
    call = tree.variables[0][1]
    assert isinstance(call, Call)
    assert (tree.line, tree.column) == (1, 1)
    assert (call.line, call.column) == (2, 3)
    assert call.args[0].position == (2, 12)
    assert call.args[1].position == (2, 20)
    assert tree.body.position == (3, 8)
    binary = parse_expression("  1 +\n 2")
    assert binary.position == (1, 3)


def test_positions_are_ignored_by_equality() -> None:
    assert parse_expression("1+2") == parse_expression("\n\n   1   +   2")


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("DIVIDE ( 1, 2", 1, 14, "expected ')' to close 'DIVIDE (' opened at 1:1, found end of expression"),
        ("IF (\n  a,\n  SUM ( b\n)", 4, 2, "expected ')' to close 'IF (' opened at 1:1, found end of expression"),
        ("DIVIDE ( 1 2 )", 1, 12, "expected ',' or ')' to close 'DIVIDE (' opened at 1:1, found number 2"),
        ("F ( 1, )", 1, 8, "expected an expression after ',', found ')'"),
        ("", 1, 1, "expected an expression, found end of expression"),
        ("1 +", 1, 4, "expected an expression, found end of expression"),
        ("( 1", 1, 4, "expected ')' to close '(' opened at 1:1, found end of expression"),
        ("()", 1, 2, "expected an expression, found ')'"),
        ("{ 1, 2", 1, 7, "expected '}' to close '{' opened at 1:1, found end of expression"),
        ("{}", 1, 2, "expected an expression, found '}'"),
        ("VAR x = 1", 1, 10, "expected 'VAR' or 'RETURN' to complete 'VAR' at 1:1, found end of expression"),
        ("VAR x 1 RETURN x", 1, 7, "expected '=' after 'VAR x', found number 1"),
        ("VAR RETURN 1", 1, 5, "expected a variable name after 'VAR', found 'RETURN'"),
        ("1 2", 1, 3, "expected an operator or end of expression, found number 2"),
        ("[a] [b]", 1, 5, "expected an operator or end of expression, found name [b]"),
        ("RETURN 1", 1, 1, "expected an expression, found 'RETURN'"),
        ("1 + NOT 2", 1, 5, "expected an expression, found 'NOT'"),
        ("TRUE ( 1 )", 1, 8, "expected ')' to close 'TRUE (' opened at 1:1, found number 1"),
        ("= 1", 1, 1, "expected an expression, found '='"),
        ("SUM ( Sales[x] ) )", 1, 18, "expected an operator or end of expression, found ')'"),
        (
            "[m] ( T[c] = 1 )",
            1,
            5,
            "expected an operator (the shortened CALCULATE syntax [m] ( ... ) is not supported), found '('",
        ),
        ('x = "abc', 1, 5, "unterminated string"),
    ],
)
def test_error_positions_and_messages(source: str, line: int, column: int, message: str) -> None:
    with pytest.raises(DaxSyntaxError) as caught:
        parse_expression(source)
    assert (caught.value.line, caught.value.column, caught.value.message) == (line, column, message)


@pytest.mark.parametrize("source", MEASURES)
def test_real_world_measures_parse(source: str) -> None:
    parse_expression(source)


def test_there_are_enough_real_world_samples() -> None:
    assert len(MEASURES) >= 30


def test_comments_anywhere_do_not_change_the_tree() -> None:
    commented = "/* c */ CALCULATE ( -- one\n [m], // two\n T[c] = 1 /* three */ ) -- end"
    assert parse_expression(commented) == parse_expression("CALCULATE([m], T[c] = 1)")


def sample(prefix: str) -> str:
    return next(m for m in MEASURES if m.startswith(prefix))


def test_nested_var_blocks() -> None:
    tree = parse_expression(sample("VAR a = VAR"))
    assert sexpr(tree) == "(var a=(var inner=2 (* inner 2)) (+ a 1))"
    tree = parse_expression(sample("SUMX ( Sales, VAR"))
    assert sexpr(tree) == "(SUMX Sales (var Line=(* Sales[Quantity] Sales[Price]) (- Line Sales[Discount])))"


@pytest.mark.parametrize("source", QUERIES)
def test_queries_parse(source: str) -> None:
    parse_query(source)


def test_query_structure() -> None:
    query = parse_query(QUERIES[2])
    assert query == Query(
        (
            Define("MEASURE", "Sales", "Total", Call("SUM", (ColumnRef("Sales", "Amount"),))),
            Define("VAR", None, "MinAmount", Number("10")),
        ),
        (
            Evaluate(
                Call("SUMMARIZECOLUMNS", (ColumnRef("Date", "Year"), String("Total"), NameRef("Total"))),
                (OrderKey(ColumnRef("Date", "Year"), True), OrderKey(NameRef("Total"), False)),
                (Number("2024"),),
            ),
        ),
    )
    assert query.defines[1].position == (3, 5)
    assert query.evaluates[0].position == (4, 1)


def test_several_evaluates_and_define_kinds() -> None:
    query = parse_query(QUERIES[3])
    defined = [(d.kind, d.table, d.name) for d in query.defines]
    assert defined == [("TABLE", None, "Top10"), ("COLUMN", "Customer", "Big")]
    assert query.evaluates[0].table == TableRef("Top10")
    assert len(query.evaluates) == 2


def test_query_var_is_a_variable_in_later_statements() -> None:
    query = parse_query("DEFINE VAR Year = 2024 EVALUATE { Year }")
    assert query.evaluates[0].table == TableConstructor(((TableRef("Year"),),))


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("", 1, 1, "expected 'DEFINE' or 'EVALUATE', found end of query"),
        ("SUM ( T[x] )", 1, 1, "expected 'DEFINE' or 'EVALUATE', found 'SUM'"),
        ("DEFINE EVALUATE T", 1, 8,
         "expected MEASURE, VAR, TABLE, COLUMN or FUNCTION after 'DEFINE', found 'EVALUATE'"),
        (
            "DEFINE MEASURE [x] = 1 EVALUATE T",
            1,
            16,
            "expected a qualified name Table[Name] after 'MEASURE', found name [x]",
        ),
        ("DEFINE MEASURE T[x] 1 EVALUATE T", 1, 21, "expected '=' after 'MEASURE T[x]', found number 1"),
        ("DEFINE VAR x = 1", 1, 17, "expected MEASURE, VAR, TABLE, COLUMN, FUNCTION or 'EVALUATE', found end of query"),
        ("EVALUATE T ORDER T[x]", 1, 18, "expected 'BY' after 'ORDER', found 'T'"),
        ("EVALUATE T ORDER BY T[x] START 1", 1, 32, "expected 'AT' after 'START', found number 1"),
        ("EVALUATE T T", 1, 12, "expected 'EVALUATE', 'ORDER BY', 'START AT' or end of query, found 'T'"),
        ("EVALUATE ( T", 1, 13, "expected ')' to close '(' opened at 1:10, found end of query"),
    ],
)
def test_query_errors(source: str, line: int, column: int, message: str) -> None:
    with pytest.raises(DaxSyntaxError) as caught:
        parse_query(source)
    assert (caught.value.line, caught.value.column, caught.value.message) == (line, column, message)


def test_omitted_arguments_are_kept() -> None:
    tree = parse_expression("RANKX ( T, [m], , ASC )")
    assert isinstance(tree, ast.Call) and isinstance(tree.args[2], ast.Omitted)
    assert tree.args[2].position == (1, 17)
    assert parse_expression("F ( , 1 )").args[0] == ast.Omitted()
    with pytest.raises(DaxSyntaxError, match="an expression after ','"):
        parse_expression("F ( 1, )")


# ------------------------------------------------------------------------------------------ depth and long chains
def _depth(node: ast.Expr) -> int:
    """Levels of ``node``'s tree, counted without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(current))
    return deepest


@pytest.mark.parametrize(
    "source",
    [
        "(" * 255 + "1" + ")" * 255,
        " + ".join(["1"] * 256),
        "NOT " * 200 + "TRUE",
        "- " * 200 + "1",
        "2 ^ " + "- " * 200 + "1",
        "IF ( TRUE, " * 120 + "1" + ", 0 )" * 120,
        "[x] IN { " + ", ".join(str(i) for i in range(5000)) + " }",
    ],
)
def test_deep_and_long_expressions_parse(source: str) -> None:
    tree = parse_expression(source)
    assert _depth(tree) <= 256


def test_prefix_chains_keep_their_shape() -> None:
    assert parse_expression("NOT NOT x") == Unary("NOT", Unary("NOT", TableRef("x")))
    assert parse_expression("- + 1") == Unary("-", Unary("+", Number("1")))
    assert parse_expression("2 ^ - - 1") == Binary("^", Number("2"), Unary("-", Unary("-", Number("1"))))
    in_list = Binary("IN", NameRef("a"), TableConstructor(((Number("1"),),)))
    assert parse_expression("NOT [a] IN { 1 }") == Unary("NOT", in_list)


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("(" * 256 + "1" + ")" * 256, 1, 257),  # the 257th level is the 1 inside the 256th '('
        ("(" * 5000 + "1" + ")" * 5000, 1, 257),
        ("{" * 5000 + "1" + "}" * 5000, 1, 257),
        ("F(" * 5000 + "1" + ")" * 5000, 1, 513),
        ("+".join(["1"] * 5000), 1, 512),  # the 256th '+'
        ("NOT " * 5000 + "TRUE", 1, 4 * (5000 - 256) + 1),
        ("-" * 1 + " -" * 4999 + " 1", 1, 2 * (5000 - 256) + 1),
    ],
)
def test_too_deep_is_one_error_with_a_position(source: str, line: int, column: int) -> None:
    with pytest.raises(DaxSyntaxError) as caught:
        parse_expression(source)
    assert (caught.value.line, caught.value.column, caught.value.message) == (line, column, "nesting deeper than 256")
