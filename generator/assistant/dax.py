"""The DAX of a measure query: SUMMARIZECOLUMNS over the group-by columns, filtered by TREATAS and the period.

Built the way the report writes its queries (:mod:`generator.report.data`): the measures by reference, the filters
as table arguments of CALCULATETABLE, the period as DATESBETWEEN on the date table. Values are written as DAX
literals of the column's type; nothing the caller gives is pasted into the text unquoted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.assistant.catalogue import Dimension, MeasureInfo
from generator.dax.names import dax_string
from generator.errors import ToolError
from generator.report.data import dates_between, dax_date, number, ref
from generator.report.period import Period

ORDERS = ("desc", "asc")


@dataclass(frozen=True)
class MeasureQuery:
    """What ``query_measures`` was asked, with names already resolved."""

    measures: tuple[MeasureInfo, ...]
    group_by: tuple[Dimension, ...] = ()
    filters: tuple[tuple[Dimension, tuple[object, ...]], ...] = ()
    period: Period | None = None
    top_n: int | None = None
    order: str | None = None  # by the first measure: desc or asc; None: by the group-by columns


def literal(value: object, dimension: Dimension) -> str:
    """``value`` as a DAX literal of ``dimension``'s type; ToolError naming the column when it is not one."""
    where = f"filter on {dimension.reference} ({dimension.type})"
    if dimension.type == "string":
        if not isinstance(value, str):
            raise ToolError(f"{where}: {value!r} is not text; give text values such as \"Atlas Corp\"")
        return dax_string(value)
    if dimension.type == "boolean":
        if isinstance(value, bool):
            return "TRUE ()" if value else "FALSE ()"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return "TRUE ()" if value.strip().lower() == "true" else "FALSE ()"
        raise ToolError(f"{where}: {value!r} is not true or false")
    if dimension.type == "int64":
        if isinstance(value, int) and not isinstance(value, bool):
            return number(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return number(int(value))
        raise ToolError(f"{where}: {value!r} is not a whole number")
    try:
        day = dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ToolError(f"{where}: {value!r} is not a date such as 2026-03-01") from None
    return dax_date(day)


def measure_query_dax(query: MeasureQuery) -> str:
    """The DAX query (one EVALUATE) that answers ``query``; result columns are ``Table[Column]`` and
    ``[Measure name]``.

    TOPN sits inside CALCULATETABLE so that it ranks by the measure under the filters and the period. There is no
    ORDER BY: in it ``[name]`` would be the measure again, outside the filters; callers order the rows by value.
    """
    pairs = ", ".join(f"{dax_string(m.name)}, {ref(m.name)}" for m in query.measures)
    if query.group_by:
        table = f"SUMMARIZECOLUMNS ( {', '.join(d.reference for d in query.group_by)}, {pairs} )"
    else:
        table = f"ROW ( {pairs} )"
    if query.top_n is not None:
        table = f"TOPN ( {query.top_n}, {table}, {ref(query.measures[0].name)}, {(query.order or 'desc').upper()} )"
    filters = [f"TREATAS ( {{ {', '.join(literal(v, d) for v in values)} }}, {d.reference} )"
               for d, values in query.filters]
    if query.period is not None:
        filters.append(dates_between(query.period.start, query.period.end))
    if filters:
        table = f"CALCULATETABLE ( {table}, {', '.join(filters)} )"
    return f"EVALUATE\n{table}"


__all__ = ["ORDERS", "MeasureQuery", "literal", "measure_query_dax"]
