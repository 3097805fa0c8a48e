"""``gen-measures mcp`` through the official MCP SDK's own client: over stdio (the Manager's view) and over streamable
HTTP on 127.0.0.1 with a token (a Client user, small limits). Each server is started once for the module; the calls
of each run in one session and the tests check their answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from generator.assistant.analyst import Analyst
from generator.engine.run import Engine
from generator.engine.session import connect_read_only
from generator.reference import evaluate
from generator.report import drill
from generator.report.build import ReportOptions, report_thresholds
from generator.report.catalogue import catalogue_of
from generator.report.client import company_names
from generator.report.data import ClientRow, data_span
from generator.report.period import resolve_period
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir
from generator.targets.duckdb_db import DuckDBDatabase
from generator.targets.frames import read_semantic_tables
from generator.validation.roles import LEAK_QUERIES
from tests.conftest import ROOT, run_cli

# The module starts its MCP servers once: its tests stay on one xdist worker.

TOKEN = "test-token-0123456789abcdef"
CLIENT_USER = "ops@pinnacletech.example"  # sees Pinnacle Tech and Vanguard Tech (generator/demo/security.py)
COMPANY = "BI_Autotask_Companies[company_name]"
HAPPY = "[CSAT - Happy %]"
HEAVY = ('EVALUATE ROW ( "n", COUNTROWS ( CROSSJOIN ( BI_SmileBack_Reviews, BI_Autotask_Tickets, '
         "BI_Autotask_TimeEntries, BI_Date ) ) )")
TOOLS = {"list_measures", "describe_measure", "list_dimensions", "query_measures", "run_dax", "report",
         "explain_client"}


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MSP_CSAT_DB", "MSP_CSAT_SPECS", "MSP_CSAT_MCP_TOKEN")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _answer(result: Any) -> Any:
    """A tool result: its JSON (structured content), or its error text."""
    if result.is_error:
        return "error: " + " ".join(block.text for block in result.content)
    return result.structured_content


async def _calls(client: Client, calls: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {key: _answer(await client.call_tool(tool, arguments)) for key, (tool, arguments) in calls.items()}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


STDIO_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "measures": ("list_measures", {}),
    "describe": ("describe_measure", {"name": "csat - happy %"}),
    "dimensions": ("list_dimensions", {}),
    "by_client": ("query_measures", {"measures": ["CSAT - Happy %", "CSAT - Low Confidence"], "group_by": [COMPANY],
                                     "period": "2025-11..2026-04"}),
    "last_quarter": ("query_measures", {"measures": ["CSAT - Happy %"], "period": "last-quarter"}),
    "bottom_two": ("query_measures", {"measures": ["CSAT - Happy %"], "group_by": ["company_name"], "top_n": 2,
                                      "order": "asc", "filters": {"BI_Autotask_Companies[is_active]": [True]}}),
    "atlas": ("explain_client", {"client": "atlas corp"}),
    "vanguard": ("explain_client", {"client": "Vanguard Tech"}),
    "dax": ("run_dax", {"query": 'EVALUATE ROW ( "Responses", [CSAT - Total Ratings] )'}),
    "unknown_measure": ("query_measures", {"measures": ["CSAT - Happy Pct"]}),
    "unknown_column": ("query_measures", {"measures": ["CSAT - Happy %"], "group_by": ["company_nam"]}),
    "bad_period": ("query_measures", {"measures": ["CSAT - Happy %"], "period": "next-week"}),
    "bad_filter": ("query_measures", {"measures": ["CSAT - Happy %"],
                                      "filters": {"BI_Date[year]": ["twenty"]}}),
    "not_dax": ("run_dax", {"query": "DROP TABLE BI_SmileBack_Reviews"}),
    "sql": ("run_dax", {"query": "SELECT * FROM BI_SmileBack_Reviews"}),
    "unknown_client": ("explain_client", {"client": "Atlas Crop"}),
}


@pytest.fixture(scope="module")
def stdio(demo_db: str, tmp_path_factory: pytest.TempPathFactory, http_process: Any) -> dict[str, Any]:
    """One stdio server (no role: every row) and one session: the tool list, resources, prompts and STDIO_CALLS.
    (``http_process`` only makes the HTTP server start first.)"""
    reports = tmp_path_factory.mktemp("mcp_reports")
    parameters = StdioServerParameters(command=sys.executable, args=[
        "-m", "generator.cli", "mcp", "--db", demo_db, "--reports", str(reports)], env=_environment(), cwd=str(ROOT))

    async def session() -> dict[str, Any]:
        async with Client(parameters, read_timeout_seconds=120) as client:
            answers = {"tools": {tool.name: tool for tool in (await client.list_tools()).tools}}
            resources = (await client.list_resources()).resources
            answers["resources"] = [str(resource.uri) for resource in resources]
            answers["catalogue"] = (await client.read_resource(resources[0].uri)).contents[0].text
            answers["prompts"] = [prompt.name for prompt in (await client.list_prompts()).prompts]
            prompt = await client.get_prompt("how-to-ask", {"question": "Happy % by client last quarter?"})
            answers["prompt"] = prompt.messages[0].content.text
            answers.update(await _calls(client, STDIO_CALLS))
            answers["report"] = _answer(await client.call_tool("report", {"period": "2026Q1"}))
            return answers

    return anyio.run(session)


@pytest.fixture(scope="module")
def http_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTTP server's --reports folder."""
    return tmp_path_factory.mktemp("mcp_http_reports")


