"""Query results as text: an aligned table (measures in their format strings), CSV or JSON (raw values; objects
keyed by DAX column names, BLANK as null)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from typing import Any

from generator.engine.display import format_number
from generator.engine.run import QueryResult
from generator.spreadsheet import spreadsheet_text
from generator.text import plural

FORMATS = ("table", "csv", "json")
__all__ = ["FORMATS", "json_records", "render", "render_csv", "render_json", "render_table", "shown",
           "shown_records"]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return {True: "NaN"}.get(math.isnan(value), "Infinity" if value > 0 else "-Infinity")
        return repr(value) if not value.is_integer() else str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def shown(value: Any, format_string: str | None) -> str:
    """A value as the table shows it: with its measure's format string when that is a numeric format."""
    formatted = format_number(value, format_string)
    return formatted if formatted is not None else _text(value)


def shown_records(result: QueryResult) -> list[dict[str, str]]:
    """One dict per row keyed by the DAX column names, each value as the table shows it (:func:`shown`)."""
    formats = result.formats or (None,) * len(result.columns)
    return [{name: shown(value, fmt) for name, value, fmt in zip(result.columns, row, formats, strict=True)}
            for row in result.rows]


def json_records(result: QueryResult) -> list[dict[str, Any]]:
    """One dict per row keyed by the DAX column names, raw values as JSON has them (BLANK is None, dates in ISO
    form, NaN and infinities as text)."""
    return [{k: _json_value(v) for k, v in record.items()} for record in result.records()]


def render_table(result: QueryResult) -> str:
    """An aligned text table with a header row; numbers right-aligned, in the format string of the measure
    that produced them when it has one (``95.8%``, ``1,234``); BLANK shown as an empty cell."""
    formats = result.formats or (None,) * len(result.columns)
    cells = [[shown(v, f) for v, f in zip(row, formats, strict=True)] for row in result.rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(result.columns)]
    numeric = [all((isinstance(row[i], int | float) and not isinstance(row[i], bool)) or row[i] is None
                   for row in result.rows) for i in range(len(result.columns))]
    lines = ["  ".join(name.ljust(w) for name, w in zip(result.columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        lines.append("  ".join((c.rjust(w) if numeric[i] else c.ljust(w)) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))).rstrip())
    lines.append(f"({plural(len(result.rows), 'row')})")
    return "\n".join(lines)


def _csv_cell(value: Any) -> str:
    """A value as a CSV cell: text that would start a spreadsheet formula is quoted (numbers stay numbers)."""
    return spreadsheet_text(value) if isinstance(value, str) else _text(value)


def render_csv(result: QueryResult) -> str:
    """CSV with a header of DAX column names; BLANK is an empty field; text cells are spreadsheet-safe
    (:func:`generator.spreadsheet.spreadsheet_text`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_text(name) for name in result.columns])
    for row in result.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().rstrip("\n")


def render_json(results: list[QueryResult]) -> str:
    """One EVALUATE: a list of objects; several: a list of such lists."""
    tables = [json_records(result) for result in results]
    return json.dumps(tables[0] if len(tables) == 1 else tables, indent=2, ensure_ascii=False)


def render(results: list[QueryResult], output_format: str) -> str:
    """Every result in ``output_format`` (table and csv results separated by a blank line)."""
    if output_format == "json":
        return render_json(results)
    renderer = render_table if output_format == "table" else render_csv
    return "\n\n".join(renderer(result) for result in results)
