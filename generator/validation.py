"""``gen-measures validate``: every generated measure, evaluated by the DAX engine from its generated DAX on
the standard slices, compared with the independent pandas reference (DESIGN section 7).

The engine and the reference never import each other; this module is where they meet. A slice is evaluated
as Power BI evaluates a visual: ``SUMMARIZECOLUMNS(<slice columns>, "name", [Measure], …)`` (``ROW`` for the
grand total). A row SUMMARIZECOLUMNS leaves out has only BLANK values. The slice rows are the dimension's
members, as in the reference; a dimension's blank row (fact rows with no match, such as open tickets, whose
completion month is BLANK) is not compared.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from generator.engine.errors import DaxEngineError
from generator.engine.run import Engine
from generator.reference import SLICES, Parameters, compared_on, evaluate_all

TOLERANCE = 1e-9

# slice → the model columns whose values make its rows (the reference's index, in the same order)
SLICE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "total": (),
    "client": (("BI_Autotask_Companies", "company_id"),),
    "month": (("BI_Date", "month_start"),),
    "technician": (("BI_Autotask_Resources", "resource_id"),),
    "queue": (("BI_Autotask_Queues", "queue_id"),),
    "client_month": (("BI_Autotask_Companies", "company_id"), ("BI_Date", "month_start")),
    "week": (("BI_Date", "week_start"),),
    "issue_type": (("BI_Autotask_IssueTypes", "issue_type_id"),),
    "priority": (("BI_Autotask_Priorities", "priority_id"),),
    "source": (("BI_Autotask_Sources", "source_id"),),
    "resolution": (("BI_Autotask_Resolutions", "resolution_key"),),
}


@dataclass(frozen=True)
class Check:
    """One measure on one slice row: the engine's value, the reference's, and whether they agree."""

    measure: str
    slice: str
    key: str
    engine: Any
    reference: Any
    passed: bool
    error: str = ""


@dataclass(frozen=True)
class Validation:
    """Every check of a run."""

    checks: tuple[Check, ...]
    measures: tuple[str, ...]
    slices: tuple[str, ...]
    references: dict[str, pd.DataFrame] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mismatches(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if not check.passed]


def slice_query(slice_name: str, measures: Sequence[str]) -> str:
    """The DAX query that evaluates ``measures`` on every row of ``slice_name``."""
    pairs = ", ".join(f'"{_escape(name)}", [{name.replace("]", "]]")}]' for name in measures)
    columns = SLICE_COLUMNS[slice_name]
    if not columns:
        return f"EVALUATE ROW({pairs})"
    groups = ", ".join(f"{table}[{column}]" for table, column in columns)
    return f"EVALUATE SUMMARIZECOLUMNS({groups}, {pairs})"


def _escape(text: str) -> str:
    return text.replace('"', '""')


def same_value(engine: Any, reference: Any) -> bool:
    """Blanks equal, booleans and text equal, numbers within 1e-9 relative (NaN equals NaN)."""
    if engine is None or reference is None:
        return engine is None and reference is None
    if isinstance(reference, bool) or isinstance(engine, bool):
        return isinstance(engine, bool) and isinstance(reference, bool) and engine == reference
    if isinstance(reference, str) or isinstance(engine, str):
        return isinstance(engine, str) and isinstance(reference, str) and engine == reference
    left, right = float(engine), float(reference)
    if math.isnan(left) or math.isnan(right):
        return math.isnan(left) and math.isnan(right)
    if math.isinf(left) or math.isinf(right):
        return left == right
    return abs(left - right) <= TOLERANCE * max(abs(left), abs(right)) or left == right


def _key(value: Any) -> Any:
    """A slice key in one form for both sides: int ids, Timestamp months."""
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return pd.Timestamp(value).normalize()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _row_key(key: Any) -> Any:
    """A slice row's key (one value or a tuple of them) in the common form of :func:`_key`."""
    return tuple(_key(part) for part in key) if isinstance(key, tuple) else _key(key)


def _label(key: Any) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(p.strftime("%Y-%m") if isinstance(p, pd.Timestamp) else str(p) for p in parts)


def _engine_values(engine: Engine, slice_name: str, measure: str) -> dict[Any, Any]:
    """The measure's value by slice key (one query per measure: DuckDB plans small queries much faster)."""
    width = len(SLICE_COLUMNS[slice_name])
    result = engine.query(slice_query(slice_name, [measure]))[0]
    values: dict[Any, Any] = {}
    for row in result.rows:
        key_parts = tuple(_key(v) for v in row[:width])
        key = "Total" if width == 0 else key_parts[0] if width == 1 else key_parts
        values[key] = row[width]
    return values


def validate(engine: Engine, tables: dict[str, pd.DataFrame], measures: Sequence[str], parameters: Parameters,
             slices: Sequence[str] = SLICES, progress: Callable[[str], None] | None = None) -> Validation:
    """Evaluate ``measures`` with the engine and the reference on ``slices`` and compare every value."""
    checks: list[Check] = []
    references: dict[str, pd.DataFrame] = {}
    for slice_name in slices:
        if progress:
            progress(slice_name)
        reference = evaluate_all(tables, slice_name, parameters)
        references[slice_name] = reference
        keys = {_row_key(k): k for k in reference.index}
        for measure in compared_on(slice_name, list(measures)):
            expected = reference[measure] if measure in reference.columns else None
            try:
                values = _engine_values(engine, slice_name, measure)
            except DaxEngineError as error:
                checks.extend(Check(measure, slice_name, _label(key), None,
                                    None if expected is None else expected.loc[raw], False, str(error))
                              for key, raw in keys.items())
                continue
            for key, raw in keys.items():
                wanted = None if expected is None else expected.loc[raw]
                got = values.get(key)
                checks.append(Check(measure, slice_name, _label(key), got, wanted, same_value(got, wanted)))
            for key in sorted(set(values) - set(keys), key=str):
                parts = key if isinstance(key, tuple) else (key,)
                if None in parts:
                    continue  # the blank row of a dimension (e.g. open tickets' blank month): not a slice member
                if values[key] is not None:
                    checks.append(Check(measure, slice_name, _label(key), values[key], None, False,
                                        "a row the reference does not have"))
    return Validation(tuple(checks), tuple(measures), tuple(slices), references)


def _shown(value: Any) -> str:
    if value is None:
        return "BLANK"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def mismatch_table(mismatches: Sequence[Check]) -> str:
    """An aligned table of mismatches: measure, slice, row, engine value, reference value, note."""
    header = ("measure", "slice", "row", "engine", "reference", "note")
    rows = [(c.measure, c.slice, c.key, _shown(c.engine), _shown(c.reference), c.error) for c in mismatches]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def report_json(validation: Validation) -> dict[str, Any]:
    """The run as JSON-ready data: counts, and every mismatch with both values."""

    def plain(value: Any) -> Any:
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return str(value)
        if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
            return value.isoformat()
        if hasattr(value, "item"):
            return value.item()
        return value

    return {
        "passed": not validation.mismatches,
        "checks": len(validation.checks),
        "measures": list(validation.measures),
        "slices": list(validation.slices),
        "tolerance": TOLERANCE,
        "mismatches": [{"measure": c.measure, "slice": c.slice, "row": c.key, "engine": plain(c.engine),
                        "reference": plain(c.reference), "note": c.error} for c in validation.mismatches],
    }
