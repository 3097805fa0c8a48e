"""Compiled tables: an SQL query with named columns, each knowing the model column it came from (lineage)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from generator.engine.sqltree import owned
from generator.engine.values import DaxType

# A model column as the engine identifies it: (table name, column name), both as the model spells them.
ColumnKey = tuple[str, str]


def column_name(key: ColumnKey) -> str:
    """``Table[Column]``, the DAX name of a model column (as query results name it)."""
    return f"{key[0]}[{key[1]}]"


@dataclass(frozen=True)
class RelColumn:
    """One column of a compiled table.

    ``sql`` is its name in the SQL query; ``name`` the DAX name results show (``Table[Column]`` or ``[Name]``);
    ``lineage`` the model column it holds values of (None for computed columns); ``format_string`` the format
    string of the measure whose values it holds, when it is a plain reference to one (query results show
    values with it).
    """

    sql: str
    name: str
    lineage: ColumnKey | None
    type: DaxType
    format_string: str | None = None

    @property
    def short_name(self) -> str:
        """The name without its table: ``Column`` for ``Table[Column]``, ``Name`` for ``[Name]``."""
        return self.name[self.name.index("[") + 1 : -1]


@dataclass(frozen=True)
class Relation:
    """A DAX table compiled to SQL.

    ``query`` selects exactly ``columns`` (by their ``sql`` names), possibly with duplicate rows (DAX tables
    keep duplicates). ``base_table`` is set when the rows are rows of one model table, with all its columns.
    """

    query: exp.Query
    columns: tuple[RelColumn, ...]
    base_table: str | None = None
    # For a one-column table of the dates of a model column between two bounds (time intelligence): the
    # bounds' SQL, so that as a filter it can be a range predicate instead of a semi-join.
    date_range: tuple[exp.Expression, exp.Expression] | None = None

    def subquery(self, alias: str) -> exp.Subquery:
        """The query as a FROM item called ``alias``."""
        return exp.Subquery(this=owned(self.query), alias=exp.TableAlias(this=exp.to_identifier(alias)))

    def find(self, key: ColumnKey) -> RelColumn | None:
        """The column with lineage ``key`` (names compared case-insensitively), or None."""
        wanted = (key[0].lower(), key[1].lower())
        for rel_column in self.columns:
            if rel_column.lineage and (rel_column.lineage[0].lower(), rel_column.lineage[1].lower()) == wanted:
                return rel_column
        return None

    def find_name(self, name: str) -> RelColumn | None:
        """The column whose short name is ``name`` (any case), computed columns first, or None."""
        lowered = name.lower()
        matches = [c for c in self.columns if c.short_name.lower() == lowered]
        matches.sort(key=lambda c: c.lineage is not None)
        return matches[0] if matches else None


def col(alias: str, name: str) -> exp.Column:
    """``alias.name`` as a sqlglot column."""
    return exp.column(name, table=alias)
