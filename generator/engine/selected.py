"""ALLSELECTED: the filters of the query's shadow filter context, restored.

DAX reference (dax.guide/allselected; SQLBI, *The definitive guide to ALLSELECTED*): ALLSELECTED removes the
filters on its columns (a table: every column of its expanded table; no argument: every column) and restores
the *last shadow filter context* on them — the filter context an iterator was in when it started iterating.
In a query, SUMMARIZECOLUMNS is that iterator: its shadow filter context is the context it starts from (the
filters of an enclosing CALCULATETABLE and its own filter tables, such as a visual's slicers), not the group's
own values. So inside ``SUMMARIZECOLUMNS('Product'[Category], TREATAS({"Bikes", "Parts"}, 'Product'[Category]),
"Share", DIVIDE([Sales], CALCULATE([Sales], ALLSELECTED('Product'[Category]))))`` the denominator of each row is
the sales of Bikes and Parts together: the row's Category filter is replaced by the slicer's.

As a CALCULATE modifier it acts with REMOVEFILTERS/ALL (before the filter arguments). As a table function
(with an argument) it is the column's values, or the table's rows, visible under that restored context.

What the engine does not track, it refuses (``unsupported: ALLSELECTED``): outside SUMMARIZECOLUMNS (no shadow
filter context), and inside an iterator's row — FILTER, SUMX, ADDCOLUMNS and the other iterators leave shadow
filter contexts of their own, which ALLSELECTED would restore instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.dax import ast
from generator.engine.context import FilterContext, Materialize
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.relations import ColumnKey, Relation, RelColumn, column_name

if TYPE_CHECKING:
    from generator.engine.compiler import Compiler, Env


def arguments(compiler: Compiler, node: ast.Call, env: Env) -> tuple[frozenset[ColumnKey], frozenset[str]]:
    """The columns (for column arguments) or lower-cased tables (for a table argument) ALLSELECTED restores;
    both empty for ALLSELECTED(). Refuses where the shadow filter context is not known."""
    if env.rows or env.context.shadow_lost:
        raise Unsupported(
            "ALLSELECTED", *node.position, reason="inside an iterator, whose shadow filter context is not tracked"
        )
    if env.context.shadow is None:
        raise Unsupported(
            "ALLSELECTED",
            *node.position,
            reason="outside SUMMARIZECOLUMNS there is no shadow filter context to restore",
        )
    if not node.args:
        return frozenset(), frozenset()
    if len(node.args) == 1 and isinstance(node.args[0], ast.TableRef):
        table = compiler.table_named(node.args[0].name, node.args[0])
        return frozenset(), frozenset(compiler.scan(table, env.context).paths)
    keys = frozenset(compiler.column_key(arg) for arg in node.args)
    if len({k[0].lower() for k in keys}) > 1:
        raise DaxEngineError("the columns of ALLSELECTED must belong to one table", *node.position)
    return keys, frozenset()


def restore(
    context: FilterContext, keys: frozenset[ColumnKey], tables: frozenset[str], materialize: Materialize
) -> FilterContext:
    """``context`` with the filters on ``keys`` (or on the columns of ``tables``; with neither, all filters)
    replaced by the shadow filter context's filters on them."""
    assert context.shadow is not None
    if not keys and not tables:
        return FilterContext(context.shadow, context.activated, context.shadow, context.shadow_lost)
    shadow = FilterContext(context.shadow)

    def chosen(key: ColumnKey) -> bool:
        if tables:
            return key[0].lower() in tables
        return (key[0].lower(), key[1].lower()) in {(k[0].lower(), k[1].lower()) for k in keys}

    current = {c for f in context.filters for c in f.columns if chosen(c)}
    if tables:
        context = context.remove_tables(set(tables), materialize)
    else:
        context = context.remove(set(keys) | current, materialize)
    others = {c for f in shadow.filters for c in f.columns if not chosen(c)}
    for restored in shadow.remove(others, materialize).filters:
        context = context.add(restored)
    return context


def allselected_table(compiler: Compiler, node: ast.Call, env: Env) -> Relation:
    """ALLSELECTED(table) / ALLSELECTED(column, …) as a table: the rows or values under the restored context."""
    if not node.args:
        raise DaxEngineError(
            "ALLSELECTED () restores filters inside CALCULATE only; a table is expected here", *node.position
        )
    keys, tables = arguments(compiler, node, env)
    context = restore(env.context, keys, tables, compiler.materialize)
    if tables:
        assert isinstance(node.args[0], ast.TableRef)
        return compiler.table_rows(compiler.table_named(node.args[0].name, node.args[0]), context, True)
    ordered = [compiler.column_key(arg) for arg in node.args]
    columns = tuple(RelColumn(f"c{i}", column_name(k), k, compiler.column_type(k)) for i, k in enumerate(ordered))
    return Relation(compiler.values_query(ordered, context), columns)
