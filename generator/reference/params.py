"""The thresholds the catalogue's measures are parameterised by."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameters:
    """Thresholds of the CSAT flag and tier measures.

    ``low_confidence_threshold``: fewer reviews than this flag the slice as low confidence.
    ``target_happy_pct``: the Happy % target, as a fraction (0.90 = 90 %).
    ``high_risk_gap_points`` / ``moderate_risk_gap_points``: gaps in percentage points (below the target, or
    below the portfolio) that make a slice high or moderate risk.
    """

    low_confidence_threshold: int = 10
    target_happy_pct: float = 0.90
    high_risk_gap_points: float = 10.0
    moderate_risk_gap_points: float = 3.0


DEFAULT_PARAMETERS = Parameters()
