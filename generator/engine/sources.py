"""Build the engine's :class:`~generator.engine.model.EngineModel` from a model definition.

Four sources, one shape:

* :func:`model_from_spec` — our validated YAML specs (:func:`generator.spec.loader.load_model`);
* :func:`model_from_bim` — a TMSL ``model.bim`` (also a bare ``{"tables": …}`` object, a ``create`` /
  ``createOrReplace`` script, or a ``.pbit``'s ``DataModelSchema`` via :func:`load_engine_model`);
* :func:`model_from_tmdl` — a TMDL ``definition/`` folder (or the ``*.SemanticModel`` folder holding it);
* :func:`load_engine_model` — picks one of the above from a path (None → the YAML specs).

What is read, whichever the source:

* tables with their columns; a column's ``source`` is its ``sourceColumn`` (default: its name), a table's
  ``source`` the SQL table its import partition navigates to (``Item = "X"`` in the M query, or
  ``Name = "X", Kind = "Table"``, or a Direct Lake partition's ``entityName``, or an incremental-refresh
  policy's ``sourceExpression``), else the table's name; the schema is not kept;
* calculated columns and calculated tables keep their DAX in ``expression`` (the engine refuses to read
  them); a calculation-group table gets :data:`CALCULATION_GROUP` as its expression, so it is refused too;
  ``rowNumber`` columns are skipped;
* data types: ``int64``, ``double``, ``decimal``, ``string``, ``boolean``, ``dateTime`` (case-insensitive);
  ``binary``, ``variant``, ``automatic`` and ``unknown`` become :attr:`DaxType.VARIANT`; a missing
  ``dataType`` is STRING on a data column (Power Query's untyped columns load as text) and VARIANT on a
  calculated column (its type is inferred from the DAX, which is not evaluated here);
* the date table: a table with ``dataCategory: Time``; its key is the column marked ``isKey``, else its
  first date/time column;
* relationships: ``isActive`` (default true), ``crossFilteringBehavior`` (``oneDirection`` and
  ``automatic`` → ``single``, ``bothDirections`` → ``both``), ``fromCardinality`` / ``toCardinality``
  (default many / one; one / many is turned round so that ``from`` is always the many side);
* measures with their DAX, format string and origin (``file:line``);
* roles (row-level security): each role's table permissions (table and DAX row filter), from ``roles`` /
  ``tablePermissions`` / ``filterExpression`` in TMSL, ``role`` / ``tablePermission T = <DAX>`` in TMDL;
  members and ``modelPermission`` are not read (the engine evaluates a role it is told to use).

Names are kept as declared; relationship and measure references to them are matched case-insensitively and
stored in the declared spelling. Duplicate tables, columns or measures and relationships naming a table or
column that does not exist are reported, as are duplicate roles and a role filtering a table the model does not
have. Everything else (hierarchies, perspectives, cultures, annotations, descriptions, hidden flags, object-level
security) is read past and ignored.

Every problem raises :class:`ModelSourceError` (a :class:`~generator.errors.ToolError`, exit code 2) whose
message starts with ``file:line:``.
"""

from __future__ import annotations

import bisect
import json
import json.scanner
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.engine.model import (
    EngineColumn,
    EngineMeasure,
    EngineModel,
    EngineRelationship,
    EngineRole,
    EngineTable,
    EngineTablePermission,
)
from generator.engine.values import MODEL_TYPES, DaxType
from generator.errors import ToolError

if TYPE_CHECKING:
    from generator.spec.model import Model

# The expression given to calculation-group tables: not a table the engine can read.
CALCULATION_GROUP = "-- calculation group"
_VARIANT_TYPES = {"binary", "variant", "automatic", "unknown"}
_CARDINALITIES = {("many", "one"): "many_to_one", ("one", "one"): "one_to_one", ("many", "many"): "many_to_many"}
_CROSS_FILTERS = {"onedirection": "single", "automatic": "single", "bothdirections": "both"}
_BOOLEANS = {"true": True, "false": False}
_M_STRING = r'"((?:[^"]|"")*)"'
_M_ITEM = re.compile(r"\bItem\s*=\s*" + _M_STRING)
_M_NAMED_TABLE = re.compile(r"\[\s*Name\s*=\s*" + _M_STRING + r'\s*,\s*Kind\s*=\s*"(?:Table|View)"\s*\]')


class ModelSourceError(ToolError):
    """A model file that cannot be read: ``file:line: message`` (line 0 when no line applies)."""

    def __init__(self, file: str | Path, line: int, message: str):
        self.file = str(file)
        self.line = line
        self.detail = message
        super().__init__(f"{self.file}:{line}: {message}" if line else f"{self.file}: {message}")


