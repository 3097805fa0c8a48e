"""``model.bim``: the TOM database as TMSL JSON, multi-line expressions as arrays of lines."""

from __future__ import annotations

import json
from typing import Any

_MULTILINE_KEYS = {"expression"}


def _lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: (item.split("\n") if key in _MULTILINE_KEYS and isinstance(item, str) and "\n" in item
                      else _lines(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_lines(item) for item in value]
    return value


def bim_json(database: dict[str, Any]) -> str:
    """The text of ``model.bim`` (2-space indent, LF, final newline)."""
    return json.dumps(_lines(database), indent=2, ensure_ascii=False) + "\n"


def datamodel_schema_json(database: dict[str, Any]) -> str:
    """The .pbit's ``DataModelSchema``: the same database, compact."""
    return json.dumps(database, ensure_ascii=False, separators=(",", ":"))
