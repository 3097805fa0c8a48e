"""DAX formatter in the DAX Formatter (SQLBI) "best practice" style; it formats the syntax tree, so comments go.

Layout rules (``dax-semantics.md`` section 3):

* function names and keywords in upper case, ``NAME ( a, b )`` with a space before ``(`` and inside non-empty
  parentheses, ``BLANK ()`` for an empty list, spaces around binary operators and after commas;
* a call, parenthesis, tuple or table constructor that fits in the remaining width stays on one line; otherwise its
  opener ends the line, each item goes on its own line indented 4 more with the comma at the end, and the closer
  goes on its own line at the indentation of the line that opened it;
* a binary expression that does not fit breaks before each operator of its chain (``a + b - c`` is one chain); the
  operator starts the continuation line at the indentation of the left operand;
* ``VAR name = expr`` on one line each (``VAR name =`` and the expression indented 4 more when it does not fit),
  ``RETURN`` alone, then the body indented 4;
* table names are unquoted when they are plain ASCII identifiers that are not reserved words, otherwise quoted.

Trees built by hand are parenthesised where precedence requires before they are printed, so the text always parses
back to the same meaning.
"""

from __future__ import annotations

import dataclasses

from generator.dax import ast
from generator.dax.names import dax_measure as bracketed  # names are written by generator/dax/names.py only
from generator.dax.names import dax_string as string_literal
from generator.dax.names import table_name
from generator.dax.parser import parse_expression, parse_query

INDENT = 4

_BINARY_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    **dict.fromkeys(("=", "==", "<>", "<", ">", "<=", ">=", "IN"), 4),
    "&": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "^": 9,
}
_NOT_PRECEDENCE = 3
_SIGN_PRECEDENCE = 8
_PRIMARY = 10
_CLOSED = 11


def format_dax(expr_or_source: ast.Expr | str, *, width: int = 100) -> str:
    """Format a measure expression (a tree, or DAX text that is parsed first) as DAX Formatter-style text.

    The result has ``\\n`` line endings, no trailing whitespace and no final newline; formatting it again gives the
    same text, and parsing it gives the same tree (positions aside).
    """
    expr = parse_expression(expr_or_source) if isinstance(expr_or_source, str) else expr_or_source
    return "\n".join(_Printer(width).block(add_parentheses(expr), 0, 0, 0, frozenset()))


