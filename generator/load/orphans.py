"""Rows a load would leave pointing at nothing: time entries whose ticket is not in BI_Autotask_Tickets.

A ticket rejected in the same load (a bad value, an implausible date …) or missing from the export would leave its
time entries loaded without it. After the merges, each rule of the family's plan finds the rows of its child
table this load inserted or updated whose parent key is in no row of the parent table, lists them as rejected with
the parent they name, and deletes them — inside the load's transaction, so the counts and tables stay consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.load.merge import MergeCounts, Merger, q
from generator.load.worktables import ACTION, work_table_name
from generator.sources.base import Rejected
from generator.spec.model import Model


@dataclass(frozen=True)
class Orphan:
    """Rows of ``child`` (a BI_ table) whose ``column`` must name a row of ``parent``."""

    child: str
    column: str
    parent: str
    what: str  # the parent in words: "ticket"


def reject_orphans(merger: Merger, model: Model, rule: Orphan, counts: MergeCounts) -> list[Rejected]:
    """Delete the orphans this load brought into ``rule.child``; return them as rejections (counts adjusted)."""
    (key,) = model.table(rule.child).key
    (parent_key,) = model.table(rule.parent).key
    work, column = q(work_table_name(rule.child)), q(rule.column)
    where = (f"w.{q(ACTION)} IN ('I', 'U') AND w.{column} IS NOT NULL AND NOT EXISTS "
             f"(SELECT 1 FROM {q(rule.parent)} AS p WHERE p.{q(parent_key)} = w.{column})")
    found = merger.run(f"SELECT w.{q(key)}, w.{column}, w.{q(ACTION)} FROM {work} AS w WHERE {where} "
                       f"ORDER BY w.{q(key)}")
    if not found:
        return []
    merger.run(f"DELETE FROM {q(rule.child)} WHERE {q(key)} IN (SELECT w.{q(key)} FROM {work} AS w WHERE {where})")
    counts.inserted -= sum(1 for row in found if row[2] == "I")
    counts.updated -= sum(1 for row in found if row[2] == "U")
    counts.rejected += len(found)
    return [Rejected(f"{rule.child} {key}={row[0]}", None,
                     f"its {rule.what} {row[1]} is not loaded (rejected in this load, or in no export), so it is "
                     f"left out") for row in found]
