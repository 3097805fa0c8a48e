"""Measure specs (``measures/*.yaml``) to validated, formatted DAX measures.

Data flows one way: YAML → :mod:`.spec` (parameters, families expanded, every string rendered with
jinja2) → :mod:`.kinds` (arguments checked per kind) → :mod:`.render` (DAX from the kind's jinja2
template) → :mod:`.check` (parsed, references resolved against the model, cycles found, formatted).
"""

from generator.measures.build import load_measures

__all__ = ["load_measures"]
