"""Read BI_ tables into DataFrames with the dtypes the model declares, whatever the driver returned.

ODBC drivers differ: psqlODBC returns booleans as '1'/'0', MariaDB as 0/1, dates as ``datetime.date``.
Every reader goes through :func:`coerce_frame`, so downstream code sees one set of dtypes.
"""

from __future__ import annotations

import pandas as pd

from generator.spec.model import Model, Table
from generator.targets.database import Database

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _boolean(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return pd.NA
    if isinstance(value, str):
        folded = value.strip().lower()
        return True if folded in _TRUE else False if folded in _FALSE else pd.NA
    return bool(value)


def coerce_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Give each column the pandas dtype of its model type (Int64, float64, boolean, datetime64, str)."""
    result = {}
    for column in table.columns:
        values = frame[column.name]
        if column.data_type == "int64":
            result[column.name] = pd.to_numeric(values).astype("Int64")
        elif column.data_type in ("double", "decimal"):
            result[column.name] = pd.to_numeric(values).astype("float64")
        elif column.data_type == "boolean":
            result[column.name] = values.map(_boolean).astype("boolean")
        elif column.data_type in ("date", "datetime"):
            converted = pd.to_datetime(values).astype("datetime64[us]")  # one resolution whatever the driver
            result[column.name] = converted.dt.normalize() if column.data_type == "date" else converted
        else:
            result[column.name] = values.astype("object").where(values.notna(), None)
    return pd.DataFrame(result, index=frame.index)


def read_model_table(db: Database, table: Table) -> pd.DataFrame:
    """Every row of one model table, typed."""
    return coerce_frame(table, db.read_table(table.name, table.column_names))


def read_semantic_tables(db: Database, model: Model) -> dict[str, pd.DataFrame]:
    """Every BI_ table of the semantic model, typed, keyed by table name."""
    return {table.name: read_model_table(db, table) for table in model.semantic_tables}
