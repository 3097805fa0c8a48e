"""The weekly view: Happy % by week (Monday to Sunday) and its change on the week before.

Both are catalogue measures evaluated by the engine per ``BI_Date[week_start]``: ``CSAT - Happy %`` and
``CSAT - Happy % WoW Change`` (against the whole week before, also when the last week is cut short by the end
of the data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.engine.run import Engine
from generator.report.data import (
    HAPPY,
    TOTAL,
    UNHAPPY,
    as_day,
    as_float,
    as_int,
    dates_between,
    dax_columns,
    last_day,
    query_rows,
    ref,
)
from generator.report.period import Period

WOW = "CSAT - Happy % WoW Change"
WEEKS = 8


@dataclass(frozen=True)
class WeekRow:
    """One week; ``end`` is its Sunday, or the report's last day when the week is cut short."""

    start: dt.date
    end: dt.date
    responses: int | None
    happy: float | None
    unhappy: float | None
    wow_change: float | None

    @property
    def partial(self) -> bool:
        """The week is cut short by the end of the period or of the data."""
        return (self.end - self.start).days < 6


def weeks(engine: Engine, period: Period, latest: dt.date | None, count: int = WEEKS) -> list[WeekRow]:
    """The ``count`` weeks up to the report's last day, oldest first (weeks without reviews have None values)."""
    end = last_day(period, latest)
    last_monday = end - dt.timedelta(days=end.weekday())
    mondays = [last_monday - dt.timedelta(weeks=back) for back in range(count - 1, -1, -1)]
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(HAPPY)), ("Unhappy", ref(UNHAPPY)), ("WoW", ref(WOW))]
    text = (f"EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( BI_Date[week_start], {dax_columns(pairs)} ), "
            f"{dates_between(mondays[0], end)} )")
    found = {as_day(row["BI_Date[week_start]"]): row for row in query_rows(engine, text)}
    result = []
    for monday in mondays:
        row = found.get(monday, {})
        result.append(WeekRow(monday, min(monday + dt.timedelta(days=6), end), as_int(row.get("[Responses]")),
                              as_float(row.get("[Happy]")), as_float(row.get("[Unhappy]")),
                              as_float(row.get("[WoW]"))))
    return result
