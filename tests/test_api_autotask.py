"""The Autotask REST extractor against the fault-injecting fake Autotask server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from generator.errors import ToolError
from generator.sources.autotask_api import AutotaskApiExtractor, AutotaskError, ThresholdPolicy, validate_filter
from generator.sources.http import RetriesExhausted
from tests.fakeapi.autotask import AutotaskServer
from tests.fakeapi.dataset import ApiDataset, synthetic
from tests.fakeapi.faults import Fault, FaultScript, RecordingServer
from tests.fakeapi.harness import Sleeps, collect, fast_client, keyed

TABLES = {"Companies": "STG_Autotask_Companies", "Resources": "STG_Autotask_Resources",
          "Tickets": "STG_Autotask_Tickets", "TimeEntries": "STG_Autotask_TimeEntries"}
NO_THROTTLE = ThresholdPolicy(check_every=10_000)


@pytest.fixture(scope="module")
def dataset() -> ApiDataset:
    """1,100 tickets (three pages of 500), about 1,600 time entries (four pages)."""
    return synthetic(seed=7, size=1100)


def extractor(server: AutotaskServer, sleeps: Sleeps | None = None, **options) -> AutotaskApiExtractor:
    """An extractor for ``server`` built the way the CLI builds it: from environment variables."""
    options.setdefault("threshold", NO_THROTTLE)
    return AutotaskApiExtractor.from_environment(server.env(), http=fast_client(sleeps, **options.pop("client", {})),
                                                 **options)


def expected(dataset: ApiDataset, entity: str) -> dict:
    return keyed(dataset.expected[TABLES[entity]])


def test_full_extraction_gives_exactly_the_servers_rows(dataset: ApiDataset):
    with AutotaskServer(dataset) as server:
        ex = extractor(server)
        assert ex.source == "autotask-api"
        assert ex.entities() == ["Picklists", "Companies", "Resources", "Tickets", "TimeEntries"]
        for entity in ("Companies", "Resources", "Tickets", "TimeEntries"):
            got = collect(ex, entity)
            assert got.rejected == []
            assert keyed(got.rows) == expected(dataset, entity), entity
            assert all(page.table == TABLES[entity] and len(page.rows) <= 500 for page in got.pages)
        picklists = collect(ex, "Picklists")
    assert sorted(picklists.rows, key=lambda r: (r["entity"], r["field"], r["value"])) == sorted(
        dataset.expected["STG_Autotask_Picklists"], key=lambda r: (r["entity"], r["field"], r["value"]))
    assert {r["value"] for r in picklists.rows if r["field"] == "status"} >= {"1", "5"}  # strings, as the API gives
    assert len(server.requests_to("zone")) == 1  # the zone is discovered once and then used verbatim
    queries = server.requests_to("Tickets/query")
    nexts = server.requests_to("Tickets/query/next")
    assert len(queries) == 1 and len(nexts) == 2
    assert all(r.method == "POST" and json.loads(r.body) == json.loads(queries[0].body) for r in nexts)
    assert json.loads(queries[0].body) == {"MaxRecords": 500, "filter": [{"op": "gte", "field": "id", "value": 0}]}
    assert all(r.headers["username"] == server.username and r.headers["secret"] == server.secret and
               r.headers["apiintegrationcode"] == server.integration_code for r in queries + nexts)
    assert all("secret" not in r.headers for r in server.requests_to("zone"))  # discovery carries no credentials


def test_incremental_extraction_returns_only_items_changed_since_the_watermark(dataset: ApiDataset):
    since = datetime(2026, 2, 1, 12, 0)
    with AutotaskServer(dataset) as server:
        ex = extractor(server)
        tickets = collect(ex, "Tickets", since)
        entries = collect(ex, "TimeEntries", since)
    want = {k: r for k, r in expected(dataset, "Tickets").items() if r["last_activity_date"] >= since}
    assert 0 < len(want) < len(dataset.tickets)
    assert keyed(tickets.rows) == want
    assert tickets.watermark == max(r["last_activity_date"] for r in want.values())
    want_entries = {k: r for k, r in expected(dataset, "TimeEntries").items()
                    if r["last_modified_date_time"] >= since}
    assert keyed(entries.rows) == want_entries
    body = json.loads(server.requests_to("Tickets/query")[0].body)
    assert body["filter"] == [{"op": "gte", "field": "lastActivityDate", "value": "2026-02-01T12:00:00Z"}]
    entries_body = json.loads(server.requests_to("TimeEntries/query")[0].body)
    assert {"op": "exist", "field": "ticketID"} in entries_body["filter"]


FAULTS = {
    "http-500": Fault.status(500),
    "http-502": Fault.status(502),
    "http-503": Fault.status(503),
    "http-504": Fault.status(504),
    "timeout": Fault.slow(1.5),
    "dropped-mid-page": Fault.drop(),
    "malformed-json": Fault.malformed(),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_transient_fault_is_retried_with_backoff_without_losing_or_repeating_rows(dataset: ApiDataset, name: str):
    faults = FaultScript().on("Tickets/query", 1, fault=FAULTS[name]).on("Tickets/query/next", 2,
                                                                         fault=FAULTS[name])
    sleeps = Sleeps()
    with AutotaskServer(dataset, faults=faults) as server:
        got = collect(extractor(server, sleeps, client={"timeout": 0.4}), "Tickets")
    assert keyed(got.rows) == expected(dataset, "Tickets")
    assert sleeps.calls == [0.01, 0.01]  # one retry after each fault, first back-off step
    assert len(server.requests_to("Tickets/query")) == 2 and len(server.requests_to("Tickets/query/next")) == 3


def test_backoff_is_exponential_and_the_last_failure_is_reported(dataset: ApiDataset):
    faults = FaultScript().always("Tickets/query", Fault.status(503))
    sleeps = Sleeps()
    with AutotaskServer(dataset, faults=faults) as server, pytest.raises(RetriesExhausted) as caught:
        collect(extractor(server, sleeps), "Tickets")
    assert sleeps.calls == [0.01, 0.02, 0.04]
    assert len(server.requests_to("Tickets/query")) == 4
    message = str(caught.value)
    assert f"POST {server.url}/atservicesrest/v1.0/Tickets/query failed after 4 attempts" in message
    assert "HTTP 503" in message


def test_the_error_after_the_last_retry_leaves_the_query_string_out(dataset: ApiDataset):
    faults = FaultScript().always("zone", Fault.malformed())
    with AutotaskServer(dataset, faults=faults) as server, pytest.raises(ToolError) as caught:
        collect(extractor(server), "Companies")
    message = str(caught.value)
    assert "zoneInformation failed after 4 attempts" in message and "malformed JSON" in message
    assert "?" not in message and "user=" not in message


def test_next_pages_are_posted_a_get_would_get_405(dataset: ApiDataset):
    with AutotaskServer(dataset) as server:
        got = collect(extractor(server), "Tickets")
        methods = {r.method for r in server.requests_to("Tickets/query/next")}
        next_url = json.loads(server.requests_to("Tickets/query/next")[0].query["paging"][0])  # it was a real page
        request = urllib.request.Request(
            server.url + server.requests_to("Tickets/query/next")[0].path + "?paging=" +
            urllib.request.quote(json.dumps(next_url)), headers={
                "UserName": server.username, "Secret": server.secret, "ApiIntegrationCode": server.integration_code})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 405
    assert json.loads(refused.value.read()) == {"Message": "The requested resource does not support http method "
                                                           "'GET'."}
    assert len(got.rows) == len(dataset.tickets) > 1000  # past the first 500: the pages were POSTed
    assert methods == {"POST"}


def test_a_next_page_url_on_a_foreign_host_is_refused(dataset: ApiDataset):
    with RecordingServer() as foreign:
        faults = FaultScript().on("Tickets/query", 1, fault=Fault.foreign_next(foreign.url))
        with AutotaskServer(dataset, faults=faults) as server, pytest.raises(AutotaskError) as caught:
            collect(extractor(server), "Tickets")
    assert foreign.requests == []  # the credentials never left the zone host
    assert "refusing to send the API credentials there" in str(caught.value)
    assert foreign.url.split("//")[1] in str(caught.value)


def test_an_item_repeated_across_pages_is_read_once(dataset: ApiDataset):
    faults = FaultScript().on("Tickets/query/next", 1, 2, fault=Fault.repeat_item())
    with AutotaskServer(dataset, faults=faults) as server:
        got = collect(extractor(server), "Tickets")
    assert [r.fault for r in server.requests_to("Tickets/query/next")] == ["repeat_item", "repeat_item"]
    assert len(got.rows) == len(dataset.tickets)
    assert keyed(got.rows) == expected(dataset, "Tickets")  # keyed() fails on a duplicate


def test_a_next_page_failing_after_every_retry_resumes_after_the_last_id(dataset: ApiDataset):
    faults = FaultScript().always("Tickets/query/next", Fault.status(503))
    with AutotaskServer(dataset, faults=faults) as server:
        got = collect(extractor(server), "Tickets")
    assert keyed(got.rows) == expected(dataset, "Tickets")
    queries = [json.loads(r.body)["filter"] for r in server.requests_to("Tickets/query")]
    ids = sorted(expected(dataset, "Tickets"))
    assert queries == [[{"op": "gte", "field": "id", "value": 0}],
                       [{"op": "gte", "field": "id", "value": 0}, {"op": "gt", "field": "id", "value": ids[499]}],
                       [{"op": "gte", "field": "id", "value": 0}, {"op": "gt", "field": "id", "value": ids[999]}]]


def test_resuming_is_bounded_and_then_the_failure_is_reported(dataset: ApiDataset):
    faults = FaultScript().always("Tickets/query/next", Fault.drop())
    with AutotaskServer(dataset, faults=faults) as server, pytest.raises(RetriesExhausted) as caught:
        collect(extractor(server, max_resumes=1), "Tickets")
    assert "Tickets/query/next failed after 4 attempts; last failure: connection dropped" in str(caught.value)
    assert len(server.requests_to("Tickets/query")) == 2
    # the next run (the pipeline keeps the old watermark after a failure) completes
    with AutotaskServer(dataset) as server:
        again = collect(extractor(server), "Tickets")
    assert keyed(again.rows) == expected(dataset, "Tickets")


def test_a_401_discovers_the_zone_again_and_goes_on(dataset: ApiDataset):
    faults = FaultScript().on("Tickets/query/next", 1, fault=Fault.unauthorized())
    with AutotaskServer(dataset, faults=faults) as server:
        got = collect(extractor(server), "Tickets")
    assert keyed(got.rows) == expected(dataset, "Tickets")
    assert len(server.requests_to("zone")) == 2


def test_rejected_credentials_give_one_clear_error_without_the_secret(dataset: ApiDataset):
    with AutotaskServer(dataset) as server:
        env = {**server.env(), "AUTOTASK_SECRET": "wrong-secret-Hh2"}
        ex = AutotaskApiExtractor.from_environment(env, http=fast_client(), threshold=NO_THROTTLE)
        with pytest.raises(AutotaskError) as caught:
            collect(ex, "Companies")
    message = str(caught.value)
    assert "HTTP 401: Authentication failed" in message and "AUTOTASK_SECRET" in message
    assert "wrong-secret-Hh2" not in message and server.integration_code not in message
    # the first call (the item count) tried again once after re-discovery, no more; no query was sent after it
    assert len(server.requests_to("Companies/count")) == 2 and server.requests_to("Companies/query") == []


def test_unknown_filter_operators_are_refused_before_sending():
    validate_filter([{"op": "gte", "field": "lastActivityDate", "value": "2026-01-01T00:00:00Z"},
                     {"op": "or", "items": [{"op": "exist", "field": "ticketID"},
                                            {"op": "in", "field": "status", "value": [1, 5]}]}])
    for bad, phrase in [([{"op": "like", "field": "title", "value": "x"}], "unknown operator 'like'"),
                        ([{"op": "and", "items": [{"op": "greaterThan", "field": "id", "value": 1}]}],
                         "unknown operator 'greaterThan'"),
                        ([{"op": "eq", "field": "id"}], "needs a value"),
                        ([{"op": "in", "field": "id", "value": 3}], "needs a list value"),
                        ([], "non-empty list")]:
        with pytest.raises(AutotaskError, match=phrase):
            validate_filter(bad)


def test_usage_near_the_hourly_cap_slows_requests_down_with_a_warning(dataset: ApiDataset, caplog):
    policy = ThresholdPolicy(check_every=2, slow_down_at=0.8, slow_delay=0.005, pause_at=0.95, pause_delay=0.01)
    sleeps = Sleeps()
    with AutotaskServer(dataset, usage=[8_600]) as server, caplog.at_level(logging.WARNING):
        got = collect(extractor(server, sleeps, threshold=policy), "Tickets")
    assert keyed(got.rows) == expected(dataset, "Tickets")
    assert "Autotask API usage is at 86% of the hourly limit; waiting 0.005 s between requests" in caplog.text
    assert sleeps.calls == [0.005] * 4  # before the count request and each of the three query requests
    assert len(server.requests_to("threshold")) == 2  # at the start, then after check_every requests


def test_usage_at_the_cap_pauses_until_it_drops_and_gives_up_when_it_does_not(dataset: ApiDataset, caplog):
    policy = ThresholdPolicy(check_every=100, pause_at=0.95, pause_delay=0.01, slow_delay=0.0, max_pauses=3)
    sleeps = Sleeps()
    with AutotaskServer(dataset, usage=[9_700, 9_900, 4_000]) as server, caplog.at_level(logging.WARNING):
        got = collect(extractor(server, sleeps, threshold=policy), "Companies")
    assert keyed(got.rows) == expected(dataset, "Companies")
    assert sleeps.calls == [0.01, 0.01]
    assert "Autotask API usage is at 97% of the hourly limit; pausing" in caplog.text
    with AutotaskServer(dataset, usage=[9_990]) as server, pytest.raises(AutotaskError) as caught:
        collect(extractor(server, threshold=policy), "Companies")
    assert "stopping before the tenant is suspended" in str(caught.value)
    assert server.requests_to("Companies/query") == []


def test_threshold_latency_below_the_timeout_is_waited_for_not_retried(dataset: ApiDataset):
    faults = FaultScript().always("Tickets/query/next", Fault.latency(0.2))
    sleeps = Sleeps()
    with AutotaskServer(dataset, faults=faults) as server:
        got = collect(extractor(server, sleeps, client={"timeout": 3.0}), "Tickets")
    assert keyed(got.rows) == expected(dataset, "Tickets")
    assert sleeps.calls == [] and len(server.requests_to("Tickets/query/next")) == 2


def test_items_that_cannot_be_mapped_are_rejected_with_their_position_and_reason():
    data = synthetic(seed=3, size=30)
    data.tickets[4] = {**data.tickets[4], "createDate": "yesterday"}
    data.tickets[9] = {**data.tickets[9], "status": "Complete"}
    data.tickets[12] = {**data.tickets[12], "title": "x" * 300}
    with AutotaskServer(data) as server:
        got = collect(extractor(server), "Tickets")
    reasons = {(r.origin, r.line): r.reason for r in got.rejected}
    ids = [t["id"] for t in data.tickets]
    assert reasons == {
        ("Tickets", 5): f"id {ids[4]}: createDate: 'yesterday' is not an ISO-8601 date-time",
        ("Tickets", 10): f"id {ids[9]}: status: expected an integer, got 'Complete'",
        ("Tickets", 13): f"id {ids[12]}: title has 300 characters, more than the 255 allowed",
    }
    assert len(got.rows) == 27 and not {ids[4], ids[9], ids[12]} & {r["id"] for r in got.rows}
