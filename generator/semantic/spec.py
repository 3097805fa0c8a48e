"""The YAML-spec reader: a validated :class:`generator.spec.model.Model` → the IR.

The specs describe more than the semantic model (staging and ETL tables, SQL types, parameters); the IR holds
what Power BI sees: the BI_ tables, their relationships, measures and roles, exactly as the TOM writer
(:func:`generator.powerbi.semantic.semantic_model`) writes them for the default connection. Reading that TOM
database with the TMSL reader and then giving every object the location of its spec declaration makes the
spec IR equal to the IR of the model.bim built from the same specs, by construction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from generator.semantic.location import Location
from generator.semantic.model import SemanticModel, Table, key
from generator.semantic.tmsl import from_database

if TYPE_CHECKING:
    from generator.spec.model import Model, Origin


def _at(origin: Origin) -> Location:
    return Location(origin.file, origin.line)


def _table(table: Table, model: Model) -> Table:
    spec = next((t for t in model.semantic_tables if key(t.name) == key(table.name)), None)
    if spec is None:
        return table
    columns = {key(c.name): c for c in spec.columns}
    measures = {key(m.name): m for m in model.measures}
    return replace(
        table, location=_at(spec.origin),
        columns=tuple(replace(c, location=_at(columns[key(c.name)].origin)) if key(c.name) in columns else c
                      for c in table.columns),
        measures=tuple(replace(m, location=_at(measures[key(m.name)].origin)) if key(m.name) in measures else m
                       for m in table.measures))


def from_spec(model: Model) -> SemanticModel:
    """The IR of the specs' semantic model, every object located at its spec declaration."""
    from generator.powerbi.semantic import semantic_model

    ir = from_database(semantic_model(model), "model/")
    relationships = {(key(r.from_table), key(r.from_column), key(r.to_table), key(r.to_column)): r
                     for r in model.relationships}
    roles = {key(r.name): r for r in model.roles}
    located_roles = []
    for role in ir.roles:
        spec = roles.get(key(role.name))
        if spec is None:
            located_roles.append(role)
            continue
        permissions = tuple(replace(p, location=_at(found.origin)) if (found := spec.permission(p.table)) else p
                            for p in role.table_permissions)
        located_roles.append(replace(role, table_permissions=permissions, location=_at(spec.origin)))
    located_relationships = []
    for rel in ir.relationships:
        spec_rel = relationships.get((key(rel.from_table), key(rel.from_column), key(rel.to_table),
                                      key(rel.to_column)))
        located_relationships.append(replace(rel, location=_at(spec_rel.origin)) if spec_rel else rel)
    return replace(ir, tables=tuple(_table(t, model) for t in ir.tables),
                   relationships=tuple(located_relationships), roles=tuple(located_roles),
                   location=Location("model/"))
