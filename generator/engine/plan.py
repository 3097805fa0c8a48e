"""Grouped-aggregate plans: correlated aggregate subqueries turned into one GROUP BY per (source, filter, grain).

The compiler writes a measure evaluated for each row of a table (a SUMMARIZECOLUMNS group, an ADDCOLUMNS row)
as scalar subqueries correlated with that row: ``(SELECT AGG(x) FROM fact … WHERE key <=> g.c0 AND filters)``.
Evaluated per row, that is one scan of the fact table per group. Where the correlation is only equalities
between expressions of the subquery's own rows and expressions of the outer row (what filters from group values
and from context transition over a row become), the subquery has the same value as a lookup into

    SELECT key AS k0, AGG(x) AS v0 FROM fact … WHERE filters GROUP BY key

on ``k0 <=> g.c0`` (an outer row without a matching group gets the aggregate's value over no rows). That
aggregate is a :class:`GroupedAggregate`; the aggregates one row-wise query needs, deduplicated (the same
source, filters and grain computed once, several values side by side), are an :class:`AggregatePlan`, which
renders as LEFT JOINs of the outer query. Subqueries correlated in any other way (an inequality, a
correlation inside a nested filter table, an enclosing row of another table) stay as they are.

The rewrite keeps DAX semantics: the joined value is the aggregate over exactly the rows the correlated
subquery would read. One difference is avoided rather than handled: rows outside every outer group are
aggregated too, so a subquery that can raise a DAX error at run time is left correlated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from generator.engine import sqlfuncs
from generator.engine.sqltree import conjuncts, defined_aliases, outer_aliases

#: the value of an expression over no rows could not be worked out statically
_UNKNOWN = object()
#: parts of a SELECT that make it more than an aggregate over filtered rows
_REFUSED = ("with_", "kind", "distinct", "into", "laterals", "connect", "pivots", "prewhere", "group", "having",
            "qualify", "windows", "distribute", "sort", "cluster", "order", "limit", "offset", "sample")


@dataclass(frozen=True)
class Correlation:
    """One equality between the aggregated rows and the outer row: ``inner`` (over the subquery's own tables,
    aliases normalised) against ``outer`` (over the outer row's alias); ``null_safe`` for IS NOT DISTINCT FROM."""

    inner: exp.Expression
    outer: exp.Expression
    null_safe: bool


@dataclass(frozen=True)
class GroupedAggregate:
    """``SELECT grain…, values… FROM source WHERE filters GROUP BY grain``, joined to the outer row on the
    correlations. ``source`` is the subquery without projection or correlated conjuncts (FROM, JOINs, the
    uncorrelated part of WHERE), aliases normalised so that equal aggregates compare equal."""

    source: exp.Select
    correlations: tuple[Correlation, ...]
    values: tuple[exp.Expression, ...] = ()
    #: True when some value is not NULL over no rows: the join then says whether the group exists
    needs_presence: bool = False

    @property
    def identity(self) -> str:
        """The text that decides whether two aggregates can share one GROUP BY (values aside)."""
        grain = ",".join(f"{c.inner.sql()}|{c.outer.sql()}|{c.null_safe}" for c in self.correlations)
        return f"{self.source.sql()}##{grain}"

    def render(self) -> exp.Select:
        """The aggregate as SQL: columns ``k0…`` (the grain), ``v0…`` (the values) and ``p`` when needed."""
        grain = [c.inner.copy() for c in self.correlations]
        outputs: list[exp.Expression] = [exp.alias_(g, f"k{i}", copy=False) for i, g in enumerate(grain)]
        outputs += [exp.alias_(v.copy(), f"v{i}", copy=False) for i, v in enumerate(self.values)]
        if self.needs_presence:
            outputs.append(exp.alias_(exp.Literal.number(1), "p", copy=False))
        query = self.source.copy()
        query.set("expressions", outputs)
        query.set("group", exp.Group(expressions=[c.inner.copy() for c in self.correlations]))
        return query

    def join_condition(self, alias: str) -> exp.Expression:
        """The ON condition joining the rendered aggregate ``alias`` to the outer row."""
        parts: list[exp.Expression] = []
        for i, c in enumerate(self.correlations):
            kind = exp.NullSafeEQ if c.null_safe else exp.EQ
            parts.append(kind(this=exp.column(f"k{i}", table=alias), expression=c.outer.copy()))
        return exp.and_(*parts, copy=False)


@dataclass
class AggregatePlan:
    """The grouped aggregates one row-wise query joins, deduplicated by :attr:`GroupedAggregate.identity`."""

    outer: str
    fresh: Callable[[str], str]
    #: False: nothing is hoisted (the SQL stays correlated), for databases that cannot read an outer row's
    #: columns from inside a derived table (MariaDB/MySQL)
    enabled: bool = True
    aggregates: list[GroupedAggregate] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def add(self, found: GroupedAggregate, value: exp.Expression, null_on_empty: bool) -> tuple[str, int]:
        """Add ``value`` over ``found``'s source and grain; the alias of its aggregate and the value's index."""
        key = found.identity
        if key not in self._index:
            self._index[key] = len(self.aggregates)
            self.aggregates.append(found)
            self.aliases.append(self.fresh("a"))
        position = self._index[key]
        current = self.aggregates[position]
        texts = [v.sql() for v in current.values]
        text = value.sql()
        if text in texts:
            index = texts.index(text)
        else:
            index = len(current.values)
            current = GroupedAggregate(current.source, current.correlations, (*current.values, value),
                                       current.needs_presence or not null_on_empty)
        if not null_on_empty and not current.needs_presence:
            current = GroupedAggregate(current.source, current.correlations, current.values, True)
        self.aggregates[position] = current
        return self.aliases[position], index

    def mark(self) -> tuple[list[GroupedAggregate], list[str], dict[str, int]]:
        """The plan as it is now, for :meth:`reset`."""
        return list(self.aggregates), list(self.aliases), dict(self._index)

    def reset(self, mark: tuple[list[GroupedAggregate], list[str], dict[str, int]]) -> None:
        """Back to the plan as it was at ``mark`` (the aggregates added since are dropped)."""
        self.aggregates, self.aliases, self._index = list(mark[0]), list(mark[1]), dict(mark[2])

    def joins(self) -> list[tuple[exp.Expression, exp.Expression]]:
        """``(FROM item, ON condition)`` of each aggregate, to LEFT JOIN to the outer query."""
        return [(exp.Subquery(this=a.render(), alias=exp.TableAlias(this=exp.to_identifier(alias))),
                 a.join_condition(alias)) for a, alias in zip(self.aggregates, self.aliases, strict=True)]

    def apply(self, query: exp.Select) -> exp.Select:
        """``query`` (whose FROM is the outer row) with the aggregates LEFT JOINed."""
        for table, condition in self.joins():
            query = query.join(table, on=condition, join_type="left", copy=False)
        return query


# ----------------------------------------------------------------------------------------------- analysis


def _raises(node: exp.Expression) -> bool:
    """True when ``node`` may raise a DAX error at run time (:class:`sqlfuncs.DaxError`)."""
    return node.find(sqlfuncs.DaxError) is not None


def _own_aggregate(select: exp.Select) -> bool:
    """True when ``select``'s single output aggregates its rows (an aggregate not inside a nested query)."""
    return any(node.find_ancestor(exp.Select) is select for node in select.expressions[0].find_all(exp.AggFunc))


#: the arithmetic of :func:`empty_value` on values known statically
_ARITHMETIC: dict[type, Callable[[float, float], float]] = {
    exp.Add: lambda a, b: a + b, exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b, exp.Div: lambda a, b: a / b,
}


def empty_value(node: exp.Expression) -> object:
    """The value of an aggregate expression over no rows when it follows from its shape (None for NULL), else
    an unknown marker."""
    if isinstance(node, exp.Count):
        return 0
    if isinstance(node, exp.Sum | exp.Avg | exp.Min | exp.Max | exp.Median):
        return None
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Literal) and node.is_number:
        return float(node.this)
    if isinstance(node, exp.Cast | exp.Paren):
        return empty_value(node.this)
    if isinstance(node, exp.Coalesce):
        for part in [node.this, *node.expressions]:
            value = empty_value(part)
            if value is not None:
                return value
        return None
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        left, right = empty_value(node.this), empty_value(node.expression)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        if left is None or right is None:  # SQL arithmetic with NULL is NULL
            return None
        if isinstance(node, exp.Div) and right == 0:
            return _UNKNOWN  # the database's own division by zero: not worked out here
        return _ARITHMETIC[type(node)](left, right)
    if isinstance(node, exp.Nullif):
        value, zero = empty_value(node.this), empty_value(node.expression)
        if value is None or (value is not _UNKNOWN and value == zero):
            return None
        return _UNKNOWN
    return _UNKNOWN