# --------------------------------------------------------------------------------------------------------------
# Shared assembly and checks


@dataclass(frozen=True)
class _Where:
    file: str
    line: int

    def error(self, message: str) -> ModelSourceError:
        return ModelSourceError(self.file, self.line, message)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class _RawColumn:
    name: str
    type: DaxType
    source: str
    expression: str | None
    is_key: bool
    where: _Where


@dataclass
class _RawTable:
    name: str
    source: str
    columns: list[_RawColumn]
    is_date: bool
    expression: str | None
    where: _Where


@dataclass
class _RawRelationship:
    from_table: str
    from_column: str
    to_table: str
    to_column: str
    active: bool
    cross_filter: str
    cardinality: str
    where: _Where


@dataclass
class _RawMeasure:
    name: str
    table: str
    expression: str
    format_string: str | None
    where: _Where


@dataclass
class _RawRole:
    name: str
    permissions: list[tuple[str, str, _Where]]  # (table, DAX row filter, where)
    where: _Where


@dataclass
class _RawModel:
    tables: list[_RawTable] = field(default_factory=list)
    relationships: list[_RawRelationship] = field(default_factory=list)
    measures: list[_RawMeasure] = field(default_factory=list)
    roles: list[_RawRole] = field(default_factory=list)


def _dax_type(value: Any, calculated: bool, where: _Where, what: str) -> DaxType:
    if value is None:
        return DaxType.VARIANT if calculated else DaxType.STRING
    text = str(value).lower()
    if text in MODEL_TYPES:
        return MODEL_TYPES[text]
    if text in _VARIANT_TYPES:
        return DaxType.VARIANT
    raise where.error(f"{what} has unknown dataType {value!r}; expected int64, double, decimal, string, boolean, "
                      "dateTime, binary, variant or automatic")


def _cardinality(from_end: str | None, to_end: str | None, where: _Where) -> tuple[str, bool]:
    """The engine's cardinality and whether the ends must be swapped (one → many)."""
    ends = ((from_end or "many").lower(), (to_end or "one").lower())
    if ends == ("one", "many"):
        return "many_to_one", True
    if ends not in _CARDINALITIES:
        raise where.error(f"relationship has cardinality {ends[0]} to {ends[1]}; expected one or many at each end")
    return _CARDINALITIES[ends], False


def _cross_filter(value: Any, where: _Where) -> str:
    text = str(value or "oneDirection").lower()
    if text not in _CROSS_FILTERS:
        raise where.error(f"relationship has crossFilteringBehavior {value!r}; expected oneDirection, "
                          "bothDirections or automatic")
    return _CROSS_FILTERS[text]


def _assemble(raw: _RawModel, description: str, empty_where: str) -> EngineModel:
    """Check names and references, resolve them to the declared spelling and build the EngineModel."""
    tables: list[EngineTable] = []
    by_name: dict[str, tuple[_RawTable, dict[str, _RawColumn]]] = {}
    for table in raw.tables:
        if table.name.lower() in by_name:
            first = by_name[table.name.lower()][0].where
            raise table.where.error(f"table '{table.name}' is declared twice (first at {first})")
        columns: dict[str, _RawColumn] = {}
        for column in table.columns:
            if column.name.lower() in columns:
                raise column.where.error(f"column '{table.name}'[{column.name}] is declared twice "
                                         f"(first at {columns[column.name.lower()].where})")
            columns[column.name.lower()] = column
        by_name[table.name.lower()] = (table, columns)
        date_column = None
        if table.is_date:
            keys = [c for c in table.columns if c.is_key] or [c for c in table.columns if c.type is DaxType.DATETIME]
            date_column = keys[0].name if keys else None
        tables.append(EngineTable(
            name=table.name, source=table.source, date_column=date_column, expression=table.expression,
            columns=tuple(EngineColumn(c.name, c.type, c.source, c.expression) for c in table.columns)))
    if not tables:
        raise ModelSourceError(empty_where, 0, "the model has no tables")

    def column_of(table_name: str, column_name: str, where: _Where) -> tuple[str, str]:
        found = by_name.get(table_name.lower())
        if found is None:
            raise where.error(f"relationship refers to table '{table_name}', which is not in the model")
        column = found[1].get(column_name.lower())
        if column is None:
            raise where.error(f"relationship refers to column '{found[0].name}'[{column_name}], "
                              "which is not in the model")
        return found[0].name, column.name

    relationships = []
    for rel in raw.relationships:
        from_table, from_column = column_of(rel.from_table, rel.from_column, rel.where)
        to_table, to_column = column_of(rel.to_table, rel.to_column, rel.where)
        relationships.append(EngineRelationship(from_table, from_column, to_table, to_column, rel.active,
                                                rel.cross_filter, rel.cardinality))
    measures = []
    seen: dict[str, _RawMeasure] = {}
    for measure in raw.measures:
        if measure.name.lower() in seen:
            raise measure.where.error(f"measure [{measure.name}] is declared twice "
                                      f"(first at {seen[measure.name.lower()].where})")
        seen[measure.name.lower()] = measure
        home = by_name.get(measure.table.lower())
        measures.append(EngineMeasure(measure.name, home[0].name if home else measure.table, measure.expression,
                                      measure.format_string or None, str(measure.where)))
    return EngineModel(tuple(tables), tuple(relationships), tuple(measures), description,
                       _roles(raw.roles, by_name))


