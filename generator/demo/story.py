"""The drill-downs of the reference report, told by the demo (DESIGN section 9).

Vanguard Tech's unhappy ratings concentrate on network issues and reopened tickets; Pinnacle Tech's on
escalations (the "Escalations (Tier 2)" queue) where first-contact resolution was not achieved. Only attributes
that no published figure depends on are changed: queues are swapped between unhappy reviews of other clients
(so every queue keeps its counts per rating), and the issue type, reopened and FCR flags of the unhappy
reviews' tickets are set. Draws come from the caller's own stream, so the rest of the dataset is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.demo import text
from generator.demo.plan import CLIENTS, QUEUES

VANGUARD = next(i for i, c in enumerate(CLIENTS) if c.name == "Vanguard Tech")
PINNACLE = next(i for i, c in enumerate(CLIENTS) if c.name == "Pinnacle Tech")
ESCALATIONS = next(i for i, q in enumerate(QUEUES) if q[0] == "Escalations (Tier 2)")
UNHAPPY = 1
#: share of Pinnacle Tech's unhappy reviews on escalations; of Vanguard Tech's on network issues / reopened
PINNACLE_ESCALATED = 0.55
VANGUARD_NETWORK = 0.6
VANGUARD_REOPENED = 0.5


def escalate_pinnacle(reviews: pd.DataFrame) -> pd.DataFrame:
    """Swap queues between unhappy reviews so that Pinnacle Tech's sit on escalations (every queue keeps its
    number of reviews per rating); deterministic, no draws."""
    unhappy = reviews["rating"].to_numpy() == UNHAPPY
    client = reviews["client"].to_numpy()
    queue = reviews["queue"].to_numpy().copy()
    mine = np.flatnonzero(unhappy & (client == PINNACLE))
    wanted = round(PINNACLE_ESCALATED * len(mine)) - int((queue[mine] == ESCALATIONS).sum())
    takers = [i for i in mine if queue[i] != ESCALATIONS][:max(wanted, 0)]
    givers = np.flatnonzero(unhappy & ~np.isin(client, [PINNACLE, VANGUARD]) & (queue == ESCALATIONS))
    for taker, giver in zip(takers, givers, strict=False):
        queue[taker], queue[giver] = queue[giver], queue[taker]
    return reviews.assign(queue=queue)


def tell_ticket_stories(rng: np.random.Generator, tickets: pd.DataFrame, ratings: np.ndarray) -> pd.DataFrame:
    """Network issues and reopened tickets behind Vanguard Tech's unhappy ratings; no first-contact resolution
    on Pinnacle Tech's unhappy escalations. ``ratings`` are the reviews' ratings (``tickets["review_row"]``)."""
    reviewed = tickets["review_row"].to_numpy() >= 0
    rating = np.where(reviewed, ratings[np.maximum(tickets["review_row"].to_numpy(), 0)], 0)
    client = tickets["client"].to_numpy()
    vanguard = np.flatnonzero((rating == UNHAPPY) & (client == VANGUARD))
    network = vanguard[rng.random(len(vanguard)) < VANGUARD_NETWORK]
    reopened = vanguard[rng.random(len(vanguard)) < VANGUARD_REOPENED]
    tickets = tickets.copy()
    issue = tickets["issue_type"].to_numpy().copy()
    issue[network] = "Network"
    tickets["issue_type"] = issue
    picks = rng.integers(0, 1000, len(network))
    titles = tickets["title"].to_numpy().copy()
    titles[network] = [text.ISSUE_TITLES["Network"][p % len(text.ISSUE_TITLES["Network"])] for p in picks]
    tickets["title"] = titles
    tickets.loc[reopened, "reopened"] = True
    escalated = (rating == UNHAPPY) & (client == PINNACLE) & (tickets["queue"].to_numpy() == ESCALATIONS)
    tickets.loc[escalated, "first_contact_resolution"] = False
    return tickets
