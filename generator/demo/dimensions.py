"""The demo's ticket-attribute dimensions shared by tickets and reviews (issue type, sub-issue type, priority,
source, resolution traits) and the keys the facts carry into them.

The resolution key follows sql/transform/BI_Autotask_Tickets.sql: 100 x first-contact resolution + 10 x
reopened + SLA met, each coded 1 yes, 0 no, 2 unknown; BI_Autotask_Resolutions.sql lists its rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.demo import text

FCR_LABELS = {1: "Yes", 0: "No", 2: "Unknown"}
REOPEN_LABELS = {1: "Reopened", 0: "Not reopened"}
SLA_LABELS = {1: "Met", 0: "Missed", 2: "No SLA"}


def _code(values: pd.Series) -> np.ndarray:
    """1 for true, 0 for false, 2 for unknown."""
    flags = values.astype("boolean")
    return np.where(flags.isna(), 2, flags.fillna(False).astype(bool).astype("int64"))


def resolution_keys(fcr: pd.Series, reopened: pd.Series, sla_met: pd.Series) -> np.ndarray:
    """The BI_Autotask_Resolutions key of each ticket."""
    return 100 * _code(fcr) + 10 * _code(reopened) + _code(sla_met)


def resolutions() -> pd.DataFrame:
    """Every row of BI_Autotask_Resolutions."""
    rows = [(100 * f + 10 * r + s, fl, rl, sl) for f, fl in FCR_LABELS.items() for r, rl in REOPEN_LABELS.items()
            for s, sl in SLA_LABELS.items()]
    return pd.DataFrame(rows, columns=["resolution_key", "first_contact", "reopen_status", "sla_status"])


def attribute_dimensions() -> dict[str, pd.DataFrame]:
    """The demo's picklist dimensions and the resolution dimension, by BI_ table name."""
    return {
        "BI_Autotask_IssueTypes": pd.DataFrame({"issue_type_id": list(text.ISSUE_TYPE_IDS.values()),
                                                "issue_type_name": list(text.ISSUE_TYPE_IDS)}),
        "BI_Autotask_SubIssueTypes": pd.DataFrame({
            "sub_issue_type_id": list(text.SUB_ISSUE_TYPE_IDS.values()),
            "sub_issue_type_name": [sub for _issue, sub in text.SUB_ISSUE_TYPE_IDS]}),
        "BI_Autotask_Priorities": pd.DataFrame({"priority_id": list(text.PRIORITY_IDS.values()),
                                                "priority_name": list(text.PRIORITY_IDS)}),
        "BI_Autotask_Sources": pd.DataFrame({"source_id": list(text.SOURCE_IDS.values()),
                                             "source_name": list(text.SOURCE_IDS)}),
        "BI_Autotask_Resolutions": resolutions(),
    }


def draw_channels(rng: np.random.Generator, issue_types: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A sub-issue type id (within the ticket's issue type) and a source id for each ticket."""
    n = len(issue_types)
    picks = rng.integers(0, 1000, n)
    subs = text.SUB_ISSUE_TYPES
    sub_ids = np.array([text.SUB_ISSUE_TYPE_IDS[(issue, subs[issue][p % len(subs[issue])])]
                        for issue, p in zip(issue_types, picks, strict=True)], dtype="int64")
    sources = rng.choice(list(text.SOURCE_SHARES), size=n, p=list(text.SOURCE_SHARES.values()))
    source_ids = np.array([text.SOURCE_IDS[s] for s in sources], dtype="int64")
    return sub_ids, source_ids
