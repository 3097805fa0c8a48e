"""The evaluation context shared by the measure functions of one slice: tables, grid, parameters, memo."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from generator.reference.frames import Frames
from generator.reference.grid import Grid
from generator.reference.params import Parameters

MeasureFunction = Callable[["Context"], np.ndarray]
T = TypeVar("T")


@dataclass
class Context:
    """One slice's evaluation: every measure value is an array with one entry per slice row.

    Numeric measures are float64 arrays with NaN for BLANK; flags are bool arrays; tiers are object arrays
    holding str or None.
    """

    frames: Frames
    grid: Grid
    params: Parameters
    registry: Mapping[str, MeasureFunction]
    _memo: dict[Hashable, Any] = field(default_factory=dict)

    def measure(self, name: str) -> np.ndarray:
        """The value of catalogue measure ``name`` on every slice row (computed once per context)."""
        return self.memo(("measure", name), lambda: self.registry[name](self))

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, cached under ``key`` for the life of this context."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]
