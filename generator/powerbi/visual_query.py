"""The DAX query a visual of the report spec sends, the way Power BI builds it: ``SUMMARIZECOLUMNS`` over the
visual's columns, its page's and its own column filters as ``TREATAS`` tables, its measures as named columns;
a measure filter keeps the rows where the measure passes; the visual's sort becomes ``ORDER BY``.

The engine (``gen-measures query``) runs these queries, so every visual is proved on data without Power BI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.dax.names import dax_string
from generator.spec.report import Field, Filter, Page, Visual

_OPERATORS = {"=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def dax_literal(value: Any) -> str:
    """A filter value as DAX: ``TRUE``/``FALSE``, a number, or a quoted text (quotes doubled)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return dax_string(str(value))


def _column_filter(item: Filter) -> str:
    values = ", ".join(dax_literal(value) for value in item.values)
    return f"TREATAS ( {{ {values} }}, {item.field.dax} )"


def visual_query(page: Page, visual: Visual, drill: dict[Field, Any] | None = None,
                 context: Sequence[str] = ()) -> str:
    """The ``EVALUATE`` query of ``visual`` on ``page``; ``drill`` gives the values a drill-through brings to a
    drill-through page (its fields filtered to one value each); ``context`` holds further DAX filter tables
    (a slicer's selection, such as a ``DATESBETWEEN`` over the date table) the visual is evaluated under."""
    fields = visual.all_fields
    groups = [field.dax for field in fields if not field.is_measure]
    filters = [item for item in (*page.filters, *visual.filters)]
    arguments = list(groups)
    arguments += [_column_filter(item) for item in filters if not item.field.is_measure]
    arguments += [f"TREATAS ( {{ {dax_literal(value)} }}, {field.dax} )" for field, value in (drill or {}).items()]
    arguments += [f"{dax_string(field.name)}, {field.dax}" for field in fields if field.is_measure]
    kept = [item for item in filters if item.field.is_measure]
    arguments += [f"{dax_string(f'__filter{number}')}, {item.field.dax}" for number, item in enumerate(kept, 1)]
    table = f"SUMMARIZECOLUMNS ( {', '.join(arguments)} )"
    if kept:
        conditions = " && ".join(f"[__filter{number}] {_OPERATORS[item.op]} {dax_literal(item.value)}"
                                 for number, item in enumerate(kept, 1))
        table = f"FILTER ( {table}, {conditions} )"
    if context:
        table = f"CALCULATETABLE ( {table}, {', '.join(context)} )"
    query = f"EVALUATE\n{table}"
    if visual.sort is not None:
        field, direction = visual.sort
        key = f"[{field.name}]" if field.is_measure else field.dax
        query += f"\nORDER BY {key} {'ASC' if direction == 'ascending' else 'DESC'}"
    return query
