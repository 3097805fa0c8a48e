"""DAX lexer: turns source text into tokens with 1-based line/column positions.

Lexical rules (see ``dax-semantics.md`` section 2.8):

* names are case-insensitive; the lexer keeps the text as written and the parser upper-cases keywords;
* unquoted identifiers are ``[A-Za-z_][A-Za-z0-9_]*`` (Unicode letters allowed) with dotted parts for function
  names such as ``PERCENTILE.INC``;
* ``'Table name'`` with ``''`` escaping a quote, ``[Column or measure]`` with ``]]`` escaping ``]``,
  ``"text"`` with ``""`` escaping a double quote (backslash is not an escape);
* numbers are ``12``, ``1.5``, ``1.`` and ``.5``, each with an optional exponent (``3.1E-1``, ``1e5``: DAX's
  scientific notation); a minus sign is never part of a number; ``1e`` or ``12abc`` raise ``invalid number``;
* ``dt"2015-01-09"`` (or ``dt"2015-01-09T10:30:00"``) is a datetime literal (a :data:`TokenKind.DATETIME` whose
  value is the text between the quotes);
* ``@name`` is a query parameter (DAX Studio, Power BI's query parameters): a :data:`TokenKind.PARAMETER` whose
  value is the name without ``@``;
* list separators: DAX as Power BI Desktop and DAX Studio write it in a locale whose decimal mark is ``,``
  separates arguments with ``;`` and writes ``1,5`` for one and a half. The lexer knows the style from the text:
  a ``;`` outside strings, names and comments means the ``;`` style, where ``;`` is the list separator (a
  :data:`TokenKind.COMMA` token whose text is ``;``) and a ``,`` between digits is the decimal mark (the token's
  value is ``1.5``); otherwise ``,`` separates and ``;`` is not valid. Pass ``semicolons=True/False`` to force it;
* comments are ``// ...``, ``-- ...`` and ``/* ... */``; they are dropped unless ``keep_comments=True``.
"""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass

from generator.errors import ToolError


class DaxSyntaxError(ToolError):
    """A DAX text that cannot be tokenized or parsed; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(f"{line}:{column}: {message}")


class TokenKind(enum.Enum):
    """The kinds of DAX tokens."""

    IDENT = "identifier"
    QUOTED_TABLE = "quoted table name"
    BRACKET = "bracketed name"
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime literal"
    PARAMETER = "query parameter"
    OPERATOR = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    LBRACE = "'{'"
    RBRACE = "'}'"
    COMMA = "','"
    COLON = "':'"
    COMMENT = "comment"
    EOF = "end of input"


@dataclass(frozen=True)
class Token:
    """One token: ``text`` is the raw source slice, ``value`` the unescaped content; positions are 1-based
    (``offset`` is the 0-based index into the source)."""

    kind: TokenKind
    text: str
    value: str
    line: int
    column: int
    offset: int


# Alternatives are tried in order at each position; the first that matches wins. Comments come before
# operators so that ``--`` and ``//`` are never read as two operators.
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>[\s\ufeff]+)
  | (?P<line_comment>(?://|--)[^\r\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<open_comment>/\*)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<quoted>'(?:[^'\r\n]|'')+')
  | (?P<bracket>\[(?:[^\]\r\n]|\]\])+\])
  | (?P<datetime>[dD][tT]"[^"\r\n]*")
  | (?P<parameter>@[^\W\d]\w*)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<ident>[^\W\d]\w*(?:\.\w+)*)
  | (?P<operator>:=|<=|>=|<>|==|&&|\|\||[-+*/^&=<>])
  | (?P<punct>[(){},;:])
    """,
    re.VERBOSE | re.DOTALL,
)

_PUNCT_KINDS = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "{": TokenKind.LBRACE,
    "}": TokenKind.RBRACE,
    ",": TokenKind.COMMA,
    ";": TokenKind.COMMA,
    ":": TokenKind.COLON,
}

# Everything that can hide a ';' that is not a list separator: strings, names, comments.
_HIDES_SEMICOLON = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\'\r\n]|\'\')+\'|\[(?:[^\]\r\n]|\]\])+\]|(?://|--)[^\r\n]*|/\*.*?\*/',
                              re.DOTALL)
_DECIMAL_COMMA = re.compile(r"[0-9]*,[0-9]+(?:[eE][-+]?[0-9]+)?")


