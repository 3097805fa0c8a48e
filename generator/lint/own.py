"""Our own rules (category "MSP CSAT"): broken DAX references, generated measures without a reference
implementation, measures outside display folders, DAX the lexer cannot read."""

from __future__ import annotations

from collections.abc import Iterator

from generator.lint.daxindex import Resolved
from generator.lint.modelview import quote_table
from generator.lint.rules import Problem, Subject, rule

CATEGORY = "MSP CSAT"
GENERATED_ANNOTATION = "MSP_CSAT_Generated"


def _unknown_message(resolved: Resolved, subject: Subject) -> str:
    ref = resolved.reference
    if ref.table is not None and resolved.unknown is not None and resolved.unknown.what == "table":
        return f"{resolved.text} refers to table {quote_table(ref.table)}, which the model does not have"
    if ref.table is not None:
        return f"{resolved.text}: table {quote_table(ref.table)} has no such column or measure"
    return f"{resolved.text} is neither a measure nor a column of the model"


@rule(id="MSP_UNKNOWN_REFERENCE", name="[MSP CSAT] DAX must refer only to objects the model has",
      category=CATEGORY, severity=3,
      scope="Measure, KPI, CalculatedColumn, CalculatedTable, CalculationItem, TablePermission",
      description="A DAX expression names a table, column or measure that is not in the model.",
      hint="Fix the name, or add the missing object to the model spec.")
def unknown_reference(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_objects:
        seen = set()
        for resolved in subject.dax.resolved(obj):
            if resolved.kind == "unknown" and resolved.text.casefold() not in seen:
                seen.add(resolved.text.casefold())
                yield obj.object_type, obj.object_name, _unknown_message(resolved, subject)


@rule(id="MSP_NO_REFERENCE_IMPLEMENTATION",
      name="[MSP CSAT] Generated measures need an independent reference implementation", category=CATEGORY,
      severity=2, scope="Measure",
      description=f"A measure annotated {GENERATED_ANNOTATION} that no pandas reference checks (a raw dax: "
                  "measure whose spec declares no 'reference') is reported unverified by `validate`.",
      hint="Declare what the measure computes under 'reference:' in its spec (an aggregation with a filter, or a "
           "ratio of two), or write it with a measure kind; see docs/your-measures.md.")
def no_reference(subject: Subject) -> Iterator[Problem]:
    known = subject.context.reference_measures
    if known is None:
        return
    folded = {name.casefold() for name in known}
    for measure in subject.model.measures:
        if GENERATED_ANNOTATION in measure.annotations and measure.name.casefold() not in folded:
            yield (measure.object_type, measure.object_name,
                   "generated measure without a reference: declare 'reference:' in its spec")


@rule(id="MSP_MEASURE_WITHOUT_FOLDER", name="[MSP CSAT] Visible measures belong in a display folder",
      category=CATEGORY, severity=1, scope="Measure",
      description="Visible measures outside display folders clutter the field list.",
      hint="Set the measure's displayFolder.")
def without_folder(subject: Subject) -> Iterator[Problem]:
    for measure in subject.model.measures:
        if not measure.hidden_or_table_hidden and not measure.display_folder.strip():
            yield measure.object_type, measure.object_name, "visible measure without a display folder"


@rule(id="MSP_UNREADABLE_DAX", name="[MSP CSAT] DAX expressions must be readable", category=CATEGORY, severity=3,
      scope="Measure, KPI, CalculatedColumn, CalculatedTable, CalculationItem, TablePermission",
      description="The DAX lexer cannot read the expression, so no DAX rule could check it.",
      hint="Fix the DAX at the position given (an unterminated string, name or comment, or a stray character).")
def unreadable(subject: Subject) -> Iterator[Problem]:
    for obj in subject.model.dax_objects:
        error = subject.dax.syntax_error(obj)
        if error is None:
            continue
        where = f"line {error.line}, column {error.column}"
        if obj.start.line:
            where = f"{obj.start.within(error.line, error.column)} ({where} of the expression)"
        yield obj.object_type, obj.object_name, f"the DAX cannot be read: {where}: {error.message}"
