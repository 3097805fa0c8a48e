"""Work tables ``WRK_<BI table>``: the transformed rows of one load, compared with the BI_ table before merging.

They mirror each BI_ table (same columns and types, all nullable) plus ``merge_action`` (I insert, U update,
S same, R rejected). They are created before the load's transaction, so that inside it only DELETE and INSERT
run — MariaDB commits DDL implicitly, which would break the one-transaction guarantee.
"""

from __future__ import annotations

import dataclasses

from generator.errors import TargetError
from generator.spec.model import Column, Model, Origin, Table
from generator.sqlschema.ddl import create_table
from generator.targets.database import Database

PREFIX = "WRK_"
ACTION = "merge_action"
_ORIGIN = Origin("generator/load/worktables.py", 0)


def work_table_name(table: str) -> str:
    """``WRK_`` name of a BI_ table's work table."""
    return PREFIX + table


def work_table(table: Table) -> Table:
    """The work-table spec of one BI_ table."""
    columns = [dataclasses.replace(c, nullable=True) for c in table.columns]
    action = Column(name=ACTION, data_type="string", nullable=True, description="I, U, S or R",
                    format_string=None, hidden=True, summarize_by="none", sort_by=None, max_length=1,
                    origin=_ORIGIN)
    return Table(name=work_table_name(table.name), role="staging", description=f"Merge work table of {table.name}",
                 columns=(*columns, action), key=table.key, is_date_table=False, origin=_ORIGIN)


def ensure_work_tables(db: Database, model: Model, tables: list[str]) -> None:
    """Create the missing work tables of ``tables`` and commit (before the load's transaction begins)."""
    existing = db.existing_tables()
    missing = [model.table(name) for name in tables if work_table_name(name) not in existing]
    if not missing:
        return
    try:
        for table in missing:
            db.execute(db.render(create_table(work_table(table), db.dialect)))
        db.commit()
    except Exception as exc:
        db.rollback()
        raise TargetError(f"cannot create the load's work tables in {db.description}: "
                          f"{str(exc).splitlines()[0]}") from None
