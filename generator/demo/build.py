"""Build the demo dataset as DataFrames, deterministically from a seed (DESIGN section 9).

Reviews are generated first from the plan's three marginals (client, month, technician), each paired at
random within a rating bucket, so the published figures hold exactly at every scale. Each review gets its
closed ticket (same client, technician and queue, completed shortly before the rating); the remaining
closed tickets, the open tickets, time entries, survey responses and NPS responses are drawn around them.
Each review's contact and SmileBack status come from generator/demo/contacts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from generator.calendar import date_table
from generator.demo import text
from generator.demo.contacts import assign_contacts
from generator.demo.dimensions import attribute_dimensions, draw_channels, resolution_keys
from generator.demo.plan import (
    CALENDAR_END,
    CALENDAR_START,
    CLIENTS,
    DEFAULT_SEED,
    MONTH_COUNTS,
    MONTHS,
    PERIOD_END,
    PERIOD_START,
    QUEUES,
    TECHNICIANS,
    check_plan,
)
from generator.demo.security import client_users
from generator.demo.story import escalate_pinnacle, tell_ticket_stories

RATINGS = (5, 3, 1)
RATING_LABELS = {5: "Happy", 3: "Neutral", 1: "Unhappy"}
COMPANY_ID_BASE = 1001
RESOURCE_ID_BASE = 29682801
QUEUE_ID_BASE = 29682831
TICKET_ID_BASE = 48001
REVIEW_ID_BASE = 35900001
SURVEY_ID_BASE = 71000001
TIME_ENTRY_ID_BASE = 5200001
NPS_ID_BASE = 880001
OPEN_TICKET_SHARE = 0.045
HOUR = np.timedelta64(3600, "s")

Progress = Callable[[str], None]


def _ns(day: date) -> np.datetime64:
    return np.datetime64(datetime.combine(day, datetime.min.time()), "s")


def _windows() -> tuple[np.ndarray, np.ndarray]:
    """Per client, the first and last day (as datetime64[D]) it could have tickets in the period."""
    starts, ends = [], []
    for client in CLIENTS:
        starts.append(max(PERIOD_START, client.client_since))
        last = client.churned_on - timedelta(days=1) if client.churned_on else PERIOD_END
        ends.append(min(PERIOD_END, last))
    return np.array(starts, dtype="datetime64[D]"), np.array(ends, dtype="datetime64[D]")


def _month_bounds() -> tuple[np.ndarray, np.ndarray]:
    starts = np.array(MONTHS, dtype="datetime64[D]")
    ends = np.array([*MONTHS[1:], PERIOD_END + timedelta(days=1)], dtype="datetime64[D]") - np.timedelta64(1, "D")
    return starts, ends


def _assign_months(rng: np.random.Generator, clients: np.ndarray, month_counts: np.ndarray,
                   win_start: np.ndarray, win_end: np.ndarray) -> np.ndarray:
    """Give each review of one rating bucket a month so that the month counts hold exactly and every review
    falls inside its client's window (clients that joined or churned during the period)."""
    m_start, m_end = _month_bounds()
    remaining = month_counts.copy()
    months = np.full(len(clients), -1)
    allowed = (m_start[None, :] <= win_end[:, None]) & (m_end[None, :] >= win_start[:, None])  # client x month
    constrained = np.flatnonzero(~allowed[clients].all(axis=1))
    for index in rng.permutation(constrained):
        weights = remaining * allowed[clients[index]]
        month = rng.choice(len(weights), p=weights / weights.sum())
        months[index] = month
        remaining[month] -= 1
    free = np.flatnonzero(months < 0)
    months[rng.permutation(free)] = np.repeat(np.arange(len(remaining)), remaining)
    return months


