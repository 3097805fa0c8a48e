"""What a DAX expression refers to: columns, unqualified names, tables and functions.

The parser turns every bare identifier into :class:`ast.TableRef`, because ``VAR x = ... RETURN x`` and
``COUNTROWS ( Sales )`` look the same. :func:`find_references` resolves this with scopes: a bare identifier that
names a variable of an enclosing ``VAR`` block (declared before it; names compare case-insensitively) is a variable
reference and is not reported as a table. A variable is in scope in the expressions of the later variables of its
block and in the block's ``RETURN`` body, not in its own expression.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from generator.dax import ast


@dataclass(frozen=True)
class References:
    """The references found in an expression.

    ``columns``: every qualified ``Table[Column]`` as ``(table, column)``; ``names``: every unqualified ``[Name]``
    (a measure, or a column in row context); ``tables``: every table named on its own (not the tables of column
    references, and not variables); ``functions``: every function name called, upper case (``TRUE ()`` and
    ``FALSE ()`` are literals, and the prefix ``NOT`` is an operator, so they are not listed).
    """

    columns: frozenset[tuple[str, str]]
    names: frozenset[str]
    tables: frozenset[str]
    functions: frozenset[str]


def children(node: ast.Expr) -> tuple[ast.Expr, ...]:
    """The direct sub-expressions of ``node`` in source order."""
    match node:
        case ast.Call(args=args):
            return args
        case ast.Unary(operand=operand):
            return (operand,)
        case ast.Binary(left=left, right=right):
            return (left, right)
        case ast.TableConstructor(rows=rows):
            return tuple(item for row in rows for item in row)
        case ast.Tuple(items=items):
            return items
        case ast.Paren(expr=expr):
            return (expr,)
        case ast.VarBlock(variables=variables, body=body):
            return (*(expr for _, expr in variables), body)
    return ()


def walk(expr: ast.Expr) -> Iterator[ast.Expr]:
    """Every node of ``expr``, depth-first in source order, ``expr`` itself first."""
    yield expr
    for child in children(expr):
        yield from walk(child)


def find_references(expr: ast.Expr) -> References:
    """The columns, unqualified names, tables and functions ``expr`` refers to (variables excluded from tables)."""
    collector = _Collector()
    collector.visit(expr, frozenset())
    return References(
        frozenset(collector.columns),
        frozenset(collector.names),
        frozenset(collector.tables),
        frozenset(collector.functions),
    )


class _Collector:
    def __init__(self) -> None:
        self.columns: set[tuple[str, str]] = set()
        self.names: set[str] = set()
        self.tables: set[str] = set()
        self.functions: set[str] = set()

    def visit(self, node: ast.Expr, variables: frozenset[str]) -> None:
        match node:
            case ast.ColumnRef(table=table, column=column):
                self.columns.add((table, column))
            case ast.NameRef(name=name):
                self.names.add(name)
            case ast.TableRef(name=name):
                if name.upper() not in variables:
                    self.tables.add(name)
            case ast.Call(name=name):
                self.functions.add(name.upper())
            case ast.VarBlock(variables=definitions, body=body):
                for name, value in definitions:
                    self.visit(value, variables)
                    variables = variables | {name.upper()}
                self.visit(body, variables)
                return
        for child in children(node):
            self.visit(child, variables)
