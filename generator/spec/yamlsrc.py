"""YAML loading that remembers where every mapping, list and key came from.

Spec validation reports ``file:line`` for every problem, so the loader keeps the source position of
each node: mappings become :class:`SpecMap` (a ``dict`` with ``line`` and ``key_lines``), sequences
become :class:`SpecList` (a ``list`` with ``line`` and ``item_lines``). Duplicate keys in one
mapping are an error, as is any YAML syntax error; both name the file and line. So is text holding a control
character other than tab and new line (see :mod:`generator.spec.text`), and so is any YAML alias (``*name``):
an alias repeats a value without writing it out, which is how a small file expands into billions of values.
Nesting deeper than :data:`MAX_DEPTH` mappings and lists is refused too (no spec needs it; every later step
walks the values recursively).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from generator.errors import SpecError, SpecProblem
from generator.spec.text import forbidden_character


class SpecMap(dict):
    """A mapping read from YAML, with the 1-based line of the mapping and of each key."""

    file: str = "?"
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line where ``key`` was written, or the mapping's own line when it is absent."""
        return self.key_lines.get(key, self.line)


class SpecList(list):
    """A sequence read from YAML, with the 1-based line of the sequence and of each item."""

    file: str = "?"
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """The line where item ``index`` starts."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when PyYAML was built with it (5x faster on large specs), else the pure-Python one.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


ALIASES_REFUSED = "spec files may not use YAML anchors and aliases (&name, *name); write the value out"
MAX_DEPTH = 50


def _seen_before(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    """True when ``node`` was constructed (or is being constructed) already: it is reached again by an alias."""
    return node in loader.constructed_objects or node in loader.recursive_objects


def _make_loader(file: str) -> type[yaml.SafeLoader]:
    class _Loader(_BASE_LOADER):  # type: ignore[valid-type,misc]
        depth = 0

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            """The node's value; a node met a second time was reached through an alias, which is refused."""
            line = node.start_mark.line + 1
            if _seen_before(self, node):
                raise SpecError([SpecProblem(file, line, f"an alias repeats the value that starts here; "
                                                         f"{ALIASES_REFUSED}")])
            if self.depth >= MAX_DEPTH:
                raise SpecError([SpecProblem(file, line, f"mappings and lists are nested deeper than {MAX_DEPTH} "
                                                         "levels here")])
            self.depth += 1
            try:
                return super().construct_object(node, deep)
            finally:
                self.depth -= 1

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> SpecMap:
        loader.flatten_mapping(node)
        result = SpecMap()
        result.file, result.line, result.key_lines = file, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise SpecError([SpecProblem(file, key_node.start_mark.line + 1,
                                             f"keys must be text, found {key!r}")])
            if key in result:
                raise SpecError([SpecProblem(
                    file, key_node.start_mark.line + 1,
                    f"key '{key}' appears twice in the same mapping (first on line {result.key_lines[key]})")])
            if _seen_before(loader, value_node):
                raise SpecError([SpecProblem(file, key_node.start_mark.line + 1,
                                             f"the value of '{key}' is a YAML alias; {ALIASES_REFUSED}")])
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> SpecList:
        result = SpecList()
        for child in node.value:
            if _seen_before(loader, child):
                raise SpecError([SpecProblem(file, node.start_mark.line + 1,
                                             f"the list that starts here holds a YAML alias; {ALIASES_REFUSED}")])
            result.append(loader.construct_object(child, deep=True))
        result.file, result.line = file, node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
        text = loader.construct_yaml_str(node)
        found = forbidden_character(text, line_breaks=True)
        if found is not None:
            raise SpecError([SpecProblem(file, node.start_mark.line + 1, f"the text holds {found}; spec text may "
                                         "hold printable characters, tabs and new lines only")])
        return text

    _Loader.add_constructor("tag:yaml.org,2002:str", construct_text)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return _Loader


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Parse one YAML file into SpecMap/SpecList/scalars; raise :class:`SpecError` on bad YAML."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([SpecProblem(name, 1, f"the file is not valid UTF-8 ({exc.reason})")]) from None
    try:
        return yaml.load(text, Loader=_make_loader(name))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = f", column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError([SpecProblem(name, line, f"YAML syntax error{column}: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecProblem(name, 1, f"YAML syntax error: {exc}")]) from None
