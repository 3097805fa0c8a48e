"""SmileBack Data Replication API (v3) → ``STG_SmileBack_Reviews`` / ``STG_SmileBack_NPS`` pages (``smileback-api``).

* Authentication: OAuth2 password grant, ``POST {base}/api/token/`` with the client id and secret as HTTP Basic
  and ``grant_type=password&username=…&password=…`` as the form; then ``Authorization: Bearer <token>``. The
  token is renewed before it expires and after an HTTP 401 (refresh token first, else a new password grant).
* Reviews: ``GET {base}/api/v3/reviews/?limit=1000&include_unrated=true&modified_since=…``; NPS responses:
  ``GET {base}/api/v3/nps-responses/?limit=1000&created_since=…`` (the filter SmileBack documents for them).
  Pages are ``{count, previous, next, results}``; ``next`` is followed on the configured host only (its path
  and query are kept; the bearer token is never sent to another host).
* Offset paging can shift when reviews change while it runs: if fewer distinct reviews arrived than the first
  page's ``count``, the listing is read once more and only the missing ones are kept. Items repeated across
  pages are read once.
* Bounded paging (:mod:`generator.sources.paging`): the first page's ``count`` caps the pages of a pass (plus a
  margin); a page URL asked for twice, a first-pass page with no new item that links to another one, and a load
  past ``MSP_CSAT_LOAD_DEADLINE`` stop the load with a sentence.
* Pacing: SmileBack allows about 30 requests a minute; requests are spaced ``60 / requests_per_minute``
  seconds apart (``None`` turns pacing off). HTTP 429 is retried, honouring ``Retry-After``.
"""

from __future__ import annotations

import base64
import logging
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from generator.errors import ToolError
from generator.sources.apivalues import RowError, format_datetime, item_label
from generator.sources.base import Rejected, StagePage
from generator.sources.credentials import SmileBackCredentials, load_smileback_credentials
from generator.sources.http import HttpStatusError, JsonHttpClient, redact_url
from generator.sources.limits import DEFAULT_LOAD_DEADLINE, ApiLimits
from generator.sources.paging import LoadDeadline, PageGuard
from generator.sources.smileback_rows import ROW_MAPPERS, SPECS

log = logging.getLogger(__name__)

ENTITIES = ["Reviews", "NPS"]
ENDPOINTS = {"Reviews": "reviews", "NPS": "nps-responses"}
SINCE_PARAMETER = {"Reviews": "modified_since", "NPS": "created_since"}
TOKEN_MARGIN = 30.0  # renew a token this many seconds before SmileBack says it expires


class SmileBackError(ToolError):
    """The SmileBack API answered something the extractor cannot work with."""


