"""Serialise the TOM database (see :mod:`.semantic`) as a TMDL ``definition/`` folder.

Layout and syntax follow the TMDL documentation as Power BI Desktop writes it: tab indentation, one file per
table, ``///`` descriptions, ``name: value`` properties, ``=`` for default properties and expressions, a
multi-line expression starting on the line after ``=`` two levels deeper than its object, a blank line
between sibling objects, LF line endings, UTF-8 without BOM.

Every piece of model text reaches a line of the file through :func:`tmdl_text`, which refuses a line break or
other control character: a display folder or format string holding one would otherwise end its line and have
the rest read as new TMDL objects. (Spec validation refuses such text first, with the file and line.)
"""

from __future__ import annotations

import re
from typing import Any

from generator.errors import ToolError
from generator.spec.text import forbidden_character

_NEEDS_QUOTES = re.compile(r"[.=:'\s]")
# Keys written by their own rules (children, expressions, descriptions), not as ``name: value`` lines.
_SKIP = {"name", "description", "annotations", "columns", "measures", "partitions", "expression", "source",
         "tables", "relationships", "expressions", "fromTable", "toTable", "kind", "dataAccessOptions",
         "filterExpression", "tablePermissions", "roles"}


class TmdlTextError(ToolError):
    """Text that cannot be written on a TMDL line."""


def tmdl_text(text: str) -> str:
    """``text`` unchanged when it fits on one TMDL line; :class:`TmdlTextError` when it holds a line break or
    another control character (tabs are fine)."""
    found = forbidden_character(text, line_breaks=False)
    if found is not None:
        raise TmdlTextError(f"cannot write {text[:80]!r} to TMDL: it holds {found}")
    return text


