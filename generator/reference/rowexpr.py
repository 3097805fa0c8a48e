"""The row expressions of measure specs (filters, ``expression``, tier conditions), read and evaluated with pandas.

A small language of its own, the subset of DAX that spec filters use: ``Table[column]`` references, numbers,
"text", variables (tier inputs), ``+ - * /``, ``= == <> < <= > >=``, ``IN { … }``, ``&& ||``, ``NOT`` and the
functions ``ISBLANK``, ``NOT``, ``AND``, ``OR``, ``IF``, ``TRUE``, ``FALSE``, ``BLANK`` and ``DATE``. It is parsed
here, not by the DAX parser, so that the reference shares no code with what it checks. BLANK follows DAX: it
compares as 0 (or "" for text), ``BLANK + 1`` is 1, ``BLANK * 1`` is BLANK.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


class RowExpressionError(ValueError):
    """A row expression the reference cannot read: the message names the position or the function."""


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<column>(?:'(?:[^']|'')+'|[A-Za-z_][\w]*)\s*\[(?:[^\]]|\]\])+\])
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<op>&&|\|\||<=|>=|<>|==|[-+*/=<>(),{}])
""", re.VERBOSE)


@dataclass(frozen=True)
class Node:
    """One node of a parsed row expression: ``op`` and its parts."""

    op: str
    parts: tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise RowExpressionError(f"cannot read {text[position:position + 12]!r} at character {position + 1}")
        if match.lastgroup != "space":
            found.append((match.lastgroup or "", match.group(), position + 1))
        position = match.end()
    return found


def column_parts(text: str) -> tuple[str, str]:
    """``('Table', 'column')`` of a ``Table[column]`` token."""
    table, column = text.split("[", 1)
    table = table.strip()
    if table.startswith("'"):
        table = table[1:-1].replace("''", "'")
    return table, column[:-1].replace("]]", "]")


_COMPARISONS = ("=", "==", "<>", "<", "<=", ">", ">=")
_FUNCTIONS = {"ISBLANK": 1, "NOT": 1, "AND": 2, "OR": 2, "IF": (2, 3), "TRUE": 0, "FALSE": 0, "BLANK": 0,
              "DATE": 3}


