"""The jinja2 environment that renders the strings of measure specs: a sandbox that sees only the variables.

A spec string such as ``"CSAT - {{ share }} %"`` or ``"{{ target_happy_pct - high_risk_gap_points / 100 }}"``
needs names, arithmetic, ``if`` and a few value filters, nothing else. So the environment is jinja2's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no private attributes, no mutation of values) with
every global removed (``range``, ``cycler``, ``lipsum`` …), only deterministic value filters and undefined
names as errors; and, so that rendering takes time and memory in proportion to the template's text, no loops,
macros or includes, no function or method calls, no ``%`` text formatting and bounded ``*`` and ``**``
(``{{ 'x' * 10**12 }}``, ``{{ 9 ** 9 ** 9 }}`` or ``{{ '{:>999999999}'.format(1) }}`` would otherwise exhaust
memory or time). A template that reaches for anything else raises :class:`jinja2.sandbox.SecurityError`.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# Value filters a spec template may use; the rest (random, attr, map, format, replace, center …) are removed.
ALLOWED_FILTERS = ("abs", "capitalize", "default", "float", "int", "lower", "round", "string", "title", "trim",
                   "upper")
MAX_REPEAT = 10_000  # longest string or list ``*`` may build
MAX_POWER_BITS = 4_096  # largest integer ``**`` may compute
# Statements whose work is not bounded by the template's length.
_REFUSED_STATEMENTS = {nodes.For: "{% for %}", nodes.Macro: "{% macro %}", nodes.CallBlock: "{% call %}",
                       nodes.Include: "{% include %}", nodes.Import: "{% import %}",
                       nodes.FromImport: "{% from … import %}", nodes.Extends: "{% extends %}"}


class _SpecSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with bounded repetition and powers."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call a template makes (``x.upper()``, ``'…'.format(…)``) is refused; filters are not calls."""
        if isinstance(__obj, jinja2.Undefined):  # ``range(5)``: say the name is unknown, the clearer message
            __obj._fail_with_undefined_error()
        raise SecurityError("a spec template may not call functions or methods (filters such as |round are fine)")

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        """``left operator right`` unless the result would be unreasonably large."""
        if operator == "%" and isinstance(left, str):
            raise SecurityError("a spec template may not format text with %")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(count, int) \
                        and len(sequence) * count > MAX_REPEAT:
                    raise SecurityError(f"repeating a text or list {count} times builds more than "
                                        f"{MAX_REPEAT:,} items")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 \
                and right * abs(left).bit_length() > MAX_POWER_BITS:
            raise SecurityError(f"{left} ** {right} is larger than a spec template may compute")
        return super().call_binop(context, operator, left, right)


def _environment() -> jinja2.Environment:
    environment = _SpecSandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    environment.globals.clear()
    environment.filters = {name: environment.filters[name] for name in ALLOWED_FILTERS}
    return environment


_ENVIRONMENT = _environment()


def render_spec_string(text: str, variables: dict[str, Any]) -> str:
    """``text`` rendered as a template that sees only ``variables``.

    Raises :class:`jinja2.UndefinedError` for an unknown name, :class:`jinja2.sandbox.SecurityError` for
    anything the sandbox refuses, :class:`jinja2.TemplateSyntaxError` for a malformed template, and
    :class:`jinja2.TemplateError`, :class:`ArithmeticError`, :class:`TypeError`, :class:`ValueError` or
    :class:`RecursionError` when rendering fails.
    """
    template = _ENVIRONMENT.parse(text)
    for statement, spelling in _REFUSED_STATEMENTS.items():
        if next(template.find_all(statement), None) is not None:
            raise SecurityError(f"a spec template may not use {spelling}")
    return _ENVIRONMENT.from_string(template).render(variables)
