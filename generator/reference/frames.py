"""The BI_ tables as the reference reads them: typed the same way whatever the caller passed.

Callers hand over DataFrames straight from a database driver or built by hand, so dates may be
``datetime64`` or python ``date`` objects, booleans may be ``bool``, 0/1, strings or ``None`` and keys may be
nullable integers or floats. Each table is normalised once, on first use, and only the columns the
measures read are kept: keys become float64 (NaN for null), numbers float64, dates and datetimes
``datetime64[ns]`` (dates at midnight), flags float64 1.0 / 0.0 / NaN, texts str (None for null or empty).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

Tables = Mapping[str, pd.DataFrame]

COMPANIES = "BI_Autotask_Companies"
RESOURCES = "BI_Autotask_Resources"
QUEUES = "BI_Autotask_Queues"
TICKETS = "BI_Autotask_Tickets"
TIME_ENTRIES = "BI_Autotask_TimeEntries"
REVIEWS = "BI_SmileBack_Reviews"
SURVEYS = "BI_SmileBack_Surveys"
NPS = "BI_SmileBack_NPS"
DATES = "BI_Date"
ISSUE_TYPES = "BI_Autotask_IssueTypes"
PRIORITIES = "BI_Autotask_Priorities"
SOURCES = "BI_Autotask_Sources"
RESOLUTIONS = "BI_Autotask_Resolutions"
#: the keys of the ticket-attribute dimensions that tickets and reviews share
ATTRIBUTE_KEYS = ("issue_type_id", "priority_id", "source_id", "resolution_key")

_KEYS: dict[str, tuple[str, ...]] = {
    COMPANIES: ("company_id",),
    RESOURCES: ("resource_id",),
    QUEUES: ("queue_id",),
    ISSUE_TYPES: ("issue_type_id",),
    PRIORITIES: ("priority_id",),
    SOURCES: ("source_id",),
    RESOLUTIONS: ("resolution_key",),
    TICKETS: ("ticket_id", "company_id", "queue_id", "assigned_resource_id", *ATTRIBUTE_KEYS),
    TIME_ENTRIES: ("time_entry_id", "ticket_id", "resource_id"),
    REVIEWS: ("review_id", "ticket_id", "company_id", "resource_id", "queue_id", *ATTRIBUTE_KEYS),
    SURVEYS: ("survey_id", "company_id", "resource_id", "queue_id"),
    NPS: ("nps_response_id", "company_id"),
    DATES: (),
}
_NUMBERS: dict[str, tuple[str, ...]] = {
    TICKETS: ("hours_worked",),
    TIME_ENTRIES: ("hours_worked",),
    REVIEWS: ("rating",),
    SURVEYS: ("score",),
    NPS: ("score",),
}
_DATES: dict[str, tuple[str, ...]] = {
    COMPANIES: ("client_since", "churned_on"),
    TICKETS: ("created_date", "completed_date"),
    TIME_ENTRIES: ("date_worked",),
    REVIEWS: ("rated_date",),
    SURVEYS: ("survey_date",),
    NPS: ("responded_date",),
    DATES: ("date", "month_start", "week_start"),
}
_DATETIMES: dict[str, tuple[str, ...]] = {
    TICKETS: ("created_at", "first_response_at", "completed_at"),
    REVIEWS: ("rated_at",),
    NPS: ("responded_at",),
}
_FLAGS: dict[str, tuple[str, ...]] = {
    TICKETS: ("sla_met", "first_contact_resolution"),
}
_TEXTS: dict[str, tuple[str, ...]] = {
    REVIEWS: ("contact_email", "review_status"),
}
# A date column the caller left out is derived from the timestamp it is the day of.
_DAY_OF: dict[str, dict[str, str]] = {
    TICKETS: {"created_date": "created_at", "completed_date": "completed_at"},
    REVIEWS: {"rated_date": "rated_at"},
    NPS: {"responded_date": "responded_at"},
}

_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n"})


def as_datetimes(values: pd.Series) -> pd.Series:
    """``values`` as naive ``datetime64[ns]`` (UTC when they carried a time zone); unparseable values are NaT."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values.astype(object), errors="coerce", utc=True).dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def as_dates(values: pd.Series) -> pd.Series:
    """``values`` as dates at midnight (``datetime64[ns]``)."""
    return as_datetimes(values).dt.normalize()


def as_numbers(values: pd.Series) -> pd.Series:
    """Numeric values as float64, NaN where null or not a number."""
    numbers = pd.to_numeric(values, errors="coerce")
    return pd.Series(numbers.to_numpy(dtype="float64", na_value=np.nan), index=values.index)


def as_keys(values: pd.Series) -> pd.Series:
    """Integer keys as float64, NaN where null (exact for every id below 2**53)."""
    return as_numbers(values)


def _flag_value(value: object) -> float:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return np.nan
    if isinstance(value, str):
        folded = value.strip().lower()
        return 1.0 if folded in _TRUE_WORDS else 0.0 if folded in _FALSE_WORDS else np.nan
    return 1.0 if bool(value) else 0.0


def as_flags(values: pd.Series) -> pd.Series:
    """Booleans as float64: 1.0 true, 0.0 false, NaN null (from bool, 0/1, strings, None or pd.NA)."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        numbers = pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=values.index)
        return numbers.where(numbers.isna(), (numbers != 0).astype("float64"))
    return values.astype(object).map(_flag_value).astype("float64")


def as_texts(values: pd.Series) -> pd.Series:
    """Texts as str objects; None where null or empty (DAX's ISBLANK holds for both)."""
    return values.astype(object).map(lambda v: v if isinstance(v, str) and v != "" else None).astype(object)


def normalise(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of table ``name`` that the measures read, typed (see the module docstring)."""
    converters = (
        (_KEYS, as_keys),
        (_NUMBERS, as_numbers),
        (_DATES, as_dates),
        (_DATETIMES, as_datetimes),
        (_FLAGS, as_flags),
        (_TEXTS, as_texts),
    )
    result: dict[str, pd.Series] = {}
    for columns_by_table, convert in converters:
        for column in columns_by_table.get(name, ()):
            if column in frame.columns:
                result[column] = convert(frame[column])
    for day, timestamp in _DAY_OF.get(name, {}).items():
        if day not in result and timestamp in result:
            result[day] = result[timestamp].dt.normalize()
    return pd.DataFrame(result, index=pd.RangeIndex(len(frame)))


class Frames:
    """The caller's tables, normalised lazily (each table on first use, then cached)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        """Table ``name`` normalised; ValueError when the caller did not supply it."""
        if name not in self._cache:
            if name not in self._tables:
                raise ValueError(f"table {name} is needed but missing; got {sorted(self._tables)}")
            self._cache[name] = normalise(name, self._tables[name].reset_index(drop=True))
        return self._cache[name]
