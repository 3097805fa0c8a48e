"""The pandas reference implementation of the measure catalogue, against values worked out by hand.

The fixture is small enough to check every figure on paper: four companies, three technicians, three
queues, a calendar of January to March 2026, eight reviews, three survey responses, six tickets (two created
in December 2025, before the calendar starts), seven time entries and five NPS responses. Each expected value
is written as the arithmetic that produces it.
"""

from __future__ import annotations

import ast
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import generator.reference
from generator.measures.spec import read_measure_specs
from generator.reference import (
    MEASURES,
    SLICES,
    Parameters,
    evaluate,
    evaluate_all,
    time_entry_hours_per_closed_ticket,
)

ALPHA, BETA, GAMMA, DELTA = 10, 20, 30, 40
SAM, LEE, IDLE = 100, 200, 300
DESK, PROJECTS, EMPTY = 7, 8, 9
JAN, FEB, MAR = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")
NA = None
ROOT = Path(__file__).resolve().parents[1]


def spec_measure_names() -> list[str]:
    """The names of the measures the shipped specs declare (measures/*.yaml, families expanded)."""
    return [measure.node["name"] for measure in read_measure_specs(ROOT).measures]


def calendar(start: str, end: str) -> pd.DataFrame:
    """A BI_Date table from ``start`` to ``end``."""
    days = pd.date_range(start, end, freq="D")
    return pd.DataFrame({
        "date": days,
        "year": days.year,
        "quarter": days.quarter,
        "month_number": days.month,
        "month_start": days.to_period("M").to_timestamp(),
        "month_name": days.month_name(),
        "week_start": days - pd.to_timedelta(days.day_of_week, unit="D"),
    })


