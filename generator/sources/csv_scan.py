"""The physical-line structure of a CSV export, checked before pandas reads it.

An unbalanced quote (``1,Positive,"great service,100,…`` with no closing quote) makes every CSV reader take
the following lines into that one value until some later quote closes it: the rows in between disappear and
one row is rejected for what looks like an unrelated reason. :func:`scan` reads the file once with the csv
module, numbering physical lines, and flags a record spanning several lines when

- its number of values differs from the header's, or
- the file ends inside its quoted value, or
- one of its continuation lines is, on its own, a complete row (as many values as the header).

The line where such a record starts is reported and reading resumes on the next line, so the rows it had
swallowed are read again as rows (and checked the same way). A one-line row with more values than the header
is reported too (pandas would refuse the whole file for it). :class:`BlankedLines` then hands pandas the file
with the reported lines emptied (their line numbers kept), so the rest loads as usual.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from generator.errors import ToolError

FIELD_LIMIT = 16 * 1024 * 1024  # characters in one value before the scan calls its quote unbalanced


@dataclass(frozen=True)
class BrokenLine:
    """A physical line left out of the load, and why."""

    line: int
    reason: str


@dataclass
class ScanResult:
    """The header's values and the lines to leave out."""

    header: list[str]
    broken: list[BrokenLine]


class _Lines:
    """Physical lines from a byte offset, decoded and numbered; tracks where the current record started."""

    def __init__(self, path: Path, handle: IO[bytes], offset: int, number: int, width: int):
        handle.seek(offset)
        self.path, self.handle, self.width = path, handle, width
        self.offset, self.number = offset, number - 1
        self.first: int | None = None  # line where the record being read starts
        self.resume = offset  # byte offset of the line after ``first``
        self.row_like = False  # a continuation line of the record is a complete row on its own
        self.ended = False  # the end-of-file sentinel was consumed

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            if self.ended:
                raise StopIteration
            self.ended = True  # a lone quote closes a value left open at the end of the file (see scan)
            raw = b'"\n'
        elif not raw.endswith(b"\n"):
            raw += b"\n"
        try:
            text = raw.decode("utf-8-sig" if self.offset == 0 else "utf-8")
        except UnicodeDecodeError as error:
            raise ToolError(f"{self.path}: not UTF-8 text (byte {self.offset + error.start}); export the file as "
                            "UTF-8 CSV") from None
        self.number += 1
        self.offset += len(raw)
        if self.first is None:
            self.first, self.resume, self.row_like = self.number, self.offset, False
        elif not self.row_like and self.width > 1 and len(next(csv.reader([text]), [])) == self.width:
            self.row_like = True
        return text


def scan(path: Path) -> ScanResult:
    """The header and the lines an export's rows cannot be read from (see the module docstring)."""
    broken: list[BrokenLine] = []
    if csv.field_size_limit() < FIELD_LIMIT:  # a process-wide setting: the csv module's default is 128 KiB
        csv.field_size_limit(FIELD_LIMIT)
    with path.open("rb") as handle:
        lines = _Lines(path, handle, 0, 1, 0)
        header = next(csv.reader(lines), [])
        if lines.ended:  # an empty file (only the sentinel was read)
            return ScanResult([], broken)
        width = len(header)
        lines = _Lines(path, handle, lines.offset, lines.number + 1, width)
        reader = csv.reader(lines)
        while not lines.ended:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                start = lines.first or lines.number
                if "field larger than field limit" not in str(error):  # e.g. a NUL byte
                    raise ToolError(f"{path}:{start}: not a readable CSV line ({error})") from None
                broken.append(BrokenLine(start, _unbalanced(start, lines.number, f"runs past "
                                                            f"{csv.field_size_limit():,} characters at line")))
                lines = _Lines(path, handle, lines.resume, start + 1, width)
                reader = csv.reader(lines)
                continue
            start, end = lines.first or lines.number, lines.number
            lines.first = None
            if lines.ended and end == start:
                break  # the sentinel alone: the file ended cleanly
            if end > start and (len(fields) != width or lines.row_like or lines.ended):
                last = end - 1 if lines.ended else end
                how = "is never closed (the file ends inside it); it runs to line" if lines.ended \
                    else "is closed only on line"
                broken.append(BrokenLine(start, _unbalanced(start, last, how)))
                lines = _Lines(path, handle, lines.resume, start + 1, width)
                reader = csv.reader(lines)
            elif len(fields) > width:
                broken.append(BrokenLine(start, f"the line has {len(fields)} values, the header has {width}"))
    return ScanResult(header, broken)


def _unbalanced(start: int, last: int, how: str) -> str:
    """The reason given for the line where an unbalanced quote opens."""
    text = f"unbalanced quote: a quoted value opens on this line and {how} {last}"
    if last > start:
        text += (f", which would swallow lines {start + 1}–{last}; this line is left out and lines from "
                 f"{start + 1} on are read again as rows")
    return text


class BlankedLines:
    """A binary file object reading ``path`` with some physical lines emptied (line numbers unchanged)."""

    def __init__(self, path: Path, lines: set[int]):
        self._handle = path.open("rb")
        self._lines = lines
        self._number = 0
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (everything when negative)."""
        parts, total = [self._pending], len(self._pending)
        while size < 0 or total < size:
            raw = self._handle.readline()
            if not raw:
                break
            self._number += 1
            if self._number in self._lines:
                raw = b"\n" if raw.endswith(b"\n") else b""
            parts.append(raw)
            total += len(raw)
        data = b"".join(parts)
        if size < 0:
            self._pending = b""
            return data
        self._pending = data[size:]
        return data[:size]

    def __iter__(self):
        return iter(lambda: self.read(65536), b"")

    def close(self) -> None:
        """Close the file."""
        self._handle.close()
