"""Property tests: on random small datasets, the DAX engine agrees with the pandas reference (DESIGN section 7).

Each example draws a dataset plan (``random_data.py``: a 2-4 month calendar, a few companies, technicians and
queues, 0-40 tickets open and closed with time entries, reviews, survey responses and NPS responses, with
NULL technicians and queues, partial first and last months, clients without reviews or with only Neutral
ones, and a month without any response), writes it to a fresh DuckDB file through the targets layer, and
compares the engine's value of the generated measures with the reference's on the standard slices, as
``gen-measures validate`` does. The hand-written edge cases run every measure on every slice; the random
examples run a drawn subset of measures and slices (all 27 measures on all 6 slices take ~3 s a dataset).
Two more properties need no reference slice: the response rate grouped by
``BI_SmileBack_Surveys[survey_month]`` (DESIGN section 3), and counts that add up to the grand total over
every slice, the dimension's blank row included. Deliberately wrong measures show that the comparison fails
when it should.

The examples are derandomized so CI is reproducible. To search harder locally, run e.g.
``ENGINE_PROPERTY_EXAMPLES=500 pytest tests/test_engine_properties.py`` (random seeds, more examples).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from random_data import ALL_NEUTRAL, NO_REVIEWS, CompanyPlan, NpsPlan, Plan, TicketPlan, build_tables, plans

from generator.demo.load import write_tables
from generator.engine.model import EngineMeasure, EngineModel
from generator.engine.run import Engine
from generator.engine.sources import model_from_spec
from generator.reference import MEASURES as REFERENCE_MEASURES
from generator.reference import SLICES, Parameters, evaluate
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir
from generator.spec.model import Model
from generator.targets import open_database
from generator.targets.frames import read_semantic_tables
from generator.targets.schema import ensure_schema
from generator.validation.compare import SLICE_COLUMNS, Check, Validation, same_value, slice_query, validate

MODEL: Model = load_model(default_spec_dir())
ENGINE_MODEL: EngineModel = model_from_spec(MODEL)
PARAMETERS = Parameters(**{p.name: p.value for p in MODEL.parameters})
MEASURE_NAMES: tuple[str, ...] = tuple(m.name for m in MODEL.measures)

_EXPLORE = os.environ.get("ENGINE_PROPERTY_EXAMPLES")
PROPERTY = settings(
    max_examples=int(_EXPLORE) if _EXPLORE else 30,
    derandomize=not _EXPLORE,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------------------------------- helpers


@contextmanager
def _loaded(plan: Plan, model: EngineModel = ENGINE_MODEL) -> Iterator[tuple[Engine, dict[str, pd.DataFrame]]]:
    """``plan`` written to a throw-away DuckDB file through the targets layer: an engine reading it (read-only,
    as ``gen-measures validate`` opens it) and the tables read back, as the reference gets them."""
    with tempfile.TemporaryDirectory(prefix="engine-props-") as folder:
        path = Path(folder) / "bi.duckdb"
        database = open_database(str(path))
        try:
            ensure_schema(database, MODEL)
            write_tables(database, MODEL, build_tables(plan), "property test")
            tables = read_semantic_tables(database, MODEL)
        finally:
            database.close()
        connection = duckdb.connect(str(path), read_only=True)
        try:
            yield Engine(model, connection), tables
        finally:
            connection.close()


def _validate(plan: Plan, *jobs: tuple[Sequence[str], Sequence[str]], model: EngineModel = ENGINE_MODEL) -> Validation:
    """``validate`` of each (measures, slices) job on ``plan``, as one Validation."""
    checks: list[Check] = []
    with _loaded(plan, model) as (engine, tables):
        for measures, slices in jobs:
            checks += validate(engine, tables, list(measures), PARAMETERS, list(slices)).checks
    return Validation(tuple(checks), tuple(dict.fromkeys(m for job in jobs for m in job[0])),
                      tuple(dict.fromkeys(s for job in jobs for s in job[1])))


def _shown(value: object) -> str:
    return "BLANK" if value is None else f"{value:.12g}" if isinstance(value, float) else str(value)


def _report(mismatches: Sequence[Check], limit: int = 40) -> str:
    lines = [f"{len(mismatches)} mismatches (engine vs reference):"]
    lines += [f"  {c.measure} | {c.slice} | {c.key} | engine {_shown(c.engine)} | reference {_shown(c.reference)}"
              + (f" | {c.error}" if c.error else "") for c in mismatches[:limit]]
    if len(mismatches) > limit:
        lines.append(f"  … and {len(mismatches) - limit} more")
    return "\n".join(lines)


def _assert_agree(validation: Validation) -> None:
    assert validation.checks, "validate compared nothing"
    assert not validation.mismatches, _report(validation.mismatches)


# -------------------------------------------------------------------------------------- hand-written datasets

_DAY = 24 * 60


def _ticket(company: int, created_day: float, closed_days: float | None = 0.5, rating: int | None = None, *,
            resource: int | None = 0, queue: int | None = 0, **extra: Any) -> TicketPlan:
    """A ticket created ``created_day`` days into the calendar, closed ``closed_days`` later (None: open)."""
    closed = None if closed_days is None else int(closed_days * _DAY)
    return TicketPlan(company, resource, queue, int(created_day * _DAY), closed, rating=rating, **extra)


EMPTY_FACTS = Plan(companies=(CompanyPlan(), CompanyPlan(since=10, churned=40)), resources=2, queues=2)
NOTHING_AT_ALL = Plan(companies=(), resources=0, queues=0)
# Jan-Mar 2026: client 0 mixed ratings, client 1 all Neutral, client 2 closed tickets but no reviews,
# client 3 nothing at all; February has tickets (opened and closed) but no review, survey or NPS response.
EDGE_CASES = Plan(
    first_month=date(2026, 1, 1),
    months=3,
    companies=(CompanyPlan(since=-30), CompanyPlan(reviews=ALL_NEUTRAL), CompanyPlan(churned=45, reviews=NO_REVIEWS),
               CompanyPlan(since=70)),
    resources=3,
    queues=2,
    tickets=(
        _ticket(0, 1, 0.2, 5, sla_met=True, first_contact=True, entries=((0, 6, 0),), response_after=30),
        _ticket(0, 3, 1.5, 1, resource=1, sla_met=False, entries=((1, 4, 0), (0, 2, 1))),
        _ticket(0, 10, 2, 3, queue=1, response_after=5),
        _ticket(0, 12, 1, 5, resource=None, sla_met=True),
        _ticket(1, 5, 1, 5, resource=1, queue=1, first_contact=False, entries=((1, 8, 0),)),
        _ticket(1, 20, 0.5, 1, resource=1, queue=None, surveyed=False),
        _ticket(2, 8, 3, 5, resource=2, sla_met=True, entries=((2, 12, 2),)),
        _ticket(0, 35, 2, 5, first_contact=True),                 # February: closed, its review silenced
        _ticket(1, 40, None, None, resource=2),                   # February: opened, still open
        _ticket(2, 29, 4, None, resource=2, queue=1),             # opened in January, closed in February
        _ticket(0, 62, 0.1, 5, resource=1, rated_after=_DAY),    # March
        _ticket(0, 70, 1, 3, resource=0, sla_met=False),
        _ticket(1, 75, 2, 5, resource=0, queue=1),
        _ticket(0, 88, 5, 5, resource=1, entries=((1, 16, 0),)), # closed on the last day (clipped)
    ),
    nps=(NpsPlan(0, 2 * _DAY, 10), NpsPlan(0, 3 * _DAY, 6), NpsPlan(1, 50 * _DAY, 9), NpsPlan(1, 65 * _DAY, 7),
         NpsPlan(2, 70 * _DAY, 0)),
    silent_month=1,
)
# a calendar of partial months (15 Nov 2025 - 10 Feb 2026) with every review in one month
PARTIAL_MONTHS = Plan(
    first_month=date(2025, 11, 1),
    months=4,
    start_offset=14,
    end_trim=18,
    companies=(CompanyPlan(), CompanyPlan(since=20, churned=60)),
    resources=2,
    queues=1,
    tickets=(*(_ticket(i % 2, 20 + i, 0.5, (5, 3, 1)[i % 3], resource=i % 2) for i in range(12)),
             _ticket(0, 0, 0.1, None), _ticket(1, 86, None, None, resource=None)),
    nps=tuple(NpsPlan(i % 2, (i * 7 + 1) * _DAY, i) for i in range(11)),
)
HAND_WRITTEN = {"empty facts": EMPTY_FACTS, "nothing at all": NOTHING_AT_ALL, "edge cases": EDGE_CASES,
                "partial months": PARTIAL_MONTHS}


def test_measure_catalogue_matches_reference() -> None:
    """Every generated measure has a reference implementation (else validate would compare with BLANK)."""
    assert set(MEASURE_NAMES) == set(REFERENCE_MEASURES)


def test_edge_case_plans_have_their_edge_cases() -> None:
    """The hand-written plans really contain what their comments promise."""
    tables = build_tables(EDGE_CASES)
    reviews, surveys, tickets = (tables[t] for t in ("BI_SmileBack_Reviews", "BI_SmileBack_Surveys",
                                                     "BI_Autotask_Tickets"))
    assert set(reviews.loc[reviews["company_id"] == 1002, "rating"]) == {3}
    assert (reviews["company_id"] == 1003).sum() == 0 and (tickets["company_id"] == 1003).sum() > 0
    february = pd.Timestamp(2026, 2, 1)
    assert (tickets["created_date"].dt.to_period("M").dt.start_time == february).any()
    assert (tickets["completed_month"] == february).any()
    assert not (surveys["survey_month"] == february).any()
    assert not (reviews["rated_date"].dt.to_period("M").dt.start_time == february).any()
    assert tickets["completed_date"].isna().any() and tickets["assigned_resource_id"].isna().any()
    empty = build_tables(EMPTY_FACTS)
    facts = [name for name in empty if name.startswith(("BI_Autotask_T", "BI_SmileBack_"))]
    assert len(facts) == 5 and all(empty[name].empty for name in facts)
    calendar = build_tables(PARTIAL_MONTHS)["BI_Date"]["date"]
    assert (calendar.min(), calendar.max()) == (pd.Timestamp(2025, 11, 15), pd.Timestamp(2026, 2, 10))


@pytest.mark.parametrize("name", list(HAND_WRITTEN))
def test_hand_written_datasets_agree(name: str) -> None:
    """Every measure on every slice."""
    _assert_agree(_validate(HAND_WRITTEN[name], (MEASURE_NAMES, SLICES)))


# --------------------------------------------------------------------------------------------- random datasets


def _subset(names: Sequence[str], low: int, high: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(list(names)), min_size=low, max_size=high, unique=True)


@st.composite
def _selection(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Measures (in catalogue order) and slices to compare in one example."""
    measures = set(draw(_subset(MEASURE_NAMES, 1, 12)))
    slices = set(draw(_subset(SLICES, 1, 3)))
    return [m for m in MEASURE_NAMES if m in measures], [s for s in SLICES if s in slices]


