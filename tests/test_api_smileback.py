"""The SmileBack extractor against the fault-injecting fake SmileBack server (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from generator.sources.http import RetriesExhausted, parse_retry_after
from generator.sources.smileback_api import SmileBackApiExtractor, SmileBackError
from tests.fakeapi.dataset import ApiDataset, synthetic
from tests.fakeapi.faults import Fault, FaultScript, RecordingServer
from tests.fakeapi.harness import Sleeps, collect, fast_client, keyed
from tests.fakeapi.smileback import SmileBackServer


@pytest.fixture(scope="module")
def dataset() -> ApiDataset:
    """About 390 reviews (four pages of 100: rated, unrated, deleted, orphans) and 80 NPS responses."""
    return synthetic(seed=11, size=800)


def extractor(server: SmileBackServer, sleeps: Sleeps | None = None, **options) -> SmileBackApiExtractor:
    """An extractor for ``server`` built from environment variables, pacing off, pages of 100."""
    options.setdefault("requests_per_minute", None)
    options.setdefault("page_size", 100)
    return SmileBackApiExtractor.from_environment(server.env(), http=fast_client(sleeps, **options.pop("client", {})),
                                                  **options)


def reviews(dataset: ApiDataset) -> dict:
    return keyed(dataset.expected["STG_SmileBack_Reviews"])


def nps(dataset: ApiDataset) -> dict:
    return keyed(dataset.expected["STG_SmileBack_NPS"])


def test_full_extraction_gives_exactly_the_servers_reviews_and_nps(dataset: ApiDataset):
    with SmileBackServer(dataset) as server:
        ex = extractor(server)
        assert ex.source == "smileback-api" and ex.entities() == ["Reviews", "NPS"]
        got = collect(ex, "Reviews")
        got_nps = collect(ex, "NPS")
    assert got.rejected == [] and got_nps.rejected == []
    assert keyed(got.rows) == reviews(dataset)
    assert keyed(got_nps.rows) == nps(dataset)
    ratings = {r["rating"] for r in got.rows}
    statuses = {r["status"] for r in got.rows}
    assert ratings == {1, 0, -1, None} and statuses == {"open", "done", "deleted"}  # SmileBack's own values
    assert all(page.table == "STG_SmileBack_Reviews" and len(page.rows) <= 100 for page in got.pages)
    assert len(got.pages) >= 4
    assert got.watermark == max(r["last_modified"] for r in reviews(dataset).values())
    first = server.requests_to("reviews")[0]
    assert first.query["include_unrated"] == ["true"] and first.query["limit"] == ["100"]
    token = server.requests_to("token")
    assert len(token) == 1  # one sign-in for both entities
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    assert token[0].headers["authorization"] == f"Basic {basic}"
    assert parse_qs(token[0].body.decode())["grant_type"] == ["password"]
    assert all(r.headers["authorization"].startswith("Bearer access-") for r in server.requests_to("reviews"))


def test_incremental_extraction_since_the_watermark(dataset: ApiDataset):
    since = datetime(2026, 1, 15, 6, 30, 0, 250000)
    with SmileBackServer(dataset) as server:
        ex = extractor(server)
        got = collect(ex, "Reviews", since)
        got_nps = collect(ex, "NPS", since)
    want = {k: r for k, r in reviews(dataset).items() if r["last_modified"] >= since}
    assert 0 < len(want) < len(dataset.reviews)
    assert keyed(got.rows) == want
    assert server.requests_to("reviews")[0].query["modified_since"] == ["2026-01-15T06:30:00.250000Z"]
    assert keyed(got_nps.rows) == {k: r for k, r in nps(dataset).items() if r["responded_on"] >= since}
    assert server.requests_to("nps-responses")[0].query["created_since"] == ["2026-01-15T06:30:00.250000Z"]


FAULTS = {
    "http-429": Fault.status(429),
    "http-500": Fault.status(500),
    "http-503": Fault.status(503),
    "timeout": Fault.slow(1.5),
    "dropped-mid-page": Fault.drop(),
    "malformed-json": Fault.malformed(),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_transient_fault_is_retried_without_losing_or_repeating_reviews(dataset: ApiDataset, name: str):
    faults = FaultScript().on("reviews", 1, 3, fault=FAULTS[name])
    sleeps = Sleeps()
    with SmileBackServer(dataset, faults=faults) as server:
        got = collect(extractor(server, sleeps, client={"timeout": 0.4}), "Reviews")
    assert keyed(got.rows) == reviews(dataset)
    assert sleeps.calls == [0.01, 0.01]


def test_429_with_retry_after_waits_as_long_as_asked(dataset: ApiDataset):
    faults = FaultScript().on("reviews", 2, fault=Fault.status(429, retry_after="1"))
    sleeps = Sleeps()
    with SmileBackServer(dataset, faults=faults) as server:
        got = collect(extractor(server, sleeps), "Reviews")
    assert keyed(got.rows) == reviews(dataset)
    assert sleeps.calls == [1.0]  # Retry-After, not the 0.01 s back-off step


def test_retry_after_as_an_http_date():
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Mar 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_persistent_429_ends_in_a_clear_error(dataset: ApiDataset):
    faults = FaultScript().always("reviews", Fault.status(429))
    sleeps = Sleeps()
    with SmileBackServer(dataset, faults=faults) as server, pytest.raises(RetriesExhausted) as caught:
        collect(extractor(server, sleeps), "Reviews")
    assert sleeps.calls == [0.01, 0.02, 0.04]
    assert str(caught.value) == (f"GET {server.url}/api/v3/reviews/ failed after 4 attempts; last failure: "
                                 "HTTP 429 (injected HTTP 429).")


def test_an_expired_token_is_refreshed_and_the_extraction_goes_on(dataset: ApiDataset):
    faults = FaultScript().on("reviews", 3, fault=Fault.expire_token())
    with SmileBackServer(dataset, faults=faults) as server:
        got = collect(extractor(server), "Reviews")
    assert keyed(got.rows) == reviews(dataset)
    grants = [parse_qs(r.body.decode())["grant_type"][0] for r in server.requests_to("token")]
    assert grants == ["password", "refresh_token"]


def test_a_refused_refresh_falls_back_to_signing_in_again(dataset: ApiDataset):
    faults = FaultScript().on("reviews", 2, fault=Fault.expire_token()).on("token", 2, fault=Fault.status(400))
    with SmileBackServer(dataset, faults=faults) as server:
        got = collect(extractor(server), "Reviews")
    assert keyed(got.rows) == reviews(dataset)
    grants = [parse_qs(r.body.decode())["grant_type"][0] for r in server.requests_to("token")]
    assert grants == ["password", "refresh_token", "password"]


def test_a_token_past_its_lifetime_is_renewed_before_use(dataset: ApiDataset):
    with SmileBackServer(dataset, expires_in=0) as server:  # every token is stale at once (30 s margin)
        got = collect(extractor(server), "Reviews")
    assert keyed(got.rows) == reviews(dataset)
    assert len(server.requests_to("token")) == len(server.requests_to("reviews"))
    assert all(r.fault is None for r in server.requests_to("reviews"))  # no 401 was needed


def test_wrong_password_gives_one_clear_error_without_secrets(dataset: ApiDataset):
    with SmileBackServer(dataset) as server:
        env = {**server.env(), "SMILEBACK_PASSWORD": "not-the-password-Kk1"}
        ex = SmileBackApiExtractor.from_environment(env, http=fast_client(), requests_per_minute=None)
        with pytest.raises(SmileBackError) as caught:
            collect(ex, "Reviews")
    message = str(caught.value)
    assert "HTTP 400: Invalid credentials given." in message and "SMILEBACK_PASSWORD" in message
    assert "not-the-password-Kk1" not in message and server.client_secret not in message
    assert server.requests_to("reviews") == []


def test_a_repeated_item_is_read_once_and_a_shifted_page_is_caught_up(dataset: ApiDataset, caplog):
    faults = FaultScript().on("reviews", 2, fault=Fault.repeat_item()).on("reviews", 3, fault=Fault.skip_item())
    with SmileBackServer(dataset, faults=faults) as server:
        got = collect(extractor(server), "Reviews")
    assert keyed(got.rows) == reviews(dataset)  # the skipped review came in the second pass
    assert "reading the listing once more" in caplog.text
    pages = -(-len(dataset.reviews) // 100)
    assert len(server.requests_to("reviews")) == 2 * pages


def test_a_next_link_on_another_host_is_followed_on_the_configured_host_only(dataset: ApiDataset):
    with RecordingServer() as foreign:
        faults = FaultScript().on("reviews", 1, fault=Fault.foreign_next(foreign.url))
        with SmileBackServer(dataset, faults=faults) as server:
            got = collect(extractor(server), "Reviews")
    assert foreign.requests == []  # the bearer token never went there
    assert keyed(got.rows) == reviews(dataset)


def test_requests_are_paced_to_the_per_minute_limit(dataset: ApiDataset):
    now = [1000.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # a virtual clock: pacing is arithmetic on it, not wall time
        sleeps.append(round(seconds, 6))
        now[0] += seconds

    with SmileBackServer(dataset) as server:
        http = fast_client()
        http.sleep = sleep
        ex = SmileBackApiExtractor.from_environment(server.env(), http=http, page_size=100, requests_per_minute=30,
                                                    clock=lambda: now[0])
        got = collect(ex, "Reviews")
    assert keyed(got.rows) == reviews(dataset)
    calls = len(server.requests_to("token")) + len(server.requests_to("reviews"))
    assert sleeps == [2.0] * (calls - 1)  # 60 s / 30 requests between every two requests


def test_reviews_that_cannot_be_used_are_rejected_with_the_reason():
    data = synthetic(seed=5, size=60)
    data.reviews.sort(key=lambda r: (r["last_modified"], r["id"]))  # the server's order: positions are known
    data.reviews[2] = {**data.reviews[2], "rating": 5}
    data.reviews[5] = {**data.reviews[5], "status": "archived"}
    data.reviews[7] = {**data.reviews[7], "rated_on": "last week"}
    with SmileBackServer(data) as server:
        got = collect(extractor(server), "Reviews")
    ids = [r["id"] for r in data.reviews]
    assert {(r.origin, r.line, r.reason) for r in got.rejected} == {
        ("Reviews", 3, f"id {ids[2]}: rating: 5 is not one of SmileBack's 1, 0, -1 or null"),
        ("Reviews", 6, f"id {ids[5]}: status: 'archived' is not open, done or deleted"),
        ("Reviews", 8, f"id {ids[7]}: rated_on: 'last week' is not an ISO-8601 date-time"),
    }
    assert len(got.rows) == len(data.reviews) - 3


def test_a_deleted_review_arrives_as_deleted_on_the_next_incremental_run(dataset: ApiDataset):
    data = synthetic(seed=11, size=100)
    with SmileBackServer(data) as server:
        ex = extractor(server)
        first = collect(ex, "Reviews")
        victim = next(r for r in data.reviews if r["status"] == "done")
        victim["status"] = "deleted"
        victim["last_modified"] = (first.watermark + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        second = collect(ex, "Reviews", first.watermark)
    assert [(r["id"], r["status"]) for r in second.rows if r["id"] == victim["id"]] == [(victim["id"], "deleted")]
    assert all(r["last_modified"] >= first.watermark for r in second.rows)


def test_pacing_can_be_set_from_the_environment(dataset: ApiDataset):
    with SmileBackServer(dataset) as server:
        assert SmileBackApiExtractor.from_environment(server.env()).interval == 2.0  # 30 a minute by default
        off = SmileBackApiExtractor.from_environment({**server.env(), "SMILEBACK_REQUESTS_PER_MINUTE": "0"})
        assert off.interval == 0.0
        assert SmileBackApiExtractor.from_environment({**server.env(),
                                                       "SMILEBACK_REQUESTS_PER_MINUTE": "120"}).interval == 0.5
        with pytest.raises(SmileBackError, match="SMILEBACK_REQUESTS_PER_MINUTE must be a number"):
            SmileBackApiExtractor.from_environment({**server.env(), "SMILEBACK_REQUESTS_PER_MINUTE": "fast"})
