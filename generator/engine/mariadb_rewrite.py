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

from generator.engine.sqltree import conjuncts, defined_aliases, outer_aliases

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
    defined = defined_aliases(inner)
    parts = conjuncts(where.this if where is not None else None)
    moving = [c for c in parts if outer_aliases(c, defined)]
    if not moving:
        return False
    own = {t.alias_or_name for t in [inner.args["from_"].this, *[j.this for j in inner.args.get("joins") or []]]}
    lifted: list[exp.Expression] = []
    for conjunct in moving:
        moved = conjunct.copy()
        shadowing = defined_aliases(moved)
        for column in list(moved.find_all(exp.Column)):
            if column.table in own and column.table not in shadowing:
                column.replace(exp.column(_output(inner, column), table=derived.alias))
        lifted.append(moved)
    kept = [c for c in parts if not any(c is m for m in moving)]
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


def _median_window(value: exp.Expression, partition: list[exp.Expression]) -> exp.Window:
    """``PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY value) OVER (PARTITION BY partition…)``."""
    ordered = exp.Order(expressions=[exp.Ordered(this=value, nulls_first=True)])
    within = exp.WithinGroup(this=exp.PercentileCont(this=exp.Literal.number("0.5")), expression=ordered)
    return exp.Window(this=within, partition_by=[p.copy() for p in partition] or None, over="OVER")


def _keys(select: exp.Select) -> tuple[list[exp.Expression], list[tuple[exp.Expression, exp.Expression, bool]]]:
    """``select``'s WHERE conjuncts that do not read an enclosing row, and the equalities that do as
    (inner side, outer side, null-safe) — the partition of a windowed median; a conjunct reading the enclosing
    row in another way is kept (the server then cannot run the query, and the engine says so)."""
    where = select.args.get("where")
    defined = defined_aliases(select)
    kept: list[exp.Expression] = []
    keys: list[tuple[exp.Expression, exp.Expression, bool]] = []
    for conjunct in conjuncts(where.this if where is not None else None):
        if outer_aliases(conjunct, defined) and isinstance(conjunct, exp.EQ | exp.NullSafeEQ):
            left, right = conjunct.this, conjunct.expression
            sides = [(left, right), (right, left)]
            found = [
                (i, o)
                for i, o in sides
                if not outer_aliases(i, defined)
                and outer_aliases(o, defined)
                and not any(c.table in defined for c in o.find_all(exp.Column))
                and not o.find(exp.Select)
                and not i.find(exp.Select)
            ]
            if found:
                keys.append((found[0][0], found[0][1], isinstance(conjunct, exp.NullSafeEQ)))
                continue
        kept.append(conjunct)
    return kept, keys


def _windowed_median(select: exp.Select) -> bool:
    """Rewrite ``SELECT f(MEDIAN(e)…) FROM … WHERE …`` (no GROUP BY; every aggregate it owns a median) as
    ``SELECT f(MAX(m.__m0)…) FROM (SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY e) OVER () AS __m0 FROM …
    WHERE …) AS m``, in place; True when rewritten. Same value: the window gives every row the median of all of
    them (NULLs ignored), MAX reads it once; over no rows both are NULL. An equality with the enclosing row in
    the WHERE (``k = g.c0``) becomes a partition (``OVER (PARTITION BY k)``, ``WHERE m.__k0 = g.c0`` outside):
    the median of the rows with ``k`` equal to the outer value is that of their partition."""
    if (
        len(select.expressions) != 1
        or not select.args.get("from_")
        or any(select.args.get(k) for k in ("group", "having", "distinct", "qualify", "windows", "limit", "kind"))
    ):
        return False
    owned = [n for n in select.expressions[0].find_all(exp.AggFunc, exp.Window) if _owned_by(n, select)]
    if not owned or not all(isinstance(n, exp.Median) for n in owned):
        return False
    kept, keys = _keys(select)
    partition = [inner_side for inner_side, _, _ in keys]
    inner = select.copy()
    inner.set(
        "expressions",
        [exp.alias_(_median_window(m.this.copy(), partition), f"__m{i}", copy=False) for i, m in enumerate(owned)]
        + [exp.alias_(k.copy(), f"__k{i}", copy=False) for i, k in enumerate(partition)],
    )
    inner.set("where", exp.Where(this=exp.and_(*[c.copy() for c in kept], copy=False)) if kept else None)
    inner.set("order", None)
    for i, median in enumerate(owned):
        median.replace(exp.Max(this=exp.column(f"__m{i}", table="__med")))
    for key in ("from_", "joins", "where", "order", "offset"):
        select.set(key, None)
    select.set("from_", exp.From(this=exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("__med")))))
    for i, (_, outer_side, safe) in enumerate(keys):
        kind = exp.NullSafeEQ if safe else exp.EQ
        select.where(kind(this=exp.column(f"__k{i}", table="__med"), expression=outer_side.copy()), copy=False)
    return True


def windowed_medians(expression: exp.Expression) -> exp.Expression:
    """``expression`` (changed in place) with each MEDIAN written with MariaDB's window PERCENTILE_CONT (MariaDB
    has the median only as a window function), innermost first; a median it cannot rewrite stays (and the
    server refuses the SQL)."""
    for select in reversed(list(expression.find_all(exp.Select, bfs=False))):
        if select.find(exp.Median) is not None:
            _windowed_median(select)
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
        defined = defined_aliases(node.this)
        for column in node.this.find_all(exp.Column):
            if column.table and column.table not in defined:
                return f"{column.table}.{column.name}"
    return None


__all__ = ["lift_outer_references", "outer_reference", "unwrap_bare_selects", "windowed_medians"]
