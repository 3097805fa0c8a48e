"""CSV exports of Autotask and SmileBack as an :class:`~generator.sources.base.Extractor`.

``--source autotask-csv --path P`` / ``--source smileback-csv --path P``: ``P`` is a folder holding the export
files, or one or more files. Which entity a file holds comes from its name (``files`` patterns of the mapping,
e.g. ``tickets*.csv``). Files are read ``chunk_rows`` rows at a time (memory stays bounded); every value is
parsed per the mapping and each row that cannot be used becomes a :class:`Rejected` with file, line and
reason. Lines count from 1 (the header); quoted values spanning lines are taken into account. Each file is
scanned first (csv_scan.py): a line opening an unbalanced quote is rejected and the lines after it are read as
rows; a header the mapping reads that appears twice refuses the file.
"""

from __future__ import annotations

import fnmatch
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from generator.errors import ToolError
from generator.load.plausible import INT64_LIMIT, NUMBER_LIMIT
from generator.sources.base import Rejected, StagePage
from generator.sources.csv_mapping import ColumnMap, CsvMapping, EntityMap
from generator.sources.csv_scan import BlankedLines, ScanResult, scan
from generator.text import singular

ORDER = {"autotask": ("Companies", "Resources", "Tickets", "TimeEntries", "Picklists"),
         "smileback": ("Reviews", "NPS")}
