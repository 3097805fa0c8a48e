"""Pick the reader for a path: a model.bim (or TMSL .json), a .pbit, a TMDL folder or a spec directory.

Every command that takes ``--model`` (``query``, ``lint``) reads it through :func:`read_model`, so they accept
the same formats and see the same model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.errors import ToolError
from generator.semantic.model import SemanticModel
from generator.semantic.tmdl import definition_folder, read_tmdl
from generator.semantic.tmsl import read_bim, read_pbit

ACCEPTED = ("a model.bim (TMSL JSON, .bim or .json), a .pbit template, a TMDL definition/ folder or the "
            "*.SemanticModel folder holding it, or a spec directory with a model/ folder")


@dataclass(frozen=True)
class ModelSource:
    """A model found at a path: its format (``bim``, ``pbit``, ``tmdl`` or ``spec``), the file or folder to read,
    a description for reports and a label naming the whole model in messages."""

    format: str
    path: Path
    description: str
    label: str


def locate_model(path: Path | str) -> ModelSource:
    """What kind of model is at ``path`` (see :data:`ACCEPTED`); :class:`ToolError` when none is."""
    path = Path(path)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in (".bim", ".json"):
            return ModelSource("bim", path, f"model.bim {path}", str(path))
        if suffix == ".pbit":
            return ModelSource("pbit", path, f".pbit {path}", f"{path}!DataModelSchema")
        raise ToolError(f"{path}: cannot read a model from this file; expected {ACCEPTED}")
    if path.is_dir():
        definition = definition_folder(path)
        if any(definition.glob("*.tmdl")) or any(definition.glob("tables/*.tmdl")):
            return ModelSource("tmdl", path, f"TMDL {definition}", str(definition))
        if (path / "model.bim").is_file():
            return locate_model(path / "model.bim")
        if (path / "model").is_dir():
            return ModelSource("spec", path, "the YAML specs (model/, measures/)", "model/")
        raise ToolError(f"{path}: no model found in this folder; expected {ACCEPTED}")
    raise ToolError(f"{path}: no such file or folder; expected {ACCEPTED}")


def read_source(source: ModelSource) -> SemanticModel:
    """The IR of a located model."""
    if source.format == "bim":
        return read_bim(source.path)
    if source.format == "pbit":
        return read_pbit(source.path)
    if source.format == "tmdl":
        return read_tmdl(source.path)
    from generator.semantic.spec import from_spec
    from generator.spec.loader import load_model
    from generator.spec.locate import resolve_spec_dir

    return from_spec(load_model(resolve_spec_dir(source.path)))


def read_model(path: Path | str) -> SemanticModel:
    """The IR of the model at ``path`` (see :data:`ACCEPTED`)."""
    return read_source(locate_model(path))
