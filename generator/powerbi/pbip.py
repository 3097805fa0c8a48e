"""The PBIP project files around the TMDL folder: ``.pbip``, ``definition.pbism``, the minimal report,
``.platform`` files for Fabric Git integration and a ``.gitignore`` for Desktop's per-user files."""

from __future__ import annotations

import json
from typing import Any

from generator.powerbi.lineage import lineage_tag

SCHEMA_ROOT = "https://developer.microsoft.com/json-schemas/fabric"
PBIP_SCHEMA = f"{SCHEMA_ROOT}/pbip/pbipProperties/1.0.0/schema.json"
PBISM_SCHEMA = f"{SCHEMA_ROOT}/item/semanticModel/definitionProperties/1.0.0/schema.json"
PBIR_SCHEMA = f"{SCHEMA_ROOT}/item/report/definitionProperties/2.0.0/schema.json"
PLATFORM_SCHEMA = f"{SCHEMA_ROOT}/gitIntegration/platformProperties/2.0.0/schema.json"


def json_text(value: Any) -> str:
    """JSON as the project files are written: 2-space indent, stable key order as given, LF, final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def report_layout() -> dict[str, Any]:
    """A one-page, empty PBIR-Legacy report layout (``report.json`` / the .pbit's ``Report/Layout``)."""
    return {
        "config": json.dumps({"version": "5.43", "themeCollection": {}, "activeSectionIndex": 0},
                             separators=(",", ":")),
        "layoutOptimization": 0,
        "resourcePackages": [],
        "sections": [{
            "config": "{}",
            "displayName": "Page 1",
            "displayOption": 1,
            "filters": "[]",
            "height": 720.0,
            "name": "ReportSection",
            "ordinal": 0,
            "visualContainers": [],
            "width": 1280.0,
        }],
    }


def _platform(kind: str, name: str) -> dict[str, Any]:
    return {"$schema": PLATFORM_SCHEMA,
            "metadata": {"type": kind, "displayName": name},
            "config": {"version": "2.0", "logicalId": lineage_tag("platform", kind, name)}}


def project_files(name: str, definition: dict[str, str]) -> dict[str, str]:
    """Every text file of the PBIP project ``name``: relative path → text. ``definition`` holds the TMDL files."""
    model_dir, report_dir = f"{name}.SemanticModel", f"{name}.Report"
    files = {
        f"{name}.pbip": json_text({"$schema": PBIP_SCHEMA, "version": "1.0",
                                   "artifacts": [{"report": {"path": report_dir}}],
                                   "settings": {"enableAutoRecovery": True}}),
        f"{model_dir}/definition.pbism": json_text({"$schema": PBISM_SCHEMA, "version": "4.0", "settings": {}}),
        f"{model_dir}/.platform": json_text(_platform("SemanticModel", name)),
        f"{report_dir}/definition.pbir": json_text({"$schema": PBIR_SCHEMA, "version": "4.0",
                                                    "datasetReference": {"byPath": {"path": f"../{model_dir}"}}}),
        f"{report_dir}/report.json": json_text(report_layout()),
        f"{report_dir}/.platform": json_text(_platform("Report", name)),
        ".gitignore": "# Written by Power BI Desktop per user; never committed.\n"
                      "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n",
    }
    for path, text in definition.items():
        files[f"{model_dir}/definition/{path}"] = text
    return files
