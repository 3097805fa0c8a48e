"""What each row-level security role lets a user see, computed with pandas straight from the BI_ tables.

An implementation independent of the DAX engine and of the roles' DAX (DESIGN section 7): each role's rule is
written here in pandas, and the restriction is carried along the model's active relationships — from the one
side to the many side, as Power BI propagates security filters — by :func:`visible_tables`. A row of a
many-side table stays visible only when its key matches a visible row of every restricted table it relates
to, so rows with a missing or unmatched key disappear. The filtered tables are then handed to the ordinary
reference (:func:`generator.reference.evaluate_all`), so a user's measures are the reference computed on the
user's rows only.

The rules (the roles of ``model/security.yaml``):

* ``Client``: the companies mapped to the user (``BI_Security_ClientUsers``, user principal names compared
  without regard to case); the mapping table itself shows nothing;
* ``Technician``: the technician whose ``BI_Autotask_Resources[email]`` is the user; the mapping shows nothing;
* ``Manager``: everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from generator.reference.frames import (
    COMPANIES,
    DATES,
    NPS,
    QUEUES,
    RESOURCES,
    REVIEWS,
    SURVEYS,
    TICKETS,
    TIME_ENTRIES,
)

CLIENT_USERS = "BI_Security_ClientUsers"

# The model's active many-to-one relationships (many table, column, one table, key), as model/*.yaml declare
# them; inactive ones (time entries to technicians and to dates, ticket creation dates) carry no security.
ACTIVE_RELATIONSHIPS: tuple[tuple[str, str, str, str], ...] = (
    (TICKETS, "company_id", COMPANIES, "company_id"),
    (TICKETS, "queue_id", QUEUES, "queue_id"),
    (TICKETS, "assigned_resource_id", RESOURCES, "resource_id"),
    (TICKETS, "completed_date", DATES, "date"),
    (TIME_ENTRIES, "ticket_id", TICKETS, "ticket_id"),
    (REVIEWS, "company_id", COMPANIES, "company_id"),
    (REVIEWS, "resource_id", RESOURCES, "resource_id"),
    (REVIEWS, "queue_id", QUEUES, "queue_id"),
    (REVIEWS, "rated_date", DATES, "date"),
    (SURVEYS, "company_id", COMPANIES, "company_id"),
    (SURVEYS, "resource_id", RESOURCES, "resource_id"),
    (SURVEYS, "queue_id", QUEUES, "queue_id"),
    (SURVEYS, "survey_date", DATES, "date"),
    (NPS, "company_id", COMPANIES, "company_id"),
    (NPS, "responded_date", DATES, "date"),
)

Rule = Callable[[Mapping[str, pd.DataFrame], str], dict[str, np.ndarray]]


def _folded(values: pd.Series) -> pd.Series:
    return values.astype(object).map(lambda v: v.casefold() if isinstance(v, str) else None)


def _client(tables: Mapping[str, pd.DataFrame], user: str) -> dict[str, np.ndarray]:
    mapping = tables[CLIENT_USERS]
    mine = mapping.loc[_folded(mapping["user_principal_name"]) == user.casefold(), "company_id"]
    companies = tables[COMPANIES]["company_id"]
    return {COMPANIES: companies.isin(set(pd.to_numeric(mine).tolist())).to_numpy(),
            CLIENT_USERS: np.zeros(len(mapping), dtype=bool)}


def _technician(tables: Mapping[str, pd.DataFrame], user: str) -> dict[str, np.ndarray]:
    resources = tables[RESOURCES]
    return {RESOURCES: (_folded(resources["email"]) == user.casefold()).to_numpy(),
            CLIENT_USERS: np.zeros(len(tables[CLIENT_USERS]), dtype=bool)}


def _manager(tables: Mapping[str, pd.DataFrame], user: str) -> dict[str, np.ndarray]:
    return {}


@dataclass(frozen=True)
class RoleRule:
    """A role as the reference knows it: its own row rule, and whether what it shows depends on the user."""

    rule: Rule
    per_user: bool


ROLES: dict[str, RoleRule] = {
    "Client": RoleRule(_client, per_user=True),
    "Technician": RoleRule(_technician, per_user=True),
    "Manager": RoleRule(_manager, per_user=False),
}


def _same_key(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """True where ``values`` matches one of ``keys`` (dates by day, numbers by value; missing never matches)."""
    if pd.api.types.is_datetime64_any_dtype(keys) or pd.api.types.is_datetime64_any_dtype(values):
        left = pd.to_datetime(values, errors="coerce").dt.normalize()
        right = set(pd.to_datetime(keys, errors="coerce").dt.normalize().dropna())
    else:
        left = pd.to_numeric(values, errors="coerce")
        right = set(pd.to_numeric(keys, errors="coerce").dropna())
    return (left.isin(right) & left.notna()).to_numpy()


def visible_rows(tables: Mapping[str, pd.DataFrame], role: str, user: str) -> dict[str, np.ndarray]:
    """For each table a boolean mask of the rows ``role`` lets ``user`` see (every table of ``tables``)."""
    if role not in ROLES:
        raise ValueError(f"the reference has no rule for role {role!r}; it knows {', '.join(ROLES)}")
    masks = {name: np.ones(len(frame), dtype=bool) for name, frame in tables.items()}
    restricted = set()
    for name, mask in ROLES[role].rule(tables, user).items():
        masks[name] = masks[name] & mask
        restricted.add(name)
    changed = True
    while changed:  # the relationships form no cycle, so this settles after as many rounds as the longest chain
        changed = False
        for many, column, one, key in ACTIVE_RELATIONSHIPS:
            if one not in restricted or many not in tables or one not in tables:
                continue
            allowed = tables[one].loc[masks[one], key]
            keep = masks[many] & _same_key(tables[many][column], allowed)
            if many not in restricted or not np.array_equal(keep, masks[many]):
                masks[many] = keep
                restricted.add(many)
                changed = True
    return masks


def visible_tables(tables: Mapping[str, pd.DataFrame], role: str, user: str) -> dict[str, pd.DataFrame]:
    """``tables`` with only the rows ``role`` lets ``user`` see."""
    masks = visible_rows(tables, role, user)
    return {name: frame.loc[masks[name]].reset_index(drop=True) for name, frame in tables.items()}


def role_users(tables: Mapping[str, pd.DataFrame], role: str) -> list[str]:
    """The users the data gives ``role``: client users of the mapping (most companies first, then by name),
    technicians' e-mails (by name), or none for a role that does not depend on the user."""
    if role == "Client":
        mapping = tables[CLIENT_USERS]
        counts = mapping.groupby(mapping["user_principal_name"].astype(str))["company_id"].nunique()
        return sorted(counts.index, key=lambda upn: (-int(counts[upn]), upn))
    if role == "Technician":
        emails = tables[RESOURCES]["email"].dropna().astype(str)
        return sorted({e for e in emails if e.strip()})
    return []


