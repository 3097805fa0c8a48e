"""What a load of each source family stages, merges (in this order) and reports besides the counts."""

from __future__ import annotations

from dataclasses import dataclass

from generator.load.orphans import Orphan

SOURCES = ("autotask-api", "autotask-csv", "smileback-api", "smileback-csv")


@dataclass(frozen=True)
class Note:
    """A count reported after the merge: rows that are valid but not loaded, or loaded without a link."""

    text: str  # "{n} ..." filled with the count, "{reload}" with :func:`reload_hint`
    sql: str  # neutral SELECT COUNT(*)


@dataclass(frozen=True)
class FamilyPlan:
    """Staging tables a family's load clears and fills, and BI_ tables it merges in dependency order."""

    staging: tuple[str, ...]
    merges: tuple[str, ...]
    notes: tuple[Note, ...] = ()
    orphans: tuple[Orphan, ...] = ()  # checked after the merges: child rows whose parent is not loaded


PLANS: dict[str, FamilyPlan] = {
    "autotask": FamilyPlan(
        staging=("STG_Autotask_Picklists", "STG_Autotask_Companies", "STG_Autotask_Resources",
                 "STG_Autotask_Tickets", "STG_Autotask_TimeEntries"),
        # time entries before tickets: a ticket's hours_worked sums the merged time entries
        merges=("BI_Autotask_Queues", "BI_Autotask_IssueTypes", "BI_Autotask_SubIssueTypes", "BI_Autotask_Priorities",
                "BI_Autotask_Sources", "BI_Autotask_Resolutions", "BI_Autotask_Companies", "BI_Autotask_Resources",
                "BI_Autotask_TimeEntries", "BI_Autotask_Tickets"),
        notes=(Note("{n} time entries without a ticket (task or regular time) are not part of the model",
                    'SELECT COUNT(*) FROM "STG_Autotask_TimeEntries" WHERE "ticket_id" IS NULL'),),
        orphans=(Orphan("BI_Autotask_TimeEntries", "ticket_id", "BI_Autotask_Tickets", "ticket"),),
    ),
    "smileback": FamilyPlan(
        staging=("STG_SmileBack_Reviews", "STG_SmileBack_NPS"),
        merges=("BI_SmileBack_Reviews", "BI_SmileBack_Surveys", "BI_SmileBack_NPS"),
        notes=(
            Note("{n} unrated reviews (no rating yet) are not CSAT responses and were not loaded",
                 'SELECT COUNT(*) FROM "STG_SmileBack_Reviews" WHERE "rating" IS NULL '
                 "AND COALESCE(\"status\", '') <> 'deleted'"),
            Note("{n} loaded reviews match no Autotask ticket (by id or ticket number); they keep their company "
                 "but have no ticket, technician or queue — load Autotask first, then {reload}",
                 'SELECT COUNT(*) FROM "WRK_BI_SmileBack_Reviews" WHERE "ticket_id" IS NULL '
                 "AND \"merge_action\" <> 'R'"),
        ),
    ),
}


def reload_hint(source: str) -> str:
    """How to read a source's rows again: a CSV export is read whole every time; the API sources skip rows older
    than their watermark unless given ``--full``."""
    return f"load --source {source} again with --full" if is_api(source) else f"load this {source} export again"


def is_api(source: str) -> bool:
    """Whether ``source`` reads a REST API (watermarks and ``--full`` apply) rather than CSV exports."""
    return source.endswith("-api")


def family(source: str) -> str:
    """``autotask`` or ``smileback`` for a source name."""
    return source.split("-", 1)[0]
