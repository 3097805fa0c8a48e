"""The measures from the CSAT guides (measures/05-guides.yaml) on the demo: the generated DAX on the engine and
the hand-written reference (generator/reference/guides.py), each against its own SQL written here from the
measure's one-line definition, per client."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from random_data import CompanyPlan, Plan, build_tables
from test_engine_properties import _assert_agree, _ticket, _validate

from generator.engine.run import Engine
from generator.engine.sources import load_engine_model
from generator.reference import evaluate
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir
from generator.targets.duckdb_db import DuckDBDatabase
from generator.targets.frames import read_semantic_tables

# Per company: the review's delay from its ticket's completion, in hours (tickets are found by id among all).
DELAYS = """
    SELECT r.company_id, (epoch(r.rated_at) - epoch(t.completed_at)) / 3600 AS hours
    FROM BI_SmileBack_Reviews AS r JOIN BI_Autotask_Tickets AS t USING (ticket_id)
    WHERE t.completed_at IS NOT NULL
"""
# Per company: unhappy reviews, and those followed by a happy review of the same company within 30 days; the
# same for unhappy reviews with a contact, followed by a happy review of the same contact (e-mail, any case).
RECOVERY = """
    SELECT u.company_id, COUNT(*) AS unhappy,
           COUNT(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM BI_SmileBack_Reviews AS h
               WHERE h.company_id = u.company_id AND h.rating = 5
                 AND h.rated_at > u.rated_at AND h.rated_at <= u.rated_at + INTERVAL 30 DAY)) AS recovered,
           COUNT(*) FILTER (WHERE u.contact_email IS NOT NULL) AS contact_unhappy,
           COUNT(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM BI_SmileBack_Reviews AS h
               WHERE lower(h.contact_email) = lower(u.contact_email) AND h.rating = 5
                 AND h.rated_at > u.rated_at AND h.rated_at <= u.rated_at + INTERVAL 30 DAY)) AS contact_recovered
    FROM BI_SmileBack_Reviews AS u WHERE u.rating = 1 GROUP BY u.company_id
"""
# Per company: reviews with a contact, those rated at most 72 hours after an earlier rating of the same contact,
# and the unhappy and neutral reviews whose SmileBack status is open.
FATIGUE = """
    SELECT r.company_id, COUNT(*) FILTER (WHERE r.contact_email IS NOT NULL) AS with_contact,
           COUNT(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM BI_SmileBack_Reviews AS e
               WHERE lower(e.contact_email) = lower(r.contact_email)
                 AND e.rated_at < r.rated_at AND e.rated_at >= r.rated_at - INTERVAL 72 HOUR)) AS repeated,
           COUNT(*) FILTER (WHERE r.rating <> 5 AND r.review_status = 'open') AS awaiting
    FROM BI_SmileBack_Reviews AS r GROUP BY r.company_id
"""
# Per company: Happy % of the reviews in the 90 days before churn, and of the reviews of retained companies.
CHURN = """
    SELECT r.company_id,
           AVG(CASE WHEN r.rating = 5 THEN 1.0 ELSE 0.0 END) FILTER (
               WHERE c.churned_on IS NOT NULL AND r.rated_date >= c.churned_on - 90 AND r.rated_date < c.churned_on
           ) AS churned,
           AVG(CASE WHEN r.rating = 5 THEN 1.0 ELSE 0.0 END) FILTER (WHERE c.churned_on IS NULL) AS retained
    FROM BI_SmileBack_Reviews AS r JOIN BI_Autotask_Companies AS c USING (company_id) GROUP BY r.company_id
"""

MEASURES = ("CSAT - Median Hours to Rating", "CSAT - Rated Within 24h %", "CSAT - Client Recovery Rate %",
            "CSAT - Happy % Churned Clients", "CSAT - Happy % Retained Clients",
            "CSAT - Happy % Churned vs Retained", "CSAT - Company Recovery Rate %", "CSAT - Survey Fatigue %",
            "CSAT - Reviews Awaiting Follow-up")


def _blank_or(value: object) -> float | None:
    """``value`` as a float, None for SQL NULL / NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


