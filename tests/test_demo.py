"""`gen-measures demo`: the dataset reproduces DESIGN section 9 through the pandas reference, on every target."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from generator.demo.build import build_demo
from generator.reference import evaluate, time_entry_hours_per_closed_ticket
from generator.spec.loader import load_model
from generator.targets import open_database
from generator.targets.frames import read_semantic_tables
from generator.targets.schema import ensure_schema
from tests.conftest import ROOT, run_cli

MODEL = load_model(ROOT)


def pct(value: object) -> float:
    """A share as a percentage rounded to the one decimal the report shows."""
    return round(float(value) * 100, 1)


def read_back(db: str) -> dict[str, pd.DataFrame]:
    with open_database(db) as database:
        return read_semantic_tables(database, MODEL)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, pd.DataFrame]]:
    """Run the CLI once into a new DuckDB file; return (db path, stdout, tables read back)."""
    db = str(tmp_path_factory.mktemp("demo") / "msp_csat.duckdb")
    result = run_cli("demo", "--db", db)
    assert result.code == 0, result.err
    return db, result.out, read_back(db)


@pytest.fixture(scope="module")
def tables(demo_run) -> dict[str, pd.DataFrame]:
    return demo_run[2]


def by_name(tables: dict[str, pd.DataFrame], series: pd.Series, dimension: str) -> pd.Series:
    table, key, name = {"client": ("BI_Autotask_Companies", "company_id", "company_name"),
                        "technician": ("BI_Autotask_Resources", "resource_id", "technician_name")}[dimension]
    names = tables[table].set_index(key)[name]
    return series.rename(index=lambda key_value: names[key_value])


def test_portfolio_totals_and_the_worked_example(tables) -> None:
    def total(measure: str) -> object:
        return evaluate(measure, tables, "total").iloc[0]

    assert (total("CSAT - Positive"), total("CSAT - Neutral"), total("CSAT - Negative")) == (2721, 178, 125)
    assert total("CSAT - Total Ratings") == 3024
    assert (pct(total("CSAT - Happy %")), pct(total("CSAT - Neutral %")), pct(total("CSAT - Unhappy %"))) == (
        90.0, 5.9, 4.1)
    assert round(float(total("CSAT - Average Rating")), 3) == 4.717  # not the published 4.58
    assert total("CSAT - Average Rating") == pytest.approx((2721 * 5 + 178 * 3 + 125 * 1) / 3024, rel=1e-12)
    assert total("SB - Survey Responses") == 3024
    assert round(float(total("SB - Average CSAT Score")), 3) == 4.717


def test_clients(tables) -> None:
    happy = by_name(tables, evaluate("CSAT - Happy %", tables, "client"), "client")
    unhappy = by_name(tables, evaluate("CSAT - Unhappy %", tables, "client"), "client")
    low = by_name(tables, evaluate("CSAT - Low Confidence", tables, "client"), "client")
    assert (pct(happy["Pinnacle Tech"]), pct(unhappy["Pinnacle Tech"])) == (78.6, 13.0)
    assert pct(happy["Vanguard Tech"]) == 68.2
    assert round(float(unhappy["Vanguard Tech"]) * 100) == 24
    ranked = happy[~low.astype(bool)].astype(float).sort_values()
    assert list(ranked.index[:2]) == ["Vanguard Tech", "Pinnacle Tech"]
    top_five = ranked.iloc[-5:]
    assert ((top_five >= 0.91) & (top_five <= 0.96)).all(), top_five
    assert sorted(low[low.astype(bool)].index) == ["Atlas Corp", "Ironclad MSP", "NovaBridge IT"]

    closed = by_name(tables, evaluate("Tickets - Closed", tables, "client"), "client")
    responses = by_name(tables, evaluate("SB - Survey Responses", tables, "client"), "client")
    rate = by_name(tables, evaluate("SB - Survey Response Rate %", tables, "client"), "client")
    for client, (tickets, answered, shown) in {"Atlas Corp": (42, 6, 14.3), "NovaBridge IT": (28, 3, 10.7),
                                               "Ironclad MSP": (18, 0, 0.0)}.items():
        assert closed[client] == tickets
        assert (responses[client] or 0) == answered
        assert pct(rate[client]) == shown


def test_months(tables) -> None:
    happy = evaluate("CSAT - Happy %", tables, "month").dropna().astype(float)
    unhappy = evaluate("CSAT - Unhappy %", tables, "month").dropna().astype(float)
    assert [ts.strftime("%Y-%m") for ts in happy.index] == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
                                                             "2026-04"]
    assert (pct(happy.iloc[0]), pct(unhappy.iloc[0])) == (86.3, 5.8)
    assert (pct(happy.iloc[-1]), pct(unhappy.iloc[-1])) == (91.2, 3.6)
    assert happy.is_monotonic_increasing and unhappy.is_monotonic_decreasing
    # the six-month gain reads 4.9 points, computed or from the two figures shown (86.3 → 91.2)
    assert round((happy.iloc[-1] - happy.iloc[0]) * 100, 1) == 4.9 == round(pct(happy.iloc[-1]) - pct(happy.iloc[0]), 1)


def test_technicians(tables) -> None:
    happy = by_name(tables, evaluate("CSAT - Happy %", tables, "technician"), "technician")
    hours = by_name(tables, evaluate("Tickets - Avg Hours per Ticket", tables, "technician"), "technician")
    from_entries = by_name(tables, time_entry_hours_per_closed_ticket(tables, "technician"), "technician")
    assert (pct(happy["Sarah Mitchell"]), round(float(hours["Sarah Mitchell"]), 1)) == (95.7, 4.2)
    assert (pct(happy["Lisa Park"]), round(float(hours["Lisa Park"]), 1)) == (82.4, 2.4)
    assert hours.astype(float).idxmin() == "Lisa Park"
    assert list(happy.astype(float).sort_values().index[:2]) == ["Daniel Okafor", "Lisa Park"]  # second-to-last
    pd.testing.assert_series_equal(hours.astype(float), from_entries.astype(float), check_names=False)


def test_summary_shows_the_headline(demo_run) -> None:
    out = demo_run[1]
    assert "(2,721x5 + 178x3 + 125x1) / 3,024 = 4.717" in out
    for text in ("Happy %          90.0 %", "Neutral %        5.9 %", "Unhappy %        4.1 %",
                 "BI_SmileBack_Reviews", "Pinnacle Tech", "Vanguard Tech", "Atlas Corp (6)"):
        assert text in out


def test_same_seed_same_rows_other_seed_same_figures() -> None:
    first, second, other = build_demo(seed=7), build_demo(seed=7), build_demo(seed=8)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])
    assert not first["BI_SmileBack_Reviews"]["company_id"].equals(other["BI_SmileBack_Reviews"]["company_id"])
    for measure in ("CSAT - Happy %", "CSAT - Unhappy %"):
        for slice_name in ("client", "month", "technician"):
            pd.testing.assert_series_equal(evaluate(measure, first, slice_name), evaluate(measure, other, slice_name))


def test_scale_multiplies_rows_and_keeps_every_share() -> None:
    one, two = build_demo(scale=1), build_demo(scale=2)
    for name in ("BI_SmileBack_Reviews", "BI_Autotask_Tickets", "BI_SmileBack_NPS"):
        assert len(two[name]) == 2 * len(one[name])
    # the published figures are shares of planned counts: exact at every scale
    exact = [("CSAT - Happy %", ("total", "client", "month", "technician")),
             ("CSAT - Unhappy %", ("total", "client", "month", "technician")),
             ("SB - Survey Response Rate %", ("total", "client"))]
    for measure, slices in exact:
        for slice_name in slices:
            pd.testing.assert_series_equal(evaluate(measure, one, slice_name).astype(float),
                                           evaluate(measure, two, slice_name).astype(float), rtol=1e-12)
    hours_one = evaluate("Tickets - Avg Hours per Ticket", one, "technician").astype(float)
    hours_two = evaluate("Tickets - Avg Hours per Ticket", two, "technician").astype(float)
    assert (hours_one.round(1) == hours_two.round(1)).all()


def test_data_is_consistent(tables) -> None:
    tickets = tables["BI_Autotask_Tickets"].set_index("ticket_id")
    reviews = tables["BI_SmileBack_Reviews"]
    reviewed = tickets.loc[reviews["ticket_id"]]
    assert (reviewed["company_id"].to_numpy() == reviews["company_id"].to_numpy()).all()
    assert (reviewed["assigned_resource_id"].to_numpy() == reviews["resource_id"].to_numpy()).all()
    assert (reviewed["completed_at"].to_numpy() <= reviews["rated_at"].to_numpy()).all()
    entries = tables["BI_Autotask_TimeEntries"].groupby("ticket_id")["hours_worked"].sum()
    assert (tickets.loc[entries.index, "hours_worked"] == entries).all()
    assert (tickets["created_at"] <= tickets["completed_at"].fillna(tickets["created_at"])).all()
    companies = tables["BI_Autotask_Companies"].set_index("company_id")
    churned = companies["churned_on"].dropna()
    for company_id, day in churned.items():
        assert (reviews.loc[reviews["company_id"] == company_id, "rated_date"] < day).all()
    assert set(reviews["rating"]) == {1, 3, 5}
    labels = reviews.groupby("rating")["rating_label"].unique()
    assert {r: list(v) for r, v in labels.items()} == {1: ["Unhappy"], 3: ["Neutral"], 5: ["Happy"]}


SHARED_KEYS = {"issue_type_id": ("BI_Autotask_IssueTypes", "issue_type_name"),
               "priority_id": ("BI_Autotask_Priorities", "priority_name"),
               "source_id": ("BI_Autotask_Sources", "source_name"),
               "resolution_key": ("BI_Autotask_Resolutions", "first_contact")}


def test_reviews_carry_their_tickets_shared_dimension_keys(tables) -> None:
    tickets = tables["BI_Autotask_Tickets"].set_index("ticket_id")
    reviews = tables["BI_SmileBack_Reviews"]
    reviewed = tickets.loc[reviews["ticket_id"]]
    for key, (dimension, _label) in {**SHARED_KEYS, "sub_issue_type_id": ("BI_Autotask_SubIssueTypes", "")}.items():
        assert (reviewed[key].to_numpy() == reviews[key].to_numpy()).all(), key
        assert set(tickets[key]) <= set(tables[dimension][key]), key  # every key has its dimension row
    names = tables["BI_Autotask_IssueTypes"].set_index("issue_type_id")["issue_type_name"]
    assert (names[tickets["issue_type_id"]].to_numpy() == tickets["issue_type"].to_numpy()).all()
    resolution = tables["BI_Autotask_Resolutions"].set_index("resolution_key").loc[tickets["resolution_key"]]
    fcr = tickets["first_contact_resolution"].astype("boolean").map({True: "Yes", False: "No"}).fillna("Unknown")
    assert (resolution["first_contact"].to_numpy() == fcr.to_numpy()).all()
    assert (resolution["reopen_status"].to_numpy() == tickets["reopened"].map(
        {True: "Reopened", False: "Not reopened"}).to_numpy()).all()


def test_query_answers_happy_pct_by_the_reviewed_tickets_attributes(demo_run, tables) -> None:
    """`gen-measures query` slices CSAT - Happy % by issue type, priority, source and FCR through the shared
    dimensions, and by client segment; the figures are those of the reviews grouped by the attribute."""
    slicers = {**SHARED_KEYS, "company_id": ("BI_Autotask_Companies", "company_type")}  # and client segment
    columns = {key: f"{dimension}[{label}]" for key, (dimension, label) in slicers.items()}
    dax = "\n".join(f'EVALUATE SUMMARIZECOLUMNS({column}, "Happy", [CSAT - Happy %])' for column in columns.values())
    result = run_cli("query", "--db", demo_run[0], "--format", "json", dax)
    assert result.code == 0, result.err
    for (key, (dimension, label)), rows in zip(slicers.items(), json.loads(result.out), strict=True):
        got = {row[columns[key]]: row["[Happy]"] for row in rows}
        reviews = tables["BI_SmileBack_Reviews"].merge(tables[dimension], on=key)
        expected = (reviews["rating"] == 5).groupby(reviews[label]).mean()
        assert len(got) == len(expected) >= 2, key
        assert got == pytest.approx(expected.to_dict(), rel=1e-12), key


def _concentration(tables: dict[str, pd.DataFrame], client: str, trait) -> tuple[float, float]:
    """(share of the client's unhappy reviews whose ticket has ``trait``, share of all its reviews that have it)."""
    companies = tables["BI_Autotask_Companies"].set_index("company_name")["company_id"]
    reviews = tables["BI_SmileBack_Reviews"]
    reviews = reviews[reviews["company_id"] == companies[client]]
    tickets = tables["BI_Autotask_Tickets"].set_index("ticket_id").loc[reviews["ticket_id"]].reset_index()
    has = trait(tickets).to_numpy(dtype=bool)
    unhappy = (reviews["rating"] == 1).to_numpy()
    return has[unhappy].mean(), has.mean()


def test_the_drill_down_stories_of_the_reference(tables) -> None:
    """Vanguard Tech's unhappy ratings concentrate on network issues and reopened tickets, Pinnacle Tech's on
    escalations without first-contact resolution: each trait covers at least half of the client's unhappy
    ratings and at least twice its share of all the client's responses."""
    queues = tables["BI_Autotask_Queues"].set_index("queue_name")["queue_id"]
    stories = [
        ("Vanguard Tech", lambda t: t["issue_type"] == "Network"),
        ("Vanguard Tech", lambda t: t["reopened"]),
        ("Pinnacle Tech", lambda t: (t["queue_id"] == queues["Escalations (Tier 2)"])
         & ~t["first_contact_resolution"].astype("boolean").fillna(True)),
    ]
    for client, trait in stories:
        unhappy_share, all_share = _concentration(tables, client, trait)
        assert unhappy_share >= 0.5 and unhappy_share >= 2 * all_share, (client, unhappy_share, all_share)


def test_running_demo_again_replaces_demo_rows(demo_run, cli) -> None:
    db, _, first = demo_run
    result = cli("demo", "--db", db)
    assert result.code == 0, result.err
    again = read_back(db)
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, again[name])


def test_loaded_data_is_not_replaced_without_force(cli, tmp_path: Path) -> None:
    db = str(tmp_path / "loaded.duckdb")
    with open_database(db) as database:
        ensure_schema(database, MODEL)
        database.execute('INSERT INTO "BI_Autotask_Queues" VALUES (1, \'Client queue\')')
        database.commit()
    refused = cli("demo", "--db", db)
    assert refused.code == 2
    assert "already holds data that the demo did not write" in refused.err
    assert read_back(db)["BI_Autotask_Queues"]["queue_name"].tolist() == ["Client queue"]
    forced = cli("demo", "--db", db, "--force")
    assert forced.code == 0, forced.err
    assert "Client queue" not in read_back(db)["BI_Autotask_Queues"]["queue_name"].tolist()


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
def test_demo_on_odbc_servers_round_trips_exactly(server: str, request, tables) -> None:
    db = request.getfixturevalue(f"{server}_db")
    result = run_cli("demo", "--db", db)
    assert result.code == 0, result.err
    assert "4.717" in result.out
    remote = read_back(db)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), remote[name].reset_index(drop=True),
                                      check_dtype=True, obj=f"{server} {name}")
