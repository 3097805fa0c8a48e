"""Which characters spec text may hold.

Spec text ends up inside line-based files (TMDL, the docs page) where a line break or another control character
in a name, folder or format string would end the line and let the rest of the text be read as new objects. So
every string of a spec may hold printable characters and tabs; new lines only where a text legitimately spans
lines (descriptions, DAX). Everything else is refused with the character named.
"""

from __future__ import annotations

import unicodedata

_NAMES = {"\n": "a new line", "\r": "a carriage return", "\x85": "a next-line character",
          "\u2028": "a line separator", "\u2029": "a paragraph separator"}


def forbidden_character(text: str, *, line_breaks: bool) -> str | None:
    """The first character of ``text`` that spec text may not hold, described (``"a new line (U+000A)"``), or
    None when there is none. Allowed: printable characters, tabs and, when ``line_breaks``, new lines (LF)."""
    for character in text:
        if character == "\t" or (line_breaks and character == "\n"):
            continue
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            name = _NAMES.get(character, "a control character")
            return f"{name} (U+{ord(character):04X})"
    return None


def single_line_problem(value: object, what: str) -> str | None:
    """Why ``value`` cannot be a one-line text such as a display folder or a format string, or None."""
    if not isinstance(value, str):
        return None
    found = forbidden_character(value, line_breaks=False)
    return None if found is None else f"{what} holds {found}; it must be one line of printable text"
