"""Which tables and columns the generated measures use that the target model of a merge does not have.

A measure merged into a model that lacks a table or column it refers to would not load in Power BI (and
``check --into`` would call the model current), so ``build --into`` refuses such a merge. With
``with_tables`` the generated ``BI_`` tables are merged too, so their tables and columns count as present.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.dax.parser import parse_expression
from generator.dax.references import find_references
from generator.powerbi.semantic import GENERATED_ANNOTATION
from generator.tmdl.tree import Model, Node

#: How many measures a problem names before it says "and N more".
SHOWN_MEASURES = 1


@dataclass
class _Uses:
    """Folded name → the name as written first, and the measures that use it (in the generated order)."""

    shown: dict[str, str] = field(default_factory=dict)
    measures: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, measure: str) -> None:
        folded = name.lower()
        self.shown.setdefault(folded, name)
        users = self.measures.setdefault(folded, [])
        if measure not in users:
            users.append(measure)

    def describe(self, folded: str) -> str:
        users = self.measures[folded]
        more = len(users) - SHOWN_MEASURES
        return (f"{self.shown[folded]} (measure {users[0]!r}"
                + (f" and {more} more" if more > 0 else "") + ")")


def _by_name(nodes: list[Node]) -> dict[str, Node]:
    return {node.name.lower(): node for node in nodes if node.name}


def _columns(table: Node | None) -> set[str]:
    return {column.name.lower() for column in table.objects("column") if column.name} if table else set()


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def missing_references(target: Model, ours: Model, with_tables: bool, reported: set[str]) -> list[str]:
    """One sentence per problem: the tables the generated measures of ``ours`` use that ``target`` lacks (saying
    which ones ``--with-tables`` would add), and per table the columns it lacks. Tables in ``reported``
    (missing home tables, already reported) are left out."""
    target_tables, our_tables = _by_name(target.tables), _by_name(ours.tables)
    tables = _Uses()
    columns: dict[str, _Uses] = {}  # target table name → its missing columns
    for home in ours.tables:
        for measure in home.objects("measure"):
            if not measure.name or not measure.expression:
                continue
            refs = find_references(parse_expression(measure.expression))
            for name in sorted(refs.tables | {table for table, _ in refs.columns}):
                if name.lower() not in target_tables and not (with_tables and name.lower() in our_tables):
                    tables.add(name, measure.name)
            for table, column in sorted(refs.columns):
                found = target_tables.get(table.lower())
                if found is None:
                    continue
                present = _columns(found)
                if with_tables and GENERATED_ANNOTATION in found.annotations:
                    present |= _columns(our_tables.get(table.lower()))
                if column.lower() not in present:
                    columns.setdefault(found.name, _Uses()).add(column, measure.name)
    problems = []
    already = {name.lower() for name in reported}
    missing = [folded for folded in tables.shown if folded not in already]
    if missing:
        addable = [tables.shown[folded] for folded in missing if folded in our_tables]
        other = [tables.shown[folded] for folded in missing if folded not in our_tables]
        advice = []
        if addable:
            advice.append(f"--with-tables would add {_names(addable)}")
        if other:
            advice.append(f"no generated table provides {_names(other)}")
        problems.append("the generated measures use tables the model does not have: "
                        + ", ".join(tables.describe(folded) for folded in missing) + "; " + "; ".join(advice))
    for table, uses in sorted(columns.items()):
        generated = GENERATED_ANNOTATION in target_tables[table.lower()].annotations
        ours_has = _columns(our_tables.get(table.lower()))
        if generated and not with_tables and all(folded in ours_has for folded in uses.shown):
            advice = "--with-tables would add them"
        else:
            advice = f"add them to table {table!r}" + ("" if generated else " (it is not a generated table, so "
                                                                           "--with-tables does not replace it)")
        problems.append(f"table {table!r} of the model lacks columns the generated measures use: "
                        + ", ".join(uses.describe(folded) for folded in uses.shown) + f"; {advice}")
    return problems
