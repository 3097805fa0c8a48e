"""Outer-row references lifted out of derived tables, for databases that do not resolve them there (MariaDB/MySQL).

The engine writes a filter over a table read in a row context as a derived table whose WHERE compares its rows
with the enclosing row: ``EXISTS (SELECT 1 FROM (SELECT r5.c0 FROM … AS r5 WHERE r5.c0 = r3.c20) AS e6)``.
MariaDB resolves no column of an enclosing query inside a derived table (``Unknown column 'r3.c20'``), so the
conjuncts of such a WHERE that read an enclosing row are moved one level up, onto the derived table's output
columns — ``(SELECT 1 FROM (SELECT r5.c0, … AS r5) AS e6 WHERE e6.c0 = r3.c20)`` — repeatedly, innermost first,
until the reference sits in a WHERE (or a LEFT JOIN's ON) of a query that is no derived table: a correlated
subquery MariaDB runs. Moving a conjunct of a plain ``SELECT … FROM … WHERE`` (no grouping, DISTINCT, window,
LIMIT) into the enclosing query's WHERE keeps exactly the same rows, so the result is the same.

What cannot be moved so (a derived table that groups or has a window, a reference in its SELECT list or in a
join's ON) is left alone, and :func:`outer_reference` names it so the engine refuses the query with a sentence
instead of sending SQL the server rejects.
"""

from __future__ import annotations

from sqlglot import exp

#: parts of a derived table's SELECT across which a WHERE conjunct cannot move
_FIXED = (
    "with_",
    "kind",
    "distinct",
    "group",
    "having",
    "qualify",
    "windows",
    "order",
    "limit",
    "offset",
    "sample",
    "laterals",
)


def _defined(select: exp.Expression) -> set[str]:
    """Table aliases and names defined anywhere inside ``select``."""
    names = {a.name for a in select.find_all(exp.TableAlias)}
    names |= {t.alias_or_name for t in select.find_all(exp.Table)}
    return names


def _outer(node: exp.Expression, defined: set[str]) -> set[str]:
    """The aliases ``node`` reads that are not in ``defined``."""
    return {c.table for c in node.find_all(exp.Column) if c.table and c.table not in defined}


def _conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    if isinstance(condition, exp.Paren) and isinstance(condition.this, exp.And):
        return _conjuncts(condition.this)
    return [condition]


def _owned_by(node: exp.Expression, select: exp.Select) -> bool:
    return node.find_ancestor(exp.Select) is select


def _movable(select: exp.Select) -> bool:
    """Whether a WHERE conjunct of ``select`` can move to the query reading it (a plain filter over its rows)."""
    if any(select.args.get(k) for k in _FIXED) or not select.args.get("from_"):
        return False
    for projection in select.expressions:
        if isinstance(projection, exp.Star) or isinstance(projection.unalias(), exp.Star):
            return False
        if any(_owned_by(n, select) for n in projection.find_all(exp.AggFunc, exp.Window)):
            return False
    return all(j.side not in ("RIGHT", "FULL") for j in select.args.get("joins") or [])


def _output(select: exp.Select, column: exp.Column) -> str:
    """The name of ``select``'s output column holding ``column`` (a new one, ``__l0…``, when none does)."""
    names = [p.alias_or_name for p in select.expressions]
    for projection, name in zip(select.expressions, names, strict=True):
        value = projection.unalias()
        if (
            isinstance(value, exp.Column)
            and value.table == column.table
            and value.name == column.name
            and names.count(name) == 1
        ):
            return name
    index = 0
    while f"__l{index}" in names:
        index += 1
    name = f"__l{index}"
    select.set("expressions", [*select.expressions, exp.alias_(column.copy(), name, copy=False)])
    return name


