"""Build the extractor a ``--source`` names. The API clients are imported only when asked for."""

from __future__ import annotations

import importlib
from pathlib import Path

from generator.errors import ToolError
from generator.load.plan import SOURCES
from generator.sources.base import Extractor

API_CLIENTS = {
    "autotask-api": ("generator.sources.autotask_api", "AutotaskApiExtractor"),
    "smileback-api": ("generator.sources.smileback_api", "SmileBackApiExtractor"),
}


def make_extractor(source: str, paths: list[Path], mapping_path: Path) -> Extractor:
    """The extractor for ``source``; ToolError when the source or its arguments are wrong."""
    if source not in SOURCES:
        raise ToolError(f"unknown --source {source!r}; choose one of {', '.join(SOURCES)}")
    if source.endswith("-csv"):
        if not paths:
            raise ToolError(f"--source {source} needs --path: the export folder or file(s)")
        from generator.sources.csv_exports import CsvExtractor
        from generator.sources.csv_mapping import load_mapping

        return CsvExtractor(source, paths, load_mapping(mapping_path))
    if paths:
        raise ToolError(f"--source {source} reads the API; --path is only for the CSV sources")
    module_name, class_name = API_CLIENTS[source]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise ToolError(f"--source {source} is not available in this version (no {module_name})") from None
        raise
    return getattr(module, class_name).from_environment()
