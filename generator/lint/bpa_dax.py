"""Tabular Editor BPA rules of category DAX Expressions, checked on tokens rather than on the raw text."""

from __future__ import annotations

from collections.abc import Iterator

from generator.dax.lexer import Token, TokenKind
from generator.lint.daxrefs import (
    arguments,
    column_reference,
    is_bare_table,
    is_table_token,
    previous,
    starts_with_qualified_reference,
)
from generator.lint.modelview import DaxObject
from generator.lint.rules import Problem, Subject, rule

CATEGORY = "DAX Expressions"


@rule(id="DAX_COLUMNS_FULLY_QUALIFIED", name="[DAX Expressions] Column references should be fully qualified",
      category=CATEGORY, severity=3, scope="Measure, KPI, TablePermission, CalculationItem",
      description="A column written as [Column] looks like a measure; write 'Table'[Column].",
      hint="Prefix the column with its table name: 'Table'[Column].")
def columns_qualified(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("Measure", "KPI", "TablePermission", "CalculationItem"):
        for resolved in subject.dax.resolved(obj):
            if resolved.kind == "column" and not resolved.reference.qualified:
                yield obj.object_type, obj.object_name, f"column reference {resolved.text} has no table name"


@rule(id="DAX_MEASURES_UNQUALIFIED", name="[DAX Expressions] Measure references should be unqualified",
      category=CATEGORY, severity=3, scope="Measure, CalculatedColumn, CalculatedTable, KPI, CalculationItem",
      description="A measure written as 'Table'[Measure] looks like a column; write [Measure].",
      hint="Remove the table name in front of the measure: [Measure].")
def measures_unqualified(subject: Subject) -> Iterator[Problem]:
    kinds = ("Measure", "CalculatedColumn", "CalculatedTable", "KPI", "CalculationItem")
    for obj in subject.model.dax_in_scope(*kinds):
        for resolved in subject.dax.resolved(obj):
            if resolved.kind == "measure" and resolved.reference.qualified:
                yield obj.object_type, obj.object_name, f"measure reference {resolved.text} has a table name"


def _definition(subject: Subject, obj: DaxObject) -> tuple[object, ...]:
    """The expression as tokens (names case-folded, comments and layout ignored), or its text without
    whitespace when it cannot be read."""
    tokens = subject.dax.tokens(obj)
    if tokens is None:
        return tuple("".join(obj.expression.split()))
    folded = (TokenKind.IDENT, TokenKind.QUOTED_TABLE, TokenKind.BRACKET)
    return tuple((t.kind, t.value.casefold() if t.kind in folded else t.value) for t in tokens)


@rule(id="AVOID_DUPLICATE_MEASURES", name="[DAX Expressions] No two measures should have the same definition",
      category=CATEGORY, severity=2, scope="Measure",
      description="Two measures with the same expression are redundant.",
      hint="Keep one of the measures and refer to it from the other, or delete the copy.")
def duplicate_measures(subject: Subject) -> Iterator[Problem]:
    groups: dict[tuple[object, ...], list[DaxObject]] = {}
    for obj in subject.model.dax_in_scope("Measure"):
        if obj.expression.strip():
            groups.setdefault(_definition(subject, obj), []).append(obj)
    for group in groups.values():
        for obj in group:
            others = [o.object_name for o in group if o is not obj]
            if others:
                yield obj.object_type, obj.object_name, f"same definition as {', '.join(sorted(others))}"


def _function_rule(subject: Subject, kinds: tuple[str, ...], function: str) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope(*kinds):
        if subject.calls(obj, function):
            yield obj.object_type, obj.object_name, f"uses {function}"


@rule(id="USE_THE_TREATAS_FUNCTION_INSTEAD_OF_INTERSECT",
      name="[DAX Expressions] Use the TREATAS function instead of INTERSECT for virtual relationships",
      category=CATEGORY, severity=2, scope="Measure, CalculationItem",
      description="TREATAS is faster than INTERSECT for virtual relationships.",
      hint="Replace INTERSECT with TREATAS.")
def intersect(subject: Subject) -> Iterator[Problem]:
    yield from _function_rule(subject, ("Measure", "CalculationItem"), "INTERSECT")


@rule(id="USE_THE_DIVIDE_FUNCTION_FOR_DIVISION", name="[DAX Expressions] Use the DIVIDE function for division",
      category=CATEGORY, severity=2, scope="Measure, CalculatedColumn, CalculationItem",
      description="The / operator after a reference or a call fails on zero; DIVIDE returns blank instead.",
      hint="Write DIVIDE ( numerator, denominator ) instead of numerator / denominator.")
def divide(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("Measure", "CalculatedColumn", "CalculationItem"):
        tokens = subject.tokens(obj)
        for index, token in enumerate(tokens):
            before = previous(tokens, index)
            if (token.kind == TokenKind.OPERATOR and token.value == "/" and before is not None
                    and before.kind in (TokenKind.BRACKET, TokenKind.RPAREN)):
                yield (obj.object_type, obj.object_name,
                       f"divides with / at line {token.line}, column {token.column}")
                break


@rule(id="AVOID_USING_THE_IFERROR_FUNCTION", name="[DAX Expressions] Avoid using the IFERROR function",
      category=CATEGORY, severity=2, scope="Measure, CalculatedColumn",
      description="IFERROR is slow; DIVIDE handles division by zero.",
      hint="Remove IFERROR; use DIVIDE for division by zero.")
def iferror(subject: Subject) -> Iterator[Problem]:
    yield from _function_rule(subject, ("Measure", "CalculatedColumn"), "IFERROR")


@rule(id="MEASURES_SHOULD_NOT_BE_DIRECT_REFERENCES_OF_OTHER_MEASURES",
      name="[DAX Expressions] Measures should not be direct references of other measures", category=CATEGORY,
      severity=2, scope="Measure", description="A measure whose whole expression is [Other measure] is a copy.",
      hint="Delete the measure and use the one it refers to.")
def direct_references(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("Measure"):
        tokens = subject.tokens(obj)
        if len(tokens) == 2 and tokens[0].kind == TokenKind.BRACKET:
            target = subject.model.measure(tokens[0].value)
            if target is not None and target is not obj.owner:
                yield obj.object_type, obj.object_name, f"the expression is only {target.object_name}"


def _filter_arguments(tokens: list[Token]) -> Iterator[list[list[Token]]]:
    """The arguments of every FILTER call that is itself a filter argument of CALCULATE or CALCULATETABLE."""
    for index in range(len(tokens) - 1):
        token = tokens[index]
        if not (token.kind == TokenKind.IDENT and token.value.upper() in ("CALCULATE", "CALCULATETABLE")
                and tokens[index + 1].kind == TokenKind.LPAREN):
            continue
        for argument in arguments(tokens, index + 1)[1:]:
            if (len(argument) >= 2 and argument[0].kind == TokenKind.IDENT and argument[0].value.upper() == "FILTER"
                    and argument[1].kind == TokenKind.LPAREN):
                yield arguments(argument, 1)


@rule(id="FILTER_COLUMN_VALUES", name="[DAX Expressions] Filter column values with proper syntax",
      category=CATEGORY, severity=2, scope="Measure, CalculatedColumn, CalculationItem",
      description="FILTER('Table', 'Table'[Column] = value) as a CALCULATE filter iterates the whole table.",
      hint="Write the filter as 'Table'[Column] = value, or KEEPFILTERS ( 'Table'[Column] = value ).")
def filter_column_values(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("Measure", "CalculatedColumn", "CalculationItem"):
        for filter_args in _filter_arguments(subject.tokens(obj)):
            if len(filter_args) >= 2 and is_bare_table(filter_args[0]) and starts_with_qualified_reference(
                    filter_args[1]):
                table = filter_args[0][0].text
                yield obj.object_type, obj.object_name, f"CALCULATE filter FILTER ( {table}, … ) filters a column"
                break


@rule(id="FILTER_MEASURE_VALUES_BY_COLUMNS", name="[DAX Expressions] Filter measure values by columns, not tables",
      category=CATEGORY, severity=2, scope="Measure, CalculatedColumn, CalculationItem",
      description="FILTER('Table', [Measure] > value) as a CALCULATE filter iterates the whole table.",
      hint="Filter a column instead: FILTER ( VALUES ( 'Table'[Column] ), [Measure] > value ) or ALL ( … ).")
def filter_measure_values(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("Measure", "CalculatedColumn", "CalculationItem"):
        for filter_args in _filter_arguments(subject.tokens(obj)):
            if len(filter_args) < 2 or not is_bare_table(filter_args[0]) or not filter_args[1]:
                continue
            first = filter_args[1][0]
            if first.kind == TokenKind.BRACKET and subject.model.measure(first.value) is not None:
                table = filter_args[0][0].text
                yield (obj.object_type, obj.object_name,
                       f"CALCULATE filter FILTER ( {table}, {first.text} … ) filters a measure over a table")
                break


def _activated(subject: Subject) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    """The column pairs of every USERELATIONSHIP call in measures and calculation items (case-folded)."""
    pairs = set()
    for obj in subject.model.dax_in_scope("Measure", "CalculationItem"):
        tokens = subject.tokens(obj)
        for open_index in subject.calls(obj, "USERELATIONSHIP"):
            args = arguments(tokens, open_index)
            refs = [column_reference(arg) for arg in args[:2]]
            if len(refs) == 2 and refs[0] and refs[1]:
                first, second = ((t.casefold(), c.casefold()) for t, c in refs)
                pairs.add((first, second))
                pairs.add((second, first))
    return pairs


@rule(id="INACTIVE_RELATIONSHIPS_THAT_ARE_NEVER_ACTIVATED",
      name="[DAX Expressions] Inactive relationships that are never activated", category=CATEGORY, severity=2,
      scope="Relationship",
      description="An inactive relationship that no measure activates with USERELATIONSHIP is never used.",
      hint="Delete the relationship, or activate it in a measure with USERELATIONSHIP.")
def never_activated(subject: Subject) -> Iterator[Problem]:
    activated = _activated(subject)
    for relationship in subject.model.relationships:
        if relationship.is_active:
            continue
        pair = ((relationship.from_table.casefold(), relationship.from_column_name.casefold()),
                (relationship.to_table.casefold(), relationship.to_column_name.casefold()))
        if pair not in activated:
            yield (relationship.object_type, relationship.object_name,
                   "inactive, and no measure or calculation item uses it in USERELATIONSHIP")


def _one_minus_ratio(tokens: list[Token]) -> bool:
    """``n - SUM ( T[C] ) /`` (with any opening parentheses before SUM) or ``n - DIVIDE (``; also with ``+``."""
    for index, token in enumerate(tokens[:-2]):
        if not (token.kind == TokenKind.NUMBER and tokens[index + 1].kind == TokenKind.OPERATOR
                and tokens[index + 1].value in ("+", "-")):
            continue
        at = index + 2
        if tokens[at].kind == TokenKind.IDENT and tokens[at].value.upper() == "DIVIDE" and (
                tokens[at + 1].kind == TokenKind.LPAREN):
            return True
        while tokens[at].kind == TokenKind.LPAREN:
            at += 1
        window = tokens[at:at + 6]
        if (len(window) == 6 and window[0].kind == TokenKind.IDENT and window[0].value.upper() == "SUM"
                and window[1].kind == TokenKind.LPAREN and is_table_token(window, 2)
                and window[4].kind == TokenKind.RPAREN and window[5].kind == TokenKind.OPERATOR
                and window[5].value == "/"):
            return True
    return False


@rule(id="AVOID_USING_'1-(X/Y)'_SYNTAX", name="[DAX Expressions] Avoid using '1-(x/y)' syntax", category=CATEGORY,
      severity=2, scope="Measure, CalculatedColumn, CalculationItem",
      description="1 - x / y always returns a value, so blank rows show up and queries get slower.",
      hint="Write DIVIDE ( y - x, y ) (with a variable for y) instead of 1 - x / y.")
def one_minus_ratio(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_in_scope("Measure", "CalculatedColumn", "CalculationItem"):
        if _one_minus_ratio(subject.tokens(obj)):
            yield obj.object_type, obj.object_name, "uses the 1 - x / y pattern"


@rule(id="EVALUATEANDLOG_SHOULD_NOT_BE_USED_IN_PRODUCTION_MODELS",
      name="[DAX Expressions] The EVALUATEANDLOG function should not be used in production models",
      category=CATEGORY, severity=1, scope="Measure",
      description="EVALUATEANDLOG is for debugging only.", hint="Remove the EVALUATEANDLOG call.")
def evaluateandlog(subject: Subject) -> Iterator[Problem]:
    yield from _function_rule(subject, ("Measure",), "EVALUATEANDLOG")
