"""DAX BLANK arithmetic on float64 arrays, where NaN stands for BLANK."""

from __future__ import annotations

import numpy as np


def blank_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``; BLANK where the denominator is 0 or BLANK or the numerator is BLANK."""
    result = np.full(np.shape(denominator), np.nan)
    usable = ~np.isnan(denominator) & (denominator != 0)
    np.divide(numerator, denominator, out=result, where=usable)
    return result


def blank_if_zero(values: np.ndarray) -> np.ndarray:
    """``values`` with 0 replaced by BLANK (a count over no rows is BLANK in DAX)."""
    return np.where(values == 0, np.nan, values)


def blank_subtract(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left - right`` as DAX does it: BLANK - BLANK is BLANK, otherwise a BLANK side counts as 0."""
    both_blank = np.isnan(left) & np.isnan(right)
    return np.where(both_blank, np.nan, np.nan_to_num(left, nan=0.0) - np.nan_to_num(right, nan=0.0))
