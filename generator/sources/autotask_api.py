"""Autotask PSA REST API → ``STG_Autotask_*`` staging pages (the ``autotask-api`` source).

How it talks to Autotask:

* Zone discovery: ``GET {base}/atservicesrest/v1.0/zoneInformation?user=<api user>`` (no credentials; ``base``
  is ``AUTOTASK_BASE_URL``, by default the public ``https://webservices.autotask.net``). The ``url`` it returns
  is used verbatim for every other call, and discovered again after an HTTP 401. That url must be https on an
  ``autotask.net`` host (``https://webservices5.autotask.net/atservicesrest/``) unless its origin is listed in
  ``AUTOTASK_ZONE_ORIGINS`` (the explicit override for a test server or a proxy): anything else is refused before
  the credentials are sent.
* Every call carries the ``ApiIntegrationCode`` / ``UserName`` / ``Secret`` headers, and only ever goes to the
  zone host: redirects are not followed and a ``nextPageUrl`` on another host is refused.
* Queries are ``POST {zone}v1.0/{Entity}/query`` with the JSON filter grammar; operators are checked against
  the documented list before sending (the API silently ignores an unknown one and returns everything).
* Paging: the documented ``pageDetails.nextPageUrl``, POSTed with the same body (500 items a page; a GET gets
  HTTP 405). When a next page still fails after the HTTP client's retries, the query is restarted with the
  documented ``id gt <last id>`` cursor (Autotask returns query results in ascending ``id``), at most
  ``max_resumes`` times, so a long extraction survives a flaky page without losing or repeating rows.
  Items repeated across pages are dropped by ``id``.
* Bounded paging (:mod:`generator.sources.paging`): ``POST {zone}v1.0/{Entity}/query/count`` with the same
  filter gives the item count, which caps the pages (plus a margin); a page URL asked for twice, a page with no
  new item that links to another one, and a load past ``MSP_CSAT_LOAD_DEADLINE`` stop the load with a sentence.
* Incremental: Tickets by ``lastActivityDate >= since``, TimeEntries (those on tickets) by
  ``lastModifiedDateTime >= since``. Companies, Resources and the picklists are small and read in full on every
  run (a company rename does not move its ``lastActivityDate``); their pages carry no watermark.
* Rate limit: Autotask allows 10,000 requests per rolling hour per tenant (shared by every integration; going
  over suspends the tenant). ``ThresholdInformation`` is read at the start of each entity and every
  ``check_every`` requests; above ``slow_down_at`` of the cap the client logs a warning and waits ``slow_delay``
  seconds before each request, above ``pause_at`` it pauses ``pause_delay`` seconds at a time until usage drops.
  The client is single-threaded (Autotask allows 3 concurrent threads per endpoint; one is enough here).
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from generator.errors import ToolError
from generator.sources.apivalues import RowError, format_datetime, item_label
from generator.sources.autotask_rows import (
    CHANGE_FIELDS,
    PICKLIST_FIELDS,
    PICKLIST_TABLE,
    SPECS,
    item_to_row,
    picklist_rows,
)
from generator.sources.base import Rejected, StagePage
from generator.sources.credentials import AutotaskCredentials, load_autotask_credentials, origin_of
from generator.sources.http import HttpStatusError, JsonHttpClient, RetriesExhausted, redact_url
from generator.sources.limits import DEFAULT_LOAD_DEADLINE, ApiLimits
from generator.sources.paging import LoadDeadline, PageGuard

log = logging.getLogger(__name__)

API_VERSION = "v1.0"
ENTITIES = ["Picklists", "Companies", "Resources", "Tickets", "TimeEntries"]
# The documented query operators: comparisons take field + value, exist/notExist only a field,
# in/notIn a list value; and/or group "items".
VALUE_OPERATORS = frozenset({"eq", "noteq", "gt", "gte", "lt", "lte", "beginsWith", "endsWith", "contains"})
LIST_OPERATORS = frozenset({"in", "notIn"})
FIELD_OPERATORS = frozenset({"exist", "notExist"})
GROUP_OPERATORS = frozenset({"and", "or"})
ALL_RECORDS = {"op": "gte", "field": "id", "value": 0}
VENDOR_DOMAIN = "autotask.net"


class AutotaskError(ToolError):
    """The Autotask API answered something the extractor cannot work with."""


class AutotaskStatusError(AutotaskError):
    """A call answered a non-retryable HTTP status other than 401."""


def validate_filter(conditions: Any, where: str = "filter") -> None:
    """Check a query filter against the documented grammar; raise :class:`AutotaskError` naming the problem.

    Autotask silently ignores an unknown operator (and returns every record), so this runs before sending.
    """
    if not isinstance(conditions, list) or not conditions:
        raise AutotaskError(f"Autotask {where} must be a non-empty list of conditions.")
    for position, condition in enumerate(conditions, start=1):
        place = f"{where} condition {position}"
        if not isinstance(condition, dict):
            raise AutotaskError(f"Autotask {place} must be an object.")
        op = condition.get("op")
        if op in GROUP_OPERATORS:
            validate_filter(condition.get("items"), f"{place} ({op}) items")
            continue
        known = VALUE_OPERATORS | LIST_OPERATORS | FIELD_OPERATORS | GROUP_OPERATORS
        if op not in known:
            raise AutotaskError(f"Autotask {place}: unknown operator {op!r} (the API would silently ignore it); "
                                f"use one of {', '.join(sorted(known))}.")
        if not isinstance(condition.get("field"), str) or not condition["field"]:
            raise AutotaskError(f"Autotask {place} ({op}) needs a field name.")
        if op in VALUE_OPERATORS and "value" not in condition:
            raise AutotaskError(f"Autotask {place} ({op} {condition['field']}) needs a value.")
        if op in LIST_OPERATORS and not isinstance(condition.get("value"), list):
            raise AutotaskError(f"Autotask {place} ({op} {condition['field']}) needs a list value.")


def check_zone_url(zone: str, trusted_origins: tuple[str, ...] = ()) -> None:
    """Refuse a discovered zone url that is not https on an ``autotask.net`` host (port 443), unless its origin is
    one of ``trusted_origins`` (``AUTOTASK_ZONE_ORIGINS``); raises :class:`AutotaskError` naming the url."""
    origin = origin_of(zone)
    if origin in trusted_origins:
        return
    host = (urllib.parse.urlsplit(zone).hostname or "").lower()
    on_vendor_host = host == VENDOR_DOMAIN or host.endswith("." + VENDOR_DOMAIN)
    if origin.startswith("https://") and origin.endswith(":443") and on_vendor_host:
        return
    raise AutotaskError(f"Autotask zone discovery answered the zone url {redact_url(zone)}, which is not https on an "
                        f"{VENDOR_DOMAIN} host; the API credentials were not sent there (list its origin in "
                        "AUTOTASK_ZONE_ORIGINS only if it is your own proxy or test server).")


@dataclass(frozen=True)
class ThresholdPolicy:
    """When to read ``ThresholdInformation`` and how to slow down as usage nears the hourly cap."""

    check_every: int = 100
    slow_down_at: float = 0.8
    slow_delay: float = 2.0
    pause_at: float = 0.95
    pause_delay: float = 60.0
    max_pauses: int = 60


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class AutotaskApiExtractor:
    """Extract Autotask picklists, companies, resources, tickets and time entries through the REST API."""

    source = "autotask-api"

    def __init__(self, credentials: AutotaskCredentials, *, http: JsonHttpClient | None = None,
                 page_size: int = 500, threshold: ThresholdPolicy | None = None, max_resumes: int = 3,
                 load_deadline: float = DEFAULT_LOAD_DEADLINE):
        if not 1 <= page_size <= 500:
            raise AutotaskError(f"Autotask page size must be 1-500, not {page_size}.")
        self.credentials = credentials
        self.http = http or ApiLimits().client()
        self.deadline = LoadDeadline(load_deadline)
        self.page_size = page_size
        self.threshold = threshold or ThresholdPolicy()
        self.max_resumes = max_resumes
        self._zone_url: str | None = None
        self._requests_at_poll: int | None = None
        self._slow = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **options: Any) -> AutotaskApiExtractor:
        """An extractor with credentials from ``AUTOTASK_*`` variables or the credentials file, and the limits of
        :mod:`generator.sources.limits` (``MSP_CSAT_HTTP_DEADLINE``, ``MSP_CSAT_HTTP_MAX_BYTES``,
        ``MSP_CSAT_LOAD_DEADLINE``) unless ``http`` / ``load_deadline`` are given."""
        return cls(load_autotask_credentials(environ), **ApiLimits.fill(options, environ))

    def entities(self) -> list[str]:
        """Picklists first (labels), then companies, resources, tickets and time entries."""
        return list(ENTITIES)

    def total_hint(self, entity: str) -> int | None:
        """Not known without spending requests of the tenant's hourly budget: ``None``."""
        return None

    # -- public extraction -------------------------------------------------------------------------------------

    def extract(self, entity: str, since: datetime | None) -> Iterator[StagePage]:
        """Pages of ``entity`` rows changed at or after ``since`` (see the module docstring for which entities
        are incremental)."""
        if entity not in ENTITIES:
            raise AutotaskError(f"Unknown Autotask entity {entity!r}; expected one of {', '.join(ENTITIES)}.")
        self._requests_at_poll = None  # read ThresholdInformation before each entity
        if entity == "Picklists":
            yield from self._extract_picklists()
            return
        yield from self._extract_query(entity, self._filters(entity, since))

    def _filters(self, entity: str, since: datetime | None) -> list[dict[str, Any]]:
        filters: list[dict[str, Any]] = []
        if entity == "TimeEntries":
            filters.append({"op": "exist", "field": "ticketID"})
        change_field = CHANGE_FIELDS.get(entity)
        if since is not None and change_field:
            filters.append({"op": "gte", "field": change_field, "value": format_datetime(since)})
        return filters or [dict(ALL_RECORDS)]

    def _extract_picklists(self) -> Iterator[StagePage]:
        for entity in PICKLIST_FIELDS:
            answer = self._call("GET", self._entity_url(f"{entity}/entityInformation/fields"))
            origin = f"{entity}/entityInformation/fields"
            try:
                rows, problems = picklist_rows(entity, answer)
            except RowError as exc:
                raise AutotaskError(f"Autotask {exc}.") from None
            yield StagePage(table=PICKLIST_TABLE, entity="Picklists", rows=rows,
                            rejected=[Rejected(origin, None, problem) for problem in problems])

    def _extract_query(self, entity: str, filters: list[dict[str, Any]]) -> Iterator[StagePage]:
        spec = SPECS[entity]
        seen: set[int] = set()
        position = 0
        last_id: int | None = None
        ascending = True
        resumes = 0
        duplicates = 0
        query = filters
        guard = PageGuard(f"Autotask {entity}", self.deadline)
        count = self._count(entity, filters)
        if count is not None:
            guard.limit(count, self.page_size, extra_pages=self.max_resumes)
        while True:
            try:
                for items, has_next, url in self._query_pages(entity, query, guard,
                                                              first_page_failures_fatal=resumes == 0):
                    page = StagePage(table=spec.table, entity=entity)
                    for item in items:
                        position += 1
                        try:
                            row = item_to_row(entity, item)
                        except RowError as exc:
                            page.rejected.append(Rejected(entity, position, f"{item_label(item)}: {exc}"))
                            continue
                        if row["id"] in seen:
                            duplicates += 1
                            continue
                        seen.add(row["id"])
                        if last_id is not None and row["id"] <= last_id:
                            ascending = False
                        last_id = row["id"] if last_id is None else max(last_id, row["id"])
                        page.rows.append(row)
                        stamp = row.get(spec.watermark) if spec.watermark else None
                        if stamp is not None and (page.watermark is None or stamp > page.watermark):
                            page.watermark = stamp
                    guard.after(len(page.rows) + len(page.rejected), has_next, url)
                    if page.rows or page.rejected:
                        yield page
                break
            except _NextPageFailed as failure:
                if resumes >= self.max_resumes or not ascending or last_id is None:
                    raise failure.error from None
                resumes += 1
                log.warning("Autotask %s: a next page failed (%s); resuming the query after id %d (%d of %d)",
                            entity, failure.error, last_id, resumes, self.max_resumes)
                query = [*filters, {"op": "gt", "field": "id", "value": last_id}]
        if duplicates:
            log.info("Autotask %s: %d item(s) repeated across pages were read once", entity, duplicates)

    def _count(self, entity: str, filters: list[dict[str, Any]]) -> int | None:
        """How many items the query selects (``{Entity}/query/count``), or None when the API does not say."""
        validate_filter(filters)
        url = self._entity_url(f"{entity}/query/count")  # discovers (and checks) the zone outside the try
        try:
            answer = self._call("POST", url, {"filter": filters})
        except (AutotaskStatusError, RetriesExhausted) as exc:
            log.warning("Autotask %s/query/count failed (%s); paging without a page cap (MSP_CSAT_LOAD_DEADLINE "
                        "still bounds the load)", entity, exc)
            return None
        count = answer.get("queryCount") if isinstance(answer, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            log.warning("Autotask %s/query/count answered without a queryCount; paging without a page cap "
                        "(MSP_CSAT_LOAD_DEADLINE still bounds the load)", entity)
            return None
        return count

    def _query_pages(self, entity: str, filters: list[dict[str, Any]], guard: PageGuard,
                     first_page_failures_fatal: bool = True) -> Iterator[tuple[list[Any], bool, str]]:
        """Each page's items, whether it links to a next page, and its URL."""
        validate_filter(filters)
        body = {"MaxRecords": self.page_size, "filter": filters}
        body_key = json.dumps(body, sort_keys=True)
        url = self._entity_url(f"{entity}/query")
        guard.before(url, body_key)
        try:
            answer = self._call("POST", url, body)
        except RetriesExhausted as exc:
            if first_page_failures_fatal:
                raise
            raise _NextPageFailed(exc) from None
        while True:
            items, next_url = self._page_parts(entity, answer)
            yield items, next_url is not None, url
            if not next_url:
                return
            self._check_zone_host(entity, next_url)
            guard.before(next_url, body_key)
            url = next_url
            try:
                answer = self._call("POST", next_url, body)  # same body; a GET would get HTTP 405
            except RetriesExhausted as exc:
                raise _NextPageFailed(exc) from None

    @staticmethod
    def _page_parts(entity: str, answer: Any) -> tuple[list[Any], str | None]:
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            raise AutotaskError(f"Autotask {entity}/query answered without an 'items' list.")
        details = answer.get("pageDetails") or {}
        next_url = details.get("nextPageUrl") if isinstance(details, dict) else None
        if next_url is not None and not isinstance(next_url, str):
            raise AutotaskError(f"Autotask {entity}/query answered a nextPageUrl that is not text.")
        return answer["items"], next_url or None

    def _check_zone_host(self, entity: str, next_url: str) -> None:
        zone = self._zone()
        if _origin(next_url) != _origin(zone):
            raise AutotaskError(
                f"Autotask {entity}/query returned a nextPageUrl on {redact_url(next_url)}, not on the zone host "
                f"{redact_url(zone)}; refusing to send the API credentials there.")

    # -- transport: zone, headers, 401, threshold ------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"ApiIntegrationCode": self.credentials.integration_code.reveal(),
                "UserName": self.credentials.username,
                "Secret": self.credentials.secret.reveal()}

    def _discover_zone(self) -> str:
        query = urllib.parse.urlencode({"user": self.credentials.username})
        url = f"{self.credentials.base_url}/atservicesrest/{API_VERSION}/zoneInformation?{query}"
        try:
            answer = self.http.request("GET", url)
        except HttpStatusError as exc:
            raise AutotaskError(f"Autotask zone discovery for the API user {self.credentials.username!r} failed "
                                f"(HTTP {exc.status}{': ' + exc.detail if exc.detail else ''}); check "
                                "AUTOTASK_USERNAME and AUTOTASK_BASE_URL.") from None
        zone = answer.get("url") if isinstance(answer, dict) else None
        if not isinstance(zone, str) or not zone.startswith(("https://", "http://")):
            raise AutotaskError(f"Autotask zone discovery for {self.credentials.username!r} returned no zone url.")
        check_zone_url(zone, self.credentials.zone_origins)
        if not zone.endswith("/"):
            zone += "/"
        log.info("Autotask zone for the API user: %s (%s)", redact_url(zone), answer.get("zoneName", "?"))
        return zone

    def _zone(self) -> str:
        if self._zone_url is None:
            self._zone_url = self._discover_zone()
        return self._zone_url

    def _entity_url(self, path: str) -> str:
        return f"{self._zone()}{API_VERSION}/{path}"

    def _call(self, method: str, url: str, body: Any = None) -> Any:
        """One API call on the zone host with the credential headers; re-discovers the zone once on a 401."""
        self._respect_threshold()
        for attempt in (1, 2):
            try:
                return self.http.request(method, url, headers=self._headers(), json_body=body)
            except HttpStatusError as exc:
                if exc.status != 401:
                    raise AutotaskStatusError(f"Autotask {method} {redact_url(url)} failed: HTTP {exc.status}"
                                              f"{': ' + exc.detail if exc.detail else ''}.") from None
                if attempt == 2:
                    raise AutotaskError(
                        f"Autotask rejected the API user {self.credentials.username!r} (HTTP 401"
                        f"{': ' + exc.detail if exc.detail else ''}) even after zone discovery; check "
                        "AUTOTASK_USERNAME, AUTOTASK_SECRET and AUTOTASK_INTEGRATION_CODE.") from None
                log.warning("Autotask answered HTTP 401 for %s %s; discovering the zone again", method,
                            redact_url(url))
                old_zone = self._zone()
                self._zone_url = self._discover_zone()
                if url.startswith(old_zone):
                    url = self._zone_url + url[len(old_zone):]
        raise AssertionError("unreachable")

    def _respect_threshold(self) -> None:
        sent = self.http.requests_sent
        if self._requests_at_poll is None or sent - self._requests_at_poll >= self.threshold.check_every:
            usage = self._poll_threshold()
            pauses = 0
            while usage is not None and usage >= self.threshold.pause_at:
                if pauses >= self.threshold.max_pauses:
                    raise AutotaskError(
                        f"Autotask API usage stayed at {usage:.0%} of the hourly request limit after "
                        f"{pauses} pauses; stopping before the tenant is suspended. Run the load again later.")
                pauses += 1
                log.warning("Autotask API usage is at %.0f%% of the hourly limit; pausing %.3g s (%d of %d)",
                            usage * 100, self.threshold.pause_delay, pauses, self.threshold.max_pauses)
                self.http.sleep(self.threshold.pause_delay)
                usage = self._poll_threshold()
            self._slow = usage is not None and usage >= self.threshold.slow_down_at
            if self._slow:
                log.warning("Autotask API usage is at %.0f%% of the hourly limit; waiting %.3g s between requests",
                            usage * 100, self.threshold.slow_delay)
        if self._slow:
            self.http.sleep(self.threshold.slow_delay)

    def _poll_threshold(self) -> float | None:
        """Share of the hourly request limit used so far, from ``ThresholdInformation`` (``None``: unknown)."""
        url = self._entity_url("ThresholdInformation")
        try:
            answer = self.http.request("GET", url, headers=self._headers())
        except (HttpStatusError, RetriesExhausted) as exc:
            log.warning("Autotask ThresholdInformation could not be read (%s); going on without it", exc)
            answer = None
        self._requests_at_poll = self.http.requests_sent
        if not isinstance(answer, dict):
            return None
        limit = answer.get("externalRequestThreshold")
        used = answer.get("currentTimeframeRequestCount")
        if not isinstance(limit, int | float) or not isinstance(used, int | float) or limit <= 0:
            log.warning("Autotask ThresholdInformation answered without usable counts; going on without it")
            return None
        log.debug("Autotask API usage: %d of %d requests in the current timeframe", used, limit)
        return used / limit


class _NextPageFailed(Exception):
    """Internal: a query page after the first failed after every retry (the query may resume by id)."""

    def __init__(self, error: ToolError):
        super().__init__(str(error))
        self.error = error
