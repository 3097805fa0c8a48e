"""The report's charts as inline SVG (matplotlib), deterministic and self-contained.

Each chart draws one visual of the report spec (:mod:`generator.report.visuals`): its measures, category, order,
reference lines and title are the visual's, its numbers the rows of the visual's query.

Text is drawn as paths (``svg.fonttype: path``) with matplotlib's bundled DejaVu Sans, so the page needs no
font; ``svg.hashsalt`` and empty metadata make the same figures give the same bytes; ids are prefixed per
chart so that several SVGs can live in one HTML page; the XML prolog, the DOCTYPE and the namespace
declarations (which the HTML parser does not need) are removed, so the page holds no URL at all.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from markupsafe import escape
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from generator.report import format
from generator.report.data import Thresholds, as_day
from generator.report.period import month_label
from generator.report.visuals import VisualData, column_key
from generator.spec.report import Field, ReferenceLine

HAPPY = "#2f8f5b"
NEUTRAL = "#e9b949"
UNHAPPY = "#c8414b"
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
TARGET = "#1f2933"
MEDIAN = "#7b8794"
TOP = "#2563a6"
TIER_COLOURS = {"High": UNHAPPY, "Moderate": NEUTRAL, "Low": HAPPY}
#: The page's colours for the catalogue's shares; other measures take the palette's colours in turn.
MEASURE_COLOURS = {"CSAT - Happy %": HAPPY, "CSAT - Neutral %": NEUTRAL, "CSAT - Unhappy %": UNHAPPY}
PALETTE = ("#2563a6", "#7b5ea7", "#0f8b8d", "#b86e2e")

RC = {
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "axes.titlesize": 10,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}
NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


def to_svg(figure: Figure, name: str, label: str = "") -> str:
    """The figure as an ``<svg>`` element for inline HTML, with ids prefixed by ``name`` and ``label`` (default:
    "``name`` chart") as its accessible name."""
    buffer = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": f"msp-csat-{name}"}):
        figure.savefig(buffer, format="svg", metadata=NO_METADATA, bbox_inches="tight", pad_inches=0.05)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text, count=0)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{name}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{name}-{m.group(1)}"', text)
    text = text.replace("<svg ", f'<svg role="img" aria-label="{escape(label or name + " chart")}" class="chart" ', 1)
    return text.strip() + "\n"


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), dpi=96)


def _percent_axis(axis, which: str = "x") -> None:
    formatter = FuncFormatter(lambda value, _: f"{value:.0f} %")
    (axis.xaxis if which == "x" else axis.yaxis).set_major_formatter(formatter)


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its visual's title above its SVG; renders as nothing when there was nothing to draw."""

    title: str = ""
    svg: str = ""
    source: str = ""  # the report-spec visual(s) it draws, for its caption
    # what it draws, in its order: (category value, the values of its fields as the visual's query returned them)
    figures: tuple[tuple[Any, tuple[Any, ...]], ...] = ()
    fields: tuple[str | None, ...] = ()  # the result columns of the figures' values (``[Measure]``)

    def __bool__(self) -> bool:
        return bool(self.svg)

    def __html__(self) -> str:
        if not self.svg:
            return ""
        return f'<p class="chart-title">{escape(self.title)}</p>\n{self.svg}'


def _chart(figure: Figure, name: str, fields: Sequence[Field | None], figures: list[tuple[Any, tuple[Any, ...]]],
           data: VisualData, *more: VisualData | None) -> Chart:
    """The figure as the chart of the visual ``data`` (and ``more``) showing ``fields``' ``figures``; its SVG's
    accessible name is its title and its figures."""
    drawn = [data, *(other for other in more if other is not None)]
    percent = set().union(*(other.percent for other in drawn))
    described = []
    for label, values in figures:
        shown = ", ".join(f"{short_name(field)} {_text(value, field.name in percent)}"
                          for field, value in zip(fields, values, strict=True) if field is not None)
        described.append(shown if label is None else f"{_text(label, False)}: {shown}")
    label = f"{data.title}. {'; '.join(described)}"
    return Chart(data.title, to_svg(figure, name, label), " and ".join(other.source for other in drawn),
                 tuple(figures), tuple(column_key(field) if field is not None else None for field in fields))


