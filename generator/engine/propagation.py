"""Filters that cross a relationship by key membership: bidirectional and many-to-many relationships.

DAX filters a table through its *expanded* table (:mod:`generator.engine.scan`): following *regular*
relationships (many-to-one, one-to-one) from the many side to the one side. Two kinds of relationship also
carry filters the other way, by the values of their key columns instead of by table expansion:

* **Bidirectional** (``crossFilteringBehavior: bothDirections``, ``CROSSFILTER(…, BOTH)``): the one side is
  filtered by the many side too — Microsoft's *Model relationships* page: "filters on either side filter the
  other side". The one side keeps the rows whose key appears among the many side's rows that pass the filters
  reaching the many side (its own columns, its expanded table, and further crossings). Filters on the one side
  itself do not bounce back through the many side: the many side counts as filtered only by filters that reach
  it some other way, so a filter on ``Product`` alone never hides products without sales.
* **Many-to-many cardinality** (both key columns non-unique): a *limited* relationship. It does not expand
  tables (no ``RELATED`` across it, no blank row for keys without a match), and filters travel only by key
  membership: with single direction the ``to`` table filters the ``from`` table (TOM's ``OneDirection``: "the
  rows selected in the To end filter the From end"), with both directions each filters the other. A row whose
  key has no match on a filtered side is filtered out; BLANK keys match nothing.

Chains work as Power BI's do (``Sales → Product ← Returns``, ``Product`` bidirectional to ``Returns``: a filter
on ``Returns``' own dimension reaches ``Sales`` through ``Product``). A filter that could reach a table along
two different routes is what Power BI calls an ambiguous path, and Power BI refuses the model that has one;
here it is refused when a query needs the filter to cross, naming the two tables — a query that never crosses
a bidirectional or many-to-many relationship reads exactly the tables it read before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from generator.engine.errors import Unsupported
from generator.engine.model import EngineRelationship

if TYPE_CHECKING:
    from generator.engine.scan import TableScan

#: cross_filter values: "single" (to filters from), "both", "reverse" (from filters to: CROSSFILTER on a
#: many-to-many relationship), "none" (CROSSFILTER(…, NONE): no filter crosses)
EXPANDING = frozenset({"single", "both"})


def expands(relationship: EngineRelationship) -> bool:
    """True when ``relationship`` makes its ``to`` table part of its ``from`` table's expanded table (a regular
    relationship whose one side filters its many side)."""
    return relationship.cardinality != "many_to_many" and relationship.cross_filter in EXPANDING


@dataclass(frozen=True)
class Crossing:
    """Filters on ``source`` restrict ``target`` to the key values the filtered ``source`` rows hold."""

    relationship: EngineRelationship
    target: tuple[str, str]
    source: tuple[str, str]


def crossings(relationships: list[EngineRelationship]) -> list[Crossing]:
    """The key-membership crossings the relationships in effect allow, in model order."""
    found: list[Crossing] = []
    for relationship in relationships:
        many = (relationship.from_table, relationship.from_column)
        one = (relationship.to_table, relationship.to_column)
        direction = relationship.cross_filter
        if relationship.cardinality == "many_to_many":
            if direction in ("single", "both"):
                found.append(Crossing(relationship, many, one))
            if direction in ("both", "reverse"):
                found.append(Crossing(relationship, one, many))
        elif direction == "both":
            found.append(Crossing(relationship, one, many))
    return found


def _key(scan: TableScan, alias: str, table: str, column: str) -> exp.Expression:
    """A key column as stored, for matching (the engine's joins compare keys the same way)."""
    return scan._raw(alias, table, column)


def _other_sides(scan: TableScan) -> Iterator[tuple[Crossing, TableScan]]:
    """Each crossing into ``scan``'s expanded table, with the scan of its other side: filtered by what reaches it
    without coming back through this relationship or through a table ``scan`` already reads."""
    from generator.engine.scan import TableScan

    for crossing in crossings(scan.relationships):
        if crossing.relationship in scan.blocked or crossing.target[0].lower() not in scan.paths:
            continue
        source_table = crossing.source[0].lower()
        if source_table in scan.paths or source_table in scan.visited:
            continue  # a table the scan reads: its filters are applied to it already
        source = scan.model.table(crossing.source[0])
        assert source is not None
        yield (
            crossing,
            TableScan(
                scan.model,
                source,
                scan.context,
                scan.fresh,
                scan.materialize,
                sources=scan.sources,
                blocked=scan.blocked | {crossing.relationship},
                visited=scan.visited | frozenset(scan.paths),
            ),
        )


def cross_conditions(scan: TableScan) -> list[exp.Expression]:
    """One condition per crossing a filter of ``scan``'s context needs to reach ``scan``'s table.

    A crossing into a table of the expanded table restricts that table's key to the keys of the other side's
    rows under the filters that reach the other side (:func:`_other_sides`; those on ``scan``'s own tables are
    applied to them directly). Raises :class:`Unsupported` for an ambiguous path: a filtered table reaching the
    scan along two routes.
    """
    conditions: list[exp.Expression] = []
    routes: dict[str, str] = {name: "its relationships" for name in scan.paths}
    for crossing, inner in _other_sides(scan):
        key = _key(inner, inner.alias, *crossing.source)
        query = inner.select(exp.alias_(key, "k", copy=True))
        if query.args.get("where") is None:
            continue  # no filter reaches the other side: nothing crosses
        for reached in reached_tables(inner):
            if reached in routes:
                first = scan.model.table(reached)
                raise Unsupported(
                    f"ambiguous filter path from '{first.name if first else reached}' to '{scan.table.name}'",
                    reason=f"its filters reach '{scan.table.name}' through {routes[reached]} and through "
                    f"{crossing.relationship.name}; Power BI refuses such a model",
                )
            routes[reached] = crossing.relationship.name
        target = _key(scan, scan._join(crossing.target[0]), *crossing.target)
        condition: exp.Expression = target.isin(query=query)
        if crossing.relationship.cardinality != "many_to_many":
            condition = exp.or_(condition, _blank_row(scan, crossing, target, query, key), copy=False)
        conditions.append(condition)
    return conditions


def _blank_row(
    scan: TableScan, crossing: Crossing, target: exp.Expression, keys: exp.Select, key: exp.Expression
) -> exp.Expression:
    """The one side's blank row (and, through a join, the rows that see it) passes a bidirectional filter when
    some many-side row that passes it (``keys``, selecting ``key``) has no match on the one side (a BLANK or
    unmatched key), as those rows belong to the blank row. Written without a derived table, which MariaDB needs
    when the filters refer to an enclosing row."""
    one = scan.model.table(crossing.target[0])
    assert one is not None
    alias = scan.fresh("b")
    match = exp.select(exp.Literal.number(1), copy=False).from_(scan._table_source(one, alias), copy=False)
    match = match.where(exp.EQ(this=_key(scan, alias, *crossing.target), expression=key.copy()), copy=False)
    orphan = keys.copy().select(exp.Literal.number(1), append=False, copy=False)
    orphan = orphan.where(exp.Not(this=exp.Exists(this=match)), copy=False)
    return exp.and_(exp.Is(this=target.copy(), expression=exp.Null()), exp.Exists(this=orphan), copy=False)


def reached_tables(scan: TableScan) -> frozenset[str]:
    """The tables (lower-cased names) whose filters can reach ``scan``'s table: its expanded table and, through
    crossings, the tables that filter the other sides (ISCROSSFILTERED)."""
    reached = set(scan.paths)
    for _, inner in _other_sides(scan):
        reached |= reached_tables(inner)
    return frozenset(reached)
