"""Run the lint rules over a semantic model (the IR of :mod:`generator.semantic`, whatever format it came from)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.errors import ToolError
from generator.findings import Finding, sort_findings
from generator.lint import (  # noqa: F401  (importing a rule module registers its rules)
    bpa_dax,
    bpa_errors,
    bpa_formatting,
    bpa_maintenance,
    bpa_naming,
    bpa_performance,
    own,
    security,
)
from generator.lint.modelview import ModelView
from generator.lint.rules import LintContext, Rule, Subject, registered_rules
from generator.lint.unported import UNPORTED
from generator.semantic.load import read_model
from generator.semantic.model import SemanticModel
from generator.semantic.tmsl import read_bim


def all_rules() -> list[Rule]:
    """Every rule the linter runs by default, sorted by id."""
    return registered_rules()


def select_rules(ids: Iterable[str] | None) -> list[Rule]:
    """The rules with the given ids (case-insensitive), or all rules for ``None``.

    Raises :class:`ToolError` naming every id that is unknown or not ported (with the reason).
    """
    rules = all_rules()
    if ids is None:
        return rules
    by_id = {r.id.casefold(): r for r in rules}
    unported = {key.casefold(): (key, reason) for key, reason in UNPORTED.items()}
    chosen: dict[str, Rule] = {}
    problems = []
    for wanted in ids:
        key = wanted.strip().casefold()
        if key in by_id:
            chosen[by_id[key].id] = by_id[key]
        elif key in unported:
            rule_id, reason = unported[key]
            problems.append(f"rule {rule_id} is not ported: {reason.rstrip('.')}")
        else:
            problems.append(f"unknown rule id {wanted!r}")
    if problems:
        raise ToolError("; ".join(problems) + ".")
    return [chosen[key] for key in sorted(chosen)]


def lint_database(model: SemanticModel | dict[str, Any], *, rules: Iterable[str] | None = None,
                  context: LintContext | None = None) -> list[Finding]:
    """Run the rules (all, or those with the given ids) over a model and return the findings, sorted by
    severity (highest first), rule id, object and message. Each finding carries the file and line its object
    was read from (none for a model that was not read from a file).

    ``model`` is the semantic-model IR (:mod:`generator.semantic`) or a TMSL database dict (read with the
    TMSL reader first)."""
    if not isinstance(model, SemanticModel) and (not isinstance(model, dict)
                                                 or not isinstance(model.get("model"), dict)):
        raise ToolError("not a TMSL database: the JSON has no \"model\" object.")
    view = ModelView(model)
    subject = Subject(view, context or LintContext())
    findings: dict[Finding, None] = {}
    for selected in select_rules(rules):
        for object_type, object_name, message in selected.check(subject):
            where = view.location_of(object_type, object_name)
            findings[Finding(selected.id, selected.severity, object_type, object_name, message, selected.hint,
                             file=where.file if where else None, line=where.line or None if where else None)] = None
    return sort_findings(findings)


def load_model(path: str | Path) -> SemanticModel:
    """The model at ``path`` for linting: a model.bim (UTF-8 or UTF-16), a .pbit, a TMDL folder or a spec
    directory, read by the same readers as ``query --model`` (:func:`generator.semantic.load.read_model`)."""
    return read_model(path)


def load_bim(path: str | Path) -> SemanticModel:
    """The IR of a ``model.bim`` (TMSL JSON; UTF-8 with or without BOM, or UTF-16 with BOM)."""
    return read_bim(path)
