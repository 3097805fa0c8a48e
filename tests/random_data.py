"""Small random BI_ datasets for the engine-vs-reference property tests (``test_engine_properties.py``).

A hypothesis strategy draws a :class:`Plan`: plain, printable data (a calendar of a few months, a few
companies, technicians and queues, tickets with their time entries, reviews and survey responses, NPS
responses). :func:`build_tables` turns a plan into one DataFrame per BI_ table, consistent the way the demo
(``generator/demo/build.py``) is: every key a fact carries exists in its dimension, every fact date lies in
``BI_Date``, a review carries its ticket's company, technician and queue and is rated after the ticket closed,
a survey response belongs to a review, ``survey_month`` is the first day of ``survey_date``'s month and a
ticket's ``hours_worked`` is the sum of its time entries.

Because a failing example is shrunk and printed as a plan, a plan is small and readable; explicit plans for
the edge cases (empty fact tables, an all-neutral client, a client without reviews, a month with tickets but
no responses) are written by hand in the test module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import pandas as pd
from hypothesis import strategies as st

from generator.calendar import date_table

COMPANY_BASE = 1001
RESOURCE_BASE = 29682801
QUEUE_BASE = 29682831
TICKET_BASE = 48001
REVIEW_BASE = 35900001
SURVEY_BASE = 71000001
TIME_ENTRY_BASE = 5200001
NPS_BASE = 880001

T = TypeVar("T")
MINUTES_PER_DAY = 24 * 60
RATING_LABELS = {5: "Happy", 3: "Neutral", 1: "Unhappy"}
# how a company's reviewed tickets are rated: as drawn, all Neutral, or never reviewed
MIXED, ALL_NEUTRAL, NO_REVIEWS = "mixed", "all_neutral", "no_reviews"


@dataclass(frozen=True)
class CompanyPlan:
    """A client: ``since`` / ``churned`` are day offsets from the calendar's first day (None: not set)."""

    since: int | None = None
    churned: int | None = None
    reviews: str = MIXED


@dataclass(frozen=True)
class TicketPlan:
    """A ticket, its time entries and (when closed) its review.

    Indexes point into the plan's companies / resources / queues (None: the key is NULL). Times are minutes
    after the calendar's first midnight; ``closed_after`` None keeps the ticket open. ``entries`` are
    (resource index, quarter hours, day offset from the creation day). ``rating`` None: no review;
    ``surveyed``: the review has a survey response.
    """

    company: int
    resource: int | None
    queue: int | None
    created: int
    closed_after: int | None = None
    response_after: int | None = None
    sla_met: bool | None = None
    first_contact: bool | None = None
    reopened: bool = False
    entries: tuple[tuple[int, int, int], ...] = ()
    rating: int | None = None
    rated_after: int = 0
    surveyed: bool = True
    contact: int | None = None  # which of the company's three contacts rated (None: the source gave none)
    handled: bool | None = None  # SmileBack's status: done (True), open (False), not given (None)


@dataclass(frozen=True)
class NpsPlan:
    """An NPS response: company index, minutes after the calendar's first midnight, score 0-10."""

    company: int
    at: int
    score: int


