"""DAX data types and compiled scalar values: an SQL expression (NULL is BLANK) with its DAX type."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlglot import exp


class DaxType(Enum):
    """The DAX type of a value; ``BLANK`` is the type of ``BLANK()`` itself, ``VARIANT`` of mixed branches."""

    INTEGER = "integer"
    DOUBLE = "double"
    DECIMAL = "decimal"  # fixed decimal (currency); computed as DOUBLE in SQL
    STRING = "string"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    BLANK = "blank"
    VARIANT = "variant"

    @property
    def is_numeric(self) -> bool:
        """True for INTEGER, DOUBLE and DECIMAL."""
        return self in (DaxType.INTEGER, DaxType.DOUBLE, DaxType.DECIMAL)


# Model data types (our YAML types and TMSL dataType values, lower case) → DAX types.
MODEL_TYPES: dict[str, DaxType] = {
    "int64": DaxType.INTEGER,
    "integer": DaxType.INTEGER,
    "double": DaxType.DOUBLE,
    "decimal": DaxType.DECIMAL,
    "string": DaxType.STRING,
    "boolean": DaxType.BOOLEAN,
    "date": DaxType.DATETIME,
    "datetime": DaxType.DATETIME,
    "datetimeoffset": DaxType.DATETIME,
}


@dataclass(frozen=True)
class Scalar:
    """A DAX scalar compiled to SQL: ``sql`` evaluates to the value (SQL NULL for BLANK) of type ``type``.

    DATETIME values are SQL TIMESTAMPs; BOOLEAN values SQL booleans; INTEGER BIGINT; DOUBLE/DECIMAL DOUBLE.
    """

    sql: exp.Expression
    type: DaxType
