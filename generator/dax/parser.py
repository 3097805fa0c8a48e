"""DAX parser: recursive descent over the lexer's tokens, producing :mod:`generator.dax.ast` nodes.

Operator precedence, high to low (``dax-semantics.md`` section 2.8): ``^``; unary ``-``/``+``; ``* /``; ``+ -``;
``&``; ``= == < > <= >= <>`` and ``IN``; prefix ``NOT``; ``&&``; ``||``. Binary operators are left-associative, so
``-2^2`` is ``-(2^2)`` and ``2^3^2`` is ``(2^3)^2``; the right operand of ``^`` may carry its own sign (``2^-1``).

Choices where DAX is loose:

* ``NOT`` directly followed by ``(`` is the function form, a :class:`Call` named ``NOT``; otherwise it is the
  prefix operator, a :class:`Unary`, whose operand is a comparison (``NOT [a] IN { 1 }`` is ``NOT ([a] IN {1})``).
* A bare identifier is a :class:`TableRef` (a table, or a variable when a ``VAR`` of that name is in scope), except
  the words in :data:`ARGUMENT_KEYWORDS` (``DESC``, ``YEAR`` ...), which become :class:`Keyword` unless a variable
  of that name is in scope.
* Omitted arguments are kept (:class:`ast.Omitted`, ``RANKX ( T, [m], , DESC )``); shortened CALCULATE
  (``[m] ( filter )``) is rejected. ``;`` list separators are read as the lexer explains (:mod:`lexer`).
* ``dt"2015-01-09"`` is a :class:`ast.DateTimeLiteral`; ``@name`` a :class:`ast.Parameter`.
* ``DEFINE TABLE`` takes a plain or a quoted name (``DEFINE TABLE 'Top Clients' = …``); ``DEFINE FUNCTION
  Name = ( a : NUMERIC, b : TABLE ) => body`` (a user-defined function) is a :class:`ast.Define` of kind
  ``FUNCTION`` with its parameters (:mod:`generator.dax.functions` inlines the calls).

A tree deeper than :data:`generator.dax.depth.MAX_DEPTH` levels is refused with ``nesting deeper than N`` at the
token where it gets too deep; chains of infix operators and of prefix operators are read in loops, so only that
limit (never Python's recursion limit) bounds what parses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from generator.dax import ast
from generator.dax.depth import MAX_DEPTH, DaxNestingError, recursion_room
from generator.dax.lexer import DaxSyntaxError, Token, TokenKind, tokenize

K = TokenKind
_Node = TypeVar("_Node", bound=ast.Node)

#: Words that can never be a bare table name or start an expression.
RESERVED_WORDS = frozenset(
    {"VAR", "RETURN", "IN", "NOT", "DEFINE", "EVALUATE", "MEASURE", "ORDER", "BY", "START", "AT", "TABLE", "COLUMN"}
)

#: Bare words that some functions take as arguments; parsed as :class:`ast.Keyword`.
ARGUMENT_KEYWORDS = frozenset(
    {
        "ASC",
        "DESC",
        "SKIP",
        "DENSE",
        "DAY",
        "MONTH",
        "QUARTER",
        "YEAR",
        "BOTH",
        "NONE",
        "ONEWAY",
        "ONEWAY_LEFTFILTERSRIGHT",
        "ONEWAY_RIGHTFILTERSLEFT",
        "ABS",
        "REL",
    }
)

_COMPARISONS = frozenset({"=", "==", "<>", "<", ">", "<=", ">="})
_DEFINE_KINDS = ("MEASURE", "VAR", "TABLE", "COLUMN", "FUNCTION")


def parse_expression(source: str) -> ast.Expr:
    """Parse a measure expression (without a leading ``=``); raise :class:`DaxSyntaxError` if it is not valid."""
    with recursion_room():
        parser = _Parser(source, "end of expression")
        expr = parser.expression()
        parser.expect_end("an operator or end of expression")
    return expr


def parse_query(source: str) -> ast.Query:
    """Parse a DAX query: ``DEFINE`` definitions, then ``EVALUATE`` statements with ``ORDER BY`` / ``START AT``."""
    with recursion_room():
        return _Parser(source, "end of query").query()


def describe(token: Token, end_name: str = "end of expression") -> str:
    """How an error message names ``token``: ``'('``, ``number 12``, ``string "a"``, ``end of expression`` ..."""
    if token.kind is K.EOF:
        return end_name
    text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    prefix = {K.STRING: "string ", K.NUMBER: "number ", K.QUOTED_TABLE: "table name ", K.BRACKET: "name "}
    if token.kind in prefix:
        return prefix[token.kind] + text
    return f"'{text}'"


class _Parser:
    def __init__(self, source: str, end_name: str):
        self.tokens = tokenize(source)
        self.index = 0
        self.end_name = end_name
        self.scopes: list[set[str]] = [set()]
        self.depths: dict[int, int] = {}  # id(node) → levels of the tree under it; leaves are absent (1)
        self.nesting = 0  # expression() calls in progress

    def made(self, node: _Node, *children: ast.Expr, at: Token | None = None) -> _Node:
        """``node``, whose sub-expressions are ``children``, after checking the tree is not too deep (an error
        points at ``at``, the operator, when given, else at the node)."""
        depth = 1 + max((self.depths.get(id(child), 1) for child in children), default=1)
        if depth > MAX_DEPTH:
            raise DaxNestingError(*((at.line, at.column) if at else node.position))
        self.depths[id(node)] = depth
        return node

    # ----------------------------------------------------------------------------------------------- token access
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        if token.kind is not K.EOF:
            self.index += 1
        return token

    def at_operator(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind is K.OPERATOR and token.text in ops

    def at_keyword(self, *words: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind is K.IDENT and token.value.upper() in words

    def error(self, expected: str, token: Token | None = None) -> DaxSyntaxError:
        token = token or self.peek()
        return DaxSyntaxError(f"expected {expected}, found {describe(token, self.end_name)}", token.line, token.column)

    def expect(self, kind: TokenKind, expected: str) -> Token:
        if self.peek().kind is not kind:
            raise self.error(expected)
        return self.advance()

    def expect_keyword(self, word: str, expected: str) -> Token:
        if not self.at_keyword(word):
            raise self.error(expected)
        return self.advance()

    def expect_end(self, expected: str) -> None:
        if self.peek().kind is not K.EOF:
            raise self.error(expected)

    # ------------------------------------------------------------------------------------------------ expressions
    def expression(self) -> ast.Expr:
        self.nesting += 1
        try:
            if self.nesting > MAX_DEPTH:
                token = self.peek()
                raise DaxNestingError(token.line, token.column)
            return self.logical_or()
        finally:
            self.nesting -= 1

    def prefixed(self, ops: Callable[[], bool], operand: Callable[[], ast.Expr]) -> ast.Expr:
        """Prefix operators read in a loop (``NOT NOT x``, ``- - x``), then ``operand``, then the tree built."""
        tokens: list[Token] = []
        while ops():
            tokens.append(self.advance())
        expr = operand()
        for token in reversed(tokens):
            expr = self.made(ast.Unary(token.text.upper(), expr, token.line, token.column), expr)
        return expr

    def _left_assoc(self, operand: Callable[[], ast.Expr], ops: frozenset[str]) -> ast.Expr:
        left = operand()
        while self.at_operator(*ops) or ("IN" in ops and self.at_keyword("IN")):
            token = self.advance()
            right = operand()
            left = self.made(ast.Binary(token.text.upper(), left, right, *left.position), left, right, at=token)
        return left

    def logical_or(self) -> ast.Expr:
        return self._left_assoc(self.logical_and, frozenset({"||"}))

    def logical_and(self) -> ast.Expr:
        return self._left_assoc(self.logical_not, frozenset({"&&"}))

    def logical_not(self) -> ast.Expr:
        return self.prefixed(lambda: self.at_keyword("NOT") and self.peek(1).kind is not K.LPAREN, self.comparison)

    def comparison(self) -> ast.Expr:
        return self._left_assoc(self.concatenation, _COMPARISONS | {"IN"})

    def concatenation(self) -> ast.Expr:
        return self._left_assoc(self.additive, frozenset({"&"}))

    def additive(self) -> ast.Expr:
        return self._left_assoc(self.multiplicative, frozenset({"+", "-"}))

    def multiplicative(self) -> ast.Expr:
        return self._left_assoc(self.unary, frozenset({"*", "/"}))

    def unary(self) -> ast.Expr:
        return self.prefixed(lambda: self.at_operator("-", "+"), self.power)

    def power(self) -> ast.Expr:
        left = self.primary()
        while self.at_operator("^"):
            token = self.advance()
            right = self.power_operand()
            left = self.made(ast.Binary("^", left, right, *left.position), left, right, at=token)
        return left

    def power_operand(self) -> ast.Expr:
        return self.prefixed(lambda: self.at_operator("-", "+"), self.primary)

    # --------------------------------------------------------------------------------------------------- primaries
    def primary(self) -> ast.Expr:
        token = self.peek()
        if token.kind is K.NUMBER:
            self.advance()
            return ast.Number(token.value, token.line, token.column)
        if token.kind is K.DATETIME:
            self.advance()
            return ast.DateTimeLiteral(token.value, token.line, token.column)
        if token.kind is K.PARAMETER:
            self.advance()
            return ast.Parameter(token.value, token.line, token.column)
        if token.kind is K.STRING:
            self.advance()
            return ast.String(token.value, token.line, token.column)
        if token.kind is K.BRACKET:
            self.advance()
            if self.peek().kind is K.LPAREN:
                raise self.error(f"an operator (the shortened CALCULATE syntax {token.text} ( ... ) is not supported)")
            return ast.NameRef(token.value, token.line, token.column)
        if token.kind is K.QUOTED_TABLE:
            return self.table_or_column()
        if token.kind is K.LPAREN:
            return self.parenthesised()
        if token.kind is K.LBRACE:
            return self.table_constructor()
        if token.kind is K.IDENT:
            return self.identifier()
        raise self.error("an expression")

    def identifier(self) -> ast.Expr:
        token = self.peek()
        word = token.value.upper()
        following = self.peek(1).kind
        if word in ("TRUE", "FALSE"):
            self.advance()
            if following is K.LPAREN:
                self.advance()
                if self.peek().kind is not K.RPAREN:
                    raise self.error(f"')' to close '{word} (' opened at {token.line}:{token.column}")
                self.advance()
            return ast.Boolean(word == "TRUE", token.line, token.column)
        if word == "VAR":
            return self.var_block()
        if following is K.LPAREN:
            return self.call()
        if following is K.BRACKET:
            return self.table_or_column()
        if word in RESERVED_WORDS:
            raise self.error("an expression")
        self.advance()
        if word in ARGUMENT_KEYWORDS and not self.is_variable(word):
            return ast.Keyword(word, token.line, token.column)
        return ast.TableRef(token.value, token.line, token.column)

    def is_variable(self, word: str) -> bool:
        return any(word in scope for scope in self.scopes)

    def table_or_column(self) -> ast.Expr:
        table = self.advance()
        if self.peek().kind is K.BRACKET:
            column = self.advance()
            return ast.ColumnRef(table.value, column.value, table.line, table.column)
        return ast.TableRef(table.value, table.line, table.column)

    def call(self) -> ast.Call:
        name = self.advance()
        self.advance()  # the '('
        opened = f"'{name.value.upper()} (' opened at {name.line}:{name.column}"
        args = self.comma_list(K.RPAREN, "')'", opened, allow_omitted=True)
        return self.made(ast.Call(name.value.upper(), tuple(args), name.line, name.column), *args)

    def comma_list(self, closing: TokenKind, closing_text: str, opened: str,
                   allow_omitted: bool = False) -> list[ast.Expr]:
        """Items up to and including the ``closing`` token; the opening token has been consumed.

        With ``allow_omitted`` (function arguments) an empty item between commas is :class:`ast.Omitted`.
        """
        items: list[ast.Expr] = []
        if self.peek().kind is closing:
            self.advance()
            return items
        while True:
            token = self.peek()
            if allow_omitted and token.kind is K.COMMA:
                items.append(ast.Omitted(token.line, token.column))
                self.advance()
                continue
            items.append(self.list_item())
            token = self.peek()
            if token.kind is closing:
                self.advance()
                return items
            if token.kind is K.COMMA:
                self.advance()
                continue
            if token.kind is K.EOF:
                raise self.error(f"{closing_text} to close {opened}")
            raise self.error(f"',' or {closing_text} to close {opened}")

    def list_item(self) -> ast.Expr:
        kind = self.peek().kind
        if kind is K.COMMA:
            raise self.error("an expression (omitted arguments are not supported)")
        if kind in (K.RPAREN, K.RBRACE):
            raise self.error("an expression after ','")
        return self.expression()

    def parenthesised(self) -> ast.Expr:
        opened = self.advance()
        where = f"'(' opened at {opened.line}:{opened.column}"
        if self.peek().kind is K.RPAREN:
            raise self.error("an expression")
        items = self.comma_list(K.RPAREN, "')'", where)
        if len(items) == 1:
            return self.made(ast.Paren(items[0], opened.line, opened.column), *items)
        return self.made(ast.Tuple(tuple(items), opened.line, opened.column), *items)

    def table_constructor(self) -> ast.TableConstructor:
        opened = self.advance()
        if self.peek().kind is K.RBRACE:
            raise self.error("an expression")
        items = self.comma_list(K.RBRACE, "'}'", f"'{{' opened at {opened.line}:{opened.column}")
        rows = tuple(item.items if isinstance(item, ast.Tuple) else (item,) for item in items)
        return self.made(ast.TableConstructor(rows, opened.line, opened.column), *items)

    def var_block(self) -> ast.VarBlock:
        start = self.peek()
        variables: list[tuple[str, ast.Expr]] = []
        self.scopes.append(set())
        try:
            while self.at_keyword("VAR"):
                self.advance()
                name = self.variable_name("VAR")
                self.expect_operator("=", f"'=' after 'VAR {name}'")
                variables.append((name, self.expression()))
                self.scopes[-1].add(name.upper())
            if not self.at_keyword("RETURN"):
                raise self.error(f"'VAR' or 'RETURN' to complete 'VAR' at {start.line}:{start.column}")
            self.advance()
            body = self.expression()
        finally:
            self.scopes.pop()
        return self.made(ast.VarBlock(tuple(variables), body, start.line, start.column),
                         *(value for _, value in variables), body)

    def variable_name(self, after: str) -> str:
        token = self.peek()
        if token.kind is not K.IDENT or token.value.upper() in RESERVED_WORDS | {"TRUE", "FALSE"}:
            raise self.error(f"a variable name after '{after}'")
        return self.advance().value

    def expect_operator(self, op: str, expected: str) -> Token:
        if not self.at_operator(op):
            raise self.error(expected)
        return self.advance()

    # ------------------------------------------------------------------------------------------------------ queries
    def query(self) -> ast.Query:
        first = self.peek()
        defines: list[ast.Define] = []
        while self.at_keyword("DEFINE"):
            self.advance()
            if not self.at_keyword(*_DEFINE_KINDS):
                raise self.error("MEASURE, VAR, TABLE, COLUMN or FUNCTION after 'DEFINE'")
            while self.at_keyword(*_DEFINE_KINDS):
                defines.append(self.definition())
        evaluates: list[ast.Evaluate] = []
        while self.at_keyword("EVALUATE"):
            evaluates.append(self.evaluate())
        if not evaluates:
            expected = "MEASURE, VAR, TABLE, COLUMN, FUNCTION or 'EVALUATE'" if defines else "'DEFINE' or 'EVALUATE'"
            raise self.error(expected)
        self.expect_end("'EVALUATE', 'ORDER BY', 'START AT' or end of query")
        return ast.Query(tuple(defines), tuple(evaluates), first.line, first.column)

    def definition(self) -> ast.Define:
        keyword = self.advance()
        kind = keyword.value.upper()
        table: str | None = None
        if kind == "FUNCTION":
            return self.function_definition(keyword)
        if kind == "TABLE" and self.peek().kind is K.QUOTED_TABLE:
            name = self.advance().value
            shown = f"TABLE '{name}'"
        elif kind in ("MEASURE", "COLUMN"):
            if self.peek().kind not in (K.IDENT, K.QUOTED_TABLE) or self.peek(1).kind is not K.BRACKET:
                raise self.error(f"a qualified name Table[Name] after '{kind}'")
            table = self.advance().value
            name = self.advance().value
            shown = f"{kind} {table}[{name}]"
        else:
            name = self.variable_name(kind)
            shown = f"{kind} {name}"
        self.expect_operator("=", f"'=' after '{shown}'")
        expression = self.expression()
        if kind == "VAR":
            self.scopes[0].add(name.upper())
        return ast.Define(kind, table, name, expression, line=keyword.line, column=keyword.column)

    def function_definition(self, keyword: Token) -> ast.Define:
        """``FUNCTION Name = ( parameter [: type words], ... ) => body`` (the keyword has been read)."""
        token = self.peek()
        if token.kind is not K.IDENT or token.value.upper() in RESERVED_WORDS:
            raise self.error("a function name after 'FUNCTION'")
        name = self.advance().value
        self.expect_operator("=", f"'=' after 'FUNCTION {name}'")
        opened = self.expect(K.LPAREN, f"'(' to open the parameters of 'FUNCTION {name}'")
        parameters: list[ast.FunctionParameter] = []
        while self.peek().kind is not K.RPAREN:
            if parameters:
                self.expect(K.COMMA, f"',' or ')' to close '(' opened at {opened.line}:{opened.column}")
            start = self.peek()
            parameter = self.variable_name(f"FUNCTION {name} (")
            words: list[str] = []
            if self._at_colon():
                self.advance()
                while self.peek().kind is K.IDENT:
                    words.append(self.advance().value.upper())
                if not words:
                    raise self.error(f"a type after '{parameter} :'")
            parameters.append(ast.FunctionParameter(parameter, tuple(words), start.line, start.column))
        self.advance()  # ')'
        arrow = self.peek()
        following = self.peek(1)
        if not (self.at_operator("=") and following.kind is K.OPERATOR and following.text == ">"
                and following.offset == arrow.offset + 1):
            raise self.error(f"'=>' after the parameters of 'FUNCTION {name}'")
        self.advance()
        self.advance()
        self.scopes.append({p.name.upper() for p in parameters})
        try:
            body = self.expression()
        finally:
            self.scopes.pop()
        return ast.Define("FUNCTION", None, name, body, tuple(parameters), keyword.line, keyword.column)

    def _at_colon(self) -> bool:
        token = self.peek()
        return token.kind is K.COLON

    def evaluate(self) -> ast.Evaluate:
        keyword = self.advance()
        table = self.expression()
        order_by: list[ast.OrderKey] = []
        start_at: list[ast.Expr] = []
        if self.at_keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY", "'BY' after 'ORDER'")
            order_by.append(self.order_key())
            while self.peek().kind is K.COMMA:
                self.advance()
                order_by.append(self.order_key())
            if self.at_keyword("START"):
                self.advance()
                self.expect_keyword("AT", "'AT' after 'START'")
                start_at.append(self.expression())
                while self.peek().kind is K.COMMA:
                    self.advance()
                    start_at.append(self.expression())
        return ast.Evaluate(table, tuple(order_by), tuple(start_at), keyword.line, keyword.column)

    def order_key(self) -> ast.OrderKey:
        start = self.peek()
        expr = self.expression()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().value.upper() == "DESC"
        return ast.OrderKey(expr, descending, start.line, start.column)
