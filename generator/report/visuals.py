"""The HTML report's charts come from the report spec (``report/*.yaml``), the one the Power BI pages are built
from, so the two reports cannot disagree.

:data:`CHART_VISUALS` is the one place that links a chart of the HTML page to its page visual(s). A chart takes
its measures, category column, sort order, reference lines and title from the visual, and its numbers from the
visual's own DAX query (:func:`generator.powerbi.visual_query.visual_query`, the query Power BI sends for it)
evaluated by the engine under the report's period, as the page's period slicer would filter it. What a chart
needs beyond its visual (which rows the HTML page ranks, the months of the trend window, colours by tier or
target) stays in :mod:`generator.report.render` and :mod:`generator.report.charts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.engine.run import Engine
from generator.powerbi.visual_query import visual_query
from generator.report.data import dates_between, query_rows
from generator.report.period import Period, last_of_month
from generator.spec.report import Field, Report, Visual

#: HTML chart → the ``page/visual`` names of report/*.yaml it draws (the trend: the area, then the line whose
#: secondary axis it adds).
CHART_VISUALS: dict[str, tuple[str, ...]] = {
    "distribution": ("headline/benchmarks",),
    "clients": ("clients/ranked",),
    "queues": ("queues/happy_by_queue",),
    "trend": ("trend/happy_area", "trend/happy_unhappy"),
    "technicians": ("technicians/happy_vs_hours",),
    "risk": ("risk/tiers",),
}
#: The charts of a client's QBR page (``report --client``): the same visuals under the client's filter.
CLIENT_CHARTS = ("distribution", "trend", "queues")
#: Charts over the trend window (the months before the period's end) rather than the period.
WINDOW_CHARTS = ("trend",)


def column_key(field: Field) -> str:
    """The field's column in a query result: ``[Measure]`` or ``Table[column]``."""
    return f"[{field.name}]" if field.is_measure else f"{field.table}[{field.name}]"


@dataclass(frozen=True)
class VisualData:
    """One visual of the report spec and its rows, as the engine evaluated its query for the report."""

    ref: str  # page/visual
    visual: Visual
    page_title: str
    rows: tuple[dict[str, Any], ...]
    percent: frozenset[str]  # the names of its measures formatted as a percentage

    @property
    def title(self) -> str:
        """The visual's title."""
        return self.visual.title

    @property
    def source(self) -> str:
        """Where the chart comes from, for its caption."""
        return f"the visual “{self.visual.title}” of the Power BI page {self.page_title} ({self.visual.origin.file})"

    def role(self, name: str) -> tuple[Field, ...]:
        """The fields of the spec role ``name`` (empty when the visual has none)."""
        return next((fields for role, fields in self.visual.fields if role == name), ())

    @property
    def category(self) -> Field | None:
        """The column the chart draws one bar, point or month per: the visual's first column field."""
        return next((field for field in self.visual.all_fields if not field.is_measure), None)

    def label(self, row: dict[str, Any]) -> Any:
        """The row's category value (None for a visual without a column)."""
        return row.get(column_key(self.category)) if self.category is not None else None

    def value(self, row: dict[str, Any], field: Field) -> Any:
        """The row's value of ``field``."""
        return row.get(column_key(field))

    def rows_of(self, labels: Iterable[Any]) -> list[dict[str, Any]]:
        """The rows whose category is one of ``labels``, in the visual's order."""
        wanted = set(labels)
        return [row for row in self.rows if self.label(row) in wanted]


def find_visual(report: Report, ref: str) -> tuple[Any, Visual] | None:
    """The page and the visual named ``page/visual``, or None when the spec has no such visual."""
    page_name, _, visual_name = ref.partition("/")
    for page in report.pages:
        if page.name == page_name:
            visual = next((visual for visual in page.visuals if visual.name == visual_name), None)
            return (page, visual) if visual is not None else None
    return None


def evaluate(engine: Engine, report: Report, ref: str, start: dt.date, end: dt.date,
             scope: str = "") -> VisualData | None:
    """The rows of the visual ``ref`` for the days ``start`` to ``end`` (and the ``scope`` filter, if any); None
    when the spec has no such visual."""
    found = find_visual(report, ref)
    if found is None:
        return None
    page, visual = found
    context = [dates_between(start, end), *([scope] if scope else [])]
    rows = tuple(in_visual_order(visual, query_rows(engine, visual_query(page, visual, context=context))))
    percent = frozenset(field.name for field in visual.all_fields if field.is_measure and _is_percent(engine, field))
    return VisualData(ref, visual, page.title, rows, percent)


def in_visual_order(visual: Visual, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` in the visual's sort order, BLANK lowest (as Power BI sorts), ties in the query's order.

    The query's ``ORDER BY [Measure]`` is not relied on here: under the report's period filter the engine
    evaluates a measure named in ORDER BY outside that filter rather than reading the result's column.
    """
    if visual.sort is None:
        return rows
    field, direction = visual.sort
    key = column_key(field)
    return sorted(rows, key=lambda row: (row.get(key) is not None, row.get(key) if row.get(key) is not None else 0),
                  reverse=direction == "descending")


def _is_percent(engine: Engine, field: Field) -> bool:
    measure = engine.model.measure(field.name)
    return measure is not None and "%" in (measure.format_string or "")


def chart_visuals(engine: Engine, report: Report, period: Period, charts: Sequence[str] = tuple(CHART_VISUALS),
                  scope: str = "") -> Mapping[str, VisualData]:
    """Every visual the ``charts`` draw, by ``page/visual``, evaluated for ``period`` (the trend over its window)."""
    window = period.trend_window()
    found: dict[str, VisualData] = {}
    for chart in charts:
        start, end = (window[0], last_of_month(window[-1])) if chart in WINDOW_CHARTS else (period.start, period.end)
        for ref in CHART_VISUALS[chart]:
            data = evaluate(engine, report, ref, start, end, scope)
            if data is not None:
                found[ref] = data
    return found
