"""How deep DAX may nest, and the Python recursion room that depth needs.

The parser refuses a tree deeper than :data:`MAX_DEPTH` (parentheses, calls, ``{ }``, ``VAR`` blocks, prefix
operators and chains of infix operators each add a level) with ``nesting deeper than N at line:col``. Every
recursive walk over an accepted tree — the formatter, the engine's compiler, sqlglot writing the SQL — then needs
at most a few dozen Python frames per level, which :func:`recursion_room` makes available.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from generator.dax.lexer import DaxSyntaxError

#: The deepest DAX tree the parser accepts.
MAX_DEPTH = 256

#: The longest chain of measures using measures (``[a]`` uses ``[b]`` uses ``[c]`` …) the engine evaluates.
MAX_MEASURE_DEPTH = 512

#: Python frames allowed while a tree of :data:`MAX_DEPTH` is parsed, compiled and written as SQL (CPython 3.11
#: runs Python-to-Python calls without growing the C stack, so this is safe on the default thread stack).
RECURSION_LIMIT = 40_000


class DaxNestingError(DaxSyntaxError):
    """A DAX text nested deeper than :data:`MAX_DEPTH`; ``line``/``column`` point where it gets too deep."""

    def __init__(self, line: int, column: int):
        super().__init__(f"nesting deeper than {MAX_DEPTH}", line, column)


@contextmanager
def recursion_room() -> Iterator[None]:
    """Raise Python's recursion limit to :data:`RECURSION_LIMIT` for the block (never lower it)."""
    previous = sys.getrecursionlimit()
    if previous >= RECURSION_LIMIT:
        yield
        return
    sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)