def uses_semicolons(source: str) -> bool:
    """True when ``source`` separates lists with ``;`` (a ``;`` outside strings, names and comments)."""
    return ";" in _HIDES_SEMICOLON.sub("", source)

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


class _Positions:
    """Maps 0-based offsets to 1-based (line, column); CRLF, CR and LF each end a line."""

    def __init__(self, source: str):
        self._starts = [0] + [m.end() for m in _NEWLINE_RE.finditer(source)]

    def at(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


def _unterminated(source: str, offset: int) -> str | None:
    """The error message for a literal opened at ``offset`` that the token pattern could not match."""
    char = source[offset]
    rest = source[offset:]
    if char == '"':
        return "unterminated string"
    if char == "'":
        return "empty table name ''" if rest.startswith("''") else "unterminated table name"
    if char == "[":
        return "empty name '[]'" if rest.startswith("[]") else "unterminated column or measure name"
    return None


def tokenize(source: str, *, keep_comments: bool = False, semicolons: bool | None = None) -> list[Token]:
    """Split DAX ``source`` into tokens, always ending with one ``EOF`` token.

    ``semicolons`` chooses the list separator (``None``: :func:`uses_semicolons` decides from the text).
    Raises :class:`DaxSyntaxError` for an unexpected character, an unterminated string, name or comment,
    or a malformed number.
    """
    if semicolons is None:
        semicolons = uses_semicolons(source)
    positions = _Positions(source)
    tokens: list[Token] = []
    offset = 0
    while offset < len(source):
        match = _TOKEN_RE.match(source, offset)
        if match is None:
            line, column = positions.at(offset)
            message = _unterminated(source, offset) or f"unexpected character {source[offset]!r}"
            raise DaxSyntaxError(message, line, column)
        group = match.lastgroup
        text = match.group()
        line, column = positions.at(offset)
        offset = match.end()
        if group == "ws":
            continue
        if group == "open_comment":
            raise DaxSyntaxError("unterminated comment", line, column)
        if group in ("line_comment", "block_comment"):
            if keep_comments:
                tokens.append(Token(TokenKind.COMMENT, text, text, line, column, match.start()))
            continue
        if group == "punct" and (text == ";") != semicolons and text in ",;":
            if text == ";":
                raise DaxSyntaxError("unexpected character ';'", line, column)
            # the ';' style: a ',' is the decimal mark of a number, never a separator
            raise DaxSyntaxError("unexpected ',' (this text separates lists with ';', so ',' is only a decimal "
                                 "mark)", line, column)
        if group == "number" and semicolons and source.startswith(",", offset):
            decimal = _DECIMAL_COMMA.match(source, match.start())
            if decimal is not None and decimal.end() > offset:
                offset = decimal.end()
                text = source[match.start() : offset]
        if group == "number" and offset < len(source) and (source[offset].isalnum() or source[offset] == "_"):
            end = offset
            while end < len(source) and (source[end].isalnum() or source[end] in "._"):
                end += 1
            raise DaxSyntaxError(f"invalid number {source[match.start() : end]!r}", line, column)
        value = text.replace(",", ".") if group == "number" else _value(group, text)
        tokens.append(Token(_kind(group, text), text, value, line, column, match.start()))
    line, column = positions.at(len(source))
    tokens.append(Token(TokenKind.EOF, "", "", line, column, len(source)))
    return tokens


def _kind(group: str | None, text: str) -> TokenKind:
    if group == "punct":
        return _PUNCT_KINDS[text]
    return {
        "string": TokenKind.STRING,
        "quoted": TokenKind.QUOTED_TABLE,
        "bracket": TokenKind.BRACKET,
        "number": TokenKind.NUMBER,
        "ident": TokenKind.IDENT,
        "operator": TokenKind.OPERATOR,
        "datetime": TokenKind.DATETIME,
        "parameter": TokenKind.PARAMETER,
    }[group or ""]


def _value(group: str | None, text: str) -> str:
    if group == "string":
        return text[1:-1].replace('""', '"')
    if group == "quoted":
        return text[1:-1].replace("''", "'")
    if group == "bracket":
        return text[1:-1].replace("]]", "]")
    if group == "datetime":
        return text[3:-1]
    if group == "parameter":
        return text[1:]
    return text
