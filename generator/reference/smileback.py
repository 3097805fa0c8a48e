"""SmileBack survey measures (``BI_SmileBack_Surveys``) and the NPS score (``BI_SmileBack_NPS``)."""

from __future__ import annotations

import numpy as np

from generator.reference.blanks import blank_divide, blank_if_zero
from generator.reference.context import Context, MeasureFunction
from generator.reference.frames import NPS, SURVEYS
from generator.reference.grid import Route
from generator.reference.tickets import closed_tickets

SURVEY_ROUTE = Route(company="company_id", resource="resource_id", queue="queue_id", month="survey_date")
# NPS responses relate to companies and dates only: technician and queue do not filter them.
NPS_ROUTE = Route(company="company_id", month="responded_date")


def survey_count(ctx: Context) -> np.ndarray:
    """Survey responses per slice row (0.0 where none)."""
    return ctx.memo("survey count", lambda: ctx.grid.place(ctx.frames[SURVEYS], SURVEY_ROUTE).count())


def survey_responses(ctx: Context) -> np.ndarray:
    """SB - Survey Responses: number of survey responses, BLANK when none."""
    return blank_if_zero(survey_count(ctx))


def average_csat_score(ctx: Context) -> np.ndarray:
    """SB - Average CSAT Score: mean survey score, BLANK when none."""
    surveys = ctx.frames[SURVEYS]
    return ctx.grid.place(surveys, SURVEY_ROUTE).mean(surveys["score"])


def survey_response_rate(ctx: Context) -> np.ndarray:
    """SB - Survey Response Rate %: responses ÷ closed tickets of the slice, BLANK without closed tickets."""
    return blank_divide(survey_count(ctx), closed_tickets(ctx))


def nps_score(ctx: Context) -> np.ndarray:
    """NPS - Score: (promoters 9-10 − detractors 0-6) ÷ responses × 100, BLANK without responses."""
    nps = ctx.frames[NPS]
    placement = ctx.grid.place(nps, NPS_ROUTE)
    score = nps["score"]
    promoters = placement.count(score.between(9, 10))
    detractors = placement.count(score.between(0, 6))
    return blank_divide(promoters - detractors, placement.count()) * 100


MEASURES: dict[str, MeasureFunction] = {
    "SB - Survey Responses": survey_responses,
    "SB - Average CSAT Score": average_csat_score,
    "SB - Survey Response Rate %": survey_response_rate,
    "NPS - Score": nps_score,
}
