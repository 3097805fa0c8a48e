"""Syntax of real-world DAX the parser used to refuse (issue 22): exponent literals, ``;`` list separators with
``,`` decimal marks, ``dt"…"`` datetime literals, ``@parameters``, ``DEFINE TABLE 'quoted name'`` and
``DEFINE FUNCTION`` (user-defined functions, inlined by :mod:`generator.dax.functions`)."""

from __future__ import annotations

import pytest

from generator.dax import ast
from generator.dax.formatter import format_dax, format_query
from generator.dax.functions import bind_parameters, inline_functions, parameter_literal
from generator.dax.lexer import DaxSyntaxError, TokenKind, tokenize, uses_semicolons
from generator.dax.parser import parse_expression, parse_query


@pytest.mark.parametrize(("text", "value"), [
    ("3.1E-1", 0.31), ("1e5", 100000.0), ("2E+3", 2000.0), (".5e1", 5.0), ("1.e2", 100.0),
])
def test_exponent_literals(text: str, value: float) -> None:
    node = parse_expression(text)
    assert isinstance(node, ast.Number) and float(node.text) == value


def test_semicolon_style_reads_commas_as_decimal_marks() -> None:
    semicolons = parse_expression('IF ( [a] > 1,5; "x"; 2,25E1 )')
    commas = parse_expression('IF ( [a] > 1.5, "x", 2.25E1 )')
    assert semicolons == commas
    assert [t.text for t in tokenize("f(1,5;2)")][:5] == ["f", "(", "1,5", ";", "2"]


@pytest.mark.parametrize(("source", "expected"), [
    ('f(a; ";"; [x;y])', True), ('f(a, ";", [x;y], \'t;\') // ;', False), ("/* ; */ f(1, 2)", False),
    ("-- ;\nf(1, 2)", False), ("{1;2}", True),
])
def test_separator_style_is_read_from_the_text(source: str, expected: bool) -> None:
    assert uses_semicolons(source) is expected


def test_forced_separator_style() -> None:
    assert [t.kind for t in tokenize("1,5", semicolons=True)][:1] == [TokenKind.NUMBER]
    with pytest.raises(DaxSyntaxError, match="unexpected character ';'"):
        tokenize("f(a; b)", semicolons=False)


def test_datetime_literal() -> None:
    node = parse_expression('dt"2015-01-09"')
    assert node == ast.DateTimeLiteral("2015-01-09")
    assert format_dax('DATESBETWEEN ( D[d], dt"2015-01-09", dt"2015-01-09T10:30:00" )') == \
        'DATESBETWEEN ( D[d], dt"2015-01-09", dt"2015-01-09T10:30:00" )'


def test_parameters_parse_and_bind() -> None:
    query = parse_query('EVALUATE FILTER ( T, T[y] = @Year && T[n] = @name )')
    bound = bind_parameters(query, {"year": "2024", "NAME": "Ann"})
    assert "T[y] = 2024 && T[n] = \"Ann\"" in format_query(bound)
    with pytest.raises(DaxSyntaxError) as caught:
        bind_parameters(query, {"year": "1"})
    assert (caught.value.line, caught.value.column) == (1, 45)
    assert "@name has no value (give it with --param name=VALUE)" in caught.value.message


@pytest.mark.parametrize(("value", "node"), [
    ("12", ast.Number("12")), ("1.5E2", ast.Number("1.5E2")), ("true", ast.Boolean(True)),
    ('"12"', ast.String("12")), ('"say ""hi"""', ast.String('say "hi"')), ("Paris", ast.String("Paris")),
    ('dt"2024-01-31"', ast.DateTimeLiteral("2024-01-31")),
])
def test_parameter_values(value: str, node: ast.Expr) -> None:
    assert parameter_literal(value) == node


def test_define_table_with_a_quoted_name() -> None:
    query = parse_query("DEFINE TABLE 'Top Clients' = TOPN ( 2, T ) EVALUATE 'Top Clients'")
    assert query.defines[0].name == "Top Clients"
    assert format_query(query).splitlines()[1] == "    TABLE 'Top Clients' = TOPN ( 2, T )"


