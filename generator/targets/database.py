"""The one interface every target implements: run SQL, bulk-insert DataFrames, read tables, transactions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlglot import exp

from generator.sqlschema.ddl import quoted_table


def select_all(table: str, columns: Sequence[str]) -> exp.Select:
    """``SELECT columns FROM table ORDER BY first column``, identifiers quoted."""
    return exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(quoted_table(table)).order_by(
        exp.column(columns[0], quoted=True))


class Database(ABC):
    """An open connection to a target database.

    ``dialect`` is the sqlglot dialect its SQL is rendered in. Statements run inside the current
    transaction; :meth:`transaction` commits on success and rolls back on any exception.
    """

    dialect: str
    description: str
    transactional_ddl: bool = True

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement; return its rows (empty for statements without a result)."""

    @abstractmethod
    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Append every row of ``frame`` (columns named as the table's) to ``table``; return the row count."""

    @abstractmethod
    def commit(self) -> None:
        """Commit the current transaction."""

    @abstractmethod
    def rollback(self) -> None:
        """Roll back the current transaction."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back)."""

    @abstractmethod
    def existing_tables(self) -> set[str]:
        """Names of the tables in the current schema/database."""

    def render(self, expression: exp.Expression) -> str:
        """SQL text of a sqlglot expression in this target's dialect, identifiers quoted."""
        return expression.sql(dialect=self.dialect, identify=True)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Commit when the block succeeds, roll back when it raises."""
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            self.commit()

    def read_table(self, table: str, columns: Sequence[str]) -> pd.DataFrame:
        """Every row of ``table`` as a DataFrame with the given columns, in the order of the first column."""
        rows = self.execute(self.render(select_all(table, columns)))
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(columns))

    def count_rows(self, table: str) -> int:
        """Number of rows in ``table``."""
        query = exp.select(exp.Count(this=exp.Star())).from_(quoted_table(table))
        return int(self.execute(self.render(query))[0][0])

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
