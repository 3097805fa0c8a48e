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
from pathlib import Path
from typing import Any

import pandas as pd

from generator.dax.names import dax_column, dax_measure, dax_string
from generator.engine.errors import DaxEngineError
from generator.engine.run import Engine
from generator.errors import ToolError
from generator.reference import ATTRIBUTE_SLICES, SLICES, Parameters, compared_on, evaluate_all
from generator.reference.interpreter import Interpreter, NotComparable, Unverifiable
from generator.reference.rowexpr import column_parts
from generator.reference.slicing import ATTRIBUTE_SLICE_AXES, STANDARD_SLICES, Axis, Link
from generator.spec.model import Model
from generator.spec.slices import canonical_slice

TOLERANCE = 1e-9

# slice → the model columns whose values make its rows (the reference's index, in the same order)
SLICE_COLUMNS: dict[str, tuple[Axis, ...]] = {**STANDARD_SLICES, **ATTRIBUTE_SLICE_AXES}
NAMED_SLICES: tuple[str, ...] = SLICES + ATTRIBUTE_SLICES


def slice_columns(slice_name: str) -> tuple[Axis, ...]:
    """The columns of a standard slice, or of a slice written ``Table[column]`` (several joined by commas)."""
    if slice_name in SLICE_COLUMNS:
        return SLICE_COLUMNS[slice_name]
    return tuple(column_parts(part.strip()) for part in slice_name.split(","))


def resolve_slice(name: str, model: Model) -> str:
    """``name`` as a slice: a standard slice, or ``Table[column]`` of the model (several joined by commas),
    written back in one form. ToolError, with a "did you mean", for anything else."""
    try:
        return canonical_slice(name, {table.name: table for table in model.semantic_tables})
    except ValueError as why:
        raise ToolError(str(why)) from None


def default_slices(model: Model) -> list[str]:
    """The slices a plain ``validate`` checks: the specs' ``validation: slices``, or the standard ones when the
    specs list none."""
    return list(model.slices or SLICES)


@dataclass(frozen=True)
class SpecReference:
    """What the reference interpreter needs of the specs: the measure specs as written (families expanded), the
    relationships, the date table and the parameters. :meth:`on` binds it to the data."""

    measures: dict[str, Any]
    links: tuple[Link, ...]
    date_table: tuple[str, str] | None
    parameters: dict[str, float]

    def on(self, tables: dict[str, pd.DataFrame]) -> Interpreter:
        """The interpreter over ``tables``."""
        return Interpreter(tables, self.measures, self.links, self.date_table, self.parameters)


def spec_reference(model: Model, spec_dir: Path) -> SpecReference:
    """The measure specs under ``spec_dir`` (read from the YAML, never the DAX) for the interpreter."""
    from generator.measures.spec import read_measure_specs

    specs = read_measure_specs(spec_dir)
    measures = {str(item.node.get("name")): item.node for item in specs.measures}
    links = tuple(Link(r.from_table, r.from_column, r.to_table, r.to_column, r.active) for r in model.relationships)
    date = next(((t.name, t.key[0]) for t in model.tables if t.is_date_table and t.key), None)
    return SpecReference(measures, links, date, {p.name: p.value for p in specs.parameters})


def spec_interpreter(model: Model, spec_dir: Path, tables: dict[str, pd.DataFrame]) -> Interpreter:
    """The reference interpreter of the measure specs under ``spec_dir`` over ``tables``."""
    return spec_reference(model, spec_dir).on(tables)


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
    unverified: dict[str, str] = field(default_factory=dict)  # measure → why no reference checks it

    @property
    def mismatches(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if not check.passed]


def slice_query(slice_name: str, measures: Sequence[str]) -> str:
    """The DAX query that evaluates ``measures`` on every row of ``slice_name``."""
    pairs = ", ".join(f"{dax_string(name)}, {dax_measure(name)}" for name in measures)
    columns = slice_columns(slice_name)
    if not columns:
        return f"EVALUATE ROW({pairs})"
    groups = ", ".join(dax_column(table, column) for table, column in columns)
    return f"EVALUATE SUMMARIZECOLUMNS({groups}, {pairs})"


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
    width = len(slice_columns(slice_name))
    result = engine.query(slice_query(slice_name, [measure]))[0]
    values: dict[Any, Any] = {}
    for row in result.rows:
        key_parts = tuple(_key(v) for v in row[:width])
        key = "Total" if width == 0 else key_parts[0] if width == 1 else key_parts
        values[key] = row[width]
    return values


