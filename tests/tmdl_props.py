"""A small, test-side reader of TMDL text, independent of the generator's writer.

It reads the subset of TMDL described in ``shared/reference/powerbi-formats.md`` §1 that a semantic model
without roles, cultures or perspectives uses, and it is strict: anything it does not understand raises
:class:`TmdlError` with the line number, so a writer bug shows up as a parse error rather than being skipped.

* indentation is tabs only; one tab per level; a structural line indented with spaces is an error;
* ``/// text`` lines directly above a declaration are its description (one space after ``///`` dropped);
* ``keyword name`` declares an object (``table Sales``, ``column 'Order Date'``); names with ``. = : '`` or
  whitespace are quoted with ``'`` (doubled inside); ``ref table Sales`` is a reference;
* ``keyword name = value`` gives the object's default property (measure DAX, partition source type, annotation
  value, M expression); ``keyword name =`` followed by a body indented two levels deeper gives a multi-line
  one; ``= ```...``` `` fences keep a body verbatim;
* inside an object, ``name: value`` is a property (``"..."`` quotes with ``""`` escapes are removed), a bare
  ``name`` is a boolean property set to true, ``name = value`` / ``name =`` + body is an expression property
  (``source =`` of a partition), and a bare ``name`` followed by deeper lines is a nested block of properties
  (``dataAccessOptions``).

Not covered (the generator writes none of them): nameless objects with a default property such as
``changedProperty = FormatString`` are read as expression properties, and calculation groups, roles,
perspectives and cultures have no special handling beyond the generic object/property rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNQUOTED_NAME = re.compile(r"[^\s=:'.]+")


class TmdlError(ValueError):
    """Text the reader cannot parse; ``line`` is 1-based."""

    def __init__(self, message: str, line: int, file: str = "<tmdl>"):
        self.line = line
        self.file = file
        super().__init__(f"{file}:{line}: {message}")


@dataclass
class Property:
    """One property line: ``kind`` is ``":"`` (``name: value``), ``"="`` (expression property), ``"bare"``
    (boolean shortcut, ``value`` is True) or ``"block"`` (nested properties in ``children``)."""

    name: str
    value: str | bool | None
    kind: str
    line: int
    children: list[Property] = field(default_factory=list)


@dataclass
class TmdlObject:
    """An object declaration with its properties and child objects. ``ref`` marks ``ref <keyword> <name>``."""

    keyword: str
    name: str | None
    line: int
    default: str | None = None
    description: str | None = None
    ref: bool = False
    properties: list[Property] = field(default_factory=list)
    children: list[TmdlObject] = field(default_factory=list)

    def prop(self, name: str) -> str | bool | None:
        """The value of property ``name`` (case-insensitive), None when absent."""
        for item in self.properties:
            if item.name.lower() == name.lower():
                return item.value
        return None

    def scalars(self) -> dict[str, str | bool | None]:
        """Every ``:``, ``=`` and bare property by name."""
        return {item.name: item.value for item in self.properties if item.kind != "block"}

    def of(self, keyword: str) -> list[TmdlObject]:
        """Child objects declared with ``keyword`` (case-insensitive), references excluded."""
        return [child for child in self.children if child.keyword.lower() == keyword.lower() and not child.ref]

    def annotations(self) -> dict[str, str | None]:
        return {child.name or "": child.default for child in self.of("annotation")}

    def walk(self):
        """This object and every object below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def unquote_value(text: str) -> str:
    """A property value without its optional ``"`` quotes (``""`` inside stands for one ``"``)."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text


def parse_name(text: str, line: int = 0, file: str = "<tmdl>") -> tuple[str, str]:
    """Split ``text`` into a leading (possibly quoted) name and the rest."""
    if text.startswith("'"):
        index = 1
        chars = []
        while index < len(text):
            if text[index] == "'":
                if text[index + 1:index + 2] == "'":
                    chars.append("'")
                    index += 2
                    continue
                return "".join(chars), text[index + 1:]
            chars.append(text[index])
            index += 1
        raise TmdlError(f"unterminated quoted name in {text!r}", line, file)
    match = _UNQUOTED_NAME.match(text)
    if not match:
        raise TmdlError(f"expected a name, found {text!r}", line, file)
    return match.group(0), text[match.end():]


def split_reference(text: str, line: int = 0, file: str = "<tmdl>") -> list[str]:
    """``Sales.'Order Date'`` → ``["Sales", "Order Date"]``."""
    parts = []
    rest = text
    while True:
        name, rest = parse_name(rest, line, file)
        parts.append(name)
        if not rest:
            return parts
        if not rest.startswith("."):
            raise TmdlError(f"bad reference {text!r}", line, file)
        rest = rest[1:]


class _Reader:
    def __init__(self, text: str, file: str):
        self.file = file
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()

    def error(self, message: str, index: int) -> TmdlError:
        return TmdlError(message, index + 1, self.file)

    @staticmethod
    def blank(line: str) -> bool:
        return not line.strip()

    def depth(self, index: int) -> int:
        """The number of leading tabs of a structural line; spaces in the indentation are an error."""
        line = self.lines[index]
        stripped = line.lstrip("\t")
        if stripped[:1].isspace():
            raise self.error("indentation must be tabs only", index)
        return len(line) - len(stripped)

    def next_content(self, index: int) -> int:
        while index < len(self.lines) and self.blank(self.lines[index]):
            index += 1
        return index

    def expression(self, first: str, index: int, minimum: int) -> tuple[str, int]:
        """The value after ``=`` on line ``index``: inline, fenced or a body of lines indented ``minimum`` tabs
        or more. Returns the text and the index of the next line to read."""
        if first and first != "```":
            return first, index + 1
        body: list[str] = []
        if first == "```":
            index += 1
            while index < len(self.lines) and self.lines[index].strip() != "```":
                body.append(self.lines[index])
                index += 1
            if index == len(self.lines):
                raise self.error("unterminated ``` expression", index - 1)
            margin = self.lines[index][: len(self.lines[index]) - len(self.lines[index].lstrip())]
            return "\n".join(line.removeprefix(margin) for line in body), index + 1
        index += 1
        while index < len(self.lines):
            line = self.lines[index]
            if not self.blank(line) and len(line) - len(line.lstrip("\t")) < minimum:
                break
            body.append(line)
            index += 1
        while body and self.blank(body[-1]):
            body.pop()
            index -= 1
        if not body:
            raise self.error("'=' with no expression", index - 1)
        margin = min(len(line) - len(line.lstrip("\t")) for line in body if not self.blank(line))
        return "\n".join(line[margin:] if not self.blank(line) else "" for line in body), index

    def properties_block(self, index: int, depth: int) -> tuple[list[Property], int]:
        """Nested ``name: value`` / bare properties of a block such as ``dataAccessOptions``."""
        found: list[Property] = []
        while True:
            index = self.next_content(index)
            if index >= len(self.lines) or self.depth(index) < depth:
                return found, index
            if self.depth(index) > depth:
                raise self.error("unexpected indentation", index)
            content = self.lines[index][depth:]
            match = _WORD.match(content)
            if not match:
                raise self.error(f"expected a property, found {content!r}", index)
            rest = content[match.end():]
            if rest.startswith(":"):
                found.append(Property(match.group(0), unquote_value(rest[1:].strip()), ":", index + 1))
            elif not rest:
                found.append(Property(match.group(0), True, "bare", index + 1))
            else:
                raise self.error(f"expected a property, found {content!r}", index)
            index += 1

    def block(self, index: int, depth: int, parent: TmdlObject) -> int:
        """Read every line at ``depth`` into ``parent``; returns the first index of a shallower line."""
        description: list[str] | None = None
        description_line = 0
        while True:
            if description is None:
                index = self.next_content(index)
            if index >= len(self.lines):
                break
            if self.blank(self.lines[index]):
                raise self.error("a /// description must be directly above its declaration", description_line)
            level = self.depth(index)
            if level < depth:
                break
            if level > depth:
                raise self.error("unexpected indentation", index)
            content = self.lines[index][depth:]
            if content.startswith("///"):
                if description is None:
                    description, description_line = [], index
                text = content[3:]
                description.append(text[1:] if text.startswith(" ") else text)
                index += 1
                continue
            match = _WORD.match(content)
            if not match:
                raise self.error(f"cannot read {content!r}", index)
            word, rest = match.group(0), content[match.end():]
            if rest.startswith(":"):
                if description is not None:
                    raise self.error("a /// description must be followed by a declaration", index)
                value = rest[1:].strip()
                if not value:
                    raise self.error(f"property {word} has no value", index)
                parent.properties.append(Property(word, unquote_value(value), ":", index + 1))
                index += 1
            elif rest.lstrip(" ").startswith("="):
                if description is not None:
                    raise self.error("a /// description must be followed by a declaration", index)
                line = index + 1
                value, index = self.expression(rest.lstrip(" ")[1:].strip(), index, depth + 1)
                parent.properties.append(Property(word, value, "=", line))
            elif not rest:
                if description is not None:
                    raise self.error("a /// description must be followed by a declaration", index)
                following = self.next_content(index + 1)
                if following < len(self.lines) and self.depth(following) > depth:
                    line = index + 1
                    children, index = self.properties_block(index + 1, depth + 1)
                    parent.properties.append(Property(word, None, "block", line, children))
                else:
                    parent.properties.append(Property(word, True, "bare", index + 1))
                    index += 1
            elif rest.startswith(" "):
                index = self.declaration(word, rest.lstrip(" "), index, depth, parent, description)
                description = None
            else:
                raise self.error(f"cannot read {content!r}", index)
        if description is not None:
            raise self.error("a /// description must be followed by a declaration", description_line)
        return index

    def declaration(self, word: str, rest: str, index: int, depth: int, parent: TmdlObject,
                    description: list[str] | None) -> int:
        line = index + 1
        if word == "ref":
            match = _WORD.match(rest)
            if not match or not rest[match.end():].startswith(" "):
                raise self.error(f"bad reference {rest!r}", index)
            name, after = parse_name(rest[match.end():].lstrip(" "), line, self.file)
            if after.strip():
                raise self.error(f"unexpected text after reference: {after!r}", index)
            obj = TmdlObject(match.group(0), name, line, ref=True)
            parent.children.append(obj)
            return self.block(index + 1, depth + 1, obj)
        name, after = parse_name(rest, line, self.file)
        obj = TmdlObject(word, name, line, description="\n".join(description) if description is not None else None)
        after = after.strip(" ")
        if after.startswith("="):
            obj.default, index = self.expression(after[1:].strip(), index, depth + 2)
        elif after:
            raise self.error(f"unexpected text after the name: {after!r}", index)
        else:
            index += 1
        parent.children.append(obj)
        return self.block(index, depth + 1, obj)


def parse_tmdl(text: str, file: str = "<tmdl>") -> TmdlObject:
    """Parse one TMDL file; the returned ``document`` object holds its top-level objects as children."""
    document = TmdlObject("document", file, 0)
    reader = _Reader(text, file)
    end = reader.block(0, 0, document)
    if end < len(reader.lines):
        raise reader.error("unexpected indentation", end)
    return document


def read_folder(definition: Path) -> dict[str, TmdlObject]:
    """Every ``*.tmdl`` file under ``definition``: path relative to it (``/`` separators) → parsed document."""
    return {path.relative_to(definition).as_posix(): parse_tmdl(path.read_text(encoding="utf-8"),
                                                                 path.relative_to(definition).as_posix())
            for path in sorted(definition.rglob("*.tmdl"))}
