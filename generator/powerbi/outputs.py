"""All build outputs in memory, writing them atomically, and comparing them with what is on disk.

``build`` renders every file first (nothing is written if anything fails), then stages each new file as a
temporary file beside its target, and only when every file is staged renames them into place; a failure
while staging removes the temporary files and leaves the previous outputs as they were. Files the
generator owns that are no longer produced (a table removed from the specs) are deleted after the swap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.output import refuse_paths_outside, write_files_atomically
from generator.powerbi.bim import bim_json
from generator.powerbi.connections import DEFAULT_CONNECTION, Connection
from generator.powerbi.diff import describe_difference
from generator.powerbi.docs import measures_markdown
from generator.powerbi.pbip import project_files
from generator.powerbi.pbit import pbit_bytes
from generator.powerbi.semantic import DATASET_NAME, semantic_model
from generator.powerbi.tmdl import definition_files
from generator.spec.model import Model
from generator.spec.report import EMPTY_REPORT


@dataclass(frozen=True)
class Outputs:
    """Every generated file: paths relative to the output folder (``powerbi/``) and the docs page."""

    files: dict[str, bytes]
    docs: bytes

    def targets(self, out_dir: Path, docs_path: Path) -> dict[Path, bytes]:
        """Absolute target path → content."""
        found = {out_dir / relative: content for relative, content in self.files.items()}
        found[docs_path] = self.docs
        return found


def render_outputs(model: Model, connection: Connection = DEFAULT_CONNECTION) -> Outputs:
    """Render every output of ``model`` in memory, its partitions and parameters written for ``connection``."""
    database = semantic_model(model, connection)
    report = model.report or EMPTY_REPORT
    texts = project_files(DATASET_NAME, definition_files(database), report)
    texts["model.bim"] = bim_json(database)
    files = {path: text.encode("utf-8") for path, text in texts.items()}
    files[f"{DATASET_NAME}.pbit"] = pbit_bytes(database, report)
    return Outputs(files=dict(sorted(files.items())), docs=measures_markdown(model).encode("utf-8"))


def owned_files(out_dir: Path) -> list[Path]:
    """Files under ``out_dir`` the generator owns: the TMDL definition folder, the report (see
    :func:`owned_report_files`) and its registered theme (Desktop's own files elsewhere in the project, like
    ``.pbi/localSettings.json``, are left alone)."""
    definition = out_dir / f"{DATASET_NAME}.SemanticModel" / "definition"
    resources = out_dir / f"{DATASET_NAME}.Report" / "StaticResources" / "RegisteredResources"
    found = [*owned_report_files(out_dir / f"{DATASET_NAME}.Report"),
             *(path for folder, pattern in ((definition, "*.tmdl"), (resources, "*.json")) if folder.is_dir()
               for path in folder.rglob(pattern))]
    return sorted(path for path in found if path.is_file())


def owned_report_files(report_dir: Path) -> list[Path]:
    """The report's pages and visuals (``definition/**/*.json``) and the PBIR-Legacy ``report.json`` that
    earlier versions wrote (a report holds one format or the other)."""
    definition = report_dir / "definition"
    found = [*(definition.rglob("*.json") if definition.is_dir() else ()), report_dir / "report.json"]
    return sorted(path for path in found if path.is_file())


def write_outputs(outputs: Outputs, out_dir: Path, docs_path: Path,
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every output atomically (see the module docstring); returns the files that changed.

    Refuses (:class:`ToolError`, nothing written) when a symbolic link inside ``out_dir`` would make an output
    land outside it."""
    targets = outputs.targets(out_dir, docs_path)
    inside = [*(out_dir / relative for relative in outputs.files), *owned_files(out_dir)]
    if docs_path.is_relative_to(out_dir):
        inside.append(docs_path)
    refuse_paths_outside(out_dir, inside, "the output folder")
    return sync_files(targets, owned_files(out_dir), out_dir, progress)


def sync_files(targets: dict[Path, bytes], owned: list[Path], root: Path,
               progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the ``targets`` that differ as one atomic set, then remove the ``owned`` files no target replaces
    (and folders under ``root`` they leave empty); returns the files that changed."""
    changed = [path for path, content in targets.items() if not path.is_file() or path.read_bytes() != content]
    write_files_atomically({path: targets[path] for path in changed}, progress)
    for stale in sorted(set(owned) - set(targets)):
        stale.unlink()
        _remove_empty_folders(stale.parent, root)
        changed.append(stale)
        if progress:
            progress(f"{stale} (removed)")
    return changed


def _remove_empty_folders(folder: Path, out_dir: Path) -> None:
    """Remove ``folder`` and its parents while they are empty, below ``out_dir`` (a report page that is gone
    leaves no empty ``pages/<page>/visuals/<visual>`` folders for Desktop to trip over)."""
    while folder != out_dir and folder.is_relative_to(out_dir) and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


@dataclass(frozen=True)
class StaleFile:
    """A committed output that differs from what the specs generate."""

    path: str
    reason: str  # "missing", "differs", "not generated"
    detail: str


def compare_outputs(outputs: Outputs, out_dir: Path, docs_path: Path, root: Path) -> list[StaleFile]:
    """Every output that is missing, differs from the specs' output, or is an owned file no longer generated."""
    return compare_files(outputs.targets(out_dir, docs_path), owned_files(out_dir), root)


def compare_files(targets: dict[Path, bytes], owned: list[Path], root: Path,
                  hint: str = "run gen-measures build") -> list[StaleFile]:
    """Every target missing or different on disk, and every ``owned`` file no target replaces; paths shown
    relative to ``root``."""
    found = []
    for path, content in targets.items():
        shown = shown_path(path, root)
        if not path.is_file():
            found.append(StaleFile(shown, "missing", f"not on disk; {hint}"))
        else:
            current = path.read_bytes()
            if current != content:
                found.append(StaleFile(shown, "differs", describe_difference(current, content, path.name)))
    for extra in sorted(set(owned) - set(targets)):
        found.append(StaleFile(shown_path(extra, root), "not generated", "no spec produces this file any more"))
    return sorted(found, key=lambda stale: stale.path)


def shown_path(path: Path, root: Path) -> str:
    """``path`` as reports show it: relative to ``root`` when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
