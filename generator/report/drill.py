"""Where a client's unhappy ratings concentrate: its unhappy share against its response share, per dimension.

For a client and a member of a dimension (a queue, a technician, a ticket attribute such as the issue type),
the engine evaluates, under the report's period:

* the **unhappy share** — the client's ``CSAT - Negative`` on the member ÷ the client's ``CSAT - Negative``;
* the **response share** — the client's ``CSAT - Total Ratings`` on the member ÷ the client's total,

both as ``DIVIDE`` of catalogue measures with the dimension's filter removed for the denominator. A member is
named as a concentration when its counts are meaningful — at least :data:`MIN_UNHAPPY` unhappy ratings and
at least the low-confidence threshold of responses on the member — and its unhappy share is at least
:data:`MIN_LIFT` times its response share. This module compares those values; it computes none.

The dimensions are a list (:data:`DIMENSIONS`): one whose column the model lacks is skipped, so the ticket
attributes (issue type, priority, source, first-contact resolution …) are drilled into as soon as the model
relates them to the reviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.engine.run import Engine
from generator.report.data import (
    NEGATIVE,
    TOTAL,
    ClientRow,
    as_float,
    as_int,
    dates_between,
    dax_columns,
    query_rows,
    ref,
)
from generator.report.period import Period

MIN_UNHAPPY = 3
MIN_LIFT = 1.25
SHOWN_PER_DIMENSION = 3


@dataclass(frozen=True)
class Dimension:
    """A column reviews can be sliced by: its label on the page (singular, lower case), table and column, and the
    label's plural."""

    label: str
    table: str
    column: str
    plural: str = ""

    @property
    def many(self) -> str:
        """The plural label."""
        return self.plural or self.label + "s"

    @property
    def reference(self) -> str:
        """The DAX column reference."""
        return f"{self.table}[{self.column}]"


#: The dimensions drilled into, in page order; those the model lacks are skipped.
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("issue type", "BI_Autotask_IssueTypes", "issue_type_name"),
    Dimension("sub-issue type", "BI_Autotask_SubIssueTypes", "sub_issue_type_name"),
    Dimension("priority", "BI_Autotask_Priorities", "priority_name"),
    Dimension("source", "BI_Autotask_Sources", "source_name"),
    Dimension("first-contact resolution", "BI_Autotask_Resolutions", "first_contact", "first-contact resolution"),
    Dimension("reopen status", "BI_Autotask_Resolutions", "reopen_status", "reopen statuses"),
    Dimension("SLA status", "BI_Autotask_Resolutions", "sla_status", "SLA statuses"),
    Dimension("queue", "BI_Autotask_Queues", "queue_name"),
    Dimension("technician", "BI_Autotask_Resources", "technician_name"),
)


@dataclass(frozen=True)
class Concentration:
    """A member of a dimension where a client's unhappy ratings concentrate."""

    dimension: str
    member: str
    responses: int
    unhappy: int
    unhappy_share: float  # of the client's unhappy ratings
    response_share: float  # of the client's responses


@dataclass(frozen=True)
class DrillDown:
    """One client's concentrations, over every dimension the model has."""

    client: str
    tier: str | None
    unhappy: int | None
    responses: int | None
    concentrations: tuple[Concentration, ...]
    dimensions: tuple[str, ...]  # the dimensions looked at


def available(engine: Engine, dimensions: Sequence[Dimension] = DIMENSIONS) -> list[Dimension]:
    """The ``dimensions`` whose table and column the engine's model has."""
    found = []
    for dimension in dimensions:
        table = engine.model.table(dimension.table)
        if table is not None and table.column(dimension.column) is not None:
            found.append(dimension)
    return found


def member_label(value: object) -> str:
    """A dimension member as the page shows it (a TRUE/FALSE trait as yes/no)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _query(dimension: Dimension, company_ids: Sequence[int], period: Period) -> str:
    groups = f"BI_Autotask_Companies[company_id], {dimension.reference}"
    without = f"REMOVEFILTERS ( {dimension.reference} )"
    pairs = [("Responses", ref(TOTAL)), ("Unhappy", ref(NEGATIVE)),
             ("UnhappyShare", f"DIVIDE ( {ref(NEGATIVE)}, CALCULATE ( {ref(NEGATIVE)}, {without} ) )"),
             ("ResponseShare", f"DIVIDE ( {ref(TOTAL)}, CALCULATE ( {ref(TOTAL)}, {without} ) )")]
    ids = ", ".join(str(company_id) for company_id in company_ids)
    return (f"EVALUATE CALCULATETABLE ( SUMMARIZECOLUMNS ( {groups}, {dax_columns(pairs)} ), "
            f"{dates_between(period.start, period.end)}, "
            f"TREATAS ( {{ {ids} }}, BI_Autotask_Companies[company_id] ) )")


def is_concentration(responses: int, unhappy: int, unhappy_share: float, response_share: float,
                     min_responses: int) -> bool:
    """Enough responses and unhappy ratings on the member, and an unhappy share ``MIN_LIFT`` times its response
    share or more."""
    return (unhappy >= MIN_UNHAPPY and responses >= min_responses
            and unhappy_share >= MIN_LIFT * response_share)


def drill_downs(engine: Engine, period: Period, clients: Sequence[ClientRow], min_responses: int,
                dimensions: Sequence[Dimension] = DIMENSIONS) -> list[DrillDown]:
    """The concentrations of each of ``clients`` (in their order), one query per available dimension."""
    chosen = [client for client in clients if client.company_id is not None]
    if not chosen:
        return []
    looked_at = available(engine, dimensions)
    found: dict[int, list[Concentration]] = {client.company_id or 0: [] for client in chosen}
    for dimension in looked_at:
        rows = query_rows(engine, _query(dimension, [client.company_id or 0 for client in chosen], period))
        by_client: dict[int, list[Concentration]] = {}
        for row in rows:
            member = row[dimension.reference]
            responses, unhappy = as_int(row["[Responses]"]), as_int(row["[Unhappy]"])
            unhappy_share, response_share = as_float(row["[UnhappyShare]"]), as_float(row["[ResponseShare]"])
            if member is None or None in (responses, unhappy, unhappy_share, response_share):
                continue
            assert responses is not None and unhappy is not None
            assert unhappy_share is not None and response_share is not None
            if is_concentration(responses, unhappy, unhappy_share, response_share, min_responses):
                by_client.setdefault(int(row["BI_Autotask_Companies[company_id]"]), []).append(Concentration(
                    dimension.label, member_label(member), responses, unhappy, unhappy_share, response_share))
        for company_id, items in by_client.items():
            items.sort(key=lambda c: (-c.unhappy_share, c.member))
            found[company_id].extend(items[:SHOWN_PER_DIMENSION])
    return [DrillDown(client.name, client.tier, client.unhappy_count, client.responses,
                      tuple(found[client.company_id or 0]), tuple(d.many for d in looked_at))
            for client in chosen]
