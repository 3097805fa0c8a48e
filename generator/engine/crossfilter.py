"""CROSSFILTER(column1, column2, direction): a CALCULATE modifier that sets a relationship's filter direction.

DAX reference (dax.guide/crossfilter, Microsoft Learn): the relationship is the model's relationship between
the two columns (given in either order); for the duration of the CALCULATE it carries filters as the direction
says, whatever the model sets; the innermost CROSSFILTER wins. Directions (words, or the numbers 0–4):

* ``NONE`` (0): no filter crosses the relationship;
* ``ONEWAY`` (1): the one side filters the many side — not for one-to-one (an error) nor many-to-many
  (which side is the lookup side is unclear: an error naming the two directions to use instead);
* ``BOTH`` (2): each side filters the other (:mod:`generator.engine.propagation`);
* ``ONEWAY_RIGHTFILTERSLEFT`` (3) / ``ONEWAY_LEFTFILTERSRIGHT`` (4): column2's side filters column1's side /
  the other way round; only for many-to-many relationships (an error on the others, as the reference says).

The result is the relationship with its new direction, put in effect like USERELATIONSHIP's (it replaces the
relationships between the same two tables). A relationship that is not in effect (inactive and not activated
by USERELATIONSHIP) is refused: the reference does not say that CROSSFILTER activates one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from generator.dax import ast
from generator.engine.context import FilterContext
from generator.engine.errors import DaxEngineError, Unsupported
from generator.engine.model import EngineRelationship
from generator.engine.relations import column_name

if TYPE_CHECKING:
    from generator.engine.compiler import Compiler

_DIRECTIONS = {"NONE": 0, "ONEWAY": 1, "BOTH": 2, "ONEWAY_RIGHTFILTERSLEFT": 3, "ONEWAY_LEFTFILTERSRIGHT": 4}


def _direction(node: ast.Expr) -> int:
    if isinstance(node, ast.Keyword | ast.NameRef | ast.TableRef):
        word = getattr(node, "name", "").upper()
        if word in _DIRECTIONS:
            return _DIRECTIONS[word]
    if isinstance(node, ast.Number) and node.text in ("0", "1", "2", "3", "4"):
        return int(node.text)
    raise DaxEngineError(
        "CROSSFILTER's direction must be NONE, ONEWAY, BOTH, ONEWAY_LEFTFILTERSRIGHT or ONEWAY_RIGHTFILTERSLEFT",
        *node.position,
    )


def _ends(relationship: EngineRelationship) -> tuple[tuple[str, str], tuple[str, str]]:
    return (
        (relationship.from_table.lower(), relationship.from_column.lower()),
        (relationship.to_table.lower(), relationship.to_column.lower()),
    )


def crossfilter(compiler: Compiler, node: ast.Call, context: FilterContext) -> EngineRelationship:
    """The relationship CROSSFILTER names, with the direction it sets (``cross_filter``)."""
    compiler.check_arity(node, 3, 3)
    left, right = (compiler.column_key(arg) for arg in node.args[:2])
    direction = _direction(node.args[2])
    wanted = {(left[0].lower(), left[1].lower()), (right[0].lower(), right[1].lower())}
    relationship = next((r for r in compiler.model.relationships if set(_ends(r)) == wanted), None)
    if relationship is None:
        raise DaxEngineError(
            f"CROSSFILTER: no relationship between {column_name(left)} and {column_name(right)}", *node.position
        )
    if not relationship.active and not any(set(_ends(r)) == wanted for r in context.activated):
        raise Unsupported("CROSSFILTER of an inactive relationship", *node.position)
    cardinality = relationship.cardinality
    if direction == 0:
        return replace(relationship, active=True, cross_filter="none")
    if direction == 2:
        return replace(relationship, active=True, cross_filter="both")
    if direction == 1:
        if cardinality == "one_to_one":
            raise DaxEngineError("CROSSFILTER: ONEWAY cannot be used with a one-to-one relationship", *node.position)
        if cardinality == "many_to_many":
            raise DaxEngineError(
                "CROSSFILTER: ONEWAY on a many-to-many relationship does not say which side "
                "filters; use ONEWAY_LEFTFILTERSRIGHT or ONEWAY_RIGHTFILTERSLEFT",
                *node.position,
            )
        return replace(relationship, active=True, cross_filter="single")
    if cardinality != "many_to_many":
        word = next(name for name, number in _DIRECTIONS.items() if number == direction)
        raise DaxEngineError(f"CROSSFILTER: {word} can be used with a many-to-many relationship only", *node.position)
    filtering = left if direction == 4 else right  # the side whose filters travel
    to_end = (relationship.to_table.lower(), relationship.to_column.lower())
    to_filters_from = (filtering[0].lower(), filtering[1].lower()) == to_end
    return replace(relationship, active=True, cross_filter="single" if to_filters_from else "reverse")
