"""The report page: :class:`ReportData` and its charts through the jinja2 template into one HTML file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from generator import __version__
from generator.report import charts, drill, format, portfolio, risk, weekly
from generator.report.data import MEASURES_USED, ReportData, Thresholds
from generator.report.visuals import CHART_VISUALS, CLIENT_CHARTS, VisualData

if TYPE_CHECKING:
    from generator.report.client import ClientPage
from generator.report.period import first_of_month, month_label

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]),
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                     keep_trailing_newline=True)
    environment.filters.update(pct=format.pct, count=format.count, pts=format.pts, signed_pts=format.signed_pts,
                               average=format.average, hours=format.hours, number=format.number,
                               long_date=format.long_date, month=month_label)
    environment.globals.update(month_span=format.month_span, MISSING=format.MISSING, and_list=format.and_list)
    return environment


CHART_ROWS = 30


def _ends(rows: list) -> list:
    """All rows, or the first and last ``CHART_ROWS / 2`` of a long list (the table below lists every row)."""
    half = CHART_ROWS // 2
    return rows if len(rows) <= CHART_ROWS else rows[:half] + rows[-half:]


#: Every chart the template may show; a chart without data to draw is empty, never a missing key.
CHARTS = ("distribution", "clients", "queues", "trend", "technicians", "risk")


def _visual(visuals: Mapping[str, VisualData], chart: str, index: int = 0) -> VisualData | None:
    """The ``index``-th report-spec visual the ``chart`` draws (:data:`visuals.CHART_VISUALS`), if evaluated."""
    refs = CHART_VISUALS[chart]
    return visuals.get(refs[index]) if index < len(refs) else None


def draw_charts(visuals: Mapping[str, VisualData], thresholds: Thresholds, window: list, ranked: list | None = None,
                bottom: Sequence = (), tiered_rows: list | None = None,
                names: tuple[str, ...] = CHARTS) -> dict[str, charts.Chart]:
    """Every chart of ``names`` drawn from its report-spec visual: an empty chart when the spec has no such visual
    or it has no rows to draw. The rows the HTML page ranks (``ranked`` clients: enough responses and response rate
    under this report's thresholds) and tiers (``tiered_rows``: not low-confidence) are chosen here, not by the
    visual."""
    drawn: dict[str, charts.Chart] = {}
    distribution = _visual(visuals, "distribution")
    if distribution is not None and distribution.rows:  # no row: every measure BLANK, no reviews
        drawn["distribution"] = charts.bars(distribution, distribution.rows, thresholds, "distribution")
    clients = _visual(visuals, "clients")
    if clients is not None and ranked:
        rows = _ends(clients.rows_of(c.name for c in ranked))
        if rows:
            drawn["clients"] = charts.bars(clients, rows, thresholds, "clients", [c.name for c in bottom])
    queues = _visual(visuals, "queues")
    if queues is not None and queues.rows:
        drawn["queues"] = charts.bars(queues, list(queues.rows), thresholds, "queues")
    area = _visual(visuals, "trend")
    if area is not None and area.rows:
        drawn["trend"] = charts.trend(area, _visual(visuals, "trend", 1), window, thresholds)
    scatter = _visual(visuals, "technicians")
    plotted = (scatter.role("x") + scatter.role("y")) if scatter is not None else ()
    if scatter is not None and len(plotted) == 2 and any(
            all(scatter.value(row, field) is not None for field in plotted) for row in scatter.rows):
        drawn["technicians"] = charts.technician_scatter(scatter, thresholds)
    tiers = _visual(visuals, "risk")
    if tiers is not None and tiered_rows:
        rows = _ends(tiers.rows_of(c.name for c in tiered_rows))
        if rows:
            drawn["risk"] = charts.risk_gaps(tiers, rows)
    return {name: drawn.get(name, charts.Chart()) for name in names}


def _charts(data: ReportData, ranked: list, bottom: list, tiered_rows: list) -> dict[str, charts.Chart]:
    """The chart of every name in :data:`CHARTS`."""
    if data.period is None:
        return {name: charts.Chart() for name in CHARTS}
    return draw_charts(data.visuals, data.thresholds, data.period.trend_window(), ranked, bottom, tiered_rows)


def context(data: ReportData, parameters_note: str = "") -> dict[str, Any]:
    """Everything the template reads."""
    th = data.thresholds
    ranked = risk.ranked_clients(data.clients, th)
    bottom = risk.bottom_clients(ranked)
    groups = risk.tiered([c for c in data.clients if not risk.is_low_confidence(c, th)])
    tiered_rows = [client for tier in risk.TIERS for client in groups[tier]]
    low = risk.low_confidence_clients(data.clients, th)
    queues = sorted(data.queues, key=lambda q: (-(q.happy or 0.0), q.name))
    technicians = sorted(data.technicians, key=lambda t: (t.happy is None, -(t.happy or 0.0), t.name))
    with_reviews = [row for row in data.months if row.responses]
    return {
        "data": data,
        "th": th,
        "period": data.period,
        "span": data.span,
        "headline": data.headline,
        "has_reviews": bool(data.headline is not None and data.headline.responses),
        "ranked": ranked,
        "top": ranked[:5],
        "bottom": bottom,
        "unranked": [c for c in data.clients if c not in ranked and not risk.is_idle(c)],
        "queues": queues,
        "months": data.months,
        "first_month": with_reviews[0] if with_reviews else None,
        "last_month": with_reviews[-1] if with_reviews else None,
        "window": (data.months[0].month, data.months[-1].month) if data.months else None,
        "technicians": technicians,
        "low": low,
        "idle": risk.idle_clients(data.clients),
        "status": risk.confidence_status,
        "is_low": lambda client: risk.is_low_confidence(client, th),
        "groups": groups,
        "tiers": risk.TIERS,
        "tiered_count": len(tiered_rows),
        "chart_rows": CHART_ROWS,
        "trend_label": lambda change: risk.trend_label(change, th),
        "actions": risk.recommended_actions(data),
        "charts": _charts(data, ranked, bottom, tiered_rows),
        "measures": (*MEASURES_USED, weekly.WOW),
        "untiered": [c for c in data.clients if c.tier and risk.is_low_confidence(c, th)],
        "drill_rule": {"min_unhappy": drill.MIN_UNHAPPY, "min_lift": drill.MIN_LIFT,
                       "shown": drill.SHOWN_PER_DIMENSION},
        "shares": {"bottom": portfolio.BOTTOM_SHARE, "top": portfolio.TOP_SHARE,
                   "days": portfolio.PROJECTION_DAYS},
        "version": __version__,
        "parameters_note": parameters_note,
        "period_start_month": first_of_month(data.period.start) if data.period else None,
    }


def render_html(data: ReportData, parameters_note: str = "") -> str:
    """The complete HTML page."""
    return _environment().get_template("report.html.j2").render(context(data, parameters_note))


def render_client_html(page: ClientPage) -> str:
    """The client's QBR page."""
    th = page.data.thresholds
    assert page.data.period is not None
    drawn = draw_charts(page.visuals, th, page.data.period.trend_window(), names=CLIENT_CHARTS)
    with_reviews = [row for row in page.months if row.responses]
    values = {
        "page": page, "c": page.client, "data": page.data, "th": th, "period": page.data.period,
        "span": page.data.span, "portfolio": page.data.headline, "headline": page.headline, "charts": drawn,
        "confident": bool(page.client.responses) and not risk.is_low_confidence(page.client, th),
        "trend_label": lambda change: risk.trend_label(change, th),
        "first_month": with_reviews[0] if with_reviews else None,
        "last_month": with_reviews[-1] if with_reviews else None,
        "drill_rule": {"min_unhappy": drill.MIN_UNHAPPY, "min_lift": drill.MIN_LIFT},
        "measures": (*MEASURES_USED, weekly.WOW), "version": __version__,
    }
    return _environment().get_template("client.html.j2").render(values)
