"""Read ``model/*.yaml`` (the semantic model), ``sql/*.yaml`` (staging and ETL tables) and
``measures/*.yaml`` (the DAX measures, see :mod:`generator.measures`) into one validated
:class:`~generator.spec.model.Model`.

Every problem found is collected and reported together, each with file, line and a plain sentence;
nothing is returned (and so nothing is written by any command) while a single problem remains.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.errors import SpecError, SpecProblem
from generator.measures import load_measures
from generator.spec.model import (
    SUMMARIZE_BY,
    TABLE_ROLES,
    TABULAR_TYPES,
    Column,
    Model,
    Origin,
    Relationship,
    Table,
)
from generator.spec.roles import read_roles
from generator.spec.slices import read_slices
from generator.spec.text import single_line_problem
from generator.spec.yamlsrc import SpecList, SpecMap, load_yaml

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # whole text (fullmatch): ``$`` would allow a final new line
MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names; MySQL allows 64
COLUMN_REF = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*([A-Za-z_][A-Za-z0-9_]*)\s*\]\s*")  # fullmatch
DEFAULT_STRING_LENGTH = 255
# Type names users bring from SQL, pandas or Power BI, and the model type they mean.
TYPE_ALIASES = {"integer": "int64", "int": "int64", "bigint": "int64", "whole number": "int64",
                "float": "double", "real": "double", "number": "double", "numeric": "decimal",
                "bool": "boolean", "bit": "boolean", "str": "string", "text": "string", "varchar": "string",
                "nvarchar": "string", "timestamp": "datetime", "datetime2": "datetime"}

FILE_KEYS = {"tables", "relationships", "roles", "validation", "lint_ignore"}
TABLE_KEYS = {"name", "description", "role", "key", "date_table", "hidden", "columns", "lint_ignore"}
COLUMN_KEYS = {"name", "type", "nullable", "description", "format", "hidden", "summarize_by", "sort_by",
               "max_length", "lint_ignore"}
RELATIONSHIP_KEYS = {"from", "to", "active", "cross_filter", "lint_ignore"}


class _Problems:
    """Collects problems; each helper reports against the mapping it is looking at."""

    def __init__(self) -> None:
        self.items: list[SpecProblem] = []

    def add(self, where: SpecMap | SpecList, line: int, message: str) -> None:
        self.items.append(SpecProblem(where.file, line, message))

    def at(self, where: SpecMap, key: str, message: str) -> None:
        self.add(where, where.line_of(key), message)


def _check_keys(node: SpecMap, allowed: set[str], required: Iterable[str], what: str,
                problems: _Problems) -> None:
    for key in node:
        if key not in allowed:
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(sorted(allowed))}"
            problems.at(node, key, f"unknown key '{key}' in {what}{suggestion}")
    for key in required:
        if key not in node:
            problems.add(node, node.line, f"{what} has no '{key}'")


def _typed(node: SpecMap, key: str, kind: type | tuple[type, ...], default: Any, what: str,
           problems: _Problems) -> Any:
    if key not in node or (node[key] is None and default is None):
        return default
    value = node[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        expected = {bool: "true or false", str: "text", int: "a whole number"}.get(kind, "a list")
        problems.at(node, key, f"'{key}' of {what} must be {expected}, found {value!r}")
        return default
    return value


def _lint_ignore(node: SpecMap, what: str, problems: _Problems) -> tuple[tuple[str, str], ...]:
    """``lint_ignore:`` — BPA rule ids mapped to the reason they do not apply here."""
    raw = node.get("lint_ignore")
    if raw is None:
        return ()
    if not isinstance(raw, SpecMap) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        problems.at(node, "lint_ignore", f"'lint_ignore' of {what} must map rule ids to the reason for ignoring")
        return ()
    return tuple(sorted((key, " ".join(value.split())) for key, value in raw.items()))


def _check_identifier(node: SpecMap, key: str, name: Any, what: str, problems: _Problems) -> bool:
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        problems.at(node, key, f"{what} name {name!r} must be letters, digits and underscores, "
                               "starting with a letter or underscore")
        return False
    if len(name) > MAX_IDENTIFIER:
        problems.at(node, key, f"{what} name '{name}' is longer than {MAX_IDENTIFIER} characters")
        return False
    return True


def _read_column(node: Any, table: str, parent: SpecList, index: int, problems: _Problems) -> Column | None:
    if not isinstance(node, SpecMap):
        problems.add(parent, parent.line_of(index), f"column {index + 1} of table '{table}' must be a mapping")
        return None
    name = node.get("name")
    what = f"column '{table}[{name}]'" if isinstance(name, str) else f"a column of table '{table}'"
    _check_keys(node, COLUMN_KEYS, ("name", "type"), what, problems)
    if "name" not in node or not _check_identifier(node, "name", name, "column", problems):
        return None
    what = f"column '{table}[{name}]'"
    data_type = node.get("type")
    if "type" in node and data_type not in TABULAR_TYPES:
        hint = [TYPE_ALIASES[str(data_type).lower()]] if str(data_type).lower() in TYPE_ALIASES else \
            difflib.get_close_matches(str(data_type).lower(), TABULAR_TYPES, n=1)
        problems.at(node, "type", f"{what} has unknown data type {data_type!r}; "
                    + (f"did you mean '{hint[0]}'? " if hint else "")
                    + f"allowed: {', '.join(TABULAR_TYPES)}")
        data_type = None
    summarize_by = _typed(node, "summarize_by", str, "none", what, problems)
    if summarize_by not in SUMMARIZE_BY:
        problems.at(node, "summarize_by", f"{what} has summarize_by {summarize_by!r}; "
                                          f"allowed: {', '.join(SUMMARIZE_BY)}")
    max_length = _typed(node, "max_length", int, None, what, problems)
    if max_length is not None and data_type != "string":
        problems.at(node, "max_length", f"{what} has max_length but is not a string column")
    elif max_length is not None and not 1 <= max_length <= 4000:
        problems.at(node, "max_length", f"{what} has max_length {max_length}; it must be 1 to 4000")
    if data_type == "string" and max_length is None:
        max_length = DEFAULT_STRING_LENGTH
    why = single_line_problem(node.get("format"), f"the 'format' of {what}")
    if why:
        problems.at(node, "format", why)
    if data_type is None:
        return None
    return Column(
        name=name,
        data_type=data_type,
        nullable=_typed(node, "nullable", bool, True, what, problems),
        description=_typed(node, "description", str, "", what, problems).strip(),
        format_string=_typed(node, "format", str, None, what, problems),
        hidden=_typed(node, "hidden", bool, False, what, problems),
        summarize_by=summarize_by,
        sort_by=_typed(node, "sort_by", str, None, what, problems),
        max_length=max_length,
        origin=Origin(node.file, node.line),
        lint_ignore=_lint_ignore(node, what, problems),
    )


def _read_table(node: Any, parent: SpecList, index: int, default_role: str,
                problems: _Problems) -> Table | None:
    if not isinstance(node, SpecMap):
        problems.add(parent, parent.line_of(index), f"table {index + 1} must be a mapping with a 'name'")
        return None
    _check_keys(node, TABLE_KEYS, ("name", "columns"), "a table", problems)
    name = node.get("name")
    if "name" not in node or not _check_identifier(node, "name", name, "table", problems):
        return None
    what = f"table '{name}'"
    role = _typed(node, "role", str, default_role, what, problems)
    if role not in TABLE_ROLES:
        problems.at(node, "role", f"{what} has role {role!r}; allowed: {', '.join(TABLE_ROLES)}")
    raw_columns = node.get("columns")
    columns: list[Column] = []
    if isinstance(raw_columns, SpecList) and raw_columns:
        seen: dict[str, int] = {}
        for i, raw in enumerate(raw_columns):
            column = _read_column(raw, name, raw_columns, i, problems)
            if column is None:
                continue
            if column.name.lower() in seen:
                problems.add(raw_columns, raw_columns.line_of(i),
                             f"column '{column.name}' is declared twice in {what} "
                             f"(first on line {seen[column.name.lower()]})")
                continue
            seen[column.name.lower()] = raw_columns.line_of(i)
            columns.append(column)
    elif "columns" in node:
        problems.at(node, "columns", f"'columns' of {what} must be a non-empty list")
    by_name = {column.name: column for column in columns}
    key = node.get("key", [])
    key = [key] if isinstance(key, str) else key
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        problems.at(node, "key", f"'key' of {what} must be a column name or a list of column names")
        key = []
    for key_column in key:
        if key_column not in by_name:
            problems.at(node, "key", f"key column '{key_column}' is not a column of {what}")
        elif by_name[key_column].nullable:
            problems.at(node, "key", f"key column '{name}[{key_column}]' must be declared nullable: false")
    for column in columns:
        if column.sort_by is not None and column.sort_by not in by_name:
            problems.add(node, column.origin.line,
                         f"column '{name}[{column.name}]' sorts by '{column.sort_by}', which is not a column "
                         f"of {what}")
    is_date_table = _typed(node, "date_table", bool, False, what, problems)
    if is_date_table and (len(key) != 1 or key[0] not in by_name or by_name[key[0]].data_type != "date"):
        problems.at(node, "date_table", f"date table '{name}' needs a single key column of type date")
    return Table(name=name, role=role, description=_typed(node, "description", str, "", what, problems).strip(),
                 columns=tuple(columns), key=tuple(key), is_date_table=is_date_table,
                 origin=Origin(node.file, node.line), lint_ignore=_lint_ignore(node, what, problems),
                 hidden=_typed(node, "hidden", bool, False, what, problems))


def _parse_column_ref(node: SpecMap, key: str, problems: _Problems) -> tuple[str, str] | None:
    value = node.get(key)
    match = COLUMN_REF.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        problems.at(node, key, f"relationship '{key}' must look like Table[column], found {value!r}")
        return None
    return match.group(1), match.group(2)


def _read_relationship(node: Any, parent: SpecList, index: int, tables: dict[str, Table],
                       problems: _Problems, tables_complete: bool = True) -> Relationship | None:
    if not isinstance(node, SpecMap):
        problems.add(parent, parent.line_of(index), f"relationship {index + 1} must be a mapping")
        return None
    _check_keys(node, RELATIONSHIP_KEYS, ("from", "to"), "a relationship", problems)
    ends = [_parse_column_ref(node, key, problems) for key in ("from", "to") if key in node]
    if len(ends) != 2 or None in ends:
        return None
    (from_table, from_column), (to_table, to_column) = ends
    ok = True
    for key, table, column in (("from", from_table, from_column), ("to", to_table, to_column)):
        if table not in tables:
            if not tables_complete:  # the table may be declared in a file that failed to parse
                ok = False
                continue
            hint = difflib.get_close_matches(table, tables, n=1)
            problems.at(node, key, f"relationship refers to unknown table '{table}'"
                        + (f"; did you mean '{hint[0]}'?" if hint else ""))
            ok = False
        elif not tables[table].has_column(column):
            hint = difflib.get_close_matches(column, tables[table].column_names, n=1)
            problems.at(node, key, f"relationship refers to unknown column '{table}[{column}]'"
                        + (f"; did you mean '{hint[0]}'?" if hint else ""))
            ok = False
        elif tables[table].role != "semantic":
            problems.at(node, key, f"relationship uses '{table}', which is a {tables[table].role} table, "
                                   "not part of the semantic model")
            ok = False
    what = f"relationship {node.get('from')} -> {node.get('to')}"
    active = _typed(node, "active", bool, True, what, problems)
    cross_filter = _typed(node, "cross_filter", str, "single", what, problems)
    if cross_filter not in ("single", "both"):
        problems.at(node, "cross_filter", f"{what} has cross_filter {cross_filter!r}; allowed: single, both")
    if not ok:
        return None
    if from_table == to_table:
        problems.at(node, "to", f"{what} joins a table to itself")
        return None
    if tables[to_table].key != (to_column,):
        problems.at(node, "to", f"{what} must end on the key of '{to_table}' (the one side); "
                                f"'{to_column}' is not its single-column key")
        return None
    from_type = tables[from_table].column(from_column).data_type
    to_type = tables[to_table].column(to_column).data_type
    if from_type != to_type:
        problems.at(node, "from", f"{what} joins a {from_type} column to a {to_type} column")
        return None
    return Relationship(from_table, from_column, to_table, to_column, active, cross_filter,
                        Origin(node.file, node.line), lint_ignore=_lint_ignore(node, what, problems))


def _check_ambiguous_paths(relationships: list[Relationship], problems: _Problems,
                           lines: dict[Relationship, SpecMap]) -> None:
    """Power BI refuses two active filter paths between the same pair of tables."""
    edges: dict[str, list[Relationship]] = defaultdict(list)
    for rel in relationships:
        if rel.active:
            edges[rel.to_table].append(rel)  # filters flow from the one side to the many side
            if rel.cross_filter == "both":
                edges[rel.from_table].append(rel)

    for start in sorted(edges):
        paths: dict[str, list[list[Relationship]]] = defaultdict(list)

        def walk(table: str, path: list[Relationship], seen: set[str],
                 paths: dict[str, list[list[Relationship]]]) -> None:
            for rel in edges.get(table, []):
                target = rel.from_table if rel.to_table == table else rel.to_table
                if target in seen:
                    continue
                paths[target].append([*path, rel])
                walk(target, [*path, rel], seen | {target}, paths)

        walk(start, [], {start}, paths)
        for target, found in sorted(paths.items()):
            if len(found) > 1:
                last = found[-1][-1]
                route = " / ".join(" then ".join(r.name for r in p) for p in found)
                problems.at(lines[last], "from", f"active relationships give more than one filter path from "
                                                 f"'{start}' to '{target}' ({route}); make one of them inactive")


def spec_files(spec_dir: Path) -> list[tuple[Path, str]]:
    """The spec files read for a model, in a stable order, with the role their tables default to."""
    found = [(path, "semantic") for path in sorted((spec_dir / "model").glob("*.yaml"))]
    found += [(path, "staging") for path in sorted((spec_dir / "sql").glob("*.yaml"))]
    return found


def load_model(spec_dir: Path, parameters: Mapping[str, int | float] | None = None) -> Model:
    """Load and validate every model spec under ``spec_dir``; raise :class:`SpecError` on any problem.
    ``parameters`` sets the values of the measure parameters it names (the measures are generated with them)."""
    files = spec_files(spec_dir)
    if not any(role == "semantic" for _, role in files):
        raise SpecError([SpecProblem(str(spec_dir / "model"), 0, "no model/*.yaml spec files found")])
    problems = _Problems()
    tables: dict[str, Table] = {}
    table_lines: dict[str, str] = {}
    raw_relationships: list[tuple[SpecList, int, Any]] = []
    raw_roles: list[tuple[SpecList, int, Any]] = []
    raw_validation: list[tuple[SpecMap, Any]] = []
    unreadable_files = 0
    model_ignores: list[tuple[str, str]] = []
    for path, default_role in files:
        display = path.relative_to(spec_dir).as_posix() if path.is_relative_to(spec_dir) else str(path)
        try:
            document = load_yaml(path, display)
        except SpecError as exc:
            problems.items.extend(exc.problems)
            unreadable_files += 1
            continue
        if document is None:
            continue
        if not isinstance(document, SpecMap):
            problems.items.append(SpecProblem(display, 1, "the file must be a mapping with 'tables' and/or "
                                                          "'relationships'"))
            continue
        _check_keys(document, FILE_KEYS, (), "a spec file", problems)
        model_ignores.extend(_lint_ignore(document, "a spec file", problems))
        raw_tables = document.get("tables", SpecList())
        if not isinstance(raw_tables, SpecList):
            problems.at(document, "tables", "'tables' must be a list of tables")
            raw_tables = SpecList()
        for index, raw in enumerate(raw_tables):
            table = _read_table(raw, raw_tables, index, default_role, problems)
            if table is None:
                continue
            folded = table.name.lower()
            if folded in table_lines:
                problems.add(raw_tables, raw_tables.line_of(index),
                             f"table '{table.name}' is declared twice (first at {table_lines[folded]})")
                continue
            table_lines[folded] = str(table.origin)
            tables[table.name] = table
        raw_rels = document.get("relationships", SpecList())
        if not isinstance(raw_rels, SpecList):
            problems.at(document, "relationships", "'relationships' must be a list")
            raw_rels = SpecList()
        raw_relationships.extend((raw_rels, i, raw) for i, raw in enumerate(raw_rels))
        roles_node = document.get("roles", SpecList())
        if not isinstance(roles_node, SpecList) or (roles_node and default_role != "semantic"):
            problems.at(document, "roles", "'roles' must be a list of roles, in a model/*.yaml file")
            roles_node = SpecList()
        raw_roles.extend((roles_node, i, raw) for i, raw in enumerate(roles_node))
        if "validation" in document:
            if default_role != "semantic":
                problems.at(document, "validation", "'validation' belongs in a model/*.yaml file")
            else:
                raw_validation.append((document, document["validation"]))

    relationships: list[Relationship] = []
    rel_nodes: dict[Relationship, SpecMap] = {}
    for parent, index, raw in raw_relationships:
        rel = _read_relationship(raw, parent, index, tables, problems, tables_complete=not unreadable_files)
        if rel is None:
            continue
        duplicate = next((r for r in relationships if (r.from_table, r.from_column, r.to_table, r.to_column)
                          == (rel.from_table, rel.from_column, rel.to_table, rel.to_column)), None)
        if duplicate is not None:
            problems.add(raw, raw.line, f"relationship {rel.name} is declared twice (first at {duplicate.origin})")
            continue
        relationships.append(rel)
        rel_nodes[rel] = raw
    _check_ambiguous_paths(relationships, problems, rel_nodes)
    roles = read_roles(raw_roles, tables, problems.items) if not unreadable_files else ()
    semantic = {name: table for name, table in tables.items() if table.role == "semantic"}
    slices = read_slices(raw_validation, semantic, problems.items) if not unreadable_files else ()

    date_tables = [t for t in tables.values() if t.is_date_table]
    if len(date_tables) != 1 and not problems.items:
        where = date_tables[1].origin if len(date_tables) > 1 else Origin("model", 0)
        problems.items.append(SpecProblem(where.file, where.line, f"the model needs exactly one table with "
                                          f"date_table: true, found {len(date_tables)}"))
    if problems.items:
        raise SpecError(problems.items)
    model = Model(tables=tuple(tables.values()), relationships=tuple(relationships),
                  lint_ignore=tuple(sorted(set(model_ignores))), roles=roles, slices=slices)
    measures, values = load_measures(spec_dir, model, parameters)
    model = replace(model, measures=measures, parameters=values)
    from generator.spec.report import load_report  # it reads fields against the model built here

    return replace(model, report=load_report(spec_dir, model))
