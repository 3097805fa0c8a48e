"""Rule suppressions the way Tabular Editor records them: the ``BestPracticeAnalyzer_IgnoreRules``
annotation (``{"RuleIDs": ["RULE_ID", ...]}``) on an object silences those rules for that object; on the
model it silences them everywhere. Our specs write it from ``lint_ignore:`` (with the reason kept in the
YAML), and a user's own model.bim edited in Tabular Editor carries it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from generator.findings import Finding
from generator.lint.modelview import OBJECT_TYPES, ModelView
from generator.powerbi.semantic import IGNORE_ANNOTATION
from generator.semantic.model import SemanticModel


def _ignored_rules(value: str) -> frozenset[str]:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return frozenset()
    rules = parsed.get("RuleIDs") if isinstance(parsed, dict) else None
    return frozenset(str(rule) for rule in rules) if isinstance(rules, list) else frozenset()


@dataclass(frozen=True)
class Suppressions:
    """Which rules are silenced model-wide and per (object type, object name)."""

    model_wide: frozenset[str]
    per_object: dict[tuple[str, str], frozenset[str]]

    def silences(self, finding: Finding) -> bool:
        """True when ``finding``'s rule is ignored for its object or for the whole model."""
        if finding.rule_id in self.model_wide:
            return True
        return finding.rule_id in self.per_object.get((finding.object_type, finding.object_name), frozenset())


def read_suppressions(database: SemanticModel | dict[str, Any]) -> Suppressions:
    """Every ignore annotation of the model and its objects."""
    view = ModelView(database)
    model_wide = _ignored_rules(view.model_object.annotations.get(IGNORE_ANNOTATION, ""))
    per_object: dict[tuple[str, str], frozenset[str]] = {}
    for obj in view.objects(tuple(OBJECT_TYPES)):
        value = obj.annotations.get(IGNORE_ANNOTATION)
        if value:
            key = (obj.object_type, obj.object_name)
            per_object[key] = per_object.get(key, frozenset()) | _ignored_rules(value)
    return Suppressions(model_wide, per_object)


def apply_suppressions(database: SemanticModel | dict[str, Any], findings: list[Finding]
                       ) -> tuple[list[Finding], list[Finding]]:
    """``findings`` split into (kept, silenced by an ignore annotation)."""
    suppressions = read_suppressions(database)
    kept = [finding for finding in findings if not suppressions.silences(finding)]
    silenced = [finding for finding in findings if suppressions.silences(finding)]
    return kept, silenced
