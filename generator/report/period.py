"""``--period`` of ``gen-measures report``: which days the report covers.

Accepted values (case-insensitive):

* ``2026`` — a calendar year; ``2026Q1`` or ``2026-Q1`` — a calendar quarter; ``2026-03`` — a month;
  ``2025-11..2026-04`` — a range of whole months (both ends included);
* ``last-month``, ``last-quarter``, ``last-year``, ``last-N-months`` (``last-6-months``) — the most recent
  *full* months, quarter or year of the data;
* nothing: the six most recent full months (``last-6-months``).

"Full" is relative to the data, not to today's date, so that a report of the same data is the same page on
any day: the data's *latest date* is the last day with a CSAT review, a survey response or a closed ticket,
and a month is full when the latest date is its last day or later. When the data has no full month inside
the window yet (a new MSP with one week of reviews), a relative period covers the data's own span instead,
from the first day of its first month to its latest date, and is marked partial.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from generator.errors import ToolError

DEFAULT_PERIOD = "last-6-months"
TREND_MONTHS = 6
PERIOD_HELP = ("2026 (a year), 2026Q1 (a quarter), 2026-03 (a month), 2025-11..2026-04 (a range of months), "
               "last-month, last-quarter, last-year or last-N-months")


class PeriodError(ToolError):
    """A ``--period`` value that cannot be read (exit code 2)."""


@dataclass(frozen=True)
class DataSpan:
    """The first and latest day with data (None for both when the database holds no reviews or tickets)."""

    earliest: dt.date | None
    latest: dt.date | None


@dataclass(frozen=True)
class Period:
    """The days a report covers, both ends included, and how to name them."""

    start: dt.date
    end: dt.date
    label: str
    spec: str
    relative: bool = False
    partial: bool = False  # the data stops before the period's last day

    @property
    def months(self) -> list[dt.date]:
        """The first day of every month the period touches, in order."""
        return month_range(self.start, self.end)

    def trend_window(self) -> list[dt.date]:
        """The months of the trend: the six months ending with the period's last month, or all of the
        period's months when it is longer."""
        last = first_of_month(self.end)
        count = max(TREND_MONTHS, len(self.months))
        return [add_months(last, offset) for offset in range(1 - count, 1)]


def first_of_month(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def last_of_month(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s month to ``end``'s month."""
    months = []
    current = first_of_month(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def month_label(day: dt.date) -> str:
    """``Mar 2026``."""
    return f"{calendar.month_abbr[day.month]} {day.year}"


def span_label(start: dt.date, end: dt.date) -> str:
    """A readable name for the days from ``start`` to ``end``."""
    if start == first_of_month(start) and end == last_of_month(end):
        if start.year == end.year and start.month == 1 and end.month == 12:
            return str(start.year)
        if (start.year == end.year and start.month % 3 == 1 and end.month == start.month + 2):
            return f"Q{(start.month - 1) // 3 + 1} {start.year}"
        if first_of_month(end) == start:
            return f"{calendar.month_name[start.month]} {start.year}"
        if start.year == end.year:
            return f"{calendar.month_abbr[start.month]} – {month_label(end)}"
        return f"{month_label(start)} – {month_label(end)}"
    return f"{start.day} {month_label(start)} – {end.day} {month_label(end)}"


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4})-(\d{1,2})\.\.(\d{4})-(\d{1,2})$")
_LAST = re.compile(r"^last-(?:(month)|(quarter)|(year)|(\d{1,3})-months?)$")


def check_period(text: str | None) -> str:
    """The normalised ``--period`` text; :class:`PeriodError` when it is not one of the accepted forms.

    Called before the database is opened, so that a typo is reported at once.
    """
    spec = (text or DEFAULT_PERIOD).strip().lower()
    if _LAST.match(spec):
        count = _LAST.match(spec).group(4)  # type: ignore[union-attr]
        if count is not None and not 1 <= int(count) <= 120:
            raise PeriodError(f"--period {text}: the number of months must be between 1 and 120")
        return spec
    fixed = _fixed(spec, text or "")
    if fixed is None:
        raise PeriodError(f"--period {text!r} is not a period; use {PERIOD_HELP}")
    return spec


def _month(year: str, month: str, given: str) -> dt.date:
    number = int(month)
    if not 1 <= number <= 12:
        raise PeriodError(f"--period {given}: month {number} does not exist; months are 01 to 12")
    if not 1900 <= int(year) <= 2999:
        raise PeriodError(f"--period {given}: year {year} is out of range (1900-2999)")
    return dt.date(int(year), number, 1)


def _fixed(spec: str, given: str) -> tuple[dt.date, dt.date] | None:
    """Start and end of a period named by dates; None when ``spec`` is not such a period."""
    if match := _YEAR.match(spec):
        start = _month(match.group(1), "1", given)
        return start, dt.date(start.year, 12, 31)
    if match := _QUARTER.match(spec):
        start = _month(match.group(1), str(3 * int(match.group(2)) - 2), given)
        return start, last_of_month(add_months(start, 2))
    if match := _MONTH.match(spec):
        start = _month(match.group(1), match.group(2), given)
        return start, last_of_month(start)
    if match := _RANGE.match(spec):
        start = _month(match.group(1), match.group(2), given)
        end = _month(match.group(3), match.group(4), given)
        if end < start:
            raise PeriodError(f"--period {given}: the range ends before it starts")
        return start, last_of_month(end)
    return None


def latest_full_month(latest: dt.date) -> dt.date:
    """The first day of the latest month the data covers in full (its last day is on or before ``latest``)."""
    if latest == last_of_month(latest):
        return first_of_month(latest)
    return add_months(first_of_month(latest), -1)


def resolve_period(text: str | None, span: DataSpan) -> Period | None:
    """The :class:`Period` that ``--period`` names for data spanning ``span``.

    None when the period is relative and the database holds no data to place it.
    """
    spec = check_period(text)
    if match := _LAST.match(spec):
        if span.latest is None or span.earliest is None:
            return None
        month, quarter, _year, count = match.groups()
        full = latest_full_month(span.latest)
        if month:
            start = full
        elif count:
            start = add_months(full, 1 - int(count))
        elif quarter:  # the latest quarter whose last month is full
            full = add_months(full, -(full.month % 3))
            start = add_months(full, -2)
        else:
            full = full if full.month == 12 else dt.date(full.year - 1, 12, 1)
            start = dt.date(full.year, 1, 1)
        end = last_of_month(full)
        if end < span.earliest:  # no full month with data yet: the data's own span
            start, end = first_of_month(span.earliest), span.latest
            return Period(start, end, span_label(start, end) + " (partial)", spec, relative=True, partial=True)
        return Period(start, end, span_label(start, end), spec, relative=True)
    fixed = _fixed(spec, text or "")
    assert fixed is not None
    start, end = fixed
    partial = span.latest is not None and start <= span.latest < end
    return Period(start, end, span_label(start, end), spec, partial=partial)