@pytest.fixture(scope="module")
def connection(demo_db: str) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(demo_db, read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def expected(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[int, float | None]]:
    """Each new measure per company_id, computed by the SQL above (None where the measure is BLANK)."""
    delays = connection.sql(DELAYS).df()
    grouped = delays.groupby("company_id")["hours"]
    recovery = connection.sql(RECOVERY).df().set_index("company_id")
    churn = connection.sql(CHURN).df().set_index("company_id")
    fatigue = connection.sql(FATIGUE).df().set_index("company_id")
    companies = [int(c) for c in connection.sql("SELECT company_id FROM BI_Autotask_Companies").df()["company_id"]]
    result: dict[str, dict[int, float | None]] = {name: {} for name in MEASURES}
    for company in companies:
        hours = grouped.get_group(company) if company in grouped.groups else pd.Series(dtype="float64")
        result[MEASURES[0]][company] = _blank_or(hours.median()) if len(hours) else None
        result[MEASURES[1]][company] = float((hours <= 24).mean()) if len(hours) else None
        result[MEASURES[2]][company] = (
            float(recovery.at[company, "contact_recovered"] / recovery.at[company, "contact_unhappy"])
            if company in recovery.index and recovery.at[company, "contact_unhappy"] else None)
        result[MEASURES[6]][company] = (float(recovery.at[company, "recovered"] / recovery.at[company, "unhappy"])
                                        if company in recovery.index else None)
        counted = company in fatigue.index and fatigue.at[company, "with_contact"]
        result[MEASURES[7]][company] = (float(fatigue.at[company, "repeated"] / fatigue.at[company, "with_contact"])
                                        if counted else None)
        awaiting = int(fatigue.at[company, "awaiting"]) if company in fatigue.index else 0
        result[MEASURES[8]][company] = float(awaiting) if awaiting else None
        churned = _blank_or(churn.at[company, "churned"]) if company in churn.index else None
        retained = _blank_or(churn.at[company, "retained"]) if company in churn.index else None
        result[MEASURES[3]][company] = churned
        result[MEASURES[4]][company] = retained
        result[MEASURES[5]][company] = (churned - retained) * 100 if None not in (churned, retained) else None
    return result


@pytest.fixture(scope="module")
def engine_by_client(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[int, float | None]]:
    """Each new measure per company_id from the generated DAX on the engine."""
    engine = Engine(load_engine_model(None), connection)
    columns = ", ".join(f'"{i}", [{name}]' for i, name in enumerate(MEASURES))
    rows = engine.query(f"EVALUATE SUMMARIZECOLUMNS ( BI_Autotask_Companies[company_id], {columns} )")[0].records()
    return {name: {int(row["BI_Autotask_Companies[company_id]"]): _blank_or(row[f"[{i}]"]) for row in rows}
            for i, name in enumerate(MEASURES)}


@pytest.fixture(scope="module")
def tables(connection: duckdb.DuckDBPyConnection, demo_db: str) -> dict[str, pd.DataFrame]:
    return read_semantic_tables(DuckDBDatabase(connection, Path(demo_db)), load_model(default_spec_dir()))


def _close(got: float | None, want: float | None) -> bool:
    return (got is None and want is None) or (
        got is not None and want is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12))


@pytest.mark.parametrize("measure", MEASURES)
def test_engine_matches_sql_per_client(measure: str, expected, engine_by_client) -> None:
    want = expected[measure]
    got = engine_by_client[measure]
    # SUMMARIZECOLUMNS drops clients where every measure is BLANK (Ironclad MSP has no reviews)
    assert {c: v for c, v in want.items() if c not in got} == {c: None for c in want if c not in got}
    wrong = {c: (got[c], want[c]) for c in got if not _close(got[c], want[c])}
    assert wrong == {}


@pytest.mark.parametrize("measure", MEASURES)
def test_reference_matches_sql_per_client(measure: str, expected, tables) -> None:
    values = evaluate(measure, tables, "client")
    got = {int(company): _blank_or(value) for company, value in values.items()}
    wrong = {c: (got.get(c), want) for c, want in expected[measure].items() if not _close(got.get(c), want)}
    assert wrong == {}


def test_the_demo_figures_the_measures_report(expected) -> None:
    """What the demo says, so a change to the data or the definitions shows: two churned clients (Lakeside
    Veterinary, Oakridge Insurance), reviews rated within a day of completion for most tickets."""
    churned = {c for c, v in expected["CSAT - Happy % Churned Clients"].items() if v is not None}
    assert churned == {1009, 1012}
    assert all(v is None for c, v in expected["CSAT - Happy % Retained Clients"].items() if c in churned)
    medians = [v for v in expected["CSAT - Median Hours to Rating"].values() if v is not None]
    assert medians and all(0 < v < 72 for v in medians)


def test_the_demo_contacts_fatigue_recovery_and_follow_ups(connection, demo_db: str) -> None:
    """The demo's contacts make the per-contact measures meaningful: a few hundred contacts, some surveyed again
    within 72 hours, unhappy contacts often (not always) happy again within 30 days, fewer than at company level,
    and unhappy or neutral reviews awaiting follow-up, mostly recent. The engine's portfolio totals equal SQL's."""
    contacts = connection.sql("SELECT COUNT(DISTINCT lower(contact_email)), COUNT(*) FILTER (WHERE contact_email "
                              "IS NULL) FROM BI_SmileBack_Reviews").fetchall()[0]
    fatigue = connection.sql(f"SELECT SUM(repeated), SUM(with_contact), SUM(awaiting) FROM ({FATIGUE})").fetchall()[0]
    recovery = connection.sql(f"SELECT SUM(contact_recovered), SUM(contact_unhappy), SUM(recovered), SUM(unhappy) "
                              f"FROM ({RECOVERY})").fetchall()[0]
    recent = connection.sql("SELECT COUNT(*) FILTER (WHERE rated_date >= DATE '2026-04-17'), COUNT(*) "
                            "FROM BI_SmileBack_Reviews WHERE rating <> 5 AND review_status = 'open'").fetchall()[0]
    assert contacts[0] > 300 and contacts[1] == 0
    assert 0.05 < fatigue[0] / fatigue[1] < 0.3
    assert 0.3 < recovery[0] / recovery[1] < recovery[2] / recovery[3] < 1
    assert fatigue[2] == recent[1] > 0 and recent[0] > recent[1] / 2  # most awaiting ones are of the last 14 days
    engine = Engine(load_engine_model(None), connection)
    row = engine.query('EVALUATE ROW ( "f", [CSAT - Survey Fatigue %], "r", [CSAT - Client Recovery Rate %], '
                       '"c", [CSAT - Company Recovery Rate %], "a", [CSAT - Reviews Awaiting Follow-up] )')[0]
    got = row.records()[0]
    assert got["[f]"] == pytest.approx(fatigue[0] / fatigue[1])
    assert got["[r]"] == pytest.approx(recovery[0] / recovery[1])
    assert got["[c]"] == pytest.approx(recovery[2] / recovery[3])
    assert got["[a]"] == fatigue[2]


