"""``gen-measures report --client NAME``: one client's QBR page, printable.

The page holds the client's headline and distribution, its monthly trend with the gap to the portfolio, its
queues, technicians and ticket categories (every drill-down dimension the model has), where its unhappy ratings
concentrate, its contacts' survey fatigue, recovery and reviews awaiting follow-up, and its comments. Every
figure is a catalogue measure evaluated by the engine under the period's date filter and a filter on the client
(``TREATAS`` over the company key, as a slicer on the client does), with the same row-level security roles as
the portfolio report.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from generator.engine.limits import deadline
from generator.engine.run import Engine
from generator.engine.session import connect_read_only
from generator.errors import ToolError
from generator.output import write_text_atomically
from generator.report import drill, followup, risk
from generator.report.data import (
    HAPPY,
    TOTAL,
    UNHAPPY,
    VS_PORTFOLIO,
    ClientRow,
    Headline,
    MonthRow,
    QueueRow,
    ReportData,
    TechnicianRow,
    as_day,
    as_float,
    as_int,
    client_scope,
    clients,
    data_span,
    dates_between,
    dax_columns,
    headline,
    last_day,
    months,
    query_rows,
    queues,
    ref,
    technicians,
    trend_change,
    trend_halves,
)
from generator.report.followup import REVIEWS, FollowUp
from generator.report.period import last_of_month, resolve_period
from generator.report.visuals import CLIENT_CHARTS, VisualData, chart_visuals
from generator.spec.report import EMPTY_REPORT, Report

if TYPE_CHECKING:
    from generator.report import catalogue as cat
    from generator.report.build import ReportOptions, ReportSummary

COMMENTS = 40  # the newest comments shown
#: the per-contact measures of the guides the page shows when the catalogue has them
CONTACT_MEASURES = (("Fatigue", "CSAT - Survey Fatigue %"), ("Recovery", "CSAT - Client Recovery Rate %"),
                    ("Awaiting", "CSAT - Reviews Awaiting Follow-up"))


@dataclass(frozen=True)
class ContactFigures:
    """The client's contacts over the period: share of responses within 72 h of the contact's previous one,
    share of unhappy reviews followed by a happy one from the same contact within 30 days, and unhappy or neutral
    reviews SmileBack shows as open (catalogue measures; None where BLANK)."""

    fatigue: float | None
    recovery: float | None
    awaiting: int | None


@dataclass(frozen=True)
class CategoryRow:
    """One member of a dimension for the client."""

    name: str
    responses: int | None
    happy: float | None
    unhappy: float | None


@dataclass(frozen=True)
class ClientPage:
    """Everything the client's page shows."""

    data: ReportData  # the portfolio's period, span, thresholds and headline, with the client's rows
    client: ClientRow
    headline: Headline
    months: tuple[MonthRow, ...]
    month_gaps: dict[Any, float | None]  # month start → points against the portfolio
    queues: tuple[QueueRow, ...]
    technicians: tuple[TechnicianRow, ...]
    categories: tuple[tuple[str, tuple[CategoryRow, ...]], ...]  # (dimension plural, rows)
    drill_down: drill.DrillDown | None
    comments: tuple[FollowUp, ...]
    comment_count: int
    visuals: Mapping[str, VisualData] = field(default_factory=dict)  # its charts' report-spec visuals
    contacts: ContactFigures | None = None  # None when the catalogue lacks the per-contact measures


def company_names(engine: Engine) -> dict[str, int]:
    """Every client name the engine shows (under its roles) and its company id (the lowest for a shared name)."""
    rows = query_rows(engine, "EVALUATE SUMMARIZECOLUMNS ( BI_Autotask_Companies[company_name], "
                              "\"Id\", MIN ( BI_Autotask_Companies[company_id] ) )")
    return {row["BI_Autotask_Companies[company_name]"]: int(row["[Id]"]) for row in rows
            if row["BI_Autotask_Companies[company_name]"] is not None and row["[Id]"] is not None}


def find_client(names: dict[str, int], wanted: str) -> tuple[str, int]:
    """The client named ``wanted`` (exactly, else ignoring case and outer spaces); a ToolError naming the closest
    names otherwise."""
    if wanted in names:
        return wanted, names[wanted]
    folded = {name.casefold(): name for name in names}
    key = wanted.strip().casefold()
    if key in folded:
        return folded[key], names[folded[key]]
    close = difflib.get_close_matches(key, list(folded), n=3, cutoff=0.5)
    hint = (" did you mean " + " or ".join(repr(folded[name]) for name in close) + "?" if close
            else " run gen-measures query \"EVALUATE VALUES ( BI_Autotask_Companies[company_name] )\" for the names.")
    raise ToolError(f"--client {wanted!r}: no client of that name in the data;{hint}")


