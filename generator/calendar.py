"""The date table: one row per day with the attributes of ``BI_Date``."""

from __future__ import annotations

from datetime import date

import pandas as pd


def date_table(start: date, end: date) -> pd.DataFrame:
    """Rows for every day from ``start`` to ``end`` inclusive, columns as the ``BI_Date`` spec declares."""
    days = pd.date_range(start, end, freq="D")
    quarter = days.quarter
    return pd.DataFrame({
        "date": days,
        "year": days.year.astype("int64"),
        "quarter": quarter.astype("int64"),
        "year_quarter": [f"{y} Q{q}" for y, q in zip(days.year, quarter, strict=True)],
        "quarter_start": days.to_period("Q").start_time,
        "month_number": days.month.astype("int64"),
        "month_start": days.to_period("M").start_time,
        "month_name": days.month_name(),
        "year_month": days.strftime("%Y-%m"),
        "week_start": days - pd.to_timedelta(days.day_of_week, unit="D"),
    })