class SmileBackApiExtractor:
    """Extract SmileBack CSAT reviews and NPS responses through the Data Replication API."""

    source = "smileback-api"

    def __init__(self, credentials: SmileBackCredentials, *, http: JsonHttpClient | None = None,
                 page_size: int = 1000, requests_per_minute: float | None = 30.0,
                 clock: Callable[[], float] = time.monotonic, load_deadline: float = DEFAULT_LOAD_DEADLINE):
        if not 1 <= page_size <= 1000:
            raise SmileBackError(f"SmileBack page size must be 1-1000, not {page_size}.")
        self.credentials = credentials
        self.http = http or ApiLimits().client()
        self.deadline = LoadDeadline(load_deadline)
        self.page_size = page_size
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self.clock = clock
        self._token: str | None = None
        self._refresh_token: str | None = None
        self._token_expires: float | None = None
        self._last_request: float | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **options: Any) -> SmileBackApiExtractor:
        """An extractor with credentials from ``SMILEBACK_*`` variables or the credentials file.

        ``SMILEBACK_REQUESTS_PER_MINUTE`` overrides the pacing (``0`` turns it off, e.g. for a local proxy); the
        limits of :mod:`generator.sources.limits` apply unless ``http`` / ``load_deadline`` are given.
        """
        env = os.environ if environ is None else environ
        ApiLimits.fill(options, env)
        pace = env.get("SMILEBACK_REQUESTS_PER_MINUTE", "").strip()
        if pace and "requests_per_minute" not in options:
            try:
                rate = float(pace)
            except ValueError:
                rate = -1.0
            if not rate >= 0:
                raise SmileBackError(f"SMILEBACK_REQUESTS_PER_MINUTE must be a number of requests (0: no pacing), "
                                     f"not {pace!r}.")
            options["requests_per_minute"] = rate or None
        return cls(load_smileback_credentials(env), **options)

    def entities(self) -> list[str]:
        """Reviews, then NPS responses."""
        return list(ENTITIES)

    def total_hint(self, entity: str) -> int | None:
        """Not known before the first page (which carries ``count``): ``None``."""
        return None

    # -- extraction ----------------------------------------------------------------------------------------------

    def extract(self, entity: str, since: datetime | None) -> Iterator[StagePage]:
        """Pages of ``entity`` rows modified (reviews) or created (NPS) at or after ``since``."""
        if entity not in ENTITIES:
            raise SmileBackError(f"Unknown SmileBack entity {entity!r}; expected one of {', '.join(ENTITIES)}.")
        params: dict[str, str] = {"limit": str(self.page_size)}
        if entity == "Reviews":
            params["include_unrated"] = "true"
        if since is not None:
            params[SINCE_PARAMETER[entity]] = format_datetime(since)
        first_url = f"{self.credentials.base_url}/api/v3/{ENDPOINTS[entity]}/?{urllib.parse.urlencode(params)}"
        seen: set[int] = set()
        state = {"position": 0, "rejected": 0, "count": None}
        yield from self._pass(entity, first_url, seen, state)
        expected = state["count"]
        if isinstance(expected, int) and len(seen) + state["rejected"] < expected:
            log.warning("SmileBack %s: %d distinct items arrived but the listing counted %d (items moved while "
                        "paging); reading the listing once more", entity, len(seen) + state["rejected"], expected)
            state["rejected"] = 0
            yield from self._pass(entity, first_url, seen, state, skip_rejected=True)
            if len(seen) < expected:
                log.warning("SmileBack %s: still %d of %d items after a second pass; the next incremental load "
                            "will pick up the rest", entity, len(seen), expected)

    def _pass(self, entity: str, url: str, seen: set[int], state: dict[str, Any],
              skip_rejected: bool = False) -> Iterator[StagePage]:
        spec = SPECS[entity]
        mapper = ROW_MAPPERS[entity]
        guard = PageGuard(f"SmileBack {entity}", self.deadline)
        next_url: str | None = url
        first = True
        while next_url:
            guard.before(next_url)
            answer = self._get(next_url)
            if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
                raise SmileBackError(f"SmileBack {redact_url(next_url)} answered without a 'results' list.")
            count = answer.get("count")
            if first and isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                guard.limit(count, self.page_size)
                if state["count"] is None:
                    state["count"] = count
            first = False
            new_items = 0
            page = StagePage(table=spec.table, entity=entity)
            for item in answer["results"]:
                state["position"] += 1
                try:
                    row = mapper(item)
                except RowError as exc:
                    new_items += 1
                    state["rejected"] += 1
                    if not skip_rejected:
                        page.rejected.append(Rejected(entity, state["position"], f"{item_label(item)}: {exc}"))
                    continue
                if row["id"] in seen:
                    continue
                new_items += 1
                seen.add(row["id"])
                page.rows.append(row)
                stamp = row.get(spec.watermark) if spec.watermark else None
                if stamp is not None and (page.watermark is None or stamp > page.watermark):
                    page.watermark = stamp
            if page.rows or page.rejected:
                yield page
            following = answer.get("next")
            if following is not None and not isinstance(following, str):
                raise SmileBackError(f"SmileBack {redact_url(next_url)} answered a 'next' that is not text.")
            if not skip_rejected:  # a second pass re-reads known items on purpose
                guard.after(new_items, bool(following), next_url)
            next_url = self._on_base_host(following) if following else None

    def _on_base_host(self, url: str) -> str:
        """``url``'s path and query on the configured SmileBack host (the token goes nowhere else)."""
        parts = urllib.parse.urlsplit(url)
        base = urllib.parse.urlsplit(self.credentials.base_url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            log.debug("SmileBack next link on %s followed on the configured host %s", redact_url(url),
                      redact_url(self.credentials.base_url))
        return urllib.parse.urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    # -- transport: pacing, token, 401 ----------------------------------------------------------------------------

    def _pace(self) -> None:
        if self.interval <= 0:
            return
        now = self.clock()
        if self._last_request is not None:
            wait = self._last_request + self.interval - now
            if wait > 0:
                self.http.sleep(wait)
                now = self.clock()
        self._last_request = now

    def _get(self, url: str) -> Any:
        for attempt in (1, 2):
            token = self._bearer()
            self._pace()
            try:
                return self.http.request("GET", url, headers={"Authorization": f"Bearer {token}"})
            except HttpStatusError as exc:
                if exc.status != 401:
                    raise SmileBackError(f"SmileBack GET {redact_url(url)} failed: HTTP {exc.status}"
                                         f"{': ' + exc.detail if exc.detail else ''}.") from None
                if attempt == 2:
                    raise SmileBackError(f"SmileBack refused a fresh access token for GET {redact_url(url)} "
                                         f"(HTTP 401{': ' + exc.detail if exc.detail else ''}).") from None
                log.info("SmileBack answered HTTP 401 (token expired or revoked); renewing the access token")
                self._token = None
        raise AssertionError("unreachable")

    def _bearer(self) -> str:
        if self._token is not None and (self._token_expires is None or self.clock() < self._token_expires):
            return self._token
        if self._refresh_token is not None:
            try:
                self._fetch_token({"grant_type": "refresh_token", "refresh_token": self._refresh_token})
                return self._token or ""
            except SmileBackError as exc:
                log.info("SmileBack token refresh failed (%s); signing in again", exc)
                self._refresh_token = None
        self._fetch_token({"grant_type": "password", "username": self.credentials.username,
                           "password": self.credentials.password.reveal()})
        return self._token or ""

    def _fetch_token(self, form: dict[str, str]) -> None:
        url = f"{self.credentials.base_url}/api/token/"
        pair = f"{self.credentials.client_id}:{self.credentials.client_secret.reveal()}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        self._pace()
        try:
            answer = self.http.request("POST", url, headers=headers, form=form,
                                       secrets=[value for key, value in form.items() if key != "grant_type"])
        except HttpStatusError as exc:
            raise SmileBackError(
                f"SmileBack sign-in ({form['grant_type']} grant) for {self.credentials.username!r} failed: "
                f"HTTP {exc.status}{': ' + exc.detail if exc.detail else ''}; check SMILEBACK_USERNAME, "
                "SMILEBACK_PASSWORD, SMILEBACK_CLIENT_ID and SMILEBACK_CLIENT_SECRET.") from None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise SmileBackError("SmileBack sign-in answered without an access_token.")
        self._token = token
        refresh = answer.get("refresh_token")
        self._refresh_token = refresh if isinstance(refresh, str) and refresh else None
        expires_in = answer.get("expires_in")
        self._token_expires = (self.clock() + max(0.0, float(expires_in) - TOKEN_MARGIN)
                               if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) else None)