def reviews_frame(rows: list[tuple]) -> pd.DataFrame:
    """BI_SmileBack_Reviews from (review_id, rated_date, company_id, resource_id, queue_id, rating) rows."""
    frame = pd.DataFrame(rows, columns=["review_id", "rated_date", "company_id", "resource_id", "queue_id", "rating"])
    labels = {5: "Happy", 3: "Neutral", 1: "Unhappy"}
    frame["rating_label"] = frame["rating"].map(labels)
    frame["rated_at"] = pd.to_datetime(frame["rated_date"]) + pd.Timedelta(hours=9)
    frame["resource_id"] = frame["resource_id"].astype("Int64")
    frame["queue_id"] = frame["queue_id"].astype("Int64")
    return frame


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    """The hand-checked dataset (types deliberately mixed, as different drivers return them)."""
    companies = pd.DataFrame({
        "company_id": [ALPHA, BETA, GAMMA, DELTA],
        "company_name": ["Alpha", "Beta", "Gamma", "Delta"],
        "is_active": [1, 0, 1, 0],
        "company_type": ["Customer"] * 4,
        # python dates and None, as some ODBC drivers return them
        "client_since": [date(2025, 6, 1), date(2025, 1, 1), date(2026, 2, 10), date(2024, 1, 1)],
        "churned_on": [None, date(2026, 2, 15), None, date(2026, 1, 1)],
    })
    resources = pd.DataFrame({
        "resource_id": [LEE, SAM, IDLE],  # unsorted on purpose
        "technician_name": ["Lee Park", "Sam Mitchell", "Idle Person"],
        "email": ["lee@x", "sam@x", "idle@x"],
        "is_active": [True, True, False],
    })
    queues = pd.DataFrame({"queue_id": [DESK, PROJECTS, EMPTY], "queue_name": ["Service Desk", "Projects", "Empty"]})
    reviews = reviews_frame([
        (1, date(2026, 1, 5), ALPHA, SAM, DESK, 5),
        (2, date(2026, 1, 10), ALPHA, LEE, DESK, 1),
        (3, date(2026, 1, 20), BETA, SAM, PROJECTS, 5),
        (4, date(2026, 2, 3), ALPHA, SAM, DESK, 5),
        (5, date(2026, 2, 4), ALPHA, SAM, DESK, 5),
        (6, date(2026, 2, 14), BETA, LEE, PROJECTS, 3),
        (7, date(2026, 2, 20), BETA, LEE, DESK, 1),
        (8, date(2026, 2, 25), BETA, NA, NA, 5),  # no technician, no queue
    ])
    surveys = pd.DataFrame({
        "survey_id": [1, 2, 3],
        "review_id": [1, 3, 4],
        "ticket_id": [1, 3, 5],
        "company_id": [ALPHA, BETA, ALPHA],
        "resource_id": [SAM, SAM, LEE],
        "queue_id": [DESK, PROJECTS, DESK],
        "score": [5, 3, 1],
        "survey_date": pd.to_datetime(["2026-01-06", "2026-01-21", "2026-02-05"]),
        "survey_month": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01"]),
    })
    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3, 4, 5, 6],
        "ticket_number": [f"T2026.{n:04d}" for n in range(1, 7)],
        "company_id": [ALPHA, ALPHA, BETA, BETA, ALPHA, BETA],
        "queue_id": pd.array([DESK, DESK, PROJECTS, PROJECTS, DESK, None], dtype="Int64"),
        "assigned_resource_id": pd.array([SAM, LEE, SAM, LEE, SAM, None], dtype="Int64"),
        "status": ["Complete", "Complete", "Complete", "In Progress", "Complete", "New"],
        "created_at": pd.to_datetime([
            "2025-12-28 09:00", "2025-12-30 08:00", "2026-01-15 10:00",
            "2026-02-03 09:00", "2026-02-10 09:00", "2026-03-02 09:00",
        ]),
        "first_response_at": pd.to_datetime([
            "2025-12-28 10:30", "2025-12-30 12:00", None, "2026-02-03 09:30", "2026-02-10 11:00", None,
        ]),
        "completed_at": pd.to_datetime([
            "2026-01-02 09:00", "2026-01-11 08:00", "2026-02-01 10:00", None, "2026-02-12 09:00", None,
        ]),
        # sla_met as objects with None, first_contact_resolution as 1/0/NaN floats
        "sla_met": [True, False, None, None, True, None],
        "first_contact_resolution": [1.0, 0.0, 1.0, np.nan, np.nan, np.nan],
        "reopened": [False] * 6,
        "hours_worked": [2.0, 3.0, 1.5, 0.5, 4.0, 0.0],
    })
    tickets["created_date"] = tickets["created_at"].dt.normalize()
    tickets["completed_date"] = [  # python dates, None while open
        None if pd.isna(value) else value.date() for value in tickets["completed_at"]
    ]
    tickets["completed_month"] = pd.to_datetime(tickets["completed_date"]).dt.to_period("M").dt.to_timestamp()
    time_entries = pd.DataFrame({
        "time_entry_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "ticket_id": [1, 1, 2, 3, 3, 4, 5, 999],  # 999: a ticket that is not in the table
        "resource_id": [SAM, LEE, LEE, SAM, SAM, LEE, SAM, SAM],
        "date_worked": [date(2025, 12, 28)] * 8,
        "hours_worked": [1.0, 1.0, 3.0, 0.5, 1.0, 0.5, 4.0, 7.0],
    })
    nps = pd.DataFrame({
        "nps_response_id": [1, 2, 3, 4, 5],
        "company_id": [ALPHA, ALPHA, BETA, BETA, ALPHA],
        "contact_email": ["a@x", "b@x", "c@x", "d@x", "e@x"],
        "score": [10, 9, 3, 8, 7],
        "responded_at": pd.to_datetime(["2026-01-07 10:00", "2026-01-20 10:00", "2026-02-02 10:00",
                                        "2026-02-09 10:00", "2026-02-11 10:00"]),
    })
    nps["responded_date"] = nps["responded_at"].dt.normalize()
    return {
        "BI_Autotask_Companies": companies,
        "BI_Autotask_Resources": resources,
        "BI_Autotask_Queues": queues,
        "BI_Autotask_Tickets": tickets,
        "BI_Autotask_TimeEntries": time_entries,
        "BI_SmileBack_Reviews": reviews,
        "BI_SmileBack_Surveys": surveys,
        "BI_SmileBack_NPS": nps,
        "BI_Date": calendar("2026-01-01", "2026-03-31"),
    }


def check(series: pd.Series, expected: dict) -> None:
    """``series`` holds exactly ``expected`` (keys = index labels): None for BLANK, bools and strs as such."""
    assert series.dtype == object
    assert dict(zip(series.index, series.to_list(), strict=True)).keys() == expected.keys()
    for key, want in expected.items():
        got = series[key]
        if want is None:
            assert got is None, (series.name, key, got)
        elif isinstance(want, bool):
            assert got is want, (series.name, key, got)
        elif isinstance(want, str):
            assert got == want, (series.name, key, got)
        else:
            assert type(got) is float, (series.name, key, got)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (series.name, key, got, want)


def total(value: object) -> dict:
    """The expectation of a total slice."""
    return {"Total": value}


def by_client(alpha: object, beta: object, gamma: object = None, delta: object = None) -> dict:
    """The expectation of a client slice."""
    return {ALPHA: alpha, BETA: beta, GAMMA: gamma, DELTA: delta}


def by_month(jan: object, feb: object, mar: object = None) -> dict:
    """The expectation of a month slice."""
    return {JAN: jan, FEB: feb, MAR: mar}


def by_technician(sam: object, lee: object, idle: object = None) -> dict:
    """The expectation of a technician slice."""
    return {SAM: sam, LEE: lee, IDLE: idle}


