"""A small recogniser of Power Query M for the shapes the generator writes, to test its M text structurally.

It follows the M language specification's lexical rules (tokens, text literals with ``""`` and ``#(...)`` escapes,
quoted identifiers ``#"..."``, comments, keywords) and the part of its expression grammar the generated
partitions and parameters use: ``let … in``, identifiers (``Sql.Database`` is one identifier), function calls,
records ``[Name = value]``, lists ``{…}``, item access ``x{…}``, field access ``x[Name]``, ``&``/``+``/``-`` and
``value meta [record]``. Anything else is a :class:`MSyntaxError` with the offset — so a test fails when the
generated text leaves that grammar. Stricter than M in one point, on purpose: a raw control character inside a
text literal is refused (generated M must escape it, so that no literal spans lines).

:func:`free_identifiers` gives the names an expression reads from outside (parameters, library functions),
with the scoping of the M specification ("Basic concepts", environments): a ``let`` step and a record field see the
other steps or fields of their ``let``/record but not themselves, and the ``let`` body sees all its steps.
:func:`self_references` finds a field or step whose value is just its own name (``[Database = Database]``): the
specification's example reads the outer variable there, but it also calls a reference to the identifier being
initialised an error, so generated M avoids the shape altogether.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = {"and", "as", "each", "else", "error", "false", "if", "in", "is", "let", "meta", "not", "null", "or",
            "otherwise", "section", "shared", "then", "true", "try", "type"}
_PUNCTUATORS = ["...", "..", "=>", "<=", ">=", "<>", ",", ";", "=", "<", ">", "+", "-", "*", "/", "&", "(", ")",
                "[", "]", "{", "}", "@", "!", "?"]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NUMBER = re.compile(r"0[xX][0-9A-Fa-f]+|(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CONTROL = {"cr": "\r", "lf": "\n", "tab": "\t", "#": "#"}


class MSyntaxError(ValueError):
    """M text outside the recognised grammar."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # "text", "number", "identifier", "keyword", "punctuator", "end"
    value: str
    offset: int


def _escape(text: str, start: int) -> tuple[str, int]:
    """Decode the ``#(...)`` escape starting at ``start`` (at the ``#``); the characters and the index after it."""
    close = text.find(")", start)
    if close < 0:
        raise MSyntaxError("unterminated #( escape", start)
    decoded = []
    for part in text[start + 2:close].split(","):
        if part in _CONTROL:
            decoded.append(_CONTROL[part])
        elif re.fullmatch(r"[0-9A-Fa-f]{4}|[0-9A-Fa-f]{8}", part):
            decoded.append(chr(int(part, 16)))
        else:
            raise MSyntaxError(f"bad escape #({part})", start)
    return "".join(decoded), close + 1


