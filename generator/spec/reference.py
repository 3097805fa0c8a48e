"""The ``reference`` of a raw ``dax:`` measure: what the measure computes, in the spec's own terms, for ``validate``.

The DAX of a raw measure is not read by the reference interpreter; its spec declares instead what it should
equal, as an aggregation over a table under filters, or a ratio of two such (or of measures)::

    reference:
      kind: ratio
      numerator: {kind: count_where, table: BI_Autotask_Tickets, filter: "BI_Autotask_Tickets[reopened] = TRUE ()"}
      denominator: {kind: count, table: BI_Autotask_Tickets}

Aggregations: ``count`` (``table``), ``count_where`` (``table``, ``filter``), ``sum`` / ``min`` / ``max`` /
``distinct_count`` (``column``), ``average`` (``column``, or ``over`` and ``expression``), each with an optional
``filter`` (one row expression or a list). A ratio takes ``numerator`` and ``denominator`` (a measure name or an
aggregation), and optionally ``scale`` (a number or parameter name) and ``blank_numerator`` (zero or blank).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.errors import SpecProblem
from generator.reference.rowexpr import RowExpressionError, column_parts, columns_of, parse
from generator.semantic.names import ColumnName, Names, TableName, did_you_mean, quoted
from generator.spec.model import Model
from generator.spec.yamlsrc import SpecList, SpecMap

AGGREGATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "count": (("table",), ("filter",)),
    "count_where": (("table", "filter"), ()),
    "sum": (("column",), ("filter",)),
    "average": ((), ("column", "over", "expression", "filter")),
    "min": (("column",), ("filter",)),
    "max": (("column",), ("filter",)),
    "distinct_count": (("column",), ("filter",)),
}
RATIO_KEYS = (("numerator", "denominator"), ("scale", "blank_numerator"))
REFERENCE_KINDS = (*AGGREGATIONS, "ratio")
_OPERANDS = ("numerator", "denominator", "left", "right", "measure")


class _Checker:
    def __init__(self, what: str, model: Model, parameters: dict[str, float | int], names: set[str]):
        self.what, self.model, self.parameters, self.names = what, model, parameters, names
        # the pandas reference reads tables and columns by the names written here: the spelling must be exact
        self.tables = Names.of_spec_tables(model)
        self.problems: list[SpecProblem] = []

    def fail(self, node: SpecMap, key: str | None, message: str) -> None:
        line = node.line_of(key) if key else node.line
        self.problems.append(SpecProblem(node.file, line, f"{self.what}: 'reference' {message}"))

    def reference(self, node: Any, parent: SpecMap, key: str, inline: bool = False) -> None:
        if not isinstance(node, SpecMap):
            self.fail(parent, key, "must be a mapping with a 'kind': " + ", ".join(REFERENCE_KINDS))
            return
        kinds = AGGREGATIONS if inline else REFERENCE_KINDS
        kind = node.get("kind")
        if kind not in kinds:
            hint = difflib.get_close_matches(str(kind), kinds, n=1)
            self.fail(node, "kind" if "kind" in node else None,
                      f"has kind {kind!r}" + (f"; did you mean '{hint[0]}'?" if hint else "")
                      + f"; it takes {', '.join(kinds)}")
            return
        required, optional = RATIO_KEYS if kind == "ratio" else AGGREGATIONS[kind]
        if not self._keys(node, kind, required, optional):
            return
        if kind == "ratio":
            self._ratio(node)
        else:
            self._aggregation(node, kind)

    def _keys(self, node: SpecMap, kind: str, required: tuple[str, ...], optional: tuple[str, ...]) -> bool:
        """Report unknown and missing keys; whether every required key is there."""
        ok = True
        allowed = ("kind", *required, *optional)
        for key in node:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                self.fail(node, key, f"has unknown key '{key}' for kind {kind}"
                          + (f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(allowed)}"))
        for key in required:
            if key not in node:
                self.fail(node, None, f"of kind {kind} needs '{key}'")
                ok = False
        return ok

    def _ratio(self, node: SpecMap) -> None:
        for key in RATIO_KEYS[0]:
            value = node[key]
            if isinstance(value, str):
                if value not in self.names:
                    hint = difflib.get_close_matches(value, sorted(self.names), n=1)
                    self.fail(node, key, f"{key} names no measure: {value!r}"
                              + (f"; did you mean '{hint[0]}'?" if hint else ""))
            else:
                self.reference(value, node, key, inline=True)
        scale = node.get("scale", 1)
        if (isinstance(scale, bool) or not isinstance(scale, int | float)) and scale not in self.parameters:
            self.fail(node, "scale", f"scale must be a number or a parameter name, found {scale!r}")
        if node.get("blank_numerator", "zero") not in ("zero", "blank"):
            self.fail(node, "blank_numerator", "blank_numerator must be zero or blank")

    def _aggregation(self, node: SpecMap, kind: str) -> None:
        table = None
        if "table" in node:
            table = self._table(node, "table", node["table"])
        if "column" in node:
            found = self._column(node, "column", node["column"])
            table = found[0] if found else None
        if kind == "average":
            if ("column" in node) == ("expression" in node) or ("expression" in node) != ("over" in node):
                self.fail(node, None, "of kind average takes either 'column' or 'over' with 'expression'")
                return
            if "over" in node:
                table = self._table(node, "over", node["over"])
                self._expression(node, "expression", node["expression"], table)
        filters = node.get("filter")
        items = filters if isinstance(filters, SpecList) else [] if filters is None else [filters]
        for item in items:
            self._expression(node, "filter", item, None)

    def _table(self, node: SpecMap, key: str, value: Any) -> str | None:
        found = self.tables.table(value) if isinstance(value, str) else None
        if isinstance(found, TableName) and found.table == value:
            return value
        hint = did_you_mean(str(value), self.tables.tables, quoted)
        self.fail(node, key, f"names an unknown table {value!r}{hint}")
        return None

    def _column(self, node: SpecMap, key: str, value: Any) -> tuple[str, str] | None:
        text = str(value).strip()
        if not isinstance(value, str) or "[" not in text or not text.endswith("]"):
            self.fail(node, key, f"{key} must be a column like Table[column], found {value!r}")
            return None
        return self._known(node, key, *column_parts(text))

    def _known(self, node: SpecMap, key: str, table: str, column: str) -> tuple[str, str] | None:
        if self._table(node, key, table) is None:
            return None
        found = self.tables.column(table, column)
        if not isinstance(found, ColumnName) or found.column != column:
            hint = did_you_mean(column, self.tables.columns(table), quoted)
            self.fail(node, key, f"names an unknown column {table}[{column}]{hint}")
            return None
        return table, column

    def _expression(self, node: SpecMap, key: str, text: Any, table: str | None) -> None:
        if not isinstance(text, str):
            self.fail(node, key, f"{key} must be a row expression, found {text!r}")
            return
        try:
            parsed = parse(text)
        except RowExpressionError as problem:
            self.fail(node, key, f"{key} {text.strip()!r} cannot be read: {problem}")
            return
        columns = columns_of(parsed)
        for column_table, column in sorted(columns):
            self._known(node, key, column_table, column)
        owners = {t for t, _ in columns}
        if len(owners) > 1 or (table is not None and owners - {table}):
            self.fail(node, key, f"{key} {text.strip()!r} must read columns of one table"
                      + (f" ({table})" if table else ""))


def reference_problems(node: SpecMap, what: str, model: Model, parameters: dict[str, float | int],
                       names: Iterable[str]) -> list[SpecProblem]:
    """The problems of the ``reference`` of measure ``node`` (none when it declares none), each at its line."""
    if "reference" not in node:
        return []
    checker = _Checker(what, model, parameters, set(names))
    checker.reference(node["reference"], node, "reference")
    return checker.problems


def measures_with_reference(spec_dir: Path) -> frozenset[str]:
    """The measures of ``spec_dir``'s specs that a reference can check: every measure of a kind the reference
    interpreter reads and every raw measure declaring a ``reference``, unless it uses a measure that has none."""
    from generator.measures.spec import read_measure_specs

    nodes = {str(item.node.get("name")): item.node for item in read_measure_specs(spec_dir).measures}
    checked: dict[str, bool] = {}

    def has(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name not in checked:
            node = nodes.get(name)
            if node is None or name in seen:
                return False
            spec = node.get("reference") if node.get("kind") == "dax" else node
            checked[name] = isinstance(spec, dict) and all(has(used, seen | {name}) for used in _uses(spec))
        return checked[name]

    return frozenset(name for name in nodes if has(name))


def _uses(spec: dict) -> list[str]:
    """The measures an interpreted spec refers to by name."""
    used = []
    for key in _OPERANDS:
        value = spec.get(key)
        if isinstance(value, str):
            used.append(value)
        elif isinstance(value, dict):
            used += _uses(value)
    inputs = spec.get("inputs")
    if isinstance(inputs, dict):
        used += [value for value in inputs.values() if isinstance(value, str)]
    return used
