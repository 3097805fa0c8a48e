"""DAX spellings of names and literals: the one place that quotes a table name (``'x''y'``), brackets a column or
measure name (``[a]]b]``) and writes a string or number literal. The formatter, the measure templates, the
validation and report queries, the assistant and the DQV files all write names through these functions.
"""

from __future__ import annotations

import re

from generator.dax.parser import ARGUMENT_KEYWORDS, RESERVED_WORDS

#: Table names that are always quoted: keywords, bare argument keywords, and words the engine treats as reserved
#: (``status``: Tabular Editor issue 991). Quoting is always valid, so the list errs on the side of quoting.
QUOTED_TABLE_WORDS = RESERVED_WORDS | ARGUMENT_KEYWORDS | {"TRUE", "FALSE", "STATUS", "DATE", "TIME"}
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def dax_table(name: str) -> str:
    """A table reference that is valid whatever the name holds: ``'Name'`` with ``'`` doubled."""
    return "'" + name.replace("'", "''") + "'"


def table_name(name: str) -> str:
    """The house style: ``Sales`` stays bare; ``Dim Date``, ``Été``, ``1Table`` and reserved words are quoted as
    :func:`dax_table` quotes them."""
    if _PLAIN_NAME.match(name) and name.upper() not in QUOTED_TABLE_WORDS:
        return name
    return dax_table(name)


def dax_measure(name: str) -> str:
    """A bracketed name, ``[Name]`` with ``]`` doubled: a measure reference, or the column part of a column
    reference."""
    return "[" + name.replace("]", "]]") + "]"


def dax_column(table: str, column: str) -> str:
    """A column reference ``Table[column]`` in the house style (:func:`table_name`, :func:`dax_measure`)."""
    return table_name(table) + dax_measure(column)


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
