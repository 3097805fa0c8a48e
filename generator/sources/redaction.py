"""Keep what we send out of what we show: the secrets a server may echo back in an error body are replaced by
``***`` before the body becomes part of a message or a log line."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import urllib.parse
from collections.abc import Collection, Mapping

REDACTED = "***"
# Header values that are not secrets (every other header value sent is redacted from error bodies).
_PLAIN_HEADERS = frozenset({"accept", "user-agent", "content-type"})
# "Secret: …", "password=…", '"client_secret": "…"' and the like in an error body.
_SECRET_ASSIGNMENT = re.compile(
    r"""(?i)\b(secret|apiintegrationcode|integration_?code|username|password|passwd|client_secret|"""
    r"""refresh_token|access_token|authorization)(["']?\s*[:=]\s*["']?)(?:(?:bearer|basic)\s+)?[^\s"',;&}]+""")


def sensitive_values(headers: Mapping[str, str], extra: Collection[str] = ()) -> list[str]:
    """The strings to redact from what a server answers: every header value but Accept/User-Agent/Content-Type,
    the token of an ``Authorization`` value (and both halves of a Basic pair), and ``extra``."""
    values = set(extra)
    for name, value in headers.items():
        if name.lower() in _PLAIN_HEADERS:
            continue
        values.add(value)
        scheme, _, token = value.partition(" ")
        if token:
            values.add(token)
            if scheme.lower() == "basic":
                with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                    pair = base64.b64decode(token, validate=True).decode("utf-8")
                    values.update([pair, *pair.split(":", 1)])
    return sorted((v for v in values if len(v) >= 4), key=lambda v: (-len(v), v))


def redact(text: str, secrets: Collection[str]) -> str:
    """``text`` with every ``secrets`` value (as is, URL-encoded or JSON-escaped) and ``Secret: …``-like text
    replaced by ``***``."""
    for secret in secrets:
        for form in sorted({secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
                            json.dumps(secret)[1:-1]}, key=lambda f: (-len(f), f)):
            text = text.replace(form, REDACTED)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