def _text_literal(text: str, start: int) -> tuple[str, int]:
    """The value of the text literal whose opening ``"`` is at ``start``, and the index after its closing ``"``."""
    value = []
    index = start + 1
    while index < len(text):
        character = text[index]
        if character == '"':
            if text[index + 1:index + 2] == '"':
                value.append('"')
                index += 2
                continue
            return "".join(value), index + 1
        if character == "#" and text[index + 1:index + 2] == "(":
            decoded, index = _escape(text, index)
            value.append(decoded)
            continue
        if not character.isprintable():
            raise MSyntaxError(f"raw control character {character!r} in a text literal", index)
        value.append(character)
        index += 1
    raise MSyntaxError("unterminated text literal", start)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (whitespace and comments dropped), ending with an ``end`` token."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character in " \t\r\n":
            index += 1
        elif text.startswith("//", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                raise MSyntaxError("unterminated comment", index)
            index = end + 2
        elif character == '"':
            value, end = _text_literal(text, index)
            tokens.append(Token("text", value, index))
            index = end
        elif text.startswith('#"', index):
            value, end = _text_literal(text, index + 1)
            tokens.append(Token("identifier", value, index))
            index = end
        elif (number := _NUMBER.match(text, index)) and (character.isdigit() or (character == "."
                                                         and text[index + 1:index + 2].isdigit())):
            tokens.append(Token("number", number.group(), index))
            index = number.end()
        elif identifier := _IDENTIFIER.match(text, index):
            word = identifier.group()
            tokens.append(Token("keyword" if word in KEYWORDS else "identifier", word, index))
            index = identifier.end()
        else:
            punctuator = next((p for p in _PUNCTUATORS if text.startswith(p, index)), None)
            if punctuator is None:
                raise MSyntaxError(f"unexpected character {character!r}", index)
            tokens.append(Token("punctuator", punctuator, index))
            index += len(punctuator)
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- the syntax tree ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    """Base of the tree's nodes."""


@dataclass(frozen=True)
class Literal(Node):
    kind: str  # "text", "number", "logical", "null"
    value: object


@dataclass(frozen=True)
class Ident(Node):
    name: str


@dataclass(frozen=True)
class Let(Node):
    bindings: tuple[tuple[str, Node], ...]
    body: Node


@dataclass(frozen=True)
class Call(Node):
    function: Node
    arguments: tuple[Node, ...]


@dataclass(frozen=True)
class Record(Node):
    fields: tuple[tuple[str, Node], ...]

    def get(self, name: str) -> Node | None:
        return next((value for key, value in self.fields if key == name), None)


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Item(Node):
    """``target{selector}``"""
    target: Node
    selector: Node


@dataclass(frozen=True)
class Field(Node):
    """``target[name]``"""
    target: Node
    name: str


@dataclass(frozen=True)
class Binary(Node):
    operator: str
    left: Node
    right: Node


@dataclass
class _Parser:
    tokens: list[Token]
    position: int = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def take(self) -> Token:
        token = self.current
        self.position += 1
        return token

    def expect(self, kind: str, value: str | None = None) -> Token:
        token = self.current
        if token.kind != kind or (value is not None and token.value != value):
            wanted = value if value is not None else kind
            raise MSyntaxError(f"expected {wanted!r}, found {token.value or token.kind!r}", token.offset)
        return self.take()

    def at(self, kind: str, value: str) -> bool:
        return self.current.kind == kind and self.current.value == value

    def expression(self) -> Node:
        if self.at("keyword", "let"):
            return self.let()
        left = self.additive()
        if self.at("keyword", "meta"):
            self.take()
            left = Binary("meta", left, self.additive())
        return left

    def let(self) -> Node:
        self.expect("keyword", "let")
        bindings = [self.binding()]
        while self.at("punctuator", ","):
            self.take()
            bindings.append(self.binding())
        names = [name for name, _ in bindings]
        if len(set(names)) != len(names):
            raise MSyntaxError(f"a let binds a name twice: {names}", self.current.offset)
        self.expect("keyword", "in")
        return Let(tuple(bindings), self.expression())

    def binding(self) -> tuple[str, Node]:
        name = self.expect("identifier").value
        self.expect("punctuator", "=")
        return name, self.expression()

    def additive(self) -> Node:
        left = self.postfix()
        while self.current.kind == "punctuator" and self.current.value in ("&", "+", "-"):
            operator = self.take().value
            left = Binary(operator, left, self.postfix())
        return left

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.at("punctuator", "("):
                self.take()
                arguments = self.sequence(")")
                node = Call(node, tuple(arguments))
            elif self.at("punctuator", "{"):
                self.take()
                selector = self.expression()
                self.expect("punctuator", "}")
                node = Item(node, selector)
            elif self.at("punctuator", "["):
                self.take()
                name = self.generalized_identifier()
                self.expect("punctuator", "]")
                node = Field(node, name)
            else:
                return node

    def sequence(self, closing: str) -> list[Node]:
        items: list[Node] = []
        if self.at("punctuator", closing):
            self.take()
            return items
        items.append(self.expression())
        while self.at("punctuator", ","):
            self.take()
            items.append(self.expression())
        self.expect("punctuator", closing)
        return items

    def generalized_identifier(self) -> str:
        token = self.current
        if token.kind in ("identifier", "keyword"):
            return self.take().value
        raise MSyntaxError(f"expected a field name, found {token.value or token.kind!r}", token.offset)

    def primary(self) -> Node:
        token = self.current
        if token.kind == "text":
            self.take()
            return Literal("text", token.value)
        if token.kind == "number":
            self.take()
            return Literal("number", token.value)
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.take()
            return Literal("logical", token.value == "true")
        if token.kind == "keyword" and token.value == "null":
            self.take()
            return Literal("null", None)
        if token.kind == "identifier":
            self.take()
            return Ident(token.value)
        if self.at("punctuator", "("):
            self.take()
            inner = self.expression()
            self.expect("punctuator", ")")
            return inner
        if self.at("punctuator", "{"):
            self.take()
            return ListExpr(tuple(self.sequence("}")))
        if self.at("punctuator", "["):
            return self.record()
        raise MSyntaxError(f"unexpected {token.value or token.kind!r}", token.offset)

    def record(self) -> Record:
        self.expect("punctuator", "[")
        fields: list[tuple[str, Node]] = []
        if not self.at("punctuator", "]"):
            while True:
                name = self.generalized_identifier()
                self.expect("punctuator", "=")
                fields.append((name, self.expression()))
                if not self.at("punctuator", ","):
                    break
                self.take()
        self.expect("punctuator", "]")
        names = [name for name, _ in fields]
        if len(set(names)) != len(names):
            raise MSyntaxError(f"a record names a field twice: {names}", self.current.offset)
        return Record(tuple(fields))


def parse(text: str) -> Node:
    """The syntax tree of one M expression; :class:`MSyntaxError` when ``text`` is outside the grammar."""
    parser = _Parser(tokenize(text))
    node = parser.expression()
    parser.expect("end")
    return node


def free_identifiers(node: Node, bound: frozenset[str] = frozenset()) -> set[str]:
    """The identifiers ``node`` reads from outside itself (see the module docstring for the scoping)."""
    if isinstance(node, Ident):
        return set() if node.name in bound else {node.name}
    if isinstance(node, Let):
        names = {name for name, _ in node.bindings}
        found = set().union(*(free_identifiers(value, bound | (names - {name})) for name, value in node.bindings))
        return found | free_identifiers(node.body, bound | names)
    if isinstance(node, Record):
        names = {name for name, _ in node.fields}
        return set().union(set(), *(free_identifiers(value, bound | (names - {name})) for name, value in node.fields))
    if isinstance(node, Call):
        return free_identifiers(node.function, bound).union(*(free_identifiers(a, bound) for a in node.arguments))
    if isinstance(node, ListExpr):
        return set().union(set(), *(free_identifiers(item, bound) for item in node.items))
    if isinstance(node, Item):
        return free_identifiers(node.target, bound) | free_identifiers(node.selector, bound)
    if isinstance(node, Field):
        return free_identifiers(node.target, bound)
    if isinstance(node, Binary):
        return free_identifiers(node.left, bound) | free_identifiers(node.right, bound)
    return set()


def self_references(node: Node) -> list[str]:
    """Record fields and ``let`` steps (anywhere in ``node``) whose value is just their own name."""
    found: list[str] = []
    if isinstance(node, Record | Let):
        pairs = node.fields if isinstance(node, Record) else node.bindings
        found += [name for name, value in pairs if isinstance(value, Ident) and value.name == name]
    for child in _children(node):
        found += self_references(child)
    return found


def _children(node: Node) -> list[Node]:
    if isinstance(node, Let):
        return [value for _, value in node.bindings] + [node.body]
    if isinstance(node, Record):
        return [value for _, value in node.fields]
    if isinstance(node, Call):
        return [node.function, *node.arguments]
    if isinstance(node, ListExpr):
        return list(node.items)
    if isinstance(node, Item):
        return [node.target, node.selector]
    if isinstance(node, Field):
        return [node.target]
    if isinstance(node, Binary):
        return [node.left, node.right]
    return []
