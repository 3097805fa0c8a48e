"""The risk section's portfolio statements, computed from the period's data.

* **Bottom 20 % gap** — the clients in the lowest fifth of the ranking (rounded up), together: their
  ``CSAT - Happy %`` (the measure evaluated with the company filter on those clients) minus the portfolio's,
  in points, computed by the engine.
* **Top 30 % stability** — the highest 30 % (rounded up): their Happy % together over the earlier and the
  recent half of the trend window and the change, by the engine; and how many of them are *stable*.
* **Moderate risk, declining** — Moderate-tier clients whose trend is negative.
* **60-day projection** — a straight line through each declining client's two half-window Happy % values
  (placed at the middle day of each half) carried to 60 days after the report's last day; a client whose line
  ends under the High-risk floor (target minus ``high_risk_gap_points``) is projected to cross into High risk.
  This is arithmetic on two engine values, not a forecast, and the page labels it so.

Only clients with enough responses and an adequate response rate take part: a low-confidence client gets no
tier, trend or projection.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from generator.engine.run import Engine
from generator.report.data import (
    HAPPY,
    ClientRow,
    ReportData,
    as_float,
    dates_between,
    dax_columns,
    last_day,
    query_rows,
    ref,
)
from generator.report.risk import ranked_clients, trend_label

BOTTOM_SHARE = 0.20
TOP_SHARE = 0.30
PROJECTION_DAYS = 60


@dataclass(frozen=True)
class Group:
    """A group of ranked clients, their Happy % together and (for the top group) over the two halves."""

    clients: tuple[ClientRow, ...]
    happy: float | None
    gap: float | None = None  # points against the portfolio
    earlier: float | None = None
    recent: float | None = None
    change: float | None = None  # points
    stable: int = 0


@dataclass(frozen=True)
class Projection:
    """A declining client's Happy % carried ``PROJECTION_DAYS`` days past the report's last day."""

    client: ClientRow
    per_30_days: float  # points
    projected: float  # fraction
    crosses_into_high: bool


@dataclass(frozen=True)
class Portfolio:
    """The statements of the risk section."""

    ranked: int
    bottom: Group | None
    top: Group | None
    declining_moderate: tuple[ClientRow, ...]
    projections: tuple[Projection, ...]
    horizon: dt.date | None
    high_floor: float


def _share(count: int, share: float) -> int:
    return max(1, math.ceil(count * share - 1e-9))


def _filter(clients: Sequence[ClientRow]) -> str:
    ids = ", ".join(str(c.company_id) for c in clients if c.company_id is not None)
    return f"TREATAS ( {{ {ids} }}, BI_Autotask_Companies[company_id] )"


def _groups(engine: Engine, data: ReportData, bottom: Sequence[ClientRow],
            top: Sequence[ClientRow]) -> tuple[Group, Group]:
    assert data.period is not None and data.trend_halves is not None
    earlier, recent = data.trend_halves
    in_period = dates_between(data.period.start, data.period.end)
    happy = ref(HAPPY)
    pairs = [("Bottom", f"CALCULATE ( {happy}, {_filter(bottom)} )"),
             ("BottomGap", f"( CALCULATE ( {happy}, {_filter(bottom)} ) - {happy} ) * 100"),
             ("Top", f"CALCULATE ( {happy}, {_filter(top)} )"),
             ("TopEarlier", f"CALCULATE ( {happy}, {_filter(top)}, {dates_between(*earlier)} )"),
             ("TopRecent", f"CALCULATE ( {happy}, {_filter(top)}, {dates_between(*recent)} )"),
             ("TopChange", f"( CALCULATE ( {happy}, {_filter(top)}, {dates_between(*recent)} ) - "
                           f"CALCULATE ( {happy}, {_filter(top)}, {dates_between(*earlier)} ) ) * 100")]
    row = query_rows(engine, f"EVALUATE CALCULATETABLE ( ROW ( {dax_columns(pairs)} ), {in_period} )")[0]
    stable = sum(1 for c in top if trend_label(c.trend, data.thresholds) == "stable")
    return (Group(tuple(bottom), as_float(row["[Bottom]"]), gap=as_float(row["[BottomGap]"])),
            Group(tuple(top), as_float(row["[Top]"]), earlier=as_float(row["[TopEarlier]"]),
                  recent=as_float(row["[TopRecent]"]), change=as_float(row["[TopChange]"]), stable=stable))


def _middle(days: tuple[dt.date, dt.date]) -> dt.date:
    return days[0] + (days[1] - days[0]) / 2


def project(client: ClientRow, halves: tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]], last: dt.date,
            high_floor: float) -> Projection | None:
    """The straight line through the client's earlier and recent Happy % (at the middle day of each half),
    ``PROJECTION_DAYS`` after ``last``; None without both values."""
    if client.recent_happy is None or client.earlier_happy is None:
        return None
    earlier_middle, recent_middle = _middle(halves[0]), _middle(halves[1])
    span = (recent_middle - earlier_middle).days
    if span <= 0:
        return None
    per_day = (client.recent_happy - client.earlier_happy) / span
    ahead = (last + dt.timedelta(days=PROJECTION_DAYS) - recent_middle).days
    projected = client.recent_happy + per_day * ahead
    return Projection(client, per_day * 30 * 100, projected, projected < high_floor)


def statements(engine: Engine, data: ReportData) -> Portfolio:
    """The portfolio statements of ``data`` (clients ranked as in the report; low-confidence clients left out)."""
    th = data.thresholds
    floor = th.target - th.high_gap_points / 100
    ranked = [c for c in ranked_clients(data.clients, th) if c.is_active]
    if data.period is None or data.trend_halves is None or len(ranked) < 2:
        return Portfolio(len(ranked), None, None, (), (), None, floor)
    bottom = ranked[-_share(len(ranked), BOTTOM_SHARE):]
    top = ranked[:_share(len(ranked), TOP_SHARE)]
    bottom_group, top_group = _groups(engine, data, bottom, top)
    declining = tuple(sorted((c for c in ranked if c.tier == "Moderate" and c.trend is not None and c.trend < 0),
                             key=lambda c: (c.trend or 0.0, c.name)))
    last = last_day(data.period, data.span.latest)
    projections = [project(c, data.trend_halves, last, floor) for c in ranked
                   if c.tier in ("Moderate", "Low") and c.trend is not None and c.trend < 0]
    shown = tuple(sorted((p for p in projections if p is not None), key=lambda p: (p.projected, p.client.name)))
    return Portfolio(len(ranked), bottom_group, top_group, declining, shown,
                     last + dt.timedelta(days=PROJECTION_DAYS), floor)
