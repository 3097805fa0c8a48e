"""One client's drill-down and follow-up list for ``explain_client``, as plain dicts ready to be sent as JSON.

Both are the report's own computations (:mod:`generator.report.drill` and :mod:`generator.report.followup`, as the
client's QBR page and the report's follow-up section run them); this module only decides whether a drill-down may
be claimed and writes the answers out.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from generator.engine.run import Engine
from generator.report import drill, followup, risk
from generator.report.data import ClientRow, Thresholds, client_scope, last_day
from generator.report.format import count, pct
from generator.report.period import DataSpan, Period
from generator.text import plural


def drill_rule(thresholds: Thresholds) -> str:
    """The rule a member must meet to be named as a concentration, in words (the report's rule)."""
    return (f"A member (a queue, technician or ticket attribute) is named when it holds at least "
            f"{plural(drill.MIN_UNHAPPY, 'unhappy rating')} and {plural(thresholds.min_responses, 'response')} of "
            f"the client and its unhappy share is at least {drill.MIN_LIFT:g} times its response share (at most "
            f"{drill.SHOWN_PER_DIMENSION} per dimension). Unhappy share: the client's CSAT - Negative there ÷ its "
            "CSAT - Negative; response share: its CSAT - Total Ratings there ÷ its CSAT - Total Ratings.")


def _why_not(client: ClientRow, thresholds: Thresholds) -> str | None:
    """Why no drill-down may be claimed for ``client`` (no reviews, or low confidence), or None when it may."""
    if not client.responses:
        return f"No drill-down: {client.name} has no reviews in the period."
    if not risk.is_low_confidence(client, thresholds):
        return None
    reasons = []
    if client.low_confidence:
        reasons.append(f"{plural(client.responses, 'response')}, under the threshold of {thresholds.min_responses}")
    if client.response_rate is not None and client.response_rate < thresholds.min_response_rate:
        reasons.append(f"a response rate of {pct(client.response_rate)}, under {pct(thresholds.min_response_rate)}")
    return (f"No drill-down: {client.name} is low confidence ({'; '.join(reasons)}), too few ratings to say where "
            "its unhappy ratings concentrate.")


def _summary(found: drill.DrillDown) -> str:
    if not found.concentrations:
        return (f"{found.client}'s {plural(found.unhappy or 0, 'unhappy rating')} of "
                f"{plural(found.responses or 0, 'response')} do not concentrate on any member under the rule.")
    return "Unhappy ratings concentrate on " + "; ".join(
        f"{c.dimension} {c.member} ({pct(c.unhappy_share)} of the unhappy ratings, {pct(c.response_share)} of the "
        f"responses, {count(c.unhappy)} unhappy of {count(c.responses)})" for c in found.concentrations) + "."


def drill_down(engine: Engine, period: Period, client: ClientRow, thresholds: Thresholds) -> dict[str, Any]:
    """Where ``client``'s unhappy ratings concentrate over ``period`` (:func:`generator.report.drill.drill_downs`),
    with the rule; only a note saying why when the client is low confidence or has no reviews."""
    rule = {"rule": drill_rule(thresholds), "min_unhappy": drill.MIN_UNHAPPY,
            "min_responses": thresholds.min_responses, "min_lift": drill.MIN_LIFT,
            "shown_per_dimension": drill.SHOWN_PER_DIMENSION}
    why_not = _why_not(client, thresholds)
    found = None if why_not else next(iter(drill.drill_downs(engine, period, [client], thresholds.min_responses)),
                                       None)
    if found is None:
        return {"available": False, "note": why_not or f"No drill-down: {client.name} has no company key.", **rule}
    concentrations = [dataclasses.asdict(c) for c in found.concentrations]
    top = max(concentrations, key=lambda c: c["unhappy_share"], default=None)
    return {"available": True, "summary": _summary(found), "top": top, "concentrations": concentrations,
            "unhappy": found.unhappy, "responses": found.responses, "dimensions": list(found.dimensions), **rule}


def follow_up_list(engine: Engine, period: Period, span: DataSpan, client: ClientRow,
                   max_rows: int) -> dict[str, Any]:
    """``client``'s unhappy and neutral reviews of the report's last :data:`generator.report.followup.DAYS` days
    still awaiting follow-up (:func:`generator.report.followup.follow_ups` under a filter on the client), newest
    first, at most ``max_rows``; ``handled`` counts those marked done in SmileBack."""
    if client.company_id is None:
        return {"count": 0, "reviews": []}
    found = followup.follow_ups(engine, last_day(period, span.latest), followup.DAYS, client_scope(client.company_id))
    reviews = [{"rated_at": r.rated_at.isoformat(), "rating": r.rating, "contact": r.contact,
                "technician": r.technician,
                "ticket": r.ticket, "comment": r.comment, "age_days": r.age_days} for r in found.reviews]
    answer = {"first": found.first.isoformat(), "last": found.last.isoformat(), "days": found.days,
              "count": found.count or 0, "unhappy": found.unhappy or 0, "neutral": found.neutral or 0,
              "handled": found.handled or 0,
              "reviews": reviews[:max_rows]}
    if len(reviews) > max_rows:
        answer["note"] = f"The newest {plural(max_rows, 'review')} of {len(reviews)} (the server's --max-rows)."
    return answer


__all__ = ["drill_down", "drill_rule", "follow_up_list"]
