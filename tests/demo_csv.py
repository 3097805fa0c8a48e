"""Write Autotask and SmileBack CSV exports from BI_ tables (the demo dataset), for tests and benchmarks
(tests/conftest.py's ``demo_exports``, benchmarks/load/bench_load.py); not part of the shipped package.

The files use the headers of ``sql/mappings/csv.yaml`` the way the products export them: tickets name their
company, queue and technician by label (resolved through companies.csv, picklists.csv and resources.csv),
reviews carry SmileBack's rating words and, for every seventh review, the ticket number instead of its id.
Loading them back gives the same BI_ rows (survey ids apart: a load uses the review id).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from generator.demo.text import OPEN_STATUSES

COMPANY_TYPES = {"Customer": 1, "Lead": 2, "Prospect": 3, "Dead": 4, "Cancellation": 5, "Vendor": 6, "Partner": 7}
STATUSES = {"New": 1, "Complete": 5, **{label: 20 + i for i, label in enumerate(OPEN_STATUSES) if label != "New"}}
# Tickets picklist field → (BI_ dimension, its id column, its label column, the ticket's id column)
TICKET_PICKLISTS = {
    "issueType": ("BI_Autotask_IssueTypes", "issue_type_id", "issue_type_name"),
    "subIssueType": ("BI_Autotask_SubIssueTypes", "sub_issue_type_id", "sub_issue_type_name"),
    "source": ("BI_Autotask_Sources", "source_id", "source_name"),
    "priority": ("BI_Autotask_Priorities", "priority_id", "priority_name"),
}
RATING_WORDS = {5: "Positive", 3: "Neutral", 1: "Negative"}


def _stamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("")


def _yes_no(values: pd.Series) -> pd.Series:
    return values.astype("boolean").map({True: "Yes", False: "No"}).astype(object).fillna("")


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_autotask_exports(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """companies.csv, resources.csv, tickets.csv, time_entries.csv and picklists.csv in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    companies = tables["BI_Autotask_Companies"]
    resources = tables["BI_Autotask_Resources"]
    queues = tables["BI_Autotask_Queues"]
    tickets = tables["BI_Autotask_Tickets"]
    entries = tables["BI_Autotask_TimeEntries"]
    names = resources["technician_name"].str.split(" ", n=1, expand=True)
    written = [
        _write(pd.DataFrame({
            "Company ID": companies["company_id"], "Company Name": companies["company_name"],
            "Company Type": companies["company_type"], "Active": _yes_no(companies["is_active"]),
            "Last Activity Date": _stamp(companies["last_activity_at"]),
            "Client Since": _day(companies["client_since"]), "Churned On": _day(companies["churned_on"]),
        }), folder / "companies.csv"),
        _write(pd.DataFrame({
            "Resource ID": resources["resource_id"], "First Name": names[0], "Last Name": names[1],
            "Email": resources["email"], "Active": _yes_no(resources["is_active"]),
        }), folder / "resources.csv"),
    ]
    company_names = dict(zip(companies["company_id"], companies["company_name"], strict=True))
    queue_names = dict(zip(queues["queue_id"], queues["queue_name"], strict=True))
    technician = dict(zip(resources["resource_id"], resources["technician_name"], strict=True))
    labels = {field: dict(zip(tables[dim][key], tables[dim][label], strict=True))
              for field, (dim, key, label) in TICKET_PICKLISTS.items()}
    written.append(_write(pd.DataFrame({
        "Ticket ID": tickets["ticket_id"], "Autotask Ticket Number": tickets["ticket_number"],
        "Ticket Title": tickets["title"], "Company": tickets["company_id"].map(company_names),
        "Queue": tickets["queue_id"].map(queue_names).fillna(""),
        "Primary Resource": tickets["assigned_resource_id"].map(technician).fillna(""),
        "Status": tickets["status"], "Priority": tickets["priority"].fillna(""),
        "Issue Type": tickets["issue_type"].fillna(""),
        "Sub-Issue Type": tickets["sub_issue_type_id"].map(labels["subIssueType"]).fillna(""),
        "Source": tickets["source_id"].map(labels["source"]).fillna(""),
        "Create Date/Time": _stamp(tickets["created_at"]),
        "First Response Date/Time": _stamp(tickets["first_response_at"]),
        "Resolved Date/Time": _stamp(tickets["resolved_at"]),
        "Complete Date/Time": _stamp(tickets["completed_at"]),
        "SLA Met": _yes_no(tickets["sla_met"]),
        "Last Activity Date/Time": _stamp(tickets["last_activity_at"]),
        "First Contact Resolution": _yes_no(tickets["first_contact_resolution"]),
        "Reopened": _yes_no(tickets["reopened"]),
    }), folder / "tickets.csv"))
    written.append(_write(pd.DataFrame({
        "Time Entry ID": entries["time_entry_id"], "Ticket ID": entries["ticket_id"],
        "Resource": entries["resource_id"].map(technician), "Date Worked": _day(entries["date_worked"]),
        "Hours Worked": entries["hours_worked"].map("{:.2f}".format),
    }), folder / "time_entries.csv"))
    picklist_rows = [("Tickets", "queueID", int(v), label) for v, label in sorted(queue_names.items())]
    picklist_rows += [("Tickets", "status", v, label) for label, v in STATUSES.items()]
    picklist_rows += [("Tickets", field, int(v), label) for field, values in labels.items()
                      for v, label in values.items()]
    picklist_rows += [("Companies", "companyType", v, label) for label, v in COMPANY_TYPES.items()]
    written.append(_write(pd.DataFrame(picklist_rows, columns=["Entity", "Field", "Value", "Label"]),
                          folder / "picklists.csv"))
    return written


def write_smileback_exports(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """reviews.csv and nps.csv in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    reviews = tables["BI_SmileBack_Reviews"]
    nps = tables["BI_SmileBack_NPS"]
    by_number = (np.arange(len(reviews)) % 7) == 3
    ticket_ref = reviews["ticket_id"].astype("Int64").astype(str).where(~by_number, reviews["ticket_number"])
    rated = _stamp(reviews["rated_at"])
    written = [_write(pd.DataFrame({
        "Review ID": reviews["review_id"], "Rating": reviews["rating"].map(RATING_WORDS),
        "Comment": reviews["comment"].fillna(""), "Ticket ID": ticket_ref,
        "Agents": reviews["technician_name"].fillna(""), "Company ID": reviews["company_id"],
        "Company": reviews["company_name"], "Contact ID": reviews["contact_id"].fillna(""),
        "Contact": reviews["contact_name"].fillna(""), "Contact Email": reviews["contact_email"].fillna(""),
        "Status": reviews["review_status"].fillna("done"), "Rated On": rated, "Last Modified": rated,
    }), folder / "reviews.csv")]
    responded = _stamp(nps["responded_at"])
    written.append(_write(pd.DataFrame({
        "Response ID": nps["nps_response_id"], "Score": nps["score"], "Comment": nps["comment"].fillna(""),
        "Company ID": nps["company_id"], "Contact Email": nps["contact_email"].fillna(""),
        "Responded On": responded, "Last Modified": responded,
    }), folder / "nps.csv"))
    return written
