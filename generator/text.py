"""Counted nouns in messages: ``1 client``, ``2 clients``, ``1,024 rows``."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one (``plural_form``, or the noun with
    an ``s``); the count with thousands separators: ``plural(1, "client")`` → ``1 client``,
    ``plural(2, "entry", "entries")`` → ``2 entries``."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


__all__ = ["plural"]
