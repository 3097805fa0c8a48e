"""The DAX lexer: token kinds, unescaped values, positions, comments and lexical errors."""

from __future__ import annotations

import pytest

from generator.dax.lexer import DaxSyntaxError, Token, TokenKind, tokenize
from generator.errors import ToolError

K = TokenKind


def kinds(source: str, **kwargs: bool) -> list[TokenKind]:
    return [t.kind for t in tokenize(source, **kwargs)]


def values(source: str) -> list[str]:
    return [t.value for t in tokenize(source)[:-1]]


def test_empty_source_is_one_eof_token() -> None:
    assert tokenize("") == [Token(K.EOF, "", "", 1, 1, 0)]
    assert kinds("  \n\t ") == [K.EOF]


def test_eof_position_is_end_of_source() -> None:
    eof = tokenize("1 +\n  2  ")[-1]
    assert (eof.kind, eof.line, eof.column, eof.offset) == (K.EOF, 2, 6, 9)


@pytest.mark.parametrize(
    ("source", "kind", "value"),
    [
        ("SUMX", K.IDENT, "SUMX"),
        ("_tmp1", K.IDENT, "_tmp1"),
        ("PERCENTILE.INC", K.IDENT, "PERCENTILE.INC"),
        ("T.DIST.2T", K.IDENT, "T.DIST.2T"),
        ("Ventes_Été", K.IDENT, "Ventes_Été"),
        ("'Sales'", K.QUOTED_TABLE, "Sales"),
        ("'Table With ''Quote'''", K.QUOTED_TABLE, "Table With 'Quote'"),
        ("'Dim Date'", K.QUOTED_TABLE, "Dim Date"),
        ("[Amount]", K.BRACKET, "Amount"),
        ("[Sales Amount (net)]", K.BRACKET, "Sales Amount (net)"),
        ("[a]]b]", K.BRACKET, "a]b"),
        ('"text"', K.STRING, "text"),
        ('""', K.STRING, ""),
        ('"say ""hi"""', K.STRING, 'say "hi"'),
        ('"Test\\User"', K.STRING, "Test\\User"),
        ('"two\nlines"', K.STRING, "two\nlines"),
        ("12", K.NUMBER, "12"),
        ("1.5", K.NUMBER, "1.5"),
        (".5", K.NUMBER, ".5"),
        ("1.", K.NUMBER, "1."),
    ],
)
def test_single_token_kind_and_value(source: str, kind: TokenKind, value: str) -> None:
    tokens = tokenize(source)
    assert len(tokens) == 2
    assert (tokens[0].kind, tokens[0].value, tokens[0].text) == (kind, value, source)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "^", "&", "=", "==", "<>", "<", ">", "<=", ">=", "&&", "||", ":="])
def test_operators(op: str) -> None:
    tokens = tokenize(f"a{op}b")
    assert [t.kind for t in tokens] == [K.IDENT, K.OPERATOR, K.IDENT, K.EOF]
    assert tokens[1].text == op


def test_punctuation() -> None:
    assert kinds("( ) { } ,") == [K.LPAREN, K.RPAREN, K.LBRACE, K.RBRACE, K.COMMA, K.EOF]


def test_minus_is_never_part_of_a_number() -> None:
    tokens = tokenize("-1")
    assert [(t.kind, t.text) for t in tokens[:-1]] == [(K.OPERATOR, "-"), (K.NUMBER, "1")]
    assert values("3-2") == ["3", "-", "2"]


def test_column_reference_tokens() -> None:
    assert kinds("Sales[Amount]") == [K.IDENT, K.BRACKET, K.EOF]
    assert kinds("'Sales'[Amount]") == [K.QUOTED_TABLE, K.BRACKET, K.EOF]
    assert values("'Sales Table'[Net Amount]") == ["Sales Table", "Net Amount"]


def test_realistic_expression() -> None:
    source = 'CALCULATE ( SUM ( Sales[Amount] ), Sales[Region] = "West" )'
    expected = ["CALCULATE", "(", "SUM", "(", "Sales", "Amount", ")", ",", "Sales", "Region", "=", "West", ")"]
    assert values(source) == expected


