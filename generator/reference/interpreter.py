"""The reference interpreter: any measure of ``measures/*.yaml`` computed with pandas from what its kind means.

It reads the measure specs as parsed mappings (``{"kind": "ratio", "numerator": …}``, families already
expanded), never the generated DAX, and evaluates them on a slice (:mod:`.slicing`) with DAX's BLANK rules:

* ``count`` / ``count_where`` / ``sum`` / ``average`` / ``min`` / ``max`` / ``distinct_count``: the rows of the
  table in the slice, under the ``filter`` row expressions (:mod:`.rowexpr`; a filter on another table keeps the
  rows related to its matching rows) and ``use_relationship``; BLANK over no rows;
* ``ratio``: numerator ÷ denominator (BLANK when the denominator is 0 or BLANK; an empty numerator counts as 0
  unless ``blank_numerator: blank``), times ``scale``;
* ``difference``: left − right (BLANK − BLANK is BLANK, else BLANK counts as 0), times ``scale``;
* ``baseline_gap``: the value minus the value without the filters of ``remove_filters``, BLANK when the value is;
* ``threshold_flag``: value ``operator`` threshold, BLANK counting as 0 (never BLANK);
* ``tiering``: the label of the first tier whose condition holds, ``otherwise`` else, BLANK when the
  ``blank_when_blank`` input is;
* ``period_change``: the value minus the previous period's, on slices with the period column; BLANK unless
  both are set;
* ``dax``: its ``reference`` (a measure of any kind above), if the spec declares one; otherwise unverifiable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from generator.reference.blanks import blank_divide, blank_if_zero, blank_subtract
from generator.reference.frames import Tables
from generator.reference.grid import Placement
from generator.reference.rowexpr import Evaluator, Node, RowExpressionError, column_parts, columns_of, parse
from generator.reference.slicing import Axis, Grid, Link, Reach, Scope, Tabular

AGGREGATIONS = ("count", "count_where", "sum", "average", "min", "max", "distinct_count")
KINDS = (*AGGREGATIONS, "ratio", "difference", "baseline_gap", "threshold_flag", "tiering", "period_change")
#: period → (the date-table column of one period, how to get the previous period's value of that column)
PERIODS: dict[str, tuple[str, Callable[[pd.Index], pd.Index]]] = {
    "previous_week": ("week_start", lambda i: i - pd.Timedelta(days=7)),
    "previous_month": ("month_start", lambda i: pd.DatetimeIndex(i) - pd.DateOffset(months=1)),
    "previous_quarter": ("quarter_start", lambda i: pd.DatetimeIndex(i) - pd.DateOffset(months=3)),
    "previous_year": ("year", lambda i: i - 1),
}


class Unverifiable(Exception):
    """The interpreter cannot compute a measure (a raw DAX measure without reference, an unreadable filter …)."""


class NotComparable(Exception):
    """The measure has no reference value on this slice (a period change on a slice by another date column)."""


_COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal,
    "<>": np.not_equal,
}


class Interpreter:
    """Evaluates measure specs on slices of ``tables``.

    ``measures``: every measure's spec by name (mappings as read from the YAML); ``links``: the model's
    relationships; ``date_table``: the model's date table and its date column; ``parameters``: the spec
    parameters by name (a ``threshold`` or ``scale`` may name one).
    """

    def __init__(self, tables: Tables, measures: Mapping[str, Mapping[str, Any]], links: tuple[Link, ...],
                 date_table: tuple[str, str] | None, parameters: Mapping[str, float]):
        self.data = Tabular(tables)
        self.measures, self.links, self.date_table, self.parameters = measures, links, date_table, parameters
        self.reach = Reach(self.data, links)
        self._runs: dict[tuple[Axis, ...], _Run] = {}

    def evaluate(self, measure: str, axes: tuple[Axis, ...]) -> pd.Series:
        """``measure`` on every shown row of the slice over ``axes``: an object Series (float, bool, str; None
        for BLANK). Unverifiable or NotComparable when it cannot."""
        if axes not in self._runs:  # one run per slice: measures used by several are computed once
            self._runs[axes] = _Run(self, Grid(self.data, axes))
        run = self._runs[axes]
        try:
            values = run.measure(measure, Scope())
        except KeyError as missing:
            raise Unverifiable(f"the data lacks {missing.args[0]}") from None
        except (TypeError, ValueError) as problem:  # e.g. a sum over a text column
            raise Unverifiable(f"cannot be computed from the data: {problem}") from None
        shown = run.grid.shown
        objects = np.asarray(values).astype(object)
        if values.dtype.kind == "f":
            objects[np.isnan(values)] = None
        return pd.Series(objects[shown], index=run.grid.index[shown], name=measure, dtype=object)


class _Run:
    """One slice's evaluation: measure values memoised by (name, scope)."""

    def __init__(self, interpreter: Interpreter, grid: Grid):
        self.it, self.grid = interpreter, grid
        self.memo: dict[tuple[str, Scope], np.ndarray] = {}
        self.stack: list[str] = []

    def measure(self, name: str, scope: Scope) -> np.ndarray:
        key = (name, scope)
        if key not in self.memo:
            spec = self.it.measures.get(name)
            if spec is None:
                raise Unverifiable(f"it uses [{name}], which is not a measure of the specs")
            if name in self.stack:
                raise Unverifiable(f"[{name}] refers to itself")
            if spec.get("kind") == "dax":
                spec = spec.get("reference")
                if not isinstance(spec, Mapping):
                    raise Unverifiable("raw DAX with no 'reference' in its spec" if not self.stack else
                                       f"it uses [{name}], raw DAX with no 'reference' in its spec")
            self.stack.append(name)
            try:
                self.memo[key] = self.node(spec, scope)
            finally:
                self.stack.pop()
        return self.memo[key]

    def node(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        kind = spec.get("kind")
        if kind in AGGREGATIONS:
            return self.aggregate(spec, scope)
        handler = getattr(self, f"_{kind}", None) if kind in KINDS else None
        if handler is None:
            raise Unverifiable(f"the reference interpreter does not know the kind {kind!r}")
        return handler(spec, scope)

    def operand(self, value: Any, scope: Scope) -> np.ndarray:
        if isinstance(value, str):
            return self.measure(value, scope)
        if isinstance(value, Mapping):
            return self.node(value, scope)
        raise Unverifiable(f"an operand must name a measure or be an inline measure, found {value!r}")

    def number(self, spec: Mapping[str, Any], key: str, default: float) -> float:
        value = spec.get(key, default)
        if isinstance(value, str) and value in self.it.parameters:
            return float(self.it.parameters[value])
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Unverifiable(f"'{key}' must be a number or a parameter name, found {value!r}")
        return float(value)

    # aggregations ------------------------------------------------------------------------------------------

    def aggregate(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        kind = spec["kind"]
        column: tuple[str, str] | None = None
        expression: Node | None = None
        if kind in ("count", "count_where"):
            table = str(spec.get("table"))
        elif kind == "average" and "expression" in spec:
            table, expression = str(spec.get("over")), _parse(spec["expression"])
        else:
            column = _column(spec.get("column"))
            table = column[0]
        if not self.it.data.has(table):
            raise Unverifiable(f"table {table} is not in the data")
        links = self.links(spec)
        keep = self.filters(table, spec.get("filter"), links)
        placement = self.grid.place(table, self.it.reach, links, scope)
        if kind in ("count", "count_where"):
            return blank_if_zero(placement.count(keep))
        if expression is not None:
            values = self.rows(table, expression)
        else:
            assert column is not None
            values = self.it.data.column(*column)
        return _reduce(kind, placement, values, keep)

    def links(self, spec: Mapping[str, Any]) -> tuple[Link, ...]:
        """The model's relationships, with the one of ``use_relationship`` active instead of its tables' own."""
        pair = spec.get("use_relationship")
        if pair is None:
            return self.it.links
        if not isinstance(pair, Mapping):
            raise Unverifiable("'use_relationship' must be a {from, to} mapping")
        (many, many_column), (one, one_column) = _column(pair.get("from")), _column(pair.get("to"))
        chosen = Link(many, many_column, one, one_column, True)
        if not any(link.many_table == many and link.many_column == many_column and link.one_table == one
                   and link.one_column == one_column for link in self.it.links):
            raise Unverifiable(f"no relationship joins {many}[{many_column}] and {one}[{one_column}]")
        others = tuple(link for link in self.it.links
                       if {link.many_table, link.one_table} != {many, one})
        return (*others, chosen)

    def filters(self, table: str, raw: Any, links: tuple[Link, ...]) -> np.ndarray:
        """The rows of ``table`` that every filter keeps."""
        keep = np.ones(self.it.data.length(table), dtype=bool)
        for text in ([] if raw is None else [raw] if isinstance(raw, str) else list(raw)):
            node = _parse(text)
            tables = {t for t, _ in columns_of(node)}
            if len(tables) > 1:
                raise Unverifiable(f"the filter {str(text).strip()!r} reads columns of several tables")
            where = tables.pop() if tables else table
            mask = self.rows_mask(where, node)
            if where != table:
                rows = self.it.reach.rows(table, where, links)
                if rows is None:
                    continue  # a filter on a table that does not filter this one
                mask = np.where(rows >= 0, mask[np.maximum(rows, 0)], self.blank_row_passes(where, node))
            keep &= mask
        return keep

    def _evaluator(self, table: str) -> Evaluator:
        length = self.it.data.length(table)

        def resolve(node: Node) -> pd.Series:
            if node.op != "column" or node.parts[0] != table:
                what = node.parts[0] if node.op == "variable" else f"{node.parts[0]}[{node.parts[1]}]"
                raise Unverifiable(f"{what} cannot be read in an expression over {table}")
            try:
                return self.it.data.column(table, node.parts[1])
            except KeyError as missing:
                raise Unverifiable(str(missing.args[0])) from None

        return Evaluator(length, pd.RangeIndex(length), resolve)

    def blank_row_passes(self, table: str, node: Node) -> bool:
        """Whether ``node`` holds on ``table``'s blank row (where rows of another table without a match land)."""

        def resolve(column: Node) -> pd.Series:
            values = self.it.data.column(table, column.parts[1])
            return pd.Series([None], dtype=values.dtype)

        try:
            return bool(Evaluator(1, pd.RangeIndex(1), resolve).mask(node)[0])
        except RowExpressionError as problem:
            raise Unverifiable(str(problem)) from None

    def rows(self, table: str, node: Node) -> pd.Series:
        try:
            return self._evaluator(table).value(node)
        except RowExpressionError as problem:
            raise Unverifiable(str(problem)) from None

    def rows_mask(self, table: str, node: Node) -> np.ndarray:
        try:
            return self._evaluator(table).mask(node)
        except RowExpressionError as problem:
            raise Unverifiable(str(problem)) from None

    # measures of measures -----------------------------------------------------------------------------------

    def _ratio(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        numerator = self.operand(spec.get("numerator"), scope).astype("float64")
        denominator = self.operand(spec.get("denominator"), self._aligned(spec, scope)).astype("float64")
        if spec.get("blank_numerator", "zero") == "zero":
            numerator = np.nan_to_num(numerator, nan=0.0)
        return blank_divide(numerator, denominator) * self.number(spec, "scale", 1)

    def _aligned(self, spec: Mapping[str, Any], scope: Scope) -> Scope:
        """The denominator's scope: with ``denominator_align``, a slice by its ``from`` column filters the ``to``
        column instead (TREATAS)."""
        pairs = spec.get("denominator_align") or ()
        for pair in pairs:
            source, target = _column(pair.get("from")), _column(pair.get("to"))
            for index, axis in enumerate(self.grid.axes):
                if axis == source and index not in scope.ignored:
                    scope = scope.moving(index, target)
        return scope

    def _difference(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        left = self.operand(spec.get("left"), scope).astype("float64")
        right = self.operand(spec.get("right"), scope).astype("float64")
        return blank_subtract(left, right) * self.number(spec, "scale", 1)

    def _baseline_gap(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        targets = [str(t) for t in spec.get("remove_filters") or ()]
        removed = set()
        for index, (table, column) in enumerate(self.grid.axes):
            if table in targets or f"{table}[{column}]" in targets:
                removed.add(index)
        value = self.operand(spec.get("measure"), scope).astype("float64")
        baseline = self.operand(spec.get("measure"), scope.without(removed)).astype("float64")
        gap = blank_subtract(value, baseline) * self.number(spec, "scale", 1)
        return np.where(np.isnan(value), np.nan, gap)

    def _threshold_flag(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        operator = spec.get("operator")
        if operator not in _COMPARE:
            raise Unverifiable(f"unknown operator {operator!r}")
        value = np.nan_to_num(self.operand(spec.get("measure"), scope).astype("float64"), nan=0.0)
        return _COMPARE[operator](value, self.number(spec, "threshold", 0))

    def _tiering(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        inputs = {str(name): self.operand(measure, scope) for name, measure in (spec.get("inputs") or {}).items()}
        size = self.grid.size

        def resolve(node: Node) -> pd.Series:
            if node.op == "variable" and node.parts[0] in inputs:
                return pd.Series(inputs[node.parts[0]].astype("float64"), index=pd.RangeIndex(size))
            raise Unverifiable(f"a tier condition reads {node.parts[0]}, which is not one of its inputs")

        evaluator = Evaluator(size, pd.RangeIndex(size), resolve)
        labels = np.full(size, None, dtype=object)
        open_rows = np.ones(size, dtype=bool)
        guard = spec.get("blank_when_blank")
        if guard is not None:
            open_rows &= ~np.isnan(inputs[str(guard)].astype("float64"))
        for tier in spec.get("tiers") or ():
            try:
                holds = evaluator.mask(_parse(tier["when"]))
            except RowExpressionError as problem:
                raise Unverifiable(str(problem)) from None
            labels[open_rows & holds] = str(tier["label"])
            open_rows &= ~holds
        labels[open_rows] = str(spec.get("otherwise", ""))
        return labels

    def _period_change(self, spec: Mapping[str, Any], scope: Scope) -> np.ndarray:
        period = spec.get("period")
        if period not in PERIODS or self.it.date_table is None:
            raise Unverifiable(f"unknown period {period!r} or no date table")
        date_table = self.it.date_table[0]
        grain, previous = PERIODS[str(period)]
        if "grain_column" in spec:
            table, grain = _column(spec["grain_column"])
            if table != date_table or grain != PERIODS[str(period)][0]:
                raise Unverifiable("a period change by a grain column of its own is not interpreted")
        axis = next((i for i, a in enumerate(self.grid.axes)
                     if a == (date_table, grain) and i not in scope.ignored), None)
        if axis is None:
            if self._one_period_somewhere(date_table, grain, scope):
                raise NotComparable(f"a period change by {grain} has no reference on this slice")
            return np.full(self.grid.size, np.nan)  # never exactly one period: HASONEVALUE is false
        current = self.operand(spec.get("measure"), scope).astype("float64")
        rows = self.grid.shifted_rows(axis, previous(self.grid.members[axis]))
        before = np.where(rows >= 0, current[np.maximum(rows, 0)], np.nan)
        change = (current - before) * self.number(spec, "scale", 1)
        return np.where(np.isnan(current) | np.isnan(before), np.nan, change)

    def _one_period_somewhere(self, date_table: str, grain: str, scope: Scope) -> bool:
        """Whether some slice row holds exactly one period (of ``grain``) without slicing by it."""
        columns = [a[1] for i, a in enumerate(self.grid.axes) if a[0] == date_table and i not in scope.ignored]
        periods = self.it.data.column(date_table, grain)
        if not columns:
            return periods.nunique() == 1
        frame = pd.DataFrame({c: self.it.data.column(date_table, c) for c in columns})
        return bool((periods.groupby([frame[c] for c in columns]).nunique() == 1).any())


def _parse(text: Any) -> Node:
    try:
        return parse(str(text))
    except RowExpressionError as problem:
        raise Unverifiable(str(problem)) from None


def _column(value: Any) -> tuple[str, str]:
    text = str(value or "").strip()
    if not text.endswith("]") or "[" not in text:
        raise Unverifiable(f"{value!r} is not a column reference like Table[column]")
    return column_parts(text)


def _reduce(kind: str, placement: Placement, values: pd.Series, keep: np.ndarray) -> np.ndarray:
    """sum / average / min / max / distinct_count of ``values`` over the kept rows, per slice row (BLANK: NaN)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = (values - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
    inside = keep & (placement.codes >= 0)
    codes = placement.codes[inside]
    chosen = values.to_numpy()[inside] if values.dtype == object else values.to_numpy("float64")[inside]
    if kind == "distinct_count":
        counted = pd.Series(chosen, dtype=object).groupby(codes).nunique(dropna=False)
        result = counted.reindex(range(placement.size), fill_value=0).to_numpy("float64")
        return blank_if_zero(result[placement.spread])
    numbers = np.asarray(chosen, dtype="float64")
    if kind == "sum":
        present = ~np.isnan(numbers)
        totals = np.bincount(codes[present], weights=numbers[present], minlength=placement.size)
        counts = np.bincount(codes[present], minlength=placement.size)
        return np.where(counts > 0, totals, np.nan)[placement.spread]
    if kind == "average":
        present = ~np.isnan(numbers)
        totals = np.bincount(codes[present], weights=numbers[present], minlength=placement.size)
        counts = np.bincount(codes[present], minlength=placement.size).astype("float64")
        return blank_divide(totals, counts)[placement.spread]
    grouped = pd.Series(numbers).groupby(codes)
    reduced = grouped.min() if kind == "min" else grouped.max()
    return reduced.reindex(range(placement.size)).to_numpy("float64")[placement.spread]
