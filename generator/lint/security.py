"""Our rules about row-level security roles (category "MSP CSAT"): a row filter no relationship carries to the
tables the measures read, and a bidirectional relationship that lets a role show more than its filters intend.

How security filters travel (Power BI, TOM ``SecurityFilteringBehavior``): from the one side of an active
relationship to its many side; across a bidirectional relationship from the many side to the one side only when
the relationship's ``securityFilteringBehavior`` is ``bothDirections`` (the default is ``oneDirection``, even when
the relationship cross-filters queries both ways).
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.dax.lexer import TokenKind
from generator.lint.modelview import ModelView, RelationshipView, TablePermissionView, quote_table
from generator.lint.rules import Problem, Subject, rule

CATEGORY = "MSP CSAT"


def _ends(relationship: RelationshipView) -> tuple[str, str]:
    """(one side, many side) table names, whichever way round the relationship is written."""
    if relationship.from_cardinality == "one" and relationship.to_cardinality == "many":
        return relationship.from_table, relationship.to_table
    return relationship.to_table, relationship.from_table


def _security_both_ways(relationship: RelationshipView) -> bool:
    behaviour = relationship.security_filtering
    return relationship.is_bidirectional and behaviour == "bothdirections"


def secured_tables(model: ModelView, start: str) -> set[str]:
    """The tables (case-folded names) a security filter on ``start`` restricts, ``start`` included."""
    reached = {start.casefold()}
    pending = [start.casefold()]
    while pending:
        current = pending.pop()
        for relationship in model.relationships:
            if not relationship.is_active:
                continue
            one, many = (name.casefold() for name in _ends(relationship))
            targets = [many] if one == current else []
            if many == current and _security_both_ways(relationship):
                targets.append(one)
            for target in targets:
                if target not in reached:
                    reached.add(target)
                    pending.append(target)
    return reached


def _measure_tables(subject: Subject) -> set[str]:
    """The tables (case-folded) whose rows or columns the model's measures read: the facts of the model."""
    found: set[str] = set()
    for obj in subject.model.dax_in_scope("Measure"):
        for resolved in subject.dax.resolved(obj):
            for target in resolved.targets:
                if resolved.kind == "table":
                    found.add(target.name.casefold())
                elif resolved.kind == "column":
                    found.add(target.table.name.casefold())  # type: ignore[attr-defined]
    return found


def _hides_everything(subject: Subject, permission: TablePermissionView) -> bool:
    """True for a filter that is just FALSE / FALSE() / 0: it hides the table rather than restricting facts."""
    obj = next((d for d in subject.model.dax_in_scope("TablePermission") if d.owner is permission), None)
    if obj is None:
        return False
    words = [t.text.upper() for t in subject.tokens(obj) if t.kind not in (TokenKind.COMMENT, TokenKind.EOF)]
    return words in (["FALSE"], ["FALSE", "(", ")"], ["0"])


@rule(id="MSP_ROLE_FILTER_REACHES_NO_FACT",
      name="[MSP CSAT] A role's row filter must reach the tables the measures read", category=CATEGORY, severity=3,
      scope="TablePermission",
      description="A row filter on a table from which no active relationship carries security filters to any "
                  "table the measures read restricts nothing the reports show: every fact stays visible to the "
                  "role's users (typically a filter on a user-mapping table instead of on the dimension).",
      hint="Filter the dimension the facts relate to (for example with a lookup into the mapping table), or "
           "relate the filtered table to it; a filter of FALSE () that only hides a table is not reported.")
def role_filter_reaches_no_fact(subject: Subject) -> Iterator[Problem]:
    facts = _measure_tables(subject)
    if not facts:
        return
    for permission in subject.model.table_permissions:
        if not permission.filter_expression.strip() or _hides_everything(subject, permission):
            continue
        reached = secured_tables(subject.model, permission.table_name)
        if not reached & facts:
            yield (permission.object_type, permission.object_name,
                   f"role {permission.role.name} filters {quote_table(permission.table_name)}, but no active "
                   "relationship carries the filter to a table the measures read; every fact stays visible")


@rule(id="MSP_BIDIRECTIONAL_WIDENS_ROLE",
      name="[MSP CSAT] Bidirectional relationships must not widen what a role sees", category=CATEGORY, severity=2,
      scope="Relationship",
      description="A relationship that cross-filters both ways but carries security filters one way only "
                  "(securityFilteringBehavior oneDirection, the default) leaves its one side unrestricted for a "
                  "role that restricts its many side: the role's users see every row of that table (in ALL, "
                  "slicers, and the other tables it filters) although the queries they usually run look "
                  "filtered.",
      hint="Give the role a row filter on the one-side table too, set securityFilteringBehavior to "
           "bothDirections, or make the relationship single-direction.")
def bidirectional_widens_role(subject: Subject) -> Iterator[Problem]:
    model = subject.model
    for role in model.roles:
        permissions = [p for p in model.table_permissions if p.role is role and p.filter_expression.strip()]
        if not permissions:
            continue
        restricted: set[str] = set()
        for permission in permissions:
            restricted |= secured_tables(model, permission.table_name)
        for relationship in model.relationships:
            if not relationship.is_active or not relationship.is_bidirectional or _security_both_ways(relationship):
                continue
            one, many = _ends(relationship)
            if many.casefold() in restricted and one.casefold() not in restricted:
                yield (relationship.object_type, relationship.object_name,
                       f"role {role.name} restricts {quote_table(many)}, but this relationship filters "
                       f"{quote_table(one)} from it in queries only, not for security: the role's users see every "
                       f"row of {quote_table(one)}")
