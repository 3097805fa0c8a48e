"""Counted nouns in messages: ``1 client``, ``2 clients``, ``1,024 rows``."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless the count is one (``plural_form``, or the noun with
    an ``s``); the count with thousands separators: ``plural(1, "client")`` → ``1 client``,
    ``plural(2, "entry", "entries")`` → ``2 entries``."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def singular(noun: str) -> str:
    """The singular of a plural English noun as entity names are written: ``Companies`` → ``Company``,
    ``Tickets`` → ``Ticket``; a noun not ending in ``s`` is returned as it is."""
    if noun.lower().endswith("ies"):
        return noun[:-3] + ("Y" if noun[-3:].isupper() else "y")
    return noun[:-1] if noun.lower().endswith("s") else noun


__all__ = ["plural", "singular"]
