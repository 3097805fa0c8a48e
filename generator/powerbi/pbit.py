"""The ``.pbit`` template: the OPC/ZIP package Power BI Desktop opens as a template.

Parts and encodings as Desktop and pbi-tools write them (see reference/powerbi-formats.md §3.2): text parts in
UTF-16 LE without BOM, ``[Content_Types].xml`` in UTF-8 with BOM, ``Connections`` in UTF-8. The model's M
queries live in ``DataModelSchema`` (partitions and the ``Server``/``Database`` parameters), so no
``DataMashup`` part is needed; Desktop asks for the required parameters when the template is opened.
Entries are sorted and dated 1980-01-01, so the same model gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from generator.powerbi.bim import datamodel_schema_json
from generator.powerbi.pbip import json_text
from generator.powerbi.pbir import report_definition
from generator.spec.report import Report

TEMPLATE_VERSION = "1.28"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _content_types(parts: list[str]) -> bytes:
    overrides = "".join(f'<Override PartName="/{part}" ContentType="" />' for part in parts if "." not in part)
    xml = ('<?xml version="1.0" encoding="utf-8"?>'
           '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
           '<Default Extension="json" ContentType="" />'
           f"{overrides}</Types>")
    return b"\xef\xbb\xbf" + xml.encode("utf-8")


def template_parts(database: dict[str, Any], report: Report) -> dict[str, bytes]:
    """Every part of the template: part name → bytes. The report is PBIR (``Report/definition/…`` and the theme
    under ``Report/StaticResources/``, UTF-8 JSON), as Desktop stores a report in the enhanced format."""
    parts = {
        "Version": _utf16(TEMPLATE_VERSION),
        "DataModelSchema": _utf16(datamodel_schema_json(database)),
        "DiagramLayout": _utf16(_compact({"version": "1.1.0", "diagrams": [], "selectedDiagram": "All tables",
                                          "defaultDiagram": "All tables"})),
        "Settings": _utf16(_compact({"Version": 4, "ReportSettings": {},
                                     "QueriesSettings": {"TypeDetectionEnabled": True,
                                                         "RelationshipImportEnabled": True}})),
        "Metadata": _utf16(_compact({"Version": 5, "AutoCreatedRelationships": [], "CreatedFrom": "Cloud"})),
        "Connections": _compact({"Version": 1, "Connections": []}).encode("utf-8"),
    }
    for path, document in report_definition(report).items():
        parts[f"Report/{path}"] = json_text(document).encode("utf-8")
    parts["[Content_Types].xml"] = _content_types(sorted(parts))
    return parts


def pbit_bytes(database: dict[str, Any], report: Report) -> bytes:
    """The ``.pbit`` file: a deterministic ZIP of :func:`template_parts`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(template_parts(database, report).items()):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
