"""The measure catalogue the report evaluates: the specs' model, with the report's thresholds as parameters.

The report's target Happy % and low-confidence threshold are the catalogue's parameters ``target_happy_pct``
and ``low_confidence_threshold``. When the report is asked for other values, the specs are loaded again with
those parameter values (:func:`generator.spec.loader.load_model`'s ``parameters``), so that ``CSAT - Risk Tier``
and ``CSAT - Low Confidence`` are the catalogue's own definitions evaluated with the report's thresholds, never a
second implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.engine.model import EngineModel
from generator.engine.sources import model_from_spec
from generator.errors import ToolError
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir, resolve_spec_dir
from generator.spec.model import Model
from generator.spec.report import EMPTY_REPORT, Report

TARGET = "target_happy_pct"
MIN_RESPONSES = "low_confidence_threshold"
HIGH_GAP = "high_risk_gap_points"
MODERATE_GAP = "moderate_risk_gap_points"


@dataclass(frozen=True)
class Catalogue:
    """The engine model to query and the parameter values its measures were generated with."""

    model: EngineModel
    parameters: dict[str, float]
    spec_parameters: dict[str, float]  # the values in the specs (what the Power BI model uses)
    report: Report = EMPTY_REPORT  # the report spec (report/*.yaml): the HTML charts are drawn from its visuals

    @property
    def overridden(self) -> list[str]:
        """Names of the parameters the report changed from the specs' values."""
        return [name for name, value in self.parameters.items() if self.spec_parameters.get(name) != value]


def _values(model: Model) -> dict[str, float]:
    return {parameter.name: parameter.value for parameter in model.parameters}


def catalogue_of(model: Model) -> Catalogue:
    """The catalogue of a loaded specs model, with the specs' own parameter values."""
    return Catalogue(model_from_spec(model), _values(model), _values(model), model.report or EMPTY_REPORT)


def load_catalogue(specs: Path | None, overrides: dict[str, float | None]) -> Catalogue:
    """The catalogue from ``specs`` (default: the tool's specs) with ``overrides`` (None: keep the spec value)."""
    spec_dir = resolve_spec_dir(specs) if specs else default_spec_dir()
    model = load_model(spec_dir)
    spec_values = _values(model)
    for name in (TARGET, MIN_RESPONSES, HIGH_GAP, MODERATE_GAP):
        if name not in spec_values:
            raise ToolError(f"the specs in {spec_dir} define no parameter {name!r}, which the report needs "
                            "(see measures/00-parameters.yaml)")
    changes = {name: value for name, value in overrides.items()
               if value is not None and spec_values.get(name) != value}
    report = model.report or EMPTY_REPORT
    if changes:
        model = load_model(spec_dir, parameters=changes)
    return Catalogue(model_from_spec(model), _values(model), spec_values, report)

