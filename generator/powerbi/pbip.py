"""The PBIP project files around the TMDL folder: ``.pbip``, ``definition.pbism``, the report (PBIR, see
:mod:`generator.powerbi.pbir`), ``.platform`` files for Fabric Git integration and a ``.gitignore`` for Desktop's
per-user files."""

from __future__ import annotations

import json
from typing import Any

from generator.powerbi.lineage import lineage_tag
from generator.powerbi.pbir import report_definition
from generator.spec.report import Report

SCHEMA_ROOT = "https://developer.microsoft.com/json-schemas/fabric"
PBIP_SCHEMA = f"{SCHEMA_ROOT}/pbip/pbipProperties/1.0.0/schema.json"
PBISM_SCHEMA = f"{SCHEMA_ROOT}/item/semanticModel/definitionProperties/1.0.0/schema.json"
PBIR_SCHEMA = f"{SCHEMA_ROOT}/item/report/definitionProperties/2.0.0/schema.json"
PLATFORM_SCHEMA = f"{SCHEMA_ROOT}/gitIntegration/platformProperties/2.0.0/schema.json"


def json_text(value: Any) -> str:
    """JSON as the project files are written: 2-space indent, stable key order as given, LF, final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _platform(kind: str, name: str) -> dict[str, Any]:
    return {"$schema": PLATFORM_SCHEMA,
            "metadata": {"type": kind, "displayName": name},
            "config": {"version": "2.0", "logicalId": lineage_tag("platform", kind, name)}}


def project_files(name: str, definition: dict[str, str], report: Report) -> dict[str, str]:
    """Every text file of the PBIP project ``name``: relative path → text. ``definition`` holds the TMDL files,
    ``report`` is written as the PBIR report."""
    model_dir, report_dir = f"{name}.SemanticModel", f"{name}.Report"
    files = {
        f"{name}.pbip": json_text({"$schema": PBIP_SCHEMA, "version": "1.0",
                                   "artifacts": [{"report": {"path": report_dir}}],
                                   "settings": {"enableAutoRecovery": True}}),
        f"{model_dir}/definition.pbism": json_text({"$schema": PBISM_SCHEMA, "version": "4.0", "settings": {}}),
        f"{model_dir}/.platform": json_text(_platform("SemanticModel", name)),
        f"{report_dir}/definition.pbir": json_text({"$schema": PBIR_SCHEMA, "version": "4.0",
                                                    "datasetReference": {"byPath": {"path": f"../{model_dir}"}}}),
        f"{report_dir}/.platform": json_text(_platform("Report", name)),
        ".gitignore": "# Written by Power BI Desktop per user; never committed.\n"
                      "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n",
    }
    for path, text in definition.items():
        files[f"{model_dir}/definition/{path}"] = text
    for path, document in report_definition(report).items():
        files[f"{report_dir}/{path}"] = json_text(document)
    return files
