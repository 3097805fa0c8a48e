"""The report's charts as inline SVG (matplotlib), deterministic and self-contained.

Text is drawn as paths (``svg.fonttype: path``) with matplotlib's bundled DejaVu Sans, so the page needs no
font; ``svg.hashsalt`` and empty metadata make the same figures give the same bytes; ids are prefixed per
chart so that several SVGs can live in one HTML page; the XML prolog, the DOCTYPE and the namespace
declarations (which the HTML parser does not need) are removed, so the page holds no URL at all.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from generator.report.data import ClientRow, Headline, MonthRow, QueueRow, TechnicianRow, Thresholds
from generator.report.period import month_label

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


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element for inline HTML, with ids prefixed by ``name``."""
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
    text = text.replace("<svg ", f'<svg role="img" aria-label="{name} chart" class="chart" ', 1)
    return text.strip() + "\n"


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height), dpi=96)


def _percent_axis(axis, which: str = "x") -> None:
    formatter = FuncFormatter(lambda value, _: f"{value:.0f} %")
    (axis.xaxis if which == "x" else axis.yaxis).set_major_formatter(formatter)


def _reference_lines(axes, thresholds: Thresholds, orientation: str = "vertical") -> list[Line2D]:
    """Lines at the industry median, the target and the top quartile; returns them for a legend."""
    lines = [(thresholds.industry_median, MEDIAN, (0, (4, 3)), "industry median"),
             (thresholds.target, TARGET, "solid", "target"),
             (thresholds.top_quartile, TOP, (0, (4, 3)), "top quartile")]
    drawn = []
    for value, colour, style, label in lines:
        position = value * 100
        draw = axes.axvline if orientation == "vertical" else axes.axhline
        drawn.append(draw(position, color=colour, linestyle=style, linewidth=1.1, zorder=4,
                          label=f"{label} {position:.0f} %"))
    return drawn


def _share_handles() -> list[Patch]:
    return [Patch(color=HAPPY, label="Happy"), Patch(color=NEUTRAL, label="Neutral"),
            Patch(color=UNHAPPY, label="Unhappy")]


def distribution_bar(headline: Headline, thresholds: Thresholds) -> str:
    """One 100 % bar of Happy / Neutral / Unhappy with the benchmark and target lines."""
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 1.0)
        axes = figure.add_subplot()
        shares = [(headline.happy, HAPPY, "Happy"), (headline.neutral, NEUTRAL, "Neutral"),
                  (headline.unhappy, UNHAPPY, "Unhappy")]
        left = 0.0
        handles = []
        for share, colour, label in shares:
            width = (share or 0.0) * 100
            axes.barh([0], [width], left=left, color=colour, height=0.8, edgecolor="white", linewidth=0.8)
            handles.append(Patch(color=colour, label=f"{label} {width:.1f} %"))
            if width >= 15:
                axes.text(left + width / 2, 0, f"{label} {width:.1f} %", ha="center", va="center",
                          color="white", fontsize=10, fontweight="bold")
            left += width
        axes.set_xlim(0, 100)
        axes.set_ylim(-0.5, 0.5)
        axes.set_yticks([])
        axes.xaxis.set_major_locator(MultipleLocator(10))
        _percent_axis(axes)
        axes.spines["left"].set_visible(False)
        handles += _reference_lines(axes, thresholds)
        axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=6, frameon=False,
                    fontsize=8, handlelength=1.6, columnspacing=1.4)
        return to_svg(figure, "distribution")


