"""Helpers the API tests share: a fast HTTP client that records its sleeps, and row collection."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from generator.sources.base import Rejected, StagePage
from generator.sources.http import DEFAULT_MAX_BYTES, JsonHttpClient, RetryPolicy


class Sleeps:
    """A real ``time.sleep`` that also records how long it was asked to sleep."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(round(seconds, 6))
        time.sleep(seconds)


def fast_client(sleeps: Sleeps | None = None, *, timeout: float = 2.0, attempts: int = 4,
                base_delay: float = 0.01, deadline: float = 30.0,
                max_bytes: int = DEFAULT_MAX_BYTES) -> JsonHttpClient:
    """A client with tiny deterministic back-off (0.01, 0.02, 0.04 s ...) for tests."""
    return JsonHttpClient(timeout=timeout, retry=RetryPolicy(attempts=attempts, base_delay=base_delay,
                                                             max_delay=1.0),
                          sleep=sleeps if sleeps is not None else Sleeps(), deadline=deadline, max_bytes=max_bytes)


class Collected:
    """Everything an extraction yielded."""

    def __init__(self, pages: Iterable[StagePage]):
        self.pages = list(pages)
        self.rows: list[dict[str, Any]] = [row for page in self.pages for row in page.rows]
        self.rejected: list[Rejected] = [r for page in self.pages for r in page.rejected]
        marks = [page.watermark for page in self.pages if page.watermark is not None]
        self.watermark: datetime | None = max(marks) if marks else None


def collect(extractor: Any, entity: str, since: datetime | None = None) -> Collected:
    """Run one extraction to the end."""
    return Collected(extractor.extract(entity, since))


def keyed(rows: Iterable[dict[str, Any]], key: str = "id") -> dict[Any, dict[str, Any]]:
    """Rows by their key; fails on a duplicated key (no row may arrive twice)."""
    result: dict[Any, dict[str, Any]] = {}
    for row in rows:
        assert row[key] not in result, f"row {key}={row[key]!r} arrived twice"
        result[row[key]] = row
    return result
