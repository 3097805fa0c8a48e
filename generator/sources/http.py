"""A small JSON-over-HTTP client with bounded retries and deterministic exponential back-off.

Retryable: HTTP 429, 500, 502, 503 and 504, timeouts, refused or dropped connections (including a body cut
short mid-page) and bodies that are not valid JSON. A ``Retry-After`` header (seconds or an HTTP date) is
honoured, capped by :attr:`RetryPolicy.max_retry_after`. After the last attempt :class:`RetriesExhausted`
names the URL (without its query string, which may carry tokens) and the last failure. Any other non-2xx
answer raises :class:`HttpStatusError` at once, so callers can react to 401 (re-authenticate) themselves.

Redirects are never followed: a redirect would carry the API credentials in the headers to another host.
Request headers are never logged, a header value with a line break is refused before sending, and error bodies
are redacted of our header values (and of ``Secret: …``-like text) before they reach a message.

Every request is bounded: ``timeout`` bounds each socket operation, ``deadline`` the whole exchange (connect,
headers and body; a server dripping one byte at a time is cut off when it passes, and that attempt counts as a
timeout), and ``max_bytes`` the size of an answer (:class:`ResponseTooLarge`, not retried).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from generator.errors import ToolError
from generator.sources.redaction import redact, sensitive_values
from generator.sources.watchdog import Watchdog, watched_handlers

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_DEADLINE = 300.0  # seconds for one whole request (connect, headers, body)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # largest answer read
ERROR_BODY_BYTES = 64 * 1024  # of an error answer only the start is read (a short reason is all we show)
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: delay n (0-based) is ``min(max_delay, base_delay * multiplier**n)``.

    ``attempts`` counts every try, the first one included. Delays are deterministic (no jitter).
    """

    attempts: int = 5
    base_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first retry)."""
        return min(self.max_delay, self.base_delay * self.multiplier**retry)


class HttpStatusError(ToolError):
    """A non-retryable HTTP answer (4xx other than 429, or a redirect); ``status`` is the HTTP status."""

    def __init__(self, method: str, url: str, status: int, detail: str):
        self.status = status
        self.url = url
        self.detail = detail
        super().__init__(f"{method} {redact_url(url)} failed: HTTP {status}{': ' + detail if detail else ''}.")


class RetriesExhausted(ToolError):
    """Every attempt at a request failed with a retryable problem."""

    def __init__(self, method: str, url: str, attempts: int, last_failure: str):
        self.url = url
        self.last_failure = last_failure
        super().__init__(f"{method} {redact_url(url)} failed after {attempts} attempts; last failure: "
                         f"{last_failure}.")


class ResponseTooLarge(ToolError):
    """An answer larger than the client's ``max_bytes`` (not retried: it would be as large again)."""

    def __init__(self, method: str, url: str, max_bytes: int):
        self.url = url
        super().__init__(f"{method} {redact_url(url)} answered more than {format_bytes(max_bytes)}, the largest "
                         "answer read (MSP_CSAT_HTTP_MAX_BYTES); stopped reading it.")


class UnsafeHeader(ToolError):
    """A header value with a line break (it would inject other headers); the value is never shown."""


class _Retryable(Exception):
    """Internal: one failed attempt that may be retried, with an optional server-requested wait."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError instead of following it (credentials stay on their host)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def format_bytes(size: int) -> str:
    """``67108864`` → ``'64 MiB'``; sizes that are not whole KiB/MiB are given in bytes."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def redact_url(url: str) -> str:
    """``url`` without its query string, fragment and user info (safe to show in messages and logs)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if absent/invalid."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_detail(body: bytes, secrets: Collection[str] = ()) -> str:
    """A short, human-readable reason from an error body: Autotask ``{"errors": [...]}``, ASP.NET
    ``{"Message": ...}``, OAuth ``{"error", "error_description"}``, Django ``{"detail"}``, or plain text.

    ``secrets`` (and ``Secret: …``-like text) are redacted before the reason is shortened, so no part of a
    secret the server echoed is shown."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            return redact("; ".join(str(e) for e in errors), secrets)[:300]
        for key in ("Message", "message", "error_description", "detail", "error"):
            if isinstance(data.get(key), str):
                return redact(data[key], secrets)[:300]
    return redact(" ".join(text.split()), secrets)[:200]


