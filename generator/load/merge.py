"""Merge one BI_ table from its transform: fill the work table, classify rows, apply only the changes.

For a BI_ table ``T`` with key ``k`` (all neutral SQL, transpiled per target):

1. ``WRK_T`` ← the transform's rows, each with ``merge_action``: ``R`` when a NOT NULL column of ``T`` would be
   blank (the row is reported, not loaded), ``I`` when ``k`` is not in ``T``, ``U`` when some column differs
   (NULL-safe), ``S`` when the row is the same;
2. rows selected by ``T.delete.sql`` are deleted from ``T``;
3. ``U`` rows are deleted from ``T`` and ``I``/``U`` rows inserted: rows that did not change are never touched.

Everything runs inside the caller's transaction: only DELETE and INSERT, no DDL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from generator.load.sqltext import output_columns, transform_select, transpile
from generator.load.worktables import ACTION, work_table_name
from generator.sources.base import Rejected
from generator.spec.model import Column, Table
from generator.sqlschema.ddl import FIXED_TYPES

REJECT_BATCH = 1000  # rejected rows fetched at a time for the rejects file (every one is listed)


@dataclass
class MergeCounts:
    """What merging one BI_ table did."""

    table: str
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: int = 0


def q(name: str) -> str:
    """A double-quoted identifier of the neutral SQL."""
    return '"' + name.replace('"', '""') + '"'


def _cast(expression: str, column: Column) -> str:
    kind = FIXED_TYPES.get(column.data_type)
    return f"CAST({expression} AS {kind})" if kind else expression


def _same(column: Column) -> str:
    t, b = _cast(f"t.{q(column.name)}", column), f"b.{q(column.name)}"
    return f"({t} = {b} OR ({t} IS NULL AND {b} IS NULL))"


def classify_sql(table: Table, select: exp.Expression) -> str:
    """Neutral INSERT … SELECT filling the work table from the transform with each row's merge action."""
    (key,) = table.key
    key_column = table.column(key)
    columns = table.columns
    required = [c for c in columns if not c.nullable]
    blank = " OR ".join(f"t.{q(c.name)} IS NULL" for c in required) or "1 = 0"
    same = " AND ".join(_same(c) for c in columns if c.name != key) or "1 = 1"
    targets = ", ".join(q(c.name) for c in columns) + ", " + q(ACTION)
    values = ", ".join(_cast(f"t.{q(c.name)}", c) for c in columns)
    action = (f"CASE WHEN {blank} THEN 'R' WHEN b.{q(key)} IS NULL THEN 'I' WHEN {same} THEN 'S' ELSE 'U' END")
    inner = select.sql(identify=True, comments=False)
    return (f"INSERT INTO {q(work_table_name(table.name))} ({targets}) SELECT {values}, {action} "
            f"FROM ({inner}) AS t LEFT JOIN {q(table.name)} AS b ON b.{q(key)} = {_cast(f't.{q(key)}', key_column)}")


