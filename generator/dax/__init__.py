"""DAX front end: lexer, AST, parser, DAX Formatter-style formatter and reference walker."""

from __future__ import annotations

from generator.dax.lexer import DaxSyntaxError, Token, TokenKind, tokenize
from generator.dax.parser import parse_expression, parse_query

__all__ = ["DaxSyntaxError", "Token", "TokenKind", "parse_expression", "parse_query", "tokenize"]
