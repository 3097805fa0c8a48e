"""The YAML mapping of CSV export headers to STG_ columns (``sql/mappings/csv.yaml`` or ``--mapping FILE``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import ToolError
from generator.spec.yamlsrc import load_yaml

KINDS = ("int", "number", "text", "datetime", "date", "bool", "rating", "picklist", "ref")
DEFAULT_MAPPING = Path("sql") / "mappings" / "csv.yaml"


@dataclass(frozen=True)
class ColumnMap:
    """How one STG_ column is read from an export."""

    column: str
    headers: tuple[str, ...]
    kind: str
    required: bool = False
    watermark: bool = False
    picklist: str | None = None  # "Entity.field"
    ref: str | None = None  # entity whose file resolves names: Companies, Resources, Tickets


@dataclass(frozen=True)
class EntityMap:
    """One export file kind (Tickets, Reviews …)."""

    entity: str
    table: str
    files: tuple[str, ...]
    columns: tuple[ColumnMap, ...]
    confirmed: bool = False


@dataclass
class CsvMapping:
    """The whole mapping file."""

    path: Path
    families: dict[str, dict[str, EntityMap]]
    datetime_formats: tuple[str, ...] = ("ISO8601",)
    timezone: str = "UTC"
    chunk_rows: int = 100_000
    picklists: dict[str, dict[str, int]] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)


def _fail(path: Path, message: str) -> ToolError:
    return ToolError(f"{path}: {message}")


def _column(path: Path, where: str, name: str, raw: Any) -> ColumnMap:
    if not isinstance(raw, dict) or "headers" not in raw or "kind" not in raw:
        raise _fail(path, f"{where}.{name} needs 'headers' (a list) and 'kind'")
    headers = raw["headers"]
    if isinstance(headers, str):
        headers = [headers]
    if not isinstance(headers, list) or not headers or not all(isinstance(h, str) for h in headers):
        raise _fail(path, f"{where}.{name}.headers must be a non-empty list of header names")
    kind = raw["kind"]
    if kind not in KINDS:
        raise _fail(path, f"{where}.{name}.kind is {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "picklist" and not isinstance(raw.get("picklist"), str):
        raise _fail(path, f"{where}.{name} is a picklist column and needs 'picklist: Entity.field'")
    if kind == "ref" and raw.get("ref") not in ("Companies", "Resources", "Tickets"):
        raise _fail(path, f"{where}.{name} is a ref column and needs 'ref: Companies|Resources|Tickets'")
    unknown = set(raw) - {"headers", "kind", "required", "watermark", "picklist", "ref"}
    if unknown:
        raise _fail(path, f"{where}.{name} has unknown keys {sorted(unknown)}")
    return ColumnMap(name, tuple(headers), kind, bool(raw.get("required", False)), bool(raw.get("watermark", False)),
                     raw.get("picklist"), raw.get("ref"))


def load_mapping(path: Path) -> CsvMapping:
    """Read and check a mapping file; ToolError naming the file and the entry on any problem."""
    try:
        document = load_yaml(path)  # the spec loader: no YAML aliases, so no alias-expansion bombs
    except OSError as error:
        raise ToolError(f"cannot read the CSV mapping {path}: {error.strerror}") from None
    if not isinstance(document, dict):
        raise _fail(path, "the mapping must be a YAML mapping with 'autotask' and/or 'smileback'")
    families: dict[str, dict[str, EntityMap]] = {}
    for family in ("autotask", "smileback"):
        entities = document.get(family) or {}
        if not isinstance(entities, dict):
            raise _fail(path, f"'{family}' must map entity names to their files and columns")
        families[family] = {}
        for entity, raw in entities.items():
            where = f"{family}.{entity}"
            if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict) or "table" not in raw:
                raise _fail(path, f"{where} needs 'table', 'files' and 'columns'")
            files = raw.get("files") or [f"{entity.lower()}*.csv"]
            columns = tuple(_column(path, f"{where}.columns", name, spec) for name, spec in raw["columns"].items())
            families[family][entity] = EntityMap(entity, str(raw["table"]), tuple(files), columns,
                                                 bool(raw.get("confirmed", False)))
    ratings = {str(k).strip().lower(): int(v) for k, v in (document.get("ratings") or {}).items()}
    picklists = {str(k): {str(label): int(value) for label, value in (v or {}).items()}
                 for k, v in (document.get("picklists") or {}).items()}
    formats = document.get("datetime_formats") or ["ISO8601"]
    return CsvMapping(path, families, tuple(str(f) for f in formats), str(document.get("timezone") or "UTC"),
                      int(document.get("chunk_rows") or 100_000), picklists, ratings)
