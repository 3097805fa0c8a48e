"""Any database reached through ODBC (pyodbc): SQL Server / Azure SQL, PostgreSQL, MariaDB/MySQL …"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyodbc
from sqlglot import exp

from generator.errors import TargetError
from generator.sqlschema.ddl import quoted_table
from generator.targets.database import Database

# SQL_DBMS_NAME reported by the driver -> sqlglot dialect
_DBMS_DIALECTS = (
    ("microsoft sql server", "tsql"),
    ("postgresql", "postgres"),
    ("mariadb", "mysql"),
    ("mysql", "mysql"),
)
_TABLES_QUERY = {
    "tsql": "SELECT table_name FROM information_schema.tables WHERE table_schema = SCHEMA_NAME() "
            "AND table_type = 'BASE TABLE'",
    "postgres": "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE'",
    "mysql": "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
             "AND table_type = 'BASE TABLE'",
}
MAX_PARAMETERS = 2000  # SQL Server allows 2100 parameters per statement
MAX_ROWS_PER_INSERT = 1000  # SQL Server allows 1000 rows in one VALUES list
FAST_EXECUTEMANY_ROWS = 10_000  # rows per parameter array (bounded memory in the driver)
_DRIVER = re.compile(r"driver\s*=\s*(\{[^}]*\}|[^;]*)", re.IGNORECASE)


def _python_value(value: Any) -> Any:
    """Turn pandas/numpy scalars into the plain Python values ODBC parameters accept (NaN/NaT → None)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return _python_value(value.item())
    return value


def _rows(frame: pd.DataFrame) -> Iterator[tuple]:
    for record in frame.itertuples(index=False, name=None):
        yield tuple(_python_value(v) for v in record)


class OdbcDatabase(Database):
    """A pyodbc connection with autocommit off; the dialect comes from the driver's DBMS name."""

    def __init__(self, connection: pyodbc.Connection, dialect: str, dbms: str):
        self.connection = connection
        self.dialect = dialect
        self.description = f"{dbms} via ODBC"
        self.transactional_ddl = dialect != "mysql"  # MariaDB/MySQL commit DDL implicitly

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, *([list(params)] if params else []))
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
        finally:
            cursor.close()

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Bulk insert: pyodbc ``fast_executemany`` (parameter arrays) on SQL Server; multi-row VALUES lists
        elsewhere — measured faster on psqlODBC (0.6 s vs 2.0 s for 50,000 rows), and the MariaDB driver runs out
        of memory with parameter arrays."""
        if frame.empty:
            return 0
        if self.dialect == "tsql":
            return self._insert_fast_executemany(table, frame)
        width = len(frame.columns)
        batch = max(1, min(MAX_ROWS_PER_INSERT, MAX_PARAMETERS // width))
        columns = [exp.to_identifier(c, quoted=True) for c in frame.columns]
        marker = exp.var("?")  # ODBC parameter markers are '?' whatever the database
        statements: dict[int, str] = {}
        cursor = self.connection.cursor()
        rows = list(_rows(frame))
        try:
            for start in range(0, len(rows), batch):
                chunk = rows[start:start + batch]
                if len(chunk) not in statements:
                    values = exp.Values(expressions=[exp.Tuple(expressions=[marker] * width)] * len(chunk))
                    statements[len(chunk)] = self.render(exp.insert(values, quoted_table(table), columns=columns))
                cursor.execute(statements[len(chunk)], [v for row in chunk for v in row])
        finally:
            cursor.close()
        return len(rows)

    def _insert_fast_executemany(self, table: str, frame: pd.DataFrame) -> int:
        columns = [exp.to_identifier(c, quoted=True) for c in frame.columns]
        values = exp.Values(expressions=[exp.Tuple(expressions=[exp.var("?")] * len(frame.columns))])
        statement = self.render(exp.insert(values, quoted_table(table), columns=columns))
        cursor = self.connection.cursor()
        cursor.fast_executemany = True
        count = 0
        try:
            for start in range(0, len(frame), FAST_EXECUTEMANY_ROWS):
                rows = list(_rows(frame.iloc[start:start + FAST_EXECUTEMANY_ROWS]))
                cursor.executemany(statement, rows)
                count += len(rows)
        finally:
            cursor.close()
        return count

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def close(self) -> None:
        with contextlib.suppress(pyodbc.Error):
            self.connection.rollback()
        self.connection.close()

    def existing_tables(self) -> set[str]:
        query = _TABLES_QUERY.get(self.dialect)
        if query is None:
            cursor = self.connection.cursor()
            return {row.table_name for row in cursor.tables(tableType="TABLE")}
        return {row[0] for row in self.execute(query)}


def _driver_name(connection_string: str) -> str:
    match = _DRIVER.search(connection_string)
    return match.group(1).strip("{}") if match else "(none named)"


def _connect_error(exc: pyodbc.Error, connection_string: str) -> TargetError:
    state = exc.args[0] if exc.args else ""
    message = str(exc.args[1] if len(exc.args) > 1 else exc)
    detail = re.sub(r"\s*\(\w+\)\s*(\(SQL\w+\))?\s*$", "", re.sub(r"^(\[[^\]]*\])+\s*", "", message))
    detail = " ".join(detail.split())  # one line: drivers spread their messages over several
    driver = _driver_name(connection_string)
    if state == "IM002" or "can't open lib" in message.lower() or "file not found" in message.lower():
        return TargetError(f"ODBC driver '{driver}' is not installed (odbcinst -q -d lists the installed "
                           "drivers; see the README for the Debian packages)")
    if state.startswith("08") or "could not connect" in message.lower() or "can't connect" in message.lower():
        return TargetError(f"cannot reach the database server through ODBC driver '{driver}': {detail}")
    if state == "28000":
        return TargetError(f"the database server refused the login: {detail}")
    return TargetError(f"cannot connect through ODBC driver '{driver}' ({state}): {detail}")


def open_odbc(connection_string: str, login_timeout: int = 15) -> OdbcDatabase:
    """Connect through ODBC with autocommit off; TargetError with one sentence (no secrets) on failure."""
    if not connection_string.strip():
        raise TargetError("odbc: needs a connection string, e.g. odbc:Driver={PostgreSQL Unicode};"
                          "Server=127.0.0.1;Database=test;Uid=postgres")
    try:
        connection = pyodbc.connect(connection_string, autocommit=False, timeout=login_timeout)
    except pyodbc.Error as exc:
        raise _connect_error(exc, connection_string) from None
    dbms = str(connection.getinfo(pyodbc.SQL_DBMS_NAME))
    dialect = next((d for key, d in _DBMS_DIALECTS if key in dbms.lower()), None)
    if dialect is None:
        connection.close()
        raise TargetError(f"the ODBC data source is '{dbms}', which this tool does not support yet; "
                          "supported: SQL Server / Azure SQL, PostgreSQL, MariaDB, MySQL")
    if dialect == "mysql":
        connection.cursor().execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')").close()
    return OdbcDatabase(connection, dialect, dbms)

