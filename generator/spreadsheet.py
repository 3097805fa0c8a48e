"""Text cells of the CSV files the tool writes, made safe to open in a spreadsheet.

Excel and LibreOffice read a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one) as a formula, so data from a database or an export could run ``=cmd|' /C calc'!A0`` on the machine of
whoever opens the file. As OWASP's CSV-injection guidance advises, such text gets a leading single quote; numbers
are written as numbers and never changed.
"""

from __future__ import annotations

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """``text`` for a CSV cell: a single quote before it when it would start a formula, unchanged otherwise."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
