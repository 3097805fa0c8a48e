"""A fake SmileBack Data Replication API (v3) speaking the documented shapes.

Routes (route names for the fault script in brackets):

* ``POST /api/token/`` [token] — OAuth2: client id/secret as HTTP Basic; ``grant_type=password`` (username,
  password) or ``refresh_token``; answers ``{access_token, token_type, expires_in, refresh_token, scope}``.
* ``GET /api/v3/reviews/`` [reviews] — ``limit`` (≤ 1000), ``offset``, ``modified_since``, ``include_unrated``;
  ordered by ``last_modified`` then ``id``.
* ``GET /api/v3/nps-responses/`` [nps-responses] — ``limit``, ``offset``, ``created_since``.

Pages are ``{count, previous, next, results}``. A missing, unknown or expired bearer token gets 401.
"""

from __future__ import annotations

import base64
import itertools
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakeapi.dataset import ApiDataset
from tests.fakeapi.faults import ApiError, FakeServer, Fault, FaultScript, Seen, query_value


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


class SmileBackServer(FakeServer):
    """The fake SmileBack API over an :class:`ApiDataset`."""

    def __init__(self, dataset: ApiDataset, *, username: str = "reports@msp.example", password: str = "sb-pass-Wq3",
                 client_id: str = "sb-client", client_secret: str = "sb-client-secret-Rt6",
                 faults: FaultScript | None = None, expires_in: int = 3600):
        super().__init__(faults)
        self.dataset = dataset
        self.username = username
        self.password = password
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_in = expires_in
        self.tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self._counter = itertools.count(1)
        self._token_lock = threading.Lock()

    def env(self) -> dict[str, str]:
        """The environment variables that point an extractor at this server."""
        return {"SMILEBACK_USERNAME": self.username, "SMILEBACK_PASSWORD": self.password,
                "SMILEBACK_CLIENT_ID": self.client_id, "SMILEBACK_CLIENT_SECRET": self.client_secret,
                "SMILEBACK_BASE_URL": self.url}

    def route(self, method: str, path: str) -> str:
        """token, reviews, nps-responses."""
        if path.rstrip("/") == "/api/token":
            return "token"
        if path.rstrip("/") == "/api/v3/reviews":
            return "reviews"
        if path.rstrip("/") == "/api/v3/nps-responses":
            return "nps-responses"
        return "unknown"

    def answer(self, seen: Seen, fault: Fault | None) -> tuple[Any, dict[str, str]]:
        """The answer of one request (see the module docstring)."""
        if seen.route == "token":
            return self._token(seen), {}
        if seen.route == "unknown":
            raise ApiError(404, {"detail": "Not found."})
        if fault and fault.kind == "expire_token":
            with self._token_lock:
                self.tokens.clear()
        auth = seen.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens or (fault and fault.kind == "unauthorized"):
            raise ApiError(401, {"detail": "Given token not valid for any token type"})
        if seen.route == "reviews":
            items = self.dataset.reviews
            since = query_value(seen, "modified_since")
            if since:
                items = [i for i in items if _instant(i["last_modified"]) >= _instant(since)]
            if query_value(seen, "include_unrated") != "true":
                items = [i for i in items if i["rating"] is not None]
            items = sorted(items, key=lambda i: (_instant(i["last_modified"]), i["id"]))
        else:
            items = self.dataset.nps
            since = query_value(seen, "created_since")
            if since:
                items = [i for i in items if _instant(i["responded_on"]) >= _instant(since)]
            items = sorted(items, key=lambda i: (_instant(i["responded_on"]), i["id"]))
        limit = min(int(query_value(seen, "limit") or 100), 1000)
        offset = int(query_value(seen, "offset") or 0)
        page = items[offset:offset + limit]
        if fault and fault.kind == "repeat_item" and page:
            page = ([items[offset - 1]] if offset else [page[0]]) + page
        if fault and fault.kind == "skip_item":
            page = page[1:]
        params = {k: v[0] for k, v in seen.query.items()}
        host = self.url
        if fault and fault.kind == "foreign_next":
            host = fault.url
        following = (f"{host}{seen.path}?{urlencode({**params, 'limit': limit, 'offset': offset + limit})}"
                     if offset + limit < len(items) else None)
        previous = (f"{self.url}{seen.path}?{urlencode({**params, 'offset': max(0, offset - limit)})}"
                    if offset else None)
        return {"count": len(items), "previous": previous, "next": following, "results": page}, {}

    def _token(self, seen: Seen) -> dict[str, Any]:
        if seen.method != "POST":
            raise ApiError(405, {"detail": 'Method "GET" not allowed.'})
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if seen.headers.get("authorization") != f"Basic {expected}":
            raise ApiError(401, {"error": "invalid_client"})
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        grant = form.get("grant_type")
        with self._token_lock:
            if grant == "password":
                if form.get("username") != self.username or form.get("password") != self.password:
                    raise ApiError(400, {"error": "invalid_grant",
                                         "error_description": "Invalid credentials given."})
            elif grant == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    raise ApiError(400, {"error": "invalid_grant"})
                self.refresh_tokens.discard(form["refresh_token"])
            else:
                raise ApiError(400, {"error": "unsupported_grant_type"})
            number = next(self._counter)
            token, refresh = f"access-{number}-tok", f"refresh-{number}-tok"
            self.tokens.add(token)
            self.refresh_tokens.add(refresh)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in,
                "refresh_token": refresh, "scope": "read read_recent"}


def next_offset(url: str) -> int:
    """The ``offset`` of a next link (for assertions)."""
    return int(parse_qs(urlsplit(url).query).get("offset", ["0"])[0])