def test_positions_are_one_based_lines_and_columns() -> None:
    tokens = tokenize("VAR x = 1\r\nRETURN\n\tx + [M]")
    positions = [(t.text, t.line, t.column, t.offset) for t in tokens]
    assert positions == [
        ("VAR", 1, 1, 0),
        ("x", 1, 5, 4),
        ("=", 1, 7, 6),
        ("1", 1, 9, 8),
        ("RETURN", 2, 1, 11),
        ("x", 3, 2, 19),
        ("+", 3, 4, 21),
        ("[M]", 3, 6, 23),
        ("", 3, 9, 26),
    ]


def test_lone_carriage_return_ends_a_line() -> None:
    assert [(t.line, t.column) for t in tokenize("a\rb")[:-1]] == [(1, 1), (2, 1)]


def test_whitespace_includes_tabs_newlines_and_non_breaking_space() -> None:
    assert values("a\u00a0+\tb\r\n\nc") == ["a", "+", "b", "c"]
    assert values("\ufeff1") == ["1"]


@pytest.mark.parametrize(
    "source",
    ["1 // line comment\n+ 2", "1 -- line comment\n+ 2", "1 /* block\ncomment */ + 2", "1 /// doc\n+ 2"],
)
def test_comments_are_dropped_by_default(source: str) -> None:
    assert values(source) == ["1", "+", "2"]


def test_comments_are_kept_on_request() -> None:
    tokens = tokenize("1 -- a\n/* b */ 2", keep_comments=True)
    assert [(t.kind, t.text, t.line, t.column) for t in tokens] == [
        (K.NUMBER, "1", 1, 1),
        (K.COMMENT, "-- a", 1, 3),
        (K.COMMENT, "/* b */", 2, 1),
        (K.NUMBER, "2", 2, 9),
        (K.EOF, "", 2, 10),
    ]


def test_comment_at_end_without_newline() -> None:
    assert values("[A] // the end") == ["A"]


def test_comment_markers_inside_strings_and_names_are_text() -> None:
    assert values("\"a -- b\" & [x // y] & 'p /* q'") == ["a -- b", "&", "x // y", "&", "p /* q"]


def test_double_minus_is_a_comment_not_two_operators() -> None:
    assert values("1 --2") == ["1"]


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        ("1 @ 2", "unexpected character '@'", 1, 3),
        ("f(a, b; c)", "unexpected ',' (this text separates lists with ';', so ',' is only a decimal mark)", 1, 4),
        ("a | b", "unexpected character '|'", 1, 3),
        ('x = "abc', "unterminated string", 1, 5),
        ("\n  'Sales", "unterminated table name", 2, 3),
        ("'Sales\n'[x]", "unterminated table name", 1, 1),
        ("T[Amount", "unterminated column or measure name", 1, 2),
        ("1 /* open", "unterminated comment", 1, 3),
        ("[]", "empty name '[]'", 1, 1),
        ("''[x]", "empty table name ''", 1, 1),
        ("1e", "invalid number '1e'", 1, 1),
        ("3.1E-", "invalid number '3.1E'", 1, 1),
        ("x + 12abc", "invalid number '12abc'", 1, 5),
    ],
)
def test_lexical_errors(source: str, message: str, line: int, column: int) -> None:
    with pytest.raises(DaxSyntaxError) as caught:
        tokenize(source)
    error = caught.value
    assert (error.message, error.line, error.column) == (message, line, column)
    assert str(error) == f"{line}:{column}: {message}"


def test_syntax_error_is_a_tool_error() -> None:
    error = DaxSyntaxError("boom", 3, 4)
    assert isinstance(error, ToolError)
    assert error.exit_code == 2


def test_text_is_the_raw_source_slice() -> None:
    source = "'It''s' [a]]] \"q\"\"\" 1.50"
    for token in tokenize(source)[:-1]:
        assert source[token.offset : token.offset + len(token.text)] == token.text
