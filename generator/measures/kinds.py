"""Measure kinds: the arguments each takes, how they are checked, and the DAX template it renders.

A kind turns checked arguments into the context of its jinja2 template (``templates/<template>.dax.j2``).
Operands that name another measure (``numerator: CSAT - Positive``) become ``[CSAT - Positive]``; an operand
may also be an inline aggregation (``numerator: {kind: count_where, ...}``), rendered in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from generator.dax.ast import ColumnRef
from generator.dax.lexer import DaxSyntaxError
from generator.dax.names import dax_column, dax_measure, dax_number, dax_string, dax_table
from generator.dax.parser import parse_expression
from generator.errors import SpecProblem
from generator.semantic.names import Names, Unknown, did_you_mean, quoted
from generator.spec.model import Model
from generator.spec.yamlsrc import SpecList, SpecMap

# Our own templates, but their context holds spec text: rendered in the sandbox all the same.
_TEMPLATES = ImmutableSandboxedEnvironment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False,
)

COMMON_KEYS = ("name", "kind", "home_table", "folder", "description", "format", "hidden", "lint_ignore")
COMPARISONS = ("<", "<=", ">", ">=", "=", "<>")
# The period shift (a DAX table expression over the date column ``{dates}`` of the date table ``{table}``) and
# the date-table column whose single value defines "one period". DAX has no PREVIOUSWEEK: the previous week is
# the seven days before the week's Monday (the whole week, also when the current one is cut short).
PERIODS = {"previous_week": ("DATESBETWEEN ( {dates}, MIN ( {table}[week_start] ) - 7, "
                             "MIN ( {table}[week_start] ) - 1 )", "week_start"),
           "previous_month": ("PREVIOUSMONTH ( {dates} )", "month_start"),
           "previous_quarter": ("PREVIOUSQUARTER ( {dates} )", "quarter_start"),
           "previous_year": ("PREVIOUSYEAR ( {dates} )", "year")}


class Args:
    """A measure's arguments with the checks every kind needs; problems carry the argument's line."""

    def __init__(self, node: SpecMap, what: str, model: Model, parameters: dict[str, float | int],
                 problems: list[SpecProblem]):
        self.node, self.what, self.model, self.parameters, self.problems = node, what, model, parameters, problems

    def fail(self, key: str | None, message: str) -> None:
        """Report a problem at ``key``'s line (the measure's line when ``key`` is None)."""
        line = self.node.line_of(key) if key else self.node.line
        self.problems.append(SpecProblem(self.node.file, line, f"{self.what}: {message}"))

    def text(self, key: str, default: str | None = None) -> str | None:
        """A text argument."""
        value = self.node.get(key, default)
        if value is not None and not isinstance(value, str | int | float):
            self.fail(key, f"'{key}' must be text, found {type(value).__name__}")
            return None
        return None if value is None else str(value)

    def number(self, key: str, default: float | int) -> float | int:
        """A number argument, or a parameter's name."""
        value = self.node.get(key, default)
        if isinstance(value, str) and value in self.parameters:
            return self.parameters[value]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"'{key}' must be a number or a parameter name, found {value!r}")
            return default
        return value

    def dax(self, key: str, text: str, line: int | None = None) -> str | None:
        """``text`` if it parses as a DAX expression; else a problem naming the position."""
        try:
            parse_expression(text)
        except DaxSyntaxError as exc:
            where = line if line is not None else self.node.line_of(key)
            self.problems.append(SpecProblem(self.node.file, where, f"{self.what}: '{key}' is not valid DAX: "
                                                                     f"{exc.message} (at {exc.line}:{exc.column})"))
            return None
        return text

    def dax_list(self, key: str) -> list[str]:
        """One DAX expression or a list of them (e.g. filters)."""
        value = self.node.get(key)
        if value is None:
            return []
        items = value if isinstance(value, SpecList) else [value]
        found = []
        for index, item in enumerate(items):
            line = value.line_of(index) if isinstance(value, SpecList) else None
            if not isinstance(item, str):
                self.fail(key, f"'{key}' must be DAX text or a list of DAX texts, found {item!r}")
                continue
            checked = self.dax(key, item, line)
            if checked is not None:
                found.append(checked)
        return found

    def column(self, key: str, value: Any = None) -> str | None:
        """A ``Table[column]`` reference to a column of the semantic model."""
        value = self.node.get(key) if value is None else value
        if not isinstance(value, str):
            self.fail(key, f"'{key}' must be a column reference like Table[column], found {value!r}")
            return None
        try:
            expr = parse_expression(value)
        except DaxSyntaxError:
            expr = None
        if not isinstance(expr, ColumnRef):
            self.fail(key, f"'{key}' must be a column reference like Table[column], found {value!r}")
            return None
        found = self._names.column(expr.table, expr.column)
        if isinstance(found, Unknown):
            what = f"table '{expr.table}'" if found.what == "table" else f"column '{found.table}[{expr.column}]'"
            self.fail(key, f"unknown {what}{found.hint()}")
            return None
        return dax_table(found.table) + dax_measure(found.column)

    @cached_property
    def _names(self) -> Names:
        """The specs' tables and columns, indexed once per measure."""
        return Names.of_spec_tables(self.model)

    def table(self, key: str, value: Any = None) -> str | None:
        """A table of the semantic model."""
        value = self.node.get(key) if value is None else value
        names = self._names
        found = names.table(value if isinstance(value, str) else str(value))
        if not isinstance(value, str) or isinstance(found, Unknown):
            self.fail(key, f"unknown table {value!r}{did_you_mean(str(value), names.tables, quoted)}")
            return None
        return dax_table(found.table)

    def column_pair(self, key: str, value: Any) -> tuple[str, str] | None:
        """A ``{from: T[c], to: T[c]}`` pair."""
        if not isinstance(value, SpecMap) or set(value) != {"from", "to"}:
            self.fail(key, f"'{key}' must be a mapping with 'from' and 'to' column references")
            return None
        ends = (self.column(key, value["from"]), self.column(key, value["to"]))
        return None if None in ends else (ends[0], ends[1])  # type: ignore[return-value]

    def operand(self, key: str, render: Callable[[SpecMap, str], str | None]) -> tuple[str, bool] | None:
        """A measure name (→ ``[Name]``) or an inline aggregation; the flag is True for an inline one."""
        value = self.node.get(key)
        if isinstance(value, str):
            return dax_measure(value), False
        if isinstance(value, SpecMap):
            rendered = render(value, f"{self.what} ({key})")
            return (rendered, True) if rendered is not None else None
        self.fail(key, f"'{key}' must be a measure name or an inline measure with a 'kind', found {value!r}")
        return None


