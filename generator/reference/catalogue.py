"""The measure catalogue: every measure name (DESIGN section 3, in catalogue order) and its function."""

from __future__ import annotations

from collections.abc import Mapping

from generator.reference import clients, csat, guides, smileback, tickets
from generator.reference.context import MeasureFunction

REGISTRY: Mapping[str, MeasureFunction] = {
    **csat.MEASURES,
    **smileback.MEASURES,
    **tickets.MEASURES,
    **clients.MEASURES,
    **guides.MEASURES,
}

MEASURES: tuple[str, ...] = tuple(REGISTRY)

#: Measures defined by calendar months, which the reference gives no meaning on a slice by week (a week's
#: "previous month" or churn over a part of a month): ``validate`` does not compare them there.
NOT_ON_SLICE: Mapping[str, tuple[str, ...]] = {
    "week": ("CSAT - Happy % MoM Change", "Clients - Churn Rate %"),
}


def compared_on(slice_name: str, measures: tuple[str, ...] | list[str]) -> list[str]:
    """The ``measures`` that are compared on ``slice_name`` (all but those of :data:`NOT_ON_SLICE`)."""
    skipped = NOT_ON_SLICE.get(slice_name, ())
    return [measure for measure in measures if measure not in skipped]
