"""The embedded default target: a DuckDB database file."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from generator.engine.session import first_line
from generator.errors import DataError, TargetError
from generator.sqlschema.ddl import quoted_table
from generator.targets.database import Database, select_all
from generator.targets.locks import LoadBusy, lock_timeout, try_again

_POLL_SECONDS = 0.2
_HOLDER = re.compile(r"\(PID (\d+)\)")  # DuckDB names the process holding the file's lock


class DuckDBDatabase(Database):
    """A DuckDB file; every statement runs inside an explicit transaction."""

    dialect = "duckdb"
    transactional_ddl = True

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, created: Sequence[Path] = ()):
        """``created``: the files this open created (the database and its ``.wal``); a command that fails removes
        them again when it leaves the ``with`` block (see :meth:`__exit__`)."""
        self.connection = connection
        self.description = str(path)
        self.created = tuple(created)
        self.connection.begin()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        cursor = self.connection.execute(sql, list(params) if params is not None else None)
        return cursor.fetchall() if cursor.description else []

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        view = "__msp_csat_frame"
        self.connection.register(view, frame)
        try:
            select = exp.select(*[exp.column(c, quoted=True) for c in frame.columns]).from_(view)
            columns = [exp.to_identifier(c, quoted=True) for c in frame.columns]
            insert = exp.insert(select, quoted_table(table), columns=columns)
            self.connection.execute(self.render(insert))
        finally:
            self.connection.unregister(view)
        return len(frame)

    def read_table(self, table: str, columns: Sequence[str]) -> pd.DataFrame:
        """Every row of ``table`` as a DataFrame, fetched column-wise (no Python tuples); DataError when the database
        cannot read it (a view reading a file while external access is off, a broken view …)."""
        try:
            return self.connection.execute(self.render(select_all(table, columns))).df()
        except (duckdb.InterruptException, duckdb.OutOfMemoryException):
            raise  # a deadline or the memory limit stopped the command (generator.engine.limits)
        except duckdb.Error as error:
            raise DataError(f"cannot read table {table} from {self.description}: {first_line(error)}") from None

    def commit(self) -> None:
        self.connection.commit()
        self.connection.begin()

    def rollback(self) -> None:
        self.connection.rollback()
        self.connection.begin()

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.connection.rollback()
        self.connection.close()

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        """Close; when the command failed, also remove the files this open created, so that a failed ``load`` or
        ``demo`` into a new path leaves no (empty) database behind."""
        self.close()
        if exc_type is not None:
            for path in self.created:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def existing_tables(self) -> set[str]:
        rows = self.execute("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = current_schema() AND table_catalog = current_database() "
                            "AND table_type = 'BASE TABLE'")
        return {row[0] for row in rows}


def wal_path(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside a database file."""
    return path.with_name(path.name + ".wal")


def open_duckdb(path: Path) -> DuckDBDatabase:
    """Open (or create) a DuckDB file; TargetError when its folder is missing or the file is not DuckDB.

    While another process has the file open (DuckDB locks it), wait for it up to ``MSP_CSAT_LOCK_TIMEOUT`` seconds
    (default 10), then :class:`LoadBusy`. Files that did not exist before (the database, its ``.wal``) are removed
    again if the command fails."""
    if path.is_dir():
        raise TargetError(f"--db {path} is a folder; give a DuckDB file path such as {path / 'msp_csat.duckdb'}")
    if not path.parent.exists():
        raise TargetError(f"cannot create DuckDB file {path}: the folder {path.parent} does not exist")
    timeout = lock_timeout()
    deadline = time.monotonic() + timeout
    while True:
        created = [file for file in (path, wal_path(path)) if not file.exists()]
        try:
            return DuckDBDatabase(duckdb.connect(str(path)), path, created)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" in text.lower():
                if time.monotonic() < deadline:
                    time.sleep(_POLL_SECONDS)
                    continue
                holder = _HOLDER.search(text)
                who = f"process {holder.group(1)}" if holder else "another process"
                raise LoadBusy(f"cannot open DuckDB file {path}: {who} has it open (a load, demo, query or "
                               f"report); {try_again(timeout)}") from None
            if "not a valid DuckDB database file" in text or "invalid" in text.lower():
                reason = "the file is not a DuckDB database"
            else:
                reason = text.splitlines()[0]
            raise TargetError(f"cannot open DuckDB file {path}: {reason}") from None
        except duckdb.Error as exc:
            raise TargetError(f"cannot open DuckDB file {path}: {str(exc).splitlines()[0]}") from None
