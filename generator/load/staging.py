"""Turn extractor pages into typed DataFrames of one STG_ table and append them, skipping repeated keys.

Every value is checked against the STG_ column's type and length here, whatever the extractor: a row that
does not fit is rejected with the reason (never silently dropped), and so is a value out of its SQL type's
range or implausible (see plausible.py). Keys already staged in this load are skipped and counted as duplicates
(the first occurrence wins: API pages can repeat an item); in a file, a repeated key whose row differs from the
first one is rejected instead, naming the line that is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from generator.load.plausible import DEFAULT_WINDOW, DateWindow, implausible, out_of_range
from generator.sources.base import Rejected, StagePage
from generator.spec.model import Column, Table

_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


class KeySet:
    """Keys seen so far in one STG_ table: sorted numpy arrays for integer keys, a set otherwise.

    Integer keys also keep, aligned, a hash of each first row's values and its file line (0 when unknown), so
    that a repeated key with different values can be told from a plain repeat (:meth:`first`)."""

    def __init__(self, integer: bool):
        self.integer = integer
        self._sorted = np.empty(0, dtype="int64")
        self._hashes = np.empty(0, dtype="uint64")
        self._lines = np.empty(0, dtype="int64")
        self._tracked = False  # hashes and lines given (file rows): keep them aligned with the keys
        self._other: set[Any] = set()

    def seen(self, keys: pd.Series | pd.DataFrame) -> np.ndarray:
        """Boolean mask: the key was staged before, or occurs earlier in ``keys``."""
        if self.integer:
            values = keys.to_numpy(dtype="int64")
            position = np.searchsorted(self._sorted, values)
            position = np.minimum(position, max(len(self._sorted) - 1, 0))
            before = (self._sorted[position] == values) if len(self._sorted) else np.zeros(len(values), bool)
            return before | _repeated(values)
        tuples = list(keys.itertuples(index=False, name=None)) if isinstance(keys, pd.DataFrame) else list(keys)
        mask = np.zeros(len(tuples), dtype=bool)
        local: set[Any] = set()
        for index, item in enumerate(tuples):
            mask[index] = item in self._other or item in local
            local.add(item)
        return mask

    def add(self, keys: pd.Series | pd.DataFrame, hashes: np.ndarray | None = None,
            lines: np.ndarray | None = None) -> None:
        """Remember ``keys`` (already free of duplicates), with their rows' hashes and lines when known."""
        if self.integer and hashes is None and not self._tracked:
            self._sorted = np.union1d(self._sorted, keys.to_numpy(dtype="int64"))
        elif self.integer:
            if not self._tracked:
                self._tracked = True
                self._hashes = np.zeros(len(self._sorted), dtype="uint64")
                self._lines = np.zeros(len(self._sorted), dtype="int64")
            values = keys.to_numpy(dtype="int64")
            everything = np.concatenate([self._sorted, values])
            order = np.argsort(everything, kind="stable")
            self._sorted = everything[order]
            new_hashes = hashes if hashes is not None else np.zeros(len(values), dtype="uint64")
            new_lines = lines if lines is not None else np.zeros(len(values), dtype="int64")
            self._hashes = np.concatenate([self._hashes, new_hashes.astype("uint64")])[order]
            self._lines = np.concatenate([self._lines, new_lines.astype("int64")])[order]
        else:
            tuples = keys.itertuples(index=False, name=None) if isinstance(keys, pd.DataFrame) else keys
            self._other.update(tuples)


    def first(self, key: int) -> tuple[int, int] | None:
        """Hash and line of the first row staged with integer ``key``, or None."""
        position = int(np.searchsorted(self._sorted, key))
        if self._tracked and position < len(self._sorted) and self._sorted[position] == key:
            return int(self._hashes[position]), int(self._lines[position])
        return None


