"""The DAX engine on the demo data: the query shapes of the issue return the figures of DESIGN section 9,
through the package API and through ``gen-measures query``."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlglot

from generator.engine.run import Engine
from generator.engine.sources import load_engine_model

REVIEWS = "BI_SmileBack_Reviews"
SURVEY_SHAPE = (
    'EVALUATE SUMMARIZECOLUMNS(BI_SmileBack_Surveys[survey_month], "AvgScore", [SB - Average CSAT Score], '
    '"ResponseCount", COUNTROWS(BI_SmileBack_Surveys), "ResponseRate", [SB - Survey Response Rate %]) '
    "ORDER BY BI_SmileBack_Surveys[survey_month]"
)
BREAKDOWN = (
    f"ADDCOLUMNS(SUMMARIZE({REVIEWS}, {REVIEWS}[company_name]), "
    f'"Total", CALCULATE(COUNTROWS({REVIEWS})), '
    f'"Happy %", DIVIDE(CALCULATE(COUNTROWS({REVIEWS}), {REVIEWS}[rating] = 5), CALCULATE(COUNTROWS({REVIEWS}))), '
    f'"Neutral %", DIVIDE(CALCULATE(COUNTROWS({REVIEWS}), {REVIEWS}[rating] = 3), CALCULATE(COUNTROWS({REVIEWS}))), '
    f'"Unhappy %", DIVIDE(CALCULATE(COUNTROWS({REVIEWS}), {REVIEWS}[rating] = 1), CALCULATE(COUNTROWS({REVIEWS}))))'
)


@pytest.fixture(scope="module")
def engine(demo_db: str) -> Iterator[Engine]:
    connection = duckdb.connect(demo_db, read_only=True)
    yield Engine(load_engine_model(None), connection)
    connection.close()


def one(engine: Engine, text: str) -> list[dict]:
    results = engine.query(text)
    assert len(results) == 1
    return results[0].records()


def test_row_of_catalogue_measures_gives_the_headline(engine: Engine) -> None:
    [row] = one(engine, 'EVALUATE ROW("Responses", [CSAT - Total Ratings], "Happy", [CSAT - Positive], '
                        '"Neutral", [CSAT - Neutral], "Unhappy", [CSAT - Negative], "Happy %", [CSAT - Happy %], '
                        '"Neutral %", [CSAT - Neutral %], "Unhappy %", [CSAT - Unhappy %], '
                        '"Average", [CSAT - Average Rating], "Tier", [CSAT - Risk Tier], '
                        '"Low", [CSAT - Low Confidence])')
    assert (row["[Responses]"], row["[Happy]"], row["[Neutral]"], row["[Unhappy]"]) == (3024, 2721, 178, 125)
    assert round(row["[Happy %]"] * 100, 1) == 90.0
    assert round(row["[Neutral %]"] * 100, 1) == 5.9
    assert round(row["[Unhappy %]"] * 100, 1) == 4.1
    assert row["[Average]"] == pytest.approx((2721 * 5 + 178 * 3 + 125) / 3024, rel=1e-12)
    assert round(row["[Average]"], 3) == 4.717
    assert row["[Low]"] is False
    assert row["[Tier]"] in ("Low", "Moderate", "High")


def test_summarizecolumns_by_survey_month(engine: Engine) -> None:
    rows = one(engine, SURVEY_SHAPE)
    months = [r["BI_SmileBack_Surveys[survey_month]"] for r in rows]
    assert [(m.year, m.month) for m in months] == [(2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3),
                                                   (2026, 4)]
    assert sum(r["[ResponseCount]"] for r in rows) == 3024
    for row in rows:
        month = row["BI_SmileBack_Surveys[survey_month]"]
        closed = one(engine, "EVALUATE ROW(\"c\", CALCULATE([Tickets - Closed], "
                             f"BI_Date[month_start] = DATE({month.year}, {month.month}, 1)))")[0]["[c]"]
        assert row["[ResponseRate]"] == pytest.approx(row["[ResponseCount]"] / closed, rel=1e-12)
        assert 4.5 < row["[AvgScore]"] < 4.9


def _breakdown(rows: list[dict]) -> dict[str, dict]:
    return {r[f"{REVIEWS}[company_name]"]: r for r in rows}


def test_client_sentiment_breakdown_as_a_query(engine: Engine) -> None:
    clients = _breakdown(one(engine, f"EVALUATE {BREAKDOWN} ORDER BY [Happy %] DESC"))
    pinnacle, vanguard = clients["Pinnacle Tech"], clients["Vanguard Tech"]
    assert round(pinnacle["[Happy %]"] * 100, 1) == 78.6 and round(pinnacle["[Unhappy %]"] * 100, 1) == 13.0
    assert round(vanguard["[Happy %]"] * 100, 1) == 68.2 and round(vanguard["[Unhappy %]"] * 100) == 24
    ranked = sorted((r["[Happy %]"] for r in clients.values() if r["[Total]"] >= 10), reverse=True)
    assert ranked[4] >= 0.91 and ranked[0] <= 0.96
    assert sum(r["[Total]"] for r in clients.values()) == 3024
    # a bucket with no reviews is BLANK in DIVIDE(CALCULATE(...), ...), as DAX gives
    assert clients["NovaBridge IT"]["[Unhappy %]"] is None


def test_client_sentiment_breakdown_as_a_calculated_table(engine: Engine) -> None:
    as_query = _breakdown(one(engine, f"EVALUATE {BREAKDOWN}"))
    as_table = _breakdown(one(engine, f"DEFINE TABLE ClientSentiment = {BREAKDOWN} "
                                      "EVALUATE FILTER(ClientSentiment, [Total] >= 10) ORDER BY [Total]"))
    assert set(as_table) == {name for name, row in as_query.items() if row["[Total]"] >= 10}
    assert all(as_table[name] == as_query[name] for name in as_table)


def test_low_confidence_clients(engine: Engine) -> None:
    rows = one(engine, 'EVALUATE FILTER(SUMMARIZECOLUMNS(BI_Autotask_Companies[company_name], '
                       '"Closed", [Tickets - Closed], "Responses", [SB - Survey Responses] + 0, '
                       '"Rate", [SB - Survey Response Rate %], "Low", [CSAT - Low Confidence]), [Low]) '
                       "ORDER BY [Closed] DESC")
    found = {r["BI_Autotask_Companies[company_name]"]: (r["[Closed]"], r["[Responses]"], round(r["[Rate]"] * 100, 1))
             for r in rows}
    assert found == {"Atlas Corp": (42, 6, 14.3), "NovaBridge IT": (28, 3, 10.7), "Ironclad MSP": (18, 0, 0.0)}


def test_monthly_trend(engine: Engine) -> None:
    rows = one(engine, 'EVALUATE SUMMARIZECOLUMNS(BI_Date[month_start], "Happy", [CSAT - Happy %], '
                       '"Unhappy", [CSAT - Unhappy %], "MoM", [CSAT - Happy % MoM Change]) '
                       "ORDER BY BI_Date[month_start]")
    assert round(rows[0]["[Happy]"] * 100, 1) == 86.3 and round(rows[-1]["[Happy]"] * 100, 1) == 91.2
    assert round(rows[0]["[Unhappy]"] * 100, 1) == 5.8 and round(rows[-1]["[Unhappy]"] * 100, 1) == 3.6
    assert rows[0]["[MoM]"] is None  # no previous month in the data
    for previous, current in itertools.pairwise(rows):
        assert current["[MoM]"] == pytest.approx((current["[Happy]"] - previous["[Happy]"]) * 100, rel=1e-9)


def test_technicians(engine: Engine) -> None:
    rows = one(engine, 'EVALUATE SUMMARIZECOLUMNS(BI_Autotask_Resources[technician_name], '
                       '"Happy", [CSAT - Happy %], "Hours", [Tickets - Avg Hours per Ticket])')
    found = {r["BI_Autotask_Resources[technician_name]"]: r for r in rows}
    sarah, lisa = found["Sarah Mitchell"], found["Lisa Park"]
    assert (round(sarah["[Happy]"] * 100, 1), round(sarah["[Hours]"], 1)) == (95.7, 4.2)
    assert (round(lisa["[Happy]"] * 100, 1), round(lisa["[Hours]"], 1)) == (82.4, 2.4)
    assert lisa["[Hours]"] == min(r["[Hours]"] for r in rows if r["[Hours]"] is not None)


def test_sql_renders_for_every_warehouse_dialect(engine: Engine) -> None:
    for dialect in ("tsql", "postgres", "spark", "duckdb"):
        [sql] = engine.sql(SURVEY_SHAPE, dialect)
        assert "BI_SmileBack_Surveys" in sql
        sqlglot.parse_one(sql, read=dialect)  # the rendered SQL is valid in that dialect's grammar


# ------------------------------------------------------------------------------------------------ the CLI


def test_query_cli_formats(cli, demo_db: str) -> None:
    query = 'EVALUATE ROW("Total", [CSAT - Total Ratings], "Happy %", [CSAT - Happy %], "Nothing", BLANK())'
    table = cli("query", "--db", demo_db, query)
    assert table.code == 0, table.err
    # the table shows each measure in its format string (#,0 and #,0.0%); csv and json keep the raw values
    assert table.out.splitlines()[2].split() == ["3,024", "90.0%"] and "(1 row)" in table.out
    as_json = cli("query", "--db", demo_db, "--format", "json", query)
    assert json.loads(as_json.out) == [{"[Total]": 3024, "[Happy %]": pytest.approx(2721 / 3024), "[Nothing]": None}]
    as_csv = cli("query", "--db", demo_db, "--format", "csv", query)
    assert list(csv.reader(io.StringIO(as_csv.out))) == [["[Total]", "[Happy %]", "[Nothing]"],
                                                         ["3024", repr(2721 / 3024), ""]]


def test_query_cli_json_keys_are_dax_column_names(cli, demo_db: str, tmp_path: Path) -> None:
    file = tmp_path / "breakdown.dax"
    file.write_text(f"// client breakdown\nEVALUATE {BREAKDOWN}\nORDER BY [Total] DESC\n", encoding="utf-8")
    result = cli("query", "--db", demo_db, "-i", str(file), "-f", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert set(rows[0]) == {f"{REVIEWS}[company_name]", "[Total]", "[Happy %]", "[Neutral %]", "[Unhappy %]"}
    assert rows[0]["[Total]"] == max(r["[Total]"] for r in rows)


def test_query_cli_prints_sql_without_a_database(cli, tmp_path: Path) -> None:
    result = cli("query", "--db", str(tmp_path / "absent.duckdb"), "--sql", "--dialect", "tsql", SURVEY_SHAPE)
    assert result.code == 0, result.err
    sqlglot.parse_one(result.out.strip().rstrip(";"), read="tsql")
    assert not (tmp_path / "absent.duckdb").exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('EVALUATE ROW("x", CROSSFILTER(1, 2))', "unsupported: CROSSFILTER at 1:19"),
        ("EVALUATE\nROW(\"x\",\n  SEARCH(\"a\", \"b\"))", "unsupported: SEARCH at 3:3"),
        ('EVALUATE ROW("x", [No Such Measure])', "unknown measure or column [No Such Measure] at 1:19"),
        ('EVALUATE ROW("x", SUM(BI_SmileBack_Reviews[nope]))', "unknown column 'nope'"),
        ('EVALUATE ROW("x", 1 +)', "syntax error"),
        ('EVALUATE ROW("x", BI_SmileBack_Reviews[rating])', "cannot be determined"),
    ],
)
def test_query_cli_refuses_clearly(cli, demo_db: str, query: str, expected: str) -> None:
    result = cli("query", "--db", demo_db, query)
    assert result.code == 2
    assert expected in result.err
    assert "Traceback" not in result.err


def test_query_cli_bad_targets(cli, tmp_path: Path) -> None:
    missing = cli("query", "--db", str(tmp_path / "none.duckdb"), 'EVALUATE ROW("x", 1)')
    assert missing.code == 2 and "no such DuckDB file" in missing.err
    # odbc: targets run the engine on the server (tests/test_engine_servers.py); one that cannot be reached says so
    odbc = cli("query", "--db", "odbc:Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Pwd=secret",
               'EVALUATE ROW("x", 1)')
    assert odbc.code == 2 and "cannot reach the database server" in odbc.err and "secret" not in odbc.err
    usage = cli("query", "--db", str(tmp_path / "none.duckdb"))
    assert usage.code == 2 and "--file" in usage.err


@pytest.mark.parametrize("model", ["powerbi/model.bim", "powerbi/MSP-CSAT.SemanticModel",
                                   "powerbi/MSP-CSAT.SemanticModel/definition"])
def test_query_binds_to_a_model_file_the_analyst_owns(cli, demo_db: str, model: str) -> None:
    """--model: the measures of a model.bim or TMDL folder, evaluated on the tables of --db."""
    query = ('DEFINE MEASURE BI_SmileBack_Reviews[Happy share] = DIVIDE([CSAT - Positive], [CSAT - Total Ratings]) '
             'EVALUATE ROW("Happy", [Happy share], "Average", [CSAT - Average Rating])')
    result = cli("query", "--db", demo_db, "--model", model, "--format", "json", query)
    assert result.code == 0, result.err
    [row] = json.loads(result.out)
    assert row["[Happy]"] == pytest.approx(2721 / 3024, rel=1e-12)
    assert row["[Average]"] == pytest.approx((2721 * 5 + 178 * 3 + 125) / 3024, rel=1e-12)


def test_query_model_errors_name_the_file(cli, demo_db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bim"
    broken.write_text('{"model": {"tables": [\n  {"name": "T", "columns": [}\n]}}', encoding="utf-8")
    result = cli("query", "--db", demo_db, "--model", str(broken), 'EVALUATE ROW("x", 1)')
    assert result.code == 2 and "broken.bim:2" in result.err


def test_parallelperiod_moves_whole_periods(engine: Engine) -> None:
    [row] = one(engine, 'EVALUATE ROW('
                        '"q", CALCULATE(CALCULATE([Tickets - Closed], PARALLELPERIOD(BI_Date[date], -1, QUARTER)), '
                        "BI_Date[date] = DATE(2026, 2, 15)), "
                        '"y", CALCULATE(CALCULATE(COUNTROWS(BI_Date), PARALLELPERIOD(BI_Date[date], 1, YEAR)), '
                        "BI_Date[month_start] = DATE(2025, 11, 1)), "
                        '"m", CALCULATE(CALCULATE(COUNTROWS(BI_Date), PARALLELPERIOD(BI_Date[date], -2, MONTH)), '
                        "BI_Date[month_start] = DATE(2026, 3, 1)))")
    closed_q4 = one(engine, 'EVALUATE ROW("c", CALCULATE([Tickets - Closed], '
                            "DATESBETWEEN(BI_Date[date], DATE(2025, 10, 1), DATE(2025, 12, 31))))")[0]["[c]"]
    assert (row["[q]"], row["[y]"], row["[m]"]) == (closed_q4, 365, 31)


def test_query_csv_cells_cannot_start_a_spreadsheet_formula(cli, demo_db: str) -> None:
    query = ('EVALUATE ROW("formula", "=cmd|\' /C calc\'!A0", "plus", "+1+2", "minus", "-2+3", "at", "@SUM(A1)", '
             '"tab", "\t=1", "text", "a=b", "negative", -5, "fraction", -0.5, "blank", BLANK())')
    result = cli("query", "--db", demo_db, "--format", "csv", query)
    assert result.code == 0, result.err
    assert list(csv.reader(io.StringIO(result.out)))[1] == [
        "'=cmd|' /C calc'!A0", "'+1+2", "'-2+3", "'@SUM(A1)", "'\t=1", "a=b", "-5", "-0.5", ""]
    as_json = json.loads(cli("query", "--db", demo_db, "--format", "json", query).out)
    assert as_json[0]["[formula]"] == "=cmd|' /C calc'!A0"  # only CSV, which spreadsheets open, is changed
