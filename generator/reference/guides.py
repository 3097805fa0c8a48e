"""Measures from the CSAT guides over ``BI_SmileBack_Reviews``: time-to-CSAT, recovery, survey fatigue, follow-up,
churned vs retained.

Each review is first given a per-row fact (hours from its ticket's completion to the rating, recovered or not,
rated within 72 hours of the same contact's previous rating or not, rated in its client's last 90 days or not),
computed on all the data; the slice then only selects the reviews. A contact is its e-mail compared as DAX
compares text (case-insensitively); reviews without one count for no contact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.reference.blanks import blank_divide, blank_if_zero
from generator.reference.context import Context, MeasureFunction
from generator.reference.csat import HAPPY, NEUTRAL, REVIEW_ROUTE, UNHAPPY
from generator.reference.frames import COMPANIES, REVIEWS, TICKETS

RECOVERY_DAYS = 30
FATIGUE_HOURS = 72
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


def _contacts(ctx: Context) -> np.ndarray:
    """Per review: its contact's e-mail in lower case (DAX compares text case-insensitively), None without one."""
    reviews = ctx.frames[REVIEWS]
    if "contact_email" not in reviews.columns:
        return np.full(len(reviews), None, dtype=object)
    return np.array([v.lower() if isinstance(v, str) and v else None for v in reviews["contact_email"]],
                    dtype=object)


def _recovered_by(ctx: Context, keys: np.ndarray) -> np.ndarray:
    """Per review: unhappy, with a key, and followed (after it, at most 30 days later) by a happy review with the
    same key."""
    reviews = ctx.frames[REVIEWS]
    rated = pd.to_datetime(reviews["rated_at"]).to_numpy("datetime64[ns]")
    rating = reviews["rating"].to_numpy()
    known = ~pd.isna(keys)
    happy = pd.DataFrame({"key": keys[known & (rating == HAPPY)], "at": rated[known & (rating == HAPPY)]})
    happy_at = {key: np.sort(group["at"].to_numpy()) for key, group in happy.groupby("key", sort=False)}
    result = np.zeros(len(reviews), dtype=bool)
    window = np.timedelta64(RECOVERY_DAYS, "D")
    empty = np.array([], dtype="datetime64[ns]")
    for row in np.flatnonzero(known & (rating == UNHAPPY)):
        later = happy_at.get(keys[row], empty)
        first = np.searchsorted(later, rated[row], side="right")
        result[row] = first < len(later) and later[first] <= rated[row] + window
    return result


def recovered(ctx: Context) -> np.ndarray:
    """Per review: unhappy and followed within 30 days by a happy review of the same contact."""
    return ctx.memo("recovered", lambda: _recovered_by(ctx, _contacts(ctx)))


def recovery_rate(ctx: Context) -> np.ndarray:
    """CSAT - Client Recovery Rate %: recovered unhappy reviews ÷ unhappy reviews with a contact, of the slice."""
    reviews = ctx.frames[REVIEWS]
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    unhappy = (reviews["rating"].to_numpy() == UNHAPPY) & ~pd.isna(_contacts(ctx))
    return blank_divide(placement.count(recovered(ctx)), placement.count(unhappy))


def company_recovery_rate(ctx: Context) -> np.ndarray:
    """CSAT - Company Recovery Rate %: unhappy reviews followed within 30 days by a happy review of the same
    company ÷ unhappy reviews of the slice."""
    reviews = ctx.frames[REVIEWS]
    done = ctx.memo("recovered by company",
                    lambda: _recovered_by(ctx, reviews["company_id"].to_numpy(dtype=object)))
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    return blank_divide(placement.count(done), placement.count(reviews["rating"] == UNHAPPY))


def fatigued(ctx: Context) -> np.ndarray:
    """Per review: its contact rated another review earlier, at most 72 hours before (the same instant is not
    earlier)."""

    def compute() -> np.ndarray:
        reviews = ctx.frames[REVIEWS]
        keys = _contacts(ctx)
        rated = pd.to_datetime(reviews["rated_at"]).to_numpy("datetime64[ns]")
        result = np.zeros(len(reviews), dtype=bool)
        window = np.timedelta64(FATIGUE_HOURS, "h")
        known = np.flatnonzero(~pd.isna(keys))
        frame = pd.DataFrame({"key": keys[known], "at": rated[known], "row": known})
        for _key, group in frame.groupby("key", sort=False):
            times = np.sort(group["at"].to_numpy())
            at = group["at"].to_numpy()
            before = np.searchsorted(times, at, side="left")  # ratings strictly earlier
            since = np.searchsorted(times, at - window, side="left")  # ratings at or after at - 72 h
            result[group["row"].to_numpy()] = before > since
        return result

    return ctx.memo("fatigued", compute)


def survey_fatigue(ctx: Context) -> np.ndarray:
    """CSAT - Survey Fatigue %: reviews rated within 72 hours of the same contact's earlier rating ÷ reviews with
    a contact, of the slice."""
    reviews = ctx.frames[REVIEWS]
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    return blank_divide(placement.count(fatigued(ctx)), placement.count(~pd.isna(_contacts(ctx))))


def awaiting_follow_up(ctx: Context) -> np.ndarray:
    """CSAT - Reviews Awaiting Follow-up: unhappy and neutral reviews whose SmileBack status is open; BLANK when
    none."""
    reviews = ctx.frames[REVIEWS]
    if "review_status" not in reviews.columns:
        status = np.full(len(reviews), False)
    else:
        status = np.array([isinstance(v, str) and v.lower() == "open" for v in reviews["review_status"]], dtype=bool)
    rating = reviews["rating"].to_numpy()
    placement = ctx.grid.place(reviews, REVIEW_ROUTE)
    return blank_if_zero(placement.count(status & ((rating == UNHAPPY) | (rating == NEUTRAL))))


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
    "CSAT - Company Recovery Rate %": company_recovery_rate,
    "CSAT - Survey Fatigue %": survey_fatigue,
    "CSAT - Reviews Awaiting Follow-up": awaiting_follow_up,
    "CSAT - Happy % Churned Clients": happy_churned,
    "CSAT - Happy % Retained Clients": happy_retained,
    "CSAT - Happy % Churned vs Retained": churned_vs_retained,
}
