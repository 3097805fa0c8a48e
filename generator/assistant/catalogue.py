"""What an assistant may ask about: the catalogue's measures and the columns to group and filter by."""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.dax.names import dax_column
from generator.errors import ToolError
from generator.reference.catalogue import MEASURES as VALIDATED
from generator.semantic.names import Names, Unknown, did_you_mean
from generator.spec.model import Model

#: Column types a measure query may group or filter by (datetimes, decimals and hidden columns are left out).
DIMENSION_TYPES = ("string", "boolean", "int64", "date")
_COLUMN_REF = re.compile(r"^\s*'?([^'\[\]]+?)'?\s*\[([^\[\]]+)\]\s*$")


@dataclass(frozen=True)
class MeasureInfo:
    """A catalogue measure as an assistant sees it."""

    name: str
    folder: str
    table: str
    description: str
    format_string: str
    dax: str
    validated: bool  # checked against the independent pandas reference by `gen-measures validate`

    def summary(self) -> dict[str, object]:
        """Name, folder, description, format and whether validated (no DAX)."""
        return {"name": self.name, "folder": self.folder, "description": self.description,
                "format": self.format_string, "validated": self.validated}

    def details(self) -> dict[str, object]:
        """Everything, the DAX expression included."""
        return {**self.summary(), "table": self.table, "dax": self.dax}


@dataclass(frozen=True)
class Dimension:
    """A column of a dimension table that measure queries may group or filter by."""

    table: str
    column: str
    type: str
    description: str

    @property
    def reference(self) -> str:
        """``Table[Column]`` (quoted as DAX needs)."""
        return dax_column(self.table, self.column)


def measure_infos(model: Model) -> dict[str, MeasureInfo]:
    """The visible measures of the specs, keyed by lower-case name, in catalogue order."""
    validated = {name.lower() for name in VALIDATED}
    return {m.name.lower(): MeasureInfo(m.name, m.folder, m.home_table, m.description, m.format_string,
                                        m.expression, m.name.lower() in validated)
            for m in model.measures if not m.hidden}


def find_measure(name: str, measures: dict[str, MeasureInfo]) -> MeasureInfo:
    """The measure called ``name`` (any case, with or without brackets); ToolError with a 'did you mean'."""
    key = name.strip().removeprefix("[").removesuffix("]").strip()
    found = Names({}, {m.name: m.table for m in measures.values()}).measure(key)
    if isinstance(found, Unknown):
        raise ToolError(f"unknown measure '{key}'{found.hint() or '; list_measures gives the catalogue'}")
    return measures[found.measure.lower()]


def dimensions(model: Model) -> list[Dimension]:
    """The visible columns of the tables other tables relate to (companies, technicians, queues, tickets, dates)."""
    related = {relationship.to_table for relationship in model.relationships}
    return [Dimension(table.name, column.name, column.data_type, column.description)
            for table in model.semantic_tables if table.name in related and not table.hidden
            for column in table.columns if not column.hidden and column.data_type in DIMENSION_TYPES]


def find_dimension(text: str, columns: list[Dimension]) -> Dimension:
    """The column ``text`` names: ``Table[Column]`` or a column name no other dimension table has; ToolError with a
    'did you mean' otherwise."""
    match = _COLUMN_REF.match(text)
    if match:
        table, column = match.group(1).strip().lower(), match.group(2).strip().lower()
        found = [d for d in columns if d.table.lower() == table and d.column.lower() == column]
    else:
        found = [d for d in columns if d.column.lower() == text.strip().lower()]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ToolError(f"column '{text}' is in several tables; name one: "
                        + ", ".join(d.reference for d in found))
    names = [d.reference for d in columns] + [d.column for d in columns]
    hint = did_you_mean(text.strip(), names, lambda n: n)
    raise ToolError(f"unknown column '{text}'{hint or '; list_dimensions gives the columns to group and filter by'}")


__all__ = ["DIMENSION_TYPES", "Dimension", "MeasureInfo", "dimensions", "find_dimension", "find_measure",
           "measure_infos"]
