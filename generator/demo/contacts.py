"""The demo's client contacts: who rated each review, and whether the MSP has handled it in SmileBack.

Each client has about one contact per ``REVIEWS_PER_CONTACT`` reviews (at least two), named deterministically from
the demo's name lists; a few contacts rate much more often than the others (weights ``1 / (k + 1) ** SKEW``), so
some are surveyed again within days (survey fatigue) and an unhappy contact often rates again within a month
(recovery). SmileBack's status of a review is ``done`` once the MSP handled it, ``open`` before: almost every
unhappy and neutral review older than ``RECENT_DAYS`` days is done, about half of the recent ones still await
follow-up, and happy reviews are marked done less often. Every draw comes from the caller's own stream, so the
rest of the dataset (and every published figure) is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from generator.demo import text
from generator.demo.plan import CLIENTS, PERIOD_END

CONTACT_ID_BASE = 4100001
REVIEWS_PER_CONTACT = 4
SKEW = 0.8
RECENT_DAYS = 14
#: chance a review is done: (happy, unhappy or neutral) × (older than RECENT_DAYS, recent)
DONE_SHARE = {(True, False): 0.6, (True, True): 0.2, (False, False): 0.97, (False, True): 0.5}
_NAME_CYCLE = len(text.FIRST_NAMES) * len(text.LAST_NAMES) // math.gcd(len(text.FIRST_NAMES), len(text.LAST_NAMES))


@dataclass(frozen=True)
class Contact:
    """One client contact as SmileBack knows it."""

    contact_id: str
    name: str
    email: str


def client_contacts(client: int, count: int) -> list[Contact]:
    """The ``count`` contacts of client ``client`` (index into CLIENTS): distinct names and e-mails, the same ones
    on every run."""
    contacts = []
    for k in range(count):
        first = text.FIRST_NAMES[(5 * k + client) % len(text.FIRST_NAMES)]
        last = text.LAST_NAMES[(k + 3 * client) % len(text.LAST_NAMES)]
        round_ = k // _NAME_CYCLE  # names repeat after the cycle (large scales): number the e-mail
        local = f"{first}.{last}{round_ + 1 if round_ else ''}"
        contacts.append(Contact(str(CONTACT_ID_BASE + 1000 * client + k), f"{first.title()} {last.title()}",
                                f"{local}@{CLIENTS[client].domain}"))
    return contacts


def assign_contacts(rng: np.random.Generator, clients: np.ndarray, ratings: np.ndarray,
                    rated_at: pd.Series) -> pd.DataFrame:
    """Per review (``clients``: client index, ``ratings``: 5 / 3 / 1, ``rated_at``), the contact who rated it
    (contact_id, contact_name, contact_email) and SmileBack's status (review_status: open or done)."""
    ids = np.empty(len(clients), dtype=object)
    names = np.empty(len(clients), dtype=object)
    emails = np.empty(len(clients), dtype=object)
    for client in range(len(CLIENTS)):
        rows = np.flatnonzero(clients == client)
        if len(rows) == 0:
            continue
        contacts = client_contacts(client, max(2, math.ceil(len(rows) / REVIEWS_PER_CONTACT)))
        weights = 1 / (np.arange(len(contacts)) + 1) ** SKEW
        picks = rng.choice(len(contacts), size=len(rows), p=weights / weights.sum())
        ids[rows] = [contacts[p].contact_id for p in picks]
        names[rows] = [contacts[p].name for p in picks]
        emails[rows] = [contacts[p].email for p in picks]
    cutoff = np.datetime64(PERIOD_END) - np.timedelta64(RECENT_DAYS - 1, "D")
    recent = rated_at.to_numpy().astype("datetime64[D]") >= cutoff
    happy = ratings == 5
    share = np.select([happy & ~recent, happy & recent, ~happy & ~recent],
                      [DONE_SHARE[True, False], DONE_SHARE[True, True], DONE_SHARE[False, False]],
                      DONE_SHARE[False, True])
    status = np.where(rng.random(len(clients)) < share, "done", "open").astype(object)
    return pd.DataFrame({"contact_id": ids, "contact_name": names, "contact_email": emails,
                         "review_status": status})
