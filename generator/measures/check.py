"""Check rendered measures as a whole: DAX parses, every reference resolves, no measure depends on itself.

References are resolved against the semantic model: ``Table[column]`` must be a column of a BI_ table, a
bare table name must be a BI_ table (or a variable in scope), ``[Name]`` must be a measure (columns are
always written fully qualified). Measure names are case-insensitive in DAX, so references are too.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.dax.ast import Expr
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression
from generator.dax.references import find_references
from generator.errors import SpecProblem
from generator.semantic.names import MeasureName, Names, Unknown
from generator.spec.model import Model, Origin


@dataclass(frozen=True)
class RenderedMeasure:
    """A measure's DAX text before the whole-catalogue checks, with where problems should point."""

    name: str
    text: str
    origin: Origin
    dax_line: int | None  # spec line of the first DAX line for a raw ``dax:``; None for a generated one


def measure_dependencies(measures: list[RenderedMeasure], model: Model, problems: list[SpecProblem],
                         parsed: dict[str, Expr] | None = None) -> dict[str, tuple[str, ...]]:
    """The measures each measure refers to (declared spelling, sorted); problems for anything unresolved.
    Each measure's parsed expression is kept in ``parsed`` when given."""
    names = Names.of_spec_tables(model, {measure.name: "" for measure in measures})
    dependencies: dict[str, tuple[str, ...]] = {}
    for measure in measures:
        try:
            expression = parse_expression(measure.text)
        except DaxSyntaxError as exc:
            line = measure.origin.line if measure.dax_line is None else measure.dax_line + exc.line - 1
            problems.append(SpecProblem(measure.origin.file, line, f"measure '{measure.name}': the DAX does not "
                                        f"parse: {exc.message} (DAX line {exc.line}, column {exc.column})"))
            continue
        if parsed is not None:
            parsed[measure.name] = expression
        refs = find_references(expression)
        where = f"measure '{measure.name}'"
        for table_name, column in sorted(refs.columns):
            found = names.column(table_name, column)
            if isinstance(found, Unknown) and found.what == "table":
                problems.append(SpecProblem(measure.origin.file, measure.origin.line,
                                            f"{where} refers to unknown table '{table_name}'{found.hint()}"))
            elif isinstance(found, Unknown):
                problems.append(SpecProblem(measure.origin.file, measure.origin.line,
                                            f"{where} refers to unknown column '{found.table}[{column}]'"
                                            + found.hint()))
        for table_name in sorted(refs.tables):
            table = names.table(table_name)
            if isinstance(table, Unknown):
                problems.append(SpecProblem(measure.origin.file, measure.origin.line,
                                            f"{where} refers to unknown table or variable '{table_name}'"
                                            + table.hint()))
        found_measures = []
        for name in sorted(refs.names):
            resolved = names.measure(name)
            if isinstance(resolved, MeasureName):
                found_measures.append(resolved.measure)
            else:
                problems.append(SpecProblem(measure.origin.file, measure.origin.line,
                                            f"{where} refers to unknown measure [{name}]{resolved.hint()}"
                                            " (columns must be written Table[column])"))
        dependencies[measure.name] = tuple(sorted(set(found_measures)))
    return dependencies


def find_cycles(dependencies: dict[str, tuple[str, ...]], origins: dict[str, Origin],
                problems: list[SpecProblem]) -> None:
    """A problem for every cycle of measure references, reported once at its first measure."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()
    for start in dependencies:
        if state.get(start) is not None:
            continue
        # Iterative depth-first search: long chains of measures must not hit Python's recursion limit.
        path = [start]
        pending = [iter(dependencies.get(start, ()))]
        state[start] = 1
        while pending:
            dependency = next(pending[-1], None)
            if dependency is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(dependency) == 1:
                cycle = [*path[path.index(dependency):], dependency]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = min(cycle[:-1], key=lambda n: (origins[n].file, origins[n].line))
                    problems.append(SpecProblem(origins[first].file, origins[first].line,
                                                "measures refer to each other in a cycle: "
                                                + " -> ".join(f"[{n}]" for n in cycle)))
            elif dependency in dependencies and state.get(dependency) is None:
                state[dependency] = 1
                path.append(dependency)
                pending.append(iter(dependencies.get(dependency, ())))