def tmdl_name(name: str) -> str:
    """A name as TMDL writes it: quoted with ``'`` (doubled inside) when it holds ``. = : '`` or whitespace."""
    tmdl_text(name)
    return "'" + name.replace("'", "''") + "'" if _NEEDS_QUOTES.search(name) or not name else name


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = tmdl_text(str(value))
    if text != text.strip() or text.startswith('"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _properties(obj: dict[str, Any], depth: int) -> list[str]:
    tabs = "\t" * depth
    lines = []
    for key, value in obj.items():
        if key in _SKIP or isinstance(value, list | dict):
            continue
        lines.append(f"{tabs}{key}" if value is True else f"{tabs}{key}: {_value(value)}")
    return lines


def _description(obj: dict[str, Any], depth: int) -> list[str]:
    text = obj.get("description")
    if not text:
        return []
    tabs = "\t" * depth
    return [f"{tabs}/// {tmdl_text(line)}".rstrip() for line in str(text).split("\n")]


def _expression(header: str, text: str, depth: int) -> list[str]:
    """``header = text`` on one line, or the header then the body two levels deeper."""
    if "\n" not in text:
        return [f"{header} = {tmdl_text(text)}"]
    body = "\t" * (depth + 2)
    return [f"{header} =", *[(body + tmdl_text(line)) if line.strip() else "" for line in text.split("\n")]]


def _annotations(obj: dict[str, Any], depth: int) -> list[str]:
    tabs = "\t" * depth
    lines: list[str] = []
    for annotation in obj.get("annotations", []):
        lines += ["", f"{tabs}annotation {tmdl_name(annotation['name'])} = {tmdl_text(annotation['value'])}"]
    return lines


def _column(column: dict[str, Any]) -> list[str]:
    lines = [*_description(column, 1), f"\tcolumn {tmdl_name(column['name'])}"]
    lines += _properties(column, 2)
    lines += _annotations(column, 2)
    return lines


def _measure(measure: dict[str, Any]) -> list[str]:
    lines = [*_description(measure, 1),
             *_expression(f"\tmeasure {tmdl_name(measure['name'])}", measure["expression"], 1)]
    lines += _properties(measure, 2)
    lines += _annotations(measure, 2)
    return lines


def _partition(partition: dict[str, Any]) -> list[str]:
    source = partition["source"]
    lines = [f"\tpartition {tmdl_name(partition['name'])} = {source['type']}"]
    lines += _properties(partition, 2)
    lines += _expression("\t\tsource", source["expression"], 2)
    return lines


def table_file(table: dict[str, Any]) -> str:
    """The text of ``tables/<name>.tmdl``."""
    lines = [*_description(table, 0), f"table {tmdl_name(table['name'])}"]
    lines += _properties(table, 1)
    for measure in table.get("measures", []):
        lines += ["", *_measure(measure)]
    for column in table.get("columns", []):
        lines += ["", *_column(column)]
    for partition in table.get("partitions", []):
        lines += ["", *_partition(partition)]
    lines += _annotations(table, 1)
    return "\n".join(lines) + "\n"


def _qualified(table: str, column: str) -> str:
    return f"{tmdl_name(table)}.{tmdl_name(column)}"


def relationships_file(relationships: list[dict[str, Any]]) -> str:
    """The text of ``relationships.tmdl``."""
    blocks = []
    for rel in relationships:
        lines = [f"relationship {tmdl_name(rel['name'])}"]
        lines += _properties(rel, 1)
        lines[1:] = [line for line in lines[1:] if not line.startswith(("\tfromColumn", "\ttoColumn"))]
        lines += [f"\tfromColumn: {_qualified(rel['fromTable'], rel['fromColumn'])}",
                  f"\ttoColumn: {_qualified(rel['toTable'], rel['toColumn'])}"]
        lines += _annotations(rel, 1)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def expressions_file(expressions: list[dict[str, Any]]) -> str:
    """The text of ``expressions.tmdl`` (the M parameters)."""
    blocks = []
    for expression in expressions:
        lines = [*_description(expression, 0),
                 *_expression(f"expression {tmdl_name(expression['name'])}", expression["expression"], 0)]
        lines += _properties(expression, 1)
        lines += _annotations(expression, 1)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def role_file(role: dict[str, Any]) -> str:
    """The text of ``roles/<name>.tmdl``: the role, its model permission and one ``tablePermission`` per row
    filter (the DAX as the permission's default property)."""
    lines = [*_description(role, 0), f"role {tmdl_name(role['name'])}"]
    lines += _properties(role, 1)
    for permission in role.get("tablePermissions", []):
        lines += ["", *_expression(f"\ttablePermission {tmdl_name(permission['name'])}",
                                   permission["filterExpression"], 1)]
        lines += _annotations(permission, 2)
    lines += _annotations(role, 1)
    return "\n".join(lines) + "\n"


def model_file(database: dict[str, Any]) -> str:
    """The text of ``model.tmdl``: model properties, annotations and the table order."""
    model = database["model"]
    lines = ["model Model", *_properties(model, 1)]
    options = model.get("dataAccessOptions", {})
    if options:
        lines.append("\tdataAccessOptions")
        lines += [f"\t\t{key}" if value is True else f"\t\t{key}: {_value(value)}" for key, value in options.items()]
    lines += _annotations(model, 1)
    lines.append("")
    lines += [f"ref table {tmdl_name(table['name'])}" for table in model["tables"]]
    roles = model.get("roles", [])
    if len(roles) > 1:  # TOM writes the order of a collection only when it has more than one object
        lines.append("")
        lines += [f"ref role {tmdl_name(role['name'])}" for role in roles]
    return "\n".join(lines) + "\n"


def database_file(database: dict[str, Any]) -> str:
    """The text of ``database.tmdl``."""
    return f"database {tmdl_name(database['name'])}\n\tcompatibilityLevel: {database['compatibilityLevel']}\n"


def definition_files(database: dict[str, Any]) -> dict[str, str]:
    """Every file of the TMDL ``definition/`` folder: relative path → text."""
    model = database["model"]
    files = {
        "database.tmdl": database_file(database),
        "model.tmdl": model_file(database),
        "relationships.tmdl": relationships_file(model["relationships"]),
        "expressions.tmdl": expressions_file(model["expressions"]),
    }
    for table in model["tables"]:
        files[f"tables/{table['name']}.tmdl"] = table_file(table)
    for role in model.get("roles", []):
        files[f"roles/{role['name']}.tmdl"] = role_file(role)
    return files
