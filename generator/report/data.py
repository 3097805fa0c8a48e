"""The report's figures: catalogue measures evaluated by the DAX engine, as plain dataclasses.

Every number here is a value of a DAX query over the catalogue's measures (``CSAT - Happy %``, ``Tickets -
Closed`` …), filtered to the report's period with ``DATESBETWEEN`` on the date table, the way a Power BI
visual with a date slicer evaluates them. Differences in points (against a benchmark, a target or an earlier
window) are computed in the same DAX queries. Python only chooses, orders and labels rows; it computes none
of the figures. BLANK stays ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.dax.names import dax_measure
from generator.engine.run import Engine
from generator.report.period import DataSpan, Period, add_months, last_of_month

if TYPE_CHECKING:  # the modules of the later sections read this one
    from generator.report.drill import DrillDown
    from generator.report.followup import FollowUps
    from generator.report.portfolio import Portfolio
    from generator.report.visuals import VisualData
    from generator.report.weekly import WeekRow

# the catalogue measures the report reads (names are the public contract, DESIGN section 3)
TOTAL = "CSAT - Total Ratings"
POSITIVE = "CSAT - Positive"
NEUTRAL_COUNT = "CSAT - Neutral"
NEGATIVE = "CSAT - Negative"
HAPPY = "CSAT - Happy %"
NEUTRAL = "CSAT - Neutral %"
UNHAPPY = "CSAT - Unhappy %"
AVERAGE = "CSAT - Average Rating"
NET = "CSAT - Net Sentiment"
LOW_CONFIDENCE = "CSAT - Low Confidence"
VS_PORTFOLIO = "CSAT - Happy % vs Portfolio"
RISK_TIER = "CSAT - Risk Tier"
MOM = "CSAT - Happy % MoM Change"
SURVEYS = "SB - Survey Responses"
RESPONSE_RATE = "SB - Survey Response Rate %"
CLOSED = "Tickets - Closed"
HOURS_PER_TICKET = "Tickets - Avg Hours per Ticket"
MEASURES_USED = (TOTAL, POSITIVE, NEUTRAL_COUNT, NEGATIVE, HAPPY, NEUTRAL, UNHAPPY, AVERAGE, NET, LOW_CONFIDENCE,
                 VS_PORTFOLIO, RISK_TIER, MOM, SURVEYS, RESPONSE_RATE, CLOSED, HOURS_PER_TICKET)


@dataclass(frozen=True)
class Thresholds:
    """The report's settings, as fractions (0.85 = 85 %) and counts."""

    industry_median: float
    top_quartile: float
    target: float
    min_responses: int
    min_response_rate: float
    high_gap_points: float
    moderate_gap_points: float
    # (default, this report's value) of each benchmark the report was asked to move: a chart's reference line at
    # the default is drawn at the report's value (see charts.benchmark_lines)
    benchmark_moves: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Headline:
    """The portfolio over the period."""

    responses: int | None
    happy_count: int | None
    neutral_count: int | None
    unhappy_count: int | None
    happy: float | None
    neutral: float | None
    unhappy: float | None
    average: float | None
    net_sentiment: float | None
    vs_median: float | None  # points
    vs_top_quartile: float | None
    vs_target: float | None
    tickets_closed: int | None
    survey_responses: int | None
    response_rate: float | None


@dataclass(frozen=True)
class ClientRow:
    """One client over the period, with its trend over the trend window."""

    company_id: int | None
    name: str
    is_active: bool
    responses: int | None
    happy: float | None
    neutral: float | None
    unhappy: float | None
    low_confidence: bool
    vs_portfolio: float | None
    vs_target: float | None
    tier: str | None
    tickets_closed: int | None
    response_rate: float | None
    recent_happy: float | None = None
    earlier_happy: float | None = None
    trend: float | None = None  # points: recent half of the trend window minus the earlier half
    unhappy_count: int | None = None


@dataclass(frozen=True)
class QueueRow:
    """One service queue over the period."""

    name: str
    responses: int | None
    happy: float | None
    neutral: float | None
    unhappy: float | None
    average: float | None
    net_sentiment: float | None


