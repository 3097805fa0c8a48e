"""Slices: the rows a measure is evaluated on, and where each fact row lands among them.

A slice is the cross product of zero or more *axes* (client, month, week, technician, queue, or one of the
reviewed ticket's attributes: issue type, priority, source, resolution traits). A fact table reaches
an axis through one of its columns (a :class:`Route`), as Power BI's active relationships filter it; an axis
the fact does not reach does not filter it, so the fact's value is the same on every member of that axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np
import pandas as pd

from generator.reference.blanks import blank_divide
from generator.reference.frames import (
    COMPANIES,
    DATES,
    ISSUE_TYPES,
    PRIORITIES,
    QUEUES,
    RESOLUTIONS,
    RESOURCES,
    SOURCES,
    Frames,
)

#: the standard slices (DESIGN section 7), evaluated by default
SLICES: tuple[str, ...] = ("total", "client", "month", "technician", "queue", "client_month", "week")
#: slices by the shared ticket-attribute dimensions, evaluated when asked for
ATTRIBUTE_SLICES: tuple[str, ...] = ("issue_type", "priority", "source", "resolution")

COMPANY = "company"
MONTH = "month"
WEEK = "week"
RESOURCE = "resource"
QUEUE = "queue"
ISSUE_TYPE = "issue_type"
PRIORITY = "priority"
SOURCE = "source"
RESOLUTION = "resolution"

_AXES: dict[str, tuple[str, ...]] = {
    "total": (),
    "client": (COMPANY,),
    "month": (MONTH,),
    "technician": (RESOURCE,),
    "queue": (QUEUE,),
    "client_month": (COMPANY, MONTH),
    "week": (WEEK,),
    "issue_type": (ISSUE_TYPE,),
    "priority": (PRIORITY,),
    "source": (SOURCE,),
    "resolution": (RESOLUTION,),
}
# axis -> (dimension table, key column; the column also names the slice index)
_DIMENSIONS: dict[str, tuple[str, str]] = {
    COMPANY: (COMPANIES, "company_id"),
    RESOURCE: (RESOURCES, "resource_id"),
    QUEUE: (QUEUES, "queue_id"),
    MONTH: (DATES, "month_start"),
    WEEK: (DATES, "week_start"),
    ISSUE_TYPE: (ISSUE_TYPES, "issue_type_id"),
    PRIORITY: (PRIORITIES, "priority_id"),
    SOURCE: (SOURCES, "source_id"),
    RESOLUTION: (RESOLUTIONS, "resolution_key"),
}
# calendar axes: a fact's date column places its row on the day's month or week


@dataclass(frozen=True)
class Route:
    """The columns through which a fact table's rows reach each axis (None: the axis does not filter it).

    ``month`` names a date column; the row's month (week) is that date's ``BI_Date[month_start]``
    (``[week_start]``).
    """

    company: str | None = None
    resource: str | None = None
    queue: str | None = None
    month: str | None = None
    issue_type: str | None = None
    priority: str | None = None
    source: str | None = None
    resolution: str | None = None

    def column(self, axis: str) -> str | None:
        """The column reaching ``axis``, or None."""
        return {COMPANY: self.company, RESOURCE: self.resource, QUEUE: self.queue, MONTH: self.month,
                WEEK: self.month, ISSUE_TYPE: self.issue_type, PRIORITY: self.priority, SOURCE: self.source,
                RESOLUTION: self.resolution}[axis]


#: how tickets and reviews reach the shared ticket-attribute dimensions
ATTRIBUTE_ROUTE = {"issue_type": "issue_type_id", "priority": "priority_id", "source": "source_id",
                   "resolution": "resolution_key"}


@dataclass(frozen=True)
class Placement:
    """Where a fact's rows land on a grid (possibly coarser than the slice) and how to spread results back.

    ``codes[i]`` is the reduced-grid cell of fact row ``i`` (-1: in no cell); ``spread[r]`` is the reduced
    cell that slice row ``r`` shows.
    """

    codes: np.ndarray
    size: int
    spread: np.ndarray

    def count(self, where: np.ndarray | pd.Series | None = None) -> np.ndarray:
        """Number of fact rows (those with ``where`` true, if given) per slice row, as float64."""
        keep = self.codes >= 0
        if where is not None:
            keep &= np.asarray(where, dtype=bool)
        return np.bincount(self.codes[keep], minlength=self.size)[self.spread].astype("float64")

    def total(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Sum of ``values`` per slice row, nulls ignored (0.0 where nothing is summed)."""
        numbers = np.asarray(values, dtype="float64")
        keep = (self.codes >= 0) & ~np.isnan(numbers)
        return np.bincount(self.codes[keep], weights=numbers[keep], minlength=self.size)[self.spread]

    def mean(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Mean of the non-null ``values`` per slice row; NaN (BLANK) where there are none."""
        numbers = np.asarray(values, dtype="float64")
        counted = self.count(~np.isnan(numbers))
        return blank_divide(self.total(numbers), counted)


def _members(axis: str, frames: Frames) -> pd.Index:
    table, column = _DIMENSIONS[axis]
    values = frames[table][column].dropna().unique()
    if axis in (MONTH, WEEK):
        return pd.DatetimeIndex(np.sort(values), name=column).astype("datetime64[ns]")
    return pd.Index(np.sort(values).astype("int64"), name=column)


class Grid:
    """The rows of one slice: their index, and the placement of fact rows on them."""

    def __init__(self, slice_name: str, frames: Frames) -> None:
        self.slice = slice_name
        self.axes = _AXES[slice_name]
        self.frames = frames
        self.members = {axis: _members(axis, frames) for axis in self.axes}
        self.shape = tuple(len(self.members[axis]) for axis in self.axes)
        self.size = prod(self.shape)

    @property
    def index(self) -> pd.Index:
        """The slice's index: "Total", the dimension keys, or (company_id, month_start) pairs."""
        if not self.axes:
            return pd.Index(["Total"], name="total", dtype=object)
        if len(self.axes) == 1:
            return self.members[self.axes[0]]
        return pd.MultiIndex.from_product([self.members[axis] for axis in self.axes])

    def coordinates(self) -> dict[str, np.ndarray]:
        """For each axis, the member position of every slice row."""
        if not self.axes:
            return {}
        positions = np.unravel_index(np.arange(self.size), self.shape)
        return dict(zip(self.axes, positions, strict=True))

    def _positions(self, frame: pd.DataFrame, axis: str, column: str) -> np.ndarray:
        members = self.members[axis]
        if axis not in (MONTH, WEEK):
            return members.get_indexer(frame[column].to_numpy())
        calendar = self.frames[DATES].drop_duplicates("date")
        day_positions = pd.DatetimeIndex(calendar["date"]).get_indexer(frame[column].to_numpy())
        period_of_day = members.get_indexer(calendar[_DIMENSIONS[axis][1]].to_numpy())
        return np.where(day_positions >= 0, period_of_day[day_positions], -1)

    def place(self, frame: pd.DataFrame, route: Route, ignore: tuple[str, ...] = ()) -> Placement:
        """Place ``frame``'s rows on this slice through ``route``; axes in ``ignore`` do not filter."""
        kept = tuple(axis for axis in self.axes if axis not in ignore and route.column(axis) is not None)
        shape = tuple(len(self.members[axis]) for axis in kept)
        if not kept:
            codes = np.zeros(len(frame), dtype="int64")
            return Placement(codes, 1, np.zeros(self.size, dtype="int64"))
        positions = [self._positions(frame, axis, route.column(axis) or "") for axis in kept]
        inside = np.logical_and.reduce([position >= 0 for position in positions])
        codes = np.full(len(frame), -1, dtype="int64")
        if inside.any():
            codes[inside] = np.ravel_multi_index([position[inside] for position in positions], shape)
        coordinates = self.coordinates()
        spread = np.ravel_multi_index([coordinates[axis] for axis in kept], shape)
        return Placement(codes, prod(shape), spread.astype("int64"))

    def previous_month_rows(self) -> np.ndarray:
        """For each slice row, the row of the previous calendar month with the same other members (-1: none).

        All -1 unless the slice has a month axis.
        """
        if MONTH not in self.axes:
            return np.full(self.size, -1, dtype="int64")
        months = self.members[MONTH]
        return self._shifted_rows(MONTH, (months.to_period("M") - 1).to_timestamp().astype("datetime64[ns]"))

    def previous_week_rows(self) -> np.ndarray:
        """For each slice row, the row of the week before (Monday seven days earlier) with the same other members
        (-1: none). All -1 unless the slice has a week axis."""
        if WEEK not in self.axes:
            return np.full(self.size, -1, dtype="int64")
        return self._shifted_rows(WEEK, self.members[WEEK] - pd.Timedelta(days=7))

    def _shifted_rows(self, axis: str, previous: pd.Index) -> np.ndarray:
        """The slice row whose ``axis`` member is ``previous[i]`` for the row on member ``i`` (-1: none)."""
        previous_position = self.members[axis].get_indexer(previous)
        coordinates = self.coordinates()
        shifted = previous_position[coordinates[axis]]
        rows = np.full(self.size, -1, dtype="int64")
        found = shifted >= 0
        if found.any():
            moved = {name: coordinates[name][found] for name in self.axes}
            moved[axis] = shifted[found]
            rows[found] = np.ravel_multi_index([moved[name] for name in self.axes], self.shape)
        return rows
