"""``roles:`` in ``model/*.yaml``: row-level security roles, validated against the model's tables.

A role is a name, a description and a list of table permissions; each permission names a semantic table and a
DAX row filter (a boolean evaluated for every row of that table, the way Power BI evaluates a role's
``tablePermission``). Members are not declared here: they are assigned in the Power BI service.

Problems are reported with file and line like every other spec problem: an unknown or non-semantic table, a
filter whose DAX does not parse (the line of the DAX text that fails), a reference to a table or column the
model does not have, a measure used as a row filter, duplicate roles or permissions.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from generator.dax.formatter import format_dax
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression
from generator.dax.references import find_references
from generator.errors import SpecProblem
from generator.spec.model import Origin, Role, Table, TablePermission
from generator.spec.yamlsrc import SpecList, SpecMap

ROLE_KEYS = {"name", "description", "permissions", "lint_ignore"}
PERMISSION_KEYS = {"table", "filter", "lint_ignore"}
# Role names become file names (roles/<Name>.tmdl): letters, digits, spaces, '-' and '_'.
ROLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,99}")  # the whole name (fullmatch)


def _near(name: str, candidates: list[str]) -> str:
    hint = difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def _lint_ignore(node: SpecMap, what: str, problems: list[SpecProblem]) -> tuple[tuple[str, str], ...]:
    raw = node.get("lint_ignore")
    if raw is None:
        return ()
    if not isinstance(raw, SpecMap) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        problems.append(SpecProblem(node.file, node.line_of("lint_ignore"),
                                    f"'lint_ignore' of {what} must map rule ids to the reason for ignoring"))
        return ()
    return tuple(sorted((key, " ".join(value.split())) for key, value in raw.items()))


def _unknown_keys(node: SpecMap, allowed: set[str], what: str, problems: list[SpecProblem]) -> None:
    for key in node:
        if key not in allowed:
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(sorted(allowed))}"
            problems.append(SpecProblem(node.file, node.line_of(key), f"unknown key '{key}' in {what}{suggestion}"))


def _check_references(text: str, table: Table, tables: dict[str, Table], where: SpecMap, line: int, what: str,
                      problems: list[SpecProblem]) -> bool:
    """Problems for references the model cannot resolve; False when the DAX does not parse."""
    try:
        expression = parse_expression(text)
    except DaxSyntaxError as exc:
        problems.append(SpecProblem(where.file, line + exc.line - 1, f"{what}: the DAX does not parse: "
                                    f"{exc.message} (DAX line {exc.line}, column {exc.column})"))
        return False
    refs = find_references(expression)
    by_name = {name.lower(): t for name, t in tables.items()}
    for table_name, column in sorted(refs.columns):
        found = by_name.get(table_name.lower())
        if found is None:
            problems.append(SpecProblem(where.file, line, f"{what} refers to unknown table '{table_name}'"
                                        + _near(table_name, sorted(tables))))
        elif not any(c.name.lower() == column.lower() for c in found.columns):
            problems.append(SpecProblem(where.file, line, f"{what} refers to unknown column "
                                        f"'{found.name}[{column}]'" + _near(column, found.column_names)))
    for name in sorted(refs.tables):
        if name.lower() not in by_name:
            problems.append(SpecProblem(where.file, line, f"{what} refers to unknown table or variable '{name}'"
                                        + _near(name, sorted(tables))))
    for name in sorted(refs.names):
        if not any(c.name.lower() == name.lower() for c in table.columns):
            problems.append(SpecProblem(where.file, line, f"{what} refers to [{name}], which is not a column of "
                                        f"'{table.name}' (a row filter cannot use measures; write Table[column])"))
    return True


def _read_permission(node: Any, parent: SpecList, index: int, role: str, tables: dict[str, Table],
                     problems: list[SpecProblem]) -> TablePermission | None:
    if not isinstance(node, SpecMap):
        problems.append(SpecProblem(parent.file, parent.line_of(index),
                                    f"permission {index + 1} of role '{role}' must be a mapping with 'table' and "
                                    "'filter'"))
        return None
    what = f"a permission of role '{role}'"
    _unknown_keys(node, PERMISSION_KEYS, what, problems)
    for key in ("table", "filter"):
        if key not in node:
            problems.append(SpecProblem(node.file, node.line, f"{what} has no '{key}'"))
    name, text = node.get("table"), node.get("filter")
    if not isinstance(name, str) or not isinstance(text, str) or not text.strip():
        if "table" in node and not isinstance(name, str):
            problems.append(SpecProblem(node.file, node.line_of("table"), f"'table' of {what} must be a table name"))
        if "filter" in node and (not isinstance(text, str) or not text.strip()):
            problems.append(SpecProblem(node.file, node.line_of("filter"),
                                        f"'filter' of {what} must be a DAX expression (TRUE for the rows to show)"))
        return None
    table = tables.get(name)
    if table is None:
        folded = {t.lower(): t for t in tables}
        hint = f"; did you mean '{folded[name.lower()]}'?" if name.lower() in folded else _near(name, sorted(tables))
        problems.append(SpecProblem(node.file, node.line_of("table"),
                                    f"role '{role}' filters unknown table '{name}'{hint}"))
        return None
    if table.role != "semantic":
        problems.append(SpecProblem(node.file, node.line_of("table"), f"role '{role}' filters '{name}', which is "
                                    f"a {table.role} table, not part of the semantic model"))
        return None
    what = f"role '{role}', filter on '{name}'"
    line = node.line_of("filter") + (1 if "\n" in text.strip("\n") or text.endswith("\n") else 0)
    if not _check_references(text.strip(), table, tables, node, line, what, problems):
        return None
    return TablePermission(table=name, filter=format_dax(text.strip()), origin=Origin(node.file, node.line),
                           lint_ignore=_lint_ignore(node, what, problems))


def _read_role(node: Any, parent: SpecList, index: int, tables: dict[str, Table],
               problems: list[SpecProblem]) -> Role | None:
    if not isinstance(node, SpecMap):
        problems.append(SpecProblem(parent.file, parent.line_of(index), f"role {index + 1} must be a mapping with "
                                                                         "a 'name'"))
        return None
    _unknown_keys(node, ROLE_KEYS, "a role", problems)
    name = node.get("name")
    if not isinstance(name, str) or not ROLE_NAME.fullmatch(name):
        problems.append(SpecProblem(node.file, node.line_of("name"), f"role name {name!r} must start with a letter "
                                    "and hold only letters, digits, spaces, '-' and '_' (at most 100 characters)"))
        return None
    description = node.get("description", "")
    if not isinstance(description, str):
        problems.append(SpecProblem(node.file, node.line_of("description"),
                                    f"'description' of role '{name}' must be text"))
        description = ""
    raw = node.get("permissions", SpecList())
    if not isinstance(raw, SpecList):
        problems.append(SpecProblem(node.file, node.line_of("permissions"),
                                    f"'permissions' of role '{name}' must be a list of {{table, filter}}"))
        raw = SpecList()
    permissions: list[TablePermission] = []
    for i, item in enumerate(raw):
        permission = _read_permission(item, raw, i, name, tables, problems)
        if permission is None:
            continue
        first = next((p for p in permissions if p.table.lower() == permission.table.lower()), None)
        if first is not None:
            problems.append(SpecProblem(raw.file, raw.line_of(i), f"role '{name}' filters '{permission.table}' "
                                        f"twice (first at {first.origin}); combine the filters with &&"))
            continue
        permissions.append(permission)
    return Role(name=name, description=" ".join(description.split()), permissions=tuple(permissions),
                origin=Origin(node.file, node.line), lint_ignore=_lint_ignore(node, f"role '{name}'", problems))


def read_roles(raw_roles: list[tuple[SpecList, int, Any]], tables: dict[str, Table],
               problems: list[SpecProblem]) -> tuple[Role, ...]:
    """The roles of every ``roles:`` list (in file order), with problems appended for anything invalid."""
    roles: list[Role] = []
    for parent, index, node in raw_roles:
        role = _read_role(node, parent, index, tables, problems)
        if role is None:
            continue
        first = next((r for r in roles if r.name.lower() == role.name.lower()), None)
        if first is not None:
            problems.append(SpecProblem(parent.file, parent.line_of(index),
                                        f"role '{role.name}' is declared twice (first at {first.origin})"))
            continue
        roles.append(role)
    return tuple(roles)
