"""Bounded API work: paging that loops, never ends or does not advance stops with a sentence; every request has a
total deadline and a size cap (real hostile servers on 127.0.0.1)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generator.sources.autotask_api import AutotaskApiExtractor, ThresholdPolicy
from generator.sources.http import ResponseTooLarge, RetriesExhausted
from generator.sources.limits import ApiLimits
from generator.sources.paging import PagingError
from generator.sources.smileback_api import SmileBackApiExtractor
from tests.conftest import run_cli
from tests.fakeapi.endless import EndlessBody, EndlessPages, TrickleServer
from tests.fakeapi.harness import collect, fast_client

NO_THROTTLE = ThresholdPolicy(check_every=100_000)


def autotask(server: EndlessPages, **options) -> AutotaskApiExtractor:
    return AutotaskApiExtractor.from_environment(server.autotask_env(), http=fast_client(), threshold=NO_THROTTLE,
                                                 **options)


def smileback(server: EndlessPages, **options) -> SmileBackApiExtractor:
    return SmileBackApiExtractor.from_environment(server.smileback_env(), http=fast_client(), requests_per_minute=None,
                                                  **options)


def failure(extractor, entity: str) -> str:
    with pytest.raises(PagingError) as caught:
        collect(extractor, entity)
    return str(caught.value)


# -- item 7: paging ----------------------------------------------------------------------------------------------------

def test_an_autotask_next_page_url_that_repeats_stops_at_the_repeat():
    with EndlessPages("repeat", count=None) as server:
        message = failure(autotask(server), "Tickets")
    assert message == (f"Autotask Tickets: the API linked to the page {server.url}/atservicesrest/V1.0/Tickets/query/"
                       "next a second time after 2 page(s); its paging loops, so the load stopped.")
    assert server.pages == 2


def test_autotask_pages_that_never_end_stop_at_the_reported_count_with_a_margin():
    with EndlessPages("forever", count=3) as server:
        message = failure(autotask(server, max_resumes=3), "Tickets")
    assert message.startswith("Autotask Tickets: the API kept linking to more pages after 6 pages although it counted "
                              "3 item(s) (at most 6 pages); stopped at ")
    assert server.pages == 6  # 3 items fit one page; 2 pages of margin and 3 for resumed queries
    assert len(server.requests_to("count")) == 1


def test_autotask_pages_that_bring_no_new_item_stop_at_once():
    with EndlessPages("stall", count=None) as server:
        message = failure(autotask(server), "Tickets")
    assert message == (f"Autotask Tickets: page 2 ({server.url}/atservicesrest/V1.0/Tickets/query/next) brought no new "
                       "item but links to another page; the API's paging does not advance, so the load stopped.")
    assert server.pages == 2


def test_endless_pages_without_a_count_stop_at_the_load_deadline():
    started = time.monotonic()
    with EndlessPages("forever", count=None, stop_after=20_000) as server:
        message = failure(autotask(server, load_deadline=1.0), "Tickets")
    assert message.startswith("Autotask Tickets: the load ran past its deadline of 1 s (MSP_CSAT_LOAD_DEADLINE) after ")
    assert message.endswith(" page(s) of this listing; stopped.")
    assert time.monotonic() - started < 20 and 1 < server.pages < server.stop_after


def test_a_smileback_next_link_that_repeats_stops_at_the_repeat():
    with EndlessPages("repeat", count=None) as server:
        message = failure(smileback(server), "Reviews")
    assert message == (f"SmileBack Reviews: the API linked to the page {server.url}/api/v3/reviews/ a second time "
                       "after 2 page(s); its paging loops, so the load stopped.")


def test_smileback_pages_that_never_end_stop_at_the_reported_count():
    with EndlessPages("forever", count=3) as server:
        message = failure(smileback(server), "Reviews")
    assert message.startswith("SmileBack Reviews: the API kept linking to more pages after 3 pages although it "
                              "counted 3 item(s)")
    assert server.pages == 3


def test_smileback_pages_that_bring_no_new_item_stop_at_once():
    with EndlessPages("stall", count=None) as server:
        message = failure(smileback(server), "Reviews")
    assert message.startswith("SmileBack Reviews: page 2 (") and "does not advance" in message


# -- item 8: per-request deadline and size cap -------------------------------------------------------------------------

@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_server_trickling_one_byte_at_a_time_is_cut_off_at_the_request_deadline(part: str):
    started = time.monotonic()
    with TrickleServer(part=part, interval=0.3, size=30) as server:
        client = fast_client(timeout=2.0, deadline=1.5, attempts=2)
        with pytest.raises(RetriesExhausted) as caught:
            client.request("GET", f"{server.url}/api/v3/reviews/")
    assert str(caught.value) == (f"GET {server.url}/api/v3/reviews/ failed after 2 attempts; last failure: no "
                                 "complete answer within 1.5 s (the per-request deadline, MSP_CSAT_HTTP_DEADLINE).")
    assert len(server.requests) == 2 and time.monotonic() - started < 20


def test_an_endless_body_stops_at_the_size_cap_and_is_not_retried():
    with EndlessBody() as server:
        with pytest.raises(ResponseTooLarge) as caught:
            fast_client(max_bytes=1024 * 1024).request("GET", f"{server.url}/api/v3/reviews/")
        sent = server.bytes_sent
    assert str(caught.value) == (f"GET {server.url}/api/v3/reviews/ answered more than 1 MiB, the largest answer read "
                                 "(MSP_CSAT_HTTP_MAX_BYTES); stopped reading it.")
    assert len(server.requests) == 1 and sent < 16 * 1024 * 1024


def test_a_declared_oversized_body_is_refused_before_reading_it():
    with EndlessBody(declared=5 * 1024**3) as server:
        with pytest.raises(ResponseTooLarge, match="answered more than 1 MiB"):
            fast_client(max_bytes=1024 * 1024).request("GET", f"{server.url}/x")
        sent = server.bytes_sent
    assert sent < 16 * 1024 * 1024


# -- configuration ---------------------------------------------------------------------------------------------------

def test_the_limits_come_from_the_environment_with_documented_defaults():
    assert ApiLimits.from_environment({}) == ApiLimits(request_deadline=300.0, max_response_bytes=64 * 1024 * 1024,
                                                       load_deadline=21600.0)
    env = {"SMILEBACK_USERNAME": "u", "SMILEBACK_PASSWORD": "pw-Lm4", "SMILEBACK_CLIENT_ID": "c",
           "SMILEBACK_CLIENT_SECRET": "cs-Uv2", "MSP_CSAT_HTTP_DEADLINE": "2.5", "MSP_CSAT_HTTP_MAX_BYTES": "1048576",
           "MSP_CSAT_LOAD_DEADLINE": "60"}
    for extractor in (SmileBackApiExtractor.from_environment(env),
                      AutotaskApiExtractor.from_environment({**env, "AUTOTASK_USERNAME": "u", "AUTOTASK_SECRET": "s-1",
                                                             "AUTOTASK_INTEGRATION_CODE": "c-1"})):
        assert (extractor.http.deadline, extractor.http.max_bytes, extractor.deadline.seconds) == (2.5, 1048576, 60)


@pytest.mark.parametrize(("variable", "value", "what"), [("MSP_CSAT_HTTP_MAX_BYTES", "64MB", "a whole number of bytes"),
                                                         ("MSP_CSAT_HTTP_DEADLINE", "0", "a number of seconds"),
                                                         ("MSP_CSAT_LOAD_DEADLINE", "inf", "a number of seconds")])
def test_a_bad_limit_is_one_sentence(variable: str, value: str, what: str, tmp_path: Path):
    env = {"SMILEBACK_USERNAME": "u", "SMILEBACK_PASSWORD": "pw", "SMILEBACK_CLIENT_ID": "c",
           "SMILEBACK_CLIENT_SECRET": "cs", "SMILEBACK_BASE_URL": "http://127.0.0.1:9", variable: value,
           "XDG_CONFIG_HOME": str(tmp_path), "MSP_CSAT_CREDENTIALS": ""}
    result = run_cli("load", "--source", "smileback-api", "--db", str(tmp_path / "x.duckdb"), "--quiet", env=env)
    assert result.code != 0 and "Traceback" not in result.err
    assert f"{variable} must be {what} greater than 0, not {value!r}." in result.err
