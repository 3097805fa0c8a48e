"""Parse a ``--db`` value and open the database it names.

``--db`` (or ``MSP_CSAT_DB``) is either a DuckDB file path (the default ``./msp_csat.duckdb``, optionally
written ``duckdb:PATH``) or ``odbc:<ODBC connection string>``. Connection strings may hold passwords: they
are never printed; :func:`describe_target` gives a redacted form for messages.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.errors import TargetError
from generator.targets.database import Database
from generator.targets.duckdb_db import open_duckdb

DEFAULT_DB = "msp_csat.duckdb"
ENV_VAR = "MSP_CSAT_DB"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):(?!\\)")  # two letters at least: C:\ is a path
_SECRET = re.compile(r"((?:pwd|password|secret|token|accesstoken)\s*=\s*)(\{[^}]*\}|[^;]*)", re.IGNORECASE)


def redact(connection_string: str) -> str:
    """The connection string with every password-like value replaced by ``***``."""
    return _SECRET.sub(lambda m: m.group(1) + "***", connection_string)


def describe_target(db: str) -> str:
    """A printable name for a ``--db`` value, with secrets redacted."""
    return redact(db) if db.lower().startswith("odbc:") else db


def open_database(db: str) -> Database:
    """Open the database named by a ``--db`` value; :class:`TargetError` with one clear sentence on failure."""
    db = db.strip()
    if not db:
        raise TargetError("--db is empty; give a DuckDB file path or odbc:<connection string>")
    match = _SCHEME.match(db)
    scheme = match.group(1).lower() if match else None
    if scheme == "odbc":
        return _open_odbc(db[len("odbc:"):])
    if scheme == "duckdb":
        return open_duckdb(Path(db[len("duckdb:"):]))
    if scheme is not None:
        raise TargetError(f"unknown --db scheme '{scheme}:'; use a DuckDB file path (e.g. {DEFAULT_DB}) or "
                          "odbc:<ODBC connection string> (e.g. odbc:Driver={PostgreSQL Unicode};Server=...)")
    return open_duckdb(Path(db))


def _open_odbc(connection_string: str) -> Database:
    """ODBC targets load pyodbc (and the system's ODBC driver manager) only when one is asked for, so the
    default DuckDB target works on a machine without unixODBC."""
    try:
        from generator.targets.odbc_db import open_odbc
    except ImportError as error:
        raise TargetError(f"ODBC targets need the ODBC driver manager, which cannot be loaded ({error}); install "
                          "it (Debian/Ubuntu: apt-get install unixodbc) and the database's ODBC driver") from None
    return open_odbc(connection_string)