def _roles(raw_roles: list[_RawRole], by_name: dict[str, tuple[_RawTable, dict[str, _RawColumn]]]
           ) -> tuple[EngineRole, ...]:
    roles: dict[str, EngineRole] = {}
    for role in raw_roles:
        if role.name.lower() in roles:
            raise role.where.error(f"role '{role.name}' is declared twice (first at "
                                   f"{roles[role.name.lower()].origin})")
        permissions: dict[str, EngineTablePermission] = {}
        for table, expression, where in role.permissions:
            found = by_name.get(table.lower())
            if found is None:
                raise where.error(f"role '{role.name}' filters table '{table}', which is not in the model")
            if not expression.strip():
                raise where.error(f"role '{role.name}' has an empty filter on table '{table}'")
            if found[0].name.lower() in permissions:
                raise where.error(f"role '{role.name}' filters table '{found[0].name}' twice")
            permissions[found[0].name.lower()] = EngineTablePermission(found[0].name, expression, str(where))
        roles[role.name.lower()] = EngineRole(role.name, tuple(permissions.values()), str(role.where))
    return tuple(roles.values())


def _m_source(expression: str) -> str | None:
    """The table an M query navigates to: the last ``Item = "X"``, else ``[Name = "X", Kind = "Table"]``."""
    items = _M_ITEM.findall(expression) or _M_NAMED_TABLE.findall(expression)
    return items[-1].replace('""', '"') if items else None


def _partition_source(table_name: str, kind: str, expression: str | None,
                      entity: str | None) -> tuple[str, str | None]:
    """(source, calculated-table expression) from a partition's source type and text."""
    kind = kind.lower()
    if kind == "calculated":
        return table_name, expression or ""
    if kind == "calculationgroup":
        return table_name, CALCULATION_GROUP
    if kind == "entity" and entity:
        return entity, None
    if kind == "m" and expression:
        return _m_source(expression) or table_name, None
    return table_name, None


# --------------------------------------------------------------------------------------------------------------
# YAML specs


def model_from_spec(model: Model) -> EngineModel:
    """The semantic (BI_) tables, relationships and measures of our validated YAML specs."""
    raw = _RawModel()
    semantic = {table.name for table in model.semantic_tables}
    for table in model.semantic_tables:
        where = _Where(table.origin.file, table.origin.line)
        key = (table.key[0] if table.key else "date") if table.is_date_table else None
        columns = [_RawColumn(c.name, MODEL_TYPES[c.data_type], c.name, None, c.name == key,
                              _Where(c.origin.file, c.origin.line)) for c in table.columns]
        raw.tables.append(_RawTable(table.name, table.name, columns, table.is_date_table, None, where))
    for rel in model.relationships:
        if rel.from_table in semantic and rel.to_table in semantic:
            raw.relationships.append(_RawRelationship(
                rel.from_table, rel.from_column, rel.to_table, rel.to_column, rel.active, rel.cross_filter,
                "many_to_one", _Where(rel.origin.file, rel.origin.line)))
    for measure in model.measures:
        raw.measures.append(_RawMeasure(measure.name, measure.home_table, measure.expression,
                                        measure.format_string, _Where(measure.origin.file, measure.origin.line)))
    for role in model.roles:
        raw.roles.append(_RawRole(role.name, [(p.table, p.filter, _Where(p.origin.file, p.origin.line))
                                              for p in role.permissions],
                                  _Where(role.origin.file, role.origin.line)))
    return _assemble(raw, "the YAML specs (model/, measures/)", "model/")


