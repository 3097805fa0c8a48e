"""DAX front end: lexer, AST, parser, DAX Formatter-style formatter and reference walker.

* :mod:`generator.dax.lexer` — :func:`tokenize`, :class:`Token`, :class:`TokenKind`, :class:`DaxSyntaxError`;
* :mod:`generator.dax.ast` — the syntax tree (frozen dataclasses; equality ignores positions);
* :mod:`generator.dax.parser` — :func:`parse_expression`, :func:`parse_query`;
* :mod:`generator.dax.formatter` — :func:`format_dax`, :func:`format_query`;
* :mod:`generator.dax.references` — :func:`find_references`, :func:`walk`.
"""

from __future__ import annotations

from generator.dax.formatter import format_dax, format_query
from generator.dax.lexer import DaxSyntaxError, Token, TokenKind, tokenize
from generator.dax.parser import parse_expression, parse_query
from generator.dax.references import References, find_references, walk

__all__ = [
    "DaxSyntaxError",
    "References",
    "Token",
    "TokenKind",
    "find_references",
    "format_dax",
    "format_query",
    "parse_expression",
    "parse_query",
    "tokenize",
    "walk",
]
