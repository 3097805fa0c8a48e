"""DAX spellings of names and literals (the formatter re-renders them in the house style)."""

from __future__ import annotations


def dax_table(name: str) -> str:
    """A table reference that is valid whatever the name holds: ``'Name'`` with ``'`` doubled."""
    return "'" + name.replace("'", "''") + "'"


def dax_measure(name: str) -> str:
    """An unqualified measure reference ``[Name]`` with ``]`` doubled."""
    return "[" + name.replace("]", "]]") + "]"


def dax_string(text: str) -> str:
    """A DAX string literal with ``"`` doubled."""
    return '"' + text.replace('"', '""') + '"'


def dax_number(value: float | int) -> str:
    """A DAX number literal: integers without a decimal point, other values in Python's shortest form."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
