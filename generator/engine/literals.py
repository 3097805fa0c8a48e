"""Literals the parser reads that the scalar compiler does not build itself: ``dt"…"`` datetimes."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from generator.dax import ast
from generator.engine.errors import DaxEngineError
from generator.engine.values import DaxType, Scalar


def datetime_literal(node: ast.DateTimeLiteral) -> Scalar:
    """``dt"2015-01-09"`` / ``dt"2015-01-09T10:30:00"`` / ``dt"2015-01-09 10:30"``: a DAX datetime (DAX's
    reference, "DAX syntax": a datetime literal is an ISO 8601 date with an optional time)."""
    try:
        value = dt.datetime.fromisoformat(node.text.strip())
    except ValueError:
        raise DaxEngineError(f'dt"{node.text}" is not a date and time (write dt"2015-01-09" or '
                             f'dt"2015-01-09T10:30:00")', *node.position) from None
    if value.tzinfo is not None:
        raise DaxEngineError(f'dt"{node.text}": DAX datetimes have no time zone', *node.position)
    text = value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    return Scalar(exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP")), DaxType.DATETIME)