@dataclass(frozen=True)
class Kind:
    """A measure kind: its arguments and the function that turns them into a template context."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    template: str
    context: Callable[[Args, Callable[[SpecMap, str], str | None]], dict[str, Any] | None]
    inline: bool = False  # usable as an inline operand of another measure


def _aggregate(base: Callable[[Args], str | None]) -> Callable[[Args, Any], dict[str, Any] | None]:
    def context(args: Args, _render: Any) -> dict[str, Any] | None:
        expression = base(args)
        filters = args.dax_list("filter")
        relationship = None
        if "use_relationship" in args.node:
            relationship = args.column_pair("use_relationship", args.node["use_relationship"])
            if relationship is not None and not _is_relationship(args, relationship):
                return None
        if expression is None:
            return None
        return {"base": expression, "filters": filters, "relationship": relationship}
    return context


def _is_relationship(args: Args, pair: tuple[str, str]) -> bool:
    for rel in args.model.relationships:
        ends = (f"{dax_table(rel.from_table)}[{rel.from_column}]", f"{dax_table(rel.to_table)}[{rel.to_column}]")
        if ends == pair:
            if rel.active:
                args.fail("use_relationship", f"the relationship {rel.name} is already active; "
                                              "drop 'use_relationship'")
                return False
            return True
    args.fail("use_relationship", "no relationship of the model joins these columns; declare it (inactive) "
                                  "in model/*.yaml first")
    return False


def _count_base(args: Args) -> str | None:
    table = args.table("table")
    return None if table is None else f"COUNTROWS ( {table} )"


def _column_function(function: str) -> Callable[[Args], str | None]:
    def base(args: Args) -> str | None:
        column = args.column("column")
        return None if column is None else f"{function} ( {column} )"
    return base


def _average_base(args: Args) -> str | None:
    if ("column" in args.node) == ("expression" in args.node):
        args.fail(None, "an average takes either 'column' or 'over' with 'expression'")
        return None
    if "column" in args.node:
        return _column_function("AVERAGE")(args)
    table = args.table("over") if "over" in args.node else None
    if "over" not in args.node:
        args.fail("expression", "'expression' needs 'over': the table to iterate")
    expression = args.dax("expression", args.text("expression") or "")
    if table is None or expression is None:
        return None
    return f"AVERAGEX ( {table}, {expression} )"


def _ratio(args: Args, render: Any) -> dict[str, Any] | None:
    numerator = args.operand("numerator", render)
    denominator = args.operand("denominator", render)
    align = None
    if "denominator_align" in args.node:
        raw = args.node["denominator_align"]
        if not isinstance(raw, SpecList) or len(raw) != 1:
            args.fail("denominator_align", "'denominator_align' takes a list of exactly one {from, to} pair")
            return None
        align = args.column_pair("denominator_align", raw[0])
        if align is None:
            return None
    blank_numerator = args.text("blank_numerator", "zero")
    if blank_numerator not in ("zero", "blank"):
        args.fail("blank_numerator", f"'blank_numerator' must be zero or blank, found {blank_numerator!r}")
    scale = args.number("scale", 1)
    if numerator is None or denominator is None:
        return None
    return {"numerator": numerator[0], "numerator_var": numerator[1],
            "denominator": denominator[0], "denominator_var": denominator[1] or align is not None,
            "align": align, "zero_numerator": blank_numerator == "zero", "scale": dax_number(scale)}


def _measure_name(args: Args, key: str) -> str | None:
    value = args.text(key)
    if not value:
        args.fail(key, f"'{key}' must name a measure")
        return None
    return dax_measure(value)


def _difference(args: Args, _render: Any) -> dict[str, Any] | None:
    left, right = _measure_name(args, "left"), _measure_name(args, "right")
    scale = args.number("scale", 1)
    return None if left is None or right is None else {"left": left, "right": right, "scale": dax_number(scale)}


def _baseline_gap(args: Args, _render: Any) -> dict[str, Any] | None:
    measure = _measure_name(args, "measure")
    raw = args.node.get("remove_filters")
    if not isinstance(raw, SpecList) or not raw:
        args.fail("remove_filters", "'remove_filters' must be a non-empty list of tables or Table[column]s")
        return None
    targets = [args.column("remove_filters", item) if "[" in str(item) else args.table("remove_filters", item)
               for item in raw]
    if measure is None or None in targets:
        return None
    return {"measure": measure, "remove_filters": targets, "scale": dax_number(args.number("scale", 1))}


def _threshold_flag(args: Args, _render: Any) -> dict[str, Any] | None:
    measure = _measure_name(args, "measure")
    operator = args.text("operator")
    if operator not in COMPARISONS:
        args.fail("operator", f"'operator' must be one of {' '.join(COMPARISONS)}, found {operator!r}")
        return None
    threshold = args.number("threshold", 0)
    return None if measure is None else {"measure": measure, "operator": operator, "threshold": dax_number(threshold)}


def _tiering(args: Args, _render: Any) -> dict[str, Any] | None:
    raw_inputs, raw_tiers = args.node.get("inputs"), args.node.get("tiers")
    if not isinstance(raw_inputs, SpecMap) or not raw_inputs:
        args.fail("inputs", "'inputs' must map variable names to measure names")
        return None
    inputs = []
    for name, measure in raw_inputs.items():
        if not name.isidentifier() or not isinstance(measure, str):
            args.fail("inputs", f"input '{name}' must be an identifier naming a measure")
            return None
        inputs.append((name, dax_measure(measure)))
    if not isinstance(raw_tiers, SpecList) or not raw_tiers:
        args.fail("tiers", "'tiers' must be a list of {label, when}")
        return None
    tiers = []
    for index, tier in enumerate(raw_tiers):
        if not isinstance(tier, SpecMap) or set(tier) != {"label", "when"}:
            args.fail("tiers", f"tier {index + 1} must be a mapping with 'label' and 'when'")
            return None
        condition = args.dax("tiers", str(tier["when"]), tier.line_of("when"))
        if condition is None:
            return None
        tiers.append((dax_string(str(tier["label"])), condition))
    guard = args.text("blank_when_blank")
    if guard is not None and guard not in raw_inputs:
        args.fail("blank_when_blank", f"'blank_when_blank' must be one of the inputs ({', '.join(raw_inputs)})")
        return None
    otherwise = args.text("otherwise")
    return {"inputs": inputs, "tiers": tiers, "blank_when_blank": guard,
            "otherwise": dax_string(otherwise or "")}


def _period_change(args: Args, _render: Any) -> dict[str, Any] | None:
    measure = _measure_name(args, "measure")
    period = args.text("period")
    if period not in PERIODS:
        args.fail("period", f"'period' must be one of {', '.join(PERIODS)}, found {period!r}")
        return None
    date_table = next((t for t in args.model.tables if t.is_date_table), None)
    if date_table is None:
        args.fail(None, "a period comparison needs the model's date table")
        return None
    shift, grain = PERIODS[period]
    date_column = dax_table(date_table.name) + dax_measure(date_table.key[0])
    default_grain = dax_column(date_table.name, grain)
    grain_column = args.column("grain_column", args.node.get("grain_column", default_grain))
    if measure is None or grain_column is None:
        return None
    return {"measure": measure, "shift": shift.format(dates=date_column, table=dax_table(date_table.name)),
            "grain_column": grain_column,
            "scale": dax_number(args.number("scale", 1))}


_AGGREGATE_OPTIONS = ("filter", "use_relationship")
KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("count", ("table",), _AGGREGATE_OPTIONS, "aggregate", _aggregate(_count_base), inline=True),
    Kind("count_where", ("table", "filter"), ("use_relationship",), "aggregate", _aggregate(_count_base),
         inline=True),
    Kind("sum", ("column",), _AGGREGATE_OPTIONS, "aggregate", _aggregate(_column_function("SUM")), inline=True),
    Kind("average", (), ("column", "over", "expression", *_AGGREGATE_OPTIONS), "aggregate",
         _aggregate(_average_base), inline=True),
    Kind("min", ("column",), _AGGREGATE_OPTIONS, "aggregate", _aggregate(_column_function("MIN")), inline=True),
    Kind("max", ("column",), _AGGREGATE_OPTIONS, "aggregate", _aggregate(_column_function("MAX")), inline=True),
    Kind("distinct_count", ("column",), _AGGREGATE_OPTIONS, "aggregate",
         _aggregate(_column_function("DISTINCTCOUNT")), inline=True),
    Kind("ratio", ("numerator", "denominator"), ("scale", "denominator_align", "blank_numerator"), "ratio",
         _ratio),
    Kind("difference", ("left", "right"), ("scale",), "difference", _difference),
    Kind("baseline_gap", ("measure", "remove_filters"), ("scale",), "baseline_gap", _baseline_gap),
    Kind("threshold_flag", ("measure", "operator", "threshold"), (), "threshold_flag", _threshold_flag),
    Kind("tiering", ("inputs", "tiers", "otherwise"), ("blank_when_blank",), "tiering", _tiering),
    Kind("period_change", ("measure", "period"), ("scale", "grain_column"), "period_change", _period_change),
)}
RAW_KIND = "dax"


def render_kind(kind: Kind, args: Args) -> str | None:
    """The DAX text of a measure of ``kind`` (unformatted), or None after reporting problems."""

    def render_inline(node: SpecMap, what: str) -> str | None:
        inner_kind = node.get("kind")
        if inner_kind not in KINDS or not KINDS[inner_kind].inline:
            inline = sorted(name for name, k in KINDS.items() if k.inline)
            args.problems.append(SpecProblem(node.file, node.line, f"{what}: an inline operand needs a 'kind' "
                                                                   f"among {', '.join(inline)}"))
            return None
        inner = KINDS[inner_kind]
        missing = [key for key in inner.required if key not in node]
        extra = [key for key in node if key not in (*inner.required, *inner.optional, "kind")]
        for key in missing:
            args.problems.append(SpecProblem(node.file, node.line, f"{what}: kind {inner_kind} needs '{key}'"))
        for key in extra:
            args.problems.append(SpecProblem(node.file, node.line_of(key),
                                             f"{what}: unknown key '{key}' for kind {inner_kind}"))
        if missing or extra:
            return None
        return render_kind(inner, Args(node, what, args.model, args.parameters, args.problems))

    context = kind.context(args, render_inline)
    if context is None:
        return None
    return _TEMPLATES.get_template(f"{kind.template}.dax.j2").render(context).strip()
