"""Read ``measures/*.yaml``: parameters, per-file defaults, measures and templated families.

Every string of a measure spec is a jinja2 template rendered in a sandbox (:mod:`.sandbox`) that sees only
the parameters (and, inside a family, the family's ``for_each`` variables), so ``"CSAT - {{ share }} %"`` or
``HappyPct < {{ target_happy_pct }}`` are written once. Positions (file and line) survive rendering, so later
checks still point at the spec.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SecurityError

from generator.errors import SpecError, SpecProblem
from generator.measures.sandbox import render_spec_string
from generator.spec.model import Origin, Parameter
from generator.spec.text import forbidden_character, single_line_problem
from generator.spec.yamlsrc import SpecList, SpecMap, load_yaml

FILE_KEYS = ("parameters", "defaults", "measures")
DEFAULT_KEYS = ("home_table", "folder")
FAMILY_KEYS = ("family", "for_each", "measures")
PARAMETER_KEYS = ("value", "description")


@dataclass(frozen=True)
class MeasureNode:
    """One measure as written (after family expansion and rendering), with the file defaults it inherits."""

    node: SpecMap
    defaults: dict[str, str]

    @property
    def origin(self) -> Origin:
        """Where the measure was declared."""
        return Origin(self.node.file, self.node.line)


@dataclass(frozen=True)
class MeasureSpecs:
    """Everything read from ``measures/*.yaml``."""

    parameters: tuple[Parameter, ...]
    measures: tuple[MeasureNode, ...]
    problems: tuple[SpecProblem, ...]


def _problem(where: SpecMap | SpecList, line: int, message: str) -> SpecProblem:
    return SpecProblem(where.file, line, message)


def unknown_keys(node: SpecMap, allowed: tuple[str, ...] | set[str], what: str) -> list[SpecProblem]:
    """A problem for every key of ``node`` that is not ``allowed``, with a 'did you mean' hint."""
    found = []
    for key in node:
        if key not in allowed:
            hint = difflib.get_close_matches(key, sorted(allowed), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(sorted(allowed))}"
            found.append(_problem(node, node.line_of(key), f"unknown key '{key}' in {what}{suggestion}"))
    return found


def _render(value: Any, variables: dict[str, Any], where: SpecMap | SpecList, line: int,
            problems: list[SpecProblem]) -> Any:
    """``value`` with every string rendered as a jinja2 template; containers keep their positions."""
    if isinstance(value, str):
        if "{" not in value:
            return value
        try:
            rendered = render_spec_string(value, variables)
        except jinja2.UndefinedError as exc:
            problems.append(_problem(where, line, f"template {value.strip()!r}: {exc.message}; "
                                                  f"known names: {', '.join(sorted(variables)) or 'none'}"))
        except SecurityError as exc:
            reason = str(exc).rstrip(".")
            problems.append(_problem(where, line, f"template {value.strip()!r} is refused: {reason}; a spec template "
                                                  "sees only the parameters and family variables, with arithmetic "
                                                  "and simple filters"))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(_problem(where, line, f"template {value.strip()!r} is not valid: {exc}"))
        except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, RecursionError) as exc:
            problems.append(_problem(where, line, f"template {value.strip()!r} cannot be rendered: {exc}"))
        else:
            found = forbidden_character(rendered, line_breaks=True)
            if found is None:
                return rendered
            problems.append(_problem(where, line, f"template {value.strip()!r} renders text holding {found}"))
        return value
    if isinstance(value, SpecMap):
        result = SpecMap()
        result.file, result.line, result.key_lines = value.file, value.line, dict(value.key_lines)
        for key, item in value.items():
            result[key] = _render(item, variables, value, value.line_of(key), problems)
        return result
    if isinstance(value, SpecList):
        result_list = SpecList(_render(item, variables, value, value.line_of(i), problems)
                               for i, item in enumerate(value))
        result_list.file, result_list.line, result_list.item_lines = value.file, value.line, list(value.item_lines)
        return result_list
    return value


def _read_parameters(document: SpecMap, seen: dict[str, Parameter], problems: list[SpecProblem]) -> None:
    raw = document["parameters"]
    if not isinstance(raw, SpecMap):
        problems.append(_problem(document, document.line_of("parameters"),
                                 "'parameters' must be a mapping of parameter names to {value, description}"))
        return
    for name, spec in raw.items():
        line = raw.line_of(name)
        if not name.isidentifier():
            problems.append(_problem(raw, line, f"parameter name '{name}' must be letters, digits and underscores"))
            continue
        if name in seen:
            problems.append(_problem(raw, line, f"parameter '{name}' is declared twice "
                                                f"(first at {seen[name].origin})"))
            continue
        value, description = spec, ""
        if isinstance(spec, SpecMap):
            problems.extend(unknown_keys(spec, PARAMETER_KEYS, f"parameter '{name}'"))
            value, description = spec.get("value"), spec.get("description", "")
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(_problem(raw, line, f"parameter '{name}' must have a number value, found {value!r}"))
            continue
        seen[name] = Parameter(name, value, str(description).strip(), Origin(raw.file, line))


def _read_defaults(document: SpecMap, problems: list[SpecProblem]) -> dict[str, str]:
    raw = document.get("defaults")
    if raw is None:
        return {}
    if not isinstance(raw, SpecMap):
        problems.append(_problem(document, document.line_of("defaults"), "'defaults' must be a mapping"))
        return {}
    problems.extend(unknown_keys(raw, DEFAULT_KEYS, "'defaults'"))
    for key in DEFAULT_KEYS:
        why = single_line_problem(raw.get(key), f"the default '{key}'")
        if why:
            problems.append(_problem(raw, raw.line_of(key), why))
    return {key: str(raw[key]) for key in DEFAULT_KEYS if isinstance(raw.get(key), str)}


def _expand(items: Any, variables: dict[str, Any], defaults: dict[str, str], out: list[MeasureNode],
            problems: list[SpecProblem], in_family: bool = False) -> None:
    if not isinstance(items, SpecList):
        where = items if isinstance(items, SpecMap | SpecList) else None
        if where is not None:
            problems.append(_problem(where, where.line, "'measures' must be a list"))
        return
    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, SpecMap):
            problems.append(_problem(items, line, f"measure {index + 1} must be a mapping with a 'name' and a "
                                                  "'kind' (or a 'family')"))
            continue
        if "family" in item:
            if in_family:
                problems.append(_problem(item, line, "families cannot be nested"))
                continue
            _expand_family(item, variables, defaults, out, problems)
            continue
        out.append(MeasureNode(_render(item, variables, items, line, problems), defaults))


def _expand_family(family: SpecMap, variables: dict[str, Any], defaults: dict[str, str],
                   out: list[MeasureNode], problems: list[SpecProblem]) -> None:
    name = family.get("family")
    problems.extend(unknown_keys(family, FAMILY_KEYS, f"family '{name}'"))
    rows = family.get("for_each")
    if not isinstance(rows, SpecList) or not rows or not all(isinstance(row, SpecMap) for row in rows):
        problems.append(_problem(family, family.line_of("for_each"),
                                 f"family '{name}' needs 'for_each': a non-empty list of mappings of variables"))
        return
    if "measures" not in family:
        problems.append(_problem(family, family.line, f"family '{name}' has no 'measures'"))
        return
    templates = family["measures"]
    if not isinstance(templates, SpecList):
        problems.append(_problem(family, family.line_of("measures"), f"'measures' of family '{name}' must be a list"))
        return
    for row in rows:
        clash = sorted(set(row) & set(variables))
        if clash:
            problems.append(_problem(row, row.line, f"family variable '{clash[0]}' hides the parameter of that "
                                                    "name; rename it"))
            return
    # Template-major order: all counts, then all shares — the order the catalogue lists them in.
    for index in range(len(templates)):
        single = SpecList([templates[index]])
        single.file, single.line, single.item_lines = templates.file, templates.line, [templates.line_of(index)]
        for row in rows:
            _expand(single, {**variables, **row}, defaults, out, problems, in_family=True)


def read_measure_specs(spec_dir: Path, overrides: Mapping[str, int | float] | None = None) -> MeasureSpecs:
    """Read every ``measures/*.yaml`` under ``spec_dir`` (none is fine: the model then has no measures);
    ``overrides`` replaces the values of the parameters it names before the measures are rendered with them."""
    problems: list[SpecProblem] = []
    documents: list[tuple[str, SpecMap]] = []
    for path in sorted((spec_dir / "measures").glob("*.yaml")):
        display = path.relative_to(spec_dir).as_posix()
        try:
            document = load_yaml(path, display)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if document is None:
            continue
        if not isinstance(document, SpecMap):
            problems.append(SpecProblem(display, 1, "the file must be a mapping with 'measures' and/or "
                                                    "'parameters'"))
            continue
        problems.extend(unknown_keys(document, FILE_KEYS, "a measures file"))
        documents.append((display, document))

    parameters: dict[str, Parameter] = {}
    for _, document in documents:
        if "parameters" in document:
            _read_parameters(document, parameters, problems)
    for name, value in sorted((overrides or {}).items()):
        if name in parameters:
            parameters[name] = replace(parameters[name], value=value)
        else:
            problems.append(SpecProblem("measures", 0, f"no parameter '{name}' is declared, so it cannot be set"))
    variables = {name: parameter.value for name, parameter in parameters.items()}
    measures: list[MeasureNode] = []
    for _, document in documents:
        if "measures" in document:
            _expand(document["measures"], variables, _read_defaults(document, problems), measures, problems)
    return MeasureSpecs(tuple(parameters.values()), tuple(measures), tuple(problems))
