"""Independent pandas reference implementation of the measure catalogue (DESIGN sections 3 and 7).

Computes every catalogued measure straight from the BI_ tables with pandas/numpy, per slice, so that the DAX
engine's results can be compared with it. It imports nothing from the DAX engine, the DAX/TMDL generators or
the spec loader.
"""

from generator.reference.catalogue import MEASURES, NOT_ON_SLICE, compared_on
from generator.reference.evaluate import evaluate, evaluate_all, time_entry_hours_per_closed_ticket
from generator.reference.frames import Tables
from generator.reference.grid import ATTRIBUTE_SLICES, SLICES
from generator.reference.params import Parameters

__all__ = [
    "ATTRIBUTE_SLICES",
    "MEASURES",
    "NOT_ON_SLICE",
    "SLICES",
    "Parameters",
    "Tables",
    "compared_on",
    "evaluate",
    "evaluate_all",
    "time_entry_hours_per_closed_ticket",
]
