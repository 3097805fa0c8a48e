"""The DAX expressions of a model, tokenized once and with their references resolved to model objects.

Resolution is :class:`generator.semantic.names.Names`' (the engine's reading of DAX): ``[X]`` is a measure if
the model has a measure called X, else a column of the expression's own table; ``T[X]`` is column X of table
T, or a measure; ``'T'`` is a table. Lint adds what a row context allows: a bare ``[X]`` may be a column of any
table. Names that an expression introduces itself (``ADDCOLUMNS (…, "X", …)`` then
``[X]``, or ``[Value]`` of a table constructor) are neither, and never count as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.dax.lexer import DaxSyntaxError, Token, TokenKind, tokenize
from generator.lint.daxrefs import Reference, references
from generator.lint.modelview import DaxObject, ModelView, Named, bracket, quote_table
from generator.semantic.names import ColumnName, MeasureName, Names, Unknown

_VALUE_COLUMN = re.compile(r"Value\d*", re.IGNORECASE)


@dataclass(frozen=True)
class Resolved:
    """A reference and what it denotes: ``kind`` is ``table``, ``column``, ``measure``, ``local`` (a name the
    expression defines itself) or ``unknown``; ``targets`` are the model objects (several columns when an
    unqualified name matches columns of several tables)."""

    reference: Reference
    kind: str
    targets: tuple[Named, ...] = ()
    unknown: Unknown | None = None  # for ``unknown``: what the model lacks and what it could have been

    @property
    def text(self) -> str:
        """The reference as DAX writes it."""
        table = quote_table(self.reference.table) if self.reference.table is not None else ""
        name = bracket(self.reference.name) if self.reference.name is not None else ""
        return table + name


class DaxIndex:
    """Tokens, syntax errors and resolved references of every DAX expression of one model."""

    def __init__(self, model: ModelView):
        self.model = model
        self.names = Names.of_model(model.ir)
        self._tokens: dict[str, list[Token] | DaxSyntaxError] = {}
        self._resolved: dict[int, list[Resolved]] = {}
        self._users: dict[int, list[DaxObject]] | None = None

    def _lex(self, expression: str) -> list[Token] | DaxSyntaxError:
        if expression not in self._tokens:
            try:
                self._tokens[expression] = tokenize(expression)
            except DaxSyntaxError as error:
                self._tokens[expression] = error
        return self._tokens[expression]

    def tokens(self, obj: DaxObject) -> list[Token] | None:
        """The tokens of the expression (comments dropped, ending with EOF), or ``None`` if it cannot be read."""
        result = self._lex(obj.expression)
        return None if isinstance(result, DaxSyntaxError) else result

    def syntax_error(self, obj: DaxObject) -> DaxSyntaxError | None:
        """The lexer's error for the expression, if it has one."""
        result = self._lex(obj.expression)
        return result if isinstance(result, DaxSyntaxError) else None

    def resolved(self, obj: DaxObject) -> list[Resolved]:
        """The references of the expression, resolved against the model (empty if it cannot be read)."""
        key = id(obj)
        if key not in self._resolved:
            tokens = self.tokens(obj) or []
            local = {t.value.casefold() for t in tokens if t.kind == TokenKind.STRING}
            self._resolved[key] = [self._resolve(ref, obj, local) for ref in references(tokens)]
        return self._resolved[key]

    def _resolve(self, ref: Reference, obj: DaxObject, local: set[str]) -> Resolved:
        model = self.model
        if ref.name is None:
            table = self.names.table(ref.table or "")
            if isinstance(table, Unknown):
                return Resolved(ref, "unknown", unknown=table)
            return Resolved(ref, "table", (model.table(table.table),))  # type: ignore[arg-type]
        found = self.names.reference(ref.table, ref.name, obj.table.name if obj.table is not None else None)
        if isinstance(found, ColumnName):
            return Resolved(ref, "column", (model.column(found.table, found.column),))  # type: ignore[arg-type]
        if isinstance(found, MeasureName):
            return Resolved(ref, "measure", (model.measure(found.measure),))  # type: ignore[arg-type]
        if ref.table is None:  # in a row context, a column of any table
            columns = tuple(model.columns_named(ref.name))
            if columns:
                return Resolved(ref, "column", columns)
            if ref.name.casefold() in local or _VALUE_COLUMN.fullmatch(ref.name):
                return Resolved(ref, "local")
        return Resolved(ref, "unknown", unknown=found)

    def referenced_by(self, target: Named) -> list[DaxObject]:
        """The DAX expressions that refer to ``target`` (a table, column or measure), in model order."""
        if self._users is None:
            users: dict[int, list[DaxObject]] = {}
            for obj in self.model.dax_objects:
                for key in dict.fromkeys(id(t) for r in self.resolved(obj) for t in r.targets):
                    users.setdefault(key, []).append(obj)
            self._users = users
        return list(self._users.get(id(target), []))
