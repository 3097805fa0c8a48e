"""Slices ``gen-measures validate`` checks every measure on: ``validation: slices:`` in ``model/*.yaml``.

A slice is a named slice of the hand-written reference (``total``, ``client``, ``month``, ``technician``,
``queue``, ``client_month``, ``week``, and by the reviewed ticket's attributes ``issue_type``, ``priority``,
``source``, ``resolution``) or columns of the model written ``Table[column]``, several joined by commas
(their combinations). The spec's list is what a plain ``validate`` checks, so an MSP's own dimension columns are
validated too; ``--slice`` takes the same forms. The slices of every model file are read in file order; a model
that lists none gets the standard slices.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from generator.errors import SpecProblem
from generator.reference.rowexpr import column_parts
from generator.reference.slicing import ATTRIBUTE_SLICE_AXES, STANDARD_SLICES
from generator.spec.model import Table
from generator.spec.yamlsrc import SpecList, SpecMap

VALIDATION_KEYS = {"slices"}
#: the slices known by name, and their columns
NAMED = {**STANDARD_SLICES, **ATTRIBUTE_SLICE_AXES}


def _hint(name: str, candidates: Iterable[str], shown: Callable[[str], str] = repr) -> str:
    found = difflib.get_close_matches(name, list(candidates), n=1)
    return f"; did you mean {shown(found[0])}?" if found else ""


def _column(text: str, tables: Mapping[str, Table], within: str) -> str:
    """``Table[column]`` of the model in one form; ValueError (one sentence) when it is not one."""
    if not text.endswith("]") or "[" not in text:
        raise ValueError(f"slice {text!r} is not a column like Table[column]")
    table, column = column_parts(text)
    if table not in tables:
        raise ValueError(f"unknown table {table!r} in slice {within!r}" + _hint(table, tables))
    if not tables[table].has_column(column):
        raise ValueError(f"unknown column {table}[{column}] in slice {within!r}"
                         + _hint(column, tables[table].column_names, lambda c: f"{table}[{c}]"))
    return f"{table}[{column}]"


def canonical_slice(name: str, tables: Mapping[str, Table]) -> str:
    """``name`` as a slice of the model with ``tables``: a named slice, or ``Table[column]`` (several joined by
    commas) written back in one form. ValueError, one sentence with a "did you mean", for anything else."""
    if name in NAMED:
        for table, column in NAMED[name]:
            if table not in tables or not tables[table].has_column(column):
                raise ValueError(f"the slice {name!r} needs the column {table}[{column}], which the "
                                 "model does not have")
        return name
    if "[" not in name:
        raise ValueError(f"unknown slice {name!r}" + _hint(name, NAMED)
                         + f"; choose from {', '.join(NAMED)} or give a column as Table[column]")
    axes = [_column(part.strip(), tables, part.strip()) for part in name.split(",")]
    if len(set(axes)) != len(axes):
        raise ValueError(f"slice {name!r} names a column twice")
    return ",".join(axes)


def read_slices(nodes: Iterable[tuple[SpecMap, Any]], tables: Mapping[str, Table],
                problems: list[SpecProblem]) -> tuple[str, ...]:
    """The slices of the ``validation:`` sections (the file's mapping, the section), in order; problems with file
    and line for an unknown key, a slice that is not one of the model, or one listed twice."""
    slices: dict[str, str] = {}  # slice -> where it was first listed
    for document, section in nodes:
        if not isinstance(section, SpecMap):
            problems.append(SpecProblem(document.file, document.line_of("validation"),
                                        "'validation' must be a mapping with 'slices'"))
            continue
        for key in section:
            if key not in VALIDATION_KEYS:
                problems.append(SpecProblem(section.file, section.line_of(key), f"unknown key '{key}' in "
                                            "'validation'" + _hint(key, VALIDATION_KEYS)))
        entries = section.get("slices")
        if not isinstance(entries, SpecList) or not entries:
            problems.append(SpecProblem(section.file, section.line_of("slices") if "slices" in section
                                        else section.line, "'slices' of 'validation' must be a non-empty list of "
                                        "slices (a named slice or Table[column])"))
            continue
        for index, entry in enumerate(entries):
            where = f"{entries.file}:{entries.line_of(index)}"
            if not isinstance(entry, str) or not entry.strip():
                problems.append(SpecProblem(entries.file, entries.line_of(index),
                                            f"slice {index + 1} of 'validation' must be text, found {entry!r}"))
                continue
            try:
                name = canonical_slice(entry.strip(), tables)
            except ValueError as why:
                problems.append(SpecProblem(entries.file, entries.line_of(index), str(why)))
                continue
            if name in slices:
                problems.append(SpecProblem(entries.file, entries.line_of(index),
                                            f"slice {name!r} is listed twice (first at {slices[name]})"))
                continue
            slices[name] = where
    return tuple(slices)