def _repeated(values: np.ndarray) -> np.ndarray:
    """Boolean mask: the value occurs earlier in ``values`` (a stable sort instead of a hash table)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    mask = np.zeros(len(values), dtype=bool)
    mask[order[1:]] = ordered[1:] == ordered[:-1]
    return mask


def _coerce(values: pd.Series, column: Column) -> pd.Series:
    """The column's values in the dtype of its type; unparseable values become missing."""
    kind = column.data_type
    if kind == "int64":
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.dtype.kind == "f":  # fractions and values beyond 64 bits become missing (reported by the caller)
            with np.errstate(invalid="ignore"):
                numbers = numbers.where((numbers == np.floor(numbers)) & (numbers.abs() < 2.0**63))
        return numbers.astype("Int64")
    if kind in ("double", "decimal"):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == "boolean":
        if values.dtype == "boolean" or values.dtype == bool:
            return values.astype("boolean")
        mapped = values.map(lambda v: v if isinstance(v, bool | np.bool_) or v is None
                            else _BOOL_TEXT.get(str(v).strip().lower()) if not _missing(v) else None)
        return mapped.astype("boolean")
    if kind in ("date", "datetime"):
        stamps = pd.to_datetime(values, errors="coerce", utc=False)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        # whole seconds: MariaDB's DATETIME keeps no fractions, and every target must hold the same rows
        stamps = stamps.astype("datetime64[us]").dt.floor("s")
        return stamps.dt.normalize() if kind == "date" else stamps
    return values.astype("object").where(values.notna(), None)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


@dataclass
class StagedPage:
    """A page ready to insert, with what was left out of it."""

    frame: pd.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: int = 0


def typed_frame(page: StagePage, table: Table, source: str, keys: KeySet,
                window: DateWindow = DEFAULT_WINDOW) -> StagedPage:
    """Check and type one page against its STG_ table; reject rows that do not fit (wrong type, out of the
    type's range, implausible, dates outside ``window``), skip repeated keys."""
    names = table.column_names
    if page.frame is not None:
        raw = page.frame
    else:
        raw = pd.DataFrame.from_records(page.rows) if page.rows else pd.DataFrame(columns=names)
    unknown = sorted(set(raw.columns) - set(names))
    if unknown:
        from generator.errors import ToolError

        raise ToolError(f"the {source} extractor gave {table.name} rows with unknown columns {unknown}")
    raw = raw.reset_index(drop=True)
    count = len(raw)
    reasons = np.full(count, "", dtype=object)
    typed: dict[str, pd.Series] = {}
    for column in table.columns:
        absent = column.name not in raw.columns
        label = page.labels.get(column.name, column.name)
        values = pd.Series(np.full(count, None, dtype=object)) if absent else raw[column.name]
        huge = out_of_range(values, column)
        if huge.any():
            reasons[huge] += np.array([f"{label} {v!r} is out of range for {column.data_type}; "
                                       for v in values[huge]], dtype=object)
            values = values.where(~huge)
        converted = _coerce(values, column)
        if _already_typed(values, column):  # the conversion keeps every value: nothing can become invalid
            bad = np.zeros(count, dtype=bool)
        else:
            present = values.notna()
            if values.dtype == object:
                present &= values != ""
            bad = present.to_numpy(bool) & converted.isna().to_numpy(bool) & ~huge
        odd, why = implausible(table.name, column, converted, window)
        if odd.any():
            reasons[odd] += np.array([f"{label} {_shown(v)} {why}; " for v in converted[odd]], dtype=object)
        if column.data_type == "string" and column.max_length and _longest(converted) > column.max_length:
            too_long = (converted.str.len().fillna(0) > column.max_length).to_numpy(bool)
            reasons[too_long] += f"{label} is longer than {column.max_length} characters; "
        if not column.nullable:
            blank = converted.isna().to_numpy(bool) & ~bad & ~huge
            if blank.any():
                reasons[blank] += f"{label} is missing; "
        if bad.any():
            reasons[bad] += f"{label} is not a valid {column.data_type}; "
        typed[column.name] = converted
    frame = pd.DataFrame(typed)
    rejected_mask = reasons != ""
    if page.origin is not None and page.lines is not None:  # a file: its line says which row
        rejected = [Rejected(page.origin, int(page.lines[i]), reasons[i].rstrip("; "))
                    for i in np.flatnonzero(rejected_mask)]
    else:
        rejected = [Rejected(f"{source} {page.entity}", None,
                             f"{_describe_key(raw, table, i)}: {reasons[i].rstrip('; ')}")
                    for i in np.flatnonzero(rejected_mask)]
    if rejected:
        frame = frame[~rejected_mask]
    key_frame = frame[list(table.key)] if len(table.key) > 1 else frame[table.key[0]]
    repeated = keys.seen(key_frame)
    hashes = lines = None
    conflicts: list[Rejected] = []
    if keys.integer and page.lines is not None:  # file rows: a repeated id must repeat the same values
        lines = np.asarray(page.lines, dtype="int64")[~rejected_mask]
        hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        if repeated.any():
            label = page.labels.get(table.key[0], table.key[0])
            conflicts = _conflicts(key_frame.to_numpy(dtype="int64"), hashes, lines, repeated, keys, page, label)
    rejected += conflicts
    duplicates = int(repeated.sum()) - len(conflicts)
    if repeated.any():
        frame = frame[~repeated]
        if hashes is not None and lines is not None:
            hashes, lines = hashes[~repeated], lines[~repeated]
    keys.add(frame[list(table.key)] if len(table.key) > 1 else frame[table.key[0]], hashes, lines)
    return StagedPage(frame.reset_index(drop=True), rejected, duplicates)


