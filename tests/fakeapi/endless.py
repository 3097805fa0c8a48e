"""Hostile API servers for the bounds tests (real HTTP on 127.0.0.1).

* :class:`EndlessPages` — an Autotask- and SmileBack-shaped API whose paging misbehaves: ``repeat`` links every page
  to the same next URL, ``forever`` serves a new item and a new next URL on every page, ``stall`` serves the same
  item under ever new next URLs. ``count`` is what ``/query/count`` and a SmileBack page report (``None``: the
  count endpoint answers 404 and pages carry no count). After ``stop_after`` pages the paging ends, so a client
  without bounds finishes (and its test fails) instead of hanging.
* :class:`TrickleServer` — answers 200 and then sends ``size`` bytes one at a time every ``interval`` seconds
  (``part="body"``), or sends the status line and headers that way (``part="headers"``).
* :class:`EndlessBody` — answers 200 with a JSON body that does not end (no Content-Length, written until the
  client goes away or 32 MiB are out), or with ``declared`` as its Content-Length.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakeapi.dataset import synthetic
from tests.fakeapi.faults import ApiError, FakeServer, Fault, Seen

_TEMPLATES = synthetic(seed=5, size=30)


class EndlessPages(FakeServer):
    """Paging that loops (``repeat``), never ends (``forever``) or does not advance (``stall``)."""

    def __init__(self, mode: str, *, count: int | None = 3, stop_after: int = 2000):
        super().__init__()
        self.mode = mode
        self.count = count
        self.stop_after = stop_after
        self.pages = 0
        self._pages_lock = threading.Lock()

    def autotask_env(self) -> dict[str, str]:
        """Autotask variables pointing at this server (trusted as a zone)."""
        return {"AUTOTASK_USERNAME": "api@msp.example", "AUTOTASK_SECRET": "at-secret-Zq8",
                "AUTOTASK_INTEGRATION_CODE": "AT-INTEGRATION-7Kp", "AUTOTASK_BASE_URL": self.url,
                "AUTOTASK_ZONE_ORIGINS": self.url}

    def smileback_env(self) -> dict[str, str]:
        """SmileBack variables pointing at this server."""
        return {"SMILEBACK_USERNAME": "reports@msp.example", "SMILEBACK_PASSWORD": "sb-pass-Wq3",
                "SMILEBACK_CLIENT_ID": "sb-client", "SMILEBACK_CLIENT_SECRET": "sb-client-secret-Rt6",
                "SMILEBACK_BASE_URL": self.url}

    def route(self, method: str, path: str) -> str:
        """zone, threshold, count, page (Autotask query and next), token, reviews."""
        lowered = path.lower().rstrip("/")
        for suffix, name in (("zoneinformation", "zone"), ("thresholdinformation", "threshold"),
                             ("query/count", "count"), ("api/token", "token"), ("api/v3/reviews", "reviews")):
            if lowered.endswith(suffix):
                return name
        return "page"

    def answer(self, seen: Seen, fault: Fault | None) -> tuple[Any, dict[str, str]]:
        """See the module docstring."""
        if seen.route == "zone":
            return {"zoneName": "Hostile", "url": f"{self.url}/atservicesrest/"}, {}
        if seen.route == "threshold":
            return {"externalRequestThreshold": 10_000, "currentTimeframeRequestCount": 1}, {}
        if seen.route == "count":
            if self.count is None:
                raise ApiError(404, {"Message": "No HTTP resource was found."})
            return {"queryCount": self.count}, {}
        if seen.route == "token":
            return {"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}, {}
        with self._pages_lock:
            self.pages += 1
            number = self.pages
        item_number = 1 if self.mode == "stall" else number
        next_number = 1 if self.mode == "repeat" else number + 1
        if seen.route == "reviews":
            following = f"{self.url}/api/v3/reviews/?limit=1000&offset={next_number * 1000}"
            page = {"results": [self._item(_TEMPLATES.reviews, item_number)],
                    "next": following if number < self.stop_after else None, "previous": None}
            if self.count is not None:
                page["count"] = self.count
            return page, {}
        following = f"{self.url}/atservicesrest/V1.0/Tickets/query/next?page={next_number}"
        return {"items": [self._item(_TEMPLATES.tickets, item_number)],
                "pageDetails": {"count": 1, "nextPageUrl": following if number < self.stop_after else None}}, {}

    @staticmethod
    def _item(templates: list[dict[str, Any]], number: int) -> dict[str, Any]:
        item = copy.deepcopy(templates[0])
        item["id"] = 900_000 + number
        return item


class _RawServer(FakeServer):
    """A FakeServer whose requests are answered by :meth:`stream` writing raw bytes (recorded like any other)."""

    def route(self, method: str, path: str) -> str:
        """Every request is on the one route ``raw``."""
        return "raw"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.requests.append(Seen(method, handler.path, {}, "raw",
                                      {k.lower(): v for k, v in handler.headers.items()}, body, None))
        handler.close_connection = True
        with contextlib.suppress(OSError):
            self.stream(handler)

    def stream(self, handler: BaseHTTPRequestHandler) -> None:
        """Write the answer to ``handler.wfile``."""
        raise NotImplementedError


class TrickleServer(_RawServer):
    """One byte every ``interval`` seconds, of the body or of the status line and headers."""

    def __init__(self, *, part: str = "body", interval: float = 0.5, size: int = 40):
        super().__init__()
        self.part = part
        self.interval = interval
        self.size = size

    def stream(self, handler: BaseHTTPRequestHandler) -> None:
        """Trickle (see the class docstring)."""
        body = json.dumps({"items": ["x" * self.size]}).encode()[: self.size]
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: {'p' * self.size}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        if self.part == "body":
            handler.wfile.write(head)
            slow = body
        else:
            slow = head + body
        for index in range(len(slow)):
            handler.wfile.write(slow[index:index + 1])
            handler.wfile.flush()
            time.sleep(self.interval)


class EndlessBody(_RawServer):
    """A JSON array that never ends, or a Content-Length of ``declared`` bytes."""

    def __init__(self, *, declared: int | None = None):
        super().__init__()
        self.declared = declared
        self.bytes_sent = 0

    def stream(self, handler: BaseHTTPRequestHandler) -> None:
        """Write until the client goes away (see the class docstring)."""
        length = f"Content-Length: {self.declared}\r\n" if self.declared is not None else ""
        handler.wfile.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}"
                            "Connection: close\r\n\r\n[".encode())
        chunk = b"0," * 32768
        while self.bytes_sent < 32 * 1024**2:  # a client without a cap reads all 32 MiB (and fails on the JSON)
            handler.wfile.write(chunk)
            self.bytes_sent += len(chunk)