def _normalise(select: exp.Select) -> None:
    """Rename the aliases ``select`` defines in order of appearance (``__x0``, ``__x1`` …), in place, so that two
    subqueries differing only in their fresh aliases render the same."""
    names: dict[str, str] = {}
    for node in select.walk():
        if isinstance(node, exp.TableAlias) and node.name and node.name not in names:
            names[node.name] = f"__x{len(names)}"
    for node in list(select.walk()):
        if isinstance(node, exp.TableAlias) and node.name in names:
            node.set("this", exp.to_identifier(names[node.name]))
        elif isinstance(node, exp.Column) and node.table in names:
            node.set("table", exp.to_identifier(names[node.table]))


Pair = tuple[exp.Expression, exp.Expression, bool]  # (inner side, outer side, null-safe)


def _split(parts: list[exp.Expression], defined: set[str],
           outer: str) -> tuple[list[exp.Expression], list[Pair]] | None:
    """The conjuncts that do not read the outer row, and the equalities that do; None when a conjunct reads the
    outer row in any other way."""
    kept: list[exp.Expression] = []
    pairs: list[Pair] = []
    for conjunct in parts:
        if not outer_aliases(conjunct, defined):
            kept.append(conjunct)
            continue
        if not isinstance(conjunct, exp.NullSafeEQ | exp.EQ):
            return None
        sides = [conjunct.this, conjunct.expression]
        outer_sides = [s for s in sides if outer_aliases(s, defined)]
        if len(outer_sides) != 1:
            return None
        outer_side = outer_sides[0]
        inner_side = sides[1] if outer_side is sides[0] else sides[0]
        if any(c.table != outer for c in outer_side.find_all(exp.Column)) or \
                outer_side.find(exp.Subquery, exp.Select):
            return None
        if inner_side.find(exp.Subquery, exp.Select, exp.Exists):
            return None
        pairs.append((inner_side, outer_side, isinstance(conjunct, exp.NullSafeEQ)))
    return kept, pairs


