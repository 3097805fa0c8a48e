"""The TMDL tree: nodes keep their exact source lines, semantic accessors are parsed from them.

A :class:`Document` is one ``.tmdl`` file; a :class:`Model` is a whole ``definition/`` folder (relative path →
document). Each :class:`Node` owns, in file order, its ``leading`` lines (blank lines and ``///`` descriptions above
it), its ``header`` line, its ``body`` lines (a multi-line or fenced expression) and then its ``children``. Writing
the lines back in that order gives the original file byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

FENCE = "```"


@dataclass
class Line:
    """One physical source line: ``text`` without its line ending, ``ending`` is ``"\\r\\n"``, ``"\\n"`` or ``""``."""

    number: int
    text: str
    ending: str

    @property
    def raw(self) -> str:
        return self.text + self.ending

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()

    @property
    def indent(self) -> int:
        """Number of leading tabs."""
        return len(self.text) - len(self.text.lstrip("\t"))


@dataclass
class Node:
    """One declaration (``table Sales``), property (``dataType: int64``), flag (``isHidden``), expression property
    (``source =``) or ``ref`` line.

    ``keyword`` is the first word (object type or property name); ``name`` the declared object name (unquoted, ``''``
    unescaped) or ``None``; ``value`` the text after ``:`` for plain properties; ``expression`` the default/expression
    property text after ``=`` (single-line, multi-line with outer indentation stripped, or fenced verbatim).
    """

    level: int
    header: Line
    keyword: str
    name: str | None = None
    ref_type: str | None = None
    value: str | None = None
    has_colon: bool = False
    has_equals: bool = False
    inline_expression: str | None = None
    expression_style: str | None = None  # "inline", "multiline" or "fenced" when has_equals
    body_indent: int = 0
    leading: list[Line] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    # -- kind -------------------------------------------------------------------------------------------------
    @property
    def is_ref(self) -> bool:
        return self.keyword == "ref"

    @property
    def is_property(self) -> bool:
        """``name: value`` properties and one-word flags/expression properties (``isHidden``, ``source = …``)."""
        return self.has_colon or (self.name is None and not self.children)

    @property
    def is_object(self) -> bool:
        return self.name is not None and not self.is_ref

    @property
    def object_type(self) -> str | None:
        return self.ref_type if self.is_ref else (self.keyword if self.name is not None else None)

    # -- semantics --------------------------------------------------------------------------------------------
    @property
    def description(self) -> str | None:
        """The ``///`` lines immediately above the header (no blank line between), joined by newlines."""
        lines: list[str] = []
        for line in reversed(self.leading):
            stripped = line.text.lstrip("\t")
            if not stripped.startswith("///"):
                break
            text = stripped[3:]
            lines.append(text[1:] if text.startswith(" ") else text)
        return "\n".join(reversed(lines)) if lines else None

    @property
    def expression(self) -> str | None:
        if not self.has_equals:
            return None
        if self.expression_style == "inline":
            return self.inline_expression
        if self.expression_style == "fenced":
            inner = self.body[:-1]
            closing = self.body[-1].text if self.body else ""
            margin = closing[: len(closing) - len(closing.lstrip())]
            return "\n".join(line.text[len(margin):] if line.text.startswith(margin) else line.text.lstrip()
                             for line in inner)
        prefix = "\t" * self.body_indent
        return "\n".join(line.text[len(prefix):] if line.text.startswith(prefix) else line.text.strip()
                         for line in self.body)

    @property
    def properties(self) -> dict[str, str | bool | None]:
        """Plain properties in order: ``name: value`` → value, bare flags → ``True``, ``name = expr`` → expression."""
        result: dict[str, str | bool | None] = {}
        for child in self.children:
            if child.name is not None or child.is_ref:
                continue
            if child.has_colon:
                result[child.keyword] = child.value
            elif child.has_equals:
                result[child.keyword] = child.expression
            else:
                result[child.keyword] = True
        return result

    @property
    def annotations(self) -> dict[str, str | None]:
        return {child.name: child.expression for child in self.children
                if child.keyword == "annotation" and child.name is not None}

    def objects(self, object_type: str | None = None) -> list[Node]:
        """Direct child objects (declarations with a name), optionally of one type (case-insensitive)."""
        return [child for child in self.children if child.is_object
                and (object_type is None or child.keyword.lower() == object_type.lower())]

    def find(self, object_type: str, name: str) -> Node | None:
        return next((child for child in self.objects(object_type) if child.name == name), None)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def lines(self) -> Iterator[Line]:
        """Every source line this node owns, children included, in file order."""
        yield from self.leading
        yield self.header
        yield from self.body
        for child in self.children:
            yield from child.lines()

    def __repr__(self) -> str:
        label = f"{self.keyword} {self.name!r}" if self.name is not None else self.keyword
        return f"Node({label}, line {self.header.number}, {len(self.children)} children)"


@dataclass
class Document:
    """One ``.tmdl`` file: top-level nodes plus the trailing lines after the last one."""

    path: str
    bom: bool = False
    nodes: list[Node] = field(default_factory=list)
    trailing: list[Line] = field(default_factory=list)

    def lines(self) -> Iterator[Line]:
        for node in self.nodes:
            yield from node.lines()
        yield from self.trailing

    def walk(self) -> Iterator[Node]:
        for node in self.nodes:
            yield from node.walk()

    def objects(self, object_type: str | None = None) -> list[Node]:
        return [node for node in self.nodes if node.is_object
                and (object_type is None or node.keyword.lower() == object_type.lower())]

    @property
    def refs(self) -> list[tuple[str, str]]:
        return [(node.ref_type or "", node.name or "") for node in self.nodes if node.is_ref]


@dataclass
class Model:
    """A whole ``definition/`` folder: documents keyed by POSIX path relative to the folder, in sorted order."""

    root: str
    documents: dict[str, Document] = field(default_factory=dict)

    def objects(self, object_type: str | None = None) -> list[Node]:
        return [node for document in self.documents.values() for node in document.objects(object_type)]

    @property
    def tables(self) -> list[Node]:
        return self.objects("table")

    def table(self, name: str) -> Node | None:
        return next((table for table in self.tables if table.name == name), None)

    @property
    def model(self) -> Node | None:
        found = self.objects("model")
        return found[0] if found else None

    @property
    def refs(self) -> list[tuple[str, str]]:
        return [ref for document in self.documents.values() for ref in document.refs]
