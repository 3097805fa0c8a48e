"""Format strings: the named shorthands a measure spec may use, and what they stand for."""

from __future__ import annotations

# Chosen to satisfy Tabular Editor's BPA formatting rules (PERCENTAGE_FORMATTING, INTEGER_FORMATTING).
NAMED_FORMATS: dict[str, str] = {
    "whole": "#,0",
    "decimal": "#,0.0",
    "percent": "#,0.0%;-#,0.0%;#,0.0%",
}


def resolve_format(value: str) -> str:
    """The format string a spec's ``format:`` value means: a named shorthand or the string itself."""
    return NAMED_FORMATS.get(value, value)
