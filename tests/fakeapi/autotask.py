"""A fake Autotask REST API speaking the documented shapes (see shared/reference/api_samples/).

Routes (route names for the fault script in brackets):

* ``GET /atservicesrest/v1.0/zoneInformation?user=`` [zone] — no credentials; ``{zoneName, url, webUrl, ci}``
  with ``url`` = this server's ``/atservicesrest/`` (or ``zone_url``).
* ``GET …/v1.0/ThresholdInformation`` [threshold] — usage from ``usage`` (a list consumed one poll at a time,
  the last value repeating).
* ``GET …/v1.0/{Entity}/entityInformation/fields`` [{Entity}/fields].
* ``POST …/v1.0/{Entity}/query`` [{Entity}/query] and ``POST …/V1.0/{Entity}/query/next?paging=…&search=…``
  [{Entity}/query/next]: the JSON filter grammar over the dataset in ascending ``id``; ``MaxRecords`` (≤ 500)
  a page. A GET on a next page gets 405 ``{"Message": …}``; an unknown operator is ignored (as the real API
  does); an unknown field gets 500 ``{"errors": ["Unable to find … in the … Entity."]}``.
* ``POST …/v1.0/{Entity}/query/count`` [{Entity}/count] — ``{"queryCount": n}``.

Every route but zone discovery checks the ApiIntegrationCode / UserName / Secret headers (401 otherwise).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from tests.fakeapi.dataset import ApiDataset
from tests.fakeapi.faults import ApiError, FakeServer, Fault, FaultScript, Seen, query_value

ENTITY_OF = {"Companies": "Company", "Resources": "Resource", "Tickets": "Ticket", "TimeEntries": "TimeEntry"}


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _comparable(value: Any, other: Any) -> tuple[Any, Any]:
    """Compare date-time strings as datetimes, everything else as it is."""
    if isinstance(value, str) and isinstance(other, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            return _parse_time(value), _parse_time(other)
        except ValueError:
            return value, other
    return value, other


def matches(item: dict[str, Any], condition: dict[str, Any], entity: str) -> bool:
    """Whether ``item`` satisfies one filter condition (unknown operators match everything, like the API)."""
    op = condition.get("op")
    if op in ("and", "or"):
        results = [matches(item, c, entity) for c in condition.get("items", [])]
        return all(results) if op == "and" else any(results)
    name = condition.get("field")
    if name not in item:
        raise ApiError(500, {"errors": [f"Unable to find {name} in the {ENTITY_OF[entity]} Entity."]})
    value = item.get(name)
    target = condition.get("value")
    if op == "exist":
        return value is not None
    if op == "notExist":
        return value is None
    if op in ("in", "notIn"):
        return (value in target) == (op == "in")
    if value is None:
        return op == "noteq"
    left, right = _comparable(value, target)
    try:
        return {"eq": lambda: left == right, "noteq": lambda: left != right, "gt": lambda: left > right,
                "gte": lambda: left >= right, "lt": lambda: left < right, "lte": lambda: left <= right,
                "beginsWith": lambda: str(left).startswith(str(right)),
                "endsWith": lambda: str(left).endswith(str(right)),
                "contains": lambda: str(right) in str(left)}.get(op, lambda: True)()
    except TypeError:
        return False


class AutotaskServer(FakeServer):
    """The fake Autotask API over an :class:`ApiDataset`."""

    def __init__(self, dataset: ApiDataset, *, username: str = "api@msp.example", secret: str = "at-secret-Zq8",
                 integration_code: str = "AT-INTEGRATION-7Kp", faults: FaultScript | None = None,
                 zone_url: str | None = None, usage: list[int] | None = None, threshold: int = 10_000):
        super().__init__(faults)
        self.dataset = dataset
        self.username = username
        self.secret = secret
        self.integration_code = integration_code
        self.zone_url = zone_url
        self.usage = list(usage or [120])
        self.threshold = threshold
        self._usage_lock = threading.Lock()

    def env(self) -> dict[str, str]:
        """The environment variables that point an extractor at this server (its http origin explicitly trusted
        as a zone with ``AUTOTASK_ZONE_ORIGINS``, as a test server must be)."""
        return {"AUTOTASK_USERNAME": self.username, "AUTOTASK_SECRET": self.secret,
                "AUTOTASK_INTEGRATION_CODE": self.integration_code, "AUTOTASK_BASE_URL": self.url,
                "AUTOTASK_ZONE_ORIGINS": self.url}

    def route(self, method: str, path: str) -> str:
        """zone, threshold, {Entity}/fields, {Entity}/query, {Entity}/query/next, {Entity}/count."""
        parts = [p for p in path.split("/") if p]
        lowered = [p.lower() for p in parts]
        if lowered[-1:] == ["zoneinformation"]:
            return "zone"
        if lowered[-1:] == ["thresholdinformation"]:
            return "threshold"
        if len(parts) >= 4 and lowered[-2:] == ["entityinformation", "fields"]:
            return f"{parts[-3]}/fields"
        if lowered[-2:] == ["query", "next"]:
            return f"{parts[-3]}/query/next"
        if lowered[-2:] == ["query", "count"]:
            return f"{parts[-3]}/count"
        if lowered[-1:] == ["query"]:
            return f"{parts[-2]}/query"
        return "unknown"

    def answer(self, seen: Seen, fault: Fault | None) -> tuple[Any, dict[str, str]]:
        """The answer of one request (see the module docstring)."""
        if seen.route == "zone":
            if query_value(seen, "user") != self.username:
                raise ApiError(500, {"errors": ["Zone information could not be determined"]})
            zone = self.zone_url or f"{self.url}/atservicesrest/"
            return {"zoneName": "Fake Zone 5", "url": zone, "webUrl": "https://ww5.autotask.example/",
                    "ci": 123456}, {}
        headers = seen.headers
        if (fault and fault.kind == "unauthorized") or headers.get("username") != self.username or \
                headers.get("secret") != self.secret or headers.get("apiintegrationcode") != self.integration_code:
            raise ApiError(401, {"errors": ["Authentication failed"]})
        if seen.route == "threshold":
            with self._usage_lock:
                used = self.usage.pop(0) if len(self.usage) > 1 else self.usage[0]
            return {"externalRequestThreshold": self.threshold, "requestThresholdTimeframe": 60,
                    "currentTimeframeRequestCount": used}, {}
        entity = seen.route.split("/")[0]
        if entity not in ENTITY_OF and not seen.route.endswith("/fields"):
            raise ApiError(404, {"errors": [f"No route for {seen.path}"]})
        if seen.route.endswith("/fields"):
            return self.dataset.fields_answer(entity), {}
        if seen.method != "POST":
            raise ApiError(405, {"Message": "The requested resource does not support http method 'GET'."})
        try:
            body = json.loads(seen.body or b"{}")
        except ValueError:
            raise ApiError(400, {"errors": ["The request body is not valid JSON."]}) from None
        filters = body.get("filter") or body.get("Filter")
        if not isinstance(filters, list) or not filters:
            raise ApiError(500, {"errors": ["A filter is required."]})
        items = sorted(self.dataset.entity_items(entity), key=lambda i: i["id"])
        selected = [i for i in items if all(matches(i, c, entity) for c in filters)]
        if seen.route.endswith("/count"):
            return {"queryCount": len(selected)}, {}
        size = min(int(body.get("MaxRecords") or 500), 500)
        start_id: int | None = None
        if seen.route.endswith("/query/next"):
            paging = json.loads(query_value(seen, "paging") or "{}")
            search = json.loads(query_value(seen, "search") or "{}")
            if search.get("filter") != filters:
                raise ApiError(400, {"errors": ["The next page was asked for with a different query body."]})
            size = int(paging.get("pageSize", size))
            start_id = paging["nextIds"][0]
        if start_id is not None:
            previous = [i for i in selected if i["id"] < start_id]
            selected = [i for i in selected if i["id"] >= start_id]
        else:
            previous = []
        page, rest = selected[:size], selected[size:]
        if fault and fault.kind == "repeat_item" and page:
            page = ([previous[-1]] if previous else [page[0]]) + page
        next_url = None
        if rest:
            paging = json.dumps({"pageSize": size, "previousIds": [], "nextIds": [rest[0]["id"]]},
                                separators=(",", ":"))
            search = json.dumps({"filter": filters}, separators=(",", ":"))
            zone = self.zone_url or f"{self.url}/atservicesrest/"
            if fault and fault.kind == "foreign_next":
                foreign = urlsplit(fault.url)
                zone = f"{foreign.scheme}://{foreign.netloc}/atservicesrest/"
            next_url = f"{zone}V1.0/{entity}/query/next?paging={quote(paging)}&search={quote(search)}"
        return {"items": page, "pageDetails": {"count": len(page), "requestCount": size, "prevPageUrl": None,
                                               "nextPageUrl": next_url}}, {}