def format_query(query: ast.Query | str, *, width: int = 100) -> str:
    """Format a DAX query: ``DEFINE`` with its definitions indented 4, each ``EVALUATE`` alone on its line followed
    by the table expression at column 0, then ``ORDER BY`` and ``START AT``."""
    tree = parse_query(query) if isinstance(query, str) else query
    printer = _Printer(width)
    scope: frozenset[str] = frozenset()
    lines: list[str] = []
    if tree.defines:
        lines.append("DEFINE")
    for define in tree.defines:
        if define.kind == "FUNCTION":
            parameters = ", ".join(f"{p.name} : {' '.join(p.type_words)}" if p.type_words else p.name
                                   for p in define.parameters)
            header = f"FUNCTION {define.name} = ( {parameters} ) =>" if parameters else \
                f"FUNCTION {define.name} = () =>"
            inner = scope | {p.name.upper() for p in define.parameters}
            lines += printer.assignment(header, add_parentheses(define.expression), INDENT, INDENT, inner)
            continue
        if define.table is None:
            header = f"{define.kind} {define.name} ="
        else:
            header = f"{define.kind} {table_name(define.table)}{bracketed(define.name)} ="
        if define.kind == "TABLE":
            header = f"TABLE {table_name(define.name)} ="  # quoted only where the name needs it
        lines += printer.assignment(header, add_parentheses(define.expression), INDENT, INDENT, scope)
        if define.kind == "VAR":
            scope |= {define.name.upper()}
    for evaluate in tree.evaluates:
        lines.append("EVALUATE")
        lines += printer.block(add_parentheses(evaluate.table), 0, 0, 0, scope)
        lines += printer.order_by(evaluate.order_by, scope)
        if evaluate.start_at:
            values = ", ".join(printer.inline(add_parentheses(v), scope) for v in evaluate.start_at)
            lines.append(f"START AT {values}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------- names
# ---------------------------------------------------------------------------------------------------- precedence
def _precedence(node: ast.Expr) -> int:
    if isinstance(node, ast.Binary):
        return _BINARY_PRECEDENCE[node.op]
    if isinstance(node, ast.Unary):
        return _NOT_PRECEDENCE if node.op == "NOT" else _SIGN_PRECEDENCE
    return _PRIMARY


def _open_end(node: ast.Expr) -> int:
    """The lowest precedence of a prefix construct on the right edge of ``node``: an operator written right after
    ``node`` with a higher precedence than this would be swallowed by that construct (``VAR ... RETURN`` swallows
    everything, ``NOT`` everything above ``NOT``)."""
    if isinstance(node, ast.VarBlock):
        return 0
    if isinstance(node, ast.Unary):
        return min(_precedence(node), _open_end(node.operand))
    if isinstance(node, ast.Binary):
        if node.op == "^":
            operand = node.right
            while isinstance(operand, ast.Unary):  # a signed power operand does not capture a following '^'
                operand = operand.operand
            return _open_end(operand)
        return _open_end(node.right)
    return _CLOSED


def _is_power_operand(node: ast.Expr) -> bool:
    while isinstance(node, ast.Unary) and node.op in ("-", "+"):
        node = node.operand
    return _precedence(node) == _PRIMARY


def _starts_with_parenthesis(node: ast.Expr) -> bool:
    """Whether ``node`` prints starting with ``(``: after ``NOT`` that would read as the call form ``NOT ( ... )``."""
    while isinstance(node, ast.Binary):
        node = node.left
    return isinstance(node, ast.Paren | ast.Tuple)


def _paren(node: ast.Expr) -> ast.Paren:
    line, column = node.position
    return ast.Paren(node, line, column)


def add_parentheses(node: ast.Expr) -> ast.Expr:
    """``node`` with :class:`ast.Paren` added wherever precedence requires it to print correctly; a tree produced by
    the parser comes back unchanged. ``NOT`` applied to an operand that prints starting with ``(`` becomes the call
    form ``NOT ( x )``, which is how such text parses."""
    if isinstance(node, ast.Binary):
        left, right = add_parentheses(node.left), add_parentheses(node.right)
        level = _BINARY_PRECEDENCE[node.op]
        if node.op == "^":
            left_ok = (isinstance(left, ast.Binary) and left.op == "^") or _precedence(left) == _PRIMARY
            right_ok = _is_power_operand(right)
        else:
            left_ok = _precedence(left) >= level
            right_ok = _precedence(right) > level
        if not left_ok or _open_end(left) < level:
            left = _paren(left)
        if not right_ok:
            right = _paren(right)
        return dataclasses.replace(node, left=left, right=right)
    if isinstance(node, ast.Unary):
        operand = add_parentheses(node.operand)
        if node.op == "NOT":
            if isinstance(operand, ast.Paren):
                return ast.Call("NOT", (operand.expr,), *node.position)
            if _precedence(operand) < _NOT_PRECEDENCE or _starts_with_parenthesis(operand):
                return ast.Call("NOT", (operand,), *node.position)
        elif _precedence(operand) < _SIGN_PRECEDENCE:
            operand = _paren(operand)
        return dataclasses.replace(node, operand=operand)
    if isinstance(node, ast.Call):
        return dataclasses.replace(node, args=tuple(add_parentheses(a) for a in node.args))
    if isinstance(node, ast.Tuple):
        return dataclasses.replace(node, items=tuple(add_parentheses(i) for i in node.items))
    if isinstance(node, ast.TableConstructor):
        rows = tuple(tuple(add_parentheses(i) for i in row) for row in node.rows)
        return dataclasses.replace(node, rows=rows)
    if isinstance(node, ast.Paren):
        return dataclasses.replace(node, expr=add_parentheses(node.expr))
    if isinstance(node, ast.VarBlock):
        variables = tuple((name, add_parentheses(e)) for name, e in node.variables)
        return dataclasses.replace(node, variables=variables, body=add_parentheses(node.body))
    return node


# ------------------------------------------------------------------------------------------------------- printing
class _Printer:
    """Lays out a tree. ``block`` returns lines: the first one without indentation (it goes at column ``col`` after
    whatever the caller wrote), the others with their absolute indentation."""

    def __init__(self, width: int):
        self.width = width

    # -------------------------------------------------------------------------------------------------- one line
    def inline(self, node: ast.Expr, scope: frozenset[str]) -> str:
        """``node`` on one line (a ``VAR`` block is always laid out on several lines: use :meth:`block`)."""
        text = self.flat(node, scope)
        if text is None:
            return " ".join(line.strip() for line in self.block(node, 0, 0, 0, scope))
        return text

    def flat(self, node: ast.Expr, scope: frozenset[str]) -> str | None:
        """``node`` on one line, or ``None`` if it contains a ``VAR`` block."""
        match node:
            case ast.Number(text=text):
                return text
            case ast.DateTimeLiteral(text=text):
                return f'dt"{text}"'
            case ast.Parameter(name=name):
                return f"@{name}"
            case ast.String(value=value):
                return string_literal(value)
            case ast.Boolean(value=value):
                return "TRUE ()" if value else "FALSE ()"
            case ast.TableRef(name=name):
                return name if name.upper() in scope else table_name(name)
            case ast.Keyword(name=name):
                return name.upper()
            case ast.Omitted():
                return ""
            case ast.ColumnRef(table=table, column=column):
                return table_name(table) + bracketed(column)
            case ast.NameRef(name=name):
                return bracketed(name)
            case ast.Call(name=name, args=args):
                return self._flat_list(f"{name.upper()} (", args, ")", scope, empty=f"{name.upper()} ()")
            case ast.Unary(op=op, operand=operand):
                inner = self.flat(operand, scope)
                return None if inner is None else self._prefix(op, inner) + inner
            case ast.Binary(op=op, left=left, right=right):
                left_text, right_text = self.flat(left, scope), self.flat(right, scope)
                if left_text is None or right_text is None:
                    return None
                return f"{left_text} {op} {right_text}"
            case ast.Paren(expr=expr):
                return self._flat_list("(", (expr,), ")", scope)
            case ast.Tuple(items=items):
                return self._flat_list("(", items, ")", scope)
            case ast.TableConstructor(rows=rows):
                texts = [self._flat_row(row, scope) for row in rows]
                return None if None in texts else "{ " + ", ".join(t for t in texts if t is not None) + " }"
        return None

    def _flat_list(
        self, opener: str, items: tuple[ast.Expr, ...], closer: str, scope: frozenset[str], empty: str = ""
    ) -> str | None:
        if not items:
            return empty
        texts = [self.flat(item, scope) for item in items]
        if None in texts:
            return None
        return f"{opener} {', '.join(t for t in texts if t is not None)} {closer}"

    def _flat_row(self, row: tuple[ast.Expr, ...], scope: frozenset[str]) -> str | None:
        return self.flat(row[0], scope) if len(row) == 1 else self._flat_list("(", row, ")", scope)

    @staticmethod
    def _prefix(op: str, operand_text: str) -> str:
        if op == "NOT":
            return "NOT "
        return f"{op} " if operand_text.startswith(("-", "+")) else op  # '--' would start a comment

    # ------------------------------------------------------------------------------------------------- blocks
    def block(self, node: ast.Expr, indent: int, col: int, trail: int, scope: frozenset[str]) -> list[str]:
        """Lines for ``node`` starting at column ``col`` on a line indented ``indent``; ``trail`` characters (a
        comma) follow it on its last line."""
        text = self.flat(node, scope)
        if text is not None and col + len(text) + trail <= self.width:
            return [text]
        match node:
            case ast.Call(name=name, args=args) if args:
                return self._broken_list(f"{name.upper()} (", args, ")", indent, scope)
            case ast.Paren(expr=expr):
                return self._broken_list("(", (expr,), ")", indent, scope)
            case ast.Tuple(items=items):
                return self._broken_list("(", items, ")", indent, scope)
            case ast.TableConstructor(rows=rows):
                return self._broken_rows(rows, indent, scope)
            case ast.Binary():
                return self._broken_binary(node, indent, col, trail, scope)
            case ast.Unary(op=op, operand=operand):
                start = col + len(op) + 1
                operand_lines = self.block(operand, self._operand_indent(operand, indent), start, trail, scope)
                return [self._prefix(op, operand_lines[0]) + operand_lines[0], *operand_lines[1:]]
            case ast.VarBlock():
                return self._var_block(node, indent, col, trail, scope)
        return [text or ""]

    def _broken_list(
        self, opener: str, items: tuple[ast.Expr, ...], closer: str, indent: int, scope: frozenset[str]
    ) -> list[str]:
        lines = [opener]
        inner = indent + INDENT
        for index, item in enumerate(items):
            last = index == len(items) - 1
            item_lines = self.block(item, inner, inner, 0 if last else 1, scope)
            lines += _indented(item_lines, inner, "" if last else ",")
        lines.append(" " * indent + closer)
        return lines

    def _broken_rows(self, rows: tuple[tuple[ast.Expr, ...], ...], indent: int, scope: frozenset[str]) -> list[str]:
        lines = ["{"]
        inner = indent + INDENT
        for index, row in enumerate(rows):
            last = index == len(rows) - 1
            trail = 0 if last else 1
            if len(row) == 1:
                row_lines = self.block(row[0], inner, inner, trail, scope)
            else:
                row_lines = self.block(ast.Tuple(row), inner, inner, trail, scope)
            lines += _indented(row_lines, inner, "" if last else ",")
        lines.append(" " * indent + "}")
        return lines

    @staticmethod
    def _operand_indent(operand: ast.Expr, indent: int) -> int:
        """Continuation lines of a nested operator chain are indented one level more than the enclosing chain."""
        return indent + INDENT if isinstance(operand, ast.Binary) else indent

    def _broken_binary(self, node: ast.Binary, indent: int, col: int, trail: int, scope: frozenset[str]) -> list[str]:
        level = _BINARY_PRECEDENCE[node.op]
        chain: list[tuple[str, ast.Expr]] = []
        first: ast.Expr = node
        while isinstance(first, ast.Binary) and _BINARY_PRECEDENCE[first.op] == level:
            chain.append((first.op, first.right))
            first = first.left
        chain.reverse()
        lines = self.block(first, self._operand_indent(first, indent), col, 0, scope)
        for index, (op, operand) in enumerate(chain):
            last_trail = trail if index == len(chain) - 1 else 0
            start = indent + len(op) + 1
            operand_lines = self.block(operand, self._operand_indent(operand, indent), start, last_trail, scope)
            lines.append(" " * indent + f"{op} {operand_lines[0]}")
            lines += operand_lines[1:]
        return lines

    def assignment(self, header: str, expr: ast.Expr, indent: int, col: int, scope: frozenset[str]) -> list[str]:
        """``header expr`` on one line if it fits, else ``header`` then ``expr`` indented 4 more; all lines are
        indented ``indent`` (the first as well)."""
        text = self.flat(expr, scope)
        if text is not None and col + len(header) + 1 + len(text) <= self.width:
            return [" " * indent + f"{header} {text}"]
        inner = indent + INDENT
        return [" " * indent + header, *_indented(self.block(expr, inner, inner, 0, scope), inner, "")]

    def _var_block(self, node: ast.VarBlock, indent: int, col: int, trail: int, scope: frozenset[str]) -> list[str]:
        lines: list[str] = []
        for name, expr in node.variables:
            start = col if not lines else indent
            lines += self.assignment(f"VAR {name} =", expr, indent, start, scope)
            scope |= {name.upper()}
        lines.append(" " * indent + "RETURN")
        inner = indent + INDENT
        lines += _indented(self.block(node.body, inner, inner, trail, scope), inner, "")
        lines[0] = lines[0].lstrip(" ")
        return lines

    def order_by(self, keys: tuple[ast.OrderKey, ...], scope: frozenset[str]) -> list[str]:
        """``ORDER BY key`` for one key, else ``ORDER BY`` and one key per line indented 4."""
        texts = [self.inline(add_parentheses(k.expr), scope) + (" DESC" if k.descending else "") for k in keys]
        if not texts:
            return []
        if len(texts) == 1:
            return [f"ORDER BY {texts[0]}"]
        last = len(texts) - 1
        return ["ORDER BY"] + [" " * INDENT + text + ("" if i == last else ",") for i, text in enumerate(texts)]


def _indented(lines: list[str], indent: int, suffix: str) -> list[str]:
    """Indent the first line of a block (the others already are) and append ``suffix`` to the last."""
    result = [" " * indent + lines[0], *lines[1:]]
    result[-1] += suffix
    return result
