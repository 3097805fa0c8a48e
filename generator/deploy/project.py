"""The PBIP folder to deploy: its semantic models and reports, checked before anything is sent.

fabric-cicd publishes every folder holding a ``.platform`` file; here the same folders are read first so that
a problem — no semantic model, a report bound by path to a model that is not being deployed, a model without
the Server/Database parameters, a symbolic link that would upload a file from elsewhere — stops the deploy with
one sentence before the first request, rather than half-way through a publish.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from generator.deploy.errors import DeployError
from generator.powerbi.m import m_text

SEMANTIC_MODEL = "SemanticModel"
REPORT = "Report"
EXPRESSIONS = "definition/expressions.tmdl"
# `expression Name = meta [...]` lines of a TMDL expressions file that declare a parameter.
_PARAMETER_LINE = re.compile(r"(?m)^expression[ \t]+('(?:[^'\r\n]|'')+'|[^\s=']+)[ \t]*=.*IsParameterQuery\s*=\s*true")


@dataclass(frozen=True)
class Item:
    """One Fabric item folder: its type, display name and folder."""

    kind: str
    name: str
    folder: Path


@dataclass(frozen=True)
class Project:
    """The items of one PBIP folder that ``deploy`` publishes: semantic models first, then reports."""

    root: Path
    models: tuple[Item, ...]
    reports: tuple[Item, ...]

    @property
    def item_types(self) -> list[str]:
        """fabric-cicd's ``item_type_in_scope``."""
        return [SEMANTIC_MODEL] + ([REPORT] if self.reports else [])


@dataclass(frozen=True)
class Replacement:
    """One M parameter of one model and the text it gets: a regular expression whose one group is the current
    value (what fabric-cicd's ``find_replace`` with ``is_regex`` replaces) and the new value, escaped for M."""

    model: Item
    parameter: str
    current: str
    new: str
    pattern: str
    file_path: str


def read_project(root: Path) -> Project:
    """The semantic models and reports under ``root``; refuse what fabric-cicd would fail on half-way."""
    if not root.is_dir():
        raise DeployError(f"{root} is not a folder; run gen-measures build first or pass --out with the folder "
                          "that holds the .SemanticModel")
    items: dict[str, list[Item]] = {SEMANTIC_MODEL: [], REPORT: []}
    for platform in sorted(root.rglob(".platform")):
        kind, name = _platform(platform)
        if kind in items:
            _refuse_links(platform.parent, root)
            items[kind].append(Item(kind, name, platform.parent))
    for kind, found in items.items():
        names = [item.name for item in found]
        for name in sorted({n for n in names if names.count(n) > 1}):
            raise DeployError(f"two {kind} items in {root} are both called {name!r}; fabric-cicd publishes by name")
    if not items[SEMANTIC_MODEL]:
        raise DeployError(f"{root} holds no semantic model (a .SemanticModel folder with a .platform file); run "
                          "gen-measures build, or pass --out with your PBIP folder")
    models = tuple(items[SEMANTIC_MODEL])
    for report in items[REPORT]:
        _check_report_binding(report, models)
    return Project(root, models, tuple(items[REPORT]))


def _platform(path: Path) -> tuple[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        metadata, config = data["metadata"], data["config"]
        kind, name, logical_id = metadata["type"], metadata["displayName"], config["logicalId"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise DeployError(f"{path} is not a Fabric .platform file (JSON with metadata.type, metadata.displayName "
                          "and config.logicalId)") from None
    if not all(isinstance(v, str) and v.strip() for v in (kind, name, logical_id)):
        raise DeployError(f"{path}: metadata.type, metadata.displayName and config.logicalId must be non-empty text")
    return kind, name


def _refuse_links(folder: Path, root: Path) -> None:
    """Every file of an item is uploaded: a symbolic link would send whatever it points to."""
    for current, dirs, files in os.walk(folder):
        for entry in (*dirs, *files):
            path = Path(current, entry)
            if path.is_symlink():
                raise DeployError(f"{path.relative_to(root)} is a symbolic link; deploy uploads every file of an "
                                  "item and refuses links (replace it with the file itself)")


def _check_report_binding(report: Item, models: tuple[Item, ...]) -> None:
    pbir = report.folder / "definition.pbir"
    if not pbir.is_file():
        raise DeployError(f"report {report.name!r} has no definition.pbir in {report.folder}")
    try:
        reference = json.loads(pbir.read_text(encoding="utf-8")).get("datasetReference") or {}
    except (UnicodeDecodeError, ValueError, AttributeError):
        raise DeployError(f"{pbir} is not valid JSON") from None
    by_path = reference.get("byPath") if isinstance(reference, dict) else None
    if not by_path:
        return
    target = (report.folder / str(by_path.get("path", ""))).resolve()
    if not any(target == model.folder.resolve() for model in models):
        raise DeployError(f"report {report.name!r} is bound to {by_path.get('path')!r} ({pbir}), which is not a "
                          "semantic model in the folder being deployed; fabric-cicd would publish the model and "
                          "then fail on the report")


def _name_pattern(name: str) -> str:
    quoted = "'" + name.replace("'", "''") + "'"
    return f"(?:{re.escape(name)}|{re.escape(quoted)})" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) \
        else re.escape(quoted)


def declared_parameters(text: str) -> list[str]:
    """The names of the M parameters an expressions.tmdl declares (quotes removed)."""
    names = []
    for match in _PARAMETER_LINE.finditer(text):
        name = match.group(1)
        names.append(name[1:-1].replace("''", "'") if name.startswith("'") else name)
    return names


def plan_replacements(project: Project, values: dict[str, str]) -> list[Replacement]:
    """For every model, where each parameter of ``values`` (M parameter name → new text) is set; a model without
    one of them, or with a value that is not a one-line text literal, stops the deploy."""
    plan = []
    for model in project.models:
        expressions = model.folder / EXPRESSIONS
        if not expressions.is_file():
            raise DeployError(f"semantic model {model.name!r} has no {EXPRESSIONS} ({model.folder}); deploy sets the "
                              "connection through its M parameters, so save the model in TMDL format with them")
        text = expressions.read_text(encoding="utf-8-sig")
        for parameter, value in values.items():
            pattern = rf'(?m)^expression[ \t]+{_name_pattern(parameter)}[ \t]*=[ \t]*"((?:[^"\r\n]|"")+)"[ \t]+meta'
            matches = list(re.finditer(pattern, text))
            if len(matches) != 1:
                declared = ", ".join(declared_parameters(text)) or "none"
                raise DeployError(f"semantic model {model.name!r} has no M text parameter {parameter!r} with a value "
                                  f"in {expressions} (its parameters: {declared}); name yours under parameters: in "
                                  "the deploy config")
            relative = expressions.relative_to(project.root).as_posix()
            plan.append(Replacement(model, parameter, matches[0].group(1), m_text(value)[1:-1], pattern, relative))
    return plan


def parameter_file(plan: list[Replacement], environment: str) -> dict:
    """fabric-cicd's parameter.yml content: one regex ``find_replace`` per model and parameter, limited to that
    model's expressions.tmdl, replacing the literal's text for ``environment`` only."""
    return {"find_replace": [{"find_value": item.pattern, "replace_value": {environment: item.new},
                              "is_regex": "true", "item_type": SEMANTIC_MODEL, "item_name": item.model.name,
                              "file_path": item.file_path} for item in plan]}
