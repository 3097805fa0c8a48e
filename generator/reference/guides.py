"""Measures from the CSAT guides over ``BI_SmileBack_Reviews``: time-to-CSAT, recovery, churned vs retained.

Each review is first given a per-row fact (hours from its ticket's completion to the rating, recovered or not,
rated in its client's last 90 days or not), computed on all the data; the slice then only selects the reviews.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.reference.blanks import blank_divide
from generator.reference.context import Context, MeasureFunction
from generator.reference.csat import HAPPY, REVIEW_ROUTE, UNHAPPY
from generator.reference.frames import COMPANIES, REVIEWS, TICKETS

RECOVERY_DAYS = 30
CHURN_WINDOW_DAYS = 90


def hours_to_rating(ctx: Context) -> np.ndarray:
    """Per review: hours from its ticket's ``completed_at`` to ``rated_at``; NaN without a completed ticket."""

    def compute() -> np.ndarray:
        reviews = ctx.frames[REVIEWS]
        tickets = ctx.frames[TICKETS]
        if "ticket_id" not in reviews.columns or not {"ticket_id", "completed_at"} <= set(tickets.columns):
            return np.full(len(reviews), np.nan)
        tickets = tickets.dropna(subset=["ticket_id"]).drop_duplicates("ticket_id")
        completed = reviews[["ticket_id"]].merge(tickets[["ticket_id", "completed_at"]], on="ticket_id",
                                                  how="left")["completed_at"]
        delay = reviews["rated_at"].to_numpy("datetime64[ns]") - completed.to_numpy("datetime64[ns]")
        return pd.to_timedelta(delay).total_seconds().to_numpy("float64") / 3600

    return ctx.memo("hours to rating", compute)


def median_hours_to_rating(ctx: Context) -> np.ndarray:
    """CSAT - Median Hours to Rating: median of the slice's review delays; BLANK when there are none."""
    hours = hours_to_rating(ctx)
    placement = ctx.grid.place(ctx.frames[REVIEWS], REVIEW_ROUTE)
    keep = (placement.codes >= 0) & ~np.isnan(hours)
    medians = pd.Series(hours[keep]).groupby(placement.codes[keep]).median()
    return medians.reindex(range(placement.size)).to_numpy("float64")[placement.spread]


def rated_within_24h(ctx: Context) -> np.ndarray:
    """CSAT - Rated Within 24h %: reviews rated within 24 h of completion ÷ reviews of completed tickets."""
    hours = hours_to_rating(ctx)
    placement = ctx.grid.place(ctx.frames[REVIEWS], REVIEW_ROUTE)
    with np.errstate(invalid="ignore"):
        within = hours <= 24
    return blank_divide(placement.count(within), placement.count(~np.isnan(hours)))


def recovered(ctx: Context) -> np.ndarray:
    """Per review: unhappy and followed within 30 days (after it, at most 30 days later) by a happy review of
    the same company."""

    def compute() -> np.ndarray:
        reviews = ctx.frames[REVIEWS]
        rated = pd.to_datetime(reviews["rated_at"]).to_numpy("datetime64[ns]")
        company = reviews["company_id"].to_numpy()
        rating = reviews["rating"].to_numpy()
        happy_at: dict[object, np.ndarray] = {
            key: np.sort(rated[(company == key) & (rating == HAPPY)]) for key in pd.unique(company)
        }
        result = np.zeros(len(reviews), dtype=bool)
        window = np.timedelta64(RECOVERY_DAYS, "D")
        for row in np.flatnonzero(rating == UNHAPPY):
            later = happy_at[company[row]]
            first = np.searchsorted(later, rated[row], side="right")
            result[row] = first < len(later) and later[first] <= rated[row] + window
        return result

    return ctx.memo("recovered", compute)


def recovery_rate(ctx: Context) -> np.ndarray:
    """CSAT - Client Recovery Rate %: recovered unhappy reviews ÷ unhappy reviews of the slice."""
    reviews = ctx.frames[REVIEWS]
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    return blank_divide(placement.count(recovered(ctx)), placement.count(reviews["rating"] == UNHAPPY))


def _churned_on(ctx: Context) -> pd.Series:
    """Per review: its company's ``churned_on`` (NaT while the company is a client)."""
    reviews = ctx.frames[REVIEWS]
    companies = ctx.frames[COMPANIES]
    if "churned_on" not in companies.columns:
        return pd.Series(pd.NaT, index=reviews.index, dtype="datetime64[ns]")
    companies = companies.dropna(subset=["company_id"]).drop_duplicates("company_id")
    merged = reviews[["company_id"]].merge(companies[["company_id", "churned_on"]], on="company_id", how="left")
    return pd.Series(merged["churned_on"].to_numpy("datetime64[ns]"), index=reviews.index)


def happy_churned(ctx: Context) -> np.ndarray:
    """CSAT - Happy % Churned Clients: Happy % of reviews rated in the 90 days before the company churned."""
    reviews = ctx.frames[REVIEWS]
    churned = _churned_on(ctx)
    rated = pd.to_datetime(reviews["rated_date"])
    window = (rated >= churned - pd.Timedelta(days=CHURN_WINDOW_DAYS)) & (rated < churned)
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    return blank_divide(placement.count(window & (reviews["rating"] == HAPPY)), placement.count(window))


def happy_retained(ctx: Context) -> np.ndarray:
    """CSAT - Happy % Retained Clients: Happy % of reviews from companies that have not churned."""
    reviews = ctx.frames[REVIEWS]
    retained = _churned_on(ctx).isna()
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    return blank_divide(placement.count(retained & (reviews["rating"] == HAPPY)), placement.count(retained))


def churned_vs_retained(ctx: Context) -> np.ndarray:
    """CSAT - Happy % Churned vs Retained: churned minus retained Happy %, in points; BLANK unless both are set."""
    return (ctx.measure("CSAT - Happy % Churned Clients") - ctx.measure("CSAT - Happy % Retained Clients")) * 100


MEASURES: dict[str, MeasureFunction] = {
    "CSAT - Median Hours to Rating": median_hours_to_rating,
    "CSAT - Rated Within 24h %": rated_within_24h,
    "CSAT - Client Recovery Rate %": recovery_rate,
    "CSAT - Happy % Churned Clients": happy_churned,
    "CSAT - Happy % Retained Clients": happy_retained,
    "CSAT - Happy % Churned vs Retained": churned_vs_retained,
}
