"""ETL_Watermarks: the newest source change time loaded per (source, entity).

They are written inside the load's transaction, so they become visible only when the merge commits; a row is
rewritten only when its watermark moves, so a load that changes nothing writes nothing.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from generator.load.merge import Merger, q

TABLE = "ETL_Watermarks"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _stamp(value: datetime) -> str:
    return f"CAST({_literal(pd.Timestamp(value).strftime('%Y-%m-%d %H:%M:%S.%f'))} AS TIMESTAMP)"


def read_watermarks(merger: Merger, source: str) -> dict[str, datetime]:
    """Stored watermark per entity of ``source`` (entities without one are absent)."""
    rows = merger.run(f"SELECT {q('entity')}, {q('watermark')} FROM {q(TABLE)} WHERE {q('source')} = "
                      f"{_literal(source)}")
    return {str(entity): pd.Timestamp(mark).to_pydatetime() for entity, mark in rows if mark is not None}


def write_watermarks(merger: Merger, source: str, marks: dict[str, datetime],
                     stored: dict[str, datetime]) -> list[str]:
    """Store the watermarks that moved forward; return the entities written."""
    written = []
    for entity, mark in sorted(marks.items()):
        old = stored.get(entity)
        if old is not None and pd.Timestamp(old) >= pd.Timestamp(mark):
            continue
        where = f"{q('source')} = {_literal(source)} AND {q('entity')} = {_literal(entity)}"
        merger.run(f"DELETE FROM {q(TABLE)} WHERE {where}")
        merger.run(f"INSERT INTO {q(TABLE)} ({q('source')}, {q('entity')}, {q('watermark')}, {q('updated_at')}) "
                   f"VALUES ({_literal(source)}, {_literal(entity)}, {_stamp(mark)}, CURRENT_TIMESTAMP)")
        written.append(entity)
    return written
