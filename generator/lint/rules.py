"""The rule type, the lint context and the registry every rule module adds its rules to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from generator.dax.lexer import Token
from generator.lint.daxindex import DaxIndex
from generator.lint.daxrefs import calls
from generator.lint.modelview import DaxObject, ModelView

# What a check yields per problem: (object type, object name, message).
Problem = tuple[str, str, str]


@dataclass(frozen=True)
class LintContext:
    """What the rules may know beyond the model: ``reference_measures`` are the names of the measures that
    have an independent reference implementation (``None``: not known, the rule that needs it is skipped)."""

    reference_measures: frozenset[str] | None = None


class Subject:
    """What a check gets: the model view, its DAX index and the lint context."""

    def __init__(self, model: ModelView, context: LintContext):
        self.model = model
        self.context = context

    @property
    def dax(self) -> DaxIndex:
        """The model's DAX index."""
        return self.model.dax

    def tokens(self, obj: DaxObject) -> list[Token]:
        """The expression's tokens (empty when it cannot be read; ``MSP_UNREADABLE_DAX`` reports that)."""
        return self.dax.tokens(obj) or []

    def calls(self, obj: DaxObject, *functions: str) -> list[int]:
        """Indexes of the ``(`` of each call to one of ``functions`` in the expression."""
        return list(calls(self.tokens(obj), *functions))

    def called(self, obj: DaxObject, *functions: str) -> list[str]:
        """The names (upper-case, sorted, distinct) of the ``functions`` the expression calls."""
        tokens = self.tokens(obj)
        return sorted({tokens[index - 1].value.upper() for index in self.calls(obj, *functions)})


Check = Callable[[Subject], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    """One lint rule: id, name, category and severity (1 info, 2 warning, 3 error) as in Tabular Editor's
    BPA rules (or ours), the object kinds it looks at, a description, a fix hint and the check."""

    id: str
    name: str
    category: str
    severity: int
    scope: tuple[str, ...]
    description: str
    hint: str
    check: Check


_REGISTRY: dict[str, Rule] = {}


def rule(*, id: str, name: str, category: str, severity: int, scope: str, description: str,
         hint: str) -> Callable[[Check], Check]:
    """Decorator that registers a check function as a rule. ``scope`` is a comma-separated list of kinds."""

    def register(check: Check) -> Check:
        if id in _REGISTRY:
            raise ValueError(f"rule {id} is registered twice")
        kinds = tuple(kind.strip() for kind in scope.split(",") if kind.strip())
        _REGISTRY[id] = Rule(id, name, category, severity, kinds, description, hint, check)
        return check

    return register


def registered_rules() -> list[Rule]:
    """Every registered rule, sorted by id."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
