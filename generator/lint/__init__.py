"""``gen-measures lint``: Tabular Editor's Best Practice Analyzer rules and our own, over the semantic model
(:mod:`generator.semantic`), whichever format it was read from.

Public API: :func:`lint_database`, :func:`load_model`, :func:`load_bim`, :class:`LintContext`, :class:`Rule`,
:func:`all_rules`, :func:`select_rules` and :data:`UNPORTED` (BPA rules not ported, with the reason).
"""

from __future__ import annotations

from generator.lint.engine import all_rules, lint_database, load_bim, load_model, select_rules
from generator.lint.rules import LintContext, Rule
from generator.lint.unported import UNPORTED

__all__ = ["UNPORTED", "LintContext", "Rule", "all_rules", "lint_database", "load_bim", "load_model", "select_rules"]
