"""CSAT measures over ``BI_SmileBack_Reviews`` (ratings 5 = Happy, 3 = Neutral, 1 = Unhappy)."""

from __future__ import annotations

import numpy as np

from generator.reference.blanks import blank_divide, blank_if_zero
from generator.reference.context import Context, MeasureFunction
from generator.reference.frames import REVIEWS
from generator.reference.grid import ATTRIBUTE_ROUTE, COMPANY, Route

REVIEW_ROUTE = Route(company="company_id", resource="resource_id", queue="queue_id", month="rated_date",
                     **ATTRIBUTE_ROUTE)

HAPPY, NEUTRAL, UNHAPPY = 5, 3, 1


def review_counts(ctx: Context, ignore: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Reviews per slice row in total and per rating bucket (0.0 where none); ``ignore`` drops axes."""

    def compute() -> dict[str, np.ndarray]:
        reviews = ctx.frames[REVIEWS]
        placement = ctx.grid.place(reviews, REVIEW_ROUTE, ignore)
        rating = reviews["rating"]
        return {
            "total": placement.count(),
            "happy": placement.count(rating == HAPPY),
            "neutral": placement.count(rating == NEUTRAL),
            "unhappy": placement.count(rating == UNHAPPY),
        }

    return ctx.memo(("review counts", ignore), compute)


def bucket_share(ctx: Context, bucket: str, ignore: tuple[str, ...] = ()) -> np.ndarray:
    """Share of the slice's reviews in ``bucket``: BLANK without reviews, 0.0 with none in the bucket."""
    counts = review_counts(ctx, ignore)
    return blank_divide(counts[bucket], counts["total"])


def total_ratings(ctx: Context) -> np.ndarray:
    """CSAT - Total Ratings: number of reviews, BLANK when none."""
    return blank_if_zero(review_counts(ctx)["total"])


def positive(ctx: Context) -> np.ndarray:
    """CSAT - Positive: reviews rated 5, BLANK when none."""
    return blank_if_zero(review_counts(ctx)["happy"])


def neutral(ctx: Context) -> np.ndarray:
    """CSAT - Neutral: reviews rated 3, BLANK when none."""
    return blank_if_zero(review_counts(ctx)["neutral"])


def negative(ctx: Context) -> np.ndarray:
    """CSAT - Negative: reviews rated 1, BLANK when none."""
    return blank_if_zero(review_counts(ctx)["unhappy"])


def happy_pct(ctx: Context) -> np.ndarray:
    """CSAT - Happy %: share of reviews rated 5."""
    return bucket_share(ctx, "happy")


def neutral_pct(ctx: Context) -> np.ndarray:
    """CSAT - Neutral %: share of reviews rated 3."""
    return bucket_share(ctx, "neutral")


def unhappy_pct(ctx: Context) -> np.ndarray:
    """CSAT - Unhappy %: share of reviews rated 1."""
    return bucket_share(ctx, "unhappy")


def average_rating(ctx: Context) -> np.ndarray:
    """CSAT - Average Rating: mean rating of the slice's reviews, BLANK when none."""
    reviews = ctx.frames[REVIEWS]
    return ctx.grid.place(reviews, REVIEW_ROUTE).mean(reviews["rating"])


def net_sentiment(ctx: Context) -> np.ndarray:
    """CSAT - Net Sentiment: (Happy % - Unhappy %) in points, BLANK when no reviews."""
    return (ctx.measure("CSAT - Happy %") - ctx.measure("CSAT - Unhappy %")) * 100


def low_confidence(ctx: Context) -> np.ndarray:
    """CSAT - Low Confidence: fewer reviews than the threshold (no reviews count as 0); never BLANK."""
    return review_counts(ctx)["total"] < ctx.params.low_confidence_threshold


def happy_vs_portfolio(ctx: Context) -> np.ndarray:
    """CSAT - Happy % vs Portfolio: slice Happy % minus the same slice without its client filter, in points."""
    return (ctx.measure("CSAT - Happy %") - bucket_share(ctx, "happy", ignore=(COMPANY,))) * 100


def risk_tier(ctx: Context) -> np.ndarray:
    """CSAT - Risk Tier: "High", "Moderate" or "Low" from the gap to target and portfolio; BLANK w/o reviews."""
    params = ctx.params
    happy = ctx.measure("CSAT - Happy %")
    gap = ctx.measure("CSAT - Happy % vs Portfolio")
    with np.errstate(invalid="ignore"):
        high = (happy < params.target_happy_pct - params.high_risk_gap_points / 100) | (
            gap <= -params.high_risk_gap_points
        )
        moderate = (happy < params.target_happy_pct) | (gap <= -params.moderate_risk_gap_points)
    tiers = np.where(high, "High", np.where(moderate, "Moderate", "Low")).astype(object)
    tiers[np.isnan(happy)] = None
    return tiers


def happy_mom_change(ctx: Context) -> np.ndarray:
    """CSAT - Happy % MoM Change: Happy % minus the previous month's, in points; BLANK without one month."""
    happy = ctx.measure("CSAT - Happy %")
    return _change(happy, ctx.grid.previous_month_rows())


def happy_wow_change(ctx: Context) -> np.ndarray:
    """CSAT - Happy % WoW Change: Happy % minus the previous week's, in points; BLANK without one week."""
    return _change(ctx.measure("CSAT - Happy %"), ctx.grid.previous_week_rows())


def _change(values: np.ndarray, previous_rows: np.ndarray) -> np.ndarray:
    """``values`` minus the value on each row's previous-period row, in points (NaN where there is none)."""
    previous = np.where(previous_rows >= 0, values[np.maximum(previous_rows, 0)], np.nan)
    return (values - previous) * 100


MEASURES: dict[str, MeasureFunction] = {
    "CSAT - Total Ratings": total_ratings,
    "CSAT - Positive": positive,
    "CSAT - Neutral": neutral,
    "CSAT - Negative": negative,
    "CSAT - Happy %": happy_pct,
    "CSAT - Neutral %": neutral_pct,
    "CSAT - Unhappy %": unhappy_pct,
    "CSAT - Average Rating": average_rating,
    "CSAT - Net Sentiment": net_sentiment,
    "CSAT - Low Confidence": low_confidence,
    "CSAT - Happy % vs Portfolio": happy_vs_portfolio,
    "CSAT - Risk Tier": risk_tier,
    "CSAT - Happy % MoM Change": happy_mom_change,
    "CSAT - Happy % WoW Change": happy_wow_change,
}
