"""Build the engine's :class:`~generator.engine.model.EngineModel` from the semantic-model IR.

The formats are read by :mod:`generator.semantic` (one reader per format, one place for TOM's defaults);
this module only binds the IR to what the engine needs and refuses what it cannot evaluate:

* :func:`model_from_ir` — the IR of any format; :func:`model_from_spec`, :func:`model_from_bim`,
  :func:`model_from_tmdl` and :func:`load_engine_model` read a format first.

What is taken from the IR:

* tables with their columns; a column's ``source`` is its ``sourceColumn`` (default: its name), a table's
  ``source`` the SQL table its first partition navigates to (``Item = "X"`` in the M query, or
  ``Name = "X", Kind = "Table"``, or a Direct Lake partition's ``entityName``, or an incremental-refresh
  policy's ``sourceExpression``), else the table's name; the schema is not kept;
* calculated columns and calculated tables keep their DAX in ``expression`` (evaluated by
  :mod:`generator.engine.derived`); a calculation-group table gets :data:`CALCULATION_GROUP` as its expression
  and its items (name, expression, ordinal, format string expression) and precedence;
* data types: ``int64``, ``double``, ``decimal``, ``string``, ``boolean``, ``dateTime``; ``binary``,
  ``variant``, ``automatic`` and ``unknown`` become :attr:`DaxType.VARIANT`; a missing ``dataType`` is
  STRING on a data column (Power Query's untyped columns load as text) and VARIANT on a calculated column;
* the date table: a table with ``dataCategory: Time``; its key is the column marked ``isKey``, else its
  first date/time column;
* relationships: active flag, cross-filtering (``oneDirection`` and ``automatic`` → ``single``,
  ``bothDirections`` → ``both``) and cardinality (one / many is turned round so that ``from`` is always the
  many side; ``none`` is refused);
* measures with their DAX, format string and origin (``file:line``);
* roles (row-level security): each role's table permissions that have a row filter.

Names are kept as declared; relationship and measure references to them are matched case-insensitively and
stored in the declared spelling. Duplicate tables, columns, measures or roles, relationships naming a table or
column that does not exist, a measure without DAX and a role filtering a missing table are refused with
:class:`ModelSourceError` (a :class:`~generator.errors.ToolError`, exit code 2) whose message starts with
``file:line:``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from generator.engine.model import (
    CALCULATION_GROUP,
    EngineCalculationGroup,
    EngineCalculationItem,
    EngineColumn,
    EngineMeasure,
    EngineModel,
    EngineRelationship,
    EngineRole,
    EngineTable,
    EngineTablePermission,
)
from generator.engine.values import MODEL_TYPES, DaxType
from generator.semantic import tmdl, tmsl
from generator.semantic.load import ACCEPTED, locate_model, read_source
from generator.semantic.location import Location, ModelSourceError
from generator.semantic.model import (
    Cardinality,
    Column,
    ColumnKind,
    CrossFilter,
    DataType,
    SemanticModel,
    Table,
    key,
)

if TYPE_CHECKING:
    from generator.spec.model import Model

__all__ = ["ACCEPTED", "CALCULATION_GROUP", "ModelSourceError", "load_engine_model", "model_from_bim",
           "model_from_ir", "model_from_spec", "model_from_tmdl"]

_M_STRING = r'"((?:[^"]|"")*)"'
_M_ITEM = re.compile(r"\bItem\s*=\s*" + _M_STRING)
_M_NAMED_TABLE = re.compile(r"\[\s*Name\s*=\s*" + _M_STRING + r'\s*,\s*Kind\s*=\s*"(?:Table|View)"\s*\]')
_CARDINALITIES = {(Cardinality.MANY, Cardinality.ONE): "many_to_one", (Cardinality.ONE, Cardinality.ONE): "one_to_one",
                  (Cardinality.MANY, Cardinality.MANY): "many_to_many"}


def _m_source(expression: str) -> str | None:
    """The table an M query navigates to: the last ``Item = "X"``, else ``[Name = "X", Kind = "Table"]``."""
    items = _M_ITEM.findall(expression) or _M_NAMED_TABLE.findall(expression)
    return items[-1].replace('""', '"') if items else None


def _source(table: Table) -> tuple[str, str | None]:
    """(SQL source, calculated-table expression) of a table."""
    source, expression = table.name, None
    if table.partitions:
        partition = table.partitions[0]
        kind = partition.source_type or "m"
        if kind == "calculated":
            expression = partition.expression
        elif kind == "calculationgroup":
            expression = CALCULATION_GROUP
        elif kind == "entity" and partition.entity_name:
            source = partition.entity_name
        elif kind == "m" and partition.expression:
            source = _m_source(partition.expression) or table.name
    if source == table.name and expression is None and table.refresh_source_expression is not None:
        source = _m_source(table.refresh_source_expression) or table.name  # incremental refresh
    if table.calculation_group is not None:
        expression = CALCULATION_GROUP
    return source, expression


def _dax_type(column: Column) -> DaxType:
    calculated = column.kind is ColumnKind.CALCULATED
    if column.data_type is None:
        return DaxType.VARIANT if calculated else DaxType.STRING
    if column.data_type in (DataType.BINARY, DataType.VARIANT, DataType.AUTOMATIC, DataType.UNKNOWN):
        return DaxType.VARIANT
    return MODEL_TYPES[column.data_type.value.lower()]


_Named = TypeVar("_Named", Column, Table)


def _by_name(objects: Sequence[_Named], describe: Callable[[_Named], str]) -> dict[str, _Named]:
    """``objects`` by case-insensitive name; the second of two with one name is refused at its location."""
    seen: dict[str, _Named] = {}
    for obj in objects:
        if key(obj.name) in seen:
            raise obj.location.error(f"{describe(obj)} is declared twice "
                                     f"(first at {seen[key(obj.name)].location.file_line})")
        seen[key(obj.name)] = obj
    return seen


def _table(table: Table) -> EngineTable:
    _by_name(table.columns, lambda column: f"column '{table.name}'[{column.name}]")
    date_column = None
    if table.is_date_table:
        keys = ([c for c in table.columns if c.is_key]
                or [c for c in table.columns if c.data_type is DataType.DATETIME])
        date_column = keys[0].name if keys else None
    source, expression = _source(table)
    columns = tuple(EngineColumn(c.name, _dax_type(c), c.source_column or c.name,
                                 c.expression if c.kind is ColumnKind.CALCULATED else None) for c in table.columns)
    group = None
    if table.calculation_group is not None:
        group = EngineCalculationGroup(table.calculation_group.precedence, tuple(
            EngineCalculationItem(i.name, i.expression, i.ordinal, i.format_string_expression)
            for i in table.calculation_group.items))
    return EngineTable(table.name, source, columns, date_column, expression, group)


def model_from_ir(model: SemanticModel, description: str, label: str) -> EngineModel:
    """The engine's model of an IR; ``label`` names the whole model in messages that have no better place."""
    seen = _by_name(model.tables, lambda table: f"table '{table.name}'")
    tables = [_table(table) for table in model.tables]
    if not tables:
        raise ModelSourceError(Location(label), "the model has no tables")

    def column_of(table_name: str, column_name: str, where: Location) -> tuple[str, str]:
        found = seen.get(key(table_name))
        if found is None:
            raise where.error(f"relationship refers to table '{table_name}', which is not in the model")
        column = found.column(column_name)
        if column is None:
            raise where.error(f"relationship refers to column '{found.name}'[{column_name}], which is not in the "
                              "model")
        return found.name, column.name

    relationships = []
    for rel in model.relationships:
        ends = (rel.from_cardinality, rel.to_cardinality)
        swap = ends == (Cardinality.ONE, Cardinality.MANY)
        cardinality = "many_to_one" if swap else _CARDINALITIES.get(ends)
        if cardinality is None:
            raise rel.location.error(f"relationship has cardinality {ends[0].value} to {ends[1].value}; expected "
                                     "one or many at each end")
        from_end = column_of(rel.from_table, rel.from_column, rel.location)
        to_end = column_of(rel.to_table, rel.to_column, rel.location)
        if swap:
            from_end, to_end = to_end, from_end
        cross = "both" if rel.cross_filtering is CrossFilter.BOTH_DIRECTIONS else "single"
        relationships.append(EngineRelationship(*from_end, *to_end, rel.is_active, cross, cardinality))
    measures = []
    first: dict[str, Location] = {}
    for table in model.tables:
        for measure in table.measures:
            if key(measure.name) in first:
                raise measure.location.error(f"measure [{measure.name}] is declared twice "
                                             f"(first at {first[key(measure.name)].file_line})")
            first[key(measure.name)] = measure.location
            if not measure.expression.strip():
                raise measure.location.error(f"measure [{measure.name}] has no expression")
            measures.append(EngineMeasure(measure.name, seen[key(table.name)].name, measure.expression,
                                          measure.format_string or None, measure.location.file_line,
                                          measure.expression_location))
    return EngineModel(tuple(tables), tuple(relationships), tuple(measures), description, _roles(model, seen))


