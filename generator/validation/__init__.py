"""Offline validation of the generated measures: ``gen-measures validate``.

Three modules, one direction: :mod:`~generator.validation.compare` evaluates every generated measure with the DAX
engine on the standard slices and compares it with the independent pandas reference (DESIGN section 7); it is
the only place where the engine and the reference meet. :mod:`~generator.validation.roles` runs the same
comparison under each row-level security role for that role's users and adds the leak queries
(``validate --roles``). :mod:`~generator.validation.dqv` writes the checks as DAX Query View test files an
analyst runs in Power BI Desktop (``validate --emit-dqv``). Roles and DQV build on ``compare``; nothing here is
imported by the engine or the reference.
"""

from generator.validation.compare import Check, Validation, validate

__all__ = ["Check", "Validation", "validate"]
