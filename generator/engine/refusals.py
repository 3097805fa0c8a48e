"""Precise refusals: name the function the engine lacks instead of a misleading error about its context."""

from __future__ import annotations

from generator.dax import ast
from generator.engine import functions


def known_functions() -> frozenset[str]:
    """Every function name the engine compiles (scalar handlers, aggregations, iterators, scalar functions,
    table functions and CALCULATE modifiers)."""
    return functions.known_names()


def first_unknown_call(node: ast.Node) -> ast.Call | None:
    """The first call (in reading order) of a function the engine does not know, or None."""
    known = known_functions()
    stack: list[object] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call) and current.name not in known:
            return current
        if isinstance(current, tuple):
            stack.extend(reversed(current))
        elif isinstance(current, ast.Node):
            stack.extend(reversed([getattr(current, f) for f in current.__dataclass_fields__]))  # type: ignore[attr-defined]
    return None
