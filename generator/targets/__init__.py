"""Database targets: an embedded DuckDB file (default) or any ODBC database through pyodbc."""

from generator.targets.connect import DEFAULT_DB, ENV_VAR, Database, describe_target, open_database

__all__ = ["DEFAULT_DB", "ENV_VAR", "Database", "describe_target", "open_database"]
