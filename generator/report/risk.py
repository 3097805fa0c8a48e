"""Risk tiers, trends, low-confidence status and the recommended actions of the report.

The tier of a client is the catalogue's ``CSAT - Risk Tier`` (the same measure Power BI shows):

* **High** — Happy % more than ``high_risk_gap_points`` below the target, or that many points or more below
  the portfolio's Happy % (``CSAT - Happy % vs Portfolio``);
* **Moderate** — Happy % below the target, or ``moderate_risk_gap_points`` or more below the portfolio;
* **Low** — otherwise.

The trend is the client's Happy % over the recent half of the trend window minus the earlier half, in points
(computed by the DAX engine); a change of at least ``moderate_risk_gap_points`` either way is *improving* or
*worsening*, anything smaller *stable*. The recommended actions are sentences built from these rows; this
module compares and orders values, it computes no figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.report.data import ClientRow, QueueRow, ReportData, TechnicianRow, Thresholds
from generator.report.format import and_list, count, hours, month_span, moved, pct, pts

TIERS = ("High", "Moderate", "Low")
BOTTOM_CLIENTS = 2


@dataclass(frozen=True)
class Action:
    """One recommended action: what to do, about whom, and the figures that call for it."""

    kind: str  # review | follow-up | watch | responses | queue | technician | monitor
    title: str
    detail: str


def trend_label(change: float | None, thresholds: Thresholds) -> str:
    """``improving``, ``worsening``, ``stable`` or ``no trend`` (a half of the window has no reviews)."""
    if change is None:
        return "no trend"
    if change >= thresholds.moderate_gap_points:
        return "improving"
    if change <= -thresholds.moderate_gap_points:
        return "worsening"
    return "stable"


def confidence_status(client: ClientRow) -> str:
    """``No data`` (no reviews in the period), ``Low confidence`` or ``OK``."""
    if not client.responses:
        return "No data"
    return "Low confidence" if client.low_confidence else "OK"


def is_low_confidence(client: ClientRow, thresholds: Thresholds) -> bool:
    """Fewer responses than the threshold (the catalogue's ``CSAT - Low Confidence``) or a response rate under
    the minimum."""
    rate_low = client.response_rate is not None and client.response_rate < thresholds.min_response_rate
    return client.low_confidence or rate_low


def ranked_clients(clients: Sequence[ClientRow], thresholds: Thresholds) -> list[ClientRow]:
    """Clients with enough responses, highest Happy % first (ties by name)."""
    rated = [c for c in clients if c.happy is not None and not is_low_confidence(c, thresholds)]
    return sorted(rated, key=lambda c: (-(c.happy or 0.0), c.name))


def bottom_clients(ranked: Sequence[ClientRow]) -> list[ClientRow]:
    """The two lowest-ranked clients and any other client in the High tier, lowest first."""
    chosen = list(ranked[-BOTTOM_CLIENTS:]) if len(ranked) > BOTTOM_CLIENTS else []
    chosen += [c for c in ranked if c.tier == "High" and c not in chosen]
    return sorted(chosen, key=lambda c: (c.happy or 0.0, c.name))


def low_confidence_clients(clients: Sequence[ClientRow], thresholds: Thresholds) -> list[ClientRow]:
    """Clients with closed tickets or reviews whose Happy % is not reliable: fewest responses first."""
    chosen = [c for c in clients if is_low_confidence(c, thresholds) and not is_idle(c)]
    return sorted(chosen, key=lambda c: (c.responses or 0, c.response_rate or 0.0, c.name))


def is_idle(client: ClientRow) -> bool:
    """No closed ticket and no review in the period."""
    return not client.responses and not client.tickets_closed


def idle_clients(clients: Sequence[ClientRow]) -> list[ClientRow]:
    """Clients with neither closed tickets nor reviews in the period, by name."""
    return sorted((c for c in clients if is_idle(c)), key=lambda c: c.name)


def tiered(clients: Sequence[ClientRow]) -> dict[str, list[ClientRow]]:
    """Clients with a tier, by tier, furthest below the portfolio first."""
    groups: dict[str, list[ClientRow]] = {tier: [] for tier in TIERS}
    for client in clients:
        if client.tier in groups:
            groups[client.tier].append(client)
    for rows in groups.values():
        rows.sort(key=lambda c: (c.vs_portfolio if c.vs_portfolio is not None else 0.0, c.name))
    return groups


def _names(clients: Sequence[ClientRow]) -> str:
    return and_list([c.name for c in clients])


def recommended_actions(data: ReportData) -> list[Action]:
    """The actions the period's figures call for, most urgent first."""
    th = data.thresholds
    if data.headline is None or not data.headline.responses:
        return _actions_without_reviews(data)
    actions: list[Action] = []
    confident = [c for c in data.clients if not is_low_confidence(c, th)]
    current = [c for c in confident if c.is_active]
    halves = data.trend_halves
    trend_words = (f", {month_span(*halves[1])} against {month_span(*halves[0])}" if halves else "")
    groups = tiered(current)
    for client in groups["High"]:
        actions.append(Action("review", f"Review {client.name} with its account manager",
                              f"{pct(client.happy)} happy and {pct(client.unhappy)} unhappy of "
                              f"{_responses(client.responses)}, {pts(client.vs_portfolio)} the portfolio; "
                              f"Happy % {_trend_words(client.trend, th)}{trend_words}."))
    for client in sorted(groups["Moderate"], key=lambda c: (trend_label(c.trend, th) != "worsening", c.name)):
        actions.append(Action("follow-up", f"Follow up with {client.name}",
                              f"{pct(client.happy)} happy, {pts(client.vs_target)} the {pct(th.target, 0)} target "
                              f"and {pts(client.vs_portfolio)} the portfolio; Happy % "
                              f"{_trend_words(client.trend, th)}{trend_words}."))
    for client in groups["Low"]:
        if trend_label(client.trend, th) == "worsening":
            actions.append(Action("watch", f"Watch {client.name}",
                                  f"{pct(client.happy)} happy over the period, but Happy % {moved(client.trend)}"
                                  f" ({pct(client.earlier_happy)} to {pct(client.recent_happy)}{trend_words})."))
    former = [c for c in confident if not c.is_active]
    if former:
        shown = "; ".join(f"{c.name} ({pct(c.happy)} happy, {c.tier or 'no'} risk)" for c in former)
        actions.append(Action("former", "Learn from the clients who left",
                              f"{shown}: compare their reviews with the churn reasons."))
    actions.extend(_low_confidence_actions(data))
    queue = _weakest_queue(data.queues, th)
    if queue is not None:
        actions.append(Action("queue", f"Look into the {queue.name} queue",
                              f"{pct(queue.happy)} happy and {pct(queue.unhappy)} unhappy of "
                              f"{_responses(queue.responses)}, the lowest Happy % of the queues."))
    technician = _weakest_technician(data.technicians, th)
    fastest = _fastest_technician(data.technicians)
    if technician is not None:
        speed = (", the shortest handle time of the team: check whether tickets are closed before the client "
                 "is satisfied" if fastest is technician else "")
        handle = (f", with {hours(technician.hours_per_ticket)} per ticket{speed}"
                  if technician.hours_per_ticket is not None else "")
        actions.append(Action("technician", f"Review closed tickets of {technician.name}",
                              f"{pct(technician.happy)} happy of {_responses(technician.responses)}, the "
                              f"lowest of the technicians{handle}."))
    if (fastest is not None and fastest is not technician and fastest.happy is not None
            and fastest.happy < th.target):
        actions.append(Action("pace", f"Check the pace of {fastest.name}",
                              f"{pct(fastest.happy)} happy of {_responses(fastest.responses)}, under the "
                              f"{pct(th.target, 0)} target, with the shortest handle time of the team "
                              f"({hours(fastest.hours_per_ticket)} per ticket): check whether tickets are closed "
                              f"before the client is satisfied."))
    actions.append(_monitor(data))
    return actions


def _trend_words(change: float | None, th: Thresholds) -> str:
    if change is None:
        return "has no trend yet"
    return f"{moved(change)} ({trend_label(change, th)})"


def _low_confidence_actions(data: ReportData) -> list[Action]:
    th = data.thresholds
    low = low_confidence_clients(data.clients, th)
    silent = [c for c in low if not c.responses]
    thin = [c for c in low if c.responses]
    actions = []
    if thin:
        actions.append(Action("responses", f"Raise survey responses at {_names(thin)}",
                              f"fewer than {th.min_responses} responses or a response rate under "
                              f"{pct(th.min_response_rate, 0)}: their Happy % is not reliable yet."))
    if silent:
        actions.append(Action("responses", f"Check the survey set-up for {_names(silent)}",
                              "closed tickets but returned no CSAT response: check that SmileBack surveys reach "
                              "them."))
    return actions


def _weakest_queue(queues: Sequence[QueueRow], th: Thresholds) -> QueueRow | None:
    rated = [q for q in queues if q.happy is not None and (q.responses or 0) >= th.min_responses]
    weakest = min(rated, key=lambda q: (q.happy, q.name), default=None)
    return weakest if weakest is not None and weakest.happy is not None and weakest.happy < th.target else None


def _weakest_technician(technicians: Sequence[TechnicianRow], th: Thresholds) -> TechnicianRow | None:
    """The technician with the lowest Happy % below the target, when there are two or more to compare."""
    rated = [t for t in technicians if t.happy is not None and not t.low_confidence]
    if len(rated) < 2:
        return None
    weakest = min(rated, key=lambda t: (t.happy, t.name), default=None)
    return weakest if weakest is not None and weakest.happy is not None and weakest.happy < th.target else None


def _fastest_technician(technicians: Sequence[TechnicianRow]) -> TechnicianRow | None:
    """The technician with the fewest hours per ticket (ties by name), among those with enough responses."""
    timed = [t for t in technicians if t.hours_per_ticket is not None and not t.low_confidence]
    return min(timed, key=lambda t: (t.hours_per_ticket, t.name), default=None)


def _monitor(data: ReportData) -> Action:
    th = data.thresholds
    headline = data.headline
    assert headline is not None
    trend = data.trend
    change = (f" From {month_span(trend.first, trend.first)} to {month_span(trend.last, trend.last)} Happy % "
              f"{moved(trend.happy_change)} and Unhappy % {moved(trend.unhappy_change)}."
              if trend.happy_change is not None else "")
    return Action("monitor", "Thresholds to monitor",
                  f"portfolio Happy % is {pct(headline.happy)}, {pts(headline.vs_target)} the {pct(th.target, 0)} "
                  f"target (industry median {pct(th.industry_median, 0)}, top quartile {pct(th.top_quartile, 0)}); "
                  f"a client is low confidence under {th.min_responses} responses or a "
                  f"{pct(th.min_response_rate, 0)} response rate.{change}")


def _actions_without_reviews(data: ReportData) -> list[Action]:
    if data.period is None:
        return [Action("responses", "Load data first",
                       "the database holds no CSAT reviews or closed tickets yet: run gen-measures load.")]
    actions = _low_confidence_actions(data)
    actions.append(Action("responses", "No CSAT reviews in this period",
                          "check that SmileBack reviews are being loaded, or choose another --period."))
    return actions


def _responses(number: int | None) -> str:
    """``1 response``, ``3,024 responses`` (a missing count as the page's dash)."""
    return f"{count(number)} {'response' if number == 1 else 'responses'}"
