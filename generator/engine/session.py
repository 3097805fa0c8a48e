"""Open the database a command's engine reads: a DuckDB file, or a server reached through ODBC.

``connect_read_only(db)`` gives a read-only DuckDB connection for a file, or an :class:`OdbcSession` for
``odbc:…`` (SQL Server / Azure SQL, PostgreSQL, MariaDB/MySQL — the targets ``load`` writes); the engine
(:class:`generator.engine.run.Engine`) runs on either, in the connection's SQL dialect.
"""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from generator.errors import TargetError

if TYPE_CHECKING:  # pyodbc (and the ODBC driver manager) load only when an odbc: target is opened
    from generator.targets.database import Database
    from generator.targets.odbc_db import OdbcDatabase


def duckdb_path(db: str) -> Path:
    """The DuckDB file a ``--db`` value names (``duckdb:PATH`` or a path); TargetError for ``odbc:`` targets."""
    value = db.strip()
    if value.lower().startswith("odbc:"):
        raise TargetError("--db names an ODBC data source here, where a DuckDB file is needed")
    if value.lower().startswith("duckdb:"):
        value = value[len("duckdb:"):]
    return Path(value)


def is_odbc(db: str) -> bool:
    """Whether a ``--db`` value names an ODBC data source."""
    return db.strip().lower().startswith("odbc:")


class _Rows:
    """The rows of one statement, read as DuckDB's ``execute(...).fetchall()`` gives them."""

    def __init__(self, rows: list[tuple[Any, ...]]):
        self.rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class Interrupted(Exception):
    """A statement of an :class:`OdbcSession` was cancelled by :meth:`OdbcSession.interrupt` (a deadline): it stops the
    command, as DuckDB's InterruptException does, rather than failing one query."""


class OdbcSession:
    """A read-only session on a server reached through ODBC, shaped as the engine uses a DuckDB connection:
    ``execute(sql).fetchall()``, ``interrupt()`` (cancels the running statement, for ``--timeout``), ``close()``.

    Read-only: PostgreSQL and MariaDB/MySQL sessions are set READ ONLY; SQL Server has no such session setting
    (the engine only reads; give it a login that can only read). ``--memory-limit`` does not apply: the server's
    own limits do.
    """

    def __init__(self, database: OdbcDatabase):
        import pyodbc

        self.database = database
        self.dialect = database.dialect
        self.errors: tuple[type[Exception], ...] = (pyodbc.Error,)
        self._running: Any = None
        self._interrupted = False
        self._lock = threading.Lock()
        statement = {"postgres": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                     "mysql": "SET SESSION TRANSACTION READ ONLY"}.get(self.dialect)
        if statement is not None:
            database.execute(statement)
            database.commit()

    def execute(self, sql: str) -> _Rows:
        """Run one query; its rows."""
        if self._interrupted:
            raise Interrupted("the statement was cancelled")
        cursor = self.database.connection.cursor()
        with self._lock:
            self._running = cursor
        try:
            cursor.execute(sql)
            rows = [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        except self.errors:
            if self._interrupted:
                raise Interrupted("the statement was cancelled") from None
            raise
        finally:
            with self._lock:  # never close the cursor while interrupt() is cancelling it
                self._running = None
                cursor.close()
        self.database.commit()  # end the read-only transaction: a long session holds no snapshot
        return _Rows(rows)

    def interrupt(self) -> None:
        """Cancel the statement running now (if any) and refuse the next ones."""
        self._interrupted = True
        with self._lock:
            if self._running is not None:
                with contextlib.suppress(self.errors):
                    self._running.cancel()

    def error_text(self, error: Exception) -> str:
        """One line for a server's error: the DAX runtime error it raised (``DAX: MOD: division by zero``), else the
        driver's message without its ``[vendor][driver]`` prefixes."""
        from generator.engine.sqlfuncs import runtime_error

        message = str(error.args[1] if len(error.args) > 1 else error)
        raised = runtime_error(self.dialect, message)
        if raised is not None:
            return raised
        text = re.sub(r"\s*\(\w+\)\s*(\(SQL\w+\))?\s*$", "", re.sub(r"^(\[[^\]]*\]\s*)+", "", message))
        return first_line(Exception(text.strip()))

    def close(self) -> None:
        """Close the connection."""
        self.database.close()


def open_odbc_read_only(connection_string: str) -> OdbcSession:
    """A read-only :class:`OdbcSession` on the ODBC data source (TargetError, one sentence, when it cannot open)."""
    from generator.targets.connect import open_database

    database = open_database(f"odbc:{connection_string}")
    try:
        return OdbcSession(database)  # type: ignore[arg-type]
    except BaseException:
        database.close()
        raise


def target_database(connection: duckdb.DuckDBPyConnection | OdbcSession, db: str) -> Database:
    """The :class:`~generator.targets.database.Database` over an open engine connection (to read the BI_ tables
    as DataFrames, e.g. for the pandas reference of ``validate``)."""
    if isinstance(connection, OdbcSession):
        return connection.database
    from generator.targets.duckdb_db import DuckDBDatabase

    return DuckDBDatabase(connection, duckdb_path(db))


def connect_read_only(db: str, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection | OdbcSession:
    """A read-only connection to the database of ``--db``: a DuckDB file (its memory capped at ``memory_limit``, a
    size such as ``4GB``, when given) or, for ``odbc:…``, an :class:`OdbcSession` (``memory_limit`` is DuckDB's
    and does not apply); TargetError when it is missing or cannot be opened.

    A DuckDB file is not trusted: external access is off, so its views can read only the tables inside it, never
    a local file or a URL.
    """
    if is_odbc(db):
        if memory_limit is not None:
            from generator.engine.limits import check_memory_limit

            check_memory_limit(memory_limit)
        return open_odbc_read_only(db.strip()[len("odbc:"):])
    path = duckdb_path(db)
    if not path.is_file():
        raise TargetError(f"--db {path}: no such DuckDB file (create one with `gen-measures demo --db {path}` "
                          "or `gen-measures load`)")
    try:
        # external access off: a view in the file cannot read local files or URLs (read_text, read_csv, ATTACH …)
        connection = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    except duckdb.Error as error:
        raise TargetError(f"cannot open DuckDB file {path}: {first_line(error)}") from None
    if memory_limit is not None:
        from generator.engine.limits import set_memory_limit

        try:
            set_memory_limit(connection, memory_limit)
        except BaseException:
            connection.close()
            raise
    return connection


def first_line(error: Exception) -> str:
    """The first line of an error's message (its type's name when the message is empty)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