def _text(value: Any, percent: bool) -> str:
    """A figure as the chart's description writes it."""
    if isinstance(value, dt.date | dt.datetime):
        return month_label(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return format.MISSING if value is None else str(value)
    return format.pct(value) if percent else format.number(value)


def short_name(field: Field) -> str:
    """A measure's name for a legend: ``CSAT - Happy %`` → ``Happy``."""
    return field.name.split(" - ", 1)[-1].removesuffix(" %").strip()


def _colour(field: Field, index: int) -> str:
    return MEASURE_COLOURS.get(field.name, PALETTE[index % len(PALETTE)])


def _number(data: VisualData, row: dict[str, Any], field: Field) -> float | None:
    """The row's value of ``field`` as drawn: percentages 0-100, BLANK None."""
    value = data.value(row, field)
    if value is None or isinstance(value, bool | str):
        return None
    return float(value) * (100 if field.name in data.percent else 1)


def benchmark_lines(lines: Sequence[ReferenceLine], thresholds: Thresholds) -> list[tuple[float, str]]:
    """The visual's reference lines as (percent, label); a line at one of the report's default benchmarks
    follows the value the report was asked for (``--industry-median``, ``--target``, ``--top-quartile``): the
    Power BI report keeps the spec's value, the HTML page its command line's."""
    moved = dict(thresholds.benchmark_moves)
    found = []
    for line in lines:
        value = moved.get(line.value, line.value)
        label = line.label
        if value != line.value:
            label = re.sub(r"^\d+(?:\.\d+)?\s*%", f"{value * 100:g} %", label)
        found.append((value * 100, label))
    return found


def _reference_lines(axes, lines: Sequence[ReferenceLine], thresholds: Thresholds,
                     orientation: str = "vertical") -> list[Line2D]:
    """The visual's reference lines (the target solid, the others dashed); returns them for a legend."""
    drawn = []
    for position, label in benchmark_lines(lines, thresholds):
        target = abs(position - thresholds.target * 100) < 1e-9
        colour = TARGET if target else MEDIAN if position < thresholds.target * 100 else TOP
        draw = axes.axvline if orientation == "vertical" else axes.axhline
        drawn.append(draw(position, color=colour, linestyle="solid" if target else (0, (4, 3)), linewidth=1.1,
                          zorder=4, label=label))
    return drawn


def _legend(axes, handles: list, columns: int = 6) -> None:
    axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=columns, frameon=False,
                fontsize=8, handlelength=1.6, columnspacing=1.4)


def bars(data: VisualData, rows: Sequence[dict[str, Any]], thresholds: Thresholds, name: str,
         highlight: Sequence[str] = ()) -> Chart:
    """Horizontal bars of the visual's measures (stacked for a stacked bar chart, side by side otherwise), one
    bar per row in the visual's order, first row at the top; one bar with the values in its legend when the
    visual has no category."""
    measures = [field for field in data.role("values")]
    category = data.category
    stacked = data.visual.kind == "stacked_bar"
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 1.0 if category is None else 0.9 + 0.28 * len(rows))
        axes = figure.add_subplot()
        positions = list(range(len(rows)))[::-1]
        values = [[_number(data, row, field) or 0.0 for row in rows] for field in measures]
        left = [0.0] * len(rows)
        height = 0.8 if category is None else 0.72
        handles: list = []
        for index, (field, series) in enumerate(zip(measures, values, strict=True)):
            colour = _colour(field, index)
            if stacked:
                axes.barh(positions, series, left=left, color=colour, height=height, edgecolor="white",
                          linewidth=0.8 if category is None else 0)
                where = left
            else:
                size = height / len(measures)
                offsets = [p + height / 2 - size * (index + 0.5) for p in positions]
                axes.barh(offsets, series, color=colour, height=size)
                where = [0.0] * len(rows)
            label = short_name(field)
            if category is None:
                label += f" {series[0]:.1f} %" if field.name in data.percent else f" {series[0]:,.1f}"
                if series[0] >= 15:
                    axes.text(where[0] + series[0] / 2, 0, label, ha="center", va="center", color="white",
                              fontsize=10, fontweight="bold")
            handles.append(Patch(color=colour, label=label))
            if stacked:
                left = [a + b for a, b in zip(left, series, strict=True)]
        percent = all(field.name in data.percent for field in measures)
        if category is not None and measures:
            for position, value in zip(positions, values[0], strict=True):
                axes.text(1.2, position, f"{value:.1f} %" if percent else f"{value:,.1f}", va="center", ha="left",
                          fontsize=7.5, color="white", fontweight="bold")
            axes.set_yticks(positions, [str(data.label(row)) for row in rows])
            for tick in axes.get_yticklabels():
                if tick.get_text() in highlight:
                    tick.set_color(UNHAPPY)
                    tick.set_fontweight("bold")
            axes.set_ylim(-0.6, len(rows) - 0.4)
            axes.tick_params(axis="y", length=0)
        else:
            axes.set_ylim(-0.5, 0.5)
            axes.set_yticks([])
            axes.spines["left"].set_visible(False)
        if percent:
            axes.set_xlim(0, 100)
            axes.xaxis.set_major_locator(MultipleLocator(10))
            _percent_axis(axes)
        handles += _reference_lines(axes, data.visual.reference_lines, thresholds)
        _legend(axes, handles)
        figures = [(data.label(row), tuple(data.value(row, field) for field in measures)) for row in rows]
        return _chart(figure, name, measures, figures, data)


