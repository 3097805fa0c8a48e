"""How the report writes numbers: one decimal for percentages and points, thousands separators, and an en dash
for a BLANK, so that the page never shows ``None`` or ``nan``."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence

from generator.report.period import first_of_month, month_label

MISSING = "–"
MINUS = "−"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.8998`` → ``90.0 %``."""
    if _missing(value):
        return MISSING
    return f"{value * 100:.{digits}f} %"  # type: ignore[operator]


def number(value: float | None, digits: int = 1) -> str:
    """A plain number with ``digits`` decimals; a minus sign for negatives."""
    if _missing(value):
        return MISSING
    text = f"{value:,.{digits}f}"
    if text.startswith("-"):
        return MINUS + text[1:] if text.strip("-0.,") else text[1:]
    return text


def count(value: float | None) -> str:
    """A whole number with thousands separators; ``0`` for a BLANK count is the caller's choice."""
    if _missing(value):
        return MISSING
    return f"{round(value):,}"  # type: ignore[arg-type]


def _points(value: float | None, level: str, up: str, down: str) -> str:
    """Points rounded to one decimal: ``level`` when they round to 0, else ``up``/``down`` with ``{n}`` the size."""
    if _missing(value):
        return MISSING
    rounded = round(value, 1)  # type: ignore[arg-type]
    if rounded == 0:
        return level
    return (up if rounded > 0 else down).format(n=f"{abs(rounded):.1f}")


def signed_pts(value: float | None) -> str:
    """Points with a sign: ``+5.0 pts``, ``−2.0 pts``, ``0.0 pts``."""
    return _points(value, "0.0 pts", "+{n} pts", MINUS + "{n} pts")


def pts(value: float | None) -> str:
    """Points against a baseline, in words: ``5.0 pts above``, ``11.4 pts below``, ``level with``."""
    return _points(value, "level with", "{n} pts above", "{n} pts below")


def average(value: float | None) -> str:
    """A 1–5 rating with three decimals: ``4.717``."""
    return number(value, 3)


def hours(value: float | None) -> str:
    """Hours with one decimal: ``4.2 h``."""
    if _missing(value):
        return MISSING
    return f"{value:.1f} h"


def long_date(day: dt.date | None) -> str:
    """``30 Apr 2026``."""
    if day is None:
        return MISSING
    return f"{day.day} {month_label(day)}"


def month_span(start: dt.date | None, end: dt.date | None) -> str:
    """``Nov 2025 – Jan 2026``, or one month's name when both fall in the same month."""
    if start is None or end is None:
        return MISSING
    if first_of_month(start) == first_of_month(end):
        return month_label(start)
    if start.year == end.year:
        return f"{calendar.month_abbr[start.month]} – {month_label(end)}"
    return f"{month_label(start)} – {month_label(end)}"


def moved(value: float | None) -> str:
    """A change in points in words: ``rose 5.0 pts``, ``fell 2.2 pts``, ``held level``."""
    return _points(value, "held level", "rose {n} pts", "fell {n} pts")


def and_list(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
