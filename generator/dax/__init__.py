"""DAX front end: lexer, AST, parser, DAX Formatter-style formatter and reference walker."""

from __future__ import annotations

from generator.dax.lexer import DaxSyntaxError, Token, TokenKind, tokenize

__all__ = ["DaxSyntaxError", "Token", "TokenKind", "tokenize"]
