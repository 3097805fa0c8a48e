"""DAX Query View test files: the checks of ``validate`` as DAX an analyst runs in Power BI Desktop.

The community's "DAX Query View Testing Pattern" keeps tests as ``*.Tests.dax`` files (in the semantic
model's ``DAXQueries`` folder) that return one row per test with ``TestName``, ``ExpectedValue``,
``ActualValue`` and ``Passed``; its runner (Invoke-DQVTesting) sends each file as one query and reads one result
table, so a file holds one ``EVALUATE`` and ``Passed`` is always TRUE or FALSE, never BLANK (docs/engine.md).
Here the expected values come from the pandas reference; the actual values are the deployed model's own
measures under the slice's filters. One file per slice and value type (numbers ``<slice>.Tests.dax``, text
``<slice>_text.Tests.dax``, TRUE/FALSE ``<slice>_flags.Tests.dax``), because a DAX table column has one type.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from generator.dax.names import dax_column, dax_measure, dax_string
from generator.errors import ToolError
from generator.reference import compared_on
from generator.text import plural
from generator.validation.compare import TOLERANCE, slice_columns


def _number(value: float) -> str:
    """A DAX numeric literal (positional, shortest round-trip digits)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = np.format_float_positional(float(value), unique=True, trim="-")
    return text


def _literal(value: Any) -> str:
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        stamp = pd.Timestamp(value)
        return f"DATE ( {stamp.year}, {stamp.month}, {stamp.day} )"
    if isinstance(value, bool | np.bool_):
        return "TRUE ()" if value else "FALSE ()"
    if isinstance(value, str):
        return dax_string(value)
    return _number(float(value))


def _filters(slice_name: str, key: Any) -> list[str]:
    columns = slice_columns(slice_name)
    if not columns:
        return []
    parts = key if isinstance(key, tuple) else (key,)
    return [f"{dax_column(table, column)} = {_literal(part)}"
            for (table, column), part in zip(columns, parts, strict=True)]


def _actual(measure: str, filters: list[str]) -> str:
    if not filters:
        return dax_measure(measure)
    return f"CALCULATE ( {dax_measure(measure)}, {', '.join(filters)} )"


def _label(slice_name: str, key: Any) -> str:
    if slice_name == "total":
        return "total"
    parts = key if isinstance(key, tuple) else (key,)
    shown = [pd.Timestamp(p).strftime("%Y-%m") if isinstance(p, pd.Timestamp | dt.date) else str(p) for p in parts]
    return f"{slice_name} {', '.join(shown)}"


def _kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, str):
        return "text"
    return "number"


def _test_row(measure: str, slice_name: str, key: Any, expected: Any, kind: str) -> str:
    actual = _actual(measure, _filters(slice_name, key))
    name = dax_string(f"{measure} | {_label(slice_name, key)}")
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        blank = {"number": "BLANK ()", "text": "BLANK ()", "boolean": "BLANK ()"}[kind]
        return (f'ROW ( "TestName", {name}, "ExpectedValue", {blank}, "ActualValue", {actual}, '
                f'"Passed", ISBLANK ( {actual} ) )')
    literal = _literal(expected)
    if kind == "number":
        passed = (f"VAR __Actual = {actual} RETURN NOT ISBLANK ( __Actual ) && ABS ( __Actual - {literal} ) <= "
                  f"{_number(TOLERANCE)} * MAX ( ABS ( __Actual ), ABS ( {literal} ) )")
    else:
        passed = f"VAR __Actual = {actual} RETURN NOT ISBLANK ( __Actual ) && __Actual == {literal}"
    return (f'ROW ( "TestName", {name}, "ExpectedValue", {literal}, "ActualValue", {actual}, '
            f'"Passed", {passed} )')


#: value type → the suffix of its file's stem
_FILES = {"number": "", "text": "_text", "boolean": "_flags"}


def slice_tests(slice_name: str, reference: pd.DataFrame, measures: Sequence[str]) -> dict[str, str]:
    """The ``.Tests.dax`` files of one slice, by file name: one ROW per (measure, slice row), one file (one
    ``EVALUATE``) per value type that has tests."""
    groups: dict[str, list[str]] = {kind: [] for kind in _FILES}
    for measure in (m for m in compared_on(slice_name, list(measures)) if m in reference.columns):
        values = reference[measure]
        known = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        kind = _kind(known[0]) if known else "number"
        for key, expected in values.items():
            groups[kind].append(_test_row(measure, slice_name, key, expected, kind))
    files = {}
    for kind, rows in groups.items():
        if not rows:
            continue  # a query without rows fails in the runner: no file
        name = f"{dqv_file_stem(slice_name)}{_FILES[kind]}.Tests.dax"
        body = ",\n    ".join(rows)
        files[name] = "\n".join([
            f"// {name} — generated by `gen-measures validate --emit-dqv`; do not edit.",
            f"// {plural(len(rows), 'test')} of {kind} measures on the slice {slice_name}.",
            "// Expected values: the pandas reference on the validated data. Actual values: the model's measures.",
            "// Run in Power BI Desktop's DAX query view, or with a DAX Query View test runner, against the model",
            "// loaded with the same data: every row should show Passed = TRUE.",
            "EVALUATE",
            f"UNION (\n    {body}\n)" if len(rows) > 1 else rows[0],
        ]) + "\n"
    return files


def dqv_file_stem(slice_name: str) -> str:
    """The file name (without ``.Tests.dax``) of a slice's tests: its name, or its columns joined by "_"."""
    return re.sub(r"[^\w]+", "_", slice_name).strip("_")


def write_dqv(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write ``{file name: text}`` into ``folder`` (created), each file atomically; the paths written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in sorted(files.items()):
            target = folder / name
            staging = folder / f".{name}.tmp"
            staging.write_text(text, encoding="utf-8", newline="\n")
            staging.replace(target)
            written.append(target)
        return written
    except OSError as error:
        raise ToolError(f"cannot write DAX query view tests to {folder}: {error.strerror or error}") from None
