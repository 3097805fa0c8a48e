"""Autotask REST items → ``STG_Autotask_*`` rows (camelCase API fields → snake_case staging columns).

Datetimes become naive UTC; picklist fields stay the integers the API gives (their labels land in
``STG_Autotask_Picklists`` with ``value`` as the string the ``entityInformation/fields`` answer gives).
"""

from __future__ import annotations

from typing import Any

from generator.sources.apivalues import RowError, RowSpec, col, map_item

SPECS: dict[str, RowSpec] = {
    "Companies": RowSpec("STG_Autotask_Companies", [
        col("id", "id", "int", required=True),
        col("company_name", "companyName", "str"),
        col("company_type", "companyType", "int"),
        col("is_active", "isActive", "bool"),
        col("create_date", "createDate", "datetime"),
        col("last_activity_date", "lastActivityDate", "datetime"),
    ]),
    "Resources": RowSpec("STG_Autotask_Resources", [
        col("id", "id", "int", required=True),
        col("first_name", "firstName", "str"),
        col("last_name", "lastName", "str"),
        col("email", "email", "str"),
        col("is_active", "isActive", "bool"),
    ]),
    "Tickets": RowSpec("STG_Autotask_Tickets", [
        col("id", "id", "int", required=True),
        col("ticket_number", "ticketNumber", "str"),
        col("title", "title", "str"),
        col("company_id", "companyID", "int"),
        col("queue_id", "queueID", "int"),
        col("assigned_resource_id", "assignedResourceID", "int"),
        col("status", "status", "int"),
        col("priority", "priority", "int"),
        col("issue_type", "issueType", "int"),
        col("sub_issue_type", "subIssueType", "int"),
        col("source", "source", "int"),
        col("create_date", "createDate", "datetime"),
        col("first_response_date_time", "firstResponseDateTime", "datetime"),
        col("resolved_date_time", "resolvedDateTime", "datetime"),
        col("completed_date", "completedDate", "datetime"),
        col("service_level_agreement_has_been_met", "serviceLevelAgreementHasBeenMet", "bool"),
        col("last_activity_date", "lastActivityDate", "datetime"),
    ], watermark="last_activity_date"),
    "TimeEntries": RowSpec("STG_Autotask_TimeEntries", [
        col("id", "id", "int", required=True),
        col("ticket_id", "ticketID", "int"),
        col("resource_id", "resourceID", "int"),
        col("date_worked", "dateWorked", "datetime"),
        col("hours_worked", "hoursWorked", "float"),
        col("last_modified_date_time", "lastModifiedDateTime", "datetime"),
    ], watermark="last_modified_date_time"),
}

PICKLIST_TABLE = "STG_Autotask_Picklists"

# entity → picklist fields whose labels the BI_ transforms need
PICKLIST_FIELDS: dict[str, tuple[str, ...]] = {
    "Tickets": ("status", "priority", "queueID", "issueType", "subIssueType", "source"),
    "Companies": ("companyType",),
}

# API field name (as used by the query filters) of each entity's change time, when it has one
CHANGE_FIELDS: dict[str, str] = {"Tickets": "lastActivityDate", "TimeEntries": "lastModifiedDateTime"}


def item_to_row(entity: str, item: Any) -> dict[str, Any]:
    """The staging row of one ``entity`` item; raises :class:`RowError` when a field cannot be used."""
    return map_item(SPECS[entity], item)


def picklist_rows(entity: str, fields_answer: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """``STG_Autotask_Picklists`` rows for the picklist fields of ``entity`` in an ``entityInformation/fields``
    answer, and a list of problems (a wanted field missing, a value without a label)."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    fields = fields_answer.get("fields") if isinstance(fields_answer, dict) else None
    if not isinstance(fields, list):
        raise RowError(f"{entity}/entityInformation/fields: the answer has no 'fields' list")
    by_name = {f.get("name"): f for f in fields if isinstance(f, dict)}
    for name in PICKLIST_FIELDS[entity]:
        field = by_name.get(name)
        if field is None:
            problems.append(f"{entity}.{name}: no such field in entityInformation/fields")
            continue
        values = field.get("picklistValues") or []
        if not isinstance(values, list):
            problems.append(f"{entity}.{name}: picklistValues is not a list")
            continue
        for position, entry in enumerate(values, start=1):
            value = entry.get("value") if isinstance(entry, dict) else None
            if value is None or str(value).strip() == "":
                problems.append(f"{entity}.{name}: picklist entry {position} has no value")
                continue
            label = entry.get("label")
            active = entry.get("isActive")
            rows.append({"entity": entity, "field": name, "value": str(value),
                         "label": label if isinstance(label, str) else None,
                         "is_active": active if isinstance(active, bool) else None})
    return rows, problems
