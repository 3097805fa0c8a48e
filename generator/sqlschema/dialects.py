"""The SQL dialects the tool renders for, with their user-facing names."""

from __future__ import annotations

from generator.errors import ToolError

# user-facing name -> sqlglot dialect name
DIALECTS: dict[str, str] = {
    "duckdb": "duckdb",
    "tsql": "tsql",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}


def sqlglot_dialect(name: str) -> str:
    """Map a user-facing dialect name (``tsql``, ``mariadb`` …) to sqlglot's; ToolError when unknown."""
    try:
        return DIALECTS[name.lower()]
    except KeyError:
        raise ToolError(f"unknown SQL dialect '{name}'; choose one of: {', '.join(DIALECTS)}") from None