def _categories(engine: Engine, data: ReportData, scope: str,
                dimensions: list[drill.Dimension]) -> tuple[tuple[str, tuple[CategoryRow, ...]], ...]:
    assert data.period is not None
    pairs = [("Responses", ref(TOTAL)), ("Happy", ref(HAPPY)), ("Unhappy", ref(UNHAPPY))]
    result = []
    for dimension in dimensions:
        text = (f"EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( {dimension.reference}, {dax_columns(pairs)} ), "
                f"{dates_between(data.period.start, data.period.end)}, {scope} )")
        rows = [CategoryRow(drill.member_label(row[dimension.reference]), as_int(row["[Responses]"]),
                            as_float(row["[Happy]"]), as_float(row["[Unhappy]"]))
                for row in query_rows(engine, text) if row["[Responses]"] is not None
                and row[dimension.reference] is not None]
        rows.sort(key=lambda r: (-(r.responses or 0), r.name))
        result.append((dimension.many, tuple(rows)))
    return tuple(result)


def _month_gaps(engine: Engine, window: list[Any], scope: str) -> dict[Any, float | None]:
    text = (f"EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( BI_Date[month_start], \"Gap\", {ref(VS_PORTFOLIO)} ), "
            f"{dates_between(window[0], last_of_month(window[-1]))}, {scope} )")
    return {as_day(row["BI_Date[month_start]"]): as_float(row["[Gap]"]) for row in query_rows(engine, text)}


def _contact_figures(engine: Engine, data: ReportData, scope: str) -> ContactFigures | None:
    """The per-contact measures for the client over the period; None when the catalogue lacks one of them."""
    assert data.period is not None
    if any(engine.model.measure(name) is None for _, name in CONTACT_MEASURES):
        return None
    pairs = [(label, ref(name)) for label, name in CONTACT_MEASURES]
    row = query_rows(engine, f"EVALUATE CALCULATETABLE ( ROW ( {dax_columns(pairs)} ), "
                             f"{dates_between(data.period.start, data.period.end)}, {scope} )")[0]
    return ContactFigures(as_float(row["[Fatigue]"]), as_float(row["[Recovery]"]), as_int(row["[Awaiting]"]))


def client_page(engine: Engine, data: ReportData, name: str, company_id: int,
                progress: Callable[[str], None] = lambda step: None, report: Report = EMPTY_REPORT) -> ClientPage:
    """The figures of the page of the client ``company_id`` over ``data``'s period; its charts are the ``report``
    spec's visuals under the client's filter."""
    assert data.period is not None
    period, th = data.period, data.thresholds
    scope = client_scope(company_id)
    progress(f"client {name}")
    window = period.trend_window()
    rows = [c for c in clients(engine, period, th, trend_halves(window)) if c.company_id == company_id]
    client = rows[0] if rows else ClientRow(company_id, name, True, None, None, None, None, True, None, None, None,
                                            None, None)
    top = headline(engine, period, th, scope)
    month_rows = months(engine, window, scope)
    trend = trend_change(engine, month_rows, scope)
    looked_at = drill.available(engine)
    ticket_dimensions = [d for d in looked_at if d.label not in ("queue", "technician")]
    confident = not risk.is_low_confidence(client, th) and client.responses
    drills = drill.drill_downs(engine, period, [client], th.min_responses) if confident else []
    last = last_day(period, data.span.latest)
    comments = followup.review_rows(engine, period.start, last, f"NOT ISBLANK ( {REVIEWS}[comment] )", scope)
    return ClientPage(
        data=ReportData(period, data.span, th, data.headline, tuple(rows), (), tuple(month_rows), trend,
                        trend_halves(window), ()),
        client=client, headline=top, months=tuple(month_rows), month_gaps=_month_gaps(engine, window, scope),
        queues=tuple(queues(engine, period, scope)), technicians=tuple(technicians(engine, period, scope)),
        categories=_categories(engine, data, scope, ticket_dimensions), drill_down=drills[0] if drills else None,
        comments=tuple(comments[:COMMENTS]), comment_count=len(comments),
        visuals=chart_visuals(engine, report, period, CLIENT_CHARTS, scope),
        contacts=_contact_figures(engine, data, scope))


def write_client_page(options: ReportOptions, catalogue: cat.Catalogue,
                      progress: Callable[[str], None] = lambda step: None) -> ReportSummary:
    """Evaluate the client's page on ``options.db`` and write it to ``options.out`` atomically."""
    from generator.report.build import ReportSummary, engine_for, report_thresholds
    from generator.report.render import render_client_html

    assert options.client is not None
    connection = connect_read_only(options.db, options.memory_limit)
    try:
        with deadline(connection, options.timeout, options.memory_limit):
            engine = engine_for(catalogue, connection, options)
            name, company_id = find_client(company_names(engine), options.client)
            thresholds = report_thresholds(options, catalogue)
            progress("reading the data's dates")
            span = data_span(engine)
            period = resolve_period(options.period, span)
            if period is None:
                raise ToolError(f"--client {name!r}: the database holds no CSAT reviews or closed tickets yet")
            progress(f"period {period.label}")
            portfolio = ReportData(period, span, thresholds, headline(engine, period, thresholds), (), (),
                                   (), trend_change(engine, []), None, ())
            page = client_page(engine, portfolio, name, company_id, progress, catalogue.report)
    finally:
        connection.close()
    progress("rendering the page")
    html = render_client_html(page)
    write_text_atomically(options.out, html)
    return ReportSummary(options.out, f"{name}, {period.label}", page.headline.responses, page.headline.happy,
                         len(html.encode("utf-8")))
