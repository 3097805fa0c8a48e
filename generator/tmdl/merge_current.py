"""Whether a generated object already in a user's model is current, decided on the semantic-model IR.

``build --into`` and ``check --into`` read the user's ``definition/`` folder into the lossless tree (to edit it
byte for byte) and, from that same tree, into the IR (:func:`generator.semantic.tmdl.from_tree`); what the
specs generate comes from the spec reader (:func:`generator.semantic.spec.from_spec`). A generated object in the
user's model is *current* when

* its lines are those the generator writes (after adapting line endings), or
* its IR object equals the generated IR object (locations ignored) **and** it states the same properties
  (the set of property and child keywords, wherever they sit).

So what TOM does not see is not a change: property order, quoting a name that needs none, blank lines, the
indentation of an expression block, ``///`` against the same description. Power BI Desktop re-saving a model
in its own layout therefore leaves it current, and the merge leaves those bytes alone. What TOM sees is a change
and the object is rewritten as generated: a different value (DAX text included: its whitespace is part of the
expression TOM stores), an added, removed or reordered annotation, and any property the generated object does
not state, even one the IR does not model or one set to its default (``changedProperty``, ``isHidden: false``),
since the generator owns the whole object.

The table-level properties of a generated table (``--with-tables``: its description, lineage tag, data
category, annotations) are one object: current when the user's table, without its columns, measures,
partitions and hierarchies and with only the annotations the generator writes, equals the generated one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from generator.semantic.model import SemanticModel, Table
from generator.tmdl.tree import Node

#: The generated object types whose currentness is decided per object on the IR.
_OBJECT_TYPES = ("measure", "column", "partition", "relationship", "expression", "role")


def _named(items: Iterable, name: str | None) -> object | None:
    """The only item called ``name`` (exact spelling, as the tree matches objects), or None (none or several)."""
    found = [item for item in items if item.name == name]
    return found[0] if len(found) == 1 else None


def _shape(node: Node, path: tuple[str, ...] = ()) -> frozenset[tuple[str, ...]]:
    """Every keyword path below ``node`` (``("annotation",)``, ``("formatstringdefinition",)`` …)."""
    found: set[tuple[str, ...]] = set()
    for child in node.children:
        here = (*path, child.keyword.lower())
        found.add(here)
        found |= _shape(child, here)
    return frozenset(found)


def _own_properties(table: Table, annotations: set[str]) -> Table:
    """The table without its child objects, keeping only the annotations named in ``annotations``."""
    return dataclasses.replace(table, columns=(), measures=(), partitions=(), hierarchies=(), calculation_group=None,
                               annotations=tuple(a for a in table.annotations if a.name in annotations))


class Currentness:
    """Answers "is this generated object of the user's model current?" from the two IRs (see the module
    docstring). ``target`` is the user's model as read before any edit, ``ours`` what the specs generate."""

    def __init__(self, target: SemanticModel, ours: SemanticModel):
        self.target = target
        self.ours = ours

    def _object(self, model: SemanticModel, keyword: str, name: str | None, table: str | None) -> object | None:
        if keyword in ("measure", "column", "partition"):
            home = _named(model.tables, table)
            return _named(getattr(home, keyword + "s"), name) if isinstance(home, Table) else None
        collection = {"relationship": model.relationships, "expression": model.expressions, "role": model.roles}
        return _named(collection[keyword], name)

    def same_object(self, existing: Node, mine: Node, table: str | None) -> bool:
        """Whether ``existing`` (a node of the user's model) is IR-equal to ``mine`` (the generated node of the
        same type and name) and states the same properties. False for nodes that are not whole objects."""
        keyword = existing.keyword.lower()
        if keyword not in _OBJECT_TYPES or existing.name is None:
            return False
        theirs = self._object(self.target, keyword, existing.name, table)
        ours = self._object(self.ours, keyword, mine.name, table)
        return theirs is not None and theirs == ours and _shape(existing) == _shape(mine)

    def same_table_properties(self, name: str) -> bool:
        """Whether generated table ``name`` of the user's model has the generated table's own properties."""
        theirs, ours = _named(self.target.tables, name), _named(self.ours.tables, name)
        if not isinstance(theirs, Table) or not isinstance(ours, Table):
            return False
        written = {annotation.name for annotation in ours.annotations}
        return _own_properties(theirs, written) == _own_properties(ours, written)

