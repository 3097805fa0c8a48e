"""Line-based TMDL parser: tab indentation levels build the tree, every source line is kept verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from generator.errors import ToolError
from generator.semantic.location import Location
from generator.tmdl.tree import FENCE, Document, Line, Model, Node

BOM = "\ufeff"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNQUOTED_NAME = re.compile(r"[^\s=:'.]+")
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


class TmdlSyntaxError(ToolError):
    """A TMDL file that cannot be parsed; ``line`` and ``column`` are 1-based (a tab counts as one column)."""

    def __init__(self, file: str, line: int, column: int, message: str):
        self.file, self.line, self.column, self.message = file, line, column, message
        self.location = Location(file, line, column)
        super().__init__(f"{file}:{line}:{column}: {message}")


def _split_lines(text: str) -> list[Line]:
    lines = []
    for number, match in enumerate(_LINE.finditer(text), start=1):
        raw = match.group()
        if raw.endswith("\r\n"):
            lines.append(Line(number, raw[:-2], "\r\n"))
        elif raw.endswith("\n"):
            lines.append(Line(number, raw[:-1], "\n"))
        else:
            lines.append(Line(number, raw, ""))
    return lines


class _Parser:
    def __init__(self, path: str, lines: list[Line]):
        self.path = path
        self.lines = lines
        self.pos = 0

    def error(self, line: Line, column: int, message: str) -> TmdlSyntaxError:
        return TmdlSyntaxError(self.path, line.number, column, message)

    def parse(self, document: Document) -> Document:
        stack: list[Node] = []
        pending: list[Line] = []
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
            if line.is_blank:
                pending.append(line)
                continue
            level = self._indentation(line)
            stripped = line.text[level:]
            if stripped.startswith("///"):
                pending.append(line)
                continue
            parent_level = stack[-1].level if stack else -1
            if level > parent_level + 1:
                raise self.error(line, 1, f"indented {level} tabs but its parent is at {max(parent_level, 0)}; "
                                          "a child may be only one level deeper")
            while stack and stack[-1].level >= level:
                stack.pop()
            if stack and stack[-1].has_colon:
                raise self.error(line, level + 1, f"property {stack[-1].keyword!r} cannot have child lines")
            node = self._header(line, level, stripped)
            node.leading, pending = pending, []
            if node.has_equals and node.expression_style != "inline":
                pending = self._body(node)
            (stack[-1].children if stack else document.nodes).append(node)
            stack.append(node)
        document.trailing = pending
        return document

    def _indentation(self, line: Line) -> int:
        text = line.text
        level = len(text) - len(text.lstrip("\t"))
        rest = text[level:]
        if rest[:1] in (" ", "\u00a0", "\f", "\v"):
            raise self.error(line, level + 1, "indentation must use tabs, not spaces")
        return level

    def _header(self, line: Line, level: int, text: str) -> Node:
        column = level + 1  # 1-based column of text[0]
        match = _WORD.match(text)
        if not match:
            raise self.error(line, column, f"expected an object type or property name, found {text[:1]!r}")
        keyword = match.group()
        node = Node(level=level, header=line, keyword=keyword)
        pos = match.end()
        if text[pos:pos + 1] == ":":
            node.has_colon = True
            node.value = text[pos + 1:].strip()
            return node
        pos = _skip_spaces(text, pos)
        if pos >= len(text):
            return node
        if text[pos] != "=":
            if pos == match.end():
                raise self.error(line, column + pos, f"unexpected {text[pos]!r} after {keyword!r}")
            if keyword == "ref":
                type_match = _WORD.match(text, pos)
                if not type_match:
                    raise self.error(line, column + pos, "expected an object type after 'ref'")
                node.ref_type = type_match.group()
                pos = _skip_spaces(text, type_match.end())
                if pos == type_match.end() or pos >= len(text):
                    raise self.error(line, column + pos, "expected a name after 'ref " + node.ref_type + "'")
            node.name, pos = self._name(line, text, pos, column)
            pos = _skip_spaces(text, pos)
            if pos >= len(text):
                return node
            if text[pos] != "=":
                raise self.error(line, column + pos, f"unexpected {text[pos]!r} after the name; "
                                                     "quote names that contain spaces, '.', '=', ':' or \"'\"")
        node.has_equals = True
        rest = text[pos + 1:]
        if not rest.strip():
            node.expression_style = "multiline"
        elif rest.strip() == FENCE:
            node.expression_style = "fenced"
        else:
            node.expression_style = "inline"
            node.inline_expression = rest.strip()
        return node

    def _name(self, line: Line, text: str, pos: int, column: int) -> tuple[str, int]:
        parts = []
        while True:
            if text[pos:pos + 1] == "'":
                start, pos, chars = pos, pos + 1, []
                while True:
                    end = text.find("'", pos)
                    if end < 0:
                        raise self.error(line, column + start, "quoted name has no closing quote")
                    chars.append(text[pos:end])
                    if text[end + 1:end + 2] == "'":
                        chars.append("'")
                        pos = end + 2
                        continue
                    pos = end + 1
                    break
                parts.append("".join(chars))
            else:
                match = _UNQUOTED_NAME.match(text, pos)
                if not match:
                    raise self.error(line, column + pos, f"expected a name, found {text[pos:pos + 1]!r}")
                parts.append(match.group())
                pos = match.end()
            if text[pos:pos + 1] != ".":
                return ".".join(parts), pos
            pos += 1

    def _body(self, node: Node) -> list[Line]:
        """Consume a multi-line or fenced expression; returns trailing blank lines, which belong to what follows."""
        if node.expression_style == "fenced":
            while self.pos < len(self.lines):
                line = self.lines[self.pos]
                self.pos += 1
                node.body.append(line)
                if line.text.strip() == FENCE:
                    return []
            column = node.header.text.rfind(FENCE) + 1
            raise self.error(node.header, column, "fenced expression (```) is never closed")
        threshold = node.level + (2 if node.name is not None else 1)
        first = next((line for line in self.lines[self.pos:] if not line.is_blank), None)
        if node.name is None and first is not None and first.indent >= node.level + 2:
            threshold = node.level + 2
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if not line.is_blank and line.indent < threshold:
                break
            node.body.append(line)
            self.pos += 1
        trailing: list[Line] = []
        while node.body and node.body[-1].is_blank:
            trailing.insert(0, node.body.pop())
        if not node.body:
            raise self.error(node.header, len(node.header.text.rstrip()) + 1,
                             f"expected an expression indented {threshold} tabs on the next line after '='")
        node.body_indent = threshold
        return trailing


def _skip_spaces(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def parse_text(text: str, path: str = "<string>", bom: bool | None = None) -> Document:
    """Parse one file's text (a leading BOM is remembered and removed)."""
    if bom is None:
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
    return _Parser(path, _split_lines(text)).parse(Document(path=path, bom=bom))


