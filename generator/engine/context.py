"""Filter context: the filters in effect and the relationships activated by USERELATIONSHIP.

A filter restricts a set of model columns to a set of value tuples. It is held either as a *relation* (an SQL
query selecting ``c0 … cn``, one per column, possibly correlated with an enclosing row) or as a *predicate*
(an SQL boolean over the placeholder columns ``__p.c0 … __p.cn``; boolean CALCULATE filters and the filters
of context transition). Filters combine by intersection. The structure of a context (which columns are
filtered) is known when the SQL is built; only the values are decided when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlglot import exp

from generator.engine.model import EngineRelationship
from generator.engine.relations import ColumnKey
from generator.engine.sqltree import aliased, owned

PLACEHOLDER = "__p"


def placeholder(index: int) -> exp.Column:
    """The placeholder column ``__p.c<index>`` a predicate filter is written over."""
    return exp.column(f"c{index}", table=PLACEHOLDER)


@dataclass(frozen=True)
class Filter:
    """Restricts ``columns`` to the tuples of ``relation`` or those satisfying ``predicate``.

    For a predicate filter ``table`` names the one model table its columns belong to (the filter's values
    are ``FILTER(ALL(columns), predicate)``).
    """

    columns: tuple[ColumnKey, ...]
    relation: exp.Query | None = None
    predicate: exp.Expression | None = None
    table: str | None = None
    grouped: bool = False  # a SUMMARIZECOLUMNS group-by value (what ISINSCOPE looks for)

    def substitute(self, values: list[exp.Expression]) -> exp.Expression:
        """The predicate with ``__p.c<i>`` replaced by ``values[i]``."""
        assert self.predicate is not None

        def replace(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and node.table == PLACEHOLDER:
                return values[int(node.name[1:])].copy()
            return node

        return self.predicate.copy().transform(replace)


def equals_filter(key: ColumnKey, value: exp.Expression, table: str, grouped: bool = False) -> Filter:
    """The filter ``key`` = ``value`` (BLANK matches BLANK), as context transition and group rows make it."""
    return Filter((key,), predicate=exp.NullSafeEQ(this=placeholder(0), expression=value), table=table,
                  grouped=grouped)


Materialize = Callable[[Filter], exp.Query]


def _lower(key: ColumnKey) -> ColumnKey:
    return key[0].lower(), key[1].lower()


@dataclass(frozen=True)
class FilterContext:
    """The filters in effect (intersected) and the relationships USERELATIONSHIP activated or CROSSFILTER changed.

    ``shadow`` holds the filters of the last shadow filter context (what ALLSELECTED restores): the context
    SUMMARIZECOLUMNS was in when it started iterating its groups; None outside SUMMARIZECOLUMNS.
    ``shadow_lost`` is set once an iterator's row became filters (context transition): DAX's iterators leave
    shadow filter contexts of their own, which the engine does not track (:mod:`generator.engine.selected`).
    """

    filters: tuple[Filter, ...] = ()
    activated: tuple[EngineRelationship, ...] = ()
    shadow: tuple[Filter, ...] | None = None
    shadow_lost: bool = False

    def is_filtered(self, key: ColumnKey) -> bool:
        """True when a filter restricts column ``key`` directly."""
        wanted = _lower(key)
        return any(wanted in {_lower(c) for c in f.columns} for f in self.filters)

    def is_grouped(self, key: ColumnKey) -> bool:
        """True when SUMMARIZECOLUMNS groups by column ``key`` in this context (ISINSCOPE)."""
        wanted = _lower(key)
        return any(f.grouped and wanted in {_lower(c) for c in f.columns} for f in self.filters)

    def add(self, new: Filter) -> FilterContext:
        """This context with ``new`` intersected in."""
        return replace(self, filters=(*self.filters, new))

    def activate(self, relationship: EngineRelationship) -> FilterContext:
        """This context with ``relationship`` in effect in place of the relationships between its two tables
        (USERELATIONSHIP; CROSSFILTER's copy with another direction)."""
        return replace(self, activated=(*self.activated, relationship))

    def remove(self, keys: set[ColumnKey], materialize: Materialize) -> FilterContext:
        """This context without the filters on ``keys``.

        A filter over other columns too keeps its restriction on those: it is projected onto them.
        """
        removed = {_lower(k) for k in keys}
        kept: list[Filter] = []
        for current in self.filters:
            positions = [i for i, c in enumerate(current.columns) if _lower(c) not in removed]
            if len(positions) == len(current.columns):
                kept.append(current)
            elif positions:
                relation = current.relation if current.relation is not None else materialize(current)
                source = exp.Subquery(this=owned(relation), alias=exp.TableAlias(this=exp.to_identifier("__proj")))
                projected = exp.select(
                    *[aliased(exp.column(f"c{i}", table="__proj"), f"c{n}") for n, i in enumerate(
                        positions)], copy=False
                ).from_(source, copy=False).distinct(copy=False)
                kept.append(Filter(tuple(current.columns[i] for i in positions), relation=projected))
        return replace(self, filters=tuple(kept))

    def remove_tables(self, tables: set[str], materialize: Materialize) -> FilterContext:
        """This context without any filter on a column of ``tables`` (names compared case-insensitively)."""
        lowered = {t.lower() for t in tables}
        keys = {c for f in self.filters for c in f.columns if c[0].lower() in lowered}
        return self.remove(keys, materialize)

    def cleared(self) -> FilterContext:
        """This context without any filter (ALL() / REMOVEFILTERS()); relationships and shadow stay."""
        return replace(self, filters=())

    def with_shadow(self) -> FilterContext:
        """This context as the shadow filter context of what is evaluated inside it (SUMMARIZECOLUMNS)."""
        return replace(self, shadow=self.filters, shadow_lost=False)

    def iterated(self) -> FilterContext:
        """This context after context transition from an iterator's row (its shadow is not tracked)."""
        return replace(self, shadow_lost=True)