@dataclass(frozen=True)
class Plan:
    """A whole dataset. The calendar runs from ``first_month`` + ``start_offset`` days for ``months`` months,
    less ``end_trim`` days at the end; ``silent_month`` (index) gets no reviews, surveys or NPS responses."""

    first_month: date = date(2026, 1, 1)
    months: int = 2
    start_offset: int = 0
    end_trim: int = 0
    companies: tuple[CompanyPlan, ...] = (CompanyPlan(),)
    resources: int = 1
    queues: int = 1
    tickets: tuple[TicketPlan, ...] = ()
    nps: tuple[NpsPlan, ...] = ()
    silent_month: int | None = None

    @property
    def first_day(self) -> date:
        return self.first_month + timedelta(days=self.start_offset)

    @property
    def last_day(self) -> date:
        month = self.first_month.month - 1 + self.months
        after = date(self.first_month.year + month // 12, month % 12 + 1, 1)
        return after - timedelta(days=1 + self.end_trim)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


# ----------------------------------------------------------------------------------------------- strategies


# Ratings of reviewed tickets: Happy-heavy as MSPs' CSAT is (so Low / Moderate risk tiers occur), or even.
HAPPY_HEAVY = (5,) * 9 + (3, 1)
EVEN = (5, 3, 1)


def _mostly(draw: st.DrawFn, strategy: st.SearchStrategy[T], absent_in_ten: int) -> T | None:
    """A value of ``strategy``, or None about ``absent_in_ten`` times in ten (shrinks towards a value)."""
    return None if draw(st.integers(0, 9)) >= 10 - absent_in_ten else draw(strategy)


@st.composite
def plans(draw: st.DrawFn, max_tickets: int = 40, max_nps: int = 15) -> Plan:
    """A random small dataset plan (see the module docstring)."""
    year_month = draw(st.integers(0, 23))
    first_month = date(2025 + year_month // 12, year_month % 12 + 1, 1)
    months = draw(st.integers(2, 4))
    partial = draw(st.booleans())
    start_offset = draw(st.integers(0, 20)) if partial else 0
    end_trim = draw(st.integers(0, 20)) if partial else 0
    days = Plan(first_month, months, start_offset, end_trim).days
    minutes = days * MINUTES_PER_DAY

    company_count = draw(st.integers(1, 4))
    companies = tuple(draw(st.lists(_companies(days), min_size=company_count, max_size=company_count)))
    resources = draw(st.integers(1, 3))
    queues = draw(st.integers(1, 3))
    ratings = draw(st.sampled_from((HAPPY_HEAVY, EVEN)))
    count = draw(st.integers(0, max_tickets))
    tickets = tuple(draw(st.lists(_tickets(company_count, resources, queues, minutes, ratings),
                                  min_size=count, max_size=count)))
    count = draw(st.integers(0, max_nps))
    nps = tuple(draw(st.lists(st.builds(NpsPlan, st.integers(0, company_count - 1), st.integers(0, minutes - 1),
                                        st.integers(0, 10)), min_size=count, max_size=count)))
    silent_month = draw(st.integers(0, months - 1)) if draw(st.integers(0, 2)) == 2 else None
    return Plan(first_month, months, start_offset, end_trim, companies, resources, queues, tickets, nps,
                silent_month)


def _companies(days: int) -> st.SearchStrategy[CompanyPlan]:
    @st.composite
    def company(draw: st.DrawFn) -> CompanyPlan:
        since = draw(st.none() | st.integers(-90, days - 1))
        low = -60 if since is None else since
        churned = draw(st.none() | st.integers(low, days + 30))
        reviews = draw(st.sampled_from((MIXED, MIXED, MIXED, ALL_NEUTRAL, NO_REVIEWS)))
        return CompanyPlan(since, churned, reviews)

    return company()


def _tickets(companies: int, resources: int, queues: int, minutes: int,
             ratings: tuple[int, ...]) -> st.SearchStrategy[TicketPlan]:
    @st.composite
    def ticket(draw: st.DrawFn) -> TicketPlan:
        # mostly closed, with a technician and a queue; sometimes NULL (nobody picked it up, no queue set)
        closed_after = _mostly(draw, st.integers(1, 20 * MINUTES_PER_DAY), 2)
        rating = _mostly(draw, st.sampled_from(ratings), 3) if closed_after is not None else None
        return TicketPlan(
            company=draw(st.integers(0, companies - 1)),
            resource=_mostly(draw, st.integers(0, resources - 1), 1),
            queue=_mostly(draw, st.integers(0, queues - 1), 1),
            created=draw(st.integers(0, minutes - 1)),
            closed_after=closed_after,
            response_after=_mostly(draw, st.integers(1, 2 * MINUTES_PER_DAY), 3),
            sla_met=_mostly(draw, st.booleans(), 2),
            first_contact=_mostly(draw, st.booleans(), 2),
            reopened=draw(st.booleans()),
            entries=tuple(draw(st.lists(st.tuples(st.integers(0, resources - 1), st.integers(1, 16),
                                                  st.integers(0, 10)), max_size=3))),
            rating=rating,
            rated_after=draw(st.integers(0, 3 * MINUTES_PER_DAY)),
            surveyed=draw(st.integers(0, 3)) < 3,
            contact=_mostly(draw, st.integers(0, 2), 3),
            handled=_mostly(draw, st.booleans(), 3),
        )

    return ticket()


# --------------------------------------------------------------------------------------------- build tables


def _month_start(moment: datetime) -> pd.Timestamp:
    return pd.Timestamp(moment.year, moment.month, 1)


def _contact(ticket: TicketPlan) -> dict[str, str | None]:
    """The review's contact columns: contact ``k`` of client ``c`` is contact<k>@client<c>.example."""
    if ticket.contact is None:
        return {"contact_id": None, "contact_name": None, "contact_email": None}
    k, c = ticket.contact + 1, ticket.company + 1
    return {"contact_id": f"{c}-{k}", "contact_name": f"Contact {k} of Client {c}",
            "contact_email": f"contact{k}@client{c}.example"}


def build_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """Every BI_ table of ``plan`` as a DataFrame with the columns of the model specs."""
    origin = datetime.combine(plan.first_day, datetime.min.time())
    end = origin + timedelta(days=plan.days) - timedelta(minutes=1)  # 23:59 on the calendar's last day

    def at(minutes: int) -> datetime:
        return min(origin + timedelta(minutes=minutes), end)

    def day(offset: int | None) -> pd.Timestamp | None:
        return None if offset is None else pd.Timestamp(plan.first_day + timedelta(days=offset))

    calendar = date_table(plan.first_day, plan.last_day)
    month_starts = sorted(calendar["month_start"].unique())
    silent = pd.Timestamp(month_starts[plan.silent_month]) if plan.silent_month is not None else None

    company_ids = [COMPANY_BASE + i for i in range(len(plan.companies))]
    resource_ids = [RESOURCE_BASE + i for i in range(plan.resources)]
    queue_ids = [QUEUE_BASE + i for i in range(plan.queues)]
    companies = pd.DataFrame({
        "company_id": pd.array(company_ids, dtype="Int64"),
        "company_name": [f"Client {i + 1}" for i in range(len(plan.companies))],
        "is_active": pd.array([c.churned is None for c in plan.companies], dtype="boolean"),
        "company_type": ["Cancellation" if c.churned is not None else "Customer" for c in plan.companies],
        "client_since": pd.Series([day(c.since) for c in plan.companies], dtype="datetime64[ns]"),
        "churned_on": pd.Series([day(c.churned) for c in plan.companies], dtype="datetime64[ns]"),
        "last_activity_at": pd.Series([end] * len(plan.companies), dtype="datetime64[ns]"),
    })
    resources = pd.DataFrame({
        "resource_id": pd.array(resource_ids, dtype="Int64"),
        "technician_name": [f"Technician {i + 1}" for i in range(plan.resources)],
        "email": [f"tech{i + 1}@msp.example" for i in range(plan.resources)],
        "is_active": pd.array([True] * plan.resources, dtype="boolean"),
    })
    queues = pd.DataFrame({
        "queue_id": pd.array(queue_ids, dtype="Int64"),
        "queue_name": [f"Queue {i + 1}" for i in range(plan.queues)],
    })

    tickets, entries, reviews, surveys = [], [], [], []
    for number, ticket in enumerate(plan.tickets):
        ticket_id = TICKET_BASE + number
        created = at(ticket.created)
        completed = None if ticket.closed_after is None else at(ticket.created + ticket.closed_after)
        response = None
        if ticket.response_after is not None:
            response = at(ticket.created + ticket.response_after)
            if completed is not None:
                response = min(response, completed)
        hours = 0.0
        last_work_day = (completed or end).date()
        for index, (resource, quarters, offset) in enumerate(ticket.entries):
            worked = min(created.date() + timedelta(days=offset), last_work_day)
            entries.append({
                "time_entry_id": TIME_ENTRY_BASE + 10 * number + index,
                "ticket_id": ticket_id,
                "resource_id": resource_ids[resource],
                "date_worked": pd.Timestamp(worked),
                "hours_worked": quarters / 4,
            })
            hours += quarters / 4
        company_id = company_ids[ticket.company]
        resource_id = None if ticket.resource is None else resource_ids[ticket.resource]
        queue_id = None if ticket.queue is None else queue_ids[ticket.queue]
        ticket_number = f"T{created:%Y%m%d}.{number + 1:04d}"
        tickets.append({
            "ticket_id": ticket_id,
            "ticket_number": ticket_number,
            "title": f"Ticket {number + 1}",
            "company_id": company_id,
            "queue_id": queue_id,
            "assigned_resource_id": resource_id,
            "status": "Complete" if completed is not None else "In Progress",
            "priority": "Medium",
            "issue_type": "Support",
            "created_at": created,
            "created_date": pd.Timestamp(created.date()),
            "first_response_at": response,
            "resolved_at": completed,
            "completed_at": completed,
            "completed_date": None if completed is None else pd.Timestamp(completed.date()),
            "completed_month": None if completed is None else _month_start(completed),
            "sla_met": ticket.sla_met,
            "first_contact_resolution": ticket.first_contact,
            "reopened": ticket.reopened,
            "hours_worked": hours,
            "last_activity_at": completed or created,
        })
        mode = plan.companies[ticket.company].reviews
        if completed is None or ticket.rating is None or mode == NO_REVIEWS:
            continue
        rating = 3 if mode == ALL_NEUTRAL else ticket.rating
        rated = min(completed + timedelta(minutes=ticket.rated_after), end)
        if silent is not None and _month_start(rated) == silent:
            continue
        review_id = REVIEW_BASE + number
        reviews.append({
            "review_id": review_id,
            "ticket_id": ticket_id,
            "ticket_number": ticket_number,
            "company_id": company_id,
            "company_name": f"Client {ticket.company + 1}",
            "resource_id": resource_id,
            "technician_name": None if ticket.resource is None else f"Technician {ticket.resource + 1}",
            "queue_id": queue_id,
            "rating": rating,
            "rating_label": RATING_LABELS[rating],
            "comment": None,
            "rated_at": rated,
            "rated_date": pd.Timestamp(rated.date()),
            **_contact(ticket),
            "review_status": None if ticket.handled is None else ("done" if ticket.handled else "open"),
        })
        if ticket.surveyed:
            surveys.append({
                "survey_id": SURVEY_BASE + number,
                "review_id": review_id,
                "ticket_id": ticket_id,
                "company_id": company_id,
                "resource_id": resource_id,
                "queue_id": queue_id,
                "score": rating,
                "survey_date": pd.Timestamp(rated.date()),
                "survey_month": _month_start(rated),
            })

    nps = []
    for number, response in enumerate(plan.nps):
        responded = at(response.at)
        if silent is not None and _month_start(responded) == silent:
            continue
        nps.append({
            "nps_response_id": NPS_BASE + number,
            "company_id": company_ids[response.company],
            "contact_email": f"contact{number + 1}@client{response.company + 1}.example",
            "score": response.score,
            "comment": None,
            "responded_at": responded,
            "responded_date": pd.Timestamp(responded.date()),
        })

    return {
        "BI_Autotask_Companies": companies,
        "BI_Autotask_Resources": resources,
        "BI_Autotask_Queues": queues,
        "BI_Autotask_Tickets": _frame(tickets, _TICKET_TYPES),
        "BI_Autotask_TimeEntries": _frame(entries, _TIME_ENTRY_TYPES),
        "BI_Date": calendar,
        # one client user per company (row-level security mapping; the measures do not read it)
        "BI_Security_ClientUsers": _frame([{"user_principal_name": f"user{row}@client{row}.example",
                                            "company_id": int(row)} for row in companies["company_id"]],
                                          {"user_principal_name": _S, "company_id": _I}),
        "BI_SmileBack_Reviews": _frame(reviews, _REVIEW_TYPES),
        "BI_SmileBack_Surveys": _frame(surveys, _SURVEY_TYPES),
        "BI_SmileBack_NPS": _frame(nps, _NPS_TYPES),
        # the shared ticket-attribute dimensions stay empty: the keys on tickets and reviews are blank
        **{table: _frame([], types) for table, types in _ATTRIBUTE_DIMENSIONS.items()},
    }


_I, _F, _B, _T, _S = "Int64", "float64", "boolean", "datetime64[ns]", "object"
_TICKET_TYPES = {
    "ticket_id": _I, "ticket_number": _S, "title": _S, "company_id": _I, "queue_id": _I,
    "assigned_resource_id": _I, "status": _S, "priority": _S, "issue_type": _S, "created_at": _T,
    "created_date": _T, "first_response_at": _T, "resolved_at": _T, "completed_at": _T, "completed_date": _T,
    "completed_month": _T, "sla_met": _B, "first_contact_resolution": _B, "reopened": _B, "hours_worked": _F,
    "last_activity_at": _T,
}
# keys of the shared ticket-attribute dimensions (blank in these datasets) and the dimensions' columns
_ATTRIBUTE_KEYS = {"issue_type_id": _I, "sub_issue_type_id": _I, "priority_id": _I, "source_id": _I,
                   "resolution_key": _I}
_ATTRIBUTE_DIMENSIONS = {
    "BI_Autotask_IssueTypes": {"issue_type_id": _I, "issue_type_name": _S},
    "BI_Autotask_SubIssueTypes": {"sub_issue_type_id": _I, "sub_issue_type_name": _S},
    "BI_Autotask_Priorities": {"priority_id": _I, "priority_name": _S},
    "BI_Autotask_Sources": {"source_id": _I, "source_name": _S},
    "BI_Autotask_Resolutions": {"resolution_key": _I, "first_contact": _S, "reopen_status": _S, "sla_status": _S},
}
_TICKET_TYPES.update(_ATTRIBUTE_KEYS)
_TIME_ENTRY_TYPES = {"time_entry_id": _I, "ticket_id": _I, "resource_id": _I, "date_worked": _T, "hours_worked": _F}
_REVIEW_TYPES = {
    "review_id": _I, "ticket_id": _I, "ticket_number": _S, "company_id": _I, "company_name": _S, "resource_id": _I,
    "technician_name": _S, "queue_id": _I, "rating": _I, "rating_label": _S, "comment": _S, "rated_at": _T,
    "rated_date": _T,
    **_ATTRIBUTE_KEYS,
    "contact_id": _S, "contact_name": _S, "contact_email": _S, "review_status": _S,
}
_SURVEY_TYPES = {
    "survey_id": _I, "review_id": _I, "ticket_id": _I, "company_id": _I, "resource_id": _I, "queue_id": _I,
    "score": _I, "survey_date": _T, "survey_month": _T,
}
_NPS_TYPES = {
    "nps_response_id": _I, "company_id": _I, "contact_email": _S, "score": _I, "comment": _S, "responded_at": _T,
    "responded_date": _T,
}


def _frame(rows: list[dict], types: dict[str, str]) -> pd.DataFrame:
    """Rows as a DataFrame with one dtype per column, also when there are no rows."""
    columns = {}
    for name, dtype in types.items():
        values = [row.get(name) for row in rows]
        if dtype == _T:
            columns[name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype=_T)
        elif dtype == _S:
            columns[name] = pd.Series(values, dtype=object)
        else:
            columns[name] = pd.Series(pd.array(values, dtype=dtype))
    return pd.DataFrame(columns)
