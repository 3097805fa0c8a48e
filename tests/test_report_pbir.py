"""The Power BI report as PBIR: every file of ``MSP-CSAT.Report`` is valid against Microsoft's published schemas
(``shared/reference/json-schemas``, relative ``$ref``s resolved locally) and a mutated one is not; every field a
visual binds is a column or measure of the model; the .pbit carries the same pages; ``check`` is stale after a
report spec edit until ``build``; a user's report is left alone by ``build --into``.

One build of the repository's specs is made per module.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli
from test_build_outputs import REFERENCE, jsonschema_module

DATASET = "MSP-CSAT"
REPORT_DIR = f"{DATASET}.Report"
SCHEMA_ROOT = REFERENCE / "json-schemas" / "fabric"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/fabric/"
MODEL_FILES = ("model", "measures", "sql")

# One build (one engine session) per module: its tests stay on one xdist worker.


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pbir") / "powerbi"
    result = run_cli("build", "--out", str(out))
    assert result.code == 0, result.err
    return out


def report_files(built: Path) -> dict[str, Any]:
    folder = built / REPORT_DIR
    return {path.relative_to(folder).as_posix(): json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.rglob("*")) if path.suffix in (".json", ".pbir")}


@cache
def registry():
    """Every schema of the reference folder, under its ``$id`` and under the URL of its path, so that relative
    ``$ref``s (``../../semanticQuery/1.4.0/schema.json#/…``) resolve without a network."""
    jsonschema_module()
    import referencing
    from referencing.jsonschema import DRAFT7

    resources = []
    for path in sorted(SCHEMA_ROOT.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        resource = referencing.Resource.from_contents(document, default_specification=DRAFT7)
        resources.append((SCHEMA_URL + path.relative_to(SCHEMA_ROOT).as_posix(), resource))
        if "$id" in document:
            resources.append((document["$id"], resource))
    return referencing.Registry().with_resources(resources)


def validator_for(document: dict[str, Any]):
    jsonschema = jsonschema_module()
    url = document["$schema"]
    assert url.startswith(SCHEMA_URL + "item/report/"), url
    assert (SCHEMA_ROOT / url.removeprefix(SCHEMA_URL)).is_file(), f"{url} is not in the reference folder"
    schema = registry().contents(url)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, registry=registry())


def errors_of(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:200]}"
            for error in validator_for(document).iter_errors(document)]


def test_the_report_is_pbir_with_the_nine_pages_and_their_visuals(built: Path) -> None:
    files = report_files(built)
    assert "report.json" not in files  # no PBIR-Legacy report beside the definition folder
    pbir = files["definition.pbir"]
    assert pbir["version"] == "4.0" and pbir["datasetReference"] == {"byPath": {"path": f"../{DATASET}.SemanticModel"}}
    pages = files["definition/pages/pages.json"]["pageOrder"]
    assert len(pages) == 9 and pages[0] == files["definition/pages/pages.json"]["activePageName"]
    visuals = [path for path in files if path.endswith("/visual.json")]
    assert len(visuals) == 40
    for page in pages:
        document = files[f"definition/pages/{page}/page.json"]
        assert (document["name"], document["width"], document["height"]) == (page, 1280, 720)
    drill = [page for page in pages if files[f"definition/pages/{page}/page.json"].get("type") == "Drillthrough"]
    assert drill == ["client_detail"]
    binding = files["definition/pages/client_detail/page.json"]["pageBinding"]
    filters = files["definition/pages/client_detail/page.json"]["filterConfig"]["filters"]
    assert binding["parameters"][0]["boundFilter"] == filters[0]["name"]
    assert filters[0]["field"]["Column"]["Property"] == "company_name"
    types = {files[path]["visual"]["visualType"] for path in visuals}
    assert types == {"card", "multiRowCard", "clusteredBarChart", "barChart", "lineChart", "areaChart",
                     "scatterChart", "tableEx", "pivotTable", "slicer"}
    groups = {files[path]["visual"].get("syncGroup", {}).get("groupName") for path in visuals} - {None}
    assert groups == {"period", "client"}
    benchmarks = files["definition/pages/headline/visuals/benchmarks/visual.json"]["visual"]
    lines = benchmarks["objects"]["y1AxisReferenceLine"]
    assert [line["properties"]["value"]["expr"]["Literal"]["Value"] for line in lines] == ["0.85D", "0.9D", "0.92D"]


