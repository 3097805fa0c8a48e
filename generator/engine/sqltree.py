"""Building the engine's sqlglot trees without copying them over and over.

sqlglot's builders (``select``, ``from_``, ``where``, ``join``, ``alias_`` …) copy their receiver and every
argument by default; a query built in steps was copied at each step (40 % of ``report``'s time). The engine
builds each tree once: builders are called with ``copy=False`` on receivers made in the same function, and an
argument is copied only when it already sits in another tree (:func:`owned`; a sqlglot node has one parent).
Nothing mutates a compiled tree afterwards (rewrites work on copies: ``transform`` copies by default).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any

from sqlglot import exp


def owned(node: exp.Expression) -> exp.Expression:
    """``node``, or a copy of it when it is already part of another tree."""
    return node.copy() if node.parent is not None else node


def aliased(node: exp.Expression, name: str, **options: Any) -> exp.Expression:
    """``node AS name``. A node that carries its own alias (a subquery, a table) gets it set on a copy, so the
    node is never changed where it is used already."""
    if "alias" in type(node).arg_types:
        return exp.alias_(node, name, **options)
    return exp.alias_(owned(node), name, copy=False, **options)


def with_ctes(query: exp.Query, definitions: Mapping[str, exp.Query], skip: Container[str] = ()) -> exp.Query:
    """``query`` with the CTEs among ``definitions`` (name → query) it reads, and those they read, defined first in
    dependency order (before any it has already); names in ``skip`` are read as tables, not defined."""
    order: list[str] = []

    def need(node: exp.Expression) -> None:
        for table in node.find_all(exp.Table):
            name = table.name
            if name in definitions and name not in order and name not in skip:
                need(definitions[name])
                if name not in order:
                    order.append(name)

    need(query)
    if not order:
        return query
    result = query.copy()
    key = "with_" if "with_" in type(result).arg_types else "with"  # the arg's name differs across sqlglot
    existing = result.args.get(key)
    ctes = [exp.CTE(this=definitions[name].copy(), alias=exp.TableAlias(this=exp.to_identifier(name)))
            for name in order]
    if existing is not None:
        ctes += list(existing.expressions)
    result.set(key, exp.With(expressions=ctes))
    return result


__all__ = ["aliased", "owned", "with_ctes"]