def test_validate_covers_the_guides_measures(cli, demo_db: str) -> None:
    measures = [arg for name in MEASURES for arg in ("--measure", name)]
    result = cli("validate", "--db", demo_db, "--slice", "total", "--slice", "client", "--slice", "month",
                 *measures)
    assert result.code == 0, result.out + result.err
    assert f"{len(MEASURES)} measures x 3 slices" in result.out and ": 0 mismatches" in result.out
    assert "unverified" not in result.out


# Jan-Mar 2026, one technician. Client 0: contact 0 unhappy on day 1.5; contact 1 happy 29.5 days later (rated on
# 1 Feb, 36 h after its ticket closed on 30 Jan: the company recovers, the contact does not); contact 0 happy on
# day 35.5 (too late), unhappy on day 40.5 and happy again 31 days later (too late).
# Client 1 churns on day 80: happy on day 5.5, unhappy on day 79, happy on the churn day itself (outside the 90
# days before churn, yet it recovers the unhappy one), all by contact 0 (day 80 is within 72 h of day 79).
# Client 2: contact 0 happy on day 45 and neutral exactly 72 hours later (fatigued: the window includes its end),
# then a happy review without a contact. SmileBack status: the first unhappy review done, the second and the
# neutral one open (awaiting follow-up), client 1's unhappy one without a status (not counted).
_HOUR = 60
EDGES = Plan(
    months=3,
    companies=(CompanyPlan(), CompanyPlan(churned=80), CompanyPlan()),
    tickets=(
        _ticket(0, 1, 0.5, 1, contact=0, handled=True), _ticket(0, 29, 0.5, 5, rated_after=36 * _HOUR, contact=1),
        _ticket(0, 35, 0.5, 5, contact=0), _ticket(0, 40, 0.5, 1, contact=0, handled=False),
        _ticket(0, 71, 0.5, 5, contact=0),
        _ticket(1, 5, 0.5, 5, contact=0), _ticket(1, 78.5, 0.5, 1, contact=0), _ticket(1, 79.5, 0.5, 5, contact=0),
        _ticket(2, 44.5, 0.5, 5, contact=0), _ticket(2, 47.5, 0.5, 3, contact=0, handled=False),
        _ticket(2, 60, 0.5, 5),
    ),
)


def test_the_windows_on_hand_written_data() -> None:
    """Recovery within 30 days by the same contact or company, survey fatigue within 72 hours (the end included),
    awaiting follow-up by SmileBack's status, the 90 days before churn (the churn day excluded), a review in
    another month than its ticket's completion: the reference's values, and the engine equal to it everywhere."""
    tables = build_tables(EDGES)
    total = {name: _blank_or(evaluate(name, tables, "total").iloc[0]) for name in MEASURES}
    assert total["CSAT - Client Recovery Rate %"] == pytest.approx(1 / 3)
    assert total["CSAT - Company Recovery Rate %"] == pytest.approx(2 / 3)
    assert total["CSAT - Survey Fatigue %"] == pytest.approx(2 / 10)
    assert total["CSAT - Reviews Awaiting Follow-up"] == 2
    assert total["CSAT - Happy % Churned Clients"] == pytest.approx(1 / 2)
    assert total["CSAT - Happy % Retained Clients"] == pytest.approx(5 / 8)
    assert total["CSAT - Happy % Churned vs Retained"] == pytest.approx((1 / 2 - 5 / 8) * 100)
    assert total["CSAT - Rated Within 24h %"] == pytest.approx(10 / 11)
    assert total["CSAT - Median Hours to Rating"] == 0
    # February's four reviews, one of them 36 h after its ticket closed in January
    by_month = evaluate("CSAT - Rated Within 24h %", tables, "month")
    assert by_month[pd.Timestamp(2026, 2, 1)] == pytest.approx(4 / 5)
    _assert_agree(_validate(EDGES, (MEASURES, ("total", "client", "month"))))