def by_queue(desk: object, projects: object, empty: object = None) -> dict:
    """The expectation of a queue slice."""
    return {DESK: desk, PROJECTS: projects, EMPTY: empty}


def by_client_month(values: dict[tuple[int, pd.Timestamp], object], default: object = None) -> dict:
    """The expectation of a client × month slice: ``values`` where given, ``default`` elsewhere."""
    cells = [(company, month) for company in (ALPHA, BETA, GAMMA, DELTA) for month in (JAN, FEB, MAR)]
    return {cell: values.get(cell, default) for cell in cells}


# --- the public surface --------------------------------------------------------------------------------------

def test_catalogue_names_and_slices() -> None:
    assert SLICES == ("total", "client", "month", "technician", "queue", "client_month", "week")
    # every measure of the shipped specs has its hand-written reference
    assert len(MEASURES) == len(set(MEASURES)) and set(MEASURES) == set(spec_measure_names())
    for name in ("CSAT - Happy %", "SB - Survey Response Rate %", "Tickets - Open/Close Ratio",
                 "Clients - Churn Rate %", "CSAT - Happy % MoM Change", "Tickets - Avg First Response (h)"):
        assert name in MEASURES


def test_parameters_defaults() -> None:
    params = Parameters()
    assert (params.low_confidence_threshold, params.target_happy_pct) == (10, 0.90)
    assert (params.high_risk_gap_points, params.moderate_risk_gap_points) == (10.0, 3.0)
    with pytest.raises(AttributeError):
        params.target_happy_pct = 0.5  # type: ignore[misc]


def test_unknown_measure_or_slice(tables) -> None:
    with pytest.raises(ValueError, match=r"CSAT - Happiness.*CSAT - Happy %"):
        evaluate("CSAT - Happiness", tables)
    with pytest.raises(ValueError, match=r"by_week.*client_month"):
        evaluate("CSAT - Happy %", tables, "by_week")
    with pytest.raises(ValueError, match="by_week"):
        evaluate_all(tables, "by_week")