def _roles(model: SemanticModel, tables: dict[str, Table]) -> tuple[EngineRole, ...]:
    roles: dict[str, EngineRole] = {}
    for role in model.roles:
        if key(role.name) in roles:
            raise role.location.error(f"role '{role.name}' is declared twice (first at "
                                      f"{roles[key(role.name)].origin})")
        permissions: dict[str, EngineTablePermission] = {}
        for permission in role.table_permissions:
            if not permission.filter_expression.strip():
                continue  # no row filter: the table is not restricted (object-level security only)
            found = tables.get(key(permission.table))
            where = permission.location
            if found is None:
                raise where.error(f"role '{role.name}' filters table '{permission.table}', which is not in the "
                                  "model")
            if key(found.name) in permissions:
                raise where.error(f"role '{role.name}' filters table '{found.name}' twice")
            permissions[key(found.name)] = EngineTablePermission(found.name, permission.filter_expression,
                                                                 where.file_line)
        roles[key(role.name)] = EngineRole(role.name, tuple(permissions.values()), role.location.file_line)
    return tuple(roles.values())


def model_from_spec(model: Model) -> EngineModel:
    """The semantic (BI_) tables, relationships, measures and roles of our validated YAML specs."""
    from generator.semantic.spec import from_spec

    return model_from_ir(from_spec(model), "the YAML specs (model/, measures/)", "model/")


def model_from_bim(path: Path) -> EngineModel:
    """The model of a TMSL ``model.bim`` (or a bare model object, or a create/createOrReplace script)."""
    return model_from_ir(tmsl.read_bim(path), f"model.bim {path}", str(path))


def model_from_tmdl(folder: Path) -> EngineModel:
    """The model of a TMDL ``definition/`` folder, or of the ``*.SemanticModel`` folder that holds one."""
    definition = tmdl.definition_folder(Path(folder))
    return model_from_ir(tmdl.read_tmdl(folder), f"TMDL {definition}", str(definition))


def load_engine_model(path: Path | None, specs_dir: Path | None = None) -> EngineModel:
    """The model at ``path`` (see :data:`ACCEPTED`), or our YAML specs when ``path`` is None.

    ``specs_dir`` is the spec directory to use then (default: the one the CLI uses, ``MSP_CSAT_SPECS`` or the
    source tree).
    """
    from generator.spec.loader import load_model
    from generator.spec.locate import default_spec_dir, resolve_spec_dir

    if path is None:
        return model_from_spec(load_model(resolve_spec_dir(specs_dir) if specs_dir else default_spec_dir()))
    source = locate_model(path)
    return model_from_ir(read_source(source), source.description, source.label)