def test_the_custom_theme_is_registered_and_present(built: Path) -> None:
    files = report_files(built)
    theme = files["definition/report.json"]["themeCollection"]["customTheme"]
    [package] = files["definition/report.json"]["resourcePackages"]
    assert package["items"] == [{"name": theme["name"], "path": theme["name"], "type": "CustomTheme"}]
    assert files[f"StaticResources/RegisteredResources/{theme['name']}"]["dataColors"]


def _schema_files(built: Path) -> list[str]:
    return sorted(path for path, document in report_files(built).items() if "$schema" in document)


REPORT_JSON = ("version.json", "report.json", "pages.json", "page.json", "visual.json")


@pytest.fixture(scope="module")
def documents(built: Path) -> dict[str, Any]:
    return report_files(built)


def test_every_report_file_names_its_schema(documents: dict[str, Any]) -> None:
    with_schema = [path for path, document in documents.items() if "$schema" in document]
    without = sorted(set(documents) - set(with_schema))
    assert without == ["StaticResources/RegisteredResources/MSP_CSAT_Theme.json"]  # a theme file has no PBIR schema
    assert all(path.endswith(REPORT_JSON) or path == "definition.pbir" for path in with_schema)


def test_every_report_file_is_valid_against_its_published_schema(documents: dict[str, Any]) -> None:
    problems = {path: errors_of(document) for path, document in documents.items()
                if path.startswith("definition/") and "$schema" in document}
    assert len(problems) == 3 + 9 + 40  # version, report and pages.json; nine pages; 40 visuals
    assert {path: found for path, found in problems.items() if found} == {}


# Each mutation breaks one rule of the published schema; the validator must see it.
MUTATIONS = {
    "definition/version.json": lambda d: d.pop("version"),
    "definition/report.json": lambda d: d["themeCollection"]["customTheme"].update(type="Downloaded"),
    "definition/pages/pages.json": lambda d: d.update(pageOrder="headline"),
    "definition/pages/headline/page.json": lambda d: d.update(displayOption="FitToScreen"),
    "definition/pages/client_detail/page.json": lambda d: d["pageBinding"].update(type="Drill"),
    "definition/pages/clients/visuals/ranked/visual.json":
        lambda d: d["filterConfig"]["filters"][0]["filter"]["Where"][0]["Condition"]["Comparison"].update(
            ComparisonKind=7),
    "definition/pages/trend/visuals/happy_area/visual.json":
        lambda d: d["visual"]["query"]["sortDefinition"]["sort"][0].update(direction="Up"),
    "definition/pages/headline/visuals/responses/visual.json": lambda d: d["position"].pop("x"),
}


@pytest.mark.parametrize("path", sorted(MUTATIONS))
def test_a_mutated_report_file_fails_its_schema(documents: dict[str, Any], path: str) -> None:
    mutated = copy.deepcopy(documents[path])
    MUTATIONS[path](mutated)
    assert errors_of(documents[path]) == []
    assert errors_of(mutated) != []


def _bound_fields(value: Any):
    """Every ``{"Column"|"Measure": {"Expression": {"SourceRef": …}, "Property": …}}`` in a document."""
    if isinstance(value, dict):
        for kind in ("Column", "Measure"):
            if isinstance(value.get(kind), dict) and "Property" in value[kind]:
                yield kind, value[kind]["Expression"]["SourceRef"], value[kind]["Property"]
        for item in value.values():
            yield from _bound_fields(item)
    elif isinstance(value, list):
        for item in value:
            yield from _bound_fields(item)


def test_every_field_of_the_report_is_a_column_or_measure_of_the_model(built: Path, documents: dict) -> None:
    bim = json.loads((built / "model.bim").read_text(encoding="utf-8"))
    columns = {(table["name"], column["name"]) for table in bim["model"]["tables"] for column in table["columns"]}
    measures = {(table["name"], measure["name"]) for table in bim["model"]["tables"]
                for measure in table.get("measures", [])}
    found = 0
    for path, document in documents.items():
        aliases = {source["Name"]: source["Entity"] for source in _sources(document)}
        for kind, ref, name in _bound_fields(document):
            table = ref.get("Entity") or aliases[ref["Source"]]
            assert (table, name) in (measures if kind == "Measure" else columns), f"{path}: {kind} {table}[{name}]"
            found += 1
    assert found > 100