def _lifted(select: exp.Select, outer: str) -> tuple[exp.From, list[Pair]] | None:
    """For an aggregate over the rows of one derived table (an iterator: ``AVG(f(r)) FROM (SELECT … FROM fact
    WHERE key <=> g.c0 …) AS r``) correlated only by equalities in that table's WHERE: the derived table without
    them and with their inner sides as columns ``__k0…``, and the equalities over those columns."""
    derived = select.args["from_"].this
    if select.args.get("joins") or not isinstance(derived, exp.Subquery) or not derived.alias:
        return None
    inner = derived.this
    if not isinstance(inner, exp.Select) or not inner.args.get("from_") or \
            any(inner.args.get(k) for k in _REFUSED if k != "distinct"):
        return None  # (DISTINCT may stay: the key columns are equal on every row of one group)
    if any(isinstance(n, exp.AggFunc | exp.Window | exp.Subquery | exp.Exists) for e in inner.expressions
           for n in e.walk()):
        return None
    defined = defined_aliases(inner)
    if outer in defined or any(outer_aliases(part, defined) for part in
                               [inner.args["from_"], *inner.args.get("joins", []), *inner.expressions]):
        return None
    where = inner.args.get("where")
    split = _split(conjuncts(where.this if where is not None else None), defined, outer)
    if split is None or not split[1]:
        return None
    kept, pairs = split
    copied = inner.copy()
    copied.set("where", exp.Where(this=exp.and_(*[c.copy() for c in kept], copy=False)) if kept else None)
    copied.set("expressions", [*copied.expressions, *[exp.alias_(inner_side.copy(), f"__k{i}", copy=False)
                                                      for i, (inner_side, _, _) in enumerate(pairs)]])
    source = exp.From(this=exp.Subquery(this=copied, alias=exp.TableAlias(this=exp.to_identifier(derived.alias))))
    return source, [(exp.column(f"__k{i}", table=derived.alias), outer_side, safe)
                    for i, (_, outer_side, safe) in enumerate(pairs)]


def analyse(subquery: exp.Subquery, outer: str) -> tuple[GroupedAggregate, exp.Expression] | None:
    """The grouped aggregate equal to the scalar ``subquery`` correlated with the row ``outer``, with the value
    it computes (aliases normalised), or None when the subquery does not have that shape."""
    select = subquery.this
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return None
    if any(select.args.get(k) for k in _REFUSED) or not select.args.get("from_") or not _own_aggregate(select):
        return None  # (cheap checks first: every scalar subquery of a measure's SQL is asked)
    defined = defined_aliases(select)
    if outer in defined or outer_aliases(select, defined) != {outer}:
        return None  # not correlated, or correlated with another row too
    value = select.expressions[0]
    if _raises(select) or outer_aliases(value, defined) or any(isinstance(n, exp.Window) for n in value.walk()):
        return None
    sources: list[exp.Expression] = [select.args["from_"], *select.args.get("joins", [])]
    lifted: list[Pair] = []
    if any(outer_aliases(part, defined) for part in sources):
        found = _lifted(select, outer)
        if found is None:
            return None
        sources, lifted = [found[0]], found[1]
    where = select.args.get("where")
    split = _split(conjuncts(where.this if where is not None else None), defined, outer)
    if split is None:
        return None
    kept, pairs = split[0], [*lifted, *split[1]]
    # one new tree holding the source (with the uncorrelated conjuncts), the grain and the value, normalised
    holder = exp.Select(
        expressions=[value.copy(), *[exp.alias_(inner.copy(), f"__g{i}", copy=False)
                                     for i, (inner, _, _) in enumerate(pairs)]],
        from_=sources[0].copy(), joins=[j.copy() for j in sources[1:]],
        where=exp.Where(this=exp.and_(*[c.copy() for c in kept], copy=False)) if kept else None)
    _normalise(holder)
    computed = holder.expressions[0]
    grain = [e.this for e in holder.expressions[1:]]
    holder.set("expressions", [])
    correlations = tuple(Correlation(g, outer_side.copy(), safe)
                         for g, (_, outer_side, safe) in zip(grain, pairs, strict=True))
    return GroupedAggregate(holder, correlations), computed