def _lift(derived: exp.Subquery) -> bool:
    """Move the WHERE conjuncts of the derived table ``derived`` that read an enclosing row into the query
    reading it; True when something moved."""
    inner, holder = derived.this, derived.parent
    reader = holder.parent if holder is not None else None
    if (
        not isinstance(inner, exp.Select)
        or not isinstance(reader, exp.Select)
        or not derived.alias
        or not _movable(inner)
    ):
        return False
    if isinstance(holder, exp.Join) and (holder.side in ("RIGHT", "FULL") or holder.args.get("using")):
        return False
    if any(isinstance(p, exp.Star) or isinstance(p.unalias(), exp.Star) for p in reader.expressions):
        return False  # a new output column would change the reader's columns
    where = inner.args.get("where")
    defined = _defined(inner)
    conjuncts = _conjuncts(where.this if where is not None else None)
    moving = [c for c in conjuncts if _outer(c, defined)]
    if not moving:
        return False
    own = {t.alias_or_name for t in [inner.args["from_"].this, *[j.this for j in inner.args.get("joins") or []]]}
    lifted: list[exp.Expression] = []
    for conjunct in moving:
        moved = conjunct.copy()
        shadowing = _defined(moved)
        for column in list(moved.find_all(exp.Column)):
            if column.table in own and column.table not in shadowing:
                column.replace(exp.column(_output(inner, column), table=derived.alias))
        lifted.append(moved)
    kept = [c for c in conjuncts if not any(c is m for m in moving)]
    inner.set("where", exp.Where(this=exp.and_(*kept, copy=False)) if kept else None)
    condition = exp.and_(*lifted, copy=False)
    if isinstance(holder, exp.Join) and holder.side == "LEFT":
        on = holder.args.get("on")
        holder.set("on", exp.and_(on, condition, copy=False) if on is not None else condition)
    else:
        reader.where(condition, copy=False)
    return True


def _bare(node: exp.Subquery) -> exp.Expression | None:
    """The value of a scalar subquery without FROM (``(SELECT e AS v)``) as an expression, or None for another
    subquery (or one whose value aggregates or is a window)."""
    select = node.this
    if (
        isinstance(node.parent, exp.From | exp.Join)
        or not isinstance(select, exp.Select)
        or len(select.expressions) != 1
        or any(v for k, v in select.args.items() if k != "expressions" and v)
    ):
        return None
    value = select.expressions[0].unalias()
    if any(_owned_by(n, select) for n in value.find_all(exp.AggFunc, exp.Window)):
        return None
    return exp.Paren(this=value)


def unwrap_bare_selects(expression: exp.Expression) -> exp.Expression:
    """``expression`` (changed in place) with every scalar ``(SELECT e AS v)`` without FROM written as ``(e)``.

    MariaDB 10.11 evaluates such a subquery wrongly when it sits inside an aggregate and reads a column of a
    derived table of the aggregating query: ``SELECT SUM((SELECT r.x * 2 AS v)) FROM (SELECT … AS x …) AS r`` is 0
    there (and fails with ``Unknown column`` when derived tables are not merged); ``SUM((r.x * 2))`` is right."""
    for node in reversed(list(expression.find_all(exp.Subquery, bfs=False))):
        value = _bare(node)
        if value is None:
            continue
        named = node.args.get("alias")
        node.replace(exp.alias_(value, named.name, copy=False) if named is not None else value)
    return expression


def lift_outer_references(expression: exp.Expression) -> exp.Expression:
    """``expression`` (changed in place) with every WHERE conjunct of a derived table that reads an enclosing row
    moved to the query reading that derived table, innermost first."""
    for node in reversed(list(expression.find_all(exp.Subquery, bfs=False))):
        if isinstance(node.parent, exp.From | exp.Join):
            _lift(node)
    return expression


def outer_reference(expression: exp.Expression) -> str | None:
    """The first ``alias.column`` read inside a derived table from an enclosing query, or None."""
    for node in expression.find_all(exp.Subquery):
        if not isinstance(node.parent, exp.From | exp.Join):
            continue
        defined = _defined(node.this)
        for column in node.this.find_all(exp.Column):
            if column.table and column.table not in defined:
                return f"{column.table}.{column.name}"
    return None


__all__ = ["lift_outer_references", "outer_reference", "unwrap_bare_selects"]
