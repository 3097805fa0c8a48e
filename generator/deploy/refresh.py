"""A dataset refresh through the Power BI REST API, waited for with a bounded poll.

``POST {API}/groups/{workspace}/datasets/{model}/refreshes`` with ``{"notifyOption": "NoNotification"}`` (a
standard refresh: allowed on shared capacity, and the only notification a service principal may ask for)
answers 202 with the request's id in ``x-ms-request-id``; ``GET …/refreshes?$top=1`` then gives the newest
entry of the refresh history, whose ``status`` is ``Unknown`` while it runs and ``Completed``, ``Failed``
(with ``serviceExceptionJson``), ``Cancelled`` or ``Disabled`` at the end. 429 answers are waited out as
``Retry-After`` asks, 5xx answers and dropped connections are tried again, all within the overall deadline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from generator.deploy.auth import POWER_BI_SCOPE, SignIn
from generator.deploy.errors import DeployError
from generator.sources.redaction import redact

POWER_BI_API = "https://api.powerbi.com/v1.0/myorg"
RUNNING = frozenset({"Unknown", "NotStarted", "InProgress"})
REQUEST_TIMEOUT = (10, 60)  # seconds to connect, seconds to wait for an answer
MAX_RETRY_AFTER = 300


@dataclass
class RefreshWait:
    """How long to wait for one refresh and how (``sleep``/``clock`` replaceable for tests of the deadline)."""

    timeout: float = 3600.0
    poll_seconds: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0, init=False)

    def left(self) -> float:
        """Seconds before the deadline."""
        return self.timeout - (self.clock() - self.started)


def refresh(signin: SignIn, workspace_id: str, model_id: str, model_name: str, wait: RefreshWait,
            progress: Callable[[str], None]) -> str:
    """Trigger a refresh of the model and wait until it ends; return its final status (``Completed``)."""
    url = f"{POWER_BI_API}/groups/{workspace_id}/datasets/{model_id}/refreshes"
    wait.started = wait.clock()
    answer = _call(signin, "POST", url, wait, f"starting the refresh of {model_name!r}",
                   body={"notifyOption": "NoNotification"})
    request_id = answer.headers.get("x-ms-request-id") or answer.headers.get("RequestId")
    progress(f"refresh of {model_name!r} started (request {request_id or 'without id'})")
    while True:
        entry = _newest(signin, url, wait, model_name, request_id)
        status = str(entry.get("status", "Unknown")) if entry else "Unknown"
        if entry and status not in RUNNING:
            if status == "Completed":
                progress(f"refresh of {model_name!r} completed")
                return status
            raise DeployError(f"the refresh of {model_name!r} ended {status}: {_failure(entry, signin)}; the model "
                              "was published, its data is the previous refresh's (set the data source credentials "
                              "or gateway of the semantic model in the Power BI service, then refresh again)")
        if wait.left() <= wait.poll_seconds:
            raise DeployError(f"the refresh of {model_name!r} did not finish within {wait.timeout:g} s (last status "
                              f"{status}); it goes on in the service: see the model's refresh history")
        progress(f"refresh of {model_name!r}: {status}, checking again in {wait.poll_seconds:g} s")
        wait.sleep(wait.poll_seconds)


def _newest(signin: SignIn, url: str, wait: RefreshWait, model_name: str, request_id: str | None) -> dict | None:
    """The newest refresh history entry when it is ours (or when the service gives no ids), else ``None``."""
    answer = _call(signin, "GET", f"{url}?$top=1", wait, f"reading the refresh history of {model_name!r}")
    try:
        entries = answer.json().get("value") or []
    except (ValueError, AttributeError):
        raise DeployError(f"the refresh history of {model_name!r} was not JSON") from None
    if not entries or not isinstance(entries[0], dict):
        return None
    entry = entries[0]
    if request_id and entry.get("requestId") and entry["requestId"] != request_id:
        return None
    return entry


def _failure(entry: dict, signin: SignIn) -> str:
    raw = entry.get("serviceExceptionJson")
    try:
        details = json.loads(raw) if isinstance(raw, str) else raw or {}
    except ValueError:
        details = {"errorDescription": raw}
    if not isinstance(details, dict):
        details = {"errorDescription": str(details)}
    parts = [str(details[key]) for key in ("errorCode", "errorDescription") if details.get(key)]
    return redact(" — ".join(parts) or "the service gave no reason", signin.secrets)


def _call(signin: SignIn, method: str, url: str, wait: RefreshWait, what: str,
          body: dict | None = None) -> requests.Response:
    """One request with a fresh token; 429 (Retry-After), 5xx and dropped connections are retried until the
    deadline; any other non-2xx answer stops with the service's message."""
    attempt = 0
    while True:
        attempt += 1
        token = signin.credential.get_token(POWER_BI_SCOPE).token
        signin.remember(token)
        try:
            answer = requests.request(method, url, json=body, timeout=REQUEST_TIMEOUT, allow_redirects=False,
                                      headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            delay, reason = min(2.0 ** attempt, 60.0), f"the connection failed ({type(exc).__name__})"
        else:
            if answer.status_code < 300:
                return answer
            if answer.status_code != 429 and answer.status_code < 500:
                raise DeployError(f"{what} failed: {answer.status_code} {answer.reason}: "
                                  f"{_message(answer, signin)}{_hint(answer.status_code)}")
            delay = _retry_after(answer, attempt)
            reason = f"{answer.status_code} {answer.reason}"
        if wait.left() <= delay:
            raise DeployError(f"{what} failed: {reason}, and waiting {delay:g} s more would pass the "
                              f"{wait.timeout:g} s limit (--refresh-timeout)")
        wait.sleep(delay)


def _retry_after(answer: requests.Response, attempt: int) -> float:
    try:
        return min(max(float(answer.headers["Retry-After"]), 0.0), MAX_RETRY_AFTER)
    except (KeyError, ValueError):
        return min(2.0 ** attempt, 60.0)


def _message(answer: requests.Response, signin: SignIn) -> str:
    try:
        error = answer.json().get("error") or {}
        text = error.get("message") or error.get("code") or ""
    except (ValueError, AttributeError):
        text = answer.text[:300]
    return redact(" ".join(str(text).split()) or "no message", signin.secrets)


def _hint(status: int) -> str:
    if status in (401, 403):
        return ("; the identity needs the Contributor (or higher) role on the workspace and, for a service "
                "principal, the tenant setting that lets service principals use Power BI APIs")
    return ""