def _random_days(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """A uniformly drawn day between ``first`` and ``last`` (datetime64[D]) for each element."""
    span = (last - first).astype("int64") + 1
    return first + (rng.random(len(first)) * span).astype("int64").astype("timedelta64[D]")


def _business_time(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A time between 08:00 and 18:59 on each day, to the minute."""
    minutes = rng.integers(8 * 60, 19 * 60, len(days))
    return days.astype("datetime64[s]") + (minutes * 60).astype("timedelta64[s]")


def _queue_choice(rng: np.random.Generator, ratings: np.ndarray | None, size: int) -> np.ndarray:
    shares = np.array([q[1] for q in QUEUES])
    if ratings is None:
        return rng.choice(len(QUEUES), size=size, p=shares / shares.sum())
    result = np.empty(size, dtype="int64")
    for bucket, rating in enumerate(RATINGS):
        mask = ratings == rating
        weights = shares * np.array([q[2][bucket] for q in QUEUES])
        result[mask] = rng.choice(len(QUEUES), size=int(mask.sum()), p=weights / weights.sum())
    return result


def _reviews(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    win_start, win_end = _windows()
    m_start, m_end = _month_bounds()
    parts = []
    for bucket, rating in enumerate(RATINGS):
        per_client = np.array([(c.happy, c.neutral, c.unhappy)[bucket] for c in CLIENTS]) * scale
        clients = np.repeat(np.arange(len(CLIENTS)), per_client)
        per_month = np.array([m[bucket] for m in MONTH_COUNTS]) * scale
        months = _assign_months(rng, clients, per_month, win_start, win_end)
        per_tech = np.array([(t.happy, t.neutral, t.unhappy)[bucket] for t in TECHNICIANS]) * scale
        techs = rng.permutation(np.repeat(np.arange(len(TECHNICIANS)), per_tech))
        parts.append(pd.DataFrame({"client": clients, "month": months, "tech": techs, "rating": rating}))
    reviews = pd.concat(parts, ignore_index=True)
    first = np.maximum(m_start[reviews["month"]], win_start[reviews["client"]])
    last = np.minimum(m_end[reviews["month"]], win_end[reviews["client"]])
    reviews["rated_at"] = _business_time(rng, _random_days(rng, first, last))
    reviews["queue"] = _queue_choice(rng, reviews["rating"].to_numpy(), len(reviews))
    # completed shortly before the rating, never before the month (or the client's window) began
    earliest = np.maximum(first.astype("datetime64[s]"), reviews["rated_at"].to_numpy() - 40 * HOUR)
    room = (reviews["rated_at"].to_numpy() - earliest).astype("int64")
    reviews["completed_at"] = reviews["rated_at"].to_numpy() - (rng.random(len(reviews)) * room).astype(
        "int64").astype("timedelta64[s]")
    return reviews.sort_values(["rated_at", "client", "tech"], kind="stable").reset_index(drop=True)


def _unreviewed_closed(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    win_start, win_end = _windows()
    counts = np.array([c.closed_tickets - c.reviews for c in CLIENTS]) * scale
    clients = np.repeat(np.arange(len(CLIENTS)), counts)
    tech_weights = np.array([t.reviews for t in TECHNICIANS], dtype=float)
    completed = _business_time(rng, _random_days(rng, win_start[clients], win_end[clients]))
    return pd.DataFrame({
        "client": clients,
        "tech": rng.choice(len(TECHNICIANS), size=len(clients), p=tech_weights / tech_weights.sum()),
        "queue": _queue_choice(rng, None, len(clients)),
        "completed_at": completed,
    })


def _open_tickets(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    counts = np.array([0 if c.churned_on else round(c.closed_tickets * OPEN_TICKET_SHARE) for c in CLIENTS]) * scale
    clients = np.repeat(np.arange(len(CLIENTS)), counts)
    tech_weights = np.array([t.reviews for t in TECHNICIANS], dtype=float)
    first = np.full(len(clients), np.datetime64(PERIOD_END - timedelta(days=34), "D"))
    created = _business_time(rng, _random_days(rng, first, np.full(len(clients), np.datetime64(PERIOD_END, "D"))))
    return pd.DataFrame({
        "client": clients,
        "tech": rng.choice(len(TECHNICIANS), size=len(clients), p=tech_weights / tech_weights.sum()),
        "queue": _queue_choice(rng, None, len(clients)),
        "created_at": created,
        "status": rng.choice(text.OPEN_STATUSES, size=len(clients), p=[0.2, 0.5, 0.2, 0.1]),
    })


def _quarter_hours(rng: np.random.Generator, techs: np.ndarray) -> np.ndarray:
    """Hours per closed ticket in quarter hours, each technician's mean within 0.25/n of its plan."""
    hours = np.zeros(len(techs))
    for index, tech in enumerate(TECHNICIANS):
        mask = np.flatnonzero(techs == index)
        if len(mask) == 0:
            continue
        units = np.maximum(1, np.round(rng.gamma(2.2, tech.hours_per_ticket / 2.2, len(mask)) * 4)).astype("int64")
        deficit = round(tech.hours_per_ticket * 4 * len(mask)) - int(units.sum())
        while deficit != 0:
            step = 1 if deficit > 0 else -1
            candidates = np.arange(len(mask)) if step > 0 else np.flatnonzero(units > 1)
            chosen = rng.choice(candidates, size=min(abs(deficit), len(candidates)), replace=False)
            units[chosen] += step
            deficit -= step * len(chosen)
        hours[mask] = units / 4
    return hours


def _tickets(rng: np.random.Generator, reviews: pd.DataFrame, scale: int) -> pd.DataFrame:
    closed = pd.concat([reviews[["client", "tech", "queue", "completed_at"]].assign(review_row=reviews.index),
                        _unreviewed_closed(rng, scale).assign(review_row=-1)], ignore_index=True)
    n = len(closed)
    completed = closed["completed_at"].to_numpy()
    win_start, _ = _windows()
    # a ticket is never created before its client's window opened (clients that joined during the period)
    joined = win_start[closed["client"].to_numpy()].astype("datetime64[s]")
    limit_h = np.where(joined > _ns(PERIOD_START), (completed - joined).astype("int64") / 3600, 400.0)
    resolution_h = np.clip(rng.lognormal(np.log(5.0), 1.1, n), 0.3, np.maximum(0.3, limit_h))
    created = completed - (resolution_h * 3600).astype("int64").astype("timedelta64[s]")
    response_h = np.minimum(np.clip(rng.lognormal(np.log(0.45), 0.9, n), 0.02, 24.0), resolution_h * 0.8)
    closed["created_at"] = created
    closed["first_response_at"] = created + (response_h * 3600).astype("int64").astype("timedelta64[s]")
    closed["resolved_at"] = completed - (rng.random(n) * np.minimum(0.5, resolution_h * 0.1) * 3600).astype(
        "int64").astype("timedelta64[s]")
    closed["status"] = "Complete"
    sla = rng.random(n) < 0.925
    closed["sla_met"] = pd.array(np.where(rng.random(n) < 0.03, None, sla), dtype="boolean")
    closed["first_contact_resolution"] = pd.array((rng.random(n) < 0.55) & (resolution_h < 8), dtype="boolean")
    closed["reopened"] = rng.random(n) < 0.04
    closed["hours_worked"] = _quarter_hours(rng, closed["tech"].to_numpy())

    opened = _open_tickets(rng, scale)
    opened["review_row"] = -1
    m = len(opened)
    responded = rng.random(m) < 0.8
    opened["first_response_at"] = pd.Series(
        opened["created_at"].to_numpy() + (rng.lognormal(np.log(0.5), 0.9, m) * 3600).astype("int64").astype(
            "timedelta64[s]")).where(responded)
    opened["hours_worked"] = 0.0
    opened["reopened"] = False
    tickets = pd.concat([closed, opened], ignore_index=True)
    tickets["priority"] = rng.choice(list(text.PRIORITY_SHARES), size=len(tickets),
                                     p=list(text.PRIORITY_SHARES.values()))
    issue = rng.choice(list(text.ISSUE_TYPE_SHARES), size=len(tickets), p=list(text.ISSUE_TYPE_SHARES.values()))
    tickets["issue_type"] = issue
    picks = rng.integers(0, 1000, len(tickets))
    tickets["title"] = [text.ISSUE_TITLES[i][p % len(text.ISSUE_TITLES[i])] for i, p in zip(issue, picks, strict=True)]
    tickets = tickets.sort_values(["created_at", "client", "tech"], kind="stable").reset_index(drop=True)
    tickets["ticket_id"] = TICKET_ID_BASE + np.arange(len(tickets))
    created_day = tickets["created_at"].dt.normalize()
    sequence = tickets.groupby(created_day).cumcount() + 1
    tickets["ticket_number"] = "T" + created_day.dt.strftime("%Y%m%d") + "." + sequence.map("{:04d}".format)
    return tickets


def _time_entries(rng: np.random.Generator, tickets: pd.DataFrame) -> pd.DataFrame:
    worked = tickets[tickets["hours_worked"] > 0]
    units = np.round(worked["hours_worked"].to_numpy() * 4).astype("int64")
    pieces = np.minimum(units, rng.integers(1, 5, len(units)))
    ticket_row = np.repeat(np.arange(len(worked)), pieces)
    position = np.arange(len(ticket_row)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    base = units // pieces
    entry_units = np.repeat(base, pieces) + np.where(position == np.repeat(pieces, pieces) - 1,
                                                     np.repeat(units - base * pieces, pieces), 0)
    created = worked["created_at"].to_numpy()[ticket_row].astype("datetime64[D]")
    completed = worked["completed_at"].to_numpy()[ticket_row].astype("datetime64[D]")
    span = (completed - created).astype("int64")
    offset = (span * (position + 1) // np.repeat(pieces, pieces)).astype("timedelta64[D]")
    return pd.DataFrame({
        "time_entry_id": TIME_ENTRY_ID_BASE + np.arange(len(ticket_row)),
        "ticket_id": worked["ticket_id"].to_numpy()[ticket_row],
        "resource_id": RESOURCE_ID_BASE + worked["tech"].to_numpy()[ticket_row],
        "date_worked": (created + offset).astype("datetime64[ns]"),
        "hours_worked": entry_units / 4,
    })


def _comments(rng: np.random.Generator, ratings: np.ndarray) -> list[str | None]:
    result: list[str | None] = []
    draws = rng.random(len(ratings))
    picks = rng.integers(0, 1000, len(ratings))
    for rating, draw, pick in zip(ratings, draws, picks, strict=True):
        options = text.COMMENTS[int(rating)]
        result.append(None if draw < text.EMPTY_COMMENT_SHARE[int(rating)] else options[pick % len(options)])
    return result


def _nps(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    win_start, win_end = _windows()
    rows = []
    for index, client in enumerate(CLIENTS):
        count = (client.reviews // 6 + 3) * scale
        happy = client.happy / client.reviews if client.reviews else 0.85
        promoter = min(0.75, max(0.2, happy - 0.3))
        detractor = min(0.4, max(0.04, (1 - happy) * 1.4))
        kind = rng.choice(3, size=count, p=[promoter, 1 - promoter - detractor, detractor])
        score = np.where(kind == 0, rng.integers(9, 11, count),
                         np.where(kind == 1, rng.integers(7, 9, count), rng.integers(0, 7, count)))
        days = _random_days(rng, np.full(count, win_start[index]), np.full(count, win_end[index]))
        first = rng.choice(text.FIRST_NAMES, count)
        last = rng.choice(text.LAST_NAMES, count)
        label = np.array(["promoter", "passive", "detractor"])[kind]
        comment_pick = rng.integers(0, 1000, count)
        rows.append(pd.DataFrame({
            "client": index,
            "contact_email": [f"{f}.{s}@{client.domain}" for f, s in zip(first, last, strict=True)],
            "score": score,
            "comment": [text.NPS_COMMENTS[k][p % len(text.NPS_COMMENTS[k])] or None
                        for k, p in zip(label, comment_pick, strict=True)],
            "responded_at": _business_time(rng, days),
        }))
    nps = pd.concat(rows, ignore_index=True).sort_values(["responded_at", "client"], kind="stable")
    nps = nps.reset_index(drop=True)
    nps["nps_response_id"] = NPS_ID_BASE + np.arange(len(nps))
    return nps


def build_demo(seed: int = DEFAULT_SEED, scale: int = 1, progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Every BI_ table of the demo dataset as a DataFrame with the columns of the model specs."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    check_plan()
    say = progress or (lambda _message: None)
    rng = np.random.default_rng(seed)
    company_ids = COMPANY_ID_BASE + np.arange(len(CLIENTS))
    resource_ids = RESOURCE_ID_BASE + np.arange(len(TECHNICIANS))
    queue_ids = QUEUE_ID_BASE + np.arange(len(QUEUES))

    say("reviews")
    reviews = escalate_pinnacle(_reviews(rng, scale))
    say("tickets")
    tickets = _tickets(rng, reviews, scale)
    # the reference's drill-downs, from their own stream so that every other draw (and figure) is unchanged
    tickets = tell_ticket_stories(np.random.default_rng([seed, 22]), tickets, reviews["rating"].to_numpy())
    say("time entries")
    entries = _time_entries(rng, tickets)
    say("NPS responses")
    nps = _nps(rng, scale)
    # drawn from their own stream, so that adding them left every earlier draw (and figure) unchanged
    sub_issue_ids, source_ids = draw_channels(np.random.default_rng([seed, 21]), tickets["issue_type"])

    companies = pd.DataFrame({
        "company_id": company_ids,
        "company_name": [c.name for c in CLIENTS],
        "is_active": [c.churned_on is None for c in CLIENTS],
        "company_type": ["Cancellation" if c.churned_on else "Customer" for c in CLIENTS],
        "client_since": pd.to_datetime([c.client_since for c in CLIENTS]),
        "churned_on": pd.to_datetime([c.churned_on for c in CLIENTS]),
        "last_activity_at": pd.to_datetime([datetime.combine(c.churned_on or PERIOD_END, datetime.min.time())
                                            + timedelta(hours=17) for c in CLIENTS]),
    })
    resources = pd.DataFrame({
        "resource_id": resource_ids,
        "technician_name": [t.name for t in TECHNICIANS],
        "email": [f"{t.name.lower().replace(' ', '.')}@{text.MSP_DOMAIN}" for t in TECHNICIANS],
        "is_active": True,
    })
    queues = pd.DataFrame({"queue_id": queue_ids, "queue_name": [q[0] for q in QUEUES]})

    closed = tickets["status"] == "Complete"
    completed_at = tickets["completed_at"].where(closed)
    ticket_frame = pd.DataFrame({
        "ticket_id": tickets["ticket_id"],
        "ticket_number": tickets["ticket_number"],
        "title": tickets["title"],
        "company_id": company_ids[tickets["client"]],
        "queue_id": queue_ids[tickets["queue"]],
        "assigned_resource_id": resource_ids[tickets["tech"]],
        "status": tickets["status"],
        "priority": tickets["priority"],
        "issue_type": tickets["issue_type"],
        "created_at": tickets["created_at"],
        "created_date": tickets["created_at"].dt.normalize(),
        "first_response_at": tickets["first_response_at"],
        "resolved_at": tickets["resolved_at"].where(closed),
        "completed_at": completed_at,
        "completed_date": completed_at.dt.normalize(),
        "completed_month": completed_at.dt.to_period("M").dt.start_time,
        "sla_met": tickets["sla_met"],
        "first_contact_resolution": tickets["first_contact_resolution"],
        "reopened": tickets["reopened"].astype(bool),
        "hours_worked": tickets["hours_worked"].astype(float),
        "issue_type_id": tickets["issue_type"].map(text.ISSUE_TYPE_IDS).astype("int64"),
        "sub_issue_type_id": sub_issue_ids,
        "priority_id": tickets["priority"].map(text.PRIORITY_IDS).astype("int64"),
        "source_id": source_ids,
        "resolution_key": resolution_keys(tickets["first_contact_resolution"], tickets["reopened"],
                                          tickets["sla_met"]),
        "last_activity_at": completed_at.fillna(tickets["created_at"]),
    })

    ticket_of_review = tickets.loc[tickets["review_row"] >= 0, ["review_row", "ticket_id", "ticket_number"]]
    ticket_of_review = ticket_of_review.set_index("review_row").sort_index()
    ratings = reviews["rating"].to_numpy()
    review_ids = REVIEW_ID_BASE + np.arange(len(reviews))
    rated_at = reviews["rated_at"]
    review_frame = pd.DataFrame({
        "review_id": review_ids,
        "ticket_id": ticket_of_review["ticket_id"].to_numpy(),
        "ticket_number": ticket_of_review["ticket_number"].to_numpy(),
        "company_id": company_ids[reviews["client"]],
        "company_name": np.array([c.name for c in CLIENTS], dtype=object)[reviews["client"]],
        "resource_id": resource_ids[reviews["tech"]],
        "technician_name": np.array([t.name for t in TECHNICIANS], dtype=object)[reviews["tech"]],
        "queue_id": queue_ids[reviews["queue"]],
        "rating": ratings,
        "rating_label": [RATING_LABELS[int(r)] for r in ratings],
        "comment": _comments(rng, ratings),
        "rated_at": rated_at,
        "rated_date": rated_at.dt.normalize(),
    })
    # the reviewed ticket's shared dimension keys
    review_keys = ["issue_type_id", "sub_issue_type_id", "priority_id", "source_id", "resolution_key"]
    keyed = ticket_frame.set_index("ticket_id")[review_keys].loc[review_frame["ticket_id"]]
    for column in review_keys:
        review_frame[column] = keyed[column].to_numpy()
    # who rated, and SmileBack's handled status: from their own stream, so every other draw is unchanged
    contacts = assign_contacts(np.random.default_rng([seed, 23]), reviews["client"].to_numpy(), ratings, rated_at)
    for column in contacts.columns:
        review_frame[column] = contacts[column].to_numpy()
    survey_frame = pd.DataFrame({
        "survey_id": SURVEY_ID_BASE + np.arange(len(reviews)),
        "review_id": review_ids,
        "ticket_id": review_frame["ticket_id"],
        "company_id": review_frame["company_id"],
        "resource_id": review_frame["resource_id"],
        "queue_id": review_frame["queue_id"],
        "score": ratings,
        "survey_date": review_frame["rated_date"],
        "survey_month": rated_at.dt.to_period("M").dt.start_time,
    })
    nps_frame = pd.DataFrame({
        "nps_response_id": nps["nps_response_id"],
        "company_id": company_ids[nps["client"]],
        "contact_email": nps["contact_email"],
        "score": nps["score"],
        "comment": nps["comment"],
        "responded_at": nps["responded_at"],
        "responded_date": nps["responded_at"].dt.normalize(),
    })
    return {
        **attribute_dimensions(),
        "BI_Autotask_Companies": companies,
        "BI_Autotask_Resources": resources,
        "BI_Autotask_Queues": queues,
        "BI_Autotask_Tickets": ticket_frame,
        "BI_Autotask_TimeEntries": entries,
        "BI_Date": date_table(CALENDAR_START, CALENDAR_END),
        "BI_Security_ClientUsers": client_users(CLIENTS, company_ids),
        "BI_SmileBack_Reviews": review_frame,
        "BI_SmileBack_Surveys": survey_frame,
        "BI_SmileBack_NPS": nps_frame,
    }
