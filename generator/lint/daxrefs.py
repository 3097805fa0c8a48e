"""Token-level reading of DAX for the rules: function calls, their arguments, and object references.

Rules look at tokens from :mod:`generator.dax.lexer`, never at raw text, so names inside strings or comments
never match. A table token (``'Sales'`` or ``Sales``) followed by a bracketed name is a table-qualified
reference; a bracketed name on its own is unqualified; a quoted table name on its own is a table reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from generator.dax.lexer import Token, TokenKind

# Words that can stand before ``[Name]`` without being a table name.
KEYWORDS = frozenset({
    "RETURN", "VAR", "NOT", "IN", "DEFINE", "EVALUATE", "MEASURE", "COLUMN", "TABLE", "ORDER", "BY", "ASC", "DESC",
    "START", "AT",
})
_TABLE_KINDS = (TokenKind.QUOTED_TABLE, TokenKind.IDENT)
_OPEN = (TokenKind.LPAREN, TokenKind.LBRACE)
_CLOSE = (TokenKind.RPAREN, TokenKind.RBRACE)


@dataclass(frozen=True)
class Reference:
    """A reference in DAX text: ``table`` is ``None`` for ``[Name]``, ``name`` is ``None`` for ``'Table'``."""

    table: str | None
    name: str | None
    token: Token

    @property
    def qualified(self) -> bool:
        """Whether the bracketed name is preceded by a table name."""
        return self.table is not None and self.name is not None


def is_table_token(tokens: list[Token], index: int) -> bool:
    """Whether ``tokens[index]`` names a table that qualifies the bracketed name after it."""
    token = tokens[index]
    if token.kind not in _TABLE_KINDS or index + 1 >= len(tokens) or tokens[index + 1].kind != TokenKind.BRACKET:
        return False
    return token.kind == TokenKind.QUOTED_TABLE or token.value.upper() not in KEYWORDS


def references(tokens: list[Token]) -> Iterator[Reference]:
    """Every table, column and measure reference, in source order."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if is_table_token(tokens, index):
            yield Reference(token.value, tokens[index + 1].value, token)
            index += 2
            continue
        if token.kind == TokenKind.BRACKET:
            yield Reference(None, token.value, token)
        elif token.kind == TokenKind.QUOTED_TABLE:
            yield Reference(token.value, None, token)
        index += 1


def calls(tokens: list[Token], *names: str) -> Iterator[int]:
    """Indexes of the ``(`` of every call to one of the functions ``names`` (case-insensitive)."""
    wanted = {name.upper() for name in names}
    for index in range(len(tokens) - 1):
        token = tokens[index]
        if (token.kind == TokenKind.IDENT and tokens[index + 1].kind == TokenKind.LPAREN
                and token.value.upper() in wanted):
            yield index + 1


def arguments(tokens: list[Token], open_index: int) -> list[list[Token]]:
    """The arguments of the call whose ``(`` is at ``open_index``, each a list of tokens (top-level commas
    split them). An unclosed call yields the arguments up to the end of the text."""
    result: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[open_index + 1:]:
        if token.kind == TokenKind.EOF:
            break
        if token.kind in _CLOSE:
            if depth == 0:
                break
            depth -= 1
        elif token.kind in _OPEN:
            depth += 1
        elif token.kind == TokenKind.COMMA and depth == 0:
            result.append([])
            continue
        result[-1].append(token)
    return [] if result == [[]] else result


def column_reference(argument: list[Token]) -> tuple[str, str] | None:
    """``(table, column)`` if the argument is exactly one table-qualified reference, else ``None``."""
    if len(argument) == 2 and is_table_token(argument, 0):
        return argument[0].value, argument[1].value
    return None


def starts_with_qualified_reference(argument: list[Token]) -> bool:
    """Whether the argument begins with ``Table[Name]``."""
    return len(argument) >= 2 and is_table_token(argument, 0)


def is_bare_table(argument: list[Token]) -> bool:
    """Whether the argument is a table name and nothing else."""
    return len(argument) == 1 and argument[0].kind in _TABLE_KINDS


def previous(tokens: list[Token], index: int) -> Token | None:
    """The token before ``tokens[index]``, if any."""
    return tokens[index - 1] if index > 0 else None
