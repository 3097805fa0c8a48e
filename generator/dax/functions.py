"""Query-level rewrites before a query is compiled: ``@parameters`` get their values, and calls of user-defined
functions (``DEFINE FUNCTION``) are inlined.

**Parameters** (DAX Studio's and Power BI's query parameters, ``@name``): each is replaced by the literal the
caller supplies (``gen-measures query --param name=value``). A value that is a DAX literal (a number, a quoted
``"text"``, ``TRUE``/``FALSE``, ``dt"2024-01-31"``) is that literal; any other value is text. A parameter with
no value is refused with its name and position.

**User-defined functions** (``FUNCTION Name = ( a : NUMERIC, t : TABLE EXPR ) => body``; Microsoft's
reference, "DAX user-defined functions"): a call ``Name(x, y)`` becomes the body with the arguments bound to the
parameters. A parameter passed by value (``VAL``, the default for scalar and table types) is evaluated once, in
the caller's context, before the body runs: the call becomes ``VAR a = x RETURN body``, which is exactly that. A
parameter passed as an expression (``EXPR``, and the reference types ``ANYREF``, ``COLUMNREF``, ``TABLEREF``,
``MEASUREREF``) is evaluated where the body uses it, in the body's context: its argument's tree replaces every
use. Functions may call functions defined before them; a call with the wrong number of arguments, and a
function that calls itself, are refused with the call's position.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

from generator.dax import ast
from generator.dax.lexer import DaxSyntaxError

_MAX_INLINE_DEPTH = 64
#: calls inlined in one query at the most: nested functions that each call the next twice grow exponentially
_MAX_INLINED_CALLS = 10_000


def transform(node: ast.Node, change: Callable[[ast.Node], ast.Node | None]) -> ast.Node:
    """``node`` rebuilt bottom-up, each node replaced by ``change(node)`` when that is not None (positions kept)."""
    replaced = change(node)
    if replaced is not None:
        return replaced
    updates = {}
    for field in dataclasses.fields(node):  # type: ignore[arg-type]
        value = getattr(node, field.name)
        if isinstance(value, ast.Node):
            new = transform(value, change)
            if new is not value:
                updates[field.name] = new
        elif isinstance(value, tuple) and value:
            new_items = tuple(_transform_item(item, change) for item in value)
            if any(a is not b for a, b in zip(new_items, value, strict=True)):
                updates[field.name] = new_items
    return dataclasses.replace(node, **updates) if updates else node  # type: ignore[type-var]


def _transform_item(item: object, change: Callable[[ast.Node], ast.Node | None]) -> object:
    if isinstance(item, ast.Node):
        return transform(item, change)
    if isinstance(item, tuple):
        new = tuple(_transform_item(x, change) for x in item)
        return item if all(a is b for a, b in zip(new, item, strict=True)) else new
    return item


def parameter_literal(value: str) -> ast.Expr:
    """The literal a ``--param`` value stands for (see the module's rule)."""
    text = value.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?", text):
        return ast.Number(text)
    if text.upper() in ("TRUE", "FALSE", "TRUE()", "FALSE()"):
        return ast.Boolean(text.upper().startswith("TRUE"))
    quoted = re.fullmatch(r'"((?:[^"]|"")*)"', text)
    if quoted:
        return ast.String(quoted.group(1).replace('""', '"'))
    dated = re.fullmatch(r'[dD][tT]"([^"]*)"', text)
    if dated:
        return ast.DateTimeLiteral(dated.group(1))
    return ast.String(value)


def bind_parameters(query: ast.Query, values: Mapping[str, str]) -> ast.Query:
    """``query`` with every ``@name`` replaced by its value (names compare case-insensitively); a parameter
    without a value raises :class:`DaxSyntaxError` at its position."""
    lowered = {name.lower().lstrip("@"): value for name, value in values.items()}

    def change(node: ast.Node) -> ast.Node | None:
        if isinstance(node, ast.Parameter):
            if node.name.lower() not in lowered:
                raise DaxSyntaxError(f"query parameter @{node.name} has no value (give it with --param "
                                     f"{node.name}=VALUE)", *node.position)
            literal = parameter_literal(lowered[node.name.lower()])
            return dataclasses.replace(literal, line=node.line, column=node.column)  # type: ignore[type-var]
        return None

    return transform(query, change)  # type: ignore[return-value]


def inline_functions(query: ast.Query) -> ast.Query:
    """``query`` without its ``FUNCTION`` definitions, every call of one replaced by the function's body (a
    function may be defined after the definitions and functions that call it)."""
    functions: dict[str, ast.Define] = {}
    for define in query.defines:
        if define.kind == "FUNCTION":
            if define.name.upper() in functions:
                raise DaxSyntaxError(f"FUNCTION {define.name} is defined twice", *define.position)
            functions[define.name.upper()] = define
    if not functions:
        return query
    defines = []
    inlined = [0]  # calls inlined so far, against _MAX_INLINED_CALLS
    for define in query.defines:
        if define.kind != "FUNCTION":
            body = _inline(define.expression, functions, (), inlined)
            defines.append(dataclasses.replace(define, expression=body) if body is not define.expression else define)
    evaluates = tuple(transform(e, lambda n: _call(n, functions, (), inlined)) for e in query.evaluates)
    return dataclasses.replace(query, defines=tuple(defines), evaluates=evaluates)  # type: ignore[arg-type]


def _inline(node: ast.Expr, functions: Mapping[str, ast.Define], active: tuple[str, ...],
            inlined: list[int]) -> ast.Expr:
    if not functions:
        return node
    return transform(node, lambda n: _call(n, functions, active, inlined))  # type: ignore[return-value]


def _call(node: ast.Node, functions: Mapping[str, ast.Define], active: tuple[str, ...],
          inlined: list[int]) -> ast.Node | None:
    if not isinstance(node, ast.Call) or node.name not in functions:
        return None
    function = functions[node.name]
    if node.name in active or len(active) >= _MAX_INLINE_DEPTH:
        raise DaxSyntaxError(f"FUNCTION {function.name} calls itself (recursion is not allowed)", *node.position)
    inlined[0] += 1
    if inlined[0] > _MAX_INLINED_CALLS:
        raise DaxSyntaxError(f"the query's functions expand to more than {_MAX_INLINED_CALLS:,} calls; "
                             f"simplify {function.name} or the functions it calls", *node.position)
    parameters = function.parameters
    if len(node.args) != len(parameters):
        raise DaxSyntaxError(f"{function.name} takes {len(parameters)} argument"
                             f"{'' if len(parameters) == 1 else 's'}, got {len(node.args)}", *node.position)
    arguments = [_inline(arg, functions, active, inlined) for arg in node.args]
    by_expression = {p.name.upper(): arg for p, arg in zip(parameters, arguments, strict=True) if p.is_expression}

    def substitute(inner: ast.Node) -> ast.Node | None:
        if isinstance(inner, ast.TableRef) and inner.name.upper() in by_expression:
            return by_expression[inner.name.upper()]
        return None

    body = transform(function.expression, substitute) if by_expression else function.expression
    body = _inline(body, functions, (*active, node.name), inlined)  # type: ignore[arg-type]
    by_value = [(p.name, arg) for p, arg in zip(parameters, arguments, strict=True) if not p.is_expression]
    if not by_value:
        return ast.Paren(body, *node.position)
    return ast.VarBlock(tuple(by_value), body, *node.position)
