"""The report spec as PBIR, the enhanced Power BI report format: ``definition/`` with ``version.json``,
``report.json``, ``pages/pages.json``, one ``page.json`` per page and one ``visual.json`` per visual, plus the
custom theme registered under ``StaticResources/RegisteredResources/``.

Every file names its JSON schema (the latest published versions, see ``reference/json-schemas``); folder and
object names are the spec's page and visual names, so the same spec gives the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

from generator.spec.report import CANVAS, OPERATORS, VISUAL_KINDS, Field, Filter, Page, Report, Theme, Visual

DEFINITION_SCHEMA_ROOT = "https://developer.microsoft.com/json-schemas/fabric/item/report/definition"
SCHEMA_VERSIONS = {"versionMetadata": "1.0.0", "report": "3.3.0", "pagesMetadata": "1.1.0", "page": "2.1.0",
                   "visualContainer": "2.9.0"}
DEFINITION_VERSION = "2.0.0"
COMPARISON_KINDS = {name: index for index, name in enumerate(OPERATORS.values())}


def schema(kind: str) -> str:
    """The ``$schema`` URL of one PBIR file kind (``report``, ``page``, ``visualContainer`` …)."""
    return f"{DEFINITION_SCHEMA_ROOT}/{kind}/{SCHEMA_VERSIONS[kind]}/schema.json"


def literal(value: Any) -> dict[str, Any]:
    """A query literal: ``'text'`` (quotes doubled), ``true``/``false``, ``24L`` (whole), ``2.4D`` (other)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = f"{value}L"
    elif isinstance(value, float):
        text = f"{value!r}D"
    else:
        text = "'" + str(value).replace("'", "''") + "'"
    return {"Literal": {"Value": text}}


def _expr(value: Any) -> dict[str, Any]:
    return {"expr": literal(value)}


def field_expression(field: Field, source: str | None = None) -> dict[str, Any]:
    """The field as a query expression, on its table (``Entity``) or on a ``From`` alias (``Source``)."""
    ref = {"Source": source} if source else {"Entity": field.table}
    return {"Measure" if field.is_measure else "Column": {"Expression": {"SourceRef": ref}, "Property": field.name}}


def _projection(field: Field) -> dict[str, Any]:
    return {"field": field_expression(field), "queryRef": field.query_ref, "nativeQueryRef": field.name}


def _filter(item: Filter, name: str, how: str = "User") -> dict[str, Any]:
    """A filter container: ``In`` on a column (Categorical), a comparison on a measure (Advanced)."""
    source = [{"Name": "s", "Entity": item.field.table, "Type": 0}]
    target = field_expression(item.field, "s")
    if item.field.is_measure:
        condition = {"Comparison": {"ComparisonKind": COMPARISON_KINDS[OPERATORS[item.op]], "Left": target,
                                    "Right": literal(item.value)}}
        kind = "Advanced"
    else:
        condition = {"In": {"Expressions": [target], "Values": [[literal(value)] for value in item.values]}}
        kind = "Categorical"
    return {"name": name, "field": field_expression(item.field), "type": kind,
            "filter": {"Version": 2, "From": source, "Where": [{"Condition": condition}]}, "howCreated": how}


def _query(visual: Visual) -> dict[str, Any]:
    kind = VISUAL_KINDS[visual.kind]
    state: dict[str, Any] = {}
    for role, fields in visual.fields:
        pbir_role = kind.role(role)[0]
        projections = state.setdefault(pbir_role, {"projections": []})["projections"]
        projections.extend(_projection(field) for field in fields)
    query: dict[str, Any] = {"queryState": state}
    if visual.sort is not None:
        field, direction = visual.sort
        query["sortDefinition"] = {"sort": [{"field": field_expression(field), "direction": direction.title()}],
                                   "isDefaultSort": False}
    return query


def _reference_lines(visual: Visual) -> dict[str, Any]:
    lines = [{"properties": {"show": _expr(True), "value": _expr(line.value), "displayName": _expr(line.label),
                             "style": _expr("dashed"), "dataLabelShow": _expr(True)},
              "selector": {"id": f"reference{number}"}} for number, line in enumerate(visual.reference_lines, 1)]
    return {"y1AxisReferenceLine": lines} if lines else {}


def _conditional_formatting(visual: Visual) -> dict[str, Any]:
    rules = []
    for rule in visual.formatting:
        gradient = {"min": {"color": literal(rule.min_color)}, "max": {"color": literal(rule.max_color)},
                    "nullColoringStrategy": {"strategy": literal("asZero")}}
        fill = {"FillRule": {"Input": field_expression(rule.field), "FillRule": {"linearGradient2": gradient}}}
        rules.append({"properties": {"backColor": {"solid": {"color": {"expr": fill}}}},
                      "selector": {"data": [{"dataViewWildcard": {"matchingOption": 1}}],
                                   "metadata": rule.field.query_ref}})
    return {"values": rules} if rules else {}