class JsonHttpClient:
    """Send requests and decode JSON answers, retrying what may succeed on a second try.

    ``timeout`` bounds each socket operation, ``deadline`` one whole attempt (connect to last byte) and
    ``max_bytes`` the size of an answer; the extractors set the last two from ``MSP_CSAT_HTTP_DEADLINE`` and
    ``MSP_CSAT_HTTP_MAX_BYTES`` (see :mod:`generator.sources.limits`).
    """

    def __init__(self, *, timeout: float = 60.0, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, user_agent: str = "msp-csat",
                 deadline: float = DEFAULT_DEADLINE, max_bytes: int = DEFAULT_MAX_BYTES):
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.user_agent = user_agent
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.requests_sent = 0
        self._watchdog = Watchdog()
        self._opener = urllib.request.build_opener(_NoRedirect(), *watched_handlers(self._watchdog))

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                json_body: Any = None, form: Mapping[str, str] | None = None,
                secrets: Collection[str] = ()) -> Any:
        """Send ``method url`` (with a JSON or form body) and return the decoded JSON answer.

        ``secrets`` are redacted from error bodies in addition to the header values (see
        :func:`sensitive_values`). Raises :class:`UnsafeHeader` before sending a header value with a line break,
        :class:`HttpStatusError` for a non-retryable status, :class:`ResponseTooLarge` for an answer over
        ``max_bytes`` and :class:`RetriesExhausted` when every attempt failed with a retryable problem.
        """
        data: bytes | None = None
        all_headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode("ascii")
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        shown = f"{method} {redact_url(url)}"
        for name, value in all_headers.items():
            if "\r" in value or "\n" in value:
                raise UnsafeHeader(f"{shown}: the {name} header contains a line break; it was not sent.")
        hidden = sensitive_values(all_headers, secrets)
        last = ""
        for attempt in range(self.retry.attempts):
            try:
                return self._attempt(method, url, data, all_headers, hidden)
            except _Retryable as failure:
                last = failure.reason
                if attempt + 1 >= self.retry.attempts:
                    break
                wait = self.retry.delay(attempt)
                if failure.retry_after is not None:
                    wait = max(wait, min(failure.retry_after, self.retry.max_retry_after))
                    log.warning("%s: %s; the server asks to wait %.3g s (Retry-After), retry %d of %d",
                                shown, last, wait, attempt + 1, self.retry.attempts - 1)
                else:
                    log.warning("%s: %s; retry %d of %d in %.3g s", shown, last, attempt + 1,
                                self.retry.attempts - 1, wait)
                self.sleep(wait)
        raise RetriesExhausted(method, url, self.retry.attempts, last)

    def _attempt(self, method: str, url: str, data: bytes | None, headers: Mapping[str, str],
                 hidden: Collection[str]) -> Any:
        """One try within ``deadline``; when the watchdog cut the connection, that is the failure reported."""
        self._watchdog.start(self.deadline)
        try:
            return self._exchange(method, url, data, headers, hidden)
        except _Retryable:
            if self._watchdog.fired:
                raise self._past_deadline() from None
            raise
        except (HttpStatusError, ResponseTooLarge):
            raise
        except Exception:
            if self._watchdog.fired:
                raise self._past_deadline() from None
            raise
        finally:
            self._watchdog.stop()

    def _past_deadline(self) -> _Retryable:
        return _Retryable(f"no complete answer within {self.deadline:g} s (the per-request deadline, "
                          "MSP_CSAT_HTTP_DEADLINE)")

    def _exchange(self, method: str, url: str, data: bytes | None, headers: Mapping[str, str],
                  hidden: Collection[str]) -> Any:
        request = urllib.request.Request(url, data=data, headers=dict(headers), method=method)
        self.requests_sent += 1
        log.debug("%s %s", method, redact_url(url))
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = self._read_body(method, url, response)
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                body = exc.read(ERROR_BODY_BYTES)
            except (OSError, http.client.HTTPException):
                body = b""
            if status in RETRYABLE_STATUSES:
                retry_after = parse_retry_after(exc.headers.get("Retry-After")) if exc.headers else None
                detail = error_detail(body, hidden)
                raise _Retryable(f"HTTP {status}" + (f" ({detail})" if detail else ""), retry_after) from None
            if 300 <= status < 400:
                target = exc.headers.get("Location", "") if exc.headers else ""
                raise HttpStatusError(method, url, status,
                                      f"redirect to {redact_url(target) or 'another URL'} refused "
                                      "(credentials are never sent to a redirect target)") from None
            raise HttpStatusError(method, url, status, error_detail(body, hidden)) from None
        except TimeoutError:
            raise _Retryable(f"no answer within {self.timeout:g} s (timeout)") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable(f"no answer within {self.timeout:g} s (timeout)") from None
            raise _Retryable(f"connection failed ({exc.reason})") from None
        except http.client.IncompleteRead as exc:
            raise _Retryable(f"connection dropped after {len(exc.partial)} bytes of the body") from None
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            raise _Retryable(f"connection dropped ({type(exc).__name__}: {exc})") from None
        if self._watchdog.fired:
            raise self._past_deadline()
        if status == 204 or not body.strip():
            raise _Retryable(f"HTTP {status} with an empty body where JSON was expected")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise _Retryable(f"malformed JSON in the answer ({exc.msg} at character {exc.pos})") from None

    def _read_body(self, method: str, url: str, response: http.client.HTTPResponse) -> bytes:
        """The whole body, refused as soon as it is known to exceed ``max_bytes``."""
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise ResponseTooLarge(method, url, self.max_bytes)
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise ResponseTooLarge(method, url, self.max_bytes)
            chunks.append(chunk)
        if response.length:  # read(amt) returns b"" at an early end instead of raising
            raise http.client.IncompleteRead(b"".join(chunks), response.length)
        return b"".join(chunks)