def _by_month(data: VisualData | None, field: Field | None) -> dict[dt.date, Any]:
    """The raw value of ``field`` by month."""
    if data is None or field is None or data.category is None:
        return {}
    return {as_day(data.label(row)): data.value(row, field) for row in data.rows}


def _scaled(value: Any, data: VisualData | None, field: Field | None) -> float:
    percent = data is not None and field is not None and field.name in data.percent
    return float(value or 0.0) * (100 if percent else 1)


def trend(area: VisualData, line: VisualData | None, window: Sequence[dt.date], thresholds: Thresholds,
          name: str = "trend") -> Chart:
    """The area visual's measure (left axis) and the line visual's secondary measure (right axis) by month, over
    every month of the trend window (the HTML page's; a month without reviews has no point), in the area's
    category order, with both visuals' reference lines."""
    primary = (area.role("values") or (None,))[0]
    secondary = (line.role("secondary") or (None,))[0] if line is not None else None
    months = list(window)
    if area.visual.sort is not None and area.visual.sort[1] == "descending":
        months.reverse()
    left_values, right_values = _by_month(area, primary), _by_month(line, secondary)
    lines = [*area.visual.reference_lines,
             *(ref for ref in (line.visual.reference_lines if line else ()) if ref not in area.visual.reference_lines)]
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 3.2)
        axes = figure.add_subplot()
        points = [(index, month) for index, month in enumerate(months) if left_values.get(month) is not None]
        xs = [index for index, _ in points]
        happy = [_scaled(left_values[month], area, primary) for _, month in points]
        benchmarks = [position for position, _ in benchmark_lines(lines, thresholds)]
        floor = max(0.0, min([*happy, *benchmarks]) - 8)
        top = min(101.0, max([*happy, *benchmarks]) + 3)
        axes.fill_between(xs, happy, floor, color=HAPPY, alpha=0.18, linewidth=0, zorder=2)
        axes.plot(xs, happy, color=HAPPY, linewidth=2.4, marker="o", markersize=4.5, zorder=5)
        for x, value in zip(xs, happy, strict=True):
            axes.annotate(f"{value:.1f} %", (x, value), xytext=(0, 8), textcoords="offset points", ha="center",
                          fontsize=8.5, color=HAPPY, fontweight="bold", zorder=6,
                          bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
        reference = _reference_lines(axes, lines, thresholds, orientation="horizontal")
        for drawn in reference:
            drawn.set_linewidth(0.9)
            drawn.set_zorder(3)
        axes.set_ylim(floor, top)
        axes.set_xlim(-0.4, len(months) - 0.6)
        axes.set_xticks(range(len(months)), [month_label(month) for month in months])
        axes.yaxis.set_major_locator(MultipleLocator(2 if top - floor <= 24 else 5))
        _percent_axis(axes, "y")
        primary_name = primary.name if primary is not None else ""
        axes.set_ylabel(primary_name, color=HAPPY)
        handles = [Line2D([], [], color=HAPPY, linewidth=2.4, marker="o", label=f"{primary_name} (area, left axis)")]
        if secondary is not None:
            rx = xs
            unhappy = [_scaled(right_values.get(month), line, secondary) for _, month in points]
            right = axes.twinx()
            right.plot(rx, unhappy, color=UNHAPPY, linewidth=1.8, marker="s", markersize=3.5, zorder=5)
            for x, value in zip(rx, unhappy, strict=True):
                right.annotate(f"{value:.1f} %", (x, value), xytext=(0, -13), textcoords="offset points",
                               ha="center", fontsize=8, color=UNHAPPY)
            right.set_ylim(0, max([*unhappy, 5.0]) * 2.6)
            _percent_axis(right, "y")
            right.set_ylabel(secondary.name, color=UNHAPPY)
            right.spines["right"].set_visible(True)
            right.spines["top"].set_visible(False)
            handles.append(Line2D([], [], color=UNHAPPY, linewidth=1.8, marker="s",
                                  label=f"{secondary.name} (line, right axis)"))
        axes.legend(handles=[*handles, *reference], loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5,
                    frameon=False, fontsize=8, handlelength=1.8, columnspacing=1.2)
        labels = {as_day(area.label(row)): area.label(row) for row in area.rows}  # as the query returned them
        figures = [(labels[month], (left_values[month], right_values.get(month))) for _, month in points]
        return _chart(figure, name, (primary, secondary), figures, area, line)


def _label_positions(points: Sequence[tuple[float, float]], texts: Sequence[str], axes, font_px: float,
                     marker_px: float) -> list[tuple[float, float, str]]:
    """Offsets (in pixels) and alignments for point labels that do not overlap each other or the points.

    Greedy and deterministic: labels of higher points are placed first, each at the first candidate position
    whose box is free and inside the axes.
    """
    transform = axes.transData
    bounds = axes.bbox
    display = [tuple(transform.transform(point)) for point in points]
    height = font_px * 1.3
    candidates = [(dx, dy) for distance in (0, 1, 2, 3) for dx, dy in
                  ((9, distance * height), (9, -distance * height), (-9, distance * height),
                   (-9, -distance * height))]
    placed: list[tuple[float, float, float, float]] = []
    result: dict[int, tuple[float, float, str]] = {}
    order = sorted(range(len(points)), key=lambda i: (-display[i][1], display[i][0]))
    for index in order:
        x, y = display[index]
        width = len(texts[index]) * font_px * 0.56
        choice = None
        for dx, dy in candidates:
            left = x + dx if dx > 0 else x + dx - width
            box = (left, y + dy - height / 2, left + width, y + dy + height / 2)
            inside = bounds.x0 <= box[0] and box[2] <= bounds.x1 and bounds.y0 <= box[1] and box[3] <= bounds.y1
            clear = all(box[2] < b[0] or b[2] < box[0] or box[3] < b[1] or b[3] < box[1] for b in placed)
            dots = all(not (box[0] - marker_px < px < box[2] + marker_px and box[1] - marker_px < py <
                            box[3] + marker_px) for j, (px, py) in enumerate(display) if j != index)
            if inside and clear and dots:
                choice = (dx, dy, box)
                break
        if choice is None:
            dx, dy = candidates[0]
            left = x + dx
            choice = (dx, dy, (left, y - height / 2, left + width, y + height / 2))
        placed.append(choice[2])
        result[index] = (choice[0], choice[1], "left" if choice[0] > 0 else "right")
    return [result[index] for index in range(len(points))]


def technician_scatter(data: VisualData, thresholds: Thresholds) -> Chart:
    """The visual's ``y`` measure against its ``x`` measure, one named point per ``details`` value, sized by its
    ``size`` measure; points below the target are red (the HTML page's colouring: the visual has none)."""
    x_field, y_field = data.role("x")[0], data.role("y")[0]
    size_field = (data.role("size") or (None,))[0]
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 3.8)
        axes = figure.add_subplot()
        points = [row for row in data.rows
                  if _number(data, row, x_field) is not None and _number(data, row, y_field) is not None]
        xs = [_number(data, row, x_field) or 0.0 for row in points]
        ys = [_number(data, row, y_field) or 0.0 for row in points]
        colours = [HAPPY if y >= thresholds.target * 100 else UNHAPPY for y in ys]
        counts = [(_number(data, row, size_field) or 0.0) if size_field is not None else 0.0 for row in points]
        sizes = [30 + 90 * min(1.0, count / 400) for count in counts]
        axes.scatter(xs, ys, s=sizes, c=colours, alpha=0.9, edgecolors="white", linewidths=0.8, zorder=5)
        reference = _reference_lines(axes, data.visual.reference_lines, thresholds, orientation="horizontal")
        benchmarks = [position for position, _ in benchmark_lines(data.visual.reference_lines, thresholds)]
        low = min([*ys, *benchmarks]) - 3 if ys else 0.0
        high = min(101.0, max([*ys, *benchmarks]) + 2) if ys else 100.0
        axes.set_ylim(low, high)
        span = ((max(xs) - min(xs)) if xs else 1.0) or 1.0
        axes.set_xlim(min(xs, default=0.0) - 0.3 * span - 0.2, max(xs, default=1.0) + 0.45 * span + 0.3)
        axes.yaxis.set_major_locator(MultipleLocator(2 if high - low <= 24 else 5))
        if y_field.name in data.percent:
            _percent_axis(axes, "y")
        axes.set_xlabel(x_field.name)
        axes.set_ylabel(y_field.name)
        axes.grid(color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        unit = " %" if y_field.name in data.percent else ""
        texts = [f"{data.label(row)}  {y:.1f}{unit} · {x:.1f} h" for row, x, y in zip(points, xs, ys, strict=True)]
        font_px = 7.5 * figure.dpi / 72
        offsets = _label_positions(list(zip(xs, ys, strict=True)), texts, axes, font_px, 5)
        to_points = 72 / figure.dpi
        for text, x, y, (dx, dy, align) in zip(texts, xs, ys, offsets, strict=True):
            leader = {"arrowstyle": "-", "color": MUTED, "linewidth": 0.6} if dy else None
            axes.annotate(text, (x, y), xytext=(dx * to_points, dy * to_points), textcoords="offset points",
                          ha=align, va="center", fontsize=7.5, color=INK, arrowprops=leader, zorder=6)
        if reference:
            _legend(axes, reference, 3)
        fields = (x_field, y_field, size_field)
        figures = [(data.label(row), tuple(data.value(row, field) if field else None for field in fields))
                   for row in points]
        return _chart(figure, "technicians", fields, figures, data)


def risk_gaps(data: VisualData, rows: Sequence[dict[str, Any]]) -> Chart:
    """A bar per row of the visual's sort measure (its gap to the portfolio, in points), coloured by the
    visual's text measure (its risk tier), first row at the top."""
    measures = [field for field in data.visual.all_fields if field.is_measure]
    value_field = data.visual.sort[0] if data.visual.sort is not None else measures[-1]
    tier_field = next((field for field in measures
                       if any(isinstance(data.value(row, field), str) for row in rows)), None)
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 0.8 + 0.24 * len(rows))
        axes = figure.add_subplot()
        positions = list(range(len(rows)))[::-1]
        gaps = [_number(data, row, value_field) or 0.0 for row in rows]
        tiers = [str(data.value(row, tier_field) or "") if tier_field is not None else "" for row in rows]
        axes.barh(positions, gaps, color=[TIER_COLOURS.get(tier, MUTED) for tier in tiers], height=0.7)
        for position, gap in zip(positions, gaps, strict=True):
            axes.text(gap + (0.4 if gap >= 0 else -0.4), position, f"{gap:+.1f}".replace("-", "−"),
                      va="center", ha="left" if gap >= 0 else "right", fontsize=7.5, color=INK)
        axes.axvline(0, color=INK, linewidth=0.8)
        axes.set_yticks(positions, [str(data.label(row)) for row in rows])
        axes.tick_params(axis="y", length=0)
        limit = max([abs(g) for g in gaps] + [5.0]) * 1.2
        axes.set_xlim(-limit, limit)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.set_xlabel(value_field.name)
        if tier_field is not None:
            handles = [Patch(color=colour, label=f"{tier} risk") for tier, colour in TIER_COLOURS.items()]
            _legend(axes, handles, 3)
        fields = (value_field, tier_field)
        figures = [(data.label(row), tuple(data.value(row, field) if field else None for field in fields))
                   for row in rows]
        return _chart(figure, "risk", fields, figures, data)