def stacked_bars(rows: Sequence[ClientRow | QueueRow], thresholds: Thresholds, name: str,
                 highlight: Sequence[str] = ()) -> str:
    """Horizontal 100 % bars (Happy, Neutral, Unhappy) per row, first row at the top."""
    with matplotlib.rc_context(RC):
        height = 0.9 + 0.28 * len(rows)
        figure = _figure(9.2, height)
        axes = figure.add_subplot()
        labels = [row.name for row in rows]
        positions = list(range(len(rows)))[::-1]
        happy = [(row.happy or 0.0) * 100 for row in rows]
        neutral = [(row.neutral or 0.0) * 100 for row in rows]
        unhappy = [(row.unhappy or 0.0) * 100 for row in rows]
        axes.barh(positions, happy, color=HAPPY, height=0.72, label="Happy")
        axes.barh(positions, neutral, left=happy, color=NEUTRAL, height=0.72, label="Neutral")
        axes.barh(positions, unhappy, left=[h + n for h, n in zip(happy, neutral, strict=True)], color=UNHAPPY,
                  height=0.72, label="Unhappy")
        for position, value in zip(positions, happy, strict=True):
            axes.text(1.2, position, f"{value:.1f} %", va="center", ha="left", fontsize=7.5, color="white",
                      fontweight="bold")
        axes.set_yticks(positions, labels)
        for tick in axes.get_yticklabels():
            if tick.get_text() in highlight:
                tick.set_color(UNHAPPY)
                tick.set_fontweight("bold")
        axes.set_xlim(0, 100)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.xaxis.set_major_locator(MultipleLocator(10))
        _percent_axis(axes)
        axes.tick_params(axis="y", length=0)
        handles = _share_handles() + _reference_lines(axes, thresholds)
        axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=6, frameon=False,
                    fontsize=8, handlelength=1.6, columnspacing=1.4)
        return to_svg(figure, name)


def trend(rows: Sequence[MonthRow], thresholds: Thresholds) -> str:
    """Happy % as an area (left axis) and Unhappy % as a line (right axis) by month."""
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 3.2)
        axes = figure.add_subplot()
        labels = [month_label(row.month) for row in rows]
        points = [(index, row) for index, row in enumerate(rows) if row.happy is not None]
        xs = [index for index, _ in points]
        happy = [(row.happy or 0.0) * 100 for _, row in points]
        unhappy = [(row.unhappy or 0.0) * 100 for _, row in points]
        floor = max(0.0, min([*happy, thresholds.industry_median * 100]) - 8)
        top = min(101.0, max([*happy, thresholds.top_quartile * 100]) + 3)
        axes.fill_between(xs, happy, floor, color=HAPPY, alpha=0.18, linewidth=0, zorder=2)
        axes.plot(xs, happy, color=HAPPY, linewidth=2.4, marker="o", markersize=4.5, zorder=5)
        for x, value in zip(xs, happy, strict=True):
            axes.annotate(f"{value:.1f} %", (x, value), xytext=(0, 8), textcoords="offset points", ha="center",
                          fontsize=8.5, color=HAPPY, fontweight="bold", zorder=6,
                          bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
        reference = _reference_lines(axes, thresholds, orientation="horizontal")
        for line in reference:
            line.set_linewidth(0.9)
            line.set_zorder(3)
        axes.set_ylim(floor, top)
        axes.set_xlim(-0.4, len(rows) - 0.6)
        axes.set_xticks(range(len(rows)), labels)
        axes.yaxis.set_major_locator(MultipleLocator(2 if top - floor <= 24 else 5))
        _percent_axis(axes, "y")
        axes.set_ylabel("Happy %", color=HAPPY)
        right = axes.twinx()
        right.plot(xs, unhappy, color=UNHAPPY, linewidth=1.8, marker="s", markersize=3.5, zorder=5)
        for x, value in zip(xs, unhappy, strict=True):
            right.annotate(f"{value:.1f} %", (x, value), xytext=(0, -13), textcoords="offset points",
                           ha="center", fontsize=8, color=UNHAPPY)
        right.set_ylim(0, max([*unhappy, 5.0]) * 2.6)
        _percent_axis(right, "y")
        right.set_ylabel("Unhappy %", color=UNHAPPY)
        right.spines["right"].set_visible(True)
        right.spines["top"].set_visible(False)
        handles = [Line2D([], [], color=HAPPY, linewidth=2.4, marker="o", label="Happy % (area, left axis)"),
                   Line2D([], [], color=UNHAPPY, linewidth=1.8, marker="s", label="Unhappy % (line, right axis)"),
                   *reference]
        axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, frameon=False,
                    fontsize=8, handlelength=1.8, columnspacing=1.2)
        return to_svg(figure, "trend")


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