class Merger:
    """Runs the merge statements of BI_ tables on one database, inside its current transaction."""

    def __init__(self, db, spec_dir: Path):
        self.db = db
        self.spec_dir = spec_dir

    def run(self, sql: str, origin: str = "merge") -> list[tuple]:
        """Transpile neutral SQL to the target's dialect and run it."""
        return self.db.execute(transpile(sql, self.db.dialect, origin))

    def count(self, sql: str) -> int:
        """Run a neutral ``SELECT COUNT(*) …`` and return the number."""
        return int(self.run(sql)[0][0])

    def merge(self, table: Table) -> MergeCounts:
        """Merge ``table`` from ``sql/transform/<table>.sql`` (and ``.delete.sql`` when present)."""
        select = transform_select(self.spec_dir, table.name)
        produced = output_columns(select)
        if sorted(produced) != sorted(table.column_names):
            missing = sorted(set(table.column_names) - set(produced))
            extra = sorted(set(produced) - set(table.column_names))
            from generator.errors import ToolError

            raise ToolError(f"sql/transform/{table.name}.sql does not produce the columns of {table.name} "
                            f"(missing {missing}, unknown {extra})")
        (key,) = table.key
        work = q(work_table_name(table.name))
        counts = MergeCounts(table.name)
        self.run(f"DELETE FROM {work}")
        self.run(classify_sql(table, select), f"sql/transform/{table.name}.sql")
        for action, number in self.run(f"SELECT {q(ACTION)}, COUNT(*) FROM {work} GROUP BY {q(ACTION)}"):
            number = int(number)
            if action == "I":
                counts.inserted = number
            elif action == "U":
                counts.updated = number
            elif action == "S":
                counts.unchanged = number
            elif action == "R":
                counts.rejected = number
        deleted = transform_select(self.spec_dir, table.name, ".delete.sql", required=False)
        if deleted is not None:
            chosen = f"SELECT d.{q(key)} FROM ({deleted.sql(identify=True, comments=False)}) AS d"
            counts.deleted = self.count(f"SELECT COUNT(*) FROM {q(table.name)} WHERE {q(key)} IN ({chosen})")
            if counts.deleted:
                self.run(f"DELETE FROM {q(table.name)} WHERE {q(key)} IN ({chosen})")
        if counts.updated:
            self.run(f"DELETE FROM {q(table.name)} WHERE {q(key)} IN "
                     f"(SELECT w.{q(key)} FROM {work} AS w WHERE w.{q(ACTION)} = 'U')")
        if counts.inserted or counts.updated:
            names = ", ".join(q(c) for c in table.column_names)
            self.run(f"INSERT INTO {q(table.name)} ({names}) SELECT {names} FROM {work} "
                     f"WHERE {q(ACTION)} IN ('I', 'U')")
        return counts

    def rejections(self, table: Table) -> Iterator[list[Rejected]]:
        """Every row the last :meth:`merge` of ``table`` rejected, in key order, a batch at a time."""
        (key,) = table.key
        required = [c.name for c in table.columns if not c.nullable]
        listed = ", ".join(q(c) for c in [key, *required])
        after = ""
        while True:
            rows = self.run(f"SELECT {listed} FROM {q(work_table_name(table.name))} WHERE {q(ACTION)} = 'R'{after} "
                            f"ORDER BY {q(key)} LIMIT {REJECT_BATCH}")
            result = []
            for row in rows:
                blanks = [name for name, value in zip(required, row[1:], strict=True) if value is None]
                hint = BLANK_HINTS.get((table.name, blanks[0]), "") if blanks else ""
                result.append(Rejected(f"{table.name} {key}={row[0]}", None,
                                       f"{', '.join(blanks)} would be blank (NOT NULL){hint}"))
            if result:
                yield result
            if len(rows) < REJECT_BATCH:
                return
            after = f" AND {q(key)} > {_literal(rows[-1][0])}"


def _literal(value: object) -> str:
    """A key value as a SQL literal (keys are integers or text)."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


# Why a NOT NULL column ends up blank, for the rejection reasons users read.
BLANK_HINTS: dict[tuple[str, str], str] = {
    ("BI_SmileBack_Reviews", "company_id"): ": the review matches no Autotask ticket (by id or number) and its "
                                            "company remote id is no Autotask company",
    ("BI_SmileBack_NPS", "company_id"): ": the response's company remote id is no Autotask company",
    ("BI_Autotask_Tickets", "status"): ": the ticket has no status",
    ("BI_Autotask_Tickets", "company_id"): ": the ticket has no company",
    ("BI_Autotask_Tickets", "created_at"): ": the ticket has no create date",
    ("BI_SmileBack_NPS", "score"): ": the response has no score",
    ("BI_Autotask_TimeEntries", "resource_id"): ": the time entry has no resource",
    ("BI_Autotask_TimeEntries", "date_worked"): ": the time entry has no date worked",
    ("BI_Autotask_TimeEntries", "hours_worked"): ": the time entry has no hours worked",
}
