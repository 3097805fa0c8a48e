"""Offline proof of the report: for every visual of ``report/*.yaml`` the DAX query Power BI would send for it
(SUMMARIZECOLUMNS over its fields, with its filters and sort) runs on the engine over the demo data, and the
headline cards and tables show the reference report's figures.

All queries run once, in one engine session, for the whole module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from generator.engine.run import Engine
from generator.engine.sources import load_engine_model
from generator.powerbi.visual_query import visual_query
from generator.spec.loader import load_model

ROOT = Path(__file__).resolve().parent.parent
DRILL_CLIENT = "Pinnacle Tech"

# One build (one engine session) per module: its tests stay on one xdist worker.


@pytest.fixture(scope="module")
def results(demo_db: str) -> Iterator[dict[str, list[dict]]]:
    """Every visual's rows, by ``page/visual``; the drill-through page as reached from Pinnacle Tech."""
    report = load_model(ROOT).report
    connection = duckdb.connect(demo_db, read_only=True)
    engine = Engine(load_engine_model(None), connection)
    found = {}
    for page in report.pages:
        drill = {field: DRILL_CLIENT for field in page.drillthrough}
        for visual in page.visuals:
            [result] = engine.query(visual_query(page, visual, drill))
            found[f"{page.name}/{visual.name}"] = result.records()
    connection.close()
    yield found


def pct(value: float) -> float:
    return round(value * 100, 1)


def test_every_visual_query_runs_and_returns_rows(results: dict[str, list[dict]]) -> None:
    report = load_model(ROOT).report
    assert len(results) == sum(len(page.visuals) for page in report.pages) == 40
    assert {name: rows for name, rows in results.items() if not rows} == {}
    for page in report.pages:
        for visual in page.visuals:
            rows = results[f"{page.name}/{visual.name}"]
            if visual.kind in ("card", "multi_row_card"):
                assert len(rows) == 1, visual.name
            for field in visual.all_fields:  # every field is a column of the result
                key = f"[{field.name}]" if field.is_measure else f"{field.table}[{field.name}]"
                assert key in rows[0], (visual.name, key)


def test_headline_cards_show_the_reference_figures(results: dict[str, list[dict]]) -> None:
    assert results["headline/responses"] == [{"[CSAT - Total Ratings]": 3024}]
    assert pct(results["headline/happy"][0]["[CSAT - Happy %]"]) == 90.0
    assert round(results["headline/average"][0]["[CSAT - Average Rating]"], 3) == 4.717
    shares = results["headline/shares"][0]
    assert (pct(shares["[CSAT - Neutral %]"]), pct(shares["[CSAT - Unhappy %]"])) == (5.9, 4.1)
    distribution = {row["BI_SmileBack_Reviews[rating_label]"]: row["[CSAT - Total Ratings]"]
                    for row in results["headline/distribution"]}
    assert distribution == {"Happy": 2721, "Neutral": 178, "Unhappy": 125}
    [benchmarks] = results["headline/benchmarks"]  # one bar, drawn against the 85/90/92 % reference lines
    assert pct(benchmarks["[CSAT - Happy %]"]) == 90.0


def test_clients_are_ranked_weakest_first_without_the_low_confidence_ones(results: dict[str, list[dict]]) -> None:
    ranked = [(row["BI_Autotask_Companies[company_name]"], pct(row["[CSAT - Happy %]"]))
              for row in results["clients/ranked"]]
    assert ranked[:2] == [("Vanguard Tech", 68.2), ("Pinnacle Tech", 78.6)]
    names = {name for name, _ in ranked}
    assert not names & {"Atlas Corp", "NovaBridge IT", "Ironclad MSP"}
    assert [row["BI_Autotask_Companies[company_name]"] for row in results["clients/gap"]][:2] == \
        ["Vanguard Tech", "Pinnacle Tech"]


def test_low_confidence_clients_show_tickets_responses_and_rate(results: dict[str, list[dict]]) -> None:
    rows = {row["BI_Autotask_Companies[company_name]"]: row for row in results["low_confidence/low_confidence_table"]}
    assert set(rows) == {"Atlas Corp", "NovaBridge IT", "Ironclad MSP"}
    atlas = rows["Atlas Corp"]
    assert (atlas["[Tickets - Closed]"], atlas["[SB - Survey Responses]"],
            pct(atlas["[SB - Survey Response Rate %]"])) == (42, 6, 14.3)


def test_the_monthly_trend_rises_and_the_drill_through_page_shows_one_client(results: dict[str, list[dict]]) -> None:
    happy = [pct(row["[CSAT - Happy %]"]) for row in results["trend/happy_unhappy"]]
    unhappy = [pct(row["[CSAT - Unhappy %]"]) for row in results["trend/happy_unhappy"]]
    assert (happy[0], unhappy[0], happy[-1], unhappy[-1]) == (86.3, 5.8, 91.2, 3.6)
    assert pct(results["client_detail/happy"][0]["[CSAT - Happy %]"]) == 78.6
    assert results["client_detail/tier"] == [{"[CSAT - Risk Tier]": "High"}]
