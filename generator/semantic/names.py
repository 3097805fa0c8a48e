"""DAX name resolution against a model: the one place a ``'Table'[Column]``, ``[Measure]`` or table name is
looked up.

DAX names are case-insensitive, so lookups are too, and a found name comes back in the model's spelling.
:meth:`Names.reference` follows DAX's reading of a bracketed reference: ``T[X]`` is column X of table T, else
a measure called X; ``[X]`` is a measure, else (inside a measure) a column of the measure's home table.
Anything else is :class:`Unknown`, which knows the names it could have been and writes the
``; did you mean X?`` hint every message uses.

A :class:`Names` is built from the IR (:meth:`Names.of_model`), from the YAML specs' model
(:meth:`Names.of_spec`) or from plain mappings (a catalogue of rendered measures).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.semantic.model import SemanticModel
    from generator.spec.model import Model


def did_you_mean(name: str, candidates: Iterable[str], spell: Callable[[str], str]) -> str:
    """``; did you mean X?`` with X the candidate closest to ``name`` (case-insensitively, by difflib), written
    by ``spell`` (``[rating]``, ``'BI_Date'``); empty when none is close."""
    if len(name) > 200:  # no name that long is a typo of a model name
        return ""
    by_lower: dict[str, str] = {}
    for candidate in sorted(candidates):
        by_lower.setdefault(candidate.lower(), candidate)
    hint = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    return f"; did you mean {spell(by_lower[hint[0]])}?" if hint else ""


def quoted(name: str) -> str:
    """``'name'``: how the spec messages write a suggested name."""
    return f"'{name}'"


@dataclass(frozen=True)
class TableName:
    """A table of the model, in its declared spelling."""

    table: str


@dataclass(frozen=True)
class ColumnName:
    """Column ``column`` of table ``table``, both in their declared spelling."""

    table: str
    column: str


@dataclass(frozen=True)
class MeasureName:
    """Measure ``measure`` (declared spelling) and its home table."""

    table: str
    measure: str


@dataclass(frozen=True)
class Unknown:
    """A name the model does not have: ``what`` is ``table``, ``column`` (of ``table``, which exists) or
    ``measure`` (for ``[X]``: neither a measure nor a column of the home table); ``candidates`` are the names it
    could have been (for a column: the columns of ``table``)."""

    what: str
    name: str
    candidates: tuple[str, ...]
    table: str | None = None

    def hint(self, spell: Callable[[str], str] = quoted) -> str:
        """``; did you mean X?`` for the closest candidate written by ``spell``, or ``""``."""
        return did_you_mean(self.name, self.candidates, spell)


Resolved = TableName | ColumnName | MeasureName | Unknown


def _index(names: Iterable[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for name in names:
        index.setdefault(name.casefold(), name)
    return index


class Names:
    """The tables, columns and measures of one model, looked up as DAX does."""

    def __init__(self, tables: Mapping[str, Iterable[str]], measures: Mapping[str, str]):
        """``tables`` maps each table to its column names, ``measures`` each measure to its home table (both in
        model order; the first of names equal but for case wins, as in the IR's lookups)."""
        self._tables = _index(tables)
        self._columns = {table.casefold(): _index(columns) for table, columns in reversed(list(tables.items()))}
        self._measures = _index(measures)
        self._homes = {name.casefold(): table for name, table in reversed(list(measures.items()))}

    @classmethod
    def of_model(cls, model: SemanticModel) -> Names:
        """The names of the IR."""
        return cls({t.name: [c.name for c in t.columns] for t in model.tables},
                   {m.name: t.name for t in model.tables for m in t.measures})

    @classmethod
    def of_spec(cls, model: Model) -> Names:
        """The names of the specs' semantic model (its BI_ tables and their measures)."""
        return cls.of_spec_tables(model, {m.name: m.home_table for m in model.measures})

    @classmethod
    def of_spec_tables(cls, model: Model, measures: Mapping[str, str] | None = None) -> Names:
        """The specs' BI_ tables and their columns, with ``measures`` (name → home table; default none)."""
        return cls({t.name: t.column_names for t in model.semantic_tables}, measures or {})

    @property
    def tables(self) -> list[str]:
        """Every table name, in model order."""
        return list(self._tables.values())

    @property
    def measures(self) -> list[str]:
        """Every measure name, in model order."""
        return list(self._measures.values())

    def columns(self, table: str) -> list[str]:
        """The column names of ``table`` (any case), in model order; empty when there is no such table."""
        return list(self._columns.get(table.casefold(), {}).values())

    def table(self, name: str) -> TableName | Unknown:
        """The table called ``name``."""
        found = self._tables.get(name.casefold())
        return TableName(found) if found is not None else Unknown("table", name, tuple(self.tables))

    def column(self, table: str, name: str) -> ColumnName | Unknown:
        """Column ``name`` of ``table``: an unknown ``table`` or an unknown ``column`` of it."""
        found = self.table(table)
        if isinstance(found, Unknown):
            return found
        column = self._columns[table.casefold()].get(name.casefold())
        if column is None:
            return Unknown("column", name, tuple(self.columns(table)), found.table)
        return ColumnName(found.table, column)

    def measure(self, name: str) -> MeasureName | Unknown:
        """The measure called ``name`` (in any table)."""
        found = self._measures.get(name.casefold())
        if found is None:
            return Unknown("measure", name, tuple(self.measures))
        return MeasureName(self._homes[name.casefold()], found)

    def reference(self, table: str | None, name: str, home: str | None = None) -> ColumnName | MeasureName | Unknown:
        """What the DAX reference ``table[name]`` (``[name]`` when ``table`` is None) denotes: a qualified name
        is a column of its table, else a measure; a bare one a measure, else a column of ``home`` (the table of
        the measure being read)."""
        if table is not None:
            column = self.column(table, name)
            if not isinstance(column, Unknown) or column.what == "table":
                return column
            measure = self.measure(name)
            return column if isinstance(measure, Unknown) else measure
        measure = self.measure(name)
        if isinstance(measure, Unknown) and home is not None:
            column = self.column(home, name)
            if isinstance(column, ColumnName):
                return column
        return measure
