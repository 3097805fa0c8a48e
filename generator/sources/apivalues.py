"""Turning API JSON items into staging rows: typed column specs and value conversions.

A :class:`RowSpec` lists, per ``STG_`` column, where the value sits in the item (a key, or a path of keys
into nested objects) and its type. :func:`map_item` converts one item or raises :class:`RowError` with a
sentence saying which field is wrong; the extractors turn that into a :class:`~generator.sources.base.Rejected`.
Datetimes become naive UTC ``datetime`` values (an offset is applied; a value without one is taken as UTC).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["int", "float", "str", "bool", "datetime"]


class RowError(ValueError):
    """An item that cannot become a staging row; the message says which field and why."""


@dataclass(frozen=True)
class Column:
    """One staging column: its name, where it comes from in the API item, its type and whether it is required.
    Its maximum length is the staging spec's (``sql/staging.yaml``), not repeated here."""

    name: str
    path: tuple[str, ...]
    kind: Kind
    required: bool = False


@dataclass(frozen=True)
class RowSpec:
    """The staging table an API entity lands in and how each of its columns is read."""

    table: str
    columns: Sequence[Column]
    watermark: str | None = None  # the staging column holding the change time, if any


def col(name: str, path: str, kind: Kind, required: bool = False) -> Column:
    """A :class:`Column`; ``path`` is a key or a dotted path into nested objects (``ticket.id``)."""
    return Column(name, tuple(path.split(".")), kind, required)


@functools.cache
def _max_lengths(table: str) -> dict[str, int]:
    """Maximum lengths of the string columns of a staging table, read once from the specs."""
    from generator.spec.loader import load_model
    from generator.spec.locate import default_spec_dir

    spec = load_model(default_spec_dir()).table(table)
    return {column.name: column.max_length for column in spec.columns if column.max_length}


def parse_datetime(value: Any) -> datetime | None:
    """An ISO-8601 string (``Z`` or an offset, any fraction of seconds) as a naive UTC datetime."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 date-time string, got {type(value).__name__} {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def format_datetime(value: datetime) -> str:
    """A datetime (naive = UTC) as the ISO-8601 UTC text the APIs accept in filters: ``2025-06-01T00:00:00Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text + "Z"


def _convert(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError(f"expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ValueError(f"expected an integer, got {value!r}")
    if kind == "float":
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
        else:
            raise ValueError(f"expected a number, got {value!r}")
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {value!r}")
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"expected true or false, got {value!r}")
    if kind == "datetime":
        return parse_datetime(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {type(value).__name__}")


def _lookup(item: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = item
    for key in path:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError(f"expected an object at {key!r}, got {type(value).__name__}")
        value = value.get(key)
    return value


def map_item(spec: RowSpec, item: Any) -> dict[str, Any]:
    """The staging row of ``item`` under ``spec``; raises :class:`RowError` naming the first bad field."""
    if not isinstance(item, dict):
        raise RowError(f"expected a JSON object, got {type(item).__name__}")
    row: dict[str, Any] = {}
    lengths = _max_lengths(spec.table)
    for column in spec.columns:
        field = ".".join(column.path)
        try:
            value = _convert(_lookup(item, column.path), column.kind)
        except ValueError as exc:
            raise RowError(f"{field}: {exc}") from None
        if value is None and column.required:
            raise RowError(f"{field} is missing")
        limit = lengths.get(column.name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise RowError(f"{field} has {len(value)} characters, more than the {limit} allowed")
        row[column.name] = value
    return row


def item_label(item: Any) -> str:
    """A short way to name an item in a rejection reason (its id when it has one)."""
    if isinstance(item, dict) and item.get("id") is not None:
        return f"id {item['id']!r}"
    return "an item without an id"
