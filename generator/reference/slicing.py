"""Slices by any model columns: the rows (members of each axis column) and where a table's rows land on them.

An axis is a ``(table, column)`` of the model. A table's rows reach an axis through the model's active
many-to-one relationships (followed from the many side to the one side, as Power BI's filters flow the other
way); a table that does not reach an axis is not filtered by it. Axes on the same table give only the
combinations that table holds, as SUMMARIZECOLUMNS does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from math import prod

import numpy as np
import pandas as pd

from generator.reference.frames import Tables
from generator.reference.grid import Placement

Axis = tuple[str, str]

#: The standard slices of ``validate`` as axes (the engine groups by the same columns, in the same order).
STANDARD_SLICES: dict[str, tuple[Axis, ...]] = {
    "total": (),
    "client": (("BI_Autotask_Companies", "company_id"),),
    "month": (("BI_Date", "month_start"),),
    "technician": (("BI_Autotask_Resources", "resource_id"),),
    "queue": (("BI_Autotask_Queues", "queue_id"),),
    "client_month": (("BI_Autotask_Companies", "company_id"), ("BI_Date", "month_start")),
    "week": (("BI_Date", "week_start"),),
}
#: The slices by the reviewed ticket's attributes (the shared dimensions): run when listed or named.
ATTRIBUTE_SLICE_AXES: dict[str, tuple[Axis, ...]] = {
    "issue_type": (("BI_Autotask_IssueTypes", "issue_type_id"),),
    "priority": (("BI_Autotask_Priorities", "priority_id"),),
    "source": (("BI_Autotask_Sources", "source_id"),),
    "resolution": (("BI_Autotask_Resolutions", "resolution_key"),),
}


@dataclass(frozen=True)
class Link:
    """A relationship of the model: ``many_table[many_column]`` many-to-one ``one_table[one_column]``."""

    many_table: str
    many_column: str
    one_table: str
    one_column: str
    active: bool


def typed(values: pd.Series) -> pd.Series:
    """A column as the reference computes with it: numbers and flags float64 (NaN: BLANK), dates
    ``datetime64[ns]``, text object (None: BLANK)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=values.index)
    present = values.dropna()
    if len(present) and all(hasattr(v, "year") and hasattr(v, "day") for v in present):
        return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")
    if len(present) and all(isinstance(v, bool | int | float) for v in present):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return values.astype(object).where(values.notna(), None)