_TRUE = {"true", "yes", "y", "1", "x", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
REF_DISTINCT_LIMIT = 50_000  # more distinct values than this: treat them as ids, look names up one by one
_REF_NAMES = {"Companies": ("company_name",), "Resources": ("first_name", "last_name"), "Tickets": ("ticket_number",)}


def synthetic_value(key: str, label: str) -> int:
    """A stable negative id for a picklist label no Picklists.csv names (never collides with Autotask's ids)."""
    return -(zlib.crc32(f"{key}\x00{label.strip().casefold()}".encode()) % 2_000_000_000) - 1


def _fold(values: pd.Series) -> pd.Series:
    return values.str.strip().str.casefold()


def _joined(values: pd.Series) -> str:
    """The column's values joined by NUL, with a NUL at each end (one string to search in C)."""
    return "\x00" + "\x00".join(values.tolist()) + "\x00"


def _edge_blank(joined: str) -> bool:
    """Whether some value of a :func:`_joined` column starts or ends with a blank (space, tab, CR, LF).

    Spaces are common inside text, so they are searched next to a NUL; tab, CR and LF are rare, so one fast
    single-character search rules them out before the two-character ones."""
    if "\x00 " in joined or " \x00" in joined:
        return True
    return any(c in joined and (f"\x00{c}" in joined or f"{c}\x00" in joined) for c in ("\t", "\r", "\n"))


def _map_distinct(values: pd.Series, convert) -> pd.Series:
    """``convert`` applied once per distinct value (exports repeat a few labels over many rows)."""
    codes, uniques = pd.factorize(values, sort=False)
    converted = pd.Series([convert(u) for u in uniques], dtype="object")
    result = converted.reindex(codes).to_numpy() if len(uniques) else np.full(len(values), None, dtype=object)
    return pd.Series(result, index=values.index, dtype="object")


class CsvExtractor:
    """Autotask or SmileBack CSV export files."""

    def __init__(self, source: str, paths: list[Path], mapping: CsvMapping):
        self.source = source
        self.family = source.split("-", 1)[0]
        self.mapping = mapping
        self.maps = mapping.families.get(self.family, {})
        self.files = self._assign(paths)
        self._lookups: dict[str, dict[str, int]] = {}
        self._labels: dict[str, dict[str, int]] = {}  # "Entity.field" -> folded label -> value
        self._label_text: dict[tuple[str, int], str] = {}
        self._used: set[tuple[str, int]] = set()
        self._picklists_loaded = False
        self._scans: dict[Path, ScanResult] = {}

    # -- files ---------------------------------------------------------------------------------------------
    def _assign(self, paths: list[Path]) -> dict[str, list[Path]]:
        candidates: list[Path] = []
        for path in paths:
            if path.is_dir():
                candidates.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv"))
            elif path.is_file():
                candidates.append(path)
            else:
                raise ToolError(f"--path {path} does not exist")
        files: dict[str, list[Path]] = {}
        for candidate in candidates:
            entity = next((name for name, spec in self.maps.items()
                           if any(fnmatch.fnmatch(candidate.name.lower(), pattern.lower()) for pattern in spec.files)),
                          None)
            if entity is None:
                if any(p.is_file() and p == candidate for p in paths):
                    expected = "; ".join(f"{n}: {', '.join(s.files)}" for n, s in self.maps.items())
                    raise ToolError(f"cannot tell which {self.family} export {candidate} is; name it after one "
                                    f"of the mapping's patterns ({expected})")
                continue  # other CSV files in a folder are not ours
            files.setdefault(entity, []).append(candidate)
        if not any(entity != "Picklists" for entity in files):
            where = ", ".join(str(p) for p in paths)
            raise ToolError(f"no {self.family} export files found in {where} (looked for "
                            f"{'; '.join(f'{n}: {chr(44).join(s.files)}' for n, s in self.maps.items())})")
        return files

    # -- Extractor protocol -------------------------------------------------------------------------------
    def entities(self) -> list[str]:
        """Entities with a file, in load order (Autotask: Picklists last, it collects the labels seen)."""
        present = [e for e in ORDER[self.family] if e in self.files]
        if self.family == "autotask" and "Picklists" not in present:
            present.append("Picklists")
        return present

    def total_hint(self, entity: str) -> int | None:
        """None: counting lines would read the files twice."""
        return None

    def extract(self, entity: str, since: datetime | None) -> Iterator[StagePage]:
        """Every row of the entity's files (a CSV export is a snapshot: ``since`` is not used to skip rows)."""
        spec = self.maps[entity]
        if entity == "Picklists":
            yield from self._picklist_pages(spec)
            return
        for path in self.files.get(entity, []):
            yield from self._read_file(path, spec)

    # -- reading -----------------------------------------------------------------------------------------
    def _header_map(self, path: Path, spec: EntityMap, header: list[str]) -> dict[str, str]:
        folded: dict[str, str] = {}
        wanted = {h.strip().casefold() for column in spec.columns for h in column.headers}
        for position, name in enumerate(header, start=1):
            key = name.strip().casefold()
            if key in folded and key in wanted:
                first = header.index(folded[key]) + 1
                raise ToolError(f"{path}:1: the header {folded[key].strip()!r} appears twice (columns {first} and "
                                f"{position}); which one to load is not clear — remove or rename one")
            folded.setdefault(key, name)
        chosen: dict[str, str] = {}
        for column in spec.columns:
            found = next((folded[h.strip().casefold()] for h in column.headers if h.strip().casefold() in folded), None)
            if found is not None:
                chosen[column.column] = found
            elif column.required:
                raise ToolError(f"{path}:1: no column for {column.column} (expected one of the headers "
                                f"{', '.join(repr(h) for h in column.headers)}); fix the export or pass --mapping")
        return chosen

    def _scan(self, path: Path) -> ScanResult:
        """The file's header and broken lines (read once per file)."""
        if path not in self._scans:
            self._scans[path] = scan(path)
        return self._scans[path]

    def _chunks(self, path: Path, usecols: list[str] | None = None) -> Iterator[pd.DataFrame]:
        broken = {item.line for item in self._scan(path).broken}
        source = BlankedLines(path, broken) if broken else path
        try:
            reader = pd.read_csv(source, dtype=object, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                                 chunksize=self.mapping.chunk_rows, skip_blank_lines=False, usecols=usecols)
            with reader:
                yield from reader
        except UnicodeDecodeError as error:
            raise ToolError(f"{path}: not UTF-8 text (byte {error.start}); export the file as UTF-8 CSV") from None
        except pd.errors.ParserError as error:
            raise ToolError(f"{path}: not a readable CSV file: {str(error).strip().splitlines()[-1]}") from None
        except pd.errors.EmptyDataError:
            raise ToolError(f"{path}: the file is empty (no header line)") from None
        finally:
            if isinstance(source, BlankedLines):
                source.close()

    def _header(self, path: Path) -> list[str]:
        header = self._scan(path).header
        if not header:
            raise ToolError(f"{path}: the file is empty (no header line)")
        return header

    def _read_file(self, path: Path, spec: EntityMap) -> Iterator[StagePage]:
        chosen = self._header_map(path, spec, self._header(path))
        broken = [Rejected(str(path), item.line, item.reason) for item in self._scan(path).broken]
        extra_lines = 0  # line breaks inside quoted values of earlier chunks
        for chunk in self._chunks(path, usecols=sorted(set(chosen.values()))):
            blank = (chunk == "").all(axis=1).to_numpy()
            embedded = np.zeros(len(chunk), dtype=int)
            padded = []
            for name in chunk.columns:
                joined = _joined(chunk[name])  # one join per column serves both checks
                if "\n" in joined:
                    embedded += chunk[name].str.count("\n").to_numpy()
                if _edge_blank(joined):
                    padded.append(name)
            for name in padded:  # values are used without surrounding blanks (after counting their lines)
                chunk[name] = chunk[name].str.strip()
            before = np.concatenate([[0], np.cumsum(embedded)[:-1]]).astype(int)
            lines = chunk.index.to_numpy() + 2 + extra_lines + before
            extra_lines += int(embedded.sum())
            if blank.any():
                chunk, lines = chunk[~blank], lines[~blank]
            frame, rejected, watermark, kept = self._convert(path, spec, chosen, chunk, lines)
            rejected, broken = broken + rejected, []
            yield StagePage(table=spec.table, entity=spec.entity, frame=frame, rejected=rejected, watermark=watermark,
                            origin=str(path), lines=kept.tolist(), labels=chosen)

    def _convert(self, path: Path, spec: EntityMap, chosen: dict[str, str], chunk: pd.DataFrame,
                 lines: np.ndarray) -> tuple[pd.DataFrame, list[Rejected], datetime | None, np.ndarray]:
        reasons = np.full(len(chunk), "", dtype=object)
        columns: dict[str, pd.Series] = {}
        watermark = None
        for column in spec.columns:
            header = chosen.get(column.column)
            if header is None:
                continue
            raw = chunk[header]
            values, bad = self._parse(column, raw, spec)
            if bad.any():
                reasons[bad] += np.array([f"{header} {v!r} {self._problem(column)}; " for v in raw[bad]], dtype=object)
            if column.required:
                missing = (raw == "").to_numpy()
                reasons[missing] += f"{header} is missing; "
            columns[column.column] = values.reset_index(drop=True)
        frame = pd.DataFrame(columns)
        bad_rows = reasons != ""
        rejected = [Rejected(str(path), int(line), reason.rstrip("; "))
                    for line, reason in zip(lines[bad_rows], reasons[bad_rows], strict=True)]
        if bad_rows.any():
            frame = frame[~bad_rows].reset_index(drop=True)
            lines = lines[~bad_rows]
        for column in spec.columns:
            if column.watermark and column.column in frame.columns and frame[column.column].notna().any():
                mark = frame[column.column].max().to_pydatetime()
                watermark = mark if watermark is None or mark > watermark else watermark
        return frame, rejected, watermark, lines

    @staticmethod
    def _problem(column: ColumnMap) -> str:
        return {
            "int": "is not a whole number (or is beyond the 64-bit range)",
            "number": "is not a number (or is out of range: ±10^15 at most)",
            "datetime": "is not a date/time in a known format (see datetime_formats in the mapping)",
            "date": "is not a date in a known format (see datetime_formats in the mapping)",
            "bool": "is not yes/no, true/false or 1/0",
            "rating": "is not a known rating (positive/neutral/negative, happy/neutral/unhappy, 1/0/-1)",
            "ref": f"names no known {singular(column.ref).lower() if column.ref else 'row'} "
                   f"(not an id and not in the {column.ref} export)",
        }.get(column.kind, "is not valid")

    def _parse(self, column: ColumnMap, raw: pd.Series, spec: EntityMap) -> tuple[pd.Series, np.ndarray]:
        present = (raw != "").to_numpy()
        kind = column.kind
        if kind == "text":
            return raw.where(raw != "", None).astype(object), np.zeros(len(raw), bool)
        if kind in ("int", "number"):
            numbers = pd.to_numeric(raw.where(raw != ""), errors="coerce").astype("float64")
            with np.errstate(invalid="ignore"):  # infinite and huge values are invalid too (see _problem)
                usable = numbers.abs() < (INT64_LIMIT if kind == "int" else NUMBER_LIMIT)
                if kind == "int":
                    usable &= numbers == np.floor(numbers)
            numbers = numbers.where(usable)
            values = numbers.astype("Int64") if kind == "int" else numbers
            return values, present & values.isna().to_numpy()
        if kind in ("datetime", "date"):
            values = self._datetimes(raw)
            if kind == "date":
                values = values.dt.normalize()
            return values, present & values.isna().to_numpy()
        if kind == "bool":
            values = _map_distinct(raw, lambda v: True if v.strip().casefold() in _TRUE else
                                   False if v.strip().casefold() in _FALSE else None).astype("boolean")
            return values, present & values.isna().to_numpy()
        if kind == "rating":
            values = _map_distinct(raw, lambda v: self.mapping.ratings.get(v.strip().casefold())).astype("Int64")
            return values, present & values.isna().to_numpy()
        if kind == "picklist":
            return self._picklist(column, raw)
        return self._ref(column, raw)

    def _datetimes(self, raw: pd.Series) -> pd.Series:
        result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
        todo = raw != ""
        utc = self.mapping.timezone.upper() == "UTC"
        for fmt in self.mapping.datetime_formats:
            if not todo.any():
                break
            parsed = pd.to_datetime(raw[todo], format=fmt, errors="coerce", utc=utc)
            if utc:
                parsed = parsed.dt.tz_localize(None)
            elif getattr(parsed.dt, "tz", None) is None:
                parsed = parsed.dt.tz_localize(self.mapping.timezone, ambiguous="NaT",
                                               nonexistent="shift_forward").dt.tz_convert("UTC").dt.tz_localize(None)
            ok = parsed.notna()
            if len(parsed) == len(raw) and ok.all() and getattr(parsed.dt, "tz", None) is None:
                return parsed.astype("datetime64[us]")  # every value read with this format: no merging needed
            result[ok[ok].index] = parsed[ok].astype("datetime64[us]")
            todo = todo & ~result.notna()
        return result

    # -- picklists -------------------------------------------------------------------------------------------
    def _load_picklists(self) -> None:
        if self._picklists_loaded:
            return
        self._picklists_loaded = True
        for key, labels in self.mapping.picklists.items():
            for label, value in labels.items():
                self._remember(key, label, value)
        spec = self.maps.get("Picklists")
        for path in self.files.get("Picklists", []):
            assert spec is not None
            chosen = self._header_map(path, spec, self._header(path))
            for chunk in self._chunks(path, usecols=sorted(set(chosen.values()))):
                for _, row in chunk.iterrows():
                    value = row[chosen["value"]].strip()
                    if value.lstrip("-").isdigit():
                        label = row[chosen["label"]] if "label" in chosen else value
                        self._remember(f"{row[chosen['entity']].strip()}.{row[chosen['field']].strip()}", label,
                                       int(value), used=False)

    def _remember(self, key: str, label: str, value: int, used: bool = False) -> None:
        self._labels.setdefault(key, {})[label.strip().casefold()] = value
        self._label_text.setdefault((key, value), label.strip())
        if used:
            self._used.add((key, value))

    def _picklist(self, column: ColumnMap, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
        self._load_picklists()
        key = column.picklist or ""
        known = self._labels.setdefault(key, {})

        def value_of(text: str) -> int | None:
            text = text.strip()
            if not text:
                return None
            if text.lstrip("-").isdigit():
                return int(text)
            folded = text.casefold()
            if folded not in known:
                self._remember(key, text, synthetic_value(key, text))
            return known[folded]

        return _map_distinct(raw, value_of).astype("Int64"), np.zeros(len(raw), bool)

    def _picklist_pages(self, spec: EntityMap) -> Iterator[StagePage]:
        self._load_picklists()
        rows = []
        for (key, value), label in sorted(self._label_text.items()):
            entity, _, field = key.partition(".")
            rows.append({"entity": entity, "field": field, "value": str(value), "label": label, "is_active": True})
        yield StagePage(table=spec.table, entity=spec.entity, rows=rows)

    # -- references to other exports -----------------------------------------------------------------------
    def _lookup(self, entity: str) -> dict[str, int]:
        if entity in self._lookups:
            return self._lookups[entity]
        table: dict[str, int] = {}
        spec = self.maps.get(entity)
        for path in self.files.get(entity, []):
            assert spec is not None
            chosen = self._header_map(path, spec, self._header(path))
            wanted = [c for c in ("id", *_REF_NAMES[entity]) if c in chosen]
            if "id" not in wanted or len(wanted) == 1:
                continue
            for chunk in self._chunks(path, usecols=sorted({chosen[c] for c in wanted})):
                ids = pd.to_numeric(chunk[chosen["id"]], errors="coerce")
                if entity == "Resources":
                    first = chunk[chosen["first_name"]].str.strip() if "first_name" in chosen else ""
                    last = chunk[chosen["last_name"]].str.strip() if "last_name" in chosen else ""
                    names = [(first + " " + last).str.strip(), last + ", " + first]
                else:
                    names = [chunk[chosen[_REF_NAMES[entity][0]]].str.strip()]
                for series in names:
                    for name, ident in zip(series.str.casefold(), ids, strict=True):
                        if name and ident == ident:
                            table.setdefault(name, int(ident))
        self._lookups[entity] = table
        return table

    def _ref(self, column: ColumnMap, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
        present = raw != ""
        distinct = pd.unique(raw)
        if len(distinct) > REF_DISTINCT_LIMIT or all(v.strip().lstrip("-").isdigit() or not v for v in distinct):
            numbers = pd.to_numeric(raw.where(present), errors="coerce")
            values = numbers.where(numbers == np.floor(numbers)).astype("Int64")
            names = raw[present & values.isna()]
            if len(names):  # names among many ids (time entries by ticket number)
                lookup = self._lookup(column.ref or "")
                values[names.index] = _fold(names).map(lookup).astype("Int64")
            return values, (present & values.isna()).to_numpy()
        lookup = self._lookup(column.ref or "") if any(not v.strip().lstrip("-").isdigit() for v in distinct if v) \
            else {}

        def value_of(text: str) -> int | None:
            text = text.strip()
            if text.lstrip("-").isdigit():
                return int(text)
            return lookup.get(text.casefold()) if text else None

        values = _map_distinct(raw, value_of).astype("Int64")
        return values, (present & values.isna()).to_numpy()
