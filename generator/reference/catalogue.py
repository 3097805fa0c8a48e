"""The measure catalogue: every measure name (DESIGN section 3, in catalogue order) and its function."""

from __future__ import annotations

from collections.abc import Mapping

from generator.reference import clients, csat, smileback, tickets
from generator.reference.context import MeasureFunction

REGISTRY: Mapping[str, MeasureFunction] = {
    **csat.MEASURES,
    **smileback.MEASURES,
    **tickets.MEASURES,
    **clients.MEASURES,
}

MEASURES: tuple[str, ...] = tuple(REGISTRY)
