"""The validated specs as a TOM database: the dictionary shape of a TMSL ``model.bim``.

Every Power BI output serialises this dictionary (model.bim, TMDL, the .pbit's DataModelSchema). It is
written from the semantic-model IR: the spec reader (:func:`generator.semantic.spec.from_spec`) decides what
the model holds, the TMSL writer (:func:`generator.semantic.tom.to_database`) how TOM spells it.
"""

from __future__ import annotations

from typing import Any

from generator.powerbi.connections import DEFAULT_CONNECTION, Connection
from generator.powerbi.m import m_text
from generator.semantic.spec import (
    COMPATIBILITY_LEVEL,
    CULTURE,
    DATASET_NAME,
    GENERATED_ANNOTATION,
    IGNORE_ANNOTATION,
    from_spec,
    partition_expression,
    relationship_name,
)
from generator.semantic.tom import to_database
from generator.spec.model import Model

__all__ = ["COMPATIBILITY_LEVEL", "CULTURE", "DATASET_NAME", "GENERATED_ANNOTATION", "IGNORE_ANNOTATION", "m_text",
           "partition_expression", "relationship_name", "semantic_model"]


def semantic_model(model: Model, connection: Connection = DEFAULT_CONNECTION) -> dict[str, Any]:
    """The TOM database (TMSL ``model.bim`` shape) of the model's BI_ tables, relationships and measures, its
    partitions and parameters written for ``connection`` (SQL Server by default)."""
    return to_database(from_spec(model, connection))