@pytest.fixture(scope="module")
def http_process(demo_db: str, http_reports: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """An HTTP server for a Client user, with a 50-row limit and an 8-second deadline, started first (it boots while
    the stdio session runs)."""
    port = _free_port()
    env = {**_environment(), "MSP_CSAT_MCP_TOKEN": TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "generator.cli", "mcp", "--db", demo_db, "--transport", "http",
                                "--port", str(port), "--role", "Client", "--user", CLIENT_USER, "--max-rows", "50",
                                "--timeout", "8", "--reports", str(http_reports)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def http_server(http_process: tuple[subprocess.Popen, int]) -> str:
    """The HTTP server's URL, once it listens."""
    process, port = http_process
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return f"http://127.0.0.1:{port}/mcp"
        except OSError:
            assert time.monotonic() < deadline, "the MCP server did not listen within 60 s"
            time.sleep(0.1)


HTTP_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "measures": ("list_measures", {"folder": "CSAT"}),
    "companies": ("query_measures", {"measures": ["CSAT - Total Ratings"], "group_by": [COMPANY]}),
    "days": ("query_measures", {"measures": ["CSAT - Total Ratings"], "group_by": ["BI_Date[date]"]}),
    "vanguard": ("query_measures", {"measures": ["CSAT - Happy %"], "filters": {COMPANY: ["Vanguard Tech"]}}),
    "leak": ("run_dax", {"query": 'EVALUATE ROW ( "all", CALCULATE ( [CSAT - Total Ratings], ALL ( '
                                  'BI_Autotask_Companies ) ), "names", COUNTROWS ( ALL ( '
                                  'BI_Autotask_Companies[company_name] ) ) )'}),
    "other": ("query_measures", {"measures": ["CSAT - Total Ratings"], "filters": {COMPANY: ["Atlas Corp"]}}),
    "atlas": ("explain_client", {"client": "Atlas Corp"}),
    "other_page": ("report", {"client": "Atlas Corp"}),
    **{f"leak: {name}": ("run_dax", {"query": query}) for name, query in LEAK_QUERIES},
}


@pytest.fixture(scope="module")
def http(http_server: str) -> dict[str, Any]:
    """HTTP_CALLS in one session bearing the token, then five slow queries at once (the server takes four)."""
    async def session() -> dict[str, Any]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as web, \
                Client(streamable_http_client(http_server, http_client=web)) as client:
            answers = {"tools": {tool.name for tool in (await client.list_tools()).tools},
                       **(await _calls(client, HTTP_CALLS))}
            slow: list[Any] = []

            async def heavy() -> None:
                slow.append(_answer(await client.call_tool("run_dax", {"query": HEAVY})))

            async with anyio.create_task_group() as group:
                for _ in range(5):
                    group.start_soon(heavy)
            return {**answers, "slow": slow}

    return anyio.run(session)


def _reference_happy_by_client(demo_db: str) -> dict[str, float | None]:
    model = load_model(default_spec_dir())
    connection = connect_read_only(demo_db)
    try:
        tables = read_semantic_tables(DuckDBDatabase(connection, Path(demo_db)), model)
    finally:
        connection.close()
    names = dict(zip(tables["BI_Autotask_Companies"]["company_id"], tables["BI_Autotask_Companies"]["company_name"],
                     strict=True))
    return {names[company]: value for company, value in evaluate("CSAT - Happy %", tables, "client").items()}


# --- stdio: the Manager's view ----------------------------------------------------------------------------------

def test_the_tools_resources_and_prompt_are_listed(stdio: dict[str, Any]) -> None:
    assert set(stdio["tools"]) == TOOLS
    assert stdio["tools"]["run_dax"].annotations.read_only_hint is True
    assert "measures" in stdio["tools"]["query_measures"].input_schema["properties"]
    assert stdio["resources"] == ["csat://catalogue/measures.md"]
    assert "| [CSAT - Happy %](#csat---happy-) | CSAT |" in stdio["catalogue"]
    assert stdio["prompts"] == ["how-to-ask"]
    assert "list_measures" in stdio["prompt"] and stdio["prompt"].endswith("Happy % by client last quarter?")


def test_the_catalogue_describes_measures_and_dimensions(stdio: dict[str, Any]) -> None:
    names = [m["name"] for m in stdio["measures"]["measures"]]
    assert names == [measure.name for measure in load_model(default_spec_dir()).measures]
    assert names[0] == "CSAT - Total Ratings"
    assert stdio["measures"]["identity"]["roles"] == ["Manager"]
    assert stdio["describe"]["format"] == "#,0.0%;-#,0.0%;#,0.0%" and stdio["describe"]["validated"] is True
    assert "DIVIDE" in stdio["describe"]["dax"]
    companies = next(d for d in stdio["dimensions"]["dimensions"] if d["column"] == COMPANY)
    assert companies["members"] == 17 and companies["sample"][0] == "Atlas Corp"


def test_happy_by_client_equals_the_reference_with_the_dax_that_ran(stdio: dict[str, Any], demo_db: str) -> None:
    answer = stdio["by_client"]
    reference = _reference_happy_by_client(demo_db)
    got = {row[COMPANY]: row[HAPPY] for row in answer["values"]}
    assert set(got) <= set(reference) and len(got) >= 15
    for name, value in got.items():
        expected = reference[name]
        assert value == (None if expected is None else pytest.approx(expected, rel=1e-9, abs=0)), name
    shown = {row[COMPANY]: row[HAPPY] for row in answer["rows"]}
    assert (shown["Pinnacle Tech"], shown["Vanguard Tech"]) == ("78.6%", "68.2%")
    flags = {row[COMPANY]: row["[CSAT - Low Confidence]"] for row in answer["values"]}
    assert flags["Atlas Corp"] is True and flags["Pinnacle Tech"] is False
    assert answer["period"] == "Nov 2025 – Apr 2026"
    assert answer["dax"].startswith("EVALUATE\nCALCULATETABLE ( SUMMARIZECOLUMNS ( BI_Autotask_Companies[company_name]")
    assert "DATESBETWEEN ( BI_Date[date], DATE ( 2025, 11, 1 ), DATE ( 2026, 4, 30 ) )" in answer["dax"]


def test_period_top_n_order_and_filters(stdio: dict[str, Any]) -> None:
    assert stdio["last_quarter"]["period"] == "Q1 2026"
    bottom = stdio["bottom_two"]
    assert [(r[COMPANY], r[HAPPY]) for r in bottom["rows"]] == [("Vanguard Tech", "68.2%"), ("Pinnacle Tech", "78.6%")]
    assert "TOPN ( 2," in bottom["dax"] and 'TREATAS ( { TRUE () }, BI_Autotask_Companies[is_active] )' in bottom["dax"]


def test_explain_client_flags_atlas_corp_low_confidence(stdio: dict[str, Any]) -> None:
    atlas = stdio["atlas"]
    assert atlas["client"]["name"] == "Atlas Corp" and atlas["client"]["responses"] == 6
    assert atlas["client"]["tickets_closed"] == 42 and round(atlas["client"]["response_rate"] * 100, 1) == 14.3
    assert atlas["confidence"] == "Low confidence" and atlas["low_confidence"] is True
    assert atlas["drill_down"]["available"] is False and "concentrations" not in atlas["drill_down"]
    assert atlas["drill_down"]["note"].startswith("No drill-down: Atlas Corp is low confidence (6 responses, under "
                                                  "the threshold of 10; a response rate of 14.3 %")


def _drill_down(demo_db: str, name: str) -> drill.DrillDown:
    """``gen-measures report``'s drill-down of the client ``name`` over the default period, computed directly."""
    catalogue = catalogue_of(load_model(default_spec_dir()))
    connection = connect_read_only(demo_db)
    try:
        engine = Engine(catalogue.model, connection)
        period = resolve_period(None, data_span(engine))
        assert period is not None
        client = ClientRow(company_names(engine)[name], name, True, None, None, None, None, False, None, None, None,
                           None, None)
        thresholds = report_thresholds(ReportOptions(db=demo_db, out=Path("unused.html")), catalogue)
        return drill.drill_downs(engine, period, [client], thresholds.min_responses)[0]
    finally:
        connection.close()


def test_explain_client_gives_the_reports_drill_down_and_follow_ups(stdio: dict[str, Any], demo_db: str) -> None:
    answer = stdio["vanguard"]["drill_down"]
    expected = _drill_down(demo_db, "Vanguard Tech").concentrations
    assert answer["available"] is True and expected
    assert [tuple(c.values()) for c in answer["concentrations"]] == [tuple(vars(c).values()) for c in expected]
    top = max(expected, key=lambda c: c.unhappy_share)
    assert answer["top"] == vars(top)
    assert f"{top.dimension} {top.member} ({top.unhappy_share * 100:.1f} % of the unhappy ratings" in answer["summary"]
    assert "at least 3 unhappy ratings and 10 responses" in answer["rule"] and answer["min_lift"] == drill.MIN_LIFT
    follow = stdio["vanguard"]["follow_ups"]
    (count, done), = connect_read_only(demo_db).execute(
        "SELECT count(*) FILTER (WHERE coalesce(review_status, '') <> 'done'), count(*) FILTER (WHERE review_status "
        "= 'done') FROM BI_SmileBack_Reviews WHERE company_name = 'Vanguard Tech' AND rating <> 5 "
        "AND rated_date BETWEEN DATE '2026-04-24' AND DATE '2026-04-30'").fetchall()
    assert (follow["first"], follow["last"]) == ("2026-04-24", "2026-04-30")
    # awaiting follow-up (listed) and marked done in SmileBack (counted): on the demo Vanguard Tech's one is done
    assert follow["count"] == len(follow["reviews"]) == count and follow["handled"] == done and count + done > 0
    assert [r["rated_at"] for r in follow["reviews"]] == sorted((r["rated_at"] for r in follow["reviews"]),
                                                                reverse=True)


def test_run_dax_and_report(stdio: dict[str, Any]) -> None:
    assert stdio["dax"]["results"][0]["rows"] == [{"[Responses]": "3,024"}]
    assert stdio["dax"]["results"][0]["values"] == [{"[Responses]": 3024}]
    report = stdio["report"]
    assert report["period"] == "Q1 2026" and report["responses"] > 0
    assert Path(report["path"]).name == "report-2026q1.html" and Path(report["path"]).read_text().startswith("<!")


@pytest.mark.parametrize(("key", "sentence"), [
    ("unknown_measure", "unknown measure 'CSAT - Happy Pct'; did you mean 'CSAT - Happy %'?"),
    ("unknown_column", "unknown column 'company_nam'; did you mean company_name?"),
    ("bad_period", "period 'next-week' is not a period; use"),
    ("bad_filter", "filter on BI_Date[year] (int64): 'twenty' is not a whole number"),
    ("not_dax", "run_dax takes a DAX query (EVALUATE …, optionally after DEFINE), read-only by construction: "
                "syntax error"),
    ("sql", "run_dax takes a DAX query"),
    ("unknown_client", "no client 'Atlas Crop' with data in Nov 2025 – Apr 2026 that this identity may see; did you "
                       "mean 'Atlas Corp'?"),
])
def test_bad_arguments_get_one_sentence(stdio: dict[str, Any], key: str, sentence: str) -> None:
    answer = stdio[key]
    assert isinstance(answer, str) and answer.startswith("error: ") and sentence in answer
    assert "\n" not in answer and "Traceback" not in answer


# --- HTTP: a Client user, small limits ---------------------------------------------------------------------------

def test_a_client_user_sees_only_their_companies(http: dict[str, Any]) -> None:
    assert http["tools"] == TOOLS
    assert http["measures"]["identity"] == {"roles": ["Client"], "user": CLIENT_USER, "row_level_security": True,
                                            "limits": {"max_rows": 50, "timeout": 8.0, "memory_limit": "2GB",
                                                       "max_calls": 4}}
    assert http["vanguard"]["rows"] == [{HAPPY: "68.2%"}]
    # ALL() under the role still sees only the two mapped companies (their 325 reviews, as in test_rls_validate.py)
    assert http["leak"]["results"][0]["values"] == [{"[all]": 325, "[names]": 2}]
    assert http["other"]["values"] == [{"[CSAT - Total Ratings]": None}]
    assert http["atlas"].startswith("error: ") and "no client 'Atlas Corp'" in http["atlas"]
    assert "(2 clients visible)" in http["atlas"]


def test_report_with_a_client_writes_that_clients_page_for_its_own_users_only(
        http: dict[str, Any], http_reports: Path, demo_db: str, tmp_path: Path) -> None:
    # the server's own tool for the same identity, without its 8-second deadline (a client page's dozen queries
    # can take longer on a loaded machine)
    analyst = Analyst(demo_db, load_model(default_spec_dir()), ["Client"], CLIENT_USER, reports=tmp_path)
    own = analyst.report("2026-04", "pinnacle tech")
    assert own["period"] == "Pinnacle Tech, April 2026" and own["responses"] > 0
    assert Path(own["path"]) == tmp_path / "client-pinnacle-tech-2026-04.html"
    assert "Pinnacle Tech is " in Path(own["path"]).read_text()
    # the sentence of `gen-measures report --client 'Atlas Corp'` under the same role, and no page
    refused = http["other_page"]
    assert refused.startswith("error: ") and refused.endswith(
        ": client 'Atlas Corp': no client of that name in the data; run gen-measures query \"EVALUATE VALUES ( "
        "BI_Autotask_Companies[company_name] )\" for the names.")
    assert list(http_reports.iterdir()) == []


def _mapped_companies(demo_db: str) -> dict[int, str]:
    connection = connect_read_only(demo_db)
    try:
        return dict(connection.execute(
            'SELECT c.company_id, c.company_name FROM "BI_Security_ClientUsers" u JOIN "BI_Autotask_Companies" c '
            "USING (company_id) WHERE u.user_principal_name = ?", [CLIENT_USER]).fetchall())
    finally:
        connection.close()


def test_the_leak_queries_of_validate_roles_show_only_the_users_companies(http: dict[str, Any], demo_db: str) -> None:
    mapped = _mapped_companies(demo_db)
    assert sorted(mapped.values()) == ["Pinnacle Tech", "Vanguard Tech"]
    allowed = {"company_id": set(mapped), "company_name": set(mapped.values())}
    for name, _ in LEAK_QUERIES:
        answer = http[f"leak: {name}"]
        assert not isinstance(answer, str), f"{name}: {answer}"
        values = answer["results"][0]["values"]
        for row in values:
            for column, value in row.items():
                short = column[column.index("[") + 1:-1]
                assert value in allowed.get(short, {value}), f"{name}: {column} shows {value}"
        if name == "client user mapping":
            assert values == []


def test_the_row_time_and_call_limits_end_in_a_sentence(http: dict[str, Any]) -> None:
    days = http["days"]
    assert len(days["rows"]) == 50 and days["truncated"] is True
    assert days["note"].startswith("The answer is cut at 50 rows (the server's --max-rows)")
    assert "truncated" not in http["companies"]
    slow = sorted(http["slow"])
    assert len(slow) == 5 and all(answer.startswith("error: ") for answer in slow)
    assert sum("the query did not finish within 8 s; raise --timeout" in answer for answer in slow) == 4
    assert sum("the server is answering 4 calls already (its --max-calls)" in answer for answer in slow) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"}])
def test_http_without_the_token_is_refused(http_server: str, headers: dict[str, str]) -> None:
    response = httpx2.post(http_server, headers={**headers, "Accept": "application/json, text/event-stream"},
                           json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 401


def test_http_needs_a_token_and_the_extra_is_named(demo_db: str) -> None:
    result = run_cli("mcp", "--db", demo_db, "--transport", "http")
    assert result.code == 2 and "needs a token of at least 16 characters in MSP_CSAT_MCP_TOKEN" in result.err
    assert json.dumps(result.err).count("\\n") == 1  # one line


def test_without_the_mcp_extra_the_command_says_how_to_install(demo_db: str) -> None:
    script = ("import sys; sys.modules['mcp'] = None; sys.argv = ['gen-measures', 'mcp', '--db', sys.argv[1]]; "
              "from generator.cli import main; main()")  # None in sys.modules: what an install without the extra sees
    result = subprocess.run([sys.executable, "-c", script, demo_db], capture_output=True, text=True, cwd=ROOT,
                            env=_environment(), timeout=60)
    assert result.returncode == 2
    assert result.stderr == "error: gen-measures mcp needs the optional package mcp: pip install 'msp-csat[mcp]'\n"
