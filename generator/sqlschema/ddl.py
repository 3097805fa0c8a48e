"""DDL for every table of the validated model, built once as sqlglot expressions.

The model's data types map to SQL types here and nowhere else. Identifiers come only from the validated
model and are always quoted. :func:`schema_script` renders the whole script a DBA runs; the targets run
the same statements one by one.
"""

from __future__ import annotations

import hashlib
import json

from sqlglot import exp

from generator.spec.model import Column, Model, Table
from generator.sqlschema.dialects import sqlglot_dialect
from generator.text import plural

#: Version 2 added the ticket-attribute dimensions shared by tickets and reviews; version 3 the reviewing contact and
#: SmileBack's handled status of each review (``gen-measures migrate``).
SCHEMA_VERSION = 3
SCHEMA_INFO_TABLE = "ETL_Schema_Info"

#: Neutral SQL type of each spec type with a fixed size (strings get their length where they are used).
FIXED_TYPES: dict[str, str] = {
    "int64": "BIGINT",
    "double": "DOUBLE",
    "decimal": "DECIMAL(19, 4)",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}


def column_type(column: Column, dialect: str) -> exp.DataType:
    """The SQL type of ``column`` in ``dialect`` (a sqlglot dialect name)."""
    if column.data_type == "string":
        if dialect == "duckdb":
            return exp.DataType.build("VARCHAR")
        base = "NVARCHAR" if dialect == "tsql" else "VARCHAR"
        return exp.DataType.build(f"{base}({column.max_length})", dialect=dialect)
    return exp.DataType.build(FIXED_TYPES[column.data_type])


def quoted_table(name: str) -> exp.Table:
    """A quoted table reference."""
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def column_def(column: Column, dialect: str) -> exp.ColumnDef:
    """One column's definition: quoted name, SQL type and NOT NULL when the spec says so."""
    constraints = [] if column.nullable else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())]
    return exp.ColumnDef(this=exp.to_identifier(column.name, quoted=True), kind=column_type(column, dialect),
                         constraints=constraints)


def add_column(table: str, column: Column, dialect: str) -> exp.Alter:
    """``ALTER TABLE … ADD COLUMN`` for one new column of ``table``."""
    return exp.Alter(this=quoted_table(table), kind="TABLE", actions=[column_def(column, dialect)])


def create_table(table: Table, dialect: str) -> exp.Create:
    """``CREATE TABLE`` for one table, with NOT NULL and the primary key."""
    definitions: list[exp.Expression] = [column_def(column, dialect) for column in table.columns]
    if table.key:
        definitions.append(exp.PrimaryKey(expressions=[exp.to_identifier(k, quoted=True) for k in table.key]))
    properties = None
    if dialect == "mysql":
        properties = exp.Properties(expressions=[
            exp.EngineProperty(this=exp.var("InnoDB")),
            exp.CharacterSetProperty(this=exp.var("utf8mb4"), default=True),
        ])
    return exp.Create(this=exp.Schema(this=quoted_table(table.name), expressions=definitions),
                      kind="TABLE", properties=properties)


def drop_table(name: str) -> exp.Drop:
    """``DROP TABLE`` for one table."""
    return exp.Drop(tables=[quoted_table(name)], kind="TABLE")


def schema_shape(model: Model) -> list:
    """Every table's name, role, key and columns (name, type, nullability, length): what the fingerprint hashes
    and what ``sql/history/schema-<version>.json`` keeps of a released schema."""
    return [[t.name, t.role, list(t.key),
             [[c.name, c.data_type, c.nullable, c.max_length] for c in t.columns]] for t in model.tables]


def shape_fingerprint(shape: list) -> str:
    """The fingerprint of a schema shape (:func:`schema_shape`)."""
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()


def schema_fingerprint(model: Model) -> str:
    """A hash of every table's columns, types, nullability and key: equal specs give equal schemas."""
    return shape_fingerprint(schema_shape(model))


def schema_info_insert(model: Model, dataset: str | None = None) -> exp.Insert:
    """The row recording the schema version and fingerprint in ``ETL_Schema_Info``."""
    values = exp.Tuple(expressions=[
        exp.Literal.number(SCHEMA_VERSION),
        exp.Literal.string(schema_fingerprint(model)),
        exp.Literal.string(dataset) if dataset is not None else exp.Null(),
        exp.CurrentTimestamp(),
    ])
    columns = [exp.to_identifier(c, quoted=True) for c in model.table(SCHEMA_INFO_TABLE).column_names]
    return exp.insert(exp.Values(expressions=[values]), quoted_table(SCHEMA_INFO_TABLE), columns=columns)


def create_statements(model: Model, dialect: str) -> list[str]:
    """Every ``CREATE TABLE`` of the model, rendered for a sqlglot dialect, in declaration order."""
    return [create_table(table, dialect).sql(dialect=dialect, identify=True, pretty=True)
            for table in model.tables]


def schema_script(model: Model, dialect_name: str) -> str:
    """The full schema script for a user-facing dialect name: CREATE TABLEs and the schema-info row."""
    dialect = sqlglot_dialect(dialect_name)
    insert_sql = schema_info_insert(model).sql(dialect=dialect, identify=True, pretty=True)
    header = [
        f"-- msp-csat schema version {SCHEMA_VERSION} for {dialect_name}",
        f"-- fingerprint {schema_fingerprint(model)}",
        f"-- {plural(len(model.tables), 'table')}: {plural(len(model.semantic_tables), 'BI_ table')} of the semantic "
        "model, "
        f"{len(model.tables_with_role('staging'))} staging, {len(model.tables_with_role('etl'))} ETL bookkeeping",
        "-- Run it in one transaction where the database allows it.",
    ]
    body = [statement + ";" for statement in create_statements(model, dialect)]
    return "\n".join(header) + "\n\n" + "\n\n".join([*body, insert_sql + ";"]) + "\n"
