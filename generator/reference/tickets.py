"""Ticket measures over ``BI_Autotask_Tickets`` and ``BI_Autotask_TimeEntries``.

A ticket is closed when ``completed_date`` is set. The month of a closed ticket is that of its
``completed_date`` (the active relationship to ``BI_Date``); only "Tickets - Opened" uses ``created_date``.
Time entries reach the slice only through their ticket.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.reference.blanks import blank_divide, blank_if_zero, blank_subtract
from generator.reference.context import Context, MeasureFunction
from generator.reference.frames import TICKETS, TIME_ENTRIES
from generator.reference.grid import ATTRIBUTE_ROUTE, Route

CLOSED_ROUTE = Route(company="company_id", resource="assigned_resource_id", queue="queue_id", month="completed_date",
                     **ATTRIBUTE_ROUTE)
OPENED_ROUTE = Route(company="company_id", resource="assigned_resource_id", queue="queue_id", month="created_date",
                     **ATTRIBUTE_ROUTE)

_HOUR_SECONDS = 3600.0


def _tickets(ctx: Context) -> pd.DataFrame:
    return ctx.frames[TICKETS]


def _closed(tickets: pd.DataFrame) -> pd.Series:
    return tickets["completed_date"].notna()


def _hours_between(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / _HOUR_SECONDS


def closed_tickets(ctx: Context) -> np.ndarray:
    """Closed tickets per slice row (0.0 where none)."""

    def compute() -> np.ndarray:
        tickets = _tickets(ctx)
        return ctx.grid.place(tickets, CLOSED_ROUTE).count(_closed(tickets))

    return ctx.memo("closed tickets", compute)


def opened_tickets(ctx: Context) -> np.ndarray:
    """Tickets created per slice row, month by ``created_date`` (0.0 where none)."""
    return ctx.memo("opened tickets", lambda: ctx.grid.place(_tickets(ctx), OPENED_ROUTE).count())


def opened(ctx: Context) -> np.ndarray:
    """Tickets - Opened: tickets created in the slice, BLANK when none."""
    return blank_if_zero(opened_tickets(ctx))


def closed(ctx: Context) -> np.ndarray:
    """Tickets - Closed: tickets closed in the slice, BLANK when none."""
    return blank_if_zero(closed_tickets(ctx))


def open_close_ratio(ctx: Context) -> np.ndarray:
    """Tickets - Open/Close Ratio: opened ÷ closed, BLANK without closed tickets (0.0 when none opened)."""
    return blank_divide(opened_tickets(ctx), closed_tickets(ctx))


def backlog_change(ctx: Context) -> np.ndarray:
    """Tickets - Backlog Change: Opened − Closed with DAX BLANK arithmetic."""
    return blank_subtract(ctx.measure("Tickets - Opened"), ctx.measure("Tickets - Closed"))


def avg_first_response_hours(ctx: Context) -> np.ndarray:
    """Tickets - Avg First Response (h): mean hours to first response of closed tickets that have one."""
    tickets = _tickets(ctx)
    hours = _hours_between(tickets["created_at"], tickets["first_response_at"]).where(_closed(tickets))
    return ctx.grid.place(tickets, CLOSED_ROUTE).mean(hours)


def avg_resolution_hours(ctx: Context) -> np.ndarray:
    """Tickets - Avg Resolution (h): mean hours from creation to completion of closed tickets."""
    tickets = _tickets(ctx)
    hours = _hours_between(tickets["created_at"], tickets["completed_at"]).where(_closed(tickets))
    return ctx.grid.place(tickets, CLOSED_ROUTE).mean(hours)


def first_contact_resolution(ctx: Context) -> np.ndarray:
    """Tickets - First Contact Resolution %: closed tickets resolved at first contact ÷ closed tickets."""
    tickets = _tickets(ctx)
    resolved_first = ctx.grid.place(tickets, CLOSED_ROUTE).count(
        _closed(tickets) & (tickets["first_contact_resolution"] == 1)
    )
    return blank_divide(resolved_first, closed_tickets(ctx))


def sla_compliance(ctx: Context) -> np.ndarray:
    """Tickets - SLA Compliance %: closed tickets meeting SLA ÷ closed tickets with an SLA."""
    tickets = _tickets(ctx)
    placement = ctx.grid.place(tickets, CLOSED_ROUTE)
    closed_mask = _closed(tickets)
    met = placement.count(closed_mask & (tickets["sla_met"] == 1))
    with_sla = placement.count(closed_mask & tickets["sla_met"].notna())
    return blank_divide(met, with_sla)


def avg_hours_per_ticket(ctx: Context) -> np.ndarray:
    """Tickets - Avg Hours per Ticket: ``hours_worked`` of closed tickets ÷ closed tickets."""
    tickets = _tickets(ctx)
    hours = tickets["hours_worked"].where(_closed(tickets))
    return blank_divide(ctx.grid.place(tickets, CLOSED_ROUTE).total(hours), closed_tickets(ctx))


def time_entry_hours(ctx: Context) -> np.ndarray:
    """Time-entry hours logged on the slice's closed tickets ÷ its closed tickets (BLANK without any)."""
    tickets = _tickets(ctx).drop_duplicates("ticket_id")
    entries = ctx.frames[TIME_ENTRIES]
    ticket_rows = pd.Index(tickets["ticket_id"]).get_indexer(entries["ticket_id"].to_numpy())
    on_ticket = ticket_rows >= 0
    routing = ["company_id", "assigned_resource_id", "queue_id", "completed_date",
               *(c for c in ATTRIBUTE_ROUTE.values() if c in tickets.columns)]
    routed = tickets.iloc[ticket_rows[on_ticket]][routing]
    routed = routed.reset_index(drop=True)
    hours = entries["hours_worked"].to_numpy()[on_ticket]
    hours = np.where(routed["completed_date"].notna().to_numpy(), hours, np.nan)
    logged = ctx.grid.place(routed, CLOSED_ROUTE).total(hours)
    return blank_divide(logged, closed_tickets(ctx))


MEASURES: dict[str, MeasureFunction] = {
    "Tickets - Opened": opened,
    "Tickets - Closed": closed,
    "Tickets - Open/Close Ratio": open_close_ratio,
    "Tickets - Backlog Change": backlog_change,
    "Tickets - Avg First Response (h)": avg_first_response_hours,
    "Tickets - Avg Resolution (h)": avg_resolution_hours,
    "Tickets - First Contact Resolution %": first_contact_resolution,
    "Tickets - SLA Compliance %": sla_compliance,
    "Tickets - Avg Hours per Ticket": avg_hours_per_ticket,
}
