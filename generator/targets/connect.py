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


def split_target(db: str) -> tuple[str, str]:
    """A ``--db`` value as ``("duckdb", path)`` or ``("odbc", connection string)``, without opening anything;
    :class:`TargetError` for an empty value or an unknown scheme."""
    db = db.strip()
    if not db:
        raise TargetError("--db is empty; give a DuckDB file path or odbc:<connection string>")
    match = _SCHEME.match(db)
    scheme = match.group(1).lower() if match else None
    if scheme in ("odbc", "duckdb"):
        return scheme, db[len(scheme) + 1:]
    if scheme is not None:
        raise TargetError(f"unknown --db scheme '{scheme}:'; use a DuckDB file path (e.g. {DEFAULT_DB}) or "
                          "odbc:<ODBC connection string> (e.g. odbc:Driver={PostgreSQL Unicode};Server=...)")
    return "duckdb", db


def odbc_attributes(connection_string: str) -> dict[str, str]:
    """The ``key=value`` pairs of an ODBC connection string, keys lower-cased, ``{...}`` values unwrapped (a
    ``;`` inside braces belongs to the value, ``}}`` is a literal ``}``). The last of repeated keys wins."""
    found: dict[str, str] = {}
    index, length = 0, len(connection_string)
    while index < length:
        equals = connection_string.find("=", index)
        if equals < 0:
            break
        key = connection_string[index:equals].strip().lstrip(";").strip().lower()
        index = equals + 1
        while index < length and connection_string[index] == " ":
            index += 1
        if index < length and connection_string[index] == "{":
            value, index = _braced(connection_string, index + 1)
            end = connection_string.find(";", index)
            index = length if end < 0 else end + 1
        else:
            end = connection_string.find(";", index)
            end = length if end < 0 else end
            value, index = connection_string[index:end].strip(), end + 1
        if key:
            found[key] = value
    return found


def _braced(text: str, index: int) -> tuple[str, int]:
    """The value of a ``{...}`` ODBC attribute starting after the ``{``, and the index after its ``}``."""
    value = []
    while index < len(text):
        if text[index] == "}":
            if text[index + 1:index + 2] == "}":
                value.append("}")
                index += 2
                continue
            return "".join(value), index + 1
        value.append(text[index])
        index += 1
    return "".join(value), index


def open_database(db: str) -> Database:
    """Open the database named by a ``--db`` value; :class:`TargetError` with one clear sentence on failure."""
    scheme, rest = split_target(db)
    if scheme == "odbc":
        return _open_odbc(rest)
    return open_duckdb(Path(rest))


def _open_odbc(connection_string: str) -> Database:
    """ODBC targets load pyodbc (and the system's ODBC driver manager) only when one is asked for, so the
    default DuckDB target works on a machine without unixODBC."""
    try:
        from generator.targets.odbc_db import open_odbc
    except ImportError as error:
        raise TargetError(f"ODBC targets need the ODBC driver manager, which cannot be loaded ({error}); install "
                          "it (Debian/Ubuntu: apt-get install unixodbc) and the database's ODBC driver") from None
    return open_odbc(connection_string)