def _sources(value: Any):
    if isinstance(value, dict):
        if isinstance(value.get("From"), list):
            yield from value["From"]
        for item in value.values():
            yield from _sources(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sources(item)


def test_the_pbit_carries_the_same_report(built: Path) -> None:
    with zipfile.ZipFile(io.BytesIO((built / f"{DATASET}.pbit").read_bytes())) as pbit:
        parts = {name.removeprefix("Report/"): pbit.read(name) for name in pbit.namelist()
                 if name.startswith("Report/")}
    folder = built / REPORT_DIR
    on_disk = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*.json")
               if path.relative_to(folder).parts[0] in ("definition", "StaticResources")}
    assert len(on_disk) == 53 and parts == on_disk


def _specs(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    for folder in (*MODEL_FILES, "report"):
        shutil.copytree(ROOT / folder, specs / folder)
    return specs


def test_check_is_stale_after_a_report_spec_edit_until_build(tmp_path: Path) -> None:
    specs, out = _specs(tmp_path), tmp_path / "powerbi"
    (out.parent / "docs").mkdir()
    common = ("--specs", str(specs), "--out", str(out))
    assert run_cli("build", *common).code == 0
    legacy = out / REPORT_DIR / "report.json"  # what earlier versions wrote: removed by the next build
    legacy.write_text("{}", encoding="utf-8")
    stale = run_cli("check", *common)
    assert stale.code == 1 and f"{REPORT_DIR}/report.json" in stale.out
    report = specs / "report" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    text = text.replace("title: Risk tiers\n", "title: Risk\n").replace("  - name: queues\n", "  - name: queue\n")
    report.write_text(text, encoding="utf-8")
    stale = run_cli("check", *common)
    assert stale.code == 1
    for path in ("definition/pages/risk/page.json", "definition/pages/queue/page.json",
                 "definition/pages/queues/page.json", "definition/pages/pages.json"):
        assert f"{REPORT_DIR}/{path}" in stale.out, stale.out
    assert run_cli("build", *common).code == 0
    assert not legacy.exists() and not (out / REPORT_DIR / "definition/pages/queues").exists()
    assert run_cli("check", *common).code == 0


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def test_build_into_leaves_the_users_report_alone_unless_asked(tmp_path: Path) -> None:
    model = tmp_path / "Acme.SemanticModel"  # a model of the user's own; --with-tables adds the BI_ tables
    (model / "definition" / "tables").mkdir(parents=True)
    (model / "definition" / "database.tmdl").write_text("database Acme\n\tcompatibilityLevel: 1567\n")
    (model / "definition" / "model.tmdl").write_text("model Model\n\tculture: en-US\n")
    report = tmp_path / "Acme.Report"
    (report / "StaticResources" / "RegisteredResources").mkdir(parents=True)
    (report / "report.json").write_text('{"sections": []}\n', encoding="utf-8")
    (report / "definition.pbir").write_text('{"version": "1.0"}\n', encoding="utf-8")
    (report / "StaticResources" / "RegisteredResources" / "logo.png").write_bytes(b"\x89PNG")
    before = _snapshot(report)

    into = ("--into", str(model), "--with-tables")
    assert run_cli("build", *into).code == 0
    assert _snapshot(report) == before
    dry = run_cli("build", *into, "--with-report", "--dry-run")
    assert dry.code == 0 and "would write 54 files" in dry.err and _snapshot(report) == before

    result = run_cli("build", *into, "--with-report")
    assert result.code == 0, result.err
    after = _snapshot(report)
    assert "report.json" not in after and after["StaticResources/RegisteredResources/logo.png"] == b"\x89PNG"
    assert json.loads(after["definition.pbir"])["datasetReference"] == {"byPath": {"path": "../Acme.SemanticModel"}}
    assert len(json.loads(after["definition/pages/pages.json"])["pageOrder"]) == 9
    assert run_cli("check", *into, "--with-report").code == 0

    page = report / "definition" / "pages" / "headline" / "page.json"
    page.write_text(page.read_text(encoding="utf-8").replace('"Headline"', '"Mine"'), encoding="utf-8")
    stale = run_cli("check", *into, "--with-report")
    assert stale.code == 1 and "headline/page.json" in stale.out
    assert run_cli("check", *into).code == 0  # without --with-report the report is not looked at
    refused = run_cli("build", "--with-report")
    assert refused.code == 2 and "need --into" in refused.err
