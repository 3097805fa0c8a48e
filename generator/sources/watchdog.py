"""A total deadline for one HTTP request made with urllib: a timer shuts the request's socket down when the
deadline passes, so a server that trickles its headers or body one byte at a time cannot hold the request past
it (the socket timeout alone only bounds each single wait)."""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import threading
import urllib.request
from typing import Any


class Watchdog:
    """Cuts the connection of the request in flight when its total time runs out (one request at a time).

    Each :meth:`start` begins a new generation, so a timer of an earlier request that fires late (it raced with
    :meth:`stop`) cannot cut the connection of a later one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self._generation = 0
        self.fired = False

    def start(self, seconds: float) -> None:
        """Arm the deadline for a new request."""
        with self._lock:
            self._generation += 1
            self.fired = False
            self._socket = None
            self._timer = threading.Timer(seconds, self._fire, args=(self._generation,))
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        """Disarm the deadline (the request finished)."""
        with self._lock:
            self._generation += 1
            self._socket = None
            if self._timer is not None:
                self._timer.cancel()

    def attach(self, sock: socket.socket) -> None:
        """The connection of the current request (cut at once if the deadline already passed)."""
        with self._lock:
            self._socket = sock
            if self.fired:
                _cut(sock)

    def _fire(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self.fired = True
            if self._socket is not None:
                _cut(self._socket)


def _cut(sock: socket.socket) -> None:
    """Shut the socket down so that a read blocked on it returns at once (plain socket call, also for TLS)."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    """Mixed into an http.client connection: hands its socket to the watchdog as soon as it is connected."""

    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._watchdog.attach(self.sock)  # type: ignore[attr-defined]


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: Watchdog):
        super().__init__()
        self._watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_WatchedHTTPConnection, watchdog=self._watchdog), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: Watchdog):
        super().__init__()
        self._watchdog = watchdog

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_WatchedHTTPSConnection, watchdog=self._watchdog), req,
                            context=self._context)


def watched_handlers(watchdog: Watchdog) -> list[urllib.request.BaseHandler]:
    """HTTP and HTTPS handlers for ``urllib.request.build_opener`` whose connections ``watchdog`` can cut."""
    return [_WatchedHTTPHandler(watchdog), _WatchedHTTPSHandler(watchdog)]
