"""Additive schema migrations: from a released schema (``sql/history/schema-<version>.json``) to the specs.

A database records the version and fingerprint of the schema it was created with in ``ETL_Schema_Info``. The
released schema of that version is kept as its shape (tables, keys, columns with type, nullability and length);
its fingerprint must be the recorded one. The migration is the difference between that shape and the current
specs, and only additive differences are allowed: new tables, new nullable columns, then the data steps of
``sql/migrations/<version>/*.sql`` (neutral SQL, one statement per file, run in file-name order) that fill the
new dimension rows and the new keys of the rows already there. Anything else — a table or column dropped, a
type, length, nullability or key changed, a new NOT NULL column — is refused with a sentence naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from generator.errors import ToolError
from generator.load.merge import q
from generator.load.sqltext import output_columns, parse, transform_select
from generator.load.worktables import work_table_name
from generator.spec.model import Model
from generator.sqlschema.ddl import (
    SCHEMA_VERSION,
    add_column,
    create_table,
    drop_table,
    schema_shape,
    shape_fingerprint,
)

HISTORY_DIR = "history"
MIGRATIONS_DIR = "migrations"


@dataclass(frozen=True)
class Step:
    """One statement of a migration: what it does in words, and the statement (a sqlglot expression)."""

    description: str
    statement: exp.Expression
    ddl: bool  # a CREATE TABLE or ALTER TABLE (committed implicitly on MariaDB/MySQL)
    table: str
    column: str | None = None  # the column an ALTER TABLE adds


@dataclass(frozen=True)
class Migration:
    """The steps from a released schema version to the current one."""

    from_version: int
    to_version: int
    steps: tuple[Step, ...]


def released_shape(spec_dir: Path, version: int) -> list:
    """The shape of released schema ``version``; ToolError when it is not kept."""
    path = spec_dir / "sql" / HISTORY_DIR / f"schema-{version}.json"
    if not path.is_file():
        raise ToolError(f"schema version {version} is not a released version this tool can migrate from "
                        f"({path} is missing)")
    return json.loads(path.read_text(encoding="utf-8"))


def _refusals(old: list, model: Model) -> list[str]:
    """Every destructive or non-additive difference between the released shape ``old`` and ``model``."""
    problems: list[str] = []
    new = {t[0]: t for t in schema_shape(model)}
    for name, _role, key, columns in old:
        if name not in new:
            problems.append(f"table {name} would be dropped")
            continue
        _, _, new_key, new_columns = new[name]
        if list(key) != list(new_key):
            problems.append(f"the key of {name} would change from {key} to {new_key}")
        now = {c[0]: c for c in new_columns}
        for column in columns:
            if column[0] not in now:
                problems.append(f"column {name}[{column[0]}] would be dropped")
            elif list(column) != list(now[column[0]]):
                problems.append(f"column {name}[{column[0]}] would change from {_describe(column)} to "
                                f"{_describe(now[column[0]])}")
        known = {c[0] for c in columns}
        problems += [f"new column {name}[{c[0]}] is NOT NULL, and the rows already there have no value for it"
                     for c in new_columns if c[0] not in known and not c[2]]
    return problems


def _describe(column: list) -> str:
    _name, data_type, nullable, length = column
    return f"{data_type}{f'({length})' if length else ''} {'NULL' if nullable else 'NOT NULL'}"


def _fill_steps(spec_dir: Path, model: Model, new_tables: list[str]) -> list[Step]:
    """Fill each new BI_ table that has a transform from it (dimension rows from the staged picklists)."""
    steps: list[Step] = []
    for name in new_tables:
        table = model.table(name)
        select = transform_select(spec_dir, name, required=False) if table.role == "semantic" else None
        if select is None:
            continue
        columns = ", ".join(q(c) for c in output_columns(select))
        sql = (f"INSERT INTO {q(name)} ({columns}) SELECT {columns} FROM "
               f"({select.sql(identify=True, comments=False)}) AS s")
        steps.append(Step(f"fill {name} from sql/transform/{name}.sql", parse(sql, f"{name} fill"), False, name))
    return steps


def _folder_steps(spec_dir: Path, version: int) -> list[Step]:
    """The data steps of ``sql/migrations/<version>/``, in file-name order, described by their first line."""
    steps: list[Step] = []
    folder = spec_dir / "sql" / MIGRATIONS_DIR / str(version)
    for path in sorted(folder.glob("*.sql")) if folder.is_dir() else []:
        statement = parse(path.read_text(encoding="utf-8"), str(path))
        target = statement.find(exp.Table)
        first_line = path.read_text(encoding="utf-8").splitlines()[0].lstrip("- ").strip()
        steps.append(Step(first_line or path.name, statement, False, target.name if target else ""))
    return steps


def plan_migration(spec_dir: Path, model: Model, version: int, fingerprint: str, dialect: str,
                   existing: set[str]) -> Migration:
    """The migration of a database at ``version`` (recorded ``fingerprint``, holding the ``existing`` tables) to the
    current specs, with its DDL built for ``dialect``; ToolError with one sentence when it cannot be done
    additively. The load's work table of a BI_ table that gains columns is dropped (it holds no data between
    loads; the next load creates it with the new columns)."""
    if version > SCHEMA_VERSION:
        raise ToolError(f"the database has schema version {version}, newer than this tool's {SCHEMA_VERSION}; "
                        "upgrade gen-measures instead")
    old = released_shape(spec_dir, version)
    if shape_fingerprint(old) != fingerprint:
        raise ToolError(f"the database's schema fingerprint {fingerprint[:12]}… is not the released schema "
                        f"version {version} ({shape_fingerprint(old)[:12]}…): it was created from changed table "
                        "specs, so the changes to apply are unknown")
    problems = _refusals(old, model)
    if problems:
        raise ToolError(f"the upgrade from schema version {version} to {SCHEMA_VERSION} is not additive and is "
                        f"refused: {'; '.join(problems)}")
    old_tables = {t[0]: {c[0] for c in t[3]} for t in old}
    steps: list[Step] = []
    new_tables: list[str] = []
    for table in model.tables:
        if table.name not in old_tables:
            new_tables.append(table.name)
            steps.append(Step(f"create table {table.name}", create_table(table, dialect), True, table.name))
            continue
        added = [c for c in table.columns if c.name not in old_tables[table.name]]
        steps += [Step(f"add column {table.name}[{c.name}]", add_column(table.name, c, dialect), True,
                       table.name, c.name) for c in added]
        work = work_table_name(table.name)
        if added and work in existing:
            steps.append(Step(f"drop the load's work table {work} (the next load creates it with the new columns)",
                              drop_table(work), True, work))
    steps += _fill_steps(spec_dir, model, new_tables)
    for later in range(version + 1, SCHEMA_VERSION + 1):
        steps += _folder_steps(spec_dir, later)
    return Migration(version, SCHEMA_VERSION, tuple(steps))