def technician_scatter(rows: Sequence[TechnicianRow], thresholds: Thresholds) -> str:
    """Happy % against average hours per ticket, one named point per technician."""
    with matplotlib.rc_context(RC):
        figure = _figure(9.2, 3.8)
        axes = figure.add_subplot()
        points = [row for row in rows if row.happy is not None and row.hours_per_ticket is not None]
        xs = [row.hours_per_ticket or 0.0 for row in points]
        ys = [(row.happy or 0.0) * 100 for row in points]
        colours = [HAPPY if (row.happy or 0.0) >= thresholds.target else UNHAPPY for row in points]
        sizes = [30 + 90 * min(1.0, (row.responses or 0) / 400) for row in points]
        axes.scatter(xs, ys, s=sizes, c=colours, alpha=0.9, edgecolors="white", linewidths=0.8, zorder=5)
        reference = _reference_lines(axes, thresholds, orientation="horizontal")
        for line in reference:
            line.set_linewidth(0.9)
            line.set_zorder(3)
        low = min([*ys, thresholds.industry_median * 100]) - 3
        high = min(101.0, max([*ys, thresholds.top_quartile * 100]) + 2)
        axes.set_ylim(low, high)
        span = (max(xs) - min(xs)) if xs else 1.0
        span = span or 1.0
        axes.set_xlim(min(xs, default=0.0) - 0.3 * span - 0.2, max(xs, default=1.0) + 0.45 * span + 0.3)
        axes.yaxis.set_major_locator(MultipleLocator(2 if high - low <= 24 else 5))
        _percent_axis(axes, "y")
        axes.set_xlabel("average hours per closed ticket (Tickets - Avg Hours per Ticket)")
        axes.set_ylabel("Happy %")
        axes.grid(color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        texts = [f"{row.name}  {y:.1f} % · {x:.1f} h" for row, x, y in zip(points, xs, ys, strict=True)]
        font_px = 7.5 * figure.dpi / 72
        offsets = _label_positions(list(zip(xs, ys, strict=True)), texts, axes, font_px, 5)
        to_points = 72 / figure.dpi
        for text, x, y, (dx, dy, align) in zip(texts, xs, ys, offsets, strict=True):
            leader = {"arrowstyle": "-", "color": MUTED, "linewidth": 0.6} if dy else None
            axes.annotate(text, (x, y), xytext=(dx * to_points, dy * to_points), textcoords="offset points",
                          ha=align, va="center", fontsize=7.5, color=INK, arrowprops=leader, zorder=6)
        axes.legend(handles=reference, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False,
                    fontsize=8)
        return to_svg(figure, "technicians")


def risk_gaps(rows: Sequence[ClientRow]) -> str:
    """Each tiered client's gap to the portfolio in points, coloured by tier, first row at the top."""
    with matplotlib.rc_context(RC):
        height = 0.8 + 0.24 * len(rows)
        figure = _figure(9.2, height)
        axes = figure.add_subplot()
        positions = list(range(len(rows)))[::-1]
        gaps = [row.vs_portfolio or 0.0 for row in rows]
        axes.barh(positions, gaps, color=[TIER_COLOURS.get(row.tier or "", MUTED) for row in rows], height=0.7)
        for position, gap in zip(positions, gaps, strict=True):
            axes.text(gap + (0.4 if gap >= 0 else -0.4), position, f"{gap:+.1f}".replace("-", "−"),
                      va="center", ha="left" if gap >= 0 else "right", fontsize=7.5, color=INK)
        axes.axvline(0, color=INK, linewidth=0.8)
        axes.set_yticks(positions, [row.name for row in rows])
        axes.tick_params(axis="y", length=0)
        limit = max([abs(g) for g in gaps] + [5.0]) * 1.2
        axes.set_xlim(-limit, limit)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.set_xlabel("points above or below the portfolio Happy % (CSAT - Happy % vs Portfolio)")
        handles = [Patch(color=colour, label=f"{tier} risk") for tier, colour in TIER_COLOURS.items()]
        axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False,
                    fontsize=8)
        return to_svg(figure, "risk")

