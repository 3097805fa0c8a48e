"""Compiled queries kept for reuse: a query compiled once per (query text, model, roles, user).

An :class:`~generator.engine.run.Engine` holds one :class:`PlanCache`; the same DAX text compiled again by
that engine (``validate`` and ``report`` ask for the same shapes, the assistant repeats questions) returns the
statements compiled the first time. The cache belongs to the engine rather than the process because what a
compiled query says also depends on the engine's database (whether a table has DAX's blank row is asked of
the data once per engine). Statements are immutable once compiled (running one renders a copy of its SQL).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

#: compiled queries kept per engine (the least recently used go first)
CAPACITY = 512


class PlanCache(Generic[T]):
    """A bounded least-recently-used map from a compile key to what compiling gave."""

    def __init__(self, capacity: int = CAPACITY):
        """``capacity``: how many compiled queries to keep (0 keeps none)."""
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compile_: Callable[[], T]) -> T:
        """The value cached under ``key``, compiling it (and keeping it) the first time; a compile error is
        raised and nothing is kept."""
        if key in self._entries:
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]
        self.misses += 1
        value = compile_()
        if self.capacity > 0:
            self._entries[key] = value
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


def compile_key(text: str, model: object, roles: tuple[str, ...], user: str,
                parameters: tuple[tuple[str, str], ...] = ()) -> tuple[object, ...]:
    """The key of one compiled query: the DAX text, the model (by identity: an engine's model is fixed),
    the roles, the user and the values of the query's ``@parameters``."""
    return text, id(model), roles, user, parameters


__all__ = ["CAPACITY", "PlanCache", "compile_key"]
