"""Values a STG_ column can hold but a load must not accept: out of the target type's range, or implausible.

Out of range: integers beyond 64 bits, and numbers that are not finite or reach 10^15 (``DECIMAL(19, 4)``, the
type hours and amounts end up in). Implausible: dates outside a window (default 1990-01-01 to 2100-12-31,
``--allow-dates FROM:TO`` widens it: one ticket dated 2999 would add 355,000 days to ``BI_Date``) and the bounds
of :data:`BOUNDS` (a time entry of more than 24 hours, an NPS score above 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from generator.errors import ToolError
from generator.spec.model import Column

INT64_LIMIT = 2.0**63
NUMBER_LIMIT = 1e15  # DECIMAL(19, 4) holds less than this

# (STG table, column): (lowest, highest) plausible value, and what the value is.
BOUNDS: dict[tuple[str, str], tuple[float, float, str]] = {
    ("STG_Autotask_TimeEntries", "hours_worked"): (0.0, 24.0, "hours for one time entry"),
    ("STG_SmileBack_NPS", "score"): (0.0, 10.0, "for an NPS score"),
    ("STG_SmileBack_Reviews", "rating"): (-1.0, 1.0, "for a SmileBack rating (1, 0 or -1)"),
}


@dataclass(frozen=True)
class DateWindow:
    """Dates a load accepts (inclusive)."""

    first: date = date(1990, 1, 1)
    last: date = date(2100, 12, 31)

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


DEFAULT_WINDOW = DateWindow()

_BOUND = re.compile(r"\s*(\d{4})(?:-(\d{2})-(\d{2}))?\s*")


def parse_window(text: str) -> DateWindow:
    """``--allow-dates FROM:TO``: years (``1980:2200``) or days (``1980-01-01:2200-12-31``)."""
    parts = text.split(":")
    matches = [_BOUND.fullmatch(part) for part in parts]
    if len(parts) != 2 or not all(matches):
        raise ToolError(f"--allow-dates {text!r}: expected FROM:TO, each a year or a YYYY-MM-DD day "
                        "(e.g. 1980:2200 or 1985-06-01:2100-12-31)")
    days = []
    for index, match in enumerate(matches):
        assert match is not None
        year, month, day = match.groups()
        try:
            days.append(date(int(year), int(month), int(day)) if month else
                        date(int(year), 1, 1) if index == 0 else date(int(year), 12, 31))
        except ValueError:
            raise ToolError(f"--allow-dates {text!r}: {match.group(0).strip()} is not a valid day") from None
    if days[0] > days[1]:
        raise ToolError(f"--allow-dates {text!r}: FROM is after TO")
    return DateWindow(days[0], days[1])


def out_of_range(values: pd.Series, column: Column) -> np.ndarray:
    """Boolean mask: numbers the column's SQL type cannot hold (``values`` as read, before the cast)."""
    if column.data_type not in ("int64", "double", "decimal") or values.dtype.kind not in "iufO":
        return np.zeros(len(values), dtype=bool)
    numbers = pd.to_numeric(values, errors="coerce") if values.dtype.kind == "O" else values
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(numbers.to_numpy(dtype="float64", na_value=np.nan))
    limit = INT64_LIMIT if column.data_type == "int64" else NUMBER_LIMIT
    return np.isinf(magnitude) | (magnitude >= limit)


def implausible(table: str, column: Column, values: pd.Series, window: DateWindow) -> tuple[np.ndarray, str]:
    """Boolean mask of implausible typed values and the reason's wording ("" when the column has no rule)."""
    if column.data_type in ("date", "datetime"):
        low, high = pd.Timestamp(window.first), pd.Timestamp(window.last) + pd.Timedelta(days=1)
        mask = (values.notna() & ((values < low) | (values >= high))).to_numpy(bool)
        return mask, f"is outside the accepted dates {window} (widen them with --allow-dates FROM:TO)"
    bound = BOUNDS.get((table, column.name))
    if bound is None:
        return np.zeros(len(values), dtype=bool), ""
    low_value, high_value, what = bound
    numbers = values.astype("float64")
    mask = (numbers.notna() & ((numbers < low_value) | (numbers > high_value))).to_numpy(bool)
    return mask, f"is not between {low_value:g} and {high_value:g} {what}"
