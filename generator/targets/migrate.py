"""Apply an additive schema migration (:mod:`generator.sqlschema.migrations`) to a target, keeping its data.

Everything runs in one transaction where the database allows DDL in transactions (DuckDB, PostgreSQL, SQL
Server): the new tables and columns, the data steps and the new ``ETL_Schema_Info`` row commit together or not at
all. On MariaDB/MySQL every CREATE/ALTER commits by itself, so the data steps and the record run in one
transaction after the DDL, and a failure anywhere drops the tables and columns this run added again.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlglot import exp

from generator.errors import TargetError
from generator.load.sqltext import render
from generator.spec.model import Model
from generator.sqlschema.ddl import (
    SCHEMA_INFO_TABLE,
    SCHEMA_VERSION,
    drop_table,
    quoted_table,
    schema_fingerprint,
    schema_info_insert,
)
from generator.sqlschema.migrations import Migration, Step, plan_migration
from generator.targets.database import Database
from generator.targets.schema import read_schema_info


def pending_migration(db: Database, model: Model, spec_dir: Path) -> Migration | None:
    """The migration ``db`` needs to reach the specs' schema, or None when it is already there."""
    info = read_schema_info(db)
    if info is None:
        raise TargetError(f"{db.description} has no {SCHEMA_INFO_TABLE} row, so there is no schema of this tool to "
                          "migrate; `gen-measures demo` or `gen-measures load` creates the schema")
    version, fingerprint, _dataset = info
    if version == SCHEMA_VERSION:
        if fingerprint != schema_fingerprint(model):
            raise TargetError(f"{db.description} has schema version {version} but was created from different table "
                              "specs; a migration only upgrades a released schema version")
        return None
    return plan_migration(spec_dir, model, version, fingerprint, db.dialect, db.existing_tables())


def step_sql(step: Step, dialect: str) -> str:
    """The SQL text of one step in ``dialect``."""
    return render(step.statement, dialect)


def _undo(db: Database, done: list[Step]) -> None:
    """Drop what the committed DDL steps added, newest first (MariaDB/MySQL, best effort)."""
    for step in reversed(done):
        if isinstance(step.statement, exp.Drop):
            continue  # a dropped work table is created again by the next load
        if step.column is None:
            statement = db.render(drop_table(step.table))
        else:
            statement = (f"ALTER TABLE {db.render(quoted_table(step.table))} DROP COLUMN "
                         f"{db.render(exp.to_identifier(step.column, quoted=True))}")
        with contextlib.suppress(Exception):  # the original error is the one reported
            db.execute(statement)
    with contextlib.suppress(Exception):
        db.commit()


def apply_migration(db: Database, model: Model, migration: Migration) -> None:
    """Run every step of ``migration`` and record the new schema version; TargetError (all undone) on failure."""
    info = read_schema_info(db)
    dataset = info[2] if info is not None else None
    done: list[Step] = []
    try:
        for step in migration.steps:
            db.execute(step_sql(step, db.dialect))
            if step.ddl:
                done.append(step)
        db.execute(db.render(schema_info_insert(model, dataset)))
        db.commit()
    except Exception as exc:
        db.rollback()
        if not db.transactional_ddl:
            _undo(db, done)
        raise TargetError(f"migrating {db.description} from schema version {migration.from_version} to "
                          f"{migration.to_version} failed and was undone: {str(exc).splitlines()[0]}") from None