def unknown_company_mappings(tables: Mapping[str, pd.DataFrame] | Any) -> list[tuple[str, int]]:
    """Rows of ``BI_Security_ClientUsers`` naming a company that ``BI_Autotask_Companies`` does not have, as
    ``(user_principal_name, company_id)`` sorted: such a mapping shows its user nothing of that company.

    ``tables``: the two tables as DataFrames, or a target :class:`~generator.targets.database.Database` (inside
    a load's transaction, for example) to read them from with its ``read_table`` (the reference imports no
    target code, so any object with that method will do).
    """
    if not isinstance(tables, Mapping) and hasattr(tables, "read_table"):
        tables = {CLIENT_USERS: tables.read_table(CLIENT_USERS, ["user_principal_name", "company_id"]),
                  COMPANIES: tables.read_table(COMPANIES, ["company_id"])}
    mapping = tables[CLIENT_USERS]
    known = set(pd.to_numeric(tables[COMPANIES]["company_id"], errors="coerce").dropna().astype("int64"))
    ids = pd.to_numeric(mapping["company_id"], errors="coerce")
    unknown = mapping.loc[ids.notna() & ~ids.isin(known)]
    return sorted((str(upn), int(cid)) for upn, cid in zip(unknown["user_principal_name"],
                                                          pd.to_numeric(unknown["company_id"]), strict=True))