@PROPERTY
@given(plan=plans(), selection=_selection())
def test_engine_agrees_with_reference_on_random_data(plan: Plan, selection: tuple[list[str], list[str]]) -> None:
    measures, slices = selection
    _assert_agree(_validate(plan, (measures, slices)))


@settings(PROPERTY, max_examples=max(1, PROPERTY.max_examples // 4))
@given(plan=plans())
def test_response_rate_by_survey_month_is_that_months_rate(plan: Plan) -> None:
    """Grouped by BI_SmileBack_Surveys[survey_month] (DESIGN section 3), the response rate divides by the tickets
    closed in that month: it equals the reference's value for the month on the month slice."""
    name = "SB - Survey Response Rate %"
    with _loaded(plan) as (engine, tables):
        rows = engine.query(f"EVALUATE SUMMARIZECOLUMNS(BI_SmileBack_Surveys[survey_month], \"r\", [{name}])")[0].rows
    by_month = evaluate(name, tables, "month", PARAMETERS)
    got = {pd.Timestamp(month): value for month, value in rows}
    months = set(tables["BI_SmileBack_Surveys"]["survey_month"])
    expected = {month: by_month.loc[month] for month in months if by_month.loc[month] is not None}
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    wrong = {m: (got[m], expected[m]) for m in got if not same_value(got[m], expected[m])}
    assert not wrong, f"engine vs reference by survey_month: {wrong}"


# ------------------------------------------------------------------------------------ rows add up to the total

# count measures whose facts reach every slice axis: in Power BI their slice rows add up to the grand total,
# because fact rows without a match on an axis (a ticket without technician, an open ticket's blank completion
# date) land on the dimension's blank row, which SUMMARIZECOLUMNS shows (and validate leaves out)
ADDITIVE = ("Tickets - Opened", "Tickets - Closed", "CSAT - Total Ratings", "CSAT - Positive", "CSAT - Neutral",
            "CSAT - Negative", "SB - Survey Responses")


@settings(PROPERTY, max_examples=max(1, PROPERTY.max_examples // 4))
@given(plan=plans())
def test_count_rows_add_up_to_the_total_with_the_blank_row(plan: Plan) -> None:
    """Summed over the rows of every slice (its blank row included), each count is the grand total."""
    with _loaded(plan) as (engine, _):
        total = engine.query(slice_query("total", ADDITIVE))[0].rows[0]
        for slice_name in SLICES[1:]:
            width = len(SLICE_COLUMNS[slice_name])
            result = engine.query(slice_query(slice_name, ADDITIVE))[0]
            for index, measure in enumerate(ADDITIVE):
                summed = sum(row[width + index] or 0 for row in result.rows)
                assert summed == (total[index] or 0), (measure, slice_name, result.rows)


def test_the_blank_technician_row_holds_the_unassigned_ticket() -> None:
    """EDGE_CASES has one closed ticket without a technician: Power BI shows it under a (Blank) technician."""
    query = slice_query("technician", ["Tickets - Closed"])
    with _loaded(EDGE_CASES) as (engine, tables):
        rows = dict(engine.query(query)[0].rows)
    closed = tables["BI_Autotask_Tickets"].dropna(subset=["completed_date"])
    assert rows.pop(None) == closed["assigned_resource_id"].isna().sum() == 1
    assert rows == closed.groupby("assigned_resource_id").size().to_dict()


# ------------------------------------------------------------------------------------------ the test can fail


def _mutant(name: str, expression: str) -> EngineModel:
    original = ENGINE_MODEL.measure(name)
    assert original is not None
    return ENGINE_MODEL.with_measures((EngineMeasure(name, original.table, expression, origin="mutant"),))


MUTANTS = {
    # counts Neutral as Happy
    "CSAT - Happy %": ("DIVIDE ( [CSAT - Positive] + [CSAT - Neutral] + 0, [CSAT - Total Ratings] )", "client"),
    # opened tickets by the completed date (the active relationship) instead of the created date
    "Tickets - Opened": ("COUNTROWS ( BI_Autotask_Tickets )", "month"),
    # the portfolio baseline keeps the client filter: always 0 on a client slice
    "CSAT - Happy % vs Portfolio": ("IF ( NOT ISBLANK ( [CSAT - Happy %] ), 0 )", "client"),
}


@pytest.mark.parametrize("measure", list(MUTANTS))
def test_a_wrong_measure_is_reported(measure: str) -> None:
    """validate reports a deliberately wrong measure (so agreement above means something)."""
    expression, slice_name = MUTANTS[measure]
    result = _validate(EDGE_CASES, ([measure], [slice_name]), model=_mutant(measure, expression))
    assert result.mismatches, f"the mutant of {measure} went unnoticed on the {slice_name} slice"
    assert all(c.measure == measure and c.slice == slice_name for c in result.mismatches)
    assert "mismatches (engine vs reference)" in _report(result.mismatches)


@settings(PROPERTY, max_examples=max(1, PROPERTY.max_examples // 4))
@given(plan=plans())
def test_a_wrong_happy_pct_is_reported_whenever_there_is_a_neutral_review(plan: Plan) -> None:
    """On any dataset with a Neutral review, the Neutral-as-Happy mutant disagrees on the grand total."""
    assume((build_tables(plan)["BI_SmileBack_Reviews"]["rating"] == 3).any())
    mutant = _mutant("CSAT - Happy %", MUTANTS["CSAT - Happy %"][0])
    result = _validate(plan, (["CSAT - Happy %"], ["total"]), model=mutant)
    assert [c.key for c in result.mismatches] == ["Total"]
