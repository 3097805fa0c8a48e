"""Write the demo dataset into a target in one transaction, replacing earlier demo rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from sqlglot import exp

from generator.errors import DataError
from generator.spec.model import Model
from generator.sqlschema.ddl import quoted_table
from generator.targets.database import Database
from generator.targets.schema import set_dataset

DEMO_PREFIX = "demo "


def demo_dataset_name(seed: int, scale: int) -> str:
    """What ETL_Schema_Info.dataset records for a demo load."""
    return f"{DEMO_PREFIX}seed={seed} scale={scale}"


def refuse_to_overwrite(db: Database, model: Model, dataset: str | None) -> None:
    """DataError when the BI_ tables hold rows that a demo did not write (loaded client data)."""
    if dataset is not None and dataset.startswith(DEMO_PREFIX):
        return
    filled = [t.name for t in model.semantic_tables if db.count_rows(t.name) > 0]
    if filled:
        raise DataError(f"{db.description} already holds data that the demo did not write ({filled[0]} has rows); "
                        "use another --db, or pass --force to replace it with the demo dataset")


def write_tables(db: Database, model: Model, frames: Mapping[str, pd.DataFrame], dataset: str,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Replace every BI_ table's rows by ``frames`` in one transaction; return rows written per table."""
    missing = [t.name for t in model.semantic_tables if t.name not in frames]
    if missing:
        raise DataError(f"no rows given for {', '.join(missing)}")
    written: dict[str, int] = {}
    with db.transaction():
        for table in reversed(model.semantic_tables):
            db.execute(db.render(exp.delete(quoted_table(table.name))))
        for table in model.semantic_tables:
            frame = frames[table.name]
            extra = sorted(set(frame.columns) - set(table.column_names))
            absent = [c for c in table.column_names if c not in frame.columns]
            if extra or absent:
                raise DataError(f"rows for {table.name} do not match its spec (missing {absent}, unknown {extra})")
            written[table.name] = db.insert_frame(table.name, frame[table.column_names])
            if progress:
                progress(table.name, written[table.name])
        set_dataset(db, dataset)
    return written
