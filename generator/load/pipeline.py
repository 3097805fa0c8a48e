"""One load: extract → stage → transform → merge → watermarks, in one transaction.

The work tables are created (and committed) first, because MariaDB commits DDL implicitly; from then on every
statement of the load runs in one transaction: clearing and filling the STG_ tables, the merges into the BI_
tables, the new watermarks and the dataset marker. Any exception rolls all of it back, so the BI_ tables and
watermarks stay as they were and the next run starts from the same watermarks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator.errors import DataError, ToolError
from generator.load.dates import merge_dates
from generator.load.merge import MergeCounts, Merger, q
from generator.load.orphans import reject_orphans
from generator.load.plan import PLANS, family, reload_hint
from generator.load.plausible import DEFAULT_WINDOW, DateWindow
from generator.load.rejects import RejectLog
from generator.load.report import LoadProgress, Summary, SummaryRow
from generator.load.staging import KeySet, typed_frame
from generator.load.watermarks import read_watermarks, write_watermarks
from generator.load.worktables import ensure_work_tables
from generator.sources.base import Extractor
from generator.spec.model import Model
from generator.targets.database import Database
from generator.targets.schema import read_schema_info, set_dataset

LOADED_DATASET = "loaded"
DUCKDB_MEMORY_LIMIT = "512MB"
STAGE_BATCH_ROWS = 50_000  # rows gathered from small pages before one bulk insert


def checkpoint(phase: str) -> None:
    """A named point inside the load's transaction, before the commit: ``staged`` (every entity staged),
    ``merged:<BI table>`` (that table merged), ``watermarks`` (new watermarks written). Does nothing; the crash and
    lock tests replace it to fail or pause a load there (tests/load_faults.py)."""


class StrictRejection(ToolError):
    """--strict and at least one row was rejected: the load was rolled back."""


@dataclass
class LoadOptions:
    """How to load: ``strict`` makes any rejected row fatal; ``full`` ignores stored watermarks; rows with dates
    outside ``dates`` are rejected."""

    spec_dir: Path
    rejects_path: Path
    strict: bool = False
    full: bool = False
    dates: DateWindow = DEFAULT_WINDOW


class _Buffer:
    """Pages of one STG_ table gathered into bulk inserts."""

    def __init__(self, db: Database, table: str):
        self.db, self.table, self.frames, self.rows = db, table, [], 0

    def add(self, frame) -> None:
        if len(frame):
            self.frames.append(frame)
            self.rows += len(frame)
        if self.rows >= STAGE_BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.frames:
            return
        import pandas as pd

        frame = self.frames[0] if len(self.frames) == 1 else pd.concat(self.frames, ignore_index=True)
        self.db.insert_frame(self.table, frame)
        self.frames, self.rows = [], 0


def refuse_demo(db: Database, model: Model) -> None:
    info = read_schema_info(db)
    dataset = info[2] if info else None
    if dataset and str(dataset).startswith("demo ") and any(db.count_rows(t.name) for t in model.semantic_tables):
        raise DataError(f"{db.description} holds the demo dataset ({dataset}); load into another --db "
                        "so that demo rows and your own data do not mix")


def run_load(db: Database, model: Model, extractor: Extractor, options: LoadOptions,
             progress: LoadProgress, target: str) -> Summary:
    """Load one source into ``db``; return the summary (raises ToolError, after rolling back, on failure)."""
    started = time.perf_counter()
    source = extractor.source
    plan = PLANS[family(source)]
    summary = Summary(source=source, target=target)
    rejects = RejectLog(options.rejects_path)
    ensure_work_tables(db, model, [*plan.merges])
    refuse_demo(db, model)
    merger = Merger(db, options.spec_dir)
    if db.dialect == "duckdb":  # bounded memory whatever the load's size: DuckDB spills to disk beyond this
        db.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    stored = read_watermarks(merger, source)
    since = {} if options.full else stored
    marks: dict[str, datetime] = {}
    try:
        with db.transaction():
            for table in plan.staging:
                merger.run(f"DELETE FROM {q(table)}")
            for entity in extractor.entities():
                summary.rows.append(_stage_entity(db, model, extractor, entity, since.get(entity), source,
                                                  progress, rejects, marks, options.dates))
            checkpoint("staged")
            if options.strict and rejects.count:
                raise StrictRejection(f"--strict: {rejects.count:,} rows rejected, nothing written "
                                      f"(full list: {options.rejects_path})")
            merges: list[MergeCounts] = []
            for name in plan.merges:
                progress.phase(f"merging {name}")
                counts = merger.merge(model.table(name))
                if counts.rejected:
                    for batch in merger.rejections(model.table(name)):
                        rejects.add(batch)
                merges.append(counts)
                checkpoint(f"merged:{name}")
            for rule in plan.orphans:
                rejects.add(reject_orphans(merger, model, rule, next(c for c in merges if c.table == rule.child)))
            merges.append(merge_dates(merger, model))
            if options.strict and rejects.count:
                raise StrictRejection(f"--strict: {rejects.count:,} rows could not be loaded, nothing written "
                                      f"(full list: {options.rejects_path})")
            for note in plan.notes:
                number = merger.count(note.sql)
                if number:
                    summary.notes.append(note.text.format(n=f"{number:,}", reload=reload_hint(source)))
            written = write_watermarks(merger, source, marks, stored)
            summary.watermarks = {entity: marks[entity].isoformat(sep=" ") for entity in written}
            checkpoint("watermarks")
            info = read_schema_info(db)
            if info is None or info[2] != LOADED_DATASET:
                set_dataset(db, LOADED_DATASET)
    except ToolError:
        summary.committed = False
        rejects.close()
        raise
    except Exception as error:  # a database error (constraint, lost connection …) or a failing extractor
        summary.committed = False
        rejects.close()
        detail = " ".join(str(error).split()) or type(error).__name__
        raise ToolError(f"the load of {source} failed and was rolled back (the BI_ tables and watermarks are "
                        f"unchanged): {detail[:300]}") from error
    except BaseException:
        summary.committed = False
        rejects.close()
        raise
    summary.rows.extend(SummaryRow(c.table, inserted=c.inserted, updated=c.updated, deleted=c.deleted,
                                   rejected=c.rejected) for c in merges)
    summary.rejected = rejects.count
    summary.first_rejections = rejects.first
    summary.rejects_file = rejects.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _stage_entity(db: Database, model: Model, extractor: Extractor, entity: str, since: datetime | None,
                  source: str, progress: LoadProgress, rejects: RejectLog, marks: dict[str, datetime],
                  dates: DateWindow) -> SummaryRow:
    row = SummaryRow(entity, read=0)
    progress.entity(entity, extractor.total_hint(entity))
    buffers: dict[str, _Buffer] = {}
    keys: dict[str, KeySet] = {}
    for page in extractor.extract(entity, since):
        try:
            table = model.table(page.table)
        except KeyError:
            raise ToolError(f"the {source} extractor gave rows for unknown table {page.table}") from None
        if table.role != "staging":
            raise ToolError(f"the {source} extractor gave rows for {page.table}, which is not a STG_ table")
        if page.table not in keys:
            integer = len(table.key) == 1 and table.column(table.key[0]).data_type == "int64"
            keys[page.table] = KeySet(integer)
            buffers[page.table] = _Buffer(db, page.table)
        staged = typed_frame(page, table, source, keys[page.table], dates)
        page_rejected = [*page.rejected, *staged.rejected]
        rejects.add(page_rejected)
        buffers[page.table].add(staged.frame)
        row.read = (row.read or 0) + page.row_count + len(page.rejected)
        row.rejected += len(page_rejected)
        row.duplicates += staged.duplicates
        if page.watermark is not None and (entity not in marks or page.watermark > marks[entity]):
            marks[entity] = page.watermark
        progress.advance(entity, page.row_count + len(page.rejected))
    for buffer in buffers.values():
        buffer.flush()
    progress.done(entity)
    return row
