"""The transform SQL of ``sql/transform/``: one dialect-neutral source, parsed and transpiled by sqlglot.

Each ``<BI table>.sql`` is one SELECT giving that table's columns; an optional ``<BI table>.delete.sql``
selects the keys to remove. Statements built by the merge are written in the same neutral SQL (identifiers in
double quotes) and go through :func:`transpile` too, so every dialect gets its SQL from one place.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from generator.errors import ToolError

TRANSFORM_DIR = "transform"


def _month_start_for_tsql(node: exp.Expression) -> exp.Expression:
    """T-SQL before 2022 has no DATE_TRUNC: the first day of a month is DATEFROMPARTS(YEAR(x), MONTH(x), 1)."""
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
        unit = node.args.get("unit")
        unit_name = (unit.name if unit is not None else "").upper()
        if unit_name == "MONTH":
            value = node.this
            return exp.DateFromParts(year=exp.Year(this=value.copy()), month=exp.Month(this=value.copy()),
                                     day=exp.Literal.number(1))
    return node


def parse(sql: str, origin: str) -> exp.Expression:
    """Parse one neutral SQL statement; ToolError naming ``origin`` when it does not parse."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=None) if s is not None]
    except sqlglot.errors.ParseError as error:
        raise ToolError(f"{origin}: the SQL does not parse: {str(error).splitlines()[0]}") from None
    if len(statements) != 1:
        raise ToolError(f"{origin}: expected one SQL statement, found {len(statements)}")
    return statements[0]


def render(expression: exp.Expression, dialect: str) -> str:
    """SQL text of a parsed neutral statement in a sqlglot dialect, identifiers quoted."""
    tree = expression.copy()
    if dialect == "tsql":
        tree = tree.transform(_month_start_for_tsql)
    return tree.sql(dialect=dialect, identify=True, comments=False)


def transpile(sql: str, dialect: str, origin: str = "generated SQL") -> str:
    """Neutral SQL text → the dialect's SQL text."""
    return render(parse(sql, origin), dialect)


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def transform_path(spec_dir: Path, table: str, suffix: str = ".sql") -> Path:
    """Where the transform (``.sql``) or delete selection (``.delete.sql``) of a BI_ table lives."""
    return spec_dir / "sql" / TRANSFORM_DIR / f"{table}{suffix}"


def transform_select(spec_dir: Path, table: str, suffix: str = ".sql", required: bool = True) -> exp.Select | None:
    """The parsed SELECT of a transform file; None when an optional file is absent."""
    path = transform_path(spec_dir, table, suffix)
    if not path.is_file():
        if required:
            raise ToolError(f"{path} is missing: every BI_ table a load fills needs its transform SQL")
        return None
    tree = parse(_read(path), str(path))
    if not isinstance(tree, exp.Select | exp.Union):
        raise ToolError(f"{path}: a transform must be one SELECT (or UNION of SELECTs)")
    return tree  # type: ignore[return-value]


def output_columns(select: exp.Expression) -> list[str]:
    """Column names a transform SELECT produces (the first SELECT of a UNION names them)."""
    first = select
    while isinstance(first, exp.Union):
        first = first.this
    assert isinstance(first, exp.Select)
    return [projection.alias_or_name for projection in first.expressions]