def _conflicts(values: np.ndarray, hashes: np.ndarray, lines: np.ndarray, repeated: np.ndarray, keys: KeySet,
               page: StagePage, label: str) -> list[Rejected]:
    """Rows repeating an earlier row's key with different values (the earlier row is the one loaded)."""
    firsts: dict[int, tuple[int, int]] = {}
    wanted = set(values[repeated].tolist())
    for index in np.flatnonzero(~repeated):
        key = int(values[index])
        if key in wanted:
            firsts[key] = (int(hashes[index]), int(lines[index]))
    result = []
    for index in np.flatnonzero(repeated):
        key = int(values[index])
        first = keys.first(key) or firsts.get(key)
        if first is not None and first[1] and first[0] != int(hashes[index]):  # line 0: values not known
            result.append(Rejected(str(page.origin), int(lines[index]),
                                   f"{label} {key} repeats line {first[1]} with different values; line {first[1]} is "
                                   "loaded, this line is not"))
    return result


_KEEPS_EVERY_VALUE = {"int64": "iu", "double": "iuf", "decimal": "iuf", "boolean": "b", "date": "M", "datetime": "M"}


def _already_typed(values: pd.Series, column: Column) -> bool:
    """Whether :func:`_coerce` can turn no present value missing: text (any value is a string) or values
    already of the column's kind (whole numbers for int64, numbers for double, booleans, timestamps)."""
    if column.data_type not in _KEEPS_EVERY_VALUE:
        return True
    return values.dtype.kind in _KEEPS_EVERY_VALUE[column.data_type]


def _shown(value: Any) -> str:
    """A typed value in a rejection reason: days without a midnight time, numbers as written."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else str(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _longest(values: pd.Series) -> int:
    """Length of the longest string (0 when there is none): one C-level pass, no per-row Series."""
    return max(map(len, filter(None, values.to_numpy(dtype=object))), default=0)


def _describe_key(raw: pd.DataFrame, table: Table, index: int) -> str:
    parts = [f"{k}={raw.at[index, k]}" if k in raw.columns else f"{k}=?" for k in table.key]
    return f"{table.name} " + " ".join(parts)
