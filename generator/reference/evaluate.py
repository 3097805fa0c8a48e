"""Evaluate catalogue measures on a slice of the BI_ tables, as pandas Series with BLANK as None."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.reference import tickets
from generator.reference.catalogue import MEASURES, REGISTRY
from generator.reference.context import Context
from generator.reference.frames import Frames, Tables
from generator.reference.grid import ATTRIBUTE_SLICES, SLICES, Grid
from generator.reference.params import DEFAULT_PARAMETERS, Parameters


def _check_slice(slice_name: str) -> None:
    if slice_name not in SLICES + ATTRIBUTE_SLICES:
        raise ValueError(f"unknown slice {slice_name!r}; valid slices: {', '.join(SLICES + ATTRIBUTE_SLICES)}")


def _check_measure(measure: str) -> None:
    if measure not in REGISTRY:
        raise ValueError(f"unknown measure {measure!r}; valid measures: {', '.join(MEASURES)}")


def _context(tables: Tables | Frames, slice_name: str, params: Parameters) -> Context:
    _check_slice(slice_name)
    frames = tables if isinstance(tables, Frames) else Frames(tables)
    return Context(frames, Grid(slice_name, frames), params, REGISTRY)


def _series(values: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    """An object Series: python floats, bools or strs, and None for BLANK (NaN)."""
    objects = np.asarray(values).astype(object)
    if values.dtype.kind == "f":
        objects[np.isnan(values)] = None
    return pd.Series(objects, index=index, name=name, dtype=object)


def evaluate(
    measure: str,
    tables: Tables,
    slice: str = "total",
    params: Parameters = DEFAULT_PARAMETERS,
) -> pd.Series:
    """The value of ``measure`` on every row of ``slice``: a Series named by the measure, object dtype.

    Values are float (numbers), bool (flags), str (tiers) or None (DAX BLANK). The index is "Total" (named
    ``total``), the sorted company_id / month_start / resource_id / queue_id of the dimension, or the
    (company_id, month_start) cross product. ValueError for an unknown measure or slice.
    """
    _check_measure(measure)
    context = _context(tables, slice, params)
    return _series(context.measure(measure), context.grid.index, measure)


def evaluate_all(
    tables: Tables,
    slice: str = "total",
    params: Parameters = DEFAULT_PARAMETERS,
) -> pd.DataFrame:
    """Every catalogue measure on ``slice``: one object column per measure, in catalogue order."""
    context = _context(tables, slice, params)
    index = context.grid.index
    columns = {measure: _series(context.measure(measure), index, measure) for measure in MEASURES}
    return pd.DataFrame(columns, index=index)


def time_entry_hours_per_closed_ticket(tables: Tables, slice: str = "total") -> pd.Series:
    """Hours of the time entries on each slice row's closed tickets ÷ its closed tickets (None: BLANK).

    Time entries reach the slice through their ticket (its company, assigned technician, queue and
    completed month). Equals "Tickets - Avg Hours per Ticket" when ticket ``hours_worked`` is the sum of the
    ticket's time entries.
    """
    context = _context(tables, slice, DEFAULT_PARAMETERS)
    return _series(tickets.time_entry_hours(context), context.grid.index, "Time Entry Hours per Closed Ticket")