def visual_json(page: Page, visual: Visual, index: int) -> dict[str, Any]:
    """``visual.json`` of one visual (``index`` orders it on the page: z-order and tab order)."""
    x, y, width, height = visual.position
    body: dict[str, Any] = {"visualType": VISUAL_KINDS[visual.kind].visual_type, "query": _query(visual)}
    objects = {**_conditional_formatting(visual), **_reference_lines(visual)}
    if objects:
        body["objects"] = objects
    if visual.title:
        body["visualContainerObjects"] = {"title": [{"properties": {"show": _expr(True),
                                                                    "text": _expr(visual.title)}}]}
    if visual.sync:
        body["syncGroup"] = {"groupName": visual.sync, "fieldChanges": True, "filterChanges": True}
    body["drillFilterOtherVisuals"] = True
    document: dict[str, Any] = {
        "$schema": schema("visualContainer"),
        "name": visual.name,
        "position": {"x": x, "y": y, "z": index * 1000, "height": height, "width": width, "tabOrder": index * 1000},
        "visual": body,
    }
    if visual.filters:
        document["filterConfig"] = {"filters": [_filter(item, f"{page.name}_{visual.name}_{number}")
                                                for number, item in enumerate(visual.filters, 1)]}
    return document


def page_json(page: Page) -> dict[str, Any]:
    """``page.json`` of one page; a drill-through page binds its drill fields as page filters."""
    document: dict[str, Any] = {"$schema": schema("page"), "name": page.name, "displayName": page.title,
                                "displayOption": "FitToPage", "height": CANVAS[1], "width": CANVAS[0]}
    filters = [_filter(item, f"{page.name}_{number}") for number, item in enumerate(page.filters, 1)]
    drill = [{"name": f"{page.name}_drill_{number}", "field": field_expression(field), "type": "Categorical",
              "howCreated": "Drillthrough"} for number, field in enumerate(page.drillthrough, 1)]
    if filters or drill:
        document["filterConfig"] = {"filters": drill + filters}
    if drill:
        document["pageBinding"] = {
            "name": f"{page.name}_binding", "type": "Drillthrough",
            "parameters": [{"name": f"{item['name']}_parameter", "boundFilter": item["name"],
                            "fieldExpr": item["field"]} for item in drill]}
        document["type"] = "Drillthrough"
        document["visibility"] = "HiddenInViewMode"
    return document


def theme_file_name(theme: Theme) -> str:
    """The registered resource name of the custom theme (word characters, ``.json``)."""
    return re.sub(r"\W+", "_", theme.name).strip("_") + "_Theme.json"


def theme_json(theme: Theme) -> dict[str, Any]:
    """The custom report theme (Power BI theme JSON: colours of data, sentiment and page)."""
    return {"name": theme.name, "dataColors": list(theme.data_colors), "good": theme.good,
            "neutral": theme.neutral, "bad": theme.bad, "background": theme.background,
            "foreground": theme.foreground, "tableAccent": theme.data_colors[0]}


def report_json(report: Report) -> dict[str, Any]:
    """``definition/report.json``: the registered custom theme and report settings."""
    name = theme_file_name(report.theme)
    at_import = {"visual": SCHEMA_VERSIONS["visualContainer"], "report": SCHEMA_VERSIONS["report"],
                 "page": SCHEMA_VERSIONS["page"]}
    return {
        "$schema": schema("report"),
        "themeCollection": {"customTheme": {"name": name, "reportVersionAtImport": at_import,
                                            "type": "RegisteredResources"}},
        "resourcePackages": [{"name": "RegisteredResources", "type": "RegisteredResources",
                              "items": [{"name": name, "path": name, "type": "CustomTheme"}]}],
        "settings": {"useStylableVisualContainerHeader": True, "defaultDrillFilterOtherVisuals": True,
                     "allowChangeFilterTypes": True, "useEnhancedTooltips": True},
    }


def report_definition(report: Report) -> dict[str, dict[str, Any]]:
    """Every JSON document of the report folder: path relative to ``X.Report/`` → document."""
    documents: dict[str, dict[str, Any]] = {
        "definition/version.json": {"$schema": schema("versionMetadata"), "version": DEFINITION_VERSION},
        "definition/report.json": report_json(report),
        "definition/pages/pages.json": {"$schema": schema("pagesMetadata"),
                                        "pageOrder": [page.name for page in report.pages],
                                        "activePageName": report.pages[0].name},
        f"StaticResources/RegisteredResources/{theme_file_name(report.theme)}": theme_json(report.theme),
    }
    for page in report.pages:
        documents[f"definition/pages/{page.name}/page.json"] = page_json(page)
        for index, visual in enumerate(page.visuals):
            documents[f"definition/pages/{page.name}/visuals/{visual.name}/visual.json"] = \
                visual_json(page, visual, index)
    return documents
