"""Run the lint rules over a TMSL database and read a user's ``model.bim``."""

from __future__ import annotations

import codecs
import json
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


def lint_database(database: dict[str, Any], *, rules: Iterable[str] | None = None,
                  context: LintContext | None = None) -> list[Finding]:
    """Run the rules (all, or those with the given ids) over a TMSL database dict and return the findings,
    sorted by severity (highest first), rule id, object and message."""
    if not isinstance(database, dict) or not isinstance(database.get("model"), dict):
        raise ToolError("not a TMSL database: the JSON has no \"model\" object.")
    subject = Subject(ModelView(database), context or LintContext())
    findings: dict[Finding, None] = {}
    for selected in select_rules(rules):
        for object_type, object_name, message in selected.check(subject):
            findings[Finding(selected.id, selected.severity, object_type, object_name, message, selected.hint)] = None
    return sort_findings(findings)


def load_bim(path: str | Path) -> dict[str, Any]:
    """Read a ``model.bim`` (TMSL database JSON; UTF-8 with or without BOM, or UTF-16 with BOM).

    Raises :class:`ToolError` naming the file when it cannot be read, is not JSON or is not a TMSL database.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise ToolError(f"{file}: cannot read the model: {error.strerror or error}.") from error
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ToolError(f"{file}: not UTF-8 text (byte {error.start}).") from error
    try:
        database = json.loads(text)
    except json.JSONDecodeError as error:
        raise ToolError(f"{file}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}.") from error
    if not isinstance(database, dict) or not isinstance(database.get("model"), dict):
        raise ToolError(f"{file}: not a model.bim: the JSON has no \"model\" object.")
    return database
