"""The TMDL reader: a ``definition/`` folder (or the ``*.SemanticModel`` folder holding one) → the IR.

Built on the lossless tree of :mod:`generator.tmdl` (the product's one TMDL parser): each declaration becomes a
:class:`~.build.Raw` object named with TMSL's keys, so :func:`.build.build_model` applies the same defaults to
both formats. What is TMDL-specific is only the shape:

* ``table X`` declared in several files is one table (partial declarations); tables, roles, perspectives
  and cultures are ordered by the ``ref`` lines of ``model.tmdl`` (``ref table X``), then in file order;
* a declaration's default expression (``measure M = <DAX>``) is the object's ``expression`` (a table
  permission's ``filterExpression``, an annotation's ``value``, a partition's source ``type``);
* ``source =`` of a partition is its source's expression; a ``source`` block holds its properties;
* ``fromColumn: Table.Column`` is split into ``fromTable`` and ``fromColumn``;
* ``formatStringDefinition = <DAX>`` is the object's dynamic format string;
* a ``///`` description is the object's ``description``; a flag written alone (``isHidden``) is true;
* ``cultureInfo`` objects (``cultures/*.tmdl``) are recorded by name; their translations are not read.
"""

from __future__ import annotations

from pathlib import Path

from generator.semantic.build import Raw, build_model
from generator.semantic.location import Location, ModelSourceError
from generator.semantic.model import SemanticModel
from generator.tmdl.reader import TmdlSyntaxError, read_folder
from generator.tmdl.tree import Model, Node

# Object keywords whose TMSL collection is not the keyword plus "s".
_COLLECTIONS = {
    "hierarchy": "hierarchies", "tablepermission": "tablepermissions", "columnpermission": "columnpermissions",
    "perspectivetable": "tables", "perspectivecolumn": "columns", "perspectivemeasure": "measures",
    "perspectivehierarchy": "hierarchies", "calculationitem": "calculationitems", "datasource": "datasources",
    "cultureinfo": "cultures",
}
# The TMSL property a declaration's default expression (``keyword Name = …``) is.
_DEFAULTS = {"measure": "expression", "column": "expression", "calculationitem": "expression",
             "expression": "expression", "tablepermission": "filterExpression", "annotation": "value",
             "member": "identityProvider"}


def definition_folder(folder: Path) -> Path:
    """``folder/definition`` when it exists (a ``*.SemanticModel`` folder), else ``folder``."""
    return folder / "definition" if (folder / "definition").is_dir() else folder


def _unquote(text: str) -> str:
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def split_reference(text: str, where: Location, what: str) -> list[str]:
    """``Sales.'Order Date'`` → ``["Sales", "Order Date"]`` (``''`` is a quote inside a quoted name)."""
    parts: list[str] = []
    index, text = 0, text.strip()
    while True:
        if text[index:index + 1] == "'":
            chars, index = [], index + 1
            while True:
                end = text.find("'", index)
                if end < 0:
                    raise where.error(f"unterminated quoted name in {what} {text!r} (a quote inside a name is "
                                      "written '')")
                chars.append(text[index:end])
                if text[end + 1:end + 2] == "'":
                    chars.append("'")
                    index = end + 2
                    continue
                index = end + 1
                break
            parts.append("".join(chars))
        else:
            end = text.find(".", index)
            end = len(text) if end < 0 else end
            name = text[index:end].strip()
            if not name:
                raise where.error(f"{what} must be Table.Column, found {text!r}")
            parts.append(name)
            index = end
        if index >= len(text):
            return parts
        if text[index] != ".":
            raise where.error(f"{what} must be Table.Column, found {text!r}")
        index += 1


