"""A corpus of real-world style DAX measures (tests/fixtures/dax_corpus) through the parser and the engine.

Every measure of the corpus is written against this repository's model (the ``BI_`` tables and measures). The
tests check that (a) every one parses; (b) on the demo database, evaluated as ``EVALUATE ROW("v", …)`` and as
``EVALUATE SUMMARIZECOLUMNS(BI_Autotask_Companies[company_name], "v", …)``, every one either returns a result
or is refused with :class:`Unsupported` — never another error — and exactly the measures listed in ``REFUSED``
are refused; (c) for a subset, the numbers equal hand-written SQL over the same tables.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from generator.dax.parser import parse_expression
from generator.engine.errors import Unsupported
from generator.engine.run import Engine, QueryResult
from generator.engine.sources import load_engine_model
from tests.conftest import ROOT

CORPUS = Path(__file__).parent / "fixtures" / "dax_corpus"

# The corpus measures the engine refuses (Unsupported) in both query shapes; every other one evaluates. Keep it
# in step with the engine: a function that becomes supported moves its measures out of this set.
REFUSED = frozenset({
    "happy_pct_or_na_mixed_types",  # IF with a number and a text result
    "last_day_with_reviews_lastnonblank",  # LASTNONBLANK
    "comments_mentioning_slow_search",  # SEARCH
    "days_since_client_start_today",  # TODAY
})
# Refused as ROW only: ALLSELECTED has no shadow filter context to restore outside SUMMARIZECOLUMNS.
REFUSED_AS_ROW = frozenset({
    "share_of_selection_allselected",
    "reviews_previous_month_allselected_refused",  # OFFSET without a relation: its default is ALLSELECTED
})
CORPUS_SIZE = 144

_NAME_LINE = re.compile(r"^-- name: *(\S+) *$", re.MULTILINE)
# A header naming the measure: "Name :=" anywhere on the first line, or "Name =" alone on it.
_HEADER = re.compile(r"\A[ \t]*(?:(?P<defined>[^\n]*?)[ \t]*:=|(?P<named>[^\n]*?)[ \t]*=[ \t]*(?=\n))")


@dataclass(frozen=True)
class Measure:
    """One corpus entry: its id, file, the measure name of its header (if any) and the DAX expression."""

    id: str
    file: str
    title: str | None
    expression: str


def load_corpus() -> list[Measure]:
    measures = []
    for path in sorted(CORPUS.glob("*.dax")):
        text = path.read_text(encoding="utf-8")
        parts = _NAME_LINE.split(text)
        assert parts[0].strip() == "", f"{path.name}: text before the first '-- name:' line"
        for name, block in zip(parts[1::2], parts[2::2], strict=True):
            body = block.strip("\n")
            header = _HEADER.match(body)
            title = (header.group("defined") or header.group("named")).strip() if header else None
            expression = body[header.end():] if header else body
            measures.append(Measure(name, path.name, title, expression))
    return measures


MEASURES = load_corpus()
BY_ID = {m.id: m for m in MEASURES}


def row_query(expression: str) -> str:
    # New lines around the expression: a trailing // comment must not swallow the closing parenthesis.
    return f'EVALUATE ROW("v",\n{expression}\n)'


def grouped_query(expression: str, column: str = "BI_Autotask_Companies[company_name]") -> str:
    return f'EVALUATE SUMMARIZECOLUMNS({column}, "v",\n{expression}\n)'


# ------------------------------------------------------------------------------------------------------ parse


def test_corpus_shape() -> None:
    assert len(MEASURES) == CORPUS_SIZE >= 60
    assert len(BY_ID) == len(MEASURES), "duplicate '-- name:' ids"
    assert set(BY_ID) >= REFUSED
    assert sum(m.title is not None for m in MEASURES) >= len(MEASURES) - 5  # most carry a "Name :=" header


@pytest.mark.parametrize("measure", MEASURES, ids=[m.id for m in MEASURES])
def test_parses(measure: Measure) -> None:
    parse_expression(measure.expression)


# --------------------------------------------------------------------------------------------------- evaluate


@pytest.fixture(scope="module")
def connection(demo_db: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The session's demo dataset (tests/conftest.py), opened read-only."""
    con = duckdb.connect(demo_db, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def engine(connection: duckdb.DuckDBPyConnection) -> Engine:
    return Engine(load_engine_model(None, ROOT), connection)


Outcome = QueryResult | Exception


def _run(engine: Engine, query: str) -> Outcome:
    try:
        (result,) = engine.query(query)
    except Exception as error:  # classified by the tests: Unsupported is allowed, nothing else
        return error
    return result


@pytest.fixture(scope="module")
def outcomes(engine: Engine) -> dict[str, tuple[Outcome, Outcome]]:
    """Each measure as ROW and as SUMMARIZECOLUMNS by client, evaluated once for all tests."""
    return {m.id: (_run(engine, row_query(m.expression)), _run(engine, grouped_query(m.expression)))
            for m in MEASURES}


@pytest.mark.parametrize("measure", MEASURES, ids=[m.id for m in MEASURES])
def test_evaluates_or_is_refused(measure: Measure, outcomes: dict[str, tuple[Outcome, Outcome]]) -> None:
    for shape, outcome in zip(("ROW", "SUMMARIZECOLUMNS"), outcomes[measure.id], strict=True):
        if isinstance(outcome, Exception) and not isinstance(outcome, Unsupported):
            raise AssertionError(f"{shape}: {type(outcome).__name__}: {outcome}") from outcome
    row, _ = outcomes[measure.id]
    if isinstance(row, QueryResult):
        assert row.columns == ("[v]",) and len(row.rows) == 1


def test_refused_and_evaluated_counts(outcomes: dict[str, tuple[Outcome, Outcome]]) -> None:
    refused_row = {name for name, (row, _) in outcomes.items() if isinstance(row, Unsupported)}
    refused_grouped = {name for name, (_, grouped) in outcomes.items() if isinstance(grouped, Unsupported)}
    evaluated = {name for name, pair in outcomes.items() if all(isinstance(o, QueryResult) for o in pair)}
    print(f"corpus: {len(MEASURES)} parse, {len(evaluated)} evaluate, {len(refused_row | refused_grouped)} refused")
    assert refused_row - REFUSED_AS_ROW == refused_grouped == REFUSED, (
        f"newly refused: {sorted((refused_row | refused_grouped) - REFUSED - REFUSED_AS_ROW)}; "
        f"no longer refused: {sorted(REFUSED - refused_row - refused_grouped)}")
    assert refused_row & REFUSED_AS_ROW == REFUSED_AS_ROW
    assert (len(evaluated), len(REFUSED)) == (138, 4)
    assert len(evaluated) + len(REFUSED) + len(REFUSED_AS_ROW) == len(MEASURES)


# ---------------------------------------------------------------------------------------------- hand-checked

# Measure id -> (query shape, SQL computing the same numbers from the demo tables). Shapes: "row" is one value;
# "company", "month" and "year" are (group value, value) rows of SUMMARIZECOLUMNS by
# BI_Autotask_Companies[company_name], BI_Date[year_month] or BI_Date[year] (rows whose value is BLANK are left
# out, as SUMMARIZECOLUMNS leaves them out).
_HAPPY = "AVG(CASE WHEN rating = 5 THEN 1.0 ELSE 0 END)"
# Reviews from the start of the fiscal year ending June 30 to the end of each month of BI_Date (months without
# reviews so far give BLANK and are left out).
_FISCAL_YTD = """
    WITH months AS (SELECT DISTINCT year_month, month_start FROM BI_Date),
         bounds AS (SELECT year_month, last_day(month_start) AS last,
                           CASE WHEN month(month_start) >= 7 THEN make_date(year(month_start), 7, 1)
                                ELSE make_date(year(month_start) - 1, 7, 1) END AS first FROM months),
         counted AS (SELECT year_month, (SELECT COUNT(*) FROM BI_SmileBack_Reviews r
                                         WHERE r.rated_date BETWEEN first AND last) AS n FROM bounds)
    SELECT year_month, n FROM counted WHERE n > 0"""
_MONTHS = """
    WITH m AS (SELECT year_month, row_number() OVER (ORDER BY year_month) AS i
               FROM (SELECT DISTINCT year_month FROM BI_Date)),
         c AS (SELECT strftime(rated_date, '%Y-%m') AS ym, COUNT(*) AS k FROM BI_SmileBack_Reviews GROUP BY 1)"""
HAND_CHECKED: dict[str, tuple[str, str]] = {
    "reviews_happy_boolean_filter": ("company", """
        SELECT c.company_name, COUNT(*) FROM BI_SmileBack_Reviews r JOIN BI_Autotask_Companies c USING (company_id)
        WHERE r.rating = 5 GROUP BY 1"""),
    "happy_share_var_divide": ("row", f"SELECT {_HAPPY} FROM BI_SmileBack_Reviews"),
    "average_rating_sumx": ("company", """
        SELECT c.company_name, AVG(r.rating) FROM BI_SmileBack_Reviews r JOIN BI_Autotask_Companies c USING (company_id)
        GROUP BY 1"""),
    "not_happy_in_list": ("row", "SELECT COUNT(*) FROM BI_SmileBack_Reviews WHERE rating IN (1, 3)"),
    "share_of_portfolio_all_table": ("company", """
        SELECT c.company_name, COUNT(*) / (SELECT COUNT(*) FROM BI_SmileBack_Reviews)
        FROM BI_SmileBack_Reviews r JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "top5_clients_reviews_topn": ("row", """
        SELECT SUM(n) FROM (SELECT company_id, COUNT(*) AS n FROM BI_SmileBack_Reviews GROUP BY 1
                            ORDER BY n DESC LIMIT 5)"""),
    # A client without reviews has a BLANK Happy %, and BLANK < 0.85 is TRUE in DAX: it counts.
    "clients_below_target": ("row", f"""
        SELECT COUNT(*) FROM BI_Autotask_Companies c
        WHERE COALESCE((SELECT {_HAPPY} FROM BI_SmileBack_Reviews r WHERE r.company_id = c.company_id), 0) < 0.85"""),
    "weighted_score_switch_sumx": ("row", """
        SELECT AVG(CASE rating WHEN 5 THEN 100 WHEN 3 THEN 50 ELSE 0 END) FROM BI_SmileBack_Reviews"""),
    "service_desk_reviews_related": ("company", """
        SELECT c.company_name, COUNT(*) FROM BI_SmileBack_Reviews r JOIN BI_Autotask_Companies c USING (company_id)
        JOIN BI_Autotask_Queues q USING (queue_id) WHERE q.queue_name = 'Service Desk' GROUP BY 1"""),
    "reviews_with_comment_filter": ("row", """
        SELECT COUNT(*) FROM BI_SmileBack_Reviews WHERE comment IS NOT NULL AND length(comment) > 0"""),
    "comments_mentioning_thanks": ("row", """
        SELECT COUNT(*) FROM BI_SmileBack_Reviews WHERE lower(comment) LIKE '%thanks%'"""),
    "client_queue_pairs_crossjoin": ("company", """
        SELECT c.company_name, COUNT(DISTINCT r.queue_id) FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "technician_count_summarize": ("company", """
        SELECT c.company_name, COUNT(DISTINCT t.technician_name) FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c USING (company_id) JOIN BI_Autotask_Resources t USING (resource_id) GROUP BY 1"""),
    "happy_pct_selectcolumns_averagex": ("row", f"""
        SELECT AVG(p) FROM (SELECT company_id, {_HAPPY} AS p FROM BI_SmileBack_Reviews GROUP BY 1)"""),
    "nps_score_var": ("company", """
        SELECT c.company_name,
               (COUNT(*) FILTER (WHERE n.score >= 9) - COUNT(*) FILTER (WHERE n.score <= 6)) * 100.0 / COUNT(*)
        FROM BI_SmileBack_NPS n JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "open_urgent_tickets_in": ("company", """
        SELECT c.company_name, COUNT(*) FROM BI_Autotask_Tickets t JOIN BI_Autotask_Companies c USING (company_id)
        WHERE t.priority IN ('Critical', 'High') AND t.status <> 'Complete' GROUP BY 1"""),
    "opened_2026_userelationship": ("row", """
        SELECT COUNT(*) FROM BI_Autotask_Tickets WHERE year(created_date) = 2026"""),
    "hours_logged_by_technician_userelationship": ("company", """
        SELECT c.company_name, SUM(e.hours_worked) FROM BI_Autotask_TimeEntries e
        JOIN BI_Autotask_Resources r ON r.resource_id = e.resource_id
        JOIN BI_Autotask_Tickets t ON t.ticket_id = e.ticket_id
        JOIN BI_Autotask_Companies c ON c.company_id = t.company_id
        WHERE r.technician_name = 'Lisa Park' GROUP BY 1"""),
    "avg_resolution_days_datediff": ("row", """
        SELECT AVG(date_diff('day', created_date, completed_date)) FROM BI_Autotask_Tickets
        WHERE completed_at IS NOT NULL"""),
    "avg_first_response_minutes_datediff": ("row", """
        SELECT AVG(date_diff('minute', created_at, first_response_at)) FROM BI_Autotask_Tickets"""),
    "weekend_hours_weekday": ("row", """
        SELECT SUM(hours_worked) FROM BI_Autotask_TimeEntries WHERE isodow(date_worked) >= 6"""),
    "billable_hours_sumx_related_flag": ("row", """
        SELECT SUM(t.hours_worked) FROM BI_Autotask_Tickets t JOIN BI_Autotask_Companies c USING (company_id)
        WHERE c.is_active"""),
    "hours_per_closed_ticket_var": ("company", """
        SELECT c.company_name, AVG(t.hours_worked) FROM BI_Autotask_Tickets t
        JOIN BI_Autotask_Companies c USING (company_id) WHERE t.status = 'Complete' GROUP BY 1"""),
    "top_queue_by_hours_topn_maxx": ("row", """
        SELECT MAX(h) FROM (SELECT queue_id, SUM(hours_worked) AS h FROM BI_Autotask_Tickets GROUP BY 1)"""),
    "reviews_q1_datesbetween": ("row", """
        SELECT COUNT(*) FROM BI_SmileBack_Reviews WHERE rated_date BETWEEN DATE '2026-01-01' AND DATE '2026-03-31'"""),
    "happy_last_3_months_filter_all": ("row", f"""
        SELECT {_HAPPY} FROM BI_SmileBack_Reviews
        WHERE rated_date > (SELECT MAX(rated_date) FROM BI_SmileBack_Reviews) - INTERVAL 3 MONTH
          AND rated_date <= (SELECT MAX(rated_date) FROM BI_SmileBack_Reviews)"""),
    # CROSSFILTER BOTH: the companies with a ticket completed in the month (the blank month: open tickets).
    "clients_reached_crossfilter": ("month", """
        SELECT strftime(completed_date, '%Y-%m'), COUNT(DISTINCT company_id) FROM BI_Autotask_Tickets GROUP BY 1"""),
    # ALLSELECTED(companies) in SUMMARIZECOLUMNS by company without filter tables: the share of all tickets.
    "share_of_selection_allselected": ("company", """
        SELECT c.company_name, COUNT(*) / (SELECT COUNT(*) FROM BI_Autotask_Tickets)
        FROM BI_Autotask_Tickets t JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "reviews_previous_month": ("month", """
        SELECT strftime(rated_date + INTERVAL 1 MONTH, '%Y-%m'), COUNT(*) FROM BI_SmileBack_Reviews GROUP BY 1"""),
    "reviews_ytd_datesytd": ("month", """
        WITH months AS (SELECT DISTINCT year, year_month, month_start FROM BI_Date),
             ytd AS (SELECT m.year_month, (SELECT COUNT(*) FROM BI_SmileBack_Reviews r
                                           WHERE year(r.rated_date) = m.year
                                             AND r.rated_date <= last_day(m.month_start)) AS n FROM months m)
        SELECT year_month, n FROM ytd WHERE n > 0"""),
    "closed_yoy_pct_dateadd": ("row", """
        SELECT (COUNT(completed_date) - COUNT(*) FILTER (WHERE year(completed_date) = 2025))
               / COUNT(*) FILTER (WHERE year(completed_date) = 2025) FROM BI_Autotask_Tickets"""),
    "clients_older_than_each_var": ("row", """
        SELECT COUNT(*) FROM BI_Autotask_Companies a
        JOIN BI_Autotask_Companies b ON b.client_since < a.client_since"""),
    "earlier_clients_older_than_each": ("row", """
        SELECT COUNT(*) FROM BI_Autotask_Companies a
        JOIN BI_Autotask_Companies b ON b.client_since < a.client_since"""),
    "median_rating_statistical": ("company", """
        SELECT c.company_name, median(r.rating) FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c ON c.company_id = r.company_id GROUP BY 1"""),
    # Open tickets have no completed_date: they belong to BI_Date's blank row, which Power BI shows as a BLANK year.
    "ticket_count_countrows": ("year", "SELECT year(completed_date), COUNT(*) FROM BI_Autotask_Tickets GROUP BY 1"),
    # Filters compare text case-insensitively in Power BI: "complete" selects the "Complete" tickets.
    "completed_treatas_parameter_value": ("row", """
        SELECT COUNT(*) FROM BI_Autotask_Tickets WHERE lower(status) = 'complete'"""),
    # real_world_patterns.dax (issue 22)
    "rating_spread_stdev_p": ("company", """
        SELECT c.company_name, stddev_pop(r.rating) FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "reviews_per_client_varx_p": ("row", """
        SELECT var_pop(n) FROM (SELECT company_id, COUNT(*) AS n FROM BI_SmileBack_Reviews GROUP BY 1)"""),
    "rating_p90_percentile_inc": ("company", """
        SELECT c.company_name, quantile_cont(r.rating, 0.9) FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    # Excel's exclusive rank k(n + 1) over the sorted values (lists are 1-based)
    "hours_p25_percentilex_exc": ("row", """
        WITH s AS (SELECT list_sort(list(hours_worked::DOUBLE)) AS l, COUNT(hours_worked) AS n
                   FROM BI_Autotask_TimeEntries),
             r AS (SELECT l, 0.25 * (n + 1) AS k FROM s)
        SELECT l[floor(k)::INT] + (k - floor(k)) * (l[floor(k)::INT + 1] - l[floor(k)::INT]) FROM r"""),
    "hours_spread_stdevx_p": ("row", "SELECT stddev_pop(hours_worked) FROM BI_Autotask_Tickets"),
    "happy_share_iferror_divide": ("company", f"""
        SELECT c.company_name, {_HAPPY} FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "reviews_fiscal_ytd_datesytd_year_end": ("month", _FISCAL_YTD),
    "reviews_fiscal_ytd_totalytd_year_end": ("month", _FISCAL_YTD),
    "reviews_previous_year": ("year", """
        SELECT year(rated_date) + 1, COUNT(*) FROM BI_SmileBack_Reviews GROUP BY 1
        HAVING year(rated_date) + 1 IN (SELECT year FROM BI_Date)"""),
    "reviews_next_month": ("month", """
        SELECT strftime(rated_date - INTERVAL 1 MONTH, '%Y-%m'), COUNT(*) FROM BI_SmileBack_Reviews GROUP BY 1"""),
    "reviews_on_first_day_startofmonth": ("month", """
        SELECT strftime(rated_date, '%Y-%m'), COUNT(*) FROM BI_SmileBack_Reviews WHERE day(rated_date) = 1
        GROUP BY 1"""),
    "reviews_on_last_day_endofmonth": ("month", """
        SELECT strftime(rated_date, '%Y-%m'), COUNT(*) FROM BI_SmileBack_Reviews
        WHERE rated_date = last_day(rated_date) GROUP BY 1"""),
    "reviews_opening_balance_month": ("month", """
        SELECT strftime(rated_date + INTERVAL 1 DAY, '%Y-%m'), COUNT(*) FROM BI_SmileBack_Reviews
        WHERE rated_date = last_day(rated_date) GROUP BY 1"""),
    "weighted_reviews_datatable": ("company", """
        SELECT c.company_name, SUM(CASE r.rating WHEN 5 THEN 1.0 WHEN 3 THEN 0.5 ELSE 0 END)
        FROM BI_SmileBack_Reviews r JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1"""),
    "what_if_generateseries": ("row", "SELECT (1 + 2 + 3 + 4 + 5) * COUNT(*) FROM BI_SmileBack_Reviews"),
    "days_in_2026_calendar": ("row", "SELECT 365"),
    "reviews_per_hundred_exponent": ("row", "SELECT COUNT(*) / 100.0 FROM BI_SmileBack_Reviews"),
    "reviews_since_2026_dt_literal": ("row", """
        SELECT COUNT(*) FROM BI_SmileBack_Reviews WHERE rated_date >= DATE '2026-01-01'"""),
    "hours_third_currency": ("row", "SELECT round(SUM(hours_worked)::DOUBLE / 3, 4) FROM BI_Autotask_TimeEntries"),
    # window functions over BI_Date's months in order (a: the group's month, b: the months its window holds)
    "reviews_rolling_3_months_window": ("month", _MONTHS + """
        SELECT a.year_month, SUM(c.k) FROM m a JOIN m b ON b.i BETWEEN a.i - 2 AND a.i
        JOIN c ON c.ym = b.year_month GROUP BY 1"""),
    "reviews_previous_month_offset": ("month", _MONTHS + """
        SELECT a.year_month, c.k FROM m a JOIN m b ON b.i = a.i - 1 JOIN c ON c.ym = b.year_month"""),
    "reviews_month_over_month_offset": ("month", _MONTHS + """
        SELECT a.year_month, COALESCE(now.k, 0) - c.k FROM m a JOIN m b ON b.i = a.i - 1
        JOIN c ON c.ym = b.year_month LEFT JOIN c now ON now.ym = a.year_month"""),
    "reviews_running_total_window": ("month", _MONTHS + """
        SELECT a.year_month, SUM(c.k) FROM m a JOIN m b ON b.i <= a.i JOIN c ON c.ym = b.year_month GROUP BY 1"""),
    "reviews_latest_month_index": ("company", """
        SELECT c.company_name, COUNT(*) FROM BI_SmileBack_Reviews r JOIN BI_Autotask_Companies c USING (company_id)
        WHERE strftime(r.rated_date, '%Y-%m') = (SELECT max(strftime(x.rated_date, '%Y-%m'))
                                                 FROM BI_SmileBack_Reviews x WHERE x.company_id = r.company_id)
        GROUP BY 1"""),
    # BI_Date has Power BI's blank row (open tickets have no completion date): a month group of its own, first in
    # ascending order; with no reviews its count is BLANK, which DESC puts after every count
    "month_rank_by_reviews_rank_dense": ("month", """
        WITH c AS (SELECT strftime(rated_date, '%Y-%m') AS ym, COUNT(*) AS k FROM BI_SmileBack_Reviews GROUP BY 1)
        SELECT m.year_month, dense_rank() OVER (ORDER BY c.k DESC NULLS LAST)
        FROM (SELECT DISTINCT year_month FROM BI_Date UNION SELECT NULL) m LEFT JOIN c ON c.ym = m.year_month"""),
    "month_number_rownumber": ("month", """
        SELECT year_month, row_number() OVER (ORDER BY year_month NULLS FIRST)
        FROM (SELECT DISTINCT year_month FROM BI_Date UNION SELECT NULL)"""),
    # formatting_patterns.dax (issue 22: FORMAT, SUMMARIZE with added columns, CALENDARAUTO, PATH…, Currency)
    "latest_review_month_format": ("row", "SELECT strftime(MAX(rated_date), '%b %Y') FROM BI_SmileBack_Reviews"),
    "reviews_label_format_thousands": ("row", """
        SELECT format('{:,d}', COUNT(*)) || ' reviews' FROM BI_SmileBack_Reviews"""),
    "hours_logged_standard_format": ("row", """
        SELECT format('{:,.2f}', round(SUM(hours_worked)::DOUBLE, 2)) FROM BI_Autotask_TimeEntries"""),
    "most_reviews_for_one_rating_summarize_added_column": ("company", """
        SELECT company_name, MAX(n) FROM (SELECT c.company_name, r.rating, COUNT(*) AS n FROM BI_SmileBack_Reviews r
        JOIN BI_Autotask_Companies c USING (company_id) GROUP BY 1, 2) GROUP BY 1"""),
    # every imported date column of the model, whole calendar years
    "days_in_model_calendarauto": ("row", """
        WITH d(x) AS (SELECT client_since FROM BI_Autotask_Companies
            UNION ALL SELECT churned_on FROM BI_Autotask_Companies
            UNION ALL SELECT last_activity_at FROM BI_Autotask_Companies
            UNION ALL SELECT created_at FROM BI_Autotask_Tickets UNION ALL SELECT created_date FROM BI_Autotask_Tickets
            UNION ALL SELECT first_response_at FROM BI_Autotask_Tickets
            UNION ALL SELECT resolved_at FROM BI_Autotask_Tickets UNION ALL SELECT completed_at FROM BI_Autotask_Tickets
            UNION ALL SELECT completed_date FROM BI_Autotask_Tickets
            UNION ALL SELECT completed_month FROM BI_Autotask_Tickets
            UNION ALL SELECT last_activity_at FROM BI_Autotask_Tickets
            UNION ALL SELECT date_worked FROM BI_Autotask_TimeEntries UNION ALL SELECT date FROM BI_Date
            UNION ALL SELECT quarter_start FROM BI_Date UNION ALL SELECT month_start FROM BI_Date
            UNION ALL SELECT week_start FROM BI_Date UNION ALL SELECT rated_at FROM BI_SmileBack_Reviews
            UNION ALL SELECT rated_date FROM BI_SmileBack_Reviews UNION ALL SELECT survey_date FROM BI_SmileBack_Surveys
            UNION ALL SELECT survey_month FROM BI_SmileBack_Surveys UNION ALL SELECT responded_at FROM BI_SmileBack_NPS
            UNION ALL SELECT responded_date FROM BI_SmileBack_NPS)
        SELECT make_date(year(MAX(x)), 12, 31) - make_date(year(MIN(x)), 1, 1) + 1 FROM d"""),
    "companies_at_level_two_pathlength": ("row", "SELECT COUNT(*) FROM BI_Autotask_Companies"),
    # CURRENCY / INTEGER is a Currency: four decimals
    "hours_per_ticket_currency_division": ("row", """
        SELECT round(round(SUM(hours_worked)::DOUBLE, 4) / COUNT(*), 4) FROM BI_Autotask_Tickets"""),
}
_GROUP_COLUMNS = {"company": "BI_Autotask_Companies[company_name]", "month": "BI_Date[year_month]",
                  "year": "BI_Date[year]"}


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _close(got: Any, want: Any) -> bool:
    got, want = _plain(got), _plain(want)
    if isinstance(want, int | float) and not isinstance(want, bool):
        return isinstance(got, int | float) and not isinstance(got, bool) and math.isclose(got, want, rel_tol=1e-9)
    return got == want


def _hand_params() -> list[Any]:
    params = []
    for name, (shape, sql) in HAND_CHECKED.items():
        params.append(pytest.param(name, shape, sql, id=f"{name}-{shape}"))
    return params


def test_hand_checked_subset_is_large_enough() -> None:
    assert len(HAND_CHECKED) >= 15
    assert not set(HAND_CHECKED) & REFUSED


@pytest.mark.parametrize(("name", "shape", "sql"), _hand_params())
def test_numbers_match_hand_written_sql(name: str, shape: str, sql: str, engine: Engine,
                                       connection: duckdb.DuckDBPyConnection,
                                       outcomes: dict[str, tuple[Outcome, Outcome]]) -> None:
    expression = BY_ID[name].expression
    want = connection.execute(sql).fetchall()
    if shape == "row":
        result = outcomes[name][0]
    elif shape == "company":
        result = outcomes[name][1]
    else:
        result = _run(engine, grouped_query(expression, _GROUP_COLUMNS[shape]))
    assert isinstance(result, QueryResult), result
    if shape == "row":
        (got,) = result.rows[0]
        assert _close(got, want[0][0]), f"engine {got!r}, SQL {want[0][0]!r}"
        return
    got_rows = dict(result.rows)
    want_rows = {key: value for key, value in want}
    only_engine, only_sql = set(got_rows) - set(want_rows), set(want_rows) - set(got_rows)
    assert not only_engine and not only_sql, f"groups only from the engine: {only_engine}; only from SQL: {only_sql}"
    wrong = {key: (got_rows[key], want_rows[key]) for key in want_rows if not _close(got_rows[key], want_rows[key])}
    assert not wrong, f"(engine, SQL) differ: {wrong}"