@dataclass(frozen=True)
class MonthRow:
    """One month of the trend window (None everywhere when the month has no reviews)."""

    month: dt.date
    responses: int | None
    happy: float | None
    unhappy: float | None
    mom_change: float | None


@dataclass(frozen=True)
class TrendChange:
    """The change from the first to the last month with reviews in the trend window, in points."""

    first: dt.date | None
    last: dt.date | None
    happy_change: float | None
    unhappy_change: float | None


@dataclass(frozen=True)
class TechnicianRow:
    """One technician over the period."""

    name: str
    responses: int | None
    happy: float | None
    unhappy: float | None
    low_confidence: bool
    hours_per_ticket: float | None
    tickets_closed: int | None


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows."""

    period: Period | None
    span: DataSpan
    thresholds: Thresholds
    headline: Headline | None
    clients: tuple[ClientRow, ...]
    queues: tuple[QueueRow, ...]
    months: tuple[MonthRow, ...]
    trend: TrendChange
    trend_halves: tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]] | None
    technicians: tuple[TechnicianRow, ...]
    weeks: tuple[WeekRow, ...] = ()
    drill_downs: tuple[DrillDown, ...] = ()
    follow_ups: FollowUps | None = None
    portfolio: Portfolio | None = None
    visuals: Mapping[str, VisualData] = field(default_factory=dict)  # the charts' report-spec visuals, by page/visual


def last_day(period: Period, latest: dt.date | None) -> dt.date:
    """The report's last day: the period's end, or the data's latest day when that comes first."""
    return min(period.end, latest) if latest is not None else period.end


# --- DAX text ---------------------------------------------------------------------------------------------

def dax_date(day: dt.date) -> str:
    """A DAX DATE literal."""
    return f"DATE ( {day.year}, {day.month}, {day.day} )"


def dates_between(start: dt.date, end: dt.date) -> str:
    """The date-table filter for the days from ``start`` to ``end``."""
    return f"DATESBETWEEN ( BI_Date[date], {dax_date(start)}, {dax_date(end)} )"


def ref(measure: str) -> str:
    """A measure reference."""
    return dax_measure(measure)


def number(value: float) -> str:
    """A DAX numeric literal."""
    return format(value, ".12g")


def points_gap(measure: str, baseline: float) -> str:
    """``measure`` minus a fixed fraction, in points; BLANK when the measure is BLANK."""
    return f"IF ( NOT ISBLANK ( {ref(measure)} ), ( {ref(measure)} - {number(baseline)} ) * 100 )"


def window_change(measure: str, recent: tuple[dt.date, dt.date], earlier: tuple[dt.date, dt.date]) -> str:
    """``measure`` over ``recent`` minus over ``earlier``, in points; BLANK unless both have a value."""
    return (f"VAR Recent = CALCULATE ( {ref(measure)}, {dates_between(*recent)} ) "
            f"VAR Earlier = CALCULATE ( {ref(measure)}, {dates_between(*earlier)} ) "
            "RETURN IF ( NOT ISBLANK ( Recent ) && NOT ISBLANK ( Earlier ), ( Recent - Earlier ) * 100 )")


def dax_columns(pairs: Sequence[tuple[str, str]]) -> str:
    """``"Name", expression`` pairs of a SUMMARIZECOLUMNS or ROW."""
    return ", ".join(f'"{name}", {expression}' for name, expression in pairs)


def _summarize(groups: Sequence[str], pairs: Sequence[tuple[str, str]], start: dt.date, end: dt.date,
               scope: str = "") -> str:
    group_text = ", ".join(groups)
    return (f"EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( {group_text}, {dax_columns(pairs)} ), "
            f"{dates_between(start, end)}{_and(scope)} )")


def _and(scope: str) -> str:
    """A further filter argument of CALCULATETABLE (none when ``scope`` is empty)."""
    return f", {scope}" if scope else ""


def client_scope(company_id: int) -> str:
    """The filter that keeps one client (a TREATAS over the company key, as a slicer on the client does)."""
    return f"TREATAS ( {{ {int(company_id)} }}, BI_Autotask_Companies[company_id] )"


