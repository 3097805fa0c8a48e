"""Calculation groups: their items applied to the measure references evaluated where one item is selected.

The rules followed (Microsoft Learn "Calculation groups", DAX Guide SELECTEDMEASURE / ISSELECTEDMEASURE /
SELECTEDMEASURENAME / SELECTEDMEASUREFORMATSTRING):

* a calculation group is a table whose column (``Name``) holds one row per item; a query selects an item by
  filtering that column — grouping by it (``SUMMARIZECOLUMNS ( 'Time Calc'[Name], … )``, one item per group
  row), a CALCULATE filter (``'Time Calc'[Name] = "YTD"``), TREATAS, a slicer;
* a **measure reference** evaluated in a filter context where exactly one item of a group is visible is
  replaced by that item's expression, in which ``SELECTEDMEASURE()`` stands for the measure; expressions that
  are not measure references (``SUM ( Sales[Amount] )`` written in the query) are never changed; with no item
  or several items visible the group leaves the measure as it is (a group without a multiple-or-empty
  selection expression, which the engine does not read);
* the filter on the group's column stays in the filter context, so the measures a measure references (and
  the measures an item references) are measure references evaluated there too and get the item as well;
  ``SELECTEDMEASURE()`` itself is the measure, not a new reference;
* several groups: the one with the higher ``precedence`` is applied first — its item's expression is the
  outermost, and ``SELECTEDMEASURE()`` inside it is the measure with the lower-precedence groups' items
  applied (SQLBI, "Understanding calculation group precedence": "the first calculation group applied is the
  one with the larger value");
* ``SELECTEDMEASURENAME()`` is the measure's name, ``ISSELECTEDMEASURE ( [M1], … )`` whether it is one of
  those, ``SELECTEDMEASUREFORMATSTRING()`` its format string; outside a calculation item they are refused.

The item is chosen at run time: the reference compiles to ``CASE SELECTEDVALUE ( group[Name] ) WHEN item THEN
<item expression> … ELSE <measure> END``, compiled only where some filter of the context is on the group's table
(anything else cannot select an item). Items' format string expressions are not applied to the results' formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from generator.dax import ast
from generator.dax.lexer import DaxSyntaxError
from generator.dax.parser import parse_expression
from generator.engine import scalars
from generator.engine.compiler import Compiler, Env
from generator.engine.context import FilterContext
from generator.engine.errors import DaxEngineError
from generator.engine.functions import Kind, function
from generator.engine.model import EngineColumn, EngineMeasure, EngineTable
from generator.engine.values import DaxType, Scalar


@dataclass(frozen=True)
class SelectedMeasure:
    """The measure a calculation item is applied to, and the lower-precedence groups still to apply to it."""

    measure: EngineMeasure
    groups: tuple[EngineTable, ...]


def active(compiler: Compiler, context: FilterContext) -> tuple[EngineTable, ...]:
    """The calculation groups whose table some filter of ``context`` is on, highest precedence first."""
    filtered = {key[0].lower() for current in context.filters for key in current.columns}
    return tuple(t for t in compiler.model.calculation_groups if t.name.lower() in filtered)


def name_column(table: EngineTable) -> EngineColumn:
    """The column of a calculation group holding the items' names (``sourceColumn`` Name, else the first text
    column)."""
    for column in table.columns:
        if column.source.lower() == "name":
            return column
    return next((c for c in table.columns if c.type is DaxType.STRING), table.columns[0])


def apply(compiler: Compiler, measure: EngineMeasure, groups: tuple[EngineTable, ...], env: Env) -> Scalar:
    """``measure`` in ``env`` (after context transition) with the items of ``groups`` (highest precedence first)
    applied where one of their items is selected."""
    if not groups:
        return compiler.measure_body(measure, env)
    group, rest = groups[0], groups[1:]
    assert group.calculation_group is not None
    column = name_column(group)
    selected = compiler.scalar(ast.Call("SELECTEDVALUE", (ast.ColumnRef(group.name, column.name),)), env)
    base = apply(compiler, measure, rest, env)
    branches: list[tuple[str, Scalar]] = []
    for item in group.calculation_group.items:
        what = f"calculation item '{group.name}'[{item.name}]"
        tree = _parsed(compiler, item.expression, what)
        compiler.selected_measures.append(SelectedMeasure(measure, rest))
        try:
            branches.append((item.name, compiler.scalar(tree, env)))
        except DaxEngineError as error:
            if error.args and not str(error.args[0]).startswith("calculation item"):
                error.args = (f"{what}: {error.args[0]}",)
            raise
        finally:
            compiler.selected_measures.pop()
    result_type = scalars.unify_types([base.type, *(value.type for _, value in branches)])

    def choose(operands: list[Scalar]) -> Scalar:
        case = exp.Case()
        for name, value in branches:
            case = case.when(
                exp.EQ(this=operands[0].sql.copy(), expression=exp.Literal.string(name)),
                scalars.cast_to(value, result_type).sql,
            )
        return Scalar(case.else_(scalars.cast_to(base, result_type).sql), result_type)

    return compiler._once([selected], choose)


def _parsed(compiler: Compiler, text: str, what: str) -> ast.Expr:
    if text not in compiler.parses:
        try:
            compiler.parses[text] = parse_expression(text)
        except DaxSyntaxError as error:
            raise DaxEngineError(f"{what} does not parse: {error}") from error
    return compiler.parses[text]


def _current(compiler: Compiler, node: ast.Call) -> SelectedMeasure:
    if not compiler.selected_measures:
        raise DaxEngineError(f"{node.name} () can only be used in a calculation item", *node.position)
    return compiler.selected_measures[-1]


@function("SELECTEDMEASURE", kind=Kind.HANDLER, arity=0)
def selectedmeasure(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """SELECTEDMEASURE(): the measure the item is applied to, with the lower-precedence groups applied."""
    current = _current(compiler, node)
    inner = Env(compiler.transition(env), (), compiler.query_variables, env.measures)
    compiler.selected_measures.pop()  # the measure's own code is outside the item
    try:
        return apply(compiler, current.measure, current.groups, inner)
    finally:
        compiler.selected_measures.append(current)


@function("SELECTEDMEASURENAME", kind=Kind.HANDLER, arity=0)
def selectedmeasurename(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """SELECTEDMEASURENAME(): the name of the measure the item is applied to."""
    return scalars.literal_string(_current(compiler, node).measure.name)


@function("SELECTEDMEASUREFORMATSTRING", kind=Kind.HANDLER, arity=0)
def selectedmeasureformatstring(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """SELECTEDMEASUREFORMATSTRING(): the format string of the measure the item is applied to (BLANK if none)."""
    format_string = _current(compiler, node).measure.format_string
    return scalars.literal_string(format_string) if format_string else scalars.blank()


@function("ISSELECTEDMEASURE", kind=Kind.HANDLER, arity=(1, None))
def isselectedmeasure(compiler: Compiler, node: ast.Call, env: Env) -> Scalar:
    """ISSELECTEDMEASURE([M1], …): TRUE when the measure the item is applied to is one of the arguments."""
    current = _current(compiler, node)
    names = []
    for argument in node.args:
        name = (
            argument.name
            if isinstance(argument, ast.NameRef)
            else (argument.column if isinstance(argument, ast.ColumnRef) else None)
        )
        measure = compiler._measure(name) if name is not None else None
        if measure is None:
            raise DaxEngineError("ISSELECTEDMEASURE takes measure references", *argument.position)
        names.append(measure.name.lower())
    return scalars.literal_boolean(current.measure.name.lower() in names)