def parse_bytes(data: bytes, path: str = "<bytes>") -> Document:
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        before = body[:error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise TmdlSyntaxError(path, line, column, "not valid UTF-8") from None
    return parse_text(text, path, bom=bom)


def read_file(path: Path | str, display: str | None = None) -> Document:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ToolError(f"cannot read {path}: {error.strerror or error}") from None
    return parse_bytes(data, display or str(path))


def tmdl_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.tmdl") if p.is_file())


def read_folder(folder: Path | str) -> Model:
    """Read every ``*.tmdl`` under ``folder`` (recursively); keys are POSIX paths relative to the folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ToolError(f"{folder} is not a folder")
    files = tmdl_files(folder)
    if not files:
        raise ToolError(f"{folder} holds no .tmdl files")
    model = Model(root=str(folder))
    for file in files:
        model.documents[file.relative_to(folder).as_posix()] = read_file(file, str(file))
    return model


def read(path: Path | str) -> Model:
    """Read a ``definition/`` folder or a single ``.tmdl`` file (then the model holds one document)."""
    path = Path(path)
    if path.is_dir():
        return read_folder(path)
    if not path.is_file():
        raise ToolError(f"{path} does not exist")
    model = Model(root=str(path.parent))
    model.documents[path.name] = read_file(path)
    return model
