"""The YAML-spec reader: a validated :class:`generator.spec.model.Model` → the IR.

The specs describe more than the semantic model (staging and ETL tables, SQL types, parameters); the IR holds
what Power BI sees: the BI_ tables, their relationships, measures and roles, exactly as the TOM writer
(:func:`generator.powerbi.semantic.semantic_model`) writes them for the default connection. That TOM database
is read with the TMSL reader, every object located at its spec declaration instead of a JSON position, which
makes the spec IR equal to the IR of the model.bim built from the same specs, by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.semantic.location import Location
from generator.semantic.model import SemanticModel, key
from generator.semantic.tmsl import from_database

if TYPE_CHECKING:
    from generator.spec.model import Model

SPEC_LABEL = "model/"


def _origins(database: dict[str, Any], model: Model) -> dict[int, Location]:
    """The spec location of each object of the TOM database, by the object's identity."""
    found: dict[int, Location] = {}
    tables = {key(t.name): t for t in model.semantic_tables}
    measures = {key(m.name): m for m in model.measures}
    for table in database["model"].get("tables", []):
        spec = tables.get(key(table["name"]))
        if spec is None:
            continue
        found[id(table)] = Location(spec.origin.file, spec.origin.line)
        columns = {key(c.name): c for c in spec.columns}
        for column in table.get("columns", []):
            if (origin := columns.get(key(column["name"]))) is not None:
                found[id(column)] = Location(origin.origin.file, origin.origin.line)
        for measure in table.get("measures", []):
            if (origin := measures.get(key(measure["name"]))) is not None:
                found[id(measure)] = Location(origin.origin.file, origin.origin.line)
    ends = {(key(r.from_table), key(r.from_column), key(r.to_table), key(r.to_column)): r
            for r in model.relationships}
    for rel in database["model"].get("relationships", []):
        spec_rel = ends.get((key(rel["fromTable"]), key(rel["fromColumn"]), key(rel["toTable"]),
                             key(rel["toColumn"])))
        if spec_rel is not None:
            found[id(rel)] = Location(spec_rel.origin.file, spec_rel.origin.line)
    roles = {key(r.name): r for r in model.roles}
    for role in database["model"].get("roles", []):
        spec_role = roles.get(key(role["name"]))
        if spec_role is None:
            continue
        found[id(role)] = Location(spec_role.origin.file, spec_role.origin.line)
        for permission in role.get("tablePermissions", []):
            if (origin := spec_role.permission(permission["name"])) is not None:
                found[id(permission)] = Location(origin.origin.file, origin.origin.line)
    return found


def from_spec(model: Model) -> SemanticModel:
    """The IR of the specs' semantic model, every object located at its spec declaration."""
    from generator.powerbi.semantic import semantic_model

    database = semantic_model(model)
    origins = _origins(database, model)
    default = Location(SPEC_LABEL)
    return from_database(database, SPEC_LABEL, lambda obj: origins.get(id(obj), default))
