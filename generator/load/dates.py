"""BI_Date after a load: whole calendar years covering every fact date, extended, never shrunk."""

from __future__ import annotations

from datetime import date

import pandas as pd

from generator.calendar import date_table
from generator.load.merge import MergeCounts, Merger, q
from generator.spec.model import Model


def _day(value: object) -> date | None:
    if value is None:
        return None
    return pd.Timestamp(value).date()


def merge_dates(merger: Merger, model: Model) -> MergeCounts:
    """Insert the days missing from the date table for the years the facts now span."""
    table = model.date_table
    (key,) = table.key
    counts = MergeCounts(table.name)
    lows, highs = [], []
    for rel in model.relationships:
        if rel.to_table != table.name:
            continue
        column = q(rel.from_column)
        low, high = merger.run(f"SELECT MIN({column}), MAX({column}) FROM {q(rel.from_table)}")[0]
        if low is not None:
            lows.append(_day(low))
            highs.append(_day(high))
    if not lows:
        return counts
    start, end = date(min(lows).year, 1, 1), date(max(highs).year, 12, 31)
    existing = merger.count(f"SELECT COUNT(*) FROM {q(table.name)}")
    frame = date_table(start, end)
    if int(existing):
        known = merger.run(f"SELECT {q(key)} FROM {q(table.name)} WHERE {q(key)} >= "
                           f"CAST('{start.isoformat()}' AS DATE) AND {q(key)} <= CAST('{end.isoformat()}' AS DATE)")
        present = {_day(row[0]) for row in known}
        frame = frame[~frame[key].dt.date.isin(present)]
    counts.inserted = merger.db.insert_frame(table.name, frame[table.column_names]) if len(frame) else 0
    counts.unchanged = int(existing)
    return counts
