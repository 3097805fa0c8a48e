"""Open the engine for a command: the model to bind to and the DuckDB database holding the BI_ tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from generator.errors import TargetError


def duckdb_path(db: str) -> Path:
    """The DuckDB file a ``--db`` value names; TargetError for ``odbc:`` targets (the engine runs on DuckDB)."""
    value = db.strip()
    if value.lower().startswith("odbc:"):
        raise TargetError("the DAX engine evaluates on DuckDB; --db must be a DuckDB file (for a warehouse, "
                          "print the SQL with --sql --dialect tsql|postgres|spark)")
    if value.lower().startswith("duckdb:"):
        value = value[len("duckdb:"):]
    return Path(value)


def connect_read_only(db: str, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the DuckDB file of ``--db`` (its memory capped at ``memory_limit``, a size such as
    ``4GB``, when given); TargetError when it is missing or unreadable.

    The file is not trusted: external access is off, so its views can read only the tables inside it, never a
    local file or a URL.
    """
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