def test_reference_is_independent() -> None:
    """The package imports only the standard library, numpy, pandas and itself (no spec, DAX or TMDL code)."""
    package = Path(generator.reference.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                allowed = root in sys.stdlib_module_names or root in ("numpy", "pandas")
                assert allowed or name.startswith("generator.reference"), (module.name, name)


def test_missing_table_is_named(tables) -> None:
    without_nps = {name: frame for name, frame in tables.items() if name != "BI_SmileBack_NPS"}
    with pytest.raises(ValueError, match="BI_SmileBack_NPS"):
        evaluate("NPS - Score", without_nps)
    check(evaluate("CSAT - Total Ratings", without_nps), total(8.0))  # other measures do not need it


def test_indexes(tables) -> None:
    result = evaluate("CSAT - Total Ratings", tables)
    assert result.name == "CSAT - Total Ratings"
    assert result.index.name == "total" and list(result.index) == ["Total"]
    client = evaluate("CSAT - Total Ratings", tables, "client").index
    assert client.name == "company_id" and list(client) == [ALPHA, BETA, GAMMA, DELTA]
    month = evaluate("CSAT - Total Ratings", tables, "month").index
    assert month.name == "month_start" and list(month) == [JAN, FEB, MAR]
    assert all(isinstance(value, pd.Timestamp) for value in month)
    technician = evaluate("CSAT - Total Ratings", tables, "technician").index
    assert technician.name == "resource_id" and list(technician) == [SAM, LEE, IDLE]
    queue = evaluate("CSAT - Total Ratings", tables, "queue").index
    assert queue.name == "queue_id" and list(queue) == [DESK, PROJECTS, EMPTY]
    cross = evaluate("CSAT - Total Ratings", tables, "client_month").index
    assert isinstance(cross, pd.MultiIndex) and list(cross.names) == ["company_id", "month_start"]
    assert len(cross) == 4 * 3 and cross[0] == (ALPHA, JAN) and cross[-1] == (DELTA, MAR)


def test_evaluate_all_matches_evaluate(tables) -> None:
    for slice_name in SLICES:
        frame = evaluate_all(tables, slice_name)
        assert list(frame.columns) == list(MEASURES)
        for measure in MEASURES:
            pd.testing.assert_series_equal(frame[measure], evaluate(measure, tables, slice_name))


# --- CSAT ----------------------------------------------------------------------------------------------------

def test_csat_counts(tables) -> None:
    check(evaluate("CSAT - Total Ratings", tables), total(8.0))
    check(evaluate("CSAT - Total Ratings", tables, "client"), by_client(4.0, 4.0))
    check(evaluate("CSAT - Total Ratings", tables, "month"), by_month(3.0, 5.0, None))
    # review 8 has no technician and no queue: it is in no technician or queue row
    check(evaluate("CSAT - Total Ratings", tables, "technician"), by_technician(4.0, 3.0))
    check(evaluate("CSAT - Total Ratings", tables, "queue"), by_queue(5.0, 2.0))
    check(evaluate("CSAT - Positive", tables), total(5.0))
    check(evaluate("CSAT - Neutral", tables, "client"), by_client(None, 1.0))
    check(evaluate("CSAT - Negative", tables, "technician"), by_technician(None, 2.0))
    check(evaluate("CSAT - Total Ratings", tables, "client_month"), by_client_month(
        {(ALPHA, JAN): 2.0, (ALPHA, FEB): 2.0, (BETA, JAN): 1.0, (BETA, FEB): 3.0}))


def test_csat_shares(tables) -> None:
    check(evaluate("CSAT - Happy %", tables), total(5 / 8))
    check(evaluate("CSAT - Neutral %", tables), total(1 / 8))
    check(evaluate("CSAT - Unhappy %", tables), total(2 / 8))
    # Gamma and Delta have no reviews: BLANK; Alpha has reviews but no neutral one: 0.0
    check(evaluate("CSAT - Happy %", tables, "client"), by_client(3 / 4, 2 / 4))
    check(evaluate("CSAT - Neutral %", tables, "client"), by_client(0.0, 1 / 4))
    check(evaluate("CSAT - Happy %", tables, "month"), by_month(2 / 3, 3 / 5, None))
    check(evaluate("CSAT - Happy %", tables, "technician"), by_technician(4 / 4, 0.0))
    check(evaluate("CSAT - Unhappy %", tables, "queue"), by_queue(2 / 5, 0.0))
    check(evaluate("CSAT - Happy %", tables, "client_month"), by_client_month(
        {(ALPHA, JAN): 1 / 2, (ALPHA, FEB): 2 / 2, (BETA, JAN): 1 / 1, (BETA, FEB): 1 / 3}))


def test_average_rating_and_net_sentiment(tables) -> None:
    check(evaluate("CSAT - Average Rating", tables), total((5 + 1 + 5 + 5 + 5 + 3 + 1 + 5) / 8))
    check(evaluate("CSAT - Average Rating", tables, "client"), by_client((5 + 1 + 5 + 5) / 4, (5 + 3 + 1 + 5) / 4))
    check(evaluate("CSAT - Average Rating", tables, "month"), by_month((5 + 1 + 5) / 3, (5 + 5 + 3 + 1 + 5) / 5))
    check(evaluate("CSAT - Net Sentiment", tables), total((5 / 8 - 2 / 8) * 100))
    check(evaluate("CSAT - Net Sentiment", tables, "technician"), by_technician((1 - 0) * 100, (0 - 2 / 3) * 100))
    check(evaluate("CSAT - Net Sentiment", tables, "month"), by_month((2 / 3 - 1 / 3) * 100, (3 / 5 - 1 / 5) * 100))


def test_low_confidence(tables) -> None:
    check(evaluate("CSAT - Low Confidence", tables), total(True))
    check(evaluate("CSAT - Low Confidence", tables, params=Parameters(low_confidence_threshold=8)), total(False))
    # never BLANK: a slice without reviews has 0 reviews, below any positive threshold
    check(evaluate("CSAT - Low Confidence", tables, "client", Parameters(low_confidence_threshold=4)),
          by_client(False, False, True, True))
    check(evaluate("CSAT - Low Confidence", tables, "month", Parameters(low_confidence_threshold=4)),
          by_month(True, False, True))


def test_happy_vs_portfolio(tables) -> None:
    check(evaluate("CSAT - Happy % vs Portfolio", tables), total(0.0))
    check(evaluate("CSAT - Happy % vs Portfolio", tables, "client"),
          by_client((3 / 4 - 5 / 8) * 100, (2 / 4 - 5 / 8) * 100))
    # no client filter to remove: 0.0 where there are reviews, BLANK where there are none
    check(evaluate("CSAT - Happy % vs Portfolio", tables, "month"), by_month(0.0, 0.0, None))
    check(evaluate("CSAT - Happy % vs Portfolio", tables, "technician"), by_technician(0.0, 0.0))
    check(evaluate("CSAT - Happy % vs Portfolio", tables, "queue"), by_queue(0.0, 0.0))
    # client × month compares with the month's all-client figure
    check(evaluate("CSAT - Happy % vs Portfolio", tables, "client_month"), by_client_month({
        (ALPHA, JAN): (1 / 2 - 2 / 3) * 100, (ALPHA, FEB): (2 / 2 - 3 / 5) * 100,
        (BETA, JAN): (1 / 1 - 2 / 3) * 100, (BETA, FEB): (1 / 3 - 3 / 5) * 100,
    }))


def test_risk_tier(tables) -> None:
    # defaults: target 90 %, high below 80 % or 10 points under the portfolio, moderate below 90 % or 3 under
    check(evaluate("CSAT - Risk Tier", tables), total("High"))  # 62.5 % < 80 %
    check(evaluate("CSAT - Risk Tier", tables, "technician"), by_technician("Low", "High"))  # 100 %, 0 %
    check(evaluate("CSAT - Risk Tier", tables, "client"), by_client("High", "High"))  # 75 %; 50 % and −12.5 points
    lenient = Parameters(target_happy_pct=0.70)  # high below 60 %, moderate below 70 %
    check(evaluate("CSAT - Risk Tier", tables, params=lenient), total("Moderate"))  # 62.5 %
    check(evaluate("CSAT - Risk Tier", tables, "client", lenient), by_client("Low", "High"))
    # Beta: 50 % is on target, but 12.5 points under the portfolio: moderate (≤ −10), not high (> −20)
    gap_only = Parameters(target_happy_pct=0.50, high_risk_gap_points=20.0, moderate_risk_gap_points=10.0)
    check(evaluate("CSAT - Risk Tier", tables, "client", gap_only), by_client("Low", "Moderate"))
    # exactly on the gap threshold counts (≤): 12.5 points under with a high gap of 12.5
    on_edge = Parameters(target_happy_pct=0.50, high_risk_gap_points=12.5, moderate_risk_gap_points=3.0)
    check(evaluate("CSAT - Risk Tier", tables, "client", on_edge), by_client("Low", "High"))
    # months: January 66.7 % is at or above a 65 % target, February 60 % is below it but above 55 %
    check(evaluate("CSAT - Risk Tier", tables, "month", Parameters(target_happy_pct=0.65)),
          by_month("Low", "Moderate", None))


def test_happy_mom_change(tables) -> None:
    # December is not in the calendar, March has no reviews: both ends BLANK
    check(evaluate("CSAT - Happy % MoM Change", tables, "month"), by_month(None, (3 / 5 - 2 / 3) * 100, None))
    check(evaluate("CSAT - Happy % MoM Change", tables, "client_month"), by_client_month({
        (ALPHA, FEB): (2 / 2 - 1 / 2) * 100, (BETA, FEB): (1 / 3 - 1 / 1) * 100,
    }))
    for slice_name, expected in (("total", total(None)), ("client", by_client(None, None)),
                                 ("technician", by_technician(None, None)), ("queue", by_queue(None, None))):
        check(evaluate("CSAT - Happy % MoM Change", tables, slice_name), expected)


def test_happy_wow_change() -> None:
    """Happy % minus the previous week's (Monday to Sunday), on the week slice only; a week without reviews, or
    after one, is BLANK."""
    reviews = reviews_frame([(1, date(2026, 1, 5), ALPHA, SAM, DESK, 5), (2, date(2026, 1, 11), ALPHA, SAM, DESK, 1),
                             (3, date(2026, 1, 12), ALPHA, SAM, DESK, 5), (4, date(2026, 1, 26), ALPHA, SAM, DESK, 5)])
    tables = {"BI_SmileBack_Reviews": reviews, "BI_Date": calendar("2026-01-05", "2026-02-01"),
              "BI_Autotask_Companies": pd.DataFrame({"company_id": [ALPHA], "company_name": ["Alpha"]})}
    weeks = evaluate("CSAT - Happy % WoW Change", tables, "week")
    assert list(weeks.index) == list(pd.date_range("2026-01-05", periods=4, freq="7D"))
    assert weeks.to_list() == [None, pytest.approx((1 - 1 / 2) * 100), None, None]
    assert evaluate("CSAT - Happy % WoW Change", tables, "month").to_list() == [None, None]


def test_design_worked_example() -> None:
    ratings = [5] * 2721 + [3] * 178 + [1] * 125
    count = len(ratings)
    reviews = reviews_frame([(i + 1, date(2026, 1 + i % 3, 1 + i % 28), ALPHA, SAM, DESK, rating)
                             for i, rating in enumerate(ratings)])
    tables = {
        "BI_SmileBack_Reviews": reviews,
        "BI_Autotask_Companies": pd.DataFrame({"company_id": [ALPHA], "company_name": ["Alpha"]}),
        "BI_Date": calendar("2026-01-01", "2026-03-31"),
    }
    result = evaluate_all_csat(tables)
    assert count == 3024
    assert result["CSAT - Total Ratings"] == 3024.0
    assert round(result["CSAT - Happy %"] * 100, 1) == 90.0
    assert round(result["CSAT - Neutral %"] * 100, 1) == 5.9
    assert round(result["CSAT - Unhappy %"] * 100, 1) == 4.1
    assert result["CSAT - Happy %"] == 2721 / 3024
    average = result["CSAT - Average Rating"]
    assert average == (2721 * 5 + 178 * 3 + 125 * 1) / 3024
    assert round(average, 3) == 4.717
    assert round(average, 2) != 4.58 and average != 4.58
    # by month the three months add back up to the total
    by_month_counts = evaluate("CSAT - Total Ratings", tables, "month")
    assert sum(by_month_counts) == 3024.0


def evaluate_all_csat(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """The total of the CSAT measures that need only reviews, companies and the calendar."""
    names = ("CSAT - Total Ratings", "CSAT - Happy %", "CSAT - Neutral %", "CSAT - Unhappy %", "CSAT - Average Rating")
    return {name: evaluate(name, tables)["Total"] for name in names}


# --- SmileBack surveys and NPS -------------------------------------------------------------------------------

def test_survey_responses_and_score(tables) -> None:
    check(evaluate("SB - Survey Responses", tables), total(3.0))
    check(evaluate("SB - Survey Responses", tables, "month"), by_month(2.0, 1.0, None))
    check(evaluate("SB - Average CSAT Score", tables), total((5 + 3 + 1) / 3))
    check(evaluate("SB - Average CSAT Score", tables, "client"), by_client((5 + 1) / 2, 3 / 1))
    check(evaluate("SB - Average CSAT Score", tables, "technician"), by_technician((5 + 3) / 2, 1 / 1))


def test_survey_response_rate(tables) -> None:
    # responses ÷ closed tickets; closed tickets: 1 and 2 in January, 3 and 5 in February
    check(evaluate("SB - Survey Response Rate %", tables), total(3 / 4))
    # by survey month against tickets closed that month; March has no closed ticket: BLANK
    check(evaluate("SB - Survey Response Rate %", tables, "month"), by_month(2 / 2, 1 / 2, None))
    check(evaluate("SB - Survey Response Rate %", tables, "client"), by_client(2 / 3, 1 / 1))
    check(evaluate("SB - Survey Response Rate %", tables, "technician"), by_technician(2 / 3, 1 / 1))
    check(evaluate("SB - Survey Response Rate %", tables, "queue"), by_queue(2 / 3, 1 / 1))
    # Beta closed ticket 3 in February without a response that month: 0.0
    check(evaluate("SB - Survey Response Rate %", tables, "client_month"), by_client_month({
        (ALPHA, JAN): 1 / 2, (ALPHA, FEB): 1 / 1, (BETA, FEB): 0.0,
        (BETA, JAN): None,  # a response, but no ticket closed: BLANK
    }))


def test_nps_score(tables) -> None:
    # promoters 10, 9; detractor 3; passives 8, 7
    check(evaluate("NPS - Score", tables), total((2 - 1) / 5 * 100))
    check(evaluate("NPS - Score", tables, "client"), by_client((2 - 0) / 3 * 100, (0 - 1) / 2 * 100))
    check(evaluate("NPS - Score", tables, "month"), by_month((2 - 0) / 2 * 100, (0 - 1) / 3 * 100, None))
    check(evaluate("NPS - Score", tables, "client_month"), by_client_month({
        (ALPHA, JAN): (2 - 0) / 2 * 100, (ALPHA, FEB): (0 - 0) / 1 * 100, (BETA, FEB): (0 - 1) / 2 * 100,
    }))


def test_nps_is_not_filtered_by_technician_or_queue(tables) -> None:
    grand_total = (2 - 1) / 5 * 100
    check(evaluate("NPS - Score", tables, "technician"), by_technician(grand_total, grand_total, grand_total))
    check(evaluate("NPS - Score", tables, "queue"), by_queue(grand_total, grand_total, grand_total))


# --- tickets -------------------------------------------------------------------------------------------------

def test_opened_and_closed(tables) -> None:
    check(evaluate("Tickets - Opened", tables), total(6.0))
    check(evaluate("Tickets - Closed", tables), total(4.0))
    # Opened by created month (tickets 1 and 2 were created in December, outside the calendar)
    check(evaluate("Tickets - Opened", tables, "month"), by_month(1.0, 2.0, 1.0))
    check(evaluate("Tickets - Closed", tables, "month"), by_month(2.0, 2.0, None))
    check(evaluate("Tickets - Opened", tables, "client"), by_client(3.0, 3.0))
    check(evaluate("Tickets - Closed", tables, "client"), by_client(3.0, 1.0))
    # ticket 6 has no technician and no queue
    check(evaluate("Tickets - Opened", tables, "technician"), by_technician(3.0, 2.0))
    check(evaluate("Tickets - Closed", tables, "queue"), by_queue(3.0, 1.0))
    check(evaluate("Tickets - Opened", tables, "client_month"), by_client_month({
        (ALPHA, FEB): 1.0, (BETA, JAN): 1.0, (BETA, FEB): 1.0, (BETA, MAR): 1.0}))
    check(evaluate("Tickets - Closed", tables, "client_month"), by_client_month({
        (ALPHA, JAN): 2.0, (ALPHA, FEB): 1.0, (BETA, FEB): 1.0}))


def test_open_close_ratio(tables) -> None:
    check(evaluate("Tickets - Open/Close Ratio", tables), total(6 / 4))
    check(evaluate("Tickets - Open/Close Ratio", tables, "month"), by_month(1 / 2, 2 / 2, None))
    check(evaluate("Tickets - Open/Close Ratio", tables, "client"), by_client(3 / 3, 3 / 1))
    check(evaluate("Tickets - Open/Close Ratio", tables, "technician"), by_technician(3 / 3, 2 / 1))
    # Alpha in January: none opened, two closed → 0.0; Beta in January: opened, none closed → BLANK
    check(evaluate("Tickets - Open/Close Ratio", tables, "client_month"), by_client_month({
        (ALPHA, JAN): 0 / 2, (ALPHA, FEB): 1 / 1, (BETA, FEB): 1 / 1}))


def test_backlog_change_blank_arithmetic(tables) -> None:
    check(evaluate("Tickets - Backlog Change", tables), total(6.0 - 4.0))
    # March: 1 opened − BLANK closed = 1
    check(evaluate("Tickets - Backlog Change", tables, "month"), by_month(1.0 - 2.0, 2.0 - 2.0, 1.0))
    check(evaluate("Tickets - Backlog Change", tables, "client_month"), by_client_month({
        (ALPHA, JAN): 0.0 - 2.0,  # BLANK opened − 2 closed
        (ALPHA, FEB): 1.0 - 1.0,  # equal: 0.0, not BLANK
        (ALPHA, MAR): None,  # BLANK − BLANK
        (BETA, JAN): 1.0 - 0.0,
        (BETA, FEB): 1.0 - 1.0,
        (BETA, MAR): 1.0 - 0.0,
    }))
    check(evaluate("Tickets - Backlog Change", tables, "technician"), by_technician(3.0 - 3.0, 2.0 - 1.0, None))


def test_response_and_resolution_hours(tables) -> None:
    # closed tickets: 1 (1.5 h to respond, 5 days to close), 2 (4 h, 12 days), 3 (no response, 17 days), 5 (2 h, 2 days)
    check(evaluate("Tickets - Avg First Response (h)", tables), total((1.5 + 4 + 2) / 3))
    check(evaluate("Tickets - Avg First Response (h)", tables, "month"), by_month((1.5 + 4) / 2, 2 / 1, None))
    # Beta's only closed ticket has no first response: BLANK; open ticket 4's response does not count
    check(evaluate("Tickets - Avg First Response (h)", tables, "client"), by_client((1.5 + 4 + 2) / 3, None))
    check(evaluate("Tickets - Avg Resolution (h)", tables), total((5 * 24 + 12 * 24 + 17 * 24 + 2 * 24) / 4))
    check(evaluate("Tickets - Avg Resolution (h)", tables, "month"),
          by_month((5 * 24 + 12 * 24) / 2, (17 * 24 + 2 * 24) / 2, None))
    check(evaluate("Tickets - Avg Resolution (h)", tables, "technician"),
          by_technician((5 * 24 + 17 * 24 + 2 * 24) / 3, 12 * 24 / 1))


def test_first_contact_resolution_and_sla(tables) -> None:
    # closed: 1 (FCR yes, SLA met), 2 (no, missed), 3 (yes, no SLA), 5 (unknown, met)
    check(evaluate("Tickets - First Contact Resolution %", tables), total(2 / 4))
    check(evaluate("Tickets - First Contact Resolution %", tables, "client"), by_client(1 / 3, 1 / 1))
    check(evaluate("Tickets - First Contact Resolution %", tables, "technician"), by_technician(2 / 3, 0 / 1))
    check(evaluate("Tickets - SLA Compliance %", tables), total(2 / 3))
    # Beta's only closed ticket has no SLA: BLANK
    check(evaluate("Tickets - SLA Compliance %", tables, "client"), by_client(2 / 3, None))
    check(evaluate("Tickets - SLA Compliance %", tables, "month"), by_month(1 / 2, 1 / 1, None))
    check(evaluate("Tickets - SLA Compliance %", tables, "queue"), by_queue(2 / 3, None))


def test_avg_hours_per_ticket(tables) -> None:
    check(evaluate("Tickets - Avg Hours per Ticket", tables), total((2.0 + 3.0 + 1.5 + 4.0) / 4))
    check(evaluate("Tickets - Avg Hours per Ticket", tables, "client"), by_client((2.0 + 3.0 + 4.0) / 3, 1.5 / 1))
    check(evaluate("Tickets - Avg Hours per Ticket", tables, "technician"),
          by_technician((2.0 + 1.5 + 4.0) / 3, 3.0 / 1))
    check(evaluate("Tickets - Avg Hours per Ticket", tables, "month"), by_month((2.0 + 3.0) / 2, (1.5 + 4.0) / 2))


@pytest.mark.parametrize("slice_name", SLICES)
def test_time_entry_hours_agree_with_ticket_hours(tables, slice_name) -> None:
    from_entries = time_entry_hours_per_closed_ticket(tables, slice_name)
    from_tickets = evaluate("Tickets - Avg Hours per Ticket", tables, slice_name)
    assert list(from_entries.index) == list(from_tickets.index)
    for left, right in zip(from_entries, from_tickets, strict=True):
        assert (left is None and right is None) or left == pytest.approx(right, rel=1e-12)
    if slice_name == "total":  # entries on open ticket 4 and unknown ticket 999 are left out
        check(from_entries.rename("x"), total((1.0 + 1.0 + 3.0 + 0.5 + 1.0 + 4.0) / 4))


# --- clients -------------------------------------------------------------------------------------------------

def test_churn_rate(tables) -> None:
    # Alpha a client throughout; Beta lost 15 Feb; Gamma a client from 10 Feb; Delta lost on 1 Jan (the first day)
    check(evaluate("Clients - Churn Rate %", tables), total(2 / 3))  # Beta, Delta of Alpha, Beta, Delta
    check(evaluate("Clients - Churn Rate %", tables, "month"), by_month(1 / 3, 1 / 2, 0 / 2))
    # Gamma was not a client on 1 January: BLANK
    check(evaluate("Clients - Churn Rate %", tables, "client"), by_client(0 / 1, 1 / 1, None, 1 / 1))
    check(evaluate("Clients - Churn Rate %", tables, "technician"), by_technician(2 / 3, 2 / 3, 2 / 3))
    check(evaluate("Clients - Churn Rate %", tables, "queue"), by_queue(2 / 3, 2 / 3, 2 / 3))
    check(evaluate("Clients - Churn Rate %", tables, "client_month"), by_client_month({
        (ALPHA, JAN): 0.0, (ALPHA, FEB): 0.0, (ALPHA, MAR): 0.0,
        (BETA, JAN): 0.0, (BETA, FEB): 1 / 1,
        (GAMMA, MAR): 0.0,
        (DELTA, JAN): 1 / 1,
    }))


# --- robustness ----------------------------------------------------------------------------------------------

def test_input_types_do_not_matter(tables) -> None:
    """Dates as strings or datetimes with a time of day, booleans as strings, keys as floats: same results."""
    varied = dict(tables)
    tickets = tables["BI_Autotask_Tickets"].copy()
    tickets["sla_met"] = ["true", "0", None, None, "1", ""]
    tickets["first_contact_resolution"] = pd.array([True, False, True, None, None, None], dtype="boolean")
    tickets["completed_date"] = pd.to_datetime(tickets["completed_at"])  # with the time of day
    tickets["company_id"] = tickets["company_id"].astype("float64")
    varied["BI_Autotask_Tickets"] = tickets
    reviews = tables["BI_SmileBack_Reviews"].copy()
    reviews["rated_date"] = reviews["rated_date"].astype(str)
    varied["BI_SmileBack_Reviews"] = reviews
    calendar_frame = tables["BI_Date"].copy()
    calendar_frame["date"] = calendar_frame["date"].dt.date
    calendar_frame["month_start"] = calendar_frame["month_start"].dt.date
    varied["BI_Date"] = calendar_frame
    for slice_name in SLICES:
        pd.testing.assert_frame_equal(evaluate_all(varied, slice_name), evaluate_all(tables, slice_name))


def test_large_input_is_vectorised() -> None:
    """300,000 reviews by client × month evaluate quickly (no Python loop over rows)."""
    rng = np.random.default_rng(7)
    size = 300_000
    companies = np.arange(1, 201)
    days = pd.date_range("2025-11-01", "2026-04-30", freq="D")
    reviews = pd.DataFrame({
        "review_id": np.arange(size),
        "company_id": rng.choice(companies, size),
        "resource_id": rng.integers(1, 40, size),
        "queue_id": rng.integers(1, 6, size),
        "rating": rng.choice([5, 3, 1], size, p=[0.9, 0.06, 0.04]),
        "rated_date": rng.choice(days, size),
    })
    tables = {
        "BI_SmileBack_Reviews": reviews,
        "BI_Autotask_Companies": pd.DataFrame({"company_id": companies}),
        "BI_Date": calendar("2025-01-01", "2026-12-31"),
    }
    import time

    started = time.perf_counter()
    happy = evaluate("CSAT - Happy % MoM Change", tables, "client_month")
    elapsed = time.perf_counter() - started
    assert len(happy) == 200 * 24
    assert elapsed < 5.0  # well under a second normally; generous for slow CI machines
    counts = evaluate("CSAT - Total Ratings", tables, "client_month")
    assert sum(value for value in counts if value is not None) == size
