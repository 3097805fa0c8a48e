"""DAX syntax tree: frozen dataclasses, one per construct.

Every node carries ``line`` and ``column`` (1-based position of its first token) as its last two fields
(:class:`ColumnRef` calls the second one ``col``, as ``column`` is its column name; ``node.position`` works for
all). They default to 0 and are excluded from equality and repr, so a tree built by hand compares equal to a parsed
one and two parses of differently formatted text compare equal.

A bare identifier is always a :class:`TableRef`: the parser cannot tell a table from a variable defined by an
enclosing ``VAR``; :func:`generator.dax.references.find_references` resolves that using scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _position() -> int:
    return field(default=0, compare=False, repr=False)


class Node:
    """Base of every node; ``position`` is ``(line, column)`` of the node's first token (``(0, 0)`` if built by hand).

    Every node has ``line`` and ``column`` fields except :class:`ColumnRef`, whose ``column`` is the column name and
    whose position column is ``col``; use ``position`` to read any node's position uniformly.
    """

    __slots__ = ()
    line: int
    column: int

    @property
    def position(self) -> tuple[int, int]:
        """``(line, column)`` of the node's first token."""
        return self.line, self.column


@dataclass(frozen=True)
class Number(Node):
    """A numeric literal, kept as written (``12``, ``1.5``, ``.5``)."""

    text: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class DateTimeLiteral(Node):
    """A datetime literal ``dt"2015-01-09"`` (``dt"2015-01-09T10:30:00"``); ``text`` is what is between the quotes."""

    text: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Parameter(Node):
    """A query parameter ``@name`` (its value is supplied with the query: :mod:`generator.dax.functions`)."""

    name: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class String(Node):
    """A string literal; ``value`` is unescaped."""

    value: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Boolean(Node):
    """``TRUE`` / ``FALSE``, written with or without ``()``."""

    value: bool
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class TableRef(Node):
    """A table name used alone (``Sales``, ``'Dim Date'``), or a variable reference."""

    name: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Keyword(Node):
    """A bare argument keyword such as ``DESC`` (TOPN, RANKX), ``YEAR`` (DATESINPERIOD, DATEADD), ``SKIP``/``DENSE``
    (RANKX) or ``BOTH`` (CROSSFILTER); ``name`` is upper case. See ``generator.dax.parser.ARGUMENT_KEYWORDS``."""

    name: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Omitted(Node):
    """An argument left empty, as in ``RANKX ( t, e, , ASC )``: the function's default applies."""

    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class ColumnRef(Node):
    """A qualified column (or measure) reference ``Table[Column]``."""

    table: str
    column: str
    line: int = _position()
    col: int = _position()

    @property
    def position(self) -> tuple[int, int]:
        """``(line, column)``: the field ``column`` holds the column name, so the position's column is ``col``."""
        return self.line, self.col


@dataclass(frozen=True)
class NameRef(Node):
    """An unqualified ``[Name]``: a measure, or a column in row context."""

    name: str
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Call(Node):
    """A function call; ``name`` is upper case."""

    name: str
    args: tuple[Expr, ...]
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Unary(Node):
    """A prefix operator: ``-``, ``+`` or ``NOT``."""

    op: str
    operand: Expr
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Binary(Node):
    """An infix operator; ``op`` is one of ``^ * / + - & = == <> < > <= >= IN && ||``."""

    op: str
    left: Expr
    right: Expr
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class TableConstructor(Node):
    """``{ 1, 2 }`` (one column: each value is a row) or ``{ (1, "a"), (2, "b") }``."""

    rows: tuple[tuple[Expr, ...], ...]
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Tuple(Node):
    """A parenthesised list ``(a, b)``, as on the left of ``IN``."""

    items: tuple[Expr, ...]
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Paren(Node):
    """Explicit parentheses around one expression."""

    expr: Expr
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class VarBlock(Node):
    """``VAR a = ... VAR b = ... RETURN body``."""

    variables: tuple[tuple[str, Expr], ...]
    body: Expr
    line: int = _position()
    column: int = _position()


Expr = (
    Number
    | DateTimeLiteral
    | Parameter
    | String
    | Boolean
    | TableRef
    | Keyword
    | Omitted
    | ColumnRef
    | NameRef
    | Call
    | Unary
    | Binary
    | TableConstructor
    | Tuple
    | Paren
    | VarBlock
)


@dataclass(frozen=True)
class OrderKey(Node):
    """One ``ORDER BY`` key."""

    expr: Expr
    descending: bool = False
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Evaluate(Node):
    """``EVALUATE table [ORDER BY keys] [START AT values]``."""

    table: Expr
    order_by: tuple[OrderKey, ...] = ()
    start_at: tuple[Expr, ...] = ()
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class FunctionParameter(Node):
    """One parameter of a user-defined function: its name, and its type words as written (``NUMERIC``,
    ``SCALAR VAL``, ``ANYREF EXPR`` …; empty when untyped)."""

    name: str
    type_words: tuple[str, ...] = ()
    line: int = _position()
    column: int = _position()

    @property
    def is_expression(self) -> bool:
        """True for an ``EXPR`` parameter (evaluated where the function uses it; ``VAL``, the default, is
        evaluated once where the function is called)."""
        return "EXPR" in self.type_words or any(w in ("ANYREF", "COLUMNREF", "TABLEREF", "MEASUREREF", "CALENDARREF")
                                                for w in self.type_words)


@dataclass(frozen=True)
class Define(Node):
    """One definition after ``DEFINE``: ``kind`` is ``MEASURE``, ``VAR``, ``TABLE``, ``COLUMN`` or ``FUNCTION``;
    ``table`` is set for ``MEASURE T[Name]`` and ``COLUMN T[Name]`` and ``None`` otherwise; ``parameters`` are a
    ``FUNCTION``'s (``FUNCTION Name = ( a : NUMERIC, b ) => body``: ``expression`` is the body)."""

    kind: str
    table: str | None
    name: str
    expression: Expr
    parameters: tuple[FunctionParameter, ...] = ()
    line: int = _position()
    column: int = _position()


@dataclass(frozen=True)
class Query(Node):
    """A DAX query: definitions, then one or more ``EVALUATE`` statements."""

    defines: tuple[Define, ...]
    evaluates: tuple[Evaluate, ...]
    line: int = _position()
    column: int = _position()
