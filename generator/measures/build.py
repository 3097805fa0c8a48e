"""Turn ``measures/*.yaml`` into the model's validated, formatted measures (see the package docstring)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from generator.dax.ast import Expr
from generator.dax.formatter import format_dax
from generator.errors import SpecError, SpecProblem
from generator.measures.check import RenderedMeasure, find_cycles, measure_dependencies
from generator.measures.formats import resolve_format
from generator.measures.kinds import COMMON_KEYS, KINDS, RAW_KIND, Args, render_kind
from generator.measures.spec import MeasureNode, read_measure_specs, unknown_keys
from generator.spec.model import Measure, Model, Origin, Parameter
from generator.spec.reference import reference_problems
from generator.spec.text import single_line_problem
from generator.spec.yamlsrc import SpecMap

GENERATED_DAX_WIDTH = 100


def _valid_name(name: object) -> str | None:
    """Why ``name`` cannot be a measure name, or None when it can."""
    if not isinstance(name, str) or not name.strip():
        return "a measure needs a 'name'"
    if name != name.strip():
        return f"measure name {name!r} starts or ends with a space"
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return f"measure name {name!r} holds a control character (tab, new line ...)"
    return None


class _Reader:
    """Reads one measure node into a :class:`Measure` draft, collecting problems."""

    def __init__(self, model: Model, parameters: dict[str, float | int], problems: list[SpecProblem]):
        self.model, self.parameters, self.problems = model, parameters, problems
        self.semantic = [table.name for table in model.semantic_tables]

    def read(self, item: MeasureNode) -> tuple[dict, RenderedMeasure] | None:
        node = item.node
        why = _valid_name(node.get("name"))
        if why:
            self.problems.append(SpecProblem(node.file, node.line_of("name"), why))
            return None
        name = node["name"]
        what = f"measure '{name}'"
        kind_name = node.get("kind")
        if kind_name != RAW_KIND and kind_name not in KINDS:
            known = [*KINDS, RAW_KIND]
            hint = difflib.get_close_matches(str(kind_name), known, n=1)
            message = (f"{what} has no 'kind'" if kind_name is None else f"{what} has unknown kind {kind_name!r}")
            self.problems.append(SpecProblem(node.file, node.line_of("kind"), message
                                             + (f"; did you mean '{hint[0]}'?" if hint else "")
                                             + f"; kinds: {', '.join(known)}"))
            return None
        kind = KINDS.get(kind_name)
        allowed = (*COMMON_KEYS, *(kind.required + kind.optional if kind else ("dax", "reference")))
        before = len(self.problems)
        self.problems.extend(unknown_keys(node, allowed, what))
        for key in (kind.required if kind else ("dax",)):
            if key not in node:
                self.problems.append(SpecProblem(node.file, node.line, f"{what} (kind {kind_name}) has no '{key}'"))
        metadata = self._metadata(node, item.defaults, what)
        if len(self.problems) > before or metadata is None:
            return None
        args = Args(node, what, self.model, self.parameters, self.problems)
        if kind is None:
            text = node["dax"]
            if not isinstance(text, str) or not text.strip():
                args.fail("dax", "'dax' must be a DAX expression")
                return None
            dax_line = node.line_of("dax") + (1 if "\n" in text.strip("\n") or text.endswith("\n") else 0)
            rendered = RenderedMeasure(name, text.strip(), Origin(node.file, node.line), dax_line)
        else:
            text = render_kind(kind, args)
            if text is None:
                return None
            rendered = RenderedMeasure(name, text, Origin(node.file, node.line), None)
        return {**metadata, "name": name, "kind": kind_name}, rendered

    def _metadata(self, node: SpecMap, defaults: dict[str, str], what: str) -> dict | None:
        home = node.get("home_table", defaults.get("home_table"))
        folder = node.get("folder", defaults.get("folder"))
        description = node.get("description")
        ignore = node.get("lint_ignore", {})
        ok = True
        if home not in self.semantic:
            hint = difflib.get_close_matches(str(home), self.semantic, n=1)
            message = (f"{what} has no 'home_table' (the table Power BI shows it under); set it or "
                       "'defaults: home_table'" if home is None else f"{what} has unknown home_table {home!r}"
                       + (f"; did you mean '{hint[0]}'?" if hint else ""))
            self.problems.append(SpecProblem(node.file, node.line_of("home_table"), message))
            ok = False
        if not isinstance(folder, str) or not folder.strip():
            self.problems.append(SpecProblem(node.file, node.line, f"{what} has no 'folder' (its display folder)"))
            ok = False
        if not isinstance(description, str) or not description.strip():
            self.problems.append(SpecProblem(node.file, node.line_of("description"),
                                             f"{what} has no 'description'"))
            ok = False
        if not isinstance(ignore, dict) or not all(isinstance(v, str) and v.strip() for v in ignore.values()):
            self.problems.append(SpecProblem(node.file, node.line_of("lint_ignore"),
                                             f"{what}: 'lint_ignore' must map rule ids to the reason for ignoring"))
            ok = False
            ignore = {}
        format_value = node.get("format")
        if format_value is None and "PROVIDE_FORMAT_STRING_FOR_MEASURES" not in ignore:
            self.problems.append(SpecProblem(node.file, node.line, f"{what} has no 'format' (a format string "
                                             "or one of whole, decimal, percent)"))
            ok = False
        for key in ("folder", "format"):  # its own only: a default folder is checked where it is written
            why = single_line_problem(node.get(key), f"the '{key}' of {what}")
            if why:
                self.problems.append(SpecProblem(node.file, node.line_of(key), why))
                ok = False
        hidden = node.get("hidden", False)
        if not isinstance(hidden, bool):
            self.problems.append(SpecProblem(node.file, node.line_of("hidden"), f"{what}: 'hidden' must be true "
                                                                                 "or false"))
            ok = False
        if not ok:
            return None
        return {"home_table": home, "folder": folder.strip(), "description": " ".join(description.split()),
                "format_string": resolve_format(str(format_value)) if format_value is not None else "",
                "hidden": hidden, "lint_ignore": tuple(sorted((str(k), " ".join(v.split()))
                                                              for k, v in ignore.items()))}


def _duplicates(drafts: list[tuple[dict, RenderedMeasure]], model: Model, problems: list[SpecProblem]) -> None:
    seen: dict[str, Origin] = {}
    columns = {c.name.lower(): f"{t.name}[{c.name}]" for t in model.semantic_tables for c in t.columns}
    for metadata, rendered in drafts:
        folded = metadata["name"].lower()
        if folded in seen:
            problems.append(SpecProblem(rendered.origin.file, rendered.origin.line,
                                        f"measure '{metadata['name']}' is declared twice (first at {seen[folded]}); "
                                        "measure names are case-insensitive"))
        else:
            seen[folded] = rendered.origin
        if folded in columns:
            problems.append(SpecProblem(rendered.origin.file, rendered.origin.line,
                                        f"measure '{metadata['name']}' has the name of column {columns[folded]}"))


def load_measures(spec_dir: Path, model: Model, overrides: Mapping[str, int | float] | None = None,
                  ) -> tuple[tuple[Measure, ...], tuple[Parameter, ...]]:
    """The validated measures and parameters of ``measures/*.yaml`` (``overrides``: parameter values replacing the
    specs' own); :class:`SpecError` lists every problem."""
    specs = read_measure_specs(spec_dir, overrides)
    problems = list(specs.problems)
    parameters = {parameter.name: parameter.value for parameter in specs.parameters}
    reader = _Reader(model, parameters, problems)
    drafts = [draft for draft in (reader.read(item) for item in specs.measures) if draft is not None]
    _duplicates(drafts, model, problems)
    names = {str(item.node.get("name")) for item in specs.measures}
    for item in specs.measures:
        if item.node.get("kind") == RAW_KIND:
            problems += reference_problems(item.node, f"measure '{item.node.get('name')}'", model, parameters, names)
    if problems:
        raise SpecError(problems)
    parsed: dict[str, Expr] = {}
    dependencies = measure_dependencies([rendered for _, rendered in drafts], model, problems, parsed)
    find_cycles(dependencies, {r.name: r.origin for _, r in drafts}, problems)
    if problems:
        raise SpecError(problems)
    measures = tuple(
        Measure(name=metadata["name"], home_table=metadata["home_table"], folder=metadata["folder"],
                description=metadata["description"], format_string=metadata["format_string"],
                expression=format_dax(parsed[metadata["name"]], width=GENERATED_DAX_WIDTH),
                kind=metadata["kind"], hidden=metadata["hidden"], depends_on=dependencies[metadata["name"]],
                lint_ignore=metadata["lint_ignore"], origin=rendered.origin)
        for metadata, rendered in drafts)
    return measures, specs.parameters