def _expected(slice_name: str, tables: dict[str, pd.DataFrame], measures: Sequence[str], parameters: Parameters,
              interpreter: Interpreter | None, unverified: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The reference value of every comparable measure on the slice: the hand-written reference for the shipped
    measures on the standard slices, the spec interpreter for the others; ``unverified`` collects the rest."""
    standard = slice_name in NAMED_SLICES
    hand = evaluate_all(tables, slice_name, parameters) if standard else None
    columns: dict[str, pd.Series] = {}
    compared = compared_on(slice_name, list(measures)) if standard else list(measures)
    for measure in compared:
        if hand is not None and measure in hand.columns:
            columns[measure] = hand[measure]
            continue
        if interpreter is None:
            unverified.setdefault(measure, {})[slice_name] = "no reference implementation"
            continue
        try:
            columns[measure] = interpreter.evaluate(measure, slice_columns(slice_name))
        except NotComparable:
            continue
        except Unverifiable as why:
            unverified.setdefault(measure, {})[slice_name] = str(why)
    index = hand.index if hand is not None else next((c.index for c in columns.values()), None)
    if index is None:
        index = interpreter_index(interpreter, slice_name) if interpreter is not None else pd.Index([])
    keys = {_row_key(k): k for k in index}
    aligned = {}
    for measure, values in columns.items():
        by_key = {_row_key(k): v for k, v in values.items()}
        aligned[measure] = pd.Series([by_key.get(k) for k in keys], index=index, dtype=object, name=measure)
    return pd.DataFrame(aligned, index=index)


def interpreter_index(interpreter: Interpreter, slice_name: str) -> pd.Index:
    """The rows of a slice (via a measure-free evaluation of its grid)."""
    from generator.reference.slicing import Grid

    grid = Grid(interpreter.data, slice_columns(slice_name))
    return grid.index[grid.shown]


def validate(engine: Engine, tables: dict[str, pd.DataFrame], measures: Sequence[str], parameters: Parameters,
             slices: Sequence[str] = SLICES, progress: Callable[[str], None] | None = None,
             reference: SpecReference | None = None) -> Validation:
    """Evaluate ``measures`` with the engine and the reference on ``slices`` and compare every value.

    Slices are the standard ones or ``Table[column]`` (several joined by commas). A measure no reference can
    compute (a raw DAX measure without a ``reference`` in its spec) is listed as unverified, not compared.
    """
    checks: list[Check] = []
    references: dict[str, pd.DataFrame] = {}
    unverified: dict[str, dict[str, str]] = {}
    interpreter = reference.on(tables) if reference is not None else None
    for slice_name in slices:
        if progress:
            progress(slice_name)
        reference_values = _expected(slice_name, tables, measures, parameters, interpreter, unverified)
        references[slice_name] = reference_values
        keys = {_row_key(k): k for k in reference_values.index}
        for measure in reference_values.columns:
            expected = reference_values[measure]
            try:
                values = _engine_values(engine, slice_name, measure)
            except DaxEngineError as error:
                checks.extend(Check(measure, slice_name, _label(key), None, expected.loc[raw], False, str(error))
                              for key, raw in keys.items())
                continue
            for key, raw in keys.items():
                wanted = expected.loc[raw]
                got = values.get(key)
                checks.append(Check(measure, slice_name, _label(key), got, wanted, same_value(got, wanted)))
            for key in sorted(set(values) - set(keys), key=str):
                parts = key if isinstance(key, tuple) else (key,)
                if None in parts:
                    continue  # the blank row of a dimension (e.g. open tickets' blank month): not a slice member
                if values[key] is not None:
                    checks.append(Check(measure, slice_name, _label(key), values[key], None, False,
                                        "a row the reference does not have"))
    return Validation(tuple(checks), tuple(measures), tuple(slices), references,
                      {m: _why(unverified[m], slices) for m in measures if m in unverified})


def _why(reasons: dict[str, str], slices: Sequence[str]) -> str:
    """One sentence for a measure's unverified slices: the reason, and the slices when not all of them."""
    reason = next(iter(reasons.values()))
    return reason if len(reasons) == len(slices) else f"{reason}, on {', '.join(reasons)}"


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


def report_json(validation: Validation, require_reference: bool = False) -> dict[str, Any]:
    """The run as JSON-ready data: counts, every mismatch with both values, and the unverified measures (which
    fail the run with ``require_reference``)."""

    def plain(value: Any) -> Any:
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return str(value)
        if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
            return value.isoformat()
        if hasattr(value, "item"):
            return value.item()
        return value

    return {
        "passed": not validation.mismatches and not (require_reference and validation.unverified),
        "checks": len(validation.checks),
        "measures": list(validation.measures),
        "slices": list(validation.slices),
        "tolerance": TOLERANCE,
        "unverified": [{"measure": m, "reason": why} for m, why in validation.unverified.items()],
        "mismatches": [{"measure": c.measure, "slice": c.slice, "row": c.key, "engine": plain(c.engine),
                        "reference": plain(c.reference), "note": c.error} for c in validation.mismatches],
    }