def query_rows(engine: Engine, text: str) -> list[dict[str, Any]]:
    """The rows of the query's first result, keyed by column name."""
    return engine.query(text)[0].records()


def as_int(value: Any) -> int | None:
    """An integer, BLANK staying None."""
    return None if value is None else int(value)


def as_float(value: Any) -> float | None:
    """A float, BLANK staying None."""
    return None if value is None else float(value)


# --- queries ----------------------------------------------------------------------------------------------

def data_span(engine: Engine) -> DataSpan:
    """The first and latest day with a CSAT review, a survey response or a closed ticket."""
    facts = ("BI_SmileBack_Reviews[rated_date]", "BI_SmileBack_Surveys[survey_date]",
             "BI_Autotask_Tickets[completed_date]")
    pairs = [(f"Latest{index}", f"MAX ( {column} )") for index, column in enumerate(facts)]
    pairs += [(f"Earliest{index}", f"MIN ( {column} )") for index, column in enumerate(facts)]
    row = engine.query(f"EVALUATE ROW ( {dax_columns(pairs)} )")[0].rows[0]
    days = [value.date() if isinstance(value, dt.datetime) else value for value in row]
    latest = [day for day in days[: len(facts)] if day is not None]
    earliest = [day for day in days[len(facts):] if day is not None]
    return DataSpan(min(earliest) if earliest else None, max(latest) if latest else None)


def headline(engine: Engine, period: Period, thresholds: Thresholds, scope: str = "") -> Headline:
    """The portfolio's (or the ``scope`` filter's) distribution, average, Net Sentiment, benchmarks and response
    rate."""
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(POSITIVE)), ("Neutral", ref(NEUTRAL_COUNT)),
             ("Unhappy", ref(NEGATIVE)), ("HappyPct", ref(HAPPY)), ("NeutralPct", ref(NEUTRAL)),
             ("UnhappyPct", ref(UNHAPPY)), ("Average", ref(AVERAGE)), ("Net", ref(NET)),
             ("VsMedian", points_gap(HAPPY, thresholds.industry_median)),
             ("VsTopQuartile", points_gap(HAPPY, thresholds.top_quartile)),
             ("VsTarget", points_gap(HAPPY, thresholds.target)),
             ("Closed", ref(CLOSED)), ("Surveys", ref(SURVEYS)), ("ResponseRate", ref(RESPONSE_RATE))]
    text = (f"EVALUATE CALCULATETABLE ( ROW ( {dax_columns(pairs)} ), "
            f"{dates_between(period.start, period.end)}{_and(scope)} )")
    row = query_rows(engine, text)[0]
    return Headline(
        responses=as_int(row["[Responses]"]), happy_count=as_int(row["[Happy]"]),
        neutral_count=as_int(row["[Neutral]"]), unhappy_count=as_int(row["[Unhappy]"]),
        happy=as_float(row["[HappyPct]"]), neutral=as_float(row["[NeutralPct]"]), unhappy=as_float(row["[UnhappyPct]"]),
        average=as_float(row["[Average]"]), net_sentiment=as_float(row["[Net]"]),
        vs_median=as_float(row["[VsMedian]"]), vs_top_quartile=as_float(row["[VsTopQuartile]"]),
        vs_target=as_float(row["[VsTarget]"]), tickets_closed=as_int(row["[Closed]"]),
        survey_responses=as_int(row["[Surveys]"]), response_rate=as_float(row["[ResponseRate]"]))


