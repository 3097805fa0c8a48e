"""Faults scripted per request, and the HTTP server base the fake APIs share.

A :class:`FaultScript` maps a route name (``"Tickets/query"``, ``"Tickets/query/next"``, ``"reviews"``,
``"token"`` …) and the 1-based number of the request to that route to a :class:`Fault`; e.g.
``script.on("Tickets/query/next", 2, Fault.status(503))`` makes the second next-page request get HTTP 503.
``script.always(route, fault)`` applies to every request of the route.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour. ``kind`` is one of: status, slow, latency, drop, malformed, unauthorized,
    foreign_next, repeat_item, skip_item, expire_token, echo."""

    kind: str
    status_code: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    url: str = ""

    @staticmethod
    def status(code: int, retry_after: str | None = None) -> Fault:
        """Answer HTTP ``code`` (with ``Retry-After`` when given) instead of the real answer."""
        return Fault("status", status_code=code, retry_after=retry_after)

    @staticmethod
    def slow(seconds: float) -> Fault:
        """Wait ``seconds`` before answering at all (beyond the client's timeout: a timeout)."""
        return Fault("slow", seconds=seconds)

    @staticmethod
    def latency(seconds: float) -> Fault:
        """Wait ``seconds``, then answer normally (Autotask's threshold latency)."""
        return Fault("latency", seconds=seconds)

    @staticmethod
    def drop() -> Fault:
        """Send the headers and half the body, then close the connection."""
        return Fault("drop")

    @staticmethod
    def malformed() -> Fault:
        """Answer 200 with a body that is not valid JSON."""
        return Fault("malformed")

    @staticmethod
    def unauthorized() -> Fault:
        """Answer HTTP 401 once (credentials or token no longer accepted)."""
        return Fault("unauthorized")

    @staticmethod
    def foreign_next(url: str) -> Fault:
        """Answer normally but with the next-page link pointing at ``url``'s host."""
        return Fault("foreign_next", url=url)

    @staticmethod
    def repeat_item() -> Fault:
        """Answer normally but repeat an item of the previous page (or of this page) in it."""
        return Fault("repeat_item")

    @staticmethod
    def skip_item() -> Fault:
        """Answer normally but leave the page's first item out (as if offset paging shifted under a change)."""
        return Fault("skip_item")

    @staticmethod
    def echo(code: int) -> Fault:
        """Answer HTTP ``code`` with an error that echoes every request header and the request body."""
        return Fault("echo", status_code=code)

    @staticmethod
    def expire_token() -> Fault:
        """Expire every access token issued so far, then answer 401 (SmileBack)."""
        return Fault("expire_token")


@dataclass
class FaultScript:
    """Which request of which route gets which fault; counts requests per route."""

    planned: dict[tuple[str, int], Fault] = field(default_factory=dict)
    persistent: dict[str, Fault] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, route: str, *numbers: int, fault: Fault) -> FaultScript:
        """Give request number ``n`` (1-based, per route) of ``route`` the fault, for each n in ``numbers``."""
        for number in numbers:
            self.planned[(route, number)] = fault
        return self

    def always(self, route: str, fault: Fault) -> FaultScript:
        """Give every request of ``route`` the fault."""
        self.persistent[route] = fault
        return self

    def next_fault(self, route: str) -> Fault | None:
        """Count one request of ``route`` and return its fault, if any."""
        with self.lock:
            self.counts[route] += 1
            number = self.counts[route]
        return self.planned.get((route, number)) or self.persistent.get(route)


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    route: str
    headers: dict[str, str]
    body: bytes
    fault: str | None


class ApiError(Exception):
    """Raised inside a route handler to answer an HTTP error with a JSON body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeServer:
    """A real ThreadingHTTPServer on 127.0.0.1 (ephemeral port) in a background thread.

    Subclasses implement :meth:`route` (name the route of a request) and :meth:`answer` (the JSON answer or
    an :class:`ApiError`). Use as a context manager; ``url`` is ``http://127.0.0.1:<port>``.
    """

    def __init__(self, faults: FaultScript | None = None):
        self.faults = faults or FaultScript()
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # a client that gave up (timeout) leaves a broken pipe behind: expected here

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- to implement ---------------------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> str:
        """The route name of a request (used by the fault script)."""
        raise NotImplementedError

    def answer(self, seen: Seen, fault: Fault | None) -> tuple[Any, dict[str, str]]:
        """The JSON answer (and extra headers) of a request, or raise :class:`ApiError`."""
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------------------------------

    def requests_to(self, route: str) -> list[Seen]:
        """The requests received on ``route``, in order."""
        return [r for r in self.requests if r.route == route]

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        route = self.route(method, parts.path)
        fault = self.faults.next_fault(route)
        seen = Seen(method, parts.path, parse_qs(parts.query), route,
                    {k.lower(): v for k, v in handler.headers.items()}, body, fault.kind if fault else None)
        with self._lock:
            self.requests.append(seen)
        if fault and fault.kind in ("slow", "latency"):
            time.sleep(fault.seconds)
        if fault and fault.kind == "status":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._send(handler, fault.status_code, {"errors": [f"injected HTTP {fault.status_code}"]}, extra)
            return
        if fault and fault.kind == "echo":
            headers = ", ".join(f"{name}: {value}" for name, value in handler.headers.items())
            self._send(handler, fault.status_code, {"errors": [f"Request rejected. Headers were {headers}; "
                                                               f"body was {body.decode(errors='replace')}"]}, {})
            return
        if fault and fault.kind == "malformed":
            self._send_raw(handler, 200, b'{"items": [{"id": 1, "title": "cut', {})
            return
        try:
            payload, extra = self.answer(seen, fault)
            status = 200
        except ApiError as exc:
            status, payload, extra = exc.status, exc.body, exc.headers
        if fault and fault.kind == "drop":
            data = json.dumps(payload).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(handler, status, payload, extra)

    def _send(self, handler: BaseHTTPRequestHandler, status: int, payload: Any, extra: dict[str, str]) -> None:
        self._send_raw(handler, status, json.dumps(payload).encode(), extra)

    @staticmethod
    def _send_raw(handler: BaseHTTPRequestHandler, status: int, data: bytes, extra: dict[str, str]) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True


class RecordingServer(FakeServer):
    """A server on a 'foreign' host: answers every request with an empty Autotask/SmileBack page and records it."""

    def route(self, method: str, path: str) -> str:
        """Every request is on the one route ``foreign``."""
        return "foreign"

    def answer(self, seen: Seen, fault: Fault | None) -> tuple[Any, dict[str, str]]:
        """An empty page in both APIs' shapes."""
        return {"items": [], "pageDetails": {"count": 0, "nextPageUrl": None}, "count": 0, "next": None,
                "previous": None, "results": []}, {}


def query_value(seen: Seen, name: str) -> str | None:
    """The first value of query parameter ``name`` of a request, or None."""
    values = seen.query.get(name)
    return values[0] if values else None