def hoist(value: exp.Expression, plan: AggregatePlan) -> exp.Expression:
    """``value`` (SQL evaluated for each row of ``plan.outer``) with every aggregate subquery correlated with
    that row only through equalities replaced by a column of a grouped aggregate added to ``plan``."""
    if not plan.enabled:
        return value

    def replace(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Subquery) or isinstance(node.parent, exp.From | exp.Join | exp.Lateral):
            return node  # a derived table, not a value
        found = analyse(node, plan.outer)
        if found is None:
            return node
        aggregate, computed = found
        null_on_empty = empty_value(computed) is None
        alias, index = plan.add(aggregate, computed, null_on_empty)
        result: exp.Expression = exp.column(f"v{index}", table=alias)
        if not null_on_empty:
            nothing = aggregate.source.copy()
            nothing.set("expressions", [computed.copy()])
            nothing.set("where", exp.Where(this=exp.false()))
            missing = exp.Is(this=exp.column("p", table=alias), expression=exp.Null())
            result = exp.Case(ifs=[exp.If(this=missing, true=exp.Subquery(this=nothing))], default=result)
        named = node.args.get("alias")
        if named is not None:  # ``(SELECT …) AS v`` in a SELECT list: sqlglot keeps the name on the subquery
            result = exp.alias_(result, node.alias, copy=False)
        return result

    return value.transform(replace)


def correlated_with(node: exp.Expression, alias: str) -> bool:
    """True when a subquery inside ``node`` still reads columns of ``alias`` (is correlated with that row)."""
    return any(isinstance(n, exp.Column) and n.table == alias and n.find_ancestor(exp.Subquery, exp.Exists)
               for n in node.walk())


def hoist_whole(value: exp.Expression, plan: AggregatePlan) -> exp.Expression | None:
    """:func:`hoist` into ``plan`` when that leaves ``value`` uncorrelated with ``plan.outer``; else None, and
    ``plan`` is left as it was."""
    if not plan.enabled:
        return None
    mark = plan.mark()
    hoisted = hoist(value, plan)
    if correlated_with(hoisted, plan.outer):
        plan.reset(mark)
        return None
    return hoisted


def hoist_row_lookups(query: exp.Expression) -> exp.Expression:
    """A copy of ``query`` with the aggregate subqueries that each SELECT evaluates per row of its FROM
    (an iterator's ``SUMX(r, MAXX(FILTER(ALL(…), key = r[key]), …))``: ``(SELECT MAX(x) FROM t WHERE k = r.k)``
    for each ``r``) joined as grouped aggregates (:func:`hoist`), innermost SELECT first."""
    query = query.copy()  # a compiled tree is never changed in place (generator/engine/sqltree.py)
    counter = iter(range(1 << 30))

    def fresh(prefix: str) -> str:
        return f"__{prefix}{next(counter)}"

    for select in reversed(list(query.find_all(exp.Select, bfs=False))):
        source = select.args.get("from_")
        if source is None or not isinstance(source.this, exp.Subquery | exp.Table) or not source.this.alias_or_name:
            continue
        if any(isinstance(e, exp.Star) or isinstance(e.unalias(), exp.Star) for e in select.expressions):
            continue  # a join would add columns
        if not any(
            isinstance(n, exp.Subquery) and not isinstance(n.parent, exp.From | exp.Join)
            for e in select.expressions
            for n in e.find_all(exp.Subquery)
        ):
            continue  # (cheap check first)
        plan = AggregatePlan(source.this.alias_or_name, fresh)
        values = [hoist(e, plan) for e in select.expressions]
        if plan.aggregates:
            select.set("expressions", values)
            plan.apply(select)
    return query


__all__ = ["AggregatePlan", "Correlation", "GroupedAggregate", "analyse", "correlated_with", "empty_value",
           "hoist", "hoist_row_lookups", "hoist_whole"]
