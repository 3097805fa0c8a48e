"""SmileBack v3 items → ``STG_SmileBack_Reviews`` / ``STG_SmileBack_NPS`` rows.

``rating`` stays SmileBack's own 1 / 0 / -1 / null (the 5 / 3 / 1 mapping lives in the transform SQL);
``status`` (open / done / deleted: SmileBack's own handled status) passes through, and so does the reviewing
contact (``contact.id`` / ``name`` / ``email``); ``agent_names`` joins the ticket's agents with ", ".
NPS responses: the date of the answer is read from ``responded_on`` or, failing that, ``created_on`` /
``created`` (the public summaries of the API do not show the item; the field name is inferred).
"""

from __future__ import annotations

from typing import Any

from generator.sources.apivalues import RowError, RowSpec, col, map_item

REVIEWS = RowSpec("STG_SmileBack_Reviews", [
    col("id", "id", "int", required=True),
    col("rating", "rating", "int"),
    col("comment", "comment", "str"),
    col("ticket_remote_id", "ticket.id", "str"),
    col("ticket_title", "ticket.title", "str"),
    col("agent_names", "agent_names", "str"),
    col("company_remote_id", "company.id", "str"),
    col("company_name", "company.name", "str"),
    col("contact_remote_id", "contact.id", "str"),
    col("contact_name", "contact.name", "str"),
    col("contact_email", "contact.email", "str"),
    col("status", "status", "str"),
    col("rated_on", "rated_on", "datetime"),
    col("last_modified", "last_modified", "datetime"),
], watermark="last_modified")

NPS = RowSpec("STG_SmileBack_NPS", [
    col("id", "id", "int", required=True),
    col("score", "score", "int"),
    col("comment", "comment", "str"),
    col("company_remote_id", "company.id", "str"),
    col("contact_email", "contact.email", "str"),
    col("responded_on", "responded_on", "datetime"),
    col("last_modified", "last_modified", "datetime"),
], watermark="responded_on")

SPECS = {"Reviews": REVIEWS, "NPS": NPS}
RATINGS = (1, 0, -1, None)
STATUSES = ("open", "done", "deleted")


def review_to_row(item: Any) -> dict[str, Any]:
    """The staging row of one review; raises :class:`RowError` for a rating or status SmileBack does not use."""
    if isinstance(item, dict):
        ticket = item.get("ticket")
        agents = ticket.get("agents") if isinstance(ticket, dict) else None
        if agents is not None and not (isinstance(agents, list) and all(isinstance(a, str) for a in agents)):
            raise RowError("ticket.agents: expected a list of names")
        item = {**item, "agent_names": ", ".join(agents) if agents else None}
    row = map_item(REVIEWS, item)
    if row["rating"] not in RATINGS:
        raise RowError(f"rating: {row['rating']!r} is not one of SmileBack's 1, 0, -1 or null")
    if row["status"] not in STATUSES:
        raise RowError(f"status: {row['status']!r} is not open, done or deleted")
    return row


def nps_to_row(item: Any) -> dict[str, Any]:
    """The staging row of one NPS response; raises :class:`RowError` for a score outside 0-10."""
    if isinstance(item, dict) and item.get("responded_on") is None:
        item = {**item, "responded_on": item.get("created_on", item.get("created"))}
    row = map_item(NPS, item)
    if row["score"] is not None and not 0 <= row["score"] <= 10:
        raise RowError(f"score: {row['score']!r} is outside 0-10")
    return row


ROW_MAPPERS = {"Reviews": review_to_row, "NPS": nps_to_row}
