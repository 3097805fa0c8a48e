"""SUMMARIZE with added name/expression columns (issue 22); declares SUMMARIZE, whose plain form is
:func:`tables.summarize`.

The rule followed (DAX Guide, SUMMARIZE: "The expression of the new column is executed in both a row context and
a filter context"; the filter context is the rows of the group — the rows of SUMMARIZE's first argument whose
group-by columns hold the row's values): each added column is

    ADDCOLUMNS ( SUMMARIZE ( table, groups… ), "name", CALCULATE ( expression [, KEEPFILTERS ( table )] ) )

CALCULATE's context transition filters the group-by columns to the row's values; when ``table`` is not a plain
table reference (e.g. ``FILTER ( Sales, … )``) it is also a filter argument, kept with KEEPFILTERS so that it
intersects the row's values rather than replacing them: the expression sees only that table's rows of the group,
as SUMMARIZE does. ``ROLLUP``/``ROLLUPGROUP`` (subtotal rows) are refused with their
position.
"""

from __future__ import annotations

from generator.dax import ast
from generator.engine.compiler import Compiler, Env
from generator.engine.errors import Unsupported
from generator.engine.functions import Kind, declare
from generator.engine.relations import Relation
from generator.engine.tables import _split_summarize_arguments, summarize

_SUBTOTALS = ("ROLLUP", "ROLLUPGROUP", "ROLLUPADDISSUBTOTAL", "ISSUBTOTAL")


def summarize_with_columns(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """SUMMARIZE(table, group columns… [, "name", expression]…): the distinct group combinations, each added
    expression evaluated in the group's row and filter context (see the module docstring)."""
    compiler.check_arity(node, 1)
    groups, named = _split_summarize_arguments(node, 1)
    for group in groups:
        if isinstance(group, ast.Call) and group.name in _SUBTOTALS:
            raise Unsupported(
                f"SUMMARIZE with {group.name}",
                *group.position,
                reason="subtotal rows are not evaluated; use SUMMARIZECOLUMNS without ROLLUP",
            )
    if not named:
        return summarize(compiler, node, env)
    table = node.args[0]
    base = ast.Call("SUMMARIZE", (table, *groups), node.line, node.column)
    plain = isinstance(table, ast.TableRef)
    added: list[ast.Expr] = []
    for name, expression in named:
        filters = () if plain else (ast.Call("KEEPFILTERS", (table,), table.line, table.column),)
        added += [
            ast.String(name, expression.line, expression.column),
            ast.Call("CALCULATE", (expression, *filters), expression.line, expression.column),
        ]
    return compiler.table(ast.Call("ADDCOLUMNS", (base, *added), node.line, node.column), env)


declare("SUMMARIZE", kind=Kind.TABLE, arity=(1, None), compile=summarize_with_columns)