class Tabular:
    """The caller's tables, each column typed on first use (see :func:`typed`)."""

    def __init__(self, tables: Tables):
        self._tables = tables
        self._cache: dict[Axis, pd.Series] = {}

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the table (and column) was supplied."""
        return table in self._tables and (column is None or column in self._tables[table].columns)

    def length(self, table: str) -> int:
        """Rows of ``table``."""
        return len(self._frame(table))

    def _frame(self, table: str) -> pd.DataFrame:
        if table not in self._tables:
            raise KeyError(f"table {table} is needed but missing")
        return self._tables[table]

    def column(self, table: str, column: str) -> pd.Series:
        """``table[column]`` typed, with a 0..n-1 index."""
        if (table, column) not in self._cache:
            frame = self._frame(table)
            if column not in frame.columns:
                raise KeyError(f"column {table}[{column}] is needed but missing")
            self._cache[(table, column)] = typed(frame[column].reset_index(drop=True))
        return self._cache[(table, column)]


def _positions(keys: pd.Series, among: pd.Series) -> np.ndarray:
    """For each of ``keys``, the first row of ``among`` holding it (-1: none, or the key is BLANK)."""
    first = ~among.duplicated() & among.notna()
    index = pd.Index(among[first].to_numpy())
    rows = np.flatnonzero(first.to_numpy())
    found = index.get_indexer(keys.to_numpy())
    result = np.where(found >= 0, rows[np.maximum(found, 0)], -1)
    return np.where(keys.isna().to_numpy(), -1, result)


class Reach:
    """Where each row of a table lands in another table, through the active relationships."""

    def __init__(self, data: Tabular, links: tuple[Link, ...]):
        self.data, self.links = data, links
        self._memo: dict[tuple[str, str, tuple[Link, ...]], np.ndarray | None] = {}

    def rows(self, start: str, target: str, links: tuple[Link, ...] | None = None) -> np.ndarray | None:
        """For each ``start`` row its ``target`` row (-1: no matching row); None when no path joins them."""
        links = self.links if links is None else links
        key = (start, target, links)
        if key not in self._memo:
            self._memo[key] = self._walk(start, target, links)
        return self._memo[key]

    def _walk(self, start: str, target: str, links: tuple[Link, ...]) -> np.ndarray | None:
        if start == target:
            return np.arange(self.data.length(start))
        paths: deque[tuple[str, tuple[Link, ...]]] = deque([(start, ())])
        seen = {start}
        while paths:
            table, path = paths.popleft()
            for link in links:
                if not link.active or link.many_table != table or link.one_table in seen:
                    continue
                if link.one_table == target:
                    return self._follow((*path, link))
                seen.add(link.one_table)
                paths.append((link.one_table, (*path, link)))
        return None

    def _follow(self, path: tuple[Link, ...]) -> np.ndarray:
        rows: np.ndarray | None = None
        for link in path:
            step = _positions(self.data.column(link.many_table, link.many_column),
                              self.data.column(link.one_table, link.one_column))
            rows = step if rows is None else np.where(rows >= 0, step[np.maximum(rows, 0)], -1)
        assert rows is not None
        return rows


@dataclass(frozen=True)
class Scope:
    """How a measure's filter context differs from its slice row's: axes whose filter is removed
    (REMOVEFILTERS) and axes whose values filter another column instead (TREATAS)."""

    ignored: frozenset[int] = frozenset()
    moved: tuple[tuple[int, Axis], ...] = ()

    def without(self, axes: set[int]) -> Scope:
        """This scope with ``axes`` removed too."""
        return Scope(self.ignored | frozenset(axes), self.moved)

    def moving(self, index: int, to: Axis) -> Scope:
        """This scope with axis ``index`` filtering ``to`` instead."""
        return Scope(self.ignored, (*self.moved, (index, to)))


class Grid:
    """The rows of a slice over ``axes``: the cross product of each axis's members (sorted, BLANK left out),
    of which only combinations that exist are shown when several axes share a table."""

    def __init__(self, data: Tabular, axes: tuple[Axis, ...]):
        self.data, self.axes = data, axes
        self.members = [self._members(axis) for axis in axes]
        self.shape = tuple(len(m) for m in self.members)
        self.size = prod(self.shape)
        self.coordinates = list(np.unravel_index(np.arange(self.size), self.shape)) if axes else []

    def _members(self, axis: Axis) -> pd.Index:
        values = self.data.column(*axis).dropna()
        unique = pd.Series(values.unique())
        if pd.api.types.is_float_dtype(unique.dtype) and len(unique) and (unique % 1 == 0).all():
            unique = unique.astype("int64")
        return pd.Index(unique.sort_values(kind="stable").to_numpy(), name=axis[1])

    def member_rows(self, index: int, column_of: Axis | None = None) -> np.ndarray:
        """For each row of the axis's table (or of ``column_of``'s, whose values are matched instead), its member
        position on axis ``index`` (-1: BLANK or no member)."""
        table, column = column_of or self.axes[index]
        values = self.data.column(table, column)
        found = self.members[index].get_indexer(values.to_numpy())
        return np.where(values.isna().to_numpy(), -1, found)

    @property
    def shown(self) -> np.ndarray:
        """The grid rows a visual shows: combinations that exist in their table, when axes share one."""
        keep = np.ones(self.size, dtype=bool)
        by_table: dict[str, list[int]] = {}
        for index, (table, _) in enumerate(self.axes):
            by_table.setdefault(table, []).append(index)
        for indexes in by_table.values():
            if len(indexes) < 2:
                continue
            rows = np.stack([self.member_rows(i) for i in indexes], axis=1)
            rows = rows[(rows >= 0).all(axis=1)]
            existing = set(np.ravel_multi_index(rows.T, [self.shape[i] for i in indexes]).tolist())
            mine = np.ravel_multi_index([self.coordinates[i] for i in indexes], [self.shape[i] for i in indexes])
            keep &= np.isin(mine, list(existing))
        return keep

    @property
    def index(self) -> pd.Index:
        """"Total", the axis's values, or tuples of them (axis order)."""
        if not self.axes:
            return pd.Index(["Total"], name="total", dtype=object)
        if len(self.axes) == 1:
            return self.members[0]
        return pd.MultiIndex.from_product(self.members)

    def place(self, table: str, reach: Reach, links: tuple[Link, ...], scope: Scope) -> Placement:
        """Where ``table``'s rows land; axes ``scope`` ignores and axes ``table`` does not reach do not filter,
        and an axis ``scope`` moves filters through the column it moves to."""
        kept, positions = [], []
        moved = dict(scope.moved)
        for index, axis in enumerate(self.axes):
            if index in scope.ignored:
                continue
            target = moved.get(index, axis)
            rows = reach.rows(table, target[0], links)
            if rows is None:
                continue
            members = self.member_rows(index, target)
            kept.append(index)
            positions.append(np.where(rows >= 0, members[np.maximum(rows, 0)], -1))
        length = self.data.length(table)
        if not kept:
            return Placement(np.zeros(length, dtype="int64"), 1, np.zeros(self.size, dtype="int64"))
        shape = tuple(self.shape[i] for i in kept)
        inside = np.logical_and.reduce([p >= 0 for p in positions])
        codes = np.full(length, -1, dtype="int64")
        if inside.any():
            codes[inside] = np.ravel_multi_index([p[inside] for p in positions], shape)
        spread = np.ravel_multi_index([self.coordinates[i] for i in kept], shape)
        return Placement(codes, prod(shape), spread.astype("int64"))

    def shifted_rows(self, index: int, previous: pd.Index) -> np.ndarray:
        """For each grid row, the row whose member on axis ``index`` is ``previous`` of its own (-1: none)."""
        target = self.members[index].get_indexer(previous)[self.coordinates[index]]
        rows = np.full(self.size, -1, dtype="int64")
        found = target >= 0
        if found.any():
            moved = [c[found] for c in self.coordinates]
            moved[index] = target[found]
            rows[found] = np.ravel_multi_index(moved, self.shape)
        return rows
