"""``build --into X.SemanticModel --with-report``: the generated report written into the ``X.Report`` folder beside
a model someone owns, bound to that model by path.

A user's report is theirs: without ``--with-report`` no file of it is read or written. With it, the report's
pages (``definition/``) are replaced by the generated ones, the custom theme is registered beside them and a
PBIR-Legacy ``report.json`` is removed (a report holds one format); other files of the folder (``.platform``,
``.pbi/``, images under ``StaticResources/``) are kept.
"""

from __future__ import annotations

from pathlib import Path

from generator.output import refuse_paths_outside
from generator.powerbi.outputs import owned_report_files
from generator.powerbi.pbip import PBIR_SCHEMA, json_text
from generator.powerbi.pbir import report_definition
from generator.spec.report import Report


def report_folder(model_folder: Path) -> Path:
    """The ``X.Report`` folder beside ``X.SemanticModel``."""
    return model_folder.parent / f"{model_folder.name.removesuffix('.SemanticModel')}.Report"


def report_targets(report: Report, model_folder: Path) -> tuple[Path, dict[Path, bytes], list[Path]]:
    """The report folder, every file the generated report writes there (path → bytes) and the files it owns
    there. Refuses a path that a symbolic link leads outside the report folder."""
    folder = report_folder(model_folder)
    documents = dict(report_definition(report))
    documents["definition.pbir"] = {"$schema": PBIR_SCHEMA, "version": "4.0",
                                    "datasetReference": {"byPath": {"path": f"../{model_folder.name}"}}}
    targets = {folder / path: json_text(document).encode("utf-8") for path, document in documents.items()}
    owned = owned_report_files(folder)
    refuse_paths_outside(folder, [*targets, *owned], "the report folder")
    return folder, targets, owned
