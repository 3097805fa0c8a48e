"""Client measures over ``BI_Autotask_Companies``: churn against the period of the slice."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.reference.blanks import blank_divide
from generator.reference.context import Context, MeasureFunction
from generator.reference.frames import COMPANIES, DATES
from generator.reference.grid import COMPANY, MONTH


def _periods(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """First and last day of each period: one per month on a month slice, else the whole ``BI_Date`` range."""
    calendar = ctx.frames[DATES]
    if MONTH in ctx.grid.axes:
        days = calendar.groupby("month_start")["date"].agg(["min", "max"]).reindex(ctx.grid.members[MONTH])
        return days["min"].to_numpy("datetime64[ns]"), days["max"].to_numpy("datetime64[ns]")
    first, last = calendar["date"].min(), calendar["date"].max()
    return np.array([first], dtype="datetime64[ns]"), np.array([last], dtype="datetime64[ns]")


def _companies(ctx: Context) -> pd.DataFrame:
    """One row per company: every company, or one row per slice member (in member order) on client slices."""
    companies = ctx.frames[COMPANIES].dropna(subset=["company_id"]).drop_duplicates("company_id")
    if COMPANY in ctx.grid.axes:
        return companies.set_index("company_id").reindex(ctx.grid.members[COMPANY].astype("float64"))
    return companies


def churn_rate(ctx: Context) -> np.ndarray:
    """Clients - Churn Rate %: clients lost in the period ÷ clients active at its start.

    Lost: ``churned_on`` within the period's first..last day. Active at the start: ``client_since`` null or on
    or before the start, and ``churned_on`` null or on or after it. BLANK when no client is active at the start.
    """
    starts, ends = _periods(ctx)
    companies = _companies(ctx)
    since = companies["client_since"].to_numpy("datetime64[ns]")[:, None]
    churned = companies["churned_on"].to_numpy("datetime64[ns]")[:, None]
    start, end = starts[None, :], ends[None, :]
    has_start = ~np.isnat(start)
    active = (np.isnat(since) | (since <= start)) & (np.isnat(churned) | (churned >= start)) & has_start
    lost = ~np.isnat(churned) & (churned >= start) & (churned <= end)
    if COMPANY not in ctx.grid.axes:
        active = active.sum(axis=0, keepdims=True)
        lost = lost.sum(axis=0, keepdims=True)
    rate = blank_divide(lost.astype("float64"), active.astype("float64"))
    coordinates = ctx.grid.coordinates()
    company_rows = coordinates.get(COMPANY, np.zeros(ctx.grid.size, dtype="int64"))
    period_rows = coordinates.get(MONTH, np.zeros(ctx.grid.size, dtype="int64"))
    return rate[company_rows, period_rows]


MEASURES: dict[str, MeasureFunction] = {
    "Clients - Churn Rate %": churn_rate,
}
