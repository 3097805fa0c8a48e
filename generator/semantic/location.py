"""The one source position type of the project: a file, a 1-based line and a 1-based column.

Line 0 means "the whole file" (no line applies); column 0 means "the whole line". A :class:`Location` prints
as ``file:line:column``, ``file:line`` or ``file``, the prefix every message about a model object starts with.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.errors import ToolError


@dataclass(frozen=True, order=True)
class Location:
    """Where something was read: ``file`` (a path, or a label such as ``x.pbit!DataModelSchema``), ``line`` and
    ``column`` (1-based; 0 when not known)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}" if self.column else f"{self.file}:{self.line}"

    @property
    def file_line(self) -> str:
        """``file:line`` (or ``file`` when no line applies), the short form used to name where a thing is."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def at(self, line: int, column: int = 0) -> Location:
        """The same file at another position."""
        return Location(self.file, line, column)

    def within(self, line: int, column: int) -> Location:
        """Where position ``line``:``column`` (1-based) of an embedded text (a DAX expression) is in the file, when
        the text starts here: its lines are this line and the ones below, each starting at this column (an
        unknown column, 0, stays unknown; a location without a line stays as it is)."""
        if not self.line:
            return self
        return Location(self.file, self.line + max(line, 1) - 1, self.column + column - 1 if self.column else 0)

    def error(self, message: str) -> ModelSourceError:
        """A :class:`ModelSourceError` at this location."""
        return ModelSourceError(self, message)


@dataclass(frozen=True, order=True)
class OneLine(Location):
    """Where an embedded text written on one line of its file starts (a JSON string whose line breaks are ``\\n``
    escapes): every position inside it is on this line."""

    def within(self, line: int, column: int) -> Location:
        return Location(self.file, self.line)


NOWHERE = Location("<model>")


class ModelSourceError(ToolError):
    """A model that cannot be read: ``file:line: message`` (just ``file: message`` when no line applies).

    ``location`` is where; ``file``, ``line`` and ``detail`` (the message without the location) are kept for
    callers that match on them.
    """

    def __init__(self, location: Location | str, message: str, line: int | None = None):
        if not isinstance(location, Location):
            location = Location(str(location), line or 0)
        self.location = location
        self.file = location.file
        self.line = location.line
        self.detail = message
        super().__init__(f"{location.file_line}: {message}")
