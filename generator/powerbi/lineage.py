"""Stable lineage tags: a UUID derived from the object's kind and name, identical on every build."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/msp-csat/gen-measures/lineage")


def lineage_tag(*path: str) -> str:
    """The lineage tag of the object at ``path`` (e.g. ``("column", "BI_Date", "date")``)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(path)))