def trend_halves(window: Sequence[dt.date]) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The earlier and the recent half of the trend window as (first day, last day) pairs.

    The recent half is the last ``len(window) // 2`` months (at least one); the earlier half the rest.
    """
    recent_count = max(1, len(window) // 2)
    earlier = window[:-recent_count] or [add_months(window[0], -1)]
    recent = window[-recent_count:]
    return (earlier[0], last_of_month(earlier[-1])), (recent[0], last_of_month(recent[-1]))


def clients(engine: Engine, period: Period, thresholds: Thresholds,
            halves: tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]) -> list[ClientRow]:
    """Every client with reviews or closed tickets in the period, and every active client."""
    earlier, recent = halves
    groups = ["BI_Autotask_Companies[company_id]", "BI_Autotask_Companies[company_name]",
              "BI_Autotask_Companies[is_active]"]
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(HAPPY)), ("Neutral", ref(NEUTRAL)),
             ("Unhappy", ref(UNHAPPY)), ("UnhappyCount", ref(NEGATIVE)), ("LowConfidence", ref(LOW_CONFIDENCE)),
             ("VsPortfolio", ref(VS_PORTFOLIO)), ("VsTarget", points_gap(HAPPY, thresholds.target)),
             ("Tier", ref(RISK_TIER)), ("Closed", ref(CLOSED)), ("ResponseRate", ref(RESPONSE_RATE))]
    rows = query_rows(engine, _summarize(groups, pairs, period.start, period.end))
    trend_pairs = [("Recent", f"CALCULATE ( {ref(HAPPY)}, {dates_between(*recent)} )"),
                   ("Earlier", f"CALCULATE ( {ref(HAPPY)}, {dates_between(*earlier)} )"),
                   ("Change", window_change(HAPPY, recent, earlier))]
    trend_text = (f"EVALUATE SUMMARIZECOLUMNS ( BI_Autotask_Companies[company_id], {dax_columns(trend_pairs)} )")
    trends = {row["BI_Autotask_Companies[company_id]"]: row for row in query_rows(engine, trend_text)}
    result = []
    for row in rows:
        company_id = row["BI_Autotask_Companies[company_id]"]
        active = bool(row["BI_Autotask_Companies[is_active]"])
        if not active and row["[Responses]"] is None and row["[Closed]"] is None:
            continue  # a former client with nothing in the period
        trend = trends.get(company_id, {})
        name = row["BI_Autotask_Companies[company_name]"]
        result.append(ClientRow(
            company_id=as_int(company_id), name=name if name is not None else "(client not in Autotask)",
            is_active=active, responses=as_int(row["[Responses]"]), happy=as_float(row["[Happy]"]),
            neutral=as_float(row["[Neutral]"]), unhappy=as_float(row["[Unhappy]"]),
            low_confidence=bool(row["[LowConfidence]"]), vs_portfolio=as_float(row["[VsPortfolio]"]),
            vs_target=as_float(row["[VsTarget]"]), tier=row["[Tier]"], tickets_closed=as_int(row["[Closed]"]),
            response_rate=as_float(row["[ResponseRate]"]), recent_happy=as_float(trend.get("[Recent]")),
            earlier_happy=as_float(trend.get("[Earlier]")), trend=as_float(trend.get("[Change]")),
            unhappy_count=as_int(row["[UnhappyCount]"])))
    # SUMMARIZECOLUMNS has no row order: sort, so that every list on the page is stable.
    return sorted(result, key=lambda client: (client.name, client.company_id or 0))


def queues(engine: Engine, period: Period, scope: str = "") -> list[QueueRow]:
    """Every service queue with reviews in the period (under the ``scope`` filter)."""
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(HAPPY)), ("Neutral", ref(NEUTRAL)),
             ("Unhappy", ref(UNHAPPY)), ("Average", ref(AVERAGE)), ("Net", ref(NET))]
    rows = query_rows(engine, _summarize(["BI_Autotask_Queues[queue_name]"], pairs, period.start, period.end,
                                         scope))
    rows = sorted(rows, key=lambda row: str(row["BI_Autotask_Queues[queue_name]"] or ""))
    return [QueueRow(name=row["BI_Autotask_Queues[queue_name]"] or "(no queue)",
                     responses=as_int(row["[Responses]"]), happy=as_float(row["[Happy]"]),
                     neutral=as_float(row["[Neutral]"]), unhappy=as_float(row["[Unhappy]"]),
                     average=as_float(row["[Average]"]), net_sentiment=as_float(row["[Net]"]))
            for row in rows if row["[Responses]"] is not None]


def months(engine: Engine, window: Sequence[dt.date], scope: str = "") -> list[MonthRow]:
    """Every month of the trend window (months without reviews have None values), under the ``scope`` filter."""
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(HAPPY)), ("Unhappy", ref(UNHAPPY)), ("MoM", ref(MOM))]
    rows = query_rows(engine, _summarize(["BI_Date[month_start]"], pairs, window[0], last_of_month(window[-1]),
                                         scope))
    found = {as_day(row["BI_Date[month_start]"]): row for row in rows}
    result = []
    for month in window:
        row = found.get(month, {})
        result.append(MonthRow(month, as_int(row.get("[Responses]")), as_float(row.get("[Happy]")),
                               as_float(row.get("[Unhappy]")), as_float(row.get("[MoM]"))))
    return result


def trend_change(engine: Engine, rows: Sequence[MonthRow], scope: str = "") -> TrendChange:
    """Happy % and Unhappy % of the last month with reviews minus the first one, in points (under ``scope``)."""
    with_data = [row.month for row in rows if row.responses]
    if len(with_data) < 2:
        return TrendChange(with_data[0] if with_data else None, None, None, None)
    first = (with_data[0], last_of_month(with_data[0]))
    last = (with_data[-1], last_of_month(with_data[-1]))
    pairs = [("Happy", window_change(HAPPY, last, first)), ("Unhappy", window_change(UNHAPPY, last, first))]
    text = (f"EVALUATE CALCULATETABLE ( ROW ( {dax_columns(pairs)} ), {scope} )" if scope
            else f"EVALUATE ROW ( {dax_columns(pairs)} )")
    row = query_rows(engine, text)[0]
    return TrendChange(first[0], last[0], as_float(row["[Happy]"]), as_float(row["[Unhappy]"]))


def technicians(engine: Engine, period: Period, scope: str = "") -> list[TechnicianRow]:
    """Every technician with reviews or closed tickets in the period (under the ``scope`` filter)."""
    groups = ["BI_Autotask_Resources[resource_id]", "BI_Autotask_Resources[technician_name]"]
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(HAPPY)), ("Unhappy", ref(UNHAPPY)),
             ("LowConfidence", ref(LOW_CONFIDENCE)), ("Hours", ref(HOURS_PER_TICKET)), ("Closed", ref(CLOSED))]
    rows = sorted(query_rows(engine, _summarize(groups, pairs, period.start, period.end, scope)),
                  key=lambda row: (str(row["BI_Autotask_Resources[technician_name]"] or ""),
                                   row["BI_Autotask_Resources[resource_id]"] or 0))
    return [TechnicianRow(name=row["BI_Autotask_Resources[technician_name]"] or "(unassigned)",
                          responses=as_int(row["[Responses]"]), happy=as_float(row["[Happy]"]),
                          unhappy=as_float(row["[Unhappy]"]), low_confidence=bool(row["[LowConfidence]"]),
                          hours_per_ticket=as_float(row["[Hours]"]), tickets_closed=as_int(row["[Closed]"]))
            for row in rows if row["[Responses]"] is not None or row["[Closed]"] is not None]


def as_day(value: Any) -> dt.date:
    """A date from a DATE or DATETIME value."""
    return value.date() if isinstance(value, dt.datetime) else value


def collect(engine: Engine, period: Period | None, span: DataSpan, thresholds: Thresholds,
            progress: Callable[[str], None] = lambda step: None) -> ReportData:
    """Run every query of the report for ``period`` (None: no data to place a relative period in); ``progress`` is
    told the name of each section before its queries run."""
    if period is None:
        return ReportData(None, span, thresholds, None, (), (), (), TrendChange(None, None, None, None), None, ())
    window = period.trend_window()
    halves = trend_halves(window)
    progress("monthly trend")
    month_rows = months(engine, window)
    trend = trend_change(engine, month_rows)
    progress("headline")
    top = headline(engine, period, thresholds)
    progress("clients")
    client_rows = tuple(clients(engine, period, thresholds, halves))
    progress("queues")
    queue_rows = tuple(queues(engine, period))
    progress("technicians")
    technician_rows = tuple(technicians(engine, period))
    return ReportData(period=period, span=span, thresholds=thresholds, headline=top, clients=client_rows,
                      queues=queue_rows, months=tuple(month_rows), trend=trend, trend_halves=halves,
                      technicians=technician_rows)
