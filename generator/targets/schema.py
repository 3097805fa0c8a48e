"""Create the model's tables in a target, or check that an existing schema is the one the specs describe.

Creation runs in one transaction where the database allows DDL in transactions (DuckDB, PostgreSQL,
SQL Server). On MariaDB/MySQL, where every CREATE commits, a failure drops the tables this run created,
so nothing half-created is left behind either way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlglot import exp

from generator.errors import TargetError
from generator.spec.model import Model
from generator.sqlschema.ddl import (
    SCHEMA_INFO_TABLE,
    SCHEMA_VERSION,
    create_table,
    drop_table,
    quoted_table,
    schema_fingerprint,
    schema_info_insert,
)
from generator.targets.database import Database


@dataclass(frozen=True)
class SchemaState:
    """What :func:`ensure_schema` found or did."""

    created: bool
    dataset: str | None


def read_schema_info(db: Database) -> tuple[int, str, str | None] | None:
    """(version, fingerprint, dataset) from ETL_Schema_Info, or None when the table does not exist."""
    if SCHEMA_INFO_TABLE not in db.existing_tables():
        return None
    frame = db.read_table(SCHEMA_INFO_TABLE, ["schema_version", "schema_fingerprint", "dataset"])
    if frame.empty:
        return None
    row = frame.iloc[-1]
    return int(row["schema_version"]), str(row["schema_fingerprint"]), row["dataset"]


def _check_existing(db: Database, model: Model, present: set[str]) -> SchemaState:
    info = read_schema_info(db)
    if info is None:
        raise TargetError(
            f"{db.description} already has tables of this tool ({', '.join(sorted(present)[:3])}…) but no "
            f"{SCHEMA_INFO_TABLE} row, so their schema version is unknown; use an empty database or drop them")
    version, fingerprint, dataset = info
    if version < SCHEMA_VERSION:
        raise TargetError(f"{db.description} has schema version {version}, this tool needs version "
                          f"{SCHEMA_VERSION}; upgrade it in place, keeping its data, with `gen-measures migrate` "
                          "(--dry-run shows the DDL first)")
    if version != SCHEMA_VERSION:
        raise TargetError(f"{db.description} has schema version {version}, this tool needs version "
                          f"{SCHEMA_VERSION}; use a new database or drop the old tables first")
    if fingerprint != schema_fingerprint(model):
        raise TargetError(f"{db.description} was created from different table specs (schema fingerprint "
                          f"{fingerprint[:12]}…, specs give {schema_fingerprint(model)[:12]}…); "
                          "use a new database or drop the old tables first")
    missing = sorted({t.name for t in model.tables} - present)
    if missing:
        raise TargetError(f"{db.description} is missing tables {', '.join(missing)}; "
                          "use a new database or drop the old tables first")
    return SchemaState(created=False, dataset=dataset)


def ensure_schema(db: Database, model: Model) -> SchemaState:
    """Create every table of ``model`` in ``db``, or verify the existing ones; TargetError on a mismatch."""
    existing = db.existing_tables()
    ours = {t.name for t in model.tables}
    present = existing & ours
    if present:
        return _check_existing(db, model, present)
    created: list[str] = []
    try:
        for table in model.tables:
            db.execute(db.render(create_table(table, db.dialect)))
            created.append(table.name)
        db.execute(db.render(schema_info_insert(model)))
        db.commit()
    except Exception as exc:
        db.rollback()
        if not db.transactional_ddl:
            for name in reversed(created):
                with contextlib.suppress(Exception):  # best effort; the original error is reported
                    db.execute(db.render(drop_table(name)))
            db.commit()
        raise TargetError(f"creating the schema in {db.description} failed and was undone: "
                          f"{str(exc).splitlines()[0]}") from None
    return SchemaState(created=True, dataset=None)


def set_dataset(db: Database, dataset: str) -> None:
    """Record what filled the BI_ tables (``demo seed=… scale=…`` or ``loaded``) in the current transaction."""
    update = exp.update(quoted_table(SCHEMA_INFO_TABLE), {"dataset": exp.Literal.string(dataset),
                                                           "updated_at": exp.CurrentTimestamp()})
    db.execute(db.render(update))
