"""The follow-up list: the unhappy and neutral reviews of the last days still awaiting follow-up, newest first.

The reviews are rows of ``BI_SmileBack_Reviews`` read through the engine under the date filter (rating 1 or 3,
rated in the last ``days`` days up to the report's last day) whose SmileBack status is not ``done`` (open, or no
status given by the source); their number is the catalogue's ``CSAT - Negative`` + ``CSAT - Neutral`` over the
same days under that status filter, those marked done are counted apart, and each review's age (whole days from
the day it was rated to the report's last day) is a DAX ``DATEDIFF``. Each row names the contact who rated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from generator.engine.run import Engine
from generator.report.data import NEGATIVE, NEUTRAL_COUNT, as_int, dates_between, dax_columns, dax_date, query_rows, ref

DAYS = 7
REVIEWS = "BI_SmileBack_Reviews"
#: not marked done in SmileBack (open, or blank when the source gives no status)
AWAITING = f'{REVIEWS}[review_status] <> "done"'


@dataclass(frozen=True)
class FollowUp:
    """One review: to follow up, or a comment on the client's page."""

    rated_at: dt.datetime
    rating: str
    client: str
    technician: str | None
    ticket: str | None
    comment: str | None
    age_days: int
    contact: str | None = None  # the contact's name, else e-mail


@dataclass(frozen=True)
class FollowUps:
    """The reviews awaiting follow-up over ``first`` .. ``last`` and their count (catalogue measures); ``handled``:
    the unhappy and neutral reviews of the same days marked done in SmileBack."""

    first: dt.date
    last: dt.date
    days: int
    count: int | None
    unhappy: int | None
    neutral: int | None
    reviews: tuple[FollowUp, ...]
    handled: int | None = None


def _columns(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}", {REVIEWS}[{name}]' for name in names)


def review_rows(engine: Engine, first: dt.date, last: dt.date, condition: str, scope: str = "") -> list[FollowUp]:
    """The reviews rated from ``first`` to ``last`` that meet the DAX ``condition`` (under the ``scope`` filter),
    newest first; each one's age in whole days to ``last``."""
    columns = _columns(("rated_at", "rating_label", "company_name", "technician_name", "ticket_number", "comment",
                        "contact_name", "contact_email"))
    text = (f"EVALUATE CALCULATETABLE ( SELECTCOLUMNS ( FILTER ( {REVIEWS}, {condition} ), {columns}, \"Age\", "
            f"DATEDIFF ( {REVIEWS}[rated_date], {dax_date(last)}, DAY ) ), {dates_between(first, last)}"
            f"{', ' + scope if scope else ''} )")
    rows = sorted(query_rows(engine, text), reverse=True, key=lambda row: (
        row["[rated_at]"], str(row["[company_name]"]), str(row["[ticket_number]"] or "")))
    return [FollowUp(row["[rated_at]"], row["[rating_label]"], row["[company_name]"], row["[technician_name]"],
                     row["[ticket_number]"], row["[comment]"], int(row["[Age]"]),
                     row["[contact_name]"] or row["[contact_email]"] or None) for row in rows]


def follow_ups(engine: Engine, last: dt.date, days: int = DAYS, scope: str = "") -> FollowUps:
    """The unhappy and neutral reviews rated in the ``days`` days up to ``last`` (both ends included) that are not
    marked done in SmileBack, under the ``scope`` filter (e.g. one client's,
    :func:`generator.report.data.client_scope`) when one is given."""
    first = last - dt.timedelta(days=days - 1)
    waiting = f"KEEPFILTERS ( {AWAITING} )"
    done = f'KEEPFILTERS ( {REVIEWS}[review_status] = "done" )'
    counts = [("Unhappy", f"CALCULATE ( {ref(NEGATIVE)}, {waiting} )"),
              ("Neutral", f"CALCULATE ( {ref(NEUTRAL_COUNT)}, {waiting} )"),
              ("Count", f"CALCULATE ( {ref(NEGATIVE)} + {ref(NEUTRAL_COUNT)}, {waiting} )"),
              ("Handled", f"CALCULATE ( {ref(NEGATIVE)} + {ref(NEUTRAL_COUNT)}, {done} )")]
    total = query_rows(engine, f"EVALUATE CALCULATETABLE ( ROW ( {dax_columns(counts)} ), "
                       f"{dates_between(first, last)}{', ' + scope if scope else ''} )")[0]
    reviews = tuple(review_rows(engine, first, last, f"{REVIEWS}[rating] <> 5 && {AWAITING}", scope))
    return FollowUps(first, last, days, as_int(total["[Count]"]), as_int(total["[Unhappy]"]),
                     as_int(total["[Neutral]"]), reviews, as_int(total["[Handled]"]))
