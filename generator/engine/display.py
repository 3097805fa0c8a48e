"""Numbers as a model's format string shows them: ``#,0.0%;-#,0.0%;#,0.0%``, ``#,0``, ``0.00``, ``Percent``.

Covers the custom numeric format strings of Power BI (Excel's): up to three sections (positive; negative;
zero), ``0`` and ``#`` digit placeholders, ``.`` decimals, ``,`` thousands grouping (trailing commas divide
by 1,000), ``%`` (times 100), quoted or backslash-escaped literal text; and the named formats ``General Number``,
``Fixed``, ``Standard``, ``Percent``. Other format strings (dates, scientific notation) are not numeric formats
here: :func:`format_number` returns None and the caller shows the value as it is.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

_NAMED = {"fixed": "0.00", "standard": "#,0.00", "percent": "0.00%"}
_PLACEHOLDERS = "0#"


def _sections(format_string: str) -> list[str]:
    """The ``;``-separated sections, a ``;`` inside quotes or after a backslash not counting."""
    sections, current, quote, escaped = [], [], "", False
    for char in format_string:
        if escaped:
            escaped = False
        elif char == "\\" and not quote:
            escaped = True
        elif char in "\"'" and (not quote or quote == char):
            quote = "" if quote else char
        elif char == ";" and not quote:
            sections.append("".join(current))
            current = []
            continue
        current.append(char)
    sections.append("".join(current))
    return sections


def _tokens(section: str) -> list[tuple[bool, str]]:
    """The section as (is_literal, character) pairs: quoted text and escaped characters are literal."""
    tokens: list[tuple[bool, str]] = []
    quote, escaped = "", False
    for char in section:
        if escaped:
            tokens.append((True, char))
            escaped = False
        elif quote:
            if char == quote:
                quote = ""
            else:
                tokens.append((True, char))
        elif char == "\\":
            escaped = True
        elif char in "\"'":
            quote = char
        else:
            tokens.append((False, char))
    return tokens


def _group(digits: str) -> str:
    """``1234567`` → ``1,234,567``."""
    head = len(digits) % 3 or 3
    return ",".join([digits[:head], *(digits[i:i + 3] for i in range(head, len(digits), 3))])


def _section_text(magnitude: Decimal, section: str) -> tuple[str, bool] | None:
    """``magnitude`` (not negative) written with one section, and whether it rounded to zero; None when the
    section is not a numeric format."""
    tokens = _tokens(section)
    pattern = [i for i, (literal, char) in enumerate(tokens) if not literal and char in _PLACEHOLDERS + "."]
    if not any(tokens[i][1] in _PLACEHOLDERS for i in pattern):
        return None
    if any(not literal and char in "Ee" for literal, char in tokens):
        return None  # scientific notation
    start, end = pattern[0], pattern[-1]
    while end + 1 < len(tokens) and tokens[end + 1] == (False, ","):
        end += 1  # trailing commas scale by 1,000 each
    number = "".join(char for _, char in tokens[start:end + 1])
    before = "".join(char for _, char in tokens[:start])
    after = "".join(char for _, char in tokens[end + 1:])
    scaled_down = len(number) - len(number.rstrip(","))
    number = number.rstrip(",")
    integer, _, fraction = number.partition(".")
    percents = sum(1 for literal, char in tokens if not literal and char == "%")
    value = magnitude * Decimal(100) ** percents / Decimal(1000) ** scaled_down
    places = sum(1 for char in fraction if char in _PLACEHOLDERS)
    required = sum(1 for char in fraction if char == "0")
    with localcontext() as context:
        context.prec = 1000  # enough digits for any float (1e308) to any number of decimals a format asks
        rounded = value.quantize(Decimal(1).scaleb(-min(places, 300)), rounding=ROUND_HALF_UP)
    whole, _, decimals = f"{rounded:f}".partition(".")
    decimals = decimals.rstrip("0").ljust(required, "0")
    minimum = sum(1 for char in integer if char == "0")
    whole = whole.lstrip("0").rjust(minimum, "0")
    if "," in integer:
        whole = _group(whole) if whole else whole
    text = whole + ("." + decimals if decimals else "." if "." in number and not fraction else "")
    return before + text + after, rounded == 0


def format_number(value: object, format_string: str | None) -> str | None:
    """``value`` written with ``format_string``; None when either is not numeric (booleans, text, dates,
    BLANK, NaN/infinity, date or scientific format strings): show the value unformatted then."""
    if not format_string or isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if format_string.strip().lower() == "general number":
        return None
    sections = _sections(_NAMED.get(format_string.strip().lower(), format_string))
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    magnitude = abs(number)
    first = _section_text(magnitude, sections[0])
    if first is None:
        return None
    positive, zero = first
    if number < 0 and len(sections) > 1 and sections[1]:
        return _other_section(magnitude, sections[1])
    if len(sections) > 2 and sections[2] and zero:
        return _other_section(Decimal(0), sections[2])
    return "-" + positive if number < 0 and not zero else positive


def _other_section(magnitude: Decimal, section: str) -> str:
    """The negative or zero section: a number format, or text alone (``"none"``)."""
    written = _section_text(magnitude, section)
    return written[0] if written is not None else "".join(char for _, char in _tokens(section))


__all__ = ["format_number"]