class _Reader:
    def __init__(self, model: Model):
        self.model = model

    def location(self, node: Node, document: str) -> Location:
        return Location(document, node.header.number, node.level + 1)

    def expression_start(self, node: Node, document: str) -> Location:
        """Where the node's expression text starts: after ``=`` on the header line, or at the first line of its
        multi-line (or fenced) body, past the indentation the expression does not include."""
        if node.expression_style == "inline" and node.inline_expression:
            text = node.header.text.rstrip()
            return Location(document, node.header.number, len(text) - len(node.inline_expression) + 1)
        if node.expression_style == "fenced" and len(node.body) > 1:
            closing = node.body[-1].text
            return Location(document, node.body[0].number, len(closing) - len(closing.lstrip()) + 1)
        if node.expression_style == "multiline" and node.body:
            return Location(document, node.body[0].number, node.body_indent + 1)
        return self.location(node, document)

    def convert(self, node: Node, file: str, what: str) -> Raw:
        """A declaration (or a nameless block) and everything below it."""
        raw = Raw(what, self.location(node, file))
        keyword = node.keyword.lower()
        if node.name is not None:
            raw.set("name", node.name)
        if node.description is not None:
            raw.set("description", node.description)
        if node.has_equals and node.name is not None:
            if keyword == "partition":
                source = Raw(what, raw.location)
                source.set("type", node.expression)
                raw.add("source", source)
            elif keyword in _DEFAULTS:
                raw.set(_DEFAULTS[keyword], node.expression, self.expression_start(node, file))
                if keyword == "column":
                    raw.set("type", "calculated")
        for child in node.children:
            self.child(raw, child, file)
        return raw

    def child(self, raw: Raw, child: Node, file: str) -> None:
        keyword = child.keyword.lower()
        where = self.location(child, file)
        if child.is_ref:
            return
        if child.name is not None:
            collection = _COLLECTIONS.get(keyword, keyword + "s")
            if keyword == "cultureinfo":
                raw.add(collection, Raw("a culture", where, {"name": (child.name, where)}))
            else:
                raw.add(collection, self.convert(child, file, f"{keyword} {child.name}"))
        elif child.has_colon:
            raw.set(keyword, _unquote(child.value or ""), where)
        elif child.has_equals:
            if keyword == "formatstringdefinition":
                definition = Raw(raw.what, where, {"expression": (child.expression, where)})
                raw.add("formatStringDefinition", definition)
            elif keyword == "source" and "source" in raw.children:
                raw.children["source"][0].set("expression", child.expression, where)
            elif keyword == "source":
                source = Raw(raw.what, where)
                source.set("expression", child.expression, where)
                raw.add("source", source)
            else:
                raw.set(keyword, child.expression, where)
        elif child.children:
            block = self.convert(child, file, raw.what)
            if keyword == "source" and "source" in raw.children:
                existing = raw.children["source"][0]
                existing.props.update({k: v for k, v in block.props.items() if k != "type"})
            else:
                raw.add(keyword, block)
        else:
            raw.set(keyword, True, where)

    def relationship(self, raw: Raw) -> None:
        for end in ("fromcolumn", "tocolumn"):
            found = raw.props.get(end)
            if found is None or found[0] is True:
                continue
            label = "fromColumn" if end == "fromcolumn" else "toColumn"
            parts = split_reference(str(found[0]), found[1], f"{label} of {raw.what}")
            if len(parts) != 2:
                raise found[1].error(f"{label} of {raw.what} must be Table.Column, found {found[0]!r}")
            raw.set(end[:-6] + "table", parts[0], found[1])
            raw.set(end, parts[1], found[1])

    def read(self) -> tuple[Raw, Raw | None]:
        model = Raw("the model", Location(self.model.root))
        database: Raw | None = None
        tables: dict[str, Raw] = {}
        order: dict[str, list[str]] = {}

        def ref(node: Node) -> None:
            if node.is_ref and node.name:
                order.setdefault((node.ref_type or "").lower(), []).append(node.name.casefold())

        for path, document in self.model.documents.items():
            file = str(Path(self.model.root) / path)
            for node in document.nodes:
                keyword = node.keyword.lower()
                if node.is_ref:
                    ref(node)
                    continue
                if keyword == "model":
                    block = self.convert(node, file, "the model")
                    for child in node.children:
                        ref(child)
                    model.location = block.location
                    model.props.update(block.props)
                    for name, items in block.children.items():
                        model.children.setdefault(name, []).extend(items)
                elif keyword == "database":
                    database = self.convert(node, file, "the database")
                elif keyword == "table" and node.name is not None:
                    raw = self.convert(node, file, f"table '{node.name}'")
                    known = tables.get(node.name.casefold())
                    if known is None:
                        tables[node.name.casefold()] = raw
                    else:
                        known.props.update({k: v for k, v in raw.props.items() if k != "name"})
                        for name, items in raw.children.items():
                            known.children.setdefault(name, []).extend(items)
                else:
                    self.child(model, node, file)
        model.children["tables"] = list(tables.values())
        for ref_type, collection in (("table", "tables"), ("role", "roles"), ("perspective", "perspectives"),
                                     ("cultureinfo", "cultures")):
            ranked = {name: rank for rank, name in enumerate(dict.fromkeys(order.get(ref_type, [])))}
            if collection in model.children:
                model.children[collection].sort(key=lambda o: ranked.get(o.text("name").casefold(), len(ranked)))
        for relationship in model.many("relationships"):
            self.relationship(relationship)
        return model, database


def read_tmdl(folder: Path | str) -> SemanticModel:
    """The IR of a TMDL ``definition/`` folder or the ``*.SemanticModel`` folder holding one."""
    definition = definition_folder(Path(folder))
    if not definition.is_dir() or not any(definition.rglob("*.tmdl")):
        raise ModelSourceError(Location(str(folder)), "has no .tmdl files (expected a TMDL definition/ folder)")
    try:
        tree = read_folder(definition)
    except TmdlSyntaxError as error:
        raise ModelSourceError(error.location, error.message) from None
    return from_tree(tree)


def from_tree(tree: Model) -> SemanticModel:
    """The IR of an already parsed lossless TMDL tree (``build --into`` reads the user's folder once and
    decides on this IR which generated objects are current, while it edits the tree)."""
    model, database = _Reader(tree).read()
    return build_model(model, database=database)
