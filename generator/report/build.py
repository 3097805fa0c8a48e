"""``gen-measures report``: read the period's figures through the DAX engine and write the HTML page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from generator.engine.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT, deadline
from generator.engine.run import Engine
from generator.engine.security_options import check_role_options
from generator.engine.session import connect_read_only
from generator.errors import ToolError
from generator.output import write_text_atomically
from generator.report import catalogue as cat
from generator.report import drill, followup, portfolio, risk, weekly
from generator.report.data import ReportData, Thresholds, collect, data_span, last_day
from generator.report.period import check_period, resolve_period
from generator.report.render import render_html
from generator.report.visuals import chart_visuals

INDUSTRY_MEDIAN = 85.0
TOP_QUARTILE = 92.0
MIN_RESPONSE_RATE = 20.0


@dataclass(frozen=True)
class ReportOptions:
    """What ``gen-measures report`` was asked for. Percentages are 0–100; None takes the specs' value."""

    db: str
    out: Path
    period: str | None = None
    industry_median: float = INDUSTRY_MEDIAN
    top_quartile: float = TOP_QUARTILE
    target: float | None = None
    min_responses: int | None = None
    min_response_rate: float = MIN_RESPONSE_RATE
    specs: Path | None = None
    timeout: float | None = DEFAULT_TIMEOUT  # seconds of database work; None or 0: no limit
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT
    follow_up_days: int = followup.DAYS
    roles: Sequence[str] | None = None  # row-level security roles the figures are evaluated under
    user: str | None = None  # the user principal name for the roles
    client: str | None = None  # write this client's QBR page instead of the portfolio report


@dataclass(frozen=True)
class ReportSummary:
    """What was written: the file, its period and the figures a caller may print."""

    out: Path
    period_label: str
    responses: int | None
    happy: float | None
    bytes_written: int


def _check(options: ReportOptions) -> None:
    for name, value in (("--industry-median", options.industry_median), ("--top-quartile", options.top_quartile),
                        ("--target", options.target), ("--min-response-rate", options.min_response_rate)):
        if value is not None and not 0 <= value <= 100:
            raise ToolError(f"{name} must be a percentage between 0 and 100, not {value:g}")
    if options.min_responses is not None and options.min_responses < 1:
        raise ToolError(f"--min-responses must be 1 or more, not {options.min_responses}")
    if options.follow_up_days < 1:
        raise ToolError(f"--follow-up-days must be 1 or more, not {options.follow_up_days}")
    if options.client is not None and not options.client.strip():
        raise ToolError("--client needs a client's name")
    check_role_options(list(options.roles) if options.roles else None, options.user)
    if options.out.exists() and options.out.is_dir():
        raise ToolError(f"--out {options.out} is a folder; give the path of the HTML file to write")


def _parameters_note(catalogue: cat.Catalogue) -> str:
    spec = catalogue.spec_parameters
    changed = []
    if cat.TARGET in catalogue.overridden:
        changed.append(f"a {spec[cat.TARGET] * 100:g} % target")
    if cat.MIN_RESPONSES in catalogue.overridden:
        changed.append(f"a low-confidence threshold of {spec[cat.MIN_RESPONSES]:g} responses")
    if not changed:
        return "The target and the response threshold are the catalogue's parameters (measures/*.yaml)."
    return "This report overrides catalogue parameters: the Power BI model uses " + " and ".join(changed) + "."


def report_thresholds(options: ReportOptions, catalogue: cat.Catalogue) -> Thresholds:
    """The report's settings for ``options``: its benchmarks, and the catalogue's target and risk parameters."""
    parameters = catalogue.parameters
    target = float(parameters[cat.TARGET])
    defaults = ((INDUSTRY_MEDIAN / 100, options.industry_median / 100),
                (TOP_QUARTILE / 100, options.top_quartile / 100),
                (float(catalogue.spec_parameters[cat.TARGET]), target))
    return Thresholds(
        industry_median=options.industry_median / 100, top_quartile=options.top_quartile / 100,
        target=target, min_responses=int(parameters[cat.MIN_RESPONSES]),
        min_response_rate=options.min_response_rate / 100, high_gap_points=float(parameters[cat.HIGH_GAP]),
        moderate_gap_points=float(parameters[cat.MODERATE_GAP]),
        benchmark_moves=tuple((default, value) for default, value in defaults if default != value))


def report_data(engine: Engine, options: ReportOptions, catalogue: cat.Catalogue,
                progress: Callable[[str], None] = lambda step: None) -> ReportData:
    """The figures of the report for ``options`` from an engine bound to ``catalogue``'s model; ``progress`` is told
    each step."""
    thresholds = report_thresholds(options, catalogue)
    progress("reading the data's dates")
    span = data_span(engine)
    period = resolve_period(options.period, span)
    if period is not None:
        progress(f"period {period.label}")
    data = collect(engine, period, span, thresholds, progress)
    if period is None:
        return data
    progress("charts")
    data = replace(data, visuals=chart_visuals(engine, catalogue.report, period))
    progress("weekly view")
    weeks = tuple(weekly.weeks(engine, period, span.latest))
    progress("drill-down")
    groups = risk.tiered([c for c in data.clients if not risk.is_low_confidence(c, thresholds)])
    drills = tuple(drill.drill_downs(engine, period, groups["High"] + groups["Moderate"], thresholds.min_responses))
    progress("follow-up list")
    follow_ups = followup.follow_ups(engine, last_day(period, span.latest), options.follow_up_days)
    progress("portfolio statements")
    return replace(data, weeks=weeks, drill_downs=drills, follow_ups=follow_ups,
                   portfolio=portfolio.statements(engine, data))


def engine_for(catalogue: cat.Catalogue, connection: duckdb.DuckDBPyConnection, options: ReportOptions) -> Engine:
    """The engine over ``connection`` bound to the catalogue's model, under ``options``' roles (if any)."""
    roles = list(options.roles) if options.roles else None
    return Engine(catalogue.model, connection, roles, options.user if roles else None)


def write_report(options: ReportOptions, progress: Callable[[str], None] = lambda step: None,
                 catalogue: cat.Catalogue | None = None) -> ReportSummary:
    """Evaluate the report's measures on ``options.db`` and write the page to ``options.out`` atomically;
    ``progress`` is told each step (the sections take seconds each on a large database). ``catalogue``: one already
    loaded (then ``options.specs``, ``target`` and ``min_responses`` are not read)."""
    check_period(options.period)
    _check(options)
    if catalogue is None:
        overrides = {cat.TARGET: None if options.target is None else options.target / 100,
                     cat.MIN_RESPONSES: options.min_responses}
        catalogue = cat.load_catalogue(options.specs, overrides)
    if options.client is not None:
        from generator.report.client import write_client_page

        return write_client_page(options, catalogue, progress)
    connection = connect_read_only(options.db, options.memory_limit)
    try:
        with deadline(connection, options.timeout, options.memory_limit):
            data = report_data(engine_for(catalogue, connection, options), options, catalogue, progress)
    finally:
        connection.close()
    progress("rendering the page")
    html = render_html(data, _parameters_note(catalogue))
    write_text_atomically(options.out, html)
    headline = data.headline
    return ReportSummary(options.out, data.period.label if data.period else "no data",
                         headline.responses if headline else None, headline.happy if headline else None,
                         len(html.encode("utf-8")))
