"""Find the spec directory (the folder holding ``model/``, ``measures/`` and ``sql/``)."""

from __future__ import annotations

import os
from pathlib import Path

from generator.errors import ToolError

PACKAGED_SPECS = Path(__file__).resolve().parent.parent / "_specs"
SOURCE_TREE = Path(__file__).resolve().parent.parent.parent


def default_spec_dir() -> Path:
    """``MSP_CSAT_SPECS`` if set, else the source tree of an editable install, else the packaged copy."""
    chosen = os.environ.get("MSP_CSAT_SPECS")
    if chosen:
        return resolve_spec_dir(Path(chosen))
    for candidate in (SOURCE_TREE, PACKAGED_SPECS):
        if (candidate / "model").is_dir():
            return candidate
    raise ToolError("cannot find the model specs: set MSP_CSAT_SPECS or pass --specs DIR")


def resolve_spec_dir(path: Path) -> Path:
    """Check that ``path`` holds a ``model/`` folder and return it resolved."""
    if not (path / "model").is_dir():
        raise ToolError(f"{path} has no model/ folder of YAML specs")
    return path.resolve()
