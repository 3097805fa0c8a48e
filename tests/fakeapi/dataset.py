"""A consistent Autotask + SmileBack API dataset for the fake servers, with the staging rows it must give.

Each record is built once from plain Python values and rendered twice: as the API item (camelCase fields,
ISO-8601 text, picklist ints, SmileBack's nested ticket/company/contact) and as the ``STG_`` row the
extractors must produce (snake_case, naive UTC datetimes). The second rendering is written here by hand, not
by the code under test, so the tests compare the extractors against an independent expectation.

* :func:`synthetic` — deterministic from a seed and a size (number of tickets); reviews link to tickets by
  id or by ticket number, some match no ticket, some are deleted or unrated; NPS responses.
* :func:`from_demo` — the demo database's ``BI_`` tables as the APIs would serve them (ratings 5/3/1 back to
  1/0/-1, labels back to picklist values), so a load through the APIs can be compared with the demo.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Picklist values as Autotask tenants commonly have them (5 = Complete is fixed by Autotask).
STATUSES = {1: "New", 5: "Complete", 7: "Waiting Customer", 8: "In Progress", 12: "Waiting Vendor"}
PRIORITIES = {1: "High", 2: "Medium", 3: "Low", 4: "Critical"}
ISSUE_TYPES = {10: "Hardware", 11: "Software", 12: "Network", 13: "Account Management", 14: "Backup",
               15: "Security"}
SUB_ISSUE_TYPES = {136: "VPN", 137: "Wi-Fi", 138: "Printer"}
SOURCES = {1: "Phone", 2: "Email", 4: "Client Portal", 6: "Monitoring Alert"}
QUEUES = {29682831: "Service Desk", 29682832: "Escalations (Tier 2)", 29682833: "Client Portal",
          29682834: "Projects", 29682835: "Monitoring Alerts", 29682836: "After Hours"}
COMPANY_TYPES = {1: "Customer", 2: "Lead", 3: "Prospect", 4: "Dead", 5: "Cancellation", 6: "Vendor", 7: "Partner"}


def autotask_time(value: datetime | None) -> str | None:
    """Autotask's rendering: milliseconds and ``Z``."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def smileback_time(value: datetime | None) -> str | None:
    """SmileBack's rendering: microseconds and ``Z``."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _midnight(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


@dataclass
class ApiDataset:
    """API items per entity (what the fake servers serve) and the staging rows they must become."""

    companies: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    time_entries: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    nps: list[dict[str, Any]] = field(default_factory=list)
    picklists: dict[str, dict[str, dict[int, str]]] = field(default_factory=dict)  # entity → field → value → label
    expected: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # STG table → rows

    def entity_items(self, entity: str) -> list[dict[str, Any]]:
        """The Autotask items of ``entity`` (Companies, Resources, Tickets, TimeEntries)."""
        return {"Companies": self.companies, "Resources": self.resources, "Tickets": self.tickets,
                "TimeEntries": self.time_entries}[entity]

    def fields_answer(self, entity: str) -> dict[str, Any]:
        """The ``{Entity}/entityInformation/fields`` answer: picklist fields plus a few plain ones."""
        fields: list[dict[str, Any]] = [
            {"name": "id", "dataType": "long", "isPickList": False, "picklistValues": None},
        ]
        for name, values in self.picklists.get(entity, {}).items():
            fields.append({
                "name": name, "dataType": "integer", "length": 0, "isRequired": name == "status",
                "isReadOnly": False, "isQueryable": True, "isReference": False, "referenceEntityType": "",
                "isPickList": True, "picklistParentValueField": "", "isSupportedWebhookField": False,
                "picklistValues": [
                    {"value": str(value), "label": label, "isDefaultValue": position == 0, "sortOrder": position,
                     "parentValue": "", "isActive": True, "isSystem": value in (1, 5)}
                    for position, (value, label) in enumerate(sorted(values.items()))
                ],
            })
        return {"fields": fields}

    def add_company(self, id: int, name: str, company_type: int | None, active: bool, created: datetime | None,
                    last_activity: datetime | None) -> None:
        """One Autotask company and its STG_Autotask_Companies row."""
        self.companies.append({
            "id": id, "companyName": name, "companyNumber": str(100000 + id), "companyType": company_type,
            "isActive": active, "ownerResourceID": None, "phone": "555-0100", "createDate": autotask_time(created),
            "lastActivityDate": autotask_time(last_activity), "userDefinedFields": [],
        })
        self._row("STG_Autotask_Companies", id=id, company_name=name, company_type=company_type, is_active=active,
                  create_date=created, last_activity_date=last_activity)

    def add_resource(self, id: int, first: str, last: str, email: str | None, active: bool) -> None:
        """One Autotask resource and its STG_Autotask_Resources row."""
        self.resources.append({"id": id, "firstName": first, "lastName": last, "email": email, "isActive": active,
                               "userName": f"{first}.{last}".lower(), "resourceType": "Employee"})
        self._row("STG_Autotask_Resources", id=id, first_name=first, last_name=last, email=email, is_active=active)

    def add_ticket(self, id: int, number: str, title: str, company: int, queue: int | None, resource: int | None,
                   status: int, priority: int | None, issue_type: int | None, created: datetime,
                   first_response: datetime | None, resolved: datetime | None, completed: datetime | None,
                   sla_met: bool | None, last_activity: datetime, sub_issue_type: int | None = None,
                   source: int | None = 6) -> None:
        """One Autotask ticket and its STG_Autotask_Tickets row."""
        self.tickets.append({
            "id": id, "ticketNumber": number, "title": title, "companyID": company, "queueID": queue,
            "assignedResourceID": resource, "status": status, "priority": priority, "issueType": issue_type,
            "subIssueType": sub_issue_type, "source": source, "ticketType": 1, "createDate": autotask_time(created),
            "firstResponseDateTime": autotask_time(first_response), "resolvedDateTime": autotask_time(resolved),
            "completedDate": autotask_time(completed), "serviceLevelAgreementID": None if sla_met is None else 1,
            "serviceLevelAgreementHasBeenMet": sla_met, "lastActivityDate": autotask_time(last_activity),
            "description": "", "userDefinedFields": [],
        })
        self._row("STG_Autotask_Tickets", id=id, ticket_number=number, title=title, company_id=company,
                  queue_id=queue, assigned_resource_id=resource, status=status, priority=priority,
                  issue_type=issue_type, sub_issue_type=sub_issue_type, source=source, create_date=created,
                  first_response_date_time=first_response,
                  resolved_date_time=resolved, completed_date=completed,
                  service_level_agreement_has_been_met=sla_met, last_activity_date=last_activity)

    def add_time_entry(self, id: int, ticket: int, resource: int, worked: datetime, hours: float,
                       modified: datetime) -> None:
        """One Autotask time entry (on a ticket) and its STG_Autotask_TimeEntries row."""
        self.time_entries.append({"id": id, "ticketID": ticket, "taskID": None, "resourceID": resource,
                                  "dateWorked": autotask_time(worked), "hoursWorked": hours,
                                  "summaryNotes": "", "lastModifiedDateTime": autotask_time(modified)})
        self._row("STG_Autotask_TimeEntries", id=id, ticket_id=ticket, resource_id=resource, date_worked=worked,
                  hours_worked=hours, last_modified_date_time=modified)

    def add_review(self, id: int, rating: int | None, comment: str | None, ticket_ref: str | None,
                   ticket_title: str | None, agents: list[str], company: tuple[str, str] | None,
                   contact_email: str | None, status: str, rated: datetime | None, modified: datetime,
                   contact_id: str | None = None, contact_name: str | None = None) -> None:
        """One SmileBack review and its STG_SmileBack_Reviews row; a contact given by e-mail alone gets an id
        derived from it and the name "Contact"."""
        if contact_email is not None:
            contact_id = contact_id or str(zlib.crc32(contact_email.encode()) % 100000)
            contact_name = contact_name or "Contact"
        self.reviews.append({
            "id": id, "rating": rating, "comment": comment,
            "ticket": None if ticket_ref is None else {
                "id": ticket_ref, "title": ticket_title, "segment": {"id": "1", "name": "Service Desk"},
                "agents": agents, "closed_on": smileback_time(rated - timedelta(hours=1)) if rated else None},
            "contact": {"id": contact_id, "name": contact_name, "email": contact_email}
            if contact_email is not None or contact_id is not None else None,
            "company": {"id": company[0], "name": company[1], "territory_name": None, "territory_remote_id": None,
                        "market_name": None, "market_remote_id": None} if company else None,
            "status": status, "tags": [], "has_marketing_permission": False, "viewed_on": None,
            "rated_on": smileback_time(rated), "permalink": f"https://app.smileback.io/reviews/{id}/",
            "last_modified": smileback_time(modified),
        })
        self._row("STG_SmileBack_Reviews", id=id, rating=rating, comment=comment, ticket_remote_id=ticket_ref,
                  ticket_title=ticket_title if ticket_ref is not None else None,
                  agent_names=", ".join(agents) if ticket_ref is not None and agents else None,
                  company_remote_id=company[0] if company else None, company_name=company[1] if company else None,
                  contact_remote_id=contact_id, contact_name=contact_name, contact_email=contact_email,
                  status=status, rated_on=rated, last_modified=modified)

    def add_nps(self, id: int, score: int, comment: str | None, company: tuple[str, str], contact_email: str | None,
                responded: datetime, modified: datetime) -> None:
        """One SmileBack NPS response and its STG_SmileBack_NPS row."""
        self.nps.append({
            "id": id, "score": score, "comment": comment, "campaign": {"id": 1, "name": "Quarterly NPS"},
            "contact": {"id": str(id), "name": "Contact", "email": contact_email},
            "company": {"id": company[0], "name": company[1]},
            "responded_on": smileback_time(responded), "last_modified": smileback_time(modified),
        })
        self._row("STG_SmileBack_NPS", id=id, score=score, comment=comment, company_remote_id=company[0],
                  contact_email=contact_email, responded_on=responded, last_modified=modified)

    def add_picklist_rows(self) -> None:
        """The STG_Autotask_Picklists rows of :attr:`picklists`."""
        for entity, fields in self.picklists.items():
            for name, values in fields.items():
                for value, label in sorted(values.items()):
                    self._row("STG_Autotask_Picklists", entity=entity, field=name, value=str(value), label=label,
                              is_active=True)

    def _row(self, table: str, **values: Any) -> None:
        self.expected.setdefault(table, []).append(values)


def _picklists() -> dict[str, dict[str, dict[int, str]]]:
    return {"Tickets": {"status": dict(STATUSES), "priority": dict(PRIORITIES), "queueID": dict(QUEUES),
                        "issueType": dict(ISSUE_TYPES), "subIssueType": dict(SUB_ISSUE_TYPES),
                        "source": dict(SOURCES)},
            "Companies": {"companyType": dict(COMPANY_TYPES)}}


def synthetic(seed: int = 1, size: int = 200) -> ApiDataset:
    """A dataset of ``size`` tickets (and companies, resources, time entries, reviews, NPS in proportion)."""
    rng = random.Random(seed)
    data = ApiDataset(picklists=_picklists())
    data.add_picklist_rows()
    start = datetime(2025, 11, 1, 8, 0)
    n_companies = max(3, size // 40)
    n_resources = max(2, size // 60)
    for i in range(n_companies):
        created = start - timedelta(days=rng.randint(200, 3000))
        data.add_company(1001 + i, f"Client {i + 1:03d} Ltd", rng.choice([1, 1, 1, 5, 7]), i % 9 != 8, created,
                         start + timedelta(minutes=rng.randint(0, 260_000), milliseconds=rng.randint(0, 999)))
    firsts = ["Sarah", "James", "Lisa", "Daniel", "Emily", "Omar", "Priya", "Tom"]
    for i in range(n_resources):
        first, last = firsts[i % len(firsts)], f"Tech{i + 1}"
        data.add_resource(29682801 + i, first, last, f"{first.lower()}.{last.lower()}@msp.example", i != 5)
    companies = [c["id"] for c in data.companies]
    resources = [r["id"] for r in data.resources]
    names = {c["id"]: c["companyName"] for c in data.companies}
    techs = {r["id"]: f"{r['firstName']} {r['lastName']}" for r in data.resources}
    entry_id = 5_200_001
    for i in range(size):
        ticket_id = 48_001 + i
        created = start + timedelta(minutes=rng.randint(0, 250_000), milliseconds=rng.randint(0, 999))
        number = f"T{created:%Y%m%d}.{i + 1:04d}"
        status = rng.choice([5] * 8 + [1, 7, 8, 12])
        done = status == 5
        first_response = created + timedelta(minutes=rng.randint(5, 240)) if rng.random() < 0.9 else None
        resolved = created + timedelta(hours=rng.randint(1, 72)) if done else None
        completed = resolved + timedelta(minutes=rng.randint(0, 30)) if resolved else None
        last_activity = (completed or created) + timedelta(minutes=rng.randint(0, 90))
        resource = rng.choice(resources) if rng.random() < 0.95 else None
        company = rng.choice(companies)
        data.add_ticket(ticket_id, number, f"Issue {i + 1}: {rng.choice(['printer', 'VPN', 'laptop', 'email'])}",
                        company, rng.choice(list(QUEUES)), resource, status, rng.choice(list(PRIORITIES)),
                        rng.choice(list(ISSUE_TYPES)) if rng.random() < 0.97 else None, created, first_response,
                        resolved, completed, None if rng.random() < 0.1 else rng.random() < 0.85, last_activity,
                        # from the ticket's position, so that the random stream (and every other value) is unchanged
                        sub_issue_type=[None, *SUB_ISSUE_TYPES][i % 4], source=list(SOURCES)[i % len(SOURCES)])
        for _ in range(rng.randint(0, 3)):
            worked = _midnight((created + timedelta(days=rng.randint(0, 3))).date())
            data.add_time_entry(entry_id, ticket_id, resource or resources[0], worked,
                                rng.choice([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.25]),
                                worked + timedelta(hours=17, milliseconds=rng.randint(0, 999)))
            entry_id += 1
        if done and rng.random() < 0.6:
            rated = completed + timedelta(minutes=rng.randint(3, 600), microseconds=rng.randint(0, 999_999))
            roll = rng.random()
            rating = None if roll < 0.08 else (1 if roll < 0.85 else (0 if roll < 0.93 else -1))
            status_text = "deleted" if rng.random() < 0.03 else ("open" if rating is None else "done")
            by_number = rng.random() < 0.3
            data.add_review(35_900_001 + i, rating, rng.choice(["", "Quick fix, thanks!", "Slow to respond."]),
                            number if by_number else str(ticket_id), data.tickets[-1]["title"],
                            [techs[resource]] if resource else [], (str(company), names[company]),
                            f"user{i % 17}@client{company}.example", status_text,
                            rated if rating is not None else None, rated + timedelta(seconds=rng.randint(1, 90)))
    for j in range(max(2, size // 50)):  # reviews whose ticket is in no Autotask tenant we load
        modified = start + timedelta(days=j, microseconds=rng.randint(0, 999_999))
        data.add_review(36_800_001 + j, rng.choice([1, 0, -1]), "Orphan review", f"99{j:05d}", "Unknown ticket",
                        ["Someone Else"], ("999", "Other MSP client"), None, "done", modified, modified)
    for k in range(max(3, size // 10)):
        company = rng.choice(companies)
        responded = start + timedelta(minutes=rng.randint(0, 250_000), microseconds=rng.randint(0, 999_999))
        data.add_nps(880_001 + k, rng.randint(0, 10), rng.choice(["", "Great partner.", "Could be faster."]),
                     (str(company), names[company]), f"nps{k}@client{company}.example", responded,
                     responded + timedelta(seconds=5))
    return data


def from_demo(db_path: str, ticket_ref: str = "id") -> ApiDataset:
    """The demo database's BI_ tables as the APIs would serve them.

    ``ticket_ref`` chooses what a review's ``ticket.id`` holds: the Autotask ticket ``"id"`` or its
    ``"number"``. What the staging tables have no column for (a company's churn date, a ticket's reopened /
    first-contact-resolution flags, the survey table) is not carried.
    """
    import duckdb  # the tests' dependency; imported here so the synthetic dataset needs nothing

    con = duckdb.connect(db_path, read_only=True)
    try:
        def rows(sql: str) -> list[dict[str, Any]]:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

        companies = rows("SELECT * FROM BI_Autotask_Companies ORDER BY company_id")
        resources = rows("SELECT * FROM BI_Autotask_Resources ORDER BY resource_id")
        queues = rows("SELECT * FROM BI_Autotask_Queues ORDER BY queue_id")
        sub_issue_types = rows("SELECT * FROM BI_Autotask_SubIssueTypes ORDER BY sub_issue_type_id")
        sources = rows("SELECT * FROM BI_Autotask_Sources ORDER BY source_id")
        tickets = rows("SELECT * FROM BI_Autotask_Tickets ORDER BY ticket_id")
        entries = rows("SELECT * FROM BI_Autotask_TimeEntries ORDER BY time_entry_id")
        reviews = rows("SELECT * FROM BI_SmileBack_Reviews ORDER BY review_id")
        nps = rows("SELECT * FROM BI_SmileBack_NPS ORDER BY nps_response_id")
    finally:
        con.close()

    def values_of(labels: set[str], known: dict[int, str]) -> dict[int, str]:
        by_label = {label: value for value, label in known.items()}
        result = {by_label[label]: label for label in labels if label in by_label}
        extra = 100
        for label in sorted(labels - set(by_label)):
            while extra in result:
                extra += 1
            result[extra] = label
        return result

    statuses = values_of({t["status"] for t in tickets}, STATUSES)
    priorities = values_of({t["priority"] for t in tickets if t["priority"]}, PRIORITIES)
    issue_types = values_of({t["issue_type"] for t in tickets if t["issue_type"]}, ISSUE_TYPES)
    company_types = values_of({c["company_type"] for c in companies if c["company_type"]}, COMPANY_TYPES)
    data = ApiDataset(picklists={
        "Tickets": {"status": statuses, "priority": priorities, "queueID": {q["queue_id"]: q["queue_name"]
                                                                           for q in queues},
                    "issueType": issue_types,
                    "subIssueType": {s["sub_issue_type_id"]: s["sub_issue_type_name"] for s in sub_issue_types},
                    "source": {s["source_id"]: s["source_name"] for s in sources}},
        "Companies": {"companyType": company_types}})
    data.add_picklist_rows()
    value = {kind: {label: v for v, label in labels.items()} for kind, labels in
             (("status", statuses), ("priority", priorities), ("issue", issue_types), ("ctype", company_types))}
    for c in companies:
        data.add_company(c["company_id"], c["company_name"], value["ctype"].get(c["company_type"]), c["is_active"],
                         _midnight(c["client_since"]), c["last_activity_at"])
    for r in resources:
        first, _, last = r["technician_name"].partition(" ")
        data.add_resource(r["resource_id"], first, last, r["email"], r["is_active"])
    for t in tickets:
        data.add_ticket(t["ticket_id"], t["ticket_number"], t["title"], t["company_id"], t["queue_id"],
                        t["assigned_resource_id"], value["status"][t["status"]], value["priority"].get(t["priority"]),
                        value["issue"].get(t["issue_type"]), t["created_at"], t["first_response_at"],
                        t["resolved_at"], t["completed_at"], t["sla_met"], t["last_activity_at"],
                        sub_issue_type=t["sub_issue_type_id"], source=t["source_id"])
    for e in entries:
        worked = _midnight(e["date_worked"])
        data.add_time_entry(e["time_entry_id"], e["ticket_id"], e["resource_id"], worked, float(e["hours_worked"]),
                            worked + timedelta(hours=18))
    rating = {5: 1, 3: 0, 1: -1}
    titles = {t["ticket_id"]: t["title"] for t in tickets}
    for v in reviews:
        ref = str(v["ticket_id"]) if ticket_ref == "id" else v["ticket_number"]
        data.add_review(v["review_id"], rating[v["rating"]], v["comment"], ref, titles.get(v["ticket_id"]),
                        [v["technician_name"]] if v["technician_name"] else [],
                        (str(v["company_id"]), v["company_name"]), v["contact_email"], v["review_status"] or "done",
                        v["rated_at"], v["rated_at"] + timedelta(minutes=1), contact_id=v["contact_id"],
                        contact_name=v["contact_name"])
    for n in nps:
        name = next(c["company_name"] for c in companies if c["company_id"] == n["company_id"])
        data.add_nps(n["nps_response_id"], n["score"], n["comment"], (str(n["company_id"]), name),
                     n["contact_email"], n["responded_at"], n["responded_at"] + timedelta(seconds=30))
    return data


def utc(value: datetime) -> datetime:
    """A naive UTC datetime as an aware one (for building filters in tests)."""
    return value.replace(tzinfo=UTC)
