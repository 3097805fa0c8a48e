"""The TMSL reader: a ``model.bim``, a bare model object, a create/createOrReplace/alter script, or the
``DataModelSchema`` part of a ``.pbit`` → the IR.

The JSON is decoded with the line and column each object starts on, turned into :class:`~.build.Raw` objects
(TMSL keys in lower case; a dict value is a one-element child collection) and handed to :func:`.build.build_model`.
This is the product's one TMSL decoder.
"""

from __future__ import annotations

import bisect
import json
import json.scanner
import re
import zipfile
from pathlib import Path
from typing import Any

from generator.semantic.build import Raw, build_model
from generator.semantic.location import Location, ModelSourceError, OneLine
from generator.semantic.model import SemanticModel

# Keys whose value is a collection of objects in TOM (so anything else there is a mistake).
_COLLECTIONS = frozenset({
    "tables", "columns", "measures", "partitions", "hierarchies", "levels", "relationships", "roles",
    "tablepermissions", "columnpermissions", "members", "perspectives", "annotations", "calculationitems",
    "datasources", "expressions", "variations", "cultures",
})


def decode(data: bytes, file: str) -> str:
    """Model text: UTF-8 (with or without BOM) or UTF-16 with a BOM."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ModelSourceError(Location(file), f"is not UTF-8 or UTF-16 text ({error.reason} at byte "
                                               f"{error.start})") from None


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, or a :class:`ModelSourceError` naming it."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelSourceError(Location(str(path)), f"cannot read: {error.strerror or error}") from None


class _JsonPositions:
    """JSON parsed with the position each object starts at (looked up by the object's identity), and where each
    string (of two characters or more) and list value is, for the texts embedded in the model (DAX)."""

    def __init__(self, text: str, file: str):
        self.file = file
        self._starts: dict[int, Location] = {}
        self._values: dict[int, tuple[int, int]] = {}  # id -> (start offset, end offset) of a string or a list
        self._newlines = newlines = [match.start() for match in re.finditer("\n", text)]
        decoder = json.JSONDecoder()
        parse_object, parse_array, parse_string = decoder.parse_object, decoder.parse_array, decoder.parse_string

        def tracking(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            result, end = parse_object(s_and_end, *args)
            offset = s_and_end[1] - 1  # the "{"
            line = bisect.bisect_left(newlines, offset)
            column = offset - (newlines[line - 1] if line else -1)
            self._starts[id(result)] = Location(file, line + 1, column)
            return result, end

        def tracking_array(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            result, end = parse_array(s_and_end, *args)
            self._values[id(result)] = (s_and_end[1] - 1, end - 1)
            return result, end

        def tracking_string(string: str, end: int, *args: Any) -> tuple[str, int]:
            result, after = parse_string(string, end, *args)
            if len(result) > 1:  # shorter strings may be shared objects, so their identity names no position
                self._values[id(result)] = (end - 1, after - 1)
            return result, after

        decoder.parse_object = tracking  # type: ignore[method-assign]
        decoder.parse_array = tracking_array  # type: ignore[method-assign]
        decoder.parse_string = tracking_string  # type: ignore[assignment]
        decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
        try:
            self.data = decoder.decode(text)
        except json.JSONDecodeError as error:
            raise ModelSourceError(Location(file, error.lineno, error.colno),
                                   f"invalid JSON: {error.msg} (column {error.colno})") from None
        except RecursionError:
            raise ModelSourceError(Location(file), "invalid JSON: nested too deeply") from None

    def _line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def where(self, obj: Any) -> Location:
        return self._starts.get(id(obj), Location(self.file))

    def text_start(self, value: Any, owner: Location) -> Location:
        """Where an embedded text starts (see :meth:`Location.within`): a list of lines written one per line starts
        on the line of its first item; a string, or a list written otherwise, is one line of the file (``owner``'s
        line when its position is not known)."""
        found = self._values.get(id(value))
        if found is None:
            return OneLine(owner.file, owner.line)
        first, last = self._line(found[0]), self._line(found[1])
        if isinstance(value, list) and value and last - first == len(value) + 1:
            return Location(self.file, first + 1)
        return OneLine(self.file, first)


def _one_line(value: Any, owner: Location) -> Location:
    return OneLine(owner.file, owner.line)


def _raw(obj: dict[str, Any], what: str, where: Any, text_start: Any = _one_line) -> Raw:
    location = where(obj)
    raw = Raw(what, location)
    for name, value in obj.items():
        lower = name.lower()
        if isinstance(value, dict):
            if lower in _COLLECTIONS:
                raise location.error(f"'{name}' of {what} must be a list of objects")
            raw.add(lower, _raw(value, name, where, text_start))
        elif lower in _COLLECTIONS:
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise location.error(f"'{name}' of {what} must be a list of objects")
            raw.children.setdefault(lower, [])
            for item in value:
                raw.add(lower, _raw(item, f"an item of '{name}'", where, text_start))
        elif lower == "expression" and isinstance(value, (str, list)):
            raw.set(lower, value, text_start(value, location))
        else:
            raw.set(lower, value, location)
    return raw


def _model_object(data: Any, file: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``model`` object (and its database) of a model.bim, a bare model or a TMSL script."""
    if isinstance(data, dict):
        for command in ("create", "createOrReplace", "alter"):
            if isinstance(data.get(command), dict) and isinstance(data[command].get("database"), dict):
                data = data[command]["database"]
                break
        if isinstance(data.get("model"), dict):
            return data["model"], data
        if isinstance(data.get("tables"), (list, dict)):
            return data, None
    raise ModelSourceError(Location(file, 1), 'is not a TMSL model: expected {"model": {"tables": [...]}}, '
                                              'a model object {"tables": [...]} or a {"create": {"database": '
                                              '...}} script')


def from_database(data: Any, file: str = "<model>", where: Any = None, text_start: Any = _one_line
                  ) -> SemanticModel:
    """The IR of a decoded TMSL document (a database dict, a bare model or a script); ``where`` and ``text_start``
    give the position of an object and of an embedded text when the JSON was read with positions."""
    locate = where or (lambda _obj: Location(file))
    model, database = _model_object(data, file)
    raw = _raw(model, "the model", locate, text_start)
    header = None
    if database is not None:
        header = _raw({k: v for k, v in database.items() if k != "model" and not isinstance(v, (dict, list))},
                      "the database", locate)
    return build_model(raw, database=header)


def from_text(text: str, file: str) -> SemanticModel:
    """The IR of TMSL JSON text (``file`` names it in messages)."""
    document = _JsonPositions(text, file)
    return from_database(document.data, file, document.where, document.text_start)


def read_bim(path: Path | str) -> SemanticModel:
    """The IR of a ``model.bim`` (or any TMSL JSON file)."""
    path = Path(path)
    return from_text(decode(read_bytes(path), str(path)), str(path))


def pbit_schema(path: Path | str) -> tuple[str, str]:
    """A Power BI template's ``DataModelSchema`` part as text (UTF-16LE, with or without BOM) and its label."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as package:
            data = package.read("DataModelSchema")
    except KeyError:
        raise ModelSourceError(Location(str(path)), "has no DataModelSchema part (a template without a model?)"
                               ) from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ModelSourceError(Location(str(path)), f"is not a readable .pbit package: {error}") from None
    label = f"{path}!DataModelSchema"
    if data[1:2] == b"\x00" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = b"\xff\xfe" + data  # UTF-16LE without a BOM, as Power BI Desktop writes it
    return decode(data, label), label


def read_pbit(path: Path | str) -> SemanticModel:
    """The IR of a ``.pbit`` template's model."""
    text, label = pbit_schema(path)
    return from_text(text, label)
