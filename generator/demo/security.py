"""The demo's row-level security mapping: client users (``BI_Security_ClientUsers``) per client company.

Deterministic and independent of the random seed and the scale, so it never changes the demo's figures: each
client gets two or three users named ``<first name>@<client domain>`` (first names from the demo's list, in a
fixed rotation), and one user of Pinnacle Tech (``ops@pinnacletech.example``) also sees Vanguard Tech, the way
an IT manager of a group of companies would. Technicians need no mapping: the Technician role matches their
``BI_Autotask_Resources[email]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from generator.demo.plan import ClientPlan
from generator.demo.text import FIRST_NAMES

# (user name at the first client's domain, name of another client the user may also see)
SHARED_USERS: tuple[tuple[str, str, str], ...] = (("ops", "Pinnacle Tech", "Vanguard Tech"),)


def client_users(clients: Sequence[ClientPlan], company_ids: Sequence[int]) -> pd.DataFrame:
    """The BI_Security_ClientUsers rows (user_principal_name, company_id), sorted by user then company."""
    rows: list[tuple[str, int]] = []
    for index, (client, company_id) in enumerate(zip(clients, company_ids, strict=True)):
        for k in range(2 + index % 2):
            first = FIRST_NAMES[(index * 3 + k) % len(FIRST_NAMES)]
            rows.append((f"{first}@{client.domain}", int(company_id)))
    by_name = {client.name: (client, int(company_id)) for client, company_id in zip(clients, company_ids,
                                                                                   strict=True)}
    for user, home, other in SHARED_USERS:
        if home in by_name and other in by_name:
            upn = f"{user}@{by_name[home][0].domain}"
            rows += [(upn, by_name[home][1]), (upn, by_name[other][1])]
    frame = pd.DataFrame(sorted(set(rows)), columns=["user_principal_name", "company_id"])
    return frame.astype({"company_id": "int64"})