# --------------------------------------------------------------------------------------------------------------
# TMSL (model.bim)


def _decode(data: bytes, file: str) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ModelSourceError(file, 0, f"is not UTF-8 or UTF-16 text ({error.reason} at byte {error.start})") \
            from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelSourceError(path, 0, f"cannot read: {error.strerror or error}") from None


class _JsonLines:
    """JSON parsed with the line each object starts on (looked up by the object's identity)."""

    def __init__(self, text: str, file: str):
        self.file = file
        self._lines: dict[int, int] = {}
        newlines = [match.start() for match in re.finditer("\n", text)]
        decoder = json.JSONDecoder()
        parse_object = decoder.parse_object

        def tracking(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            result, end = parse_object(s_and_end, *args)
            self._lines[id(result)] = bisect.bisect_left(newlines, s_and_end[1]) + 1
            return result, end

        decoder.parse_object = tracking
        decoder.scan_once = json.scanner.py_make_scanner(decoder)
        try:
            self.data = decoder.decode(text)
        except json.JSONDecodeError as error:
            raise ModelSourceError(file, error.lineno, f"invalid JSON: {error.msg} (column {error.colno})") from None
        except RecursionError:
            raise ModelSourceError(file, 0, "invalid JSON: nested too deeply") from None

    def where(self, obj: Any) -> _Where:
        return _Where(self.file, self._lines.get(id(obj), 0))


def _text(value: Any) -> str | None:
    """An expression that may be a string or a list of lines."""
    if isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return None if value is None else str(value)


def _tmsl_model(data: Any, doc: _JsonLines) -> dict[str, Any]:
    """The ``model`` object of a model.bim, a bare model object or a TMSL create/createOrReplace/alter script."""
    if isinstance(data, dict):
        for command in ("create", "createOrReplace", "alter"):
            if isinstance(data.get(command), dict) and isinstance(data[command].get("database"), dict):
                data = data[command]["database"]
                break
        if isinstance(data.get("model"), dict):
            return data["model"]
        if isinstance(data.get("tables"), list):
            return data
    raise ModelSourceError(doc.file, 1, 'is not a TMSL model: expected {"model": {"tables": [...]}}, '
                                        'a model object {"tables": [...]} or a {"create": {"database": ...}} script')


def _objects(parent: dict[str, Any], key: str, doc: _JsonLines, what: str) -> list[dict[str, Any]]:
    value = parent.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise doc.where(parent).error(f"'{key}' of {what} must be a list of objects")
    return value


def _name(obj: dict[str, Any], doc: _JsonLines, what: str, key: str = "name") -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise doc.where(obj).error(f"{what} has no '{key}'")
    return value


def _flag(obj: dict[str, Any], key: str, default: bool, doc: _JsonLines) -> bool:
    value = obj.get(key, default)
    if isinstance(value, str) and value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    if not isinstance(value, bool):
        raise doc.where(obj).error(f"'{key}' must be true or false, found {value!r}")
    return value


def _bim_table(table: dict[str, Any], doc: _JsonLines, raw: _RawModel) -> None:
    name = _name(table, doc, "a table")
    what = f"table '{name}'"
    columns = []
    for column in _objects(table, "columns", doc, what):
        column_name = _name(column, doc, f"a column of {what}")
        kind = str(column.get("type", "data")).lower()
        if kind == "rownumber":
            continue
        expression = _text(column.get("expression"))
        calculated = kind == "calculated" or expression is not None
        where = doc.where(column)
        dax_type = _dax_type(column.get("dataType"), calculated, where, f"column '{name}'[{column_name}]")
        source = column.get("sourceColumn") or column_name
        columns.append(_RawColumn(column_name, dax_type, str(source), expression if calculated else None,
                                  _flag(column, "isKey", False, doc), where))
    source, expression = name, None
    partitions = _objects(table, "partitions", doc, what)
    for partition in partitions:
        part_source = partition.get("source")
        if isinstance(part_source, dict):
            entity = part_source.get("entityName")
            source, expression = _partition_source(
                name, str(part_source.get("type", "m")), _text(part_source.get("expression")),
                entity if isinstance(entity, str) else None)
            break
    policy = table.get("refreshPolicy")
    if source == name and expression is None and isinstance(policy, dict):  # incremental refresh
        source = _m_source(_text(policy.get("sourceExpression")) or "") or name
    if "calculationGroup" in table:
        expression = CALCULATION_GROUP
    is_date = str(table.get("dataCategory", "")).lower() == "time"
    raw.tables.append(_RawTable(name, source, columns, is_date, expression, doc.where(table)))
    for measure in _objects(table, "measures", doc, what):
        measure_name = _name(measure, doc, f"a measure of {what}")
        text = _text(measure.get("expression"))
        if text is None or not text.strip():
            raise doc.where(measure).error(f"measure [{measure_name}] has no expression")
        format_string = measure.get("formatString")
        raw.measures.append(_RawMeasure(measure_name, name, text,
                                        str(format_string) if format_string else None, doc.where(measure)))


def _bim_relationship(rel: dict[str, Any], doc: _JsonLines, raw: _RawModel) -> None:
    where = doc.where(rel)
    ends = [_name(rel, doc, "a relationship", key) for key in ("fromTable", "fromColumn", "toTable", "toColumn")]
    cardinality, swap = _cardinality(rel.get("fromCardinality"), rel.get("toCardinality"), where)
    if swap:
        ends = ends[2:] + ends[:2]
    raw.relationships.append(_RawRelationship(*ends, _flag(rel, "isActive", True, doc),
                                              _cross_filter(rel.get("crossFilteringBehavior"), where),
                                              cardinality, where))


def _model_from_tmsl_text(text: str, file: str, description: str) -> EngineModel:
    doc = _JsonLines(text, file)
    model = _tmsl_model(doc.data, doc)
    raw = _RawModel()
    for table in _objects(model, "tables", doc, "the model"):
        _bim_table(table, doc, raw)
    for rel in _objects(model, "relationships", doc, "the model"):
        _bim_relationship(rel, doc, raw)
    for role in _objects(model, "roles", doc, "the model"):
        name = _name(role, doc, "a role")
        permissions = []
        for permission in _objects(role, "tablePermissions", doc, f"role '{name}'"):
            table = _name(permission, doc, f"a table permission of role '{name}'")
            text = _text(permission.get("filterExpression"))
            if text is not None and text.strip():  # no filter: the table is not restricted (OLS only)
                permissions.append((table, text, doc.where(permission)))
        raw.roles.append(_RawRole(name, permissions, doc.where(role)))
    return _assemble(raw, description, file)


def model_from_bim(path: Path) -> EngineModel:
    """The model of a TMSL ``model.bim`` (or a bare model object, or a create/createOrReplace script)."""
    path = Path(path)
    return _model_from_tmsl_text(_decode(_read_bytes(path), str(path)), str(path), f"model.bim {path}")


def _model_from_pbit(path: Path) -> EngineModel:
    """The model of a Power BI template: its ``DataModelSchema`` part (TMSL, UTF-16LE)."""
    try:
        with zipfile.ZipFile(path) as package:
            data = package.read("DataModelSchema")
    except KeyError:
        raise ModelSourceError(path, 0, "has no DataModelSchema part (a template without a model?)") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ModelSourceError(path, 0, f"is not a readable .pbit package: {error}") from None
    where = f"{path}!DataModelSchema"
    if data[1:2] == b"\x00" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = b"\xff\xfe" + data  # UTF-16LE without a BOM, as Power BI Desktop writes it
    return _model_from_tmsl_text(_decode(data, where), where, f".pbit {path}")


# --------------------------------------------------------------------------------------------------------------
# TMDL


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNQUOTED_NAME = re.compile(r"[^\s=:'.]+")


@dataclass
class _TmdlProperty:
    value: str | bool
    line: int


@dataclass
class _TmdlNode:
    """An object (``keyword name``), a nameless block (``calculationGroup``, ``source``) or a file."""

    keyword: str
    name: str | None
    where: _Where
    default: str | None = None
    ref: bool = False
    properties: dict[str, _TmdlProperty] = field(default_factory=dict)
    children: list[_TmdlNode] = field(default_factory=list)

    def prop(self, name: str) -> str | bool | None:
        found = self.properties.get(name.lower())
        return None if found is None else found.value

    def text(self, name: str) -> str | None:
        value = self.prop(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.where.error(f"property {name} of {self.keyword} {self.name} needs a value")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.prop(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if value.lower() not in _BOOLEANS:
            line = self.properties[name.lower()].line
            raise ModelSourceError(self.where.file, line, f"{name} must be true or false, found {value!r}")
        return _BOOLEANS[value.lower()]

    def of(self, keyword: str) -> list[_TmdlNode]:
        return [child for child in self.children if child.keyword.lower() == keyword and not child.ref]


def _unquote_value(text: str) -> str:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def _parse_name(text: str, error: Callable[[str], ModelSourceError]) -> tuple[str, str]:
    """A leading name (``Sales`` or ``'Order Date'`` with ``''`` for a quote) and the text after it."""
    if text.startswith("'"):
        chars: list[str] = []
        index = 1
        while index < len(text):
            if text[index] == "'":
                if text[index + 1:index + 2] == "'":
                    chars.append("'")
                    index += 2
                    continue
                return "".join(chars), text[index + 1:]
            chars.append(text[index])
            index += 1
        raise error(f"unterminated quoted name {text!r} (a quote inside a name is written '')")
    match = _UNQUOTED_NAME.match(text)
    if not match:
        raise error(f"expected a name, found {text!r}")
    return match.group(0), text[match.end():]


def _split_reference(text: str, error: Callable[[str], ModelSourceError]) -> list[str]:
    """``Sales.'Order Date'`` → ``["Sales", "Order Date"]``."""
    parts = []
    rest = text.strip()
    while True:
        name, rest = _parse_name(rest, error)
        parts.append(name)
        if not rest.strip():
            return parts
        if not rest.startswith("."):
            raise error(f"bad reference {text!r}; expected Table.Column")
        rest = rest[1:]


class _TmdlReader:
    """Reads one TMDL file into a tree of :class:`_TmdlNode` (see ``powerbi-formats.md`` §1)."""

    def __init__(self, text: str, file: str):
        self.file = file
        self.lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def error(self, index: int, message: str) -> ModelSourceError:
        return ModelSourceError(self.file, index + 1, message)

    def blank(self, index: int) -> bool:
        return not self.lines[index].strip()

    def tabs(self, index: int) -> int:
        line = self.lines[index]
        return len(line) - len(line.lstrip("\t"))

    def level(self, index: int) -> int:
        """The tab depth of a structural line; other whitespace in its indentation is an error."""
        depth = self.tabs(index)
        if self.lines[index][depth:depth + 1].isspace():
            raise self.error(index, "indentation must be tabs (one per level)")
        return depth

    def next_content(self, index: int) -> int:
        while index < len(self.lines) and self.blank(index):
            index += 1
        return index

    def parse(self) -> _TmdlNode:
        document = _TmdlNode("document", None, _Where(self.file, 0))
        end = self.block(0, 0, document)
        if end < len(self.lines):
            raise self.error(end, "unexpected indentation")
        return document

    def expression(self, first: str, index: int, minimum: int, what: str) -> tuple[str, int]:
        """The text after ``=`` on line ``index``: inline, a ``` fenced block, or the following lines indented
        ``minimum`` tabs or more (common indentation removed). Returns it and the next line to read."""
        if first.startswith("```"):
            if first.strip() != "```":
                raise self.error(index, f"unexpected text after ``` in {what}")
            end = index + 1
            while end < len(self.lines) and self.lines[end].strip() != "```":
                end += 1
            if end == len(self.lines):
                raise self.error(index, f"``` expression of {what} is not closed by a ``` line")
            closing = self.lines[end]
            margin = closing[: len(closing) - len(closing.lstrip())]
            body = [line.removeprefix(margin) for line in self.lines[index + 1:end]]
            return "\n".join(body), end + 1
        if first:
            return first, index + 1
        end = index + 1
        while end < len(self.lines) and (self.blank(end) or self.tabs(end) >= minimum):
            end += 1
        while end > index + 1 and self.blank(end - 1):
            end -= 1
        body = self.lines[index + 1:end]
        if not body:
            raise self.error(index, f"{what} has '=' but no expression (a multi-line expression goes on the "
                                    f"following lines, indented {minimum} tabs)")
        margin = min(len(line) - len(line.lstrip("\t")) for line in body if line.strip())
        return "\n".join(line[margin:].rstrip() if line.strip() else "" for line in body), end

    def block(self, index: int, depth: int, parent: _TmdlNode) -> int:
        """Read the lines at ``depth`` into ``parent``; returns the index of the first shallower line."""
        while True:
            index = self.next_content(index)
            if index >= len(self.lines):
                return index
            level = self.level(index)
            if level < depth:
                return index
            if level > depth:
                raise self.error(index, "unexpected indentation")
            content = self.lines[index][depth:].rstrip()
            if content.startswith("///"):
                index += 1
                continue
            match = _WORD.match(content)
            if not match:
                raise self.error(index, f"expected a declaration or a property, found {content!r}")
            word, rest = match.group(0), content[match.end():]
            if rest.startswith(":"):
                value = rest[1:].strip()
                if not value:
                    raise self.error(index, f"property {word} has no value")
                parent.properties[word.lower()] = _TmdlProperty(_unquote_value(value), index + 1)
                index += 1
            elif rest.lstrip(" \t").startswith("="):
                line = index + 1
                value, index = self.expression(rest.lstrip(" \t")[1:].strip(), index, depth + 1, word)
                parent.properties[word.lower()] = _TmdlProperty(value, line)
            elif not rest:
                following = self.next_content(index + 1)
                if following < len(self.lines) and self.tabs(following) > depth:
                    node = _TmdlNode(word, None, _Where(self.file, index + 1))
                    parent.children.append(node)
                    index = self.block(index + 1, depth + 1, node)
                else:
                    parent.properties[word.lower()] = _TmdlProperty(True, index + 1)
                    index += 1
            elif rest[0] in " \t":
                index = self.declaration(word, rest.strip(" \t"), index, depth, parent)
            else:
                raise self.error(index, f"expected a declaration or a property, found {content!r}")

    def declaration(self, word: str, rest: str, index: int, depth: int, parent: _TmdlNode) -> int:
        def error(message: str) -> ModelSourceError:
            return self.error(index, message)

        where = _Where(self.file, index + 1)
        if word.lower() == "ref":
            match = _WORD.match(rest)
            if not match or not rest[match.end():match.end() + 1].isspace():
                raise error(f"bad reference {rest!r}; expected ref <type> <name>")
            name, after = _parse_name(rest[match.end():].strip(" \t"), error)
            if after.strip():
                raise error(f"unexpected text after the reference: {after.strip()!r}")
            node = _TmdlNode(match.group(0), name, where, ref=True)
            parent.children.append(node)
            return self.block(index + 1, depth + 1, node)
        name, after = _parse_name(rest, error)
        node = _TmdlNode(word, name, where)
        after = after.strip(" \t")
        if after.startswith("="):
            node.default, index = self.expression(after[1:].strip(), index, depth + 2, f"{word} {name}")
        elif after:
            raise error(f"unexpected text after the name of {word} {name}: {after!r}")
        else:
            index += 1
        parent.children.append(node)
        return self.block(index, depth + 1, node)


def _definition_folder(folder: Path) -> Path:
    if (folder / "definition").is_dir():
        return folder / "definition"
    return folder


def _tmdl_column(column: _TmdlNode, table: str) -> _RawColumn:
    name = column.name or ""
    calculated = column.default is not None
    found = column.properties.get("datatype")
    where = _Where(column.where.file, found.line) if found else column.where
    dax_type = _dax_type(column.text("dataType"), calculated, where, f"column '{table}'[{name}]")
    return _RawColumn(name, dax_type, column.text("sourceColumn") or name, column.default,
                      column.flag("isKey", False), column.where)


def _tmdl_table(table: _TmdlNode, raw: _RawModel) -> None:
    name = table.name or ""
    columns = [_tmdl_column(column, name) for column in table.of("column")]
    source, expression = name, None
    for partition in table.of("partition"):
        blocks = [child for child in partition.of("source") if child.name is None]
        entity = blocks[0].text("entityName") if blocks else None
        text = partition.text("source") or partition.text("expression")
        source, expression = _partition_source(name, partition.default or "m", text, entity)
        break
    policies = table.of("refreshpolicy")
    if source == name and expression is None and policies:  # incremental refresh
        source = _m_source(policies[0].text("sourceExpression") or "") or name
    if table.of("calculationgroup"):
        expression = CALCULATION_GROUP
    is_date = str(table.text("dataCategory") or "").lower() == "time"
    raw.tables.append(_RawTable(name, source, columns, is_date, expression, table.where))
    for measure in table.of("measure"):
        if measure.default is None or not measure.default.strip():
            raise measure.where.error(f"measure {measure.name} has no expression (measure Name = <DAX>)")
        raw.measures.append(_RawMeasure(measure.name or "", name, measure.default, measure.text("formatString"),
                                        measure.where))


def _tmdl_relationship(rel: _TmdlNode, raw: _RawModel) -> None:
    ends: list[str] = []
    for key in ("fromColumn", "toColumn"):
        found = rel.properties.get(key.lower())
        if found is None:
            raise rel.where.error(f"relationship {rel.name} has no {key}")

        def error(message: str, line: int = found.line) -> ModelSourceError:
            return ModelSourceError(rel.where.file, line, message)

        if isinstance(found.value, bool):
            raise error(f"{key} of relationship {rel.name} needs a value (Table.Column)")
        parts = _split_reference(found.value, error)
        if len(parts) != 2:
            raise error(f"{key} of relationship {rel.name} must be Table.Column, found {found.value!r}")
        ends += parts
    cardinality, swap = _cardinality(rel.text("fromCardinality"), rel.text("toCardinality"), rel.where)
    if swap:
        ends = ends[2:] + ends[:2]
    raw.relationships.append(_RawRelationship(*ends, rel.flag("isActive", True),
                                              _cross_filter(rel.text("crossFilteringBehavior"), rel.where),
                                              cardinality, rel.where))


def model_from_tmdl(folder: Path) -> EngineModel:
    """The model of a TMDL ``definition/`` folder, or of the ``*.SemanticModel`` folder that holds one.

    Every ``*.tmdl`` file below the folder is read; tables may be split across files (partial declarations)
    and are ordered by the ``ref table`` lines of ``model.tmdl``, then in file order.
    """
    definition = _definition_folder(Path(folder))
    files = sorted(definition.rglob("*.tmdl")) if definition.is_dir() else []
    if not files:
        raise ModelSourceError(folder, 0, "has no .tmdl files (expected a TMDL definition/ folder)")
    tables: dict[str, _TmdlNode] = {}
    order: list[str] = []
    relationships: list[_TmdlNode] = []
    roles: list[_TmdlNode] = []
    for path in files:
        text = _decode(_read_bytes(path), str(path))
        for node in _TmdlReader(text, str(path)).parse().children:
            keyword = node.keyword.lower()
            if keyword == "model":  # ``ref table`` lines are written at column 0; accept them indented too
                order += [ref.name.lower() for ref in node.children if ref.ref and ref.keyword.lower() == "table"
                          and ref.name]
            if keyword == "table" and node.ref and node.name:
                order.append(node.name.lower())
            if keyword == "table" and node.name and not (node.ref and not node.children and not node.properties):
                known = tables.get(node.name.lower())
                if known is None:
                    tables[node.name.lower()] = node
                else:
                    known.properties.update(node.properties)
                    known.children += node.children
            elif keyword == "relationship" and not node.ref:
                relationships.append(node)
            elif keyword == "role" and not node.ref and node.name:
                roles.append(node)
    raw = _RawModel()
    ranked = {name: rank for rank, name in enumerate(dict.fromkeys(order))}
    for table in sorted(tables.values(), key=lambda t: ranked.get((t.name or "").lower(), len(ranked))):
        _tmdl_table(table, raw)
    for rel in relationships:
        _tmdl_relationship(rel, raw)
    for role in roles:
        permissions = [(p.name or "", p.default, p.where) for p in role.of("tablepermission")
                       if p.default is not None and p.default.strip()]
        raw.roles.append(_RawRole(role.name or "", permissions, role.where))
    return _assemble(raw, f"TMDL {definition}", str(definition))


# --------------------------------------------------------------------------------------------------------------
# Choosing a source


ACCEPTED = ("a model.bim (TMSL JSON, .bim or .json), a .pbit template, a TMDL definition/ folder or the "
            "*.SemanticModel folder holding it, or a spec directory with a model/ folder")


def load_engine_model(path: Path | None, specs_dir: Path | None = None) -> EngineModel:
    """The model at ``path`` (see :data:`ACCEPTED`), or our YAML specs when ``path`` is None.

    ``specs_dir`` is the spec directory to use then (default: the one the CLI uses, ``MSP_CSAT_SPECS`` or the
    source tree).
    """
    from generator.spec.loader import load_model
    from generator.spec.locate import default_spec_dir, resolve_spec_dir

    if path is None:
        return model_from_spec(load_model(resolve_spec_dir(specs_dir) if specs_dir else default_spec_dir()))
    path = Path(path)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in (".bim", ".json"):
            return model_from_bim(path)
        if suffix == ".pbit":
            return _model_from_pbit(path)
        raise ToolError(f"{path}: cannot read a model from this file; expected {ACCEPTED}")
    if path.is_dir():
        definition = _definition_folder(path)
        if any(definition.glob("*.tmdl")) or any(definition.glob("tables/*.tmdl")):
            return model_from_tmdl(path)
        if (path / "model.bim").is_file():
            return model_from_bim(path / "model.bim")
        if (path / "model").is_dir():
            return model_from_spec(load_model(resolve_spec_dir(path)))
        raise ToolError(f"{path}: no model found in this folder; expected {ACCEPTED}")
    raise ToolError(f"{path}: no such file or folder; expected {ACCEPTED}")
