"""The published figures the demo dataset must reproduce, as data (DESIGN section 9).

Every count here is at scale 1; ``--scale N`` multiplies each of them by N, so every share stays exact.
Review counts are (happy, neutral, unhappy). The three marginals — by client, by month and by
technician — each add up to the portfolio totals 2,721 / 178 / 125; the builder pairs them at random
within each rating bucket, so all three hold at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PERIOD_START = date(2025, 11, 1)
PERIOD_END = date(2026, 4, 30)
MONTHS = (date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1),
          date(2026, 4, 1))
CALENDAR_START = date(2025, 1, 1)
CALENDAR_END = date(2026, 12, 31)
DEFAULT_SEED = 20260430


@dataclass(frozen=True)
class ClientPlan:
    """One client company: its review counts, closed tickets and when it was a client."""

    name: str
    domain: str
    happy: int
    neutral: int
    unhappy: int
    closed_tickets: int
    client_since: date = date(2019, 6, 1)
    churned_on: date | None = None

    @property
    def reviews(self) -> int:
        return self.happy + self.neutral + self.unhappy


@dataclass(frozen=True)
class TechnicianPlan:
    """One technician: review counts and the average time-entry hours per closed ticket."""

    name: str
    happy: int
    neutral: int
    unhappy: int
    hours_per_ticket: float

    @property
    def reviews(self) -> int:
        return self.happy + self.neutral + self.unhappy


CLIENTS: tuple[ClientPlan, ...] = (
    ClientPlan("Summit Dental Group", "summitdental.example", 230, 7, 3, 640, date(2018, 3, 1)),
    ClientPlan("Brightline Logistics", "brightline.example", 265, 11, 4, 760, date(2017, 9, 1)),
    ClientPlan("Cedar Valley Schools", "cedarvalley.example", 187, 9, 4, 560, date(2020, 1, 6)),
    ClientPlan("Harbor & Finch Legal", "harborfinch.example", 232, 12, 6, 690, date(2016, 5, 2)),
    ClientPlan("Meridian Health Partners", "meridianhealth.example", 267, 15, 8, 800, date(2019, 11, 4)),
    ClientPlan("Evergreen Realty", "evergreenrealty.example", 174, 11, 5, 520, date(2021, 2, 1)),
    ClientPlan("BlueRiver Accounting", "blueriver.example", 210, 14, 6, 640, date(2018, 8, 1)),
    ClientPlan("Redwood Manufacturing", "redwoodmfg.example", 236, 16, 8, 720, date(2015, 4, 1)),
    ClientPlan("Lakeside Veterinary", "lakesidevet.example", 136, 9, 5, 420, date(2020, 6, 1),
               churned_on=date(2026, 2, 20)),
    ClientPlan("Northwind Traders", "northwind.example", 198, 15, 7, 610, date(2017, 1, 9)),
    ClientPlan("Granite Peak Construction", "granitepeak.example", 176, 16, 8, 560, date(2019, 3, 4)),
    ClientPlan("Oakridge Insurance", "oakridgeins.example", 158, 15, 7, 480, date(2018, 10, 1),
               churned_on=date(2026, 3, 27)),
    ClientPlan("Pinnacle Tech", "pinnacletech.example", 169, 18, 28, 600, date(2021, 7, 1)),
    ClientPlan("Vanguard Tech", "vanguardtech.example", 75, 9, 26, 320, date(2022, 4, 4)),
    ClientPlan("Atlas Corp", "atlascorp.example", 5, 1, 0, 42, date(2023, 2, 1)),
    ClientPlan("NovaBridge IT", "novabridge.example", 3, 0, 0, 28, date(2026, 1, 12)),
    ClientPlan("Ironclad MSP", "ironcladmsp.example", 0, 0, 0, 18, date(2024, 9, 2)),
)

# (happy, neutral, unhappy) per month of MONTHS: Happy % 86.3 → 91.2, Unhappy % 5.8 → 3.6. November's
# 315 / 365 (86.30 %) against April's 583 / 639 (91.24 %) is a gain of 4.94 points, so the gain the report
# computes reads 4.9, as the two figures shown do.
# The reference's "most of the improvement came in March and April" is not told for the Unhappy line: with
# Unhappy % 4.1 over the period, 5.8 in November and 3.6 in April, falling every month, it needs February
# at 4.75 % or more, so March and April would have to hold about 60 % of the six months' responses.
MONTH_COUNTS: tuple[tuple[int, int, int], ...] = (
    (315, 29, 21),
    (423, 35, 21),
    (452, 28, 20),
    (464, 26, 20),
    (484, 27, 20),
    (583, 33, 23),
)

# Lisa Park ranks second-to-last on Happy % (82.4 %), above Daniel Okafor (81.9 %), as in the reference.
TECHNICIANS: tuple[TechnicianPlan, ...] = (
    TechnicianPlan("Sarah Mitchell", 402, 12, 6, 4.2),
    TechnicianPlan("James Carter", 349, 18, 13, 3.1),
    TechnicianPlan("Priya Shah", 330, 18, 12, 3.4),
    TechnicianPlan("Marcus Reed", 304, 22, 14, 3.8),
    TechnicianPlan("Emily Nguyen", 303, 16, 11, 2.9),
    TechnicianPlan("Daniel Okafor", 262, 32, 26, 3.6),
    TechnicianPlan("Tom Becker", 299, 15, 10, 2.7),
    TechnicianPlan("Olivia Brooks", 266, 21, 13, 3.3),
    TechnicianPlan("Lisa Park", 206, 24, 20, 2.4),
)

# Queue name, share of tickets, and the relative chance of a happy / neutral / unhappy review landing there.
QUEUES: tuple[tuple[str, float, tuple[float, float, float]], ...] = (
    ("Service Desk", 0.52, (1.0, 0.9, 0.8)),
    ("Escalations (Tier 2)", 0.12, (0.9, 1.3, 1.8)),
    ("Network Operations", 0.11, (1.0, 1.0, 1.1)),
    ("Security", 0.08, (1.0, 1.1, 1.0)),
    ("Projects", 0.09, (1.05, 0.8, 0.6)),
    ("Onboarding", 0.08, (1.1, 0.9, 0.5)),
)

TOTALS = (2721, 178, 125)


def check_plan() -> None:
    """Assert that the three marginals agree with the portfolio totals (run by the tests and the builder)."""
    by_client = tuple(sum(getattr(c, k) for c in CLIENTS) for k in ("happy", "neutral", "unhappy"))
    by_month = tuple(sum(m[i] for m in MONTH_COUNTS) for i in range(3))
    by_technician = tuple(sum(getattr(t, k) for t in TECHNICIANS) for k in ("happy", "neutral", "unhappy"))
    if not by_client == by_month == by_technician == TOTALS:
        raise AssertionError(f"demo plan marginals disagree: clients {by_client}, months {by_month}, "
                             f"technicians {by_technician}, totals {TOTALS}")
