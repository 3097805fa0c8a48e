"""The bounds of an API load, from environment variables (like ``SMILEBACK_REQUESTS_PER_MINUTE``).

* ``MSP_CSAT_HTTP_DEADLINE`` — seconds one HTTP request may take in total, connect to last byte (default 300;
  the 60 s socket timeout still bounds each wait for the server). A request past it counts as a timeout and is
  retried like one.
* ``MSP_CSAT_HTTP_MAX_BYTES`` — the largest answer read, in bytes (default 67108864, 64 MiB).
* ``MSP_CSAT_LOAD_DEADLINE`` — seconds a whole API load may spend reading pages, counted from its first page
  (default 21600, 6 hours: a first full Autotask load of a large tenant at its 10,000 requests an hour fits).
  A load past it stops before its next page (:mod:`generator.sources.paging`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.errors import ToolError
from generator.sources.http import DEFAULT_DEADLINE, DEFAULT_MAX_BYTES, JsonHttpClient, RetryPolicy

DEFAULT_LOAD_DEADLINE = 6 * 3600.0


class LimitsError(ToolError):
    """A limit variable holds something that is not a positive number."""


@dataclass(frozen=True)
class ApiLimits:
    """Per-request deadline, largest answer and per-load deadline (see the module docstring)."""

    request_deadline: float = DEFAULT_DEADLINE
    max_response_bytes: int = DEFAULT_MAX_BYTES
    load_deadline: float = DEFAULT_LOAD_DEADLINE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ApiLimits:
        """The limits the ``MSP_CSAT_*`` variables set (defaults for those unset or empty)."""
        env = os.environ if environ is None else environ
        return cls(request_deadline=_number(env, "MSP_CSAT_HTTP_DEADLINE", DEFAULT_DEADLINE, "a number of seconds"),
                   max_response_bytes=int(_number(env, "MSP_CSAT_HTTP_MAX_BYTES", DEFAULT_MAX_BYTES,
                                                  "a whole number of bytes", whole=True)),
                   load_deadline=_number(env, "MSP_CSAT_LOAD_DEADLINE", DEFAULT_LOAD_DEADLINE,
                                         "a number of seconds"))

    @classmethod
    def fill(cls, options: dict[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """An extractor's ``options`` with ``http`` (a :meth:`client`) and ``load_deadline`` from the environment's
        limits, unless given."""
        limits = cls.from_environment(environ)
        if "http" not in options:
            options["http"] = limits.client()
        options.setdefault("load_deadline", limits.load_deadline)
        return options

    def client(self) -> JsonHttpClient:
        """The HTTP client the extractors use: 60 s socket timeout, default retries, these bounds."""
        return JsonHttpClient(timeout=60.0, retry=RetryPolicy(), deadline=self.request_deadline,
                              max_bytes=self.max_response_bytes)


def _number(env: Mapping[str, str], variable: str, default: float, what: str, whole: bool = False) -> float:
    text = env.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = -1
    if not (value > 0 and math.isfinite(value)):
        raise LimitsError(f"{variable} must be {what} greater than 0, not {text!r}.")
    return value
