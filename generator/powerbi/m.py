"""Power Query (M) text: text literals and identifiers written the way the M language specification defines them.

Every piece of text put into generated M (partition queries, parameter values, names of parameters) goes through
:func:`m_text` or :func:`m_identifier`, so nothing inside can end a literal, break a line or turn into code.
"""

from __future__ import annotations

import re

_M_ESCAPES = {"\r": "#(cr)", "\n": "#(lf)", "\t": "#(tab)"}
# The keywords of the M specification (lexical structure, "Keywords"); a regular identifier is never one of them.
M_KEYWORDS = frozenset(["and", "as", "each", "else", "error", "false", "if", "in", "is", "let", "meta", "not",
                        "null", "or", "otherwise", "section", "shared", "then", "true", "try", "type"])
_REGULAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def m_text(text: str) -> str:
    """``text`` as a Power Query (M) text literal: ``"`` doubled, ``#(`` and control characters escaped the M way,
    so nothing inside can end the literal or the line. Every text put into generated M goes through here."""
    parts = []
    for index, character in enumerate(text):
        if character == '"':
            parts.append('""')
        elif character == "#" and text[index + 1:index + 2] == "(":
            parts.append("#(#)")
        elif character in _M_ESCAPES:
            parts.append(_M_ESCAPES[character])
        elif not character.isprintable():
            parts.append(f"#({ord(character):04X})" if ord(character) <= 0xFFFF else f"#({ord(character):08X})")
        else:
            parts.append(character)
    return '"' + "".join(parts) + '"'


def is_regular_identifier(name: str) -> bool:
    """True when ``name`` can be written bare in M: ASCII letters, digits and ``_`` (dot-separated parts allowed),
    not starting with a digit, and not a keyword."""
    return _REGULAR.fullmatch(name) is not None and name not in M_KEYWORDS


def m_identifier(name: str) -> str:
    """``name`` as an M identifier reference: bare when it is a regular identifier, else the quoted form
    ``#"..."`` (escaped like a text literal)."""
    return name if is_regular_identifier(name) else "#" + m_text(name)