FUNCTIONS = """
DEFINE
    FUNCTION AddTax = ( amount : NUMERIC, rate ) => amount * ( 1 + rate )
    FUNCTION SumTwice = ( e : ANYREF EXPR ) => e + CALCULATE ( e, ALL ( T ) )
    FUNCTION Taxed = ( x ) => AddTax ( x, 0.5 )
EVALUATE ROW ( "a", AddTax ( 10, 0.1 ), "b", SumTwice ( SUM ( T[v] ) ), "c", Taxed ( 4 ) )
"""


def test_define_function_parses_with_its_parameters() -> None:
    query = parse_query(FUNCTIONS)
    add_tax = query.defines[0]
    assert (add_tax.kind, add_tax.name) == ("FUNCTION", "AddTax")
    assert [(p.name, p.type_words, p.is_expression) for p in add_tax.parameters] == [
        ("amount", ("NUMERIC",), False), ("rate", (), False)]
    assert query.defines[1].parameters[0].is_expression
    assert parse_query(format_query(query)) == query  # the formatter writes it back


def test_functions_are_inlined() -> None:
    query = inline_functions(parse_query(FUNCTIONS))
    assert query.defines == ()
    expected = parse_query("""EVALUATE ROW (
        "a", VAR amount = 10 VAR rate = 0.1 RETURN amount * ( 1 + rate ),
        "b", ( SUM ( T[v] ) + CALCULATE ( SUM ( T[v] ), ALL ( T ) ) ),
        "c", VAR x = 4 RETURN VAR amount = x VAR rate = 0.5 RETURN amount * ( 1 + rate ) )""")
    assert query == expected


def test_functions_may_be_defined_after_their_callers() -> None:
    query = inline_functions(parse_query("""DEFINE MEASURE T[m] = Twice ( 2 )
        FUNCTION Twice = ( x ) => Plus ( x, x )
        FUNCTION Plus = ( a, b ) => a + b
        EVALUATE ROW ( "v", [m] )"""))
    assert format_query(query).splitlines()[1:6] == [
        "    MEASURE T[m] =",
        "        VAR x = 2",
        "        RETURN",
        "            VAR a = x",
        "            VAR b = x",
    ]


@pytest.mark.parametrize(("source", "message", "where"), [
    ("DEFINE FUNCTION F = ( a ) => a EVALUATE ROW ( \"v\", F ( 1, 2 ) )", "F takes 1 argument, got 2", (1, 52)),
    ("DEFINE FUNCTION F = ( a ) => F ( a ) EVALUATE ROW ( \"v\", F ( 1 ) )", "F calls itself", (1, 30)),
    ("DEFINE FUNCTION F = ( a : ) => a EVALUATE { 1 }", "expected a type after 'a :'", (1, 27)),
    ("DEFINE FUNCTION F = ( a ) = a EVALUATE { 1 }", "expected '=>' after the parameters", (1, 27)),
])
def test_function_errors_have_positions(source: str, message: str, where: tuple[int, int]) -> None:
    with pytest.raises(DaxSyntaxError) as caught:
        inline_functions(parse_query(source))
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == where


def test_functions_that_expand_exponentially_are_refused_with_a_sentence() -> None:
    """Each function calls the one before twice: 2**15 calls, beyond the inlining bound, refused (not expanded)."""
    lines = ["DEFINE", "FUNCTION F0 = ( x ) => x + 1"]
    lines += [f"FUNCTION F{i} = ( x ) => F{i - 1} ( x ) + F{i - 1} ( x )" for i in range(1, 15)]
    lines.append('EVALUATE ROW ( "v", F14 ( 1 ) )')
    with pytest.raises(DaxSyntaxError) as caught:
        inline_functions(parse_query("\n".join(lines)))
    assert "expand to more than 10,000 calls" in caught.value.message


def test_functions_within_the_bound_are_inlined() -> None:
    lines = ["DEFINE", "FUNCTION F0 = ( x ) => x + 1"]
    lines += [f"FUNCTION F{i} = ( x ) => F{i - 1} ( x ) + F{i - 1} ( x )" for i in range(1, 8)]
    lines.append('EVALUATE ROW ( "v", F7 ( 1 ) )')
    inlined = repr(inline_functions(parse_query("\n".join(lines))).evaluates)
    assert "'F0'" not in inlined and "'F7'" not in inlined  # every call replaced by its body (2**7 of them)