class _Parser:
    def __init__(self, text: str):
        self.text, self.tokens, self.at = text, _tokens(text), 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or (value is not None and token[1].upper() != value):
            where = f"at character {token[2]}" if token else "at the end"
            raise RowExpressionError(f"expected {value or 'more'} {where} of {self.text.strip()!r}")
        self.at += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[1].upper() == value:
            self.at += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise RowExpressionError(f"unexpected {self.peek()[1]!r} at character {self.peek()[2]} of "  # type: ignore[index]
                                     f"{self.text.strip()!r}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("||"):
            node = Node("or", (node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("&&"):
            node = Node("and", (node, self.not_()))
        return node

    def not_(self) -> Node:
        token = self.peek()
        if token is not None and token[1].upper() == "NOT":
            self.at += 1
            return Node("not", (self.not_(),))
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        token = self.peek()
        if token is not None and token[1] in _COMPARISONS:
            self.at += 1
            return Node(token[1], (node, self.additive()))
        if token is not None and token[1].upper() == "IN":
            self.at += 1
            self.take("{")
            items = [self.additive()]
            while self.accept(","):
                items.append(self.additive())
            self.take("}")
            return Node("in", (node, *items))
        return node

    def additive(self) -> Node:
        node = self.term()
        while (token := self.peek()) is not None and token[1] in ("+", "-"):
            self.at += 1
            node = Node(token[1], (node, self.term()))
        return node

    def term(self) -> Node:
        node = self.unary()
        while (token := self.peek()) is not None and token[1] in ("*", "/"):
            self.at += 1
            node = Node(token[1], (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.accept("-"):
            return Node("neg", (self.unary(),))
        if self.accept("+"):
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        kind, text, position = self.take()
        if kind == "column":
            return Node("column", column_parts(text))
        if kind == "number":
            return Node("literal", (float(text),))
        if kind == "string":
            return Node("literal", (text[1:-1].replace('""', '"'),))
        if text == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "name":
            if not self.accept("("):
                return Node("variable", (text,))
            name = text.upper()
            if name not in _FUNCTIONS:
                raise RowExpressionError(f"the reference interpreter does not know the function {text} "
                                         f"(at character {position}); it reads {', '.join(_FUNCTIONS)}")
            args: list[Node] = []
            if not self.accept(")"):
                args.append(self.or_())
                while self.accept(","):
                    args.append(self.or_())
                self.take(")")
            arity = _FUNCTIONS[name]
            allowed = arity if isinstance(arity, tuple) else (arity,)
            if len(args) not in allowed:
                raise RowExpressionError(f"{name} takes {' or '.join(map(str, allowed))} arguments, "
                                         f"found {len(args)} (at character {position})")
            return Node(name, tuple(args))
        raise RowExpressionError(f"unexpected {text!r} at character {position} of {self.text.strip()!r}")


def parse(text: str) -> Node:
    """The parsed ``text``; RowExpressionError when the reference cannot read it."""
    return _Parser(text).parse()


def columns_of(node: Node) -> set[tuple[str, str]]:
    """The ``(table, column)`` references of ``node``."""
    if node.op == "column":
        return {node.parts}  # type: ignore[arg-type]
    found: set[tuple[str, str]] = set()
    for part in node.parts:
        if isinstance(part, Node):
            found |= columns_of(part)
    return found


_ZERO_DAY = pd.Timestamp("1899-12-30")

Resolver = Callable[[Node], pd.Series]


def _is_dates(values: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(values.dtype)


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object


def _days(values: pd.Series) -> pd.Series:
    """Dates as DAX serial numbers (days since 1899-12-30), NaN for BLANK."""
    return (values - _ZERO_DAY) / pd.Timedelta(days=1)


def _filled(values: pd.Series) -> pd.Series:
    """``values`` with BLANK as DAX compares it: 0, "" or the zero day."""
    if _is_dates(values):
        return values.fillna(_ZERO_DAY)
    if _is_text(values):
        return values.where(values.notna(), "").astype(object)
    return values.fillna(0.0)


def _truth(values: pd.Series) -> pd.Series:
    """Booleans as DAX reads a value in a condition: BLANK and 0 are false."""
    if _is_text(values):
        raise RowExpressionError("a text value is used as a condition")
    numbers = _days(values) if _is_dates(values) else values
    return numbers.fillna(0.0) != 0


def _flag(mask: pd.Series) -> pd.Series:
    return mask.astype("float64")


class Evaluator:
    """Evaluates parsed expressions over ``length`` rows; ``resolve`` gives a column's or variable's values."""

    def __init__(self, length: int, index: pd.Index, resolve: Resolver):
        self.length, self.index, self.resolve = length, index, resolve

    def constant(self, value: Any) -> pd.Series:
        """``value`` on every row."""
        if value is None:
            return pd.Series(np.nan, index=self.index, dtype="float64")
        if isinstance(value, str):
            return pd.Series([value] * self.length, index=self.index, dtype=object)
        if isinstance(value, pd.Timestamp):
            return pd.Series(value, index=self.index, dtype="datetime64[ns]")
        return pd.Series(float(value), index=self.index, dtype="float64")

    def mask(self, node: Node) -> np.ndarray:
        """``node`` as a condition: a boolean array (BLANK is false)."""
        return _truth(self.value(node)).to_numpy(dtype=bool)

    def value(self, node: Node) -> pd.Series:
        """The value of ``node`` on every row: float64 (NaN: BLANK), datetime64 or object text (None: BLANK)."""
        op, parts = node.op, node.parts
        if op in ("column", "variable"):
            return self.resolve(node)
        if op == "literal":
            return self.constant(parts[0])
        if op in ("TRUE", "FALSE"):
            return self.constant(1.0 if op == "TRUE" else 0.0)
        if op == "BLANK":
            return self.constant(None)
        if op == "DATE":
            numbers = [self.value(p) for p in parts]
            year, month, day = (float(n.iloc[0]) if len(n) else 0.0 for n in numbers)
            return self.constant(pd.Timestamp(int(year), int(month), int(day)))
        if op == "ISBLANK":
            return _flag(self.value(parts[0]).isna())
        if op in ("not", "NOT"):
            return _flag(~_truth(self.value(parts[0])))
        if op in ("and", "AND"):
            return _flag(_truth(self.value(parts[0])) & _truth(self.value(parts[1])))
        if op in ("or", "OR"):
            return _flag(_truth(self.value(parts[0])) | _truth(self.value(parts[1])))
        if op == "IF":
            condition = _truth(self.value(parts[0]))
            then = self.value(parts[1])
            otherwise = self.value(parts[2]) if len(parts) == 3 else self.constant(None)
            return then.where(condition, otherwise)
        if op == "neg":
            return -self._number(self.value(parts[0]))
        if op in ("+", "-", "*", "/"):
            return self._arithmetic(op, self.value(parts[0]), self.value(parts[1]))
        if op in _COMPARISONS:
            return _flag(self._compare(op, self.value(parts[0]), self.value(parts[1])))
        if op == "in":
            left = self.value(parts[0])
            found = pd.Series(False, index=self.index)
            for item in parts[1:]:
                found |= self._compare("=", left, self.value(item))
            return _flag(found)
        raise RowExpressionError(f"cannot evaluate {op}")

    @staticmethod
    def _number(values: pd.Series) -> pd.Series:
        if _is_text(values):
            raise RowExpressionError("arithmetic on text")
        return _days(values) if _is_dates(values) else values.astype("float64")

    def _arithmetic(self, op: str, left: pd.Series, right: pd.Series) -> pd.Series:
        if op == "-" and _is_dates(left) and _is_dates(right):
            both_blank = left.isna() & right.isna()
            difference = (_filled(left) - _filled(right)) / pd.Timedelta(days=1)
            return difference.where(~both_blank)
        a, b = self._number(left), self._number(right)
        if op in ("+", "-"):
            both_blank = a.isna() & b.isna()
            result = a.fillna(0.0) + b.fillna(0.0) if op == "+" else a.fillna(0.0) - b.fillna(0.0)
            return result.where(~both_blank)
        if op == "*":
            return a * b
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a / b.fillna(0.0)).where(a.notna())

    def _compare(self, op: str, left: pd.Series, right: pd.Series) -> pd.Series:
        if op == "==":
            blank = left.isna() | right.isna()
            same = left.isna() & right.isna()
            return same | (~blank & (_filled(left) == _filled(right)))
        if _is_dates(left) != _is_dates(right):
            left, right = (_days(v) if _is_dates(v) else v for v in (left, right))
        if _is_text(left) != _is_text(right):
            # BLANK against text compares as ""; a number against text is a type error in DAX.
            if left.isna().all() or right.isna().all():
                left, right = (v.astype(object) for v in (left, right))
            else:
                raise RowExpressionError("a comparison of text with a number")
        a, b = _filled(left), _filled(right)
        if _is_text(a):  # DAX compares text without regard to case
            a, b = (v.map(lambda t: t.casefold() if isinstance(t, str) else t) for v in (a, b))
        operators = {"=": a.__eq__, "<>": a.__ne__, "<": a.__lt__, "<=": a.__le__, ">": a.__gt__, ">=": a.__ge__}
        return operators[op](b).astype(bool)
