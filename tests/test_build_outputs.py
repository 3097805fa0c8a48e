"""``gen-measures build``: every output checked as the tools that read it would.

* the PBIP JSON files against Microsoft's Fabric JSON schemas (``shared/reference/json-schemas``);
* every ``.tmdl`` file against the TMDL object/property/enum list (``shared/reference/tmdl/TmdlSchema.json``),
  read with the independent test-side reader in ``tmdl_props.py``, plus the layout rules TMDL imposes;
* TMDL and ``model.bim`` describe the same model; the ``.pbit`` parts, encodings and parameters;
* the model content the reports rely on (date table, the measure catalogue, DIVIDE, lineage tags);
* determinism and atomic writes.

The shared reference folder sits beside the repository (``<repo>/../shared``). Locally, tests that need it are
skipped when it is missing; with CI=true they fail instead.

Most tests only read one build made per module (``built``); tests that change files build into their own folder.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli
from tmdl_props import TmdlError, TmdlObject, parse_tmdl, read_folder, split_reference

from generator.dax.lexer import TokenKind, tokenize
from generator.powerbi.pbir import report_definition
from generator.spec.loader import load_model

SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE = SHARED / "reference"
ON_CI = os.environ.get("CI", "").lower() == "true"

DATASET = "MSP-CSAT"
MODEL_DIR = f"{DATASET}.SemanticModel"
REPORT_DIR = f"{DATASET}.Report"
DEFINITION = f"{MODEL_DIR}/definition"

TABLES = ("BI_Autotask_Companies", "BI_Autotask_IssueTypes", "BI_Autotask_Priorities", "BI_Autotask_Queues",
          "BI_Autotask_Resolutions", "BI_Autotask_Resources", "BI_Autotask_Sources", "BI_Autotask_SubIssueTypes",
          "BI_Autotask_Tickets", "BI_Autotask_TimeEntries", "BI_Date", "BI_Security_ClientUsers", "BI_SmileBack_NPS",
          "BI_SmileBack_Reviews", "BI_SmileBack_Surveys")
ROLES = ("Client", "Technician", "Manager")  # row-level security roles (model/security.yaml)
# The PBIR report's files (pages and visuals of report/*.yaml); tests/test_report_pbir.py checks their content.
REPORT_FILES = {f"{REPORT_DIR}/{path}" for path in report_definition(load_model(ROOT).report)}
# Every file a build writes into the output folder (--out DIR puts the catalogue in DIR/measures.md).
EXPECTED_FILES = {
    ".gitignore", "measures.md", f"{DATASET}.pbip", f"{DATASET}.pbit", "model.bim",
    f"{MODEL_DIR}/definition.pbism", f"{MODEL_DIR}/.platform",
    f"{REPORT_DIR}/definition.pbir", f"{REPORT_DIR}/.platform", *REPORT_FILES,
    *(f"{DEFINITION}/{name}.tmdl" for name in ("database", "model", "relationships", "expressions")),
    *(f"{DEFINITION}/tables/{table}.tmdl" for table in TABLES),
    *(f"{DEFINITION}/roles/{role}.tmdl" for role in ROLES),
}

# The measure catalogue (docs/measures.md): every name must exist in the model.
CATALOGUE = (
    "CSAT - Total Ratings", "CSAT - Positive", "CSAT - Neutral", "CSAT - Negative", "CSAT - Happy %",
    "CSAT - Neutral %", "CSAT - Unhappy %", "CSAT - Average Rating", "CSAT - Net Sentiment",
    "CSAT - Low Confidence", "CSAT - Happy % vs Portfolio", "CSAT - Risk Tier", "CSAT - Happy % MoM Change",
    "CSAT - Happy % WoW Change", "SB - Survey Responses", "SB - Average CSAT Score", "SB - Survey Response Rate %",
    "NPS - Score",
    "Tickets - Opened", "Tickets - Closed", "Tickets - Open/Close Ratio", "Tickets - Backlog Change",
    "Tickets - Avg First Response (h)", "Tickets - Avg Resolution (h)", "Tickets - First Contact Resolution %",
    "Tickets - SLA Compliance %", "Tickets - Avg Hours per Ticket", "Clients - Churn Rate %",
    "CSAT - Median Hours to Rating", "CSAT - Rated Within 24h %", "CSAT - Client Recovery Rate %",
    "CSAT - Company Recovery Rate %", "CSAT - Survey Fatigue %", "CSAT - Reviews Awaiting Follow-up",
    "CSAT - Happy % Churned Clients", "CSAT - Happy % Retained Clients", "CSAT - Happy % Churned vs Retained",
)


def reference(relative: str) -> Path:
    """A file of the shared reference folder; skip (locally) or fail (CI=true) when it is missing."""
    path = REFERENCE / relative
    if not path.is_file():
        message = f"shared reference file {path} is missing (expected the shared folder at {SHARED})"
        if ON_CI:
            pytest.fail(message + " — CI=true, so this is a failure, not a skip")
        pytest.skip(message)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes)."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def build(out: Path, *args: str, env: dict[str, str] | None = None):
    result = run_cli("build", "--out", str(out), *args, env=env)
    assert result.code == 0, result.err
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the repository's specs into ``<tmp>/powerbi`` (the catalogue in it); read only."""
    out = tmp_path_factory.mktemp("build") / "powerbi"
    build(out)
    return out


@pytest.fixture(scope="module")
def tmdl(built: Path) -> dict[str, TmdlObject]:
    """Every generated .tmdl file, parsed."""
    return read_folder(built / DEFINITION)


@pytest.fixture(scope="module")
def bim(built: Path) -> dict[str, Any]:
    return json.loads((built / "model.bim").read_text(encoding="utf-8"))


def tables_of(tmdl: dict[str, TmdlObject]) -> dict[str, TmdlObject]:
    return {table.name: table for path, document in tmdl.items() if path.startswith("tables/")
            for table in document.of("table")}


def joined(value: Any) -> Any:
    """A model.bim multi-line value (an array of lines) as one string."""
    return "\n".join(value) if isinstance(value, list) else value


def unlined(value: Any) -> Any:
    """model.bim with every ``expression`` line array joined back into one string."""
    if isinstance(value, dict):
        return {key: joined(item) if key == "expression" else unlined(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unlined(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------- layout


def test_build_writes_exactly_the_expected_files(built: Path):
    assert set(snapshot(built)) == EXPECTED_FILES
    assert [path.name for path in built.parent.iterdir()] == ["powerbi"]  # nothing written beside --out DIR


def test_build_without_out_keeps_the_repository_layout(tmp_path: Path):
    result = run_cli("build", "--specs", str(ROOT), cwd=tmp_path)
    assert result.code == 0, result.err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["docs", "powerbi"]
    assert [path.name for path in (tmp_path / "docs").iterdir()] == ["measures.md"]
    assert "measures.md" not in {path.name for path in (tmp_path / "powerbi").iterdir()}


def test_docs_option_places_the_catalogue(tmp_path: Path):
    build(tmp_path / "powerbi", "--docs", str(tmp_path / "catalogue.md"))
    assert (tmp_path / "catalogue.md").is_file() and not (tmp_path / "powerbi" / "measures.md").exists()


# ------------------------------------------------------------------------------------ 1. JSON schemas

JSON_SCHEMAS = {
    f"{DATASET}.pbip": "pbip/pbipProperties/1.0.0",
    f"{MODEL_DIR}/definition.pbism": "item/semanticModel/definitionProperties/1.0.0",
    f"{REPORT_DIR}/definition.pbir": "item/report/definitionProperties/2.0.0",
    f"{MODEL_DIR}/.platform": "gitIntegration/platformProperties/2.0.0",
    f"{REPORT_DIR}/.platform": "gitIntegration/platformProperties/2.0.0",
}


def jsonschema_module():
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - depends on the environment
        message = "jsonschema is not installed (it is not declared in pyproject's test extra)"
        if ON_CI:
            pytest.fail(message + " — CI=true, so this is a failure, not a skip")
        pytest.skip(message)
    return jsonschema


def load_schema(relative: str) -> dict[str, Any]:
    return json.loads(reference(f"json-schemas/fabric/{relative}/schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("relative", sorted(JSON_SCHEMAS))
def test_project_file_is_valid_against_its_fabric_schema(built: Path, relative: str):
    jsonschema = jsonschema_module()
    schema = load_schema(JSON_SCHEMAS[relative])
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    document = json.loads((built / relative).read_text(encoding="utf-8"))

    errors = [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
              for error in validator.iter_errors(document)]
    assert errors == []
    # The validator really checks: the same file without any one of its required keys is rejected.
    for required in schema["required"]:
        assert not validator.is_valid({key: value for key, value in document.items() if key != required})


@pytest.mark.parametrize("relative", sorted(JSON_SCHEMAS))
def test_schema_reference_names_the_schema_it_is_validated_against(built: Path, relative: str):
    schema = load_schema(JSON_SCHEMAS[relative])
    document = json.loads((built / relative).read_text(encoding="utf-8"))
    assert document["$schema"] == schema["$id"]
    pattern = schema["properties"]["$schema"].get("pattern")
    if pattern:
        assert re.search(pattern, document["$schema"])


def test_every_json_output_parses_and_each_schema_reference_is_validated(built: Path):
    with_schema = set()
    for relative in sorted(EXPECTED_FILES):
        if relative.endswith((".pbip", ".pbism", ".pbir", ".platform", ".json", ".bim")):
            document = json.loads((built / relative).read_text(encoding="utf-8"))
            if isinstance(document, dict) and "$schema" in document:
                with_schema.add(relative)
    assert with_schema - REPORT_FILES == set(JSON_SCHEMAS)  # the PBIR files: tests/test_report_pbir.py


def test_project_paths_point_at_the_generated_folders(built: Path):
    pbip = json.loads((built / f"{DATASET}.pbip").read_text(encoding="utf-8"))
    assert [artifact["report"]["path"] for artifact in pbip["artifacts"]] == [REPORT_DIR]
    assert (built / REPORT_DIR).is_dir()
    pbir = json.loads((built / REPORT_DIR / "definition.pbir").read_text(encoding="utf-8"))
    path = pbir["datasetReference"]["byPath"]["path"]
    assert "\\" not in path and not path.startswith("/")
    assert (built / REPORT_DIR / path).resolve() == (built / MODEL_DIR).resolve()
    for folder, kind in ((MODEL_DIR, "SemanticModel"), (REPORT_DIR, "Report")):
        platform = json.loads((built / folder / ".platform").read_text(encoding="utf-8"))
        assert platform["metadata"] == {"type": kind, "displayName": DATASET}
        assert str(uuid.UUID(platform["config"]["logicalId"])) == platform["config"]["logicalId"]


# ------------------------------------------------------------------------------- 2. TMDL properties
#
# Mapping from TMDL (as Desktop writes it) to the Oct-2023 TmdlSchema.json:
# * keywords are camelCase, schema names PascalCase: table→Table, column→Column, measure→Measure,
#   partition→Partition, relationship→Relationship, expression→Expression, annotation→Annotation, model→Model;
#   comparison is case-insensitive (TMDL readers are, see powerbi-formats.md §1.3), so isAvailableInMdx matches
#   IsAvailableInMDX and enum values like powerBI_V3 match PowerBI_V3;
# * ``database`` has no object type in this schema (database.tmdl came later); its only property,
#   compatibilityLevel, is checked against Model's CompatibilityLevel;
# * a partition's ``source =`` is its Expression property; ``partition X = m`` is its default property
#   SourceType, whose enum PartitionSourceType the schema names but does not list, so the TOM values are here;
# * ``dataAccessOptions`` is a Struct property of Model whose nested lines are the Struct's children.

KEYWORD_ALIASES = {"database": "Model"}
PROPERTY_ALIASES = {("Partition", "source"): "Expression"}
# Microsoft.AnalysisServices.Tabular.PartitionSourceType (learn.microsoft.com/dotnet/api/...partitionsourcetype)
PARTITION_SOURCE_TYPES = ("Query", "Calculated", "None", "M", "Entity", "PolicyRange", "CalculationGroup",
                          "Inferred", "Parquet")


class TmdlSchema:
    """TmdlSchema.json with case-insensitive look-ups."""

    def __init__(self, raw: dict[str, Any]):
        self.types = {name.lower(): (name, spec) for name, spec in raw["objectTypes"].items()}
        self.roots = set(raw["rootObjects"])
        self.enums = {name: {value.lower() for value in values} for name, values in raw["enums"].items()}
        self.enums.setdefault("PartitionSourceType", {value.lower() for value in PARTITION_SOURCE_TYPES})

    def object_type(self, keyword: str) -> tuple[str, dict[str, Any]] | None:
        return self.types.get(KEYWORD_ALIASES.get(keyword, keyword).lower())

    @staticmethod
    def property(spec: dict[str, Any], type_name: str, name: str) -> dict[str, Any] | None:
        wanted = PROPERTY_ALIASES.get((type_name, name), name).lower()
        return next((prop for prop in spec.get("properties", []) if prop["name"].lower() == wanted), None)

    def value_problem(self, prop: dict[str, Any], value: str) -> str | None:
        """Why ``value`` is not valid for the scalar property ``prop`` (None when it is)."""
        if prop["type"] != "Scalar":
            return None
        kind = prop.get("scalarValueType")
        if kind == "Enum":
            allowed = self.enums.get(prop["enumType"])
            if allowed is None:
                return f"enum {prop['enumType']} is not in the schema"
            return None if value.lower() in allowed else f"{value!r} is not a {prop['enumType']} value"
        if kind == "Bool":
            return None if value in ("true", "false") else f"{value!r} is not true/false"
        if kind == "Int":
            return None if re.fullmatch(r"-?\d+", value) else f"{value!r} is not an integer"
        if kind == "Double":
            try:
                float(value)
            except ValueError:
                return f"{value!r} is not a number"
        return None


@pytest.fixture(scope="module")
def tmdl_schema() -> TmdlSchema:
    return TmdlSchema(json.loads(reference("tmdl/TmdlSchema.json").read_text(encoding="utf-8")))


def schema_problems(schema: TmdlSchema, document: TmdlObject, file: str) -> list[str]:
    """Every object, property and enum value of ``document`` that TmdlSchema.json does not allow."""
    problems: list[str] = []

    def check(obj: TmdlObject, parent: tuple[str, dict[str, Any]] | None) -> None:
        where = f"{file}:{obj.line}: {obj.keyword} {obj.name!r}"
        found = schema.object_type(obj.keyword)
        if found is None:
            problems.append(f"{where}: unknown object type")
            return
        type_name, spec = found
        if obj.ref:
            if parent is not None or type_name not in schema.roots:
                problems.append(f"{where}: ref to a {type_name} outside the model's root collections")
            return
        if parent is None:
            if type_name not in schema.roots and obj.keyword not in KEYWORD_ALIASES:
                problems.append(f"{where}: {type_name} cannot be declared at the top level")
        elif type_name not in parent[1].get("childObjects", []):
            problems.append(f"{where}: {type_name} is not a child object of {parent[0]}")
        if spec.get("requiresName") and not obj.name:
            problems.append(f"{where}: {type_name} needs a name")
        if obj.description is not None and not spec.get("hasDescription"):
            problems.append(f"{where}: {type_name} has no description")
        if obj.default is not None:
            default = spec.get("defaultProperty")
            if default is None:
                problems.append(f"{where}: {type_name} has no default property (= value)")
            elif (problem := schema.value_problem(default, obj.default)) is not None:
                problems.append(f"{where}: default property {default['name']}: {problem}")
        seen: set[str] = set()
        for prop in obj.properties:
            at = f"{file}:{prop.line}: {type_name}.{prop.name}"
            if prop.name.lower() in seen:
                problems.append(f"{at}: declared twice")
            seen.add(prop.name.lower())
            known = schema.property(spec, type_name, prop.name)
            if known is None:
                problems.append(f"{at}: not a property of {type_name}")
                continue
            if prop.kind == "block":
                if known["type"] != "Struct":
                    problems.append(f"{at}: written as a block but is a {known['type']}")
                    continue
                children = {child["name"].lower(): child for child in known.get("children", [])}
                for child in prop.children:
                    member = children.get(child.name.lower())
                    if member is None:
                        problems.append(f"{file}:{child.line}: {child.name} is not part of {type_name}.{prop.name}")
                    elif (problem := schema.value_problem(member, "true" if child.value is True
                                                          else str(child.value))) is not None:
                        problems.append(f"{file}:{child.line}: {child.name}: {problem}")
            elif prop.kind == "bare":
                if known.get("scalarValueType") != "Bool":
                    problems.append(f"{at}: bare (boolean) form on a non-boolean property")
            elif prop.kind == "=":
                if known["type"] != "String":
                    problems.append(f"{at}: '=' expression on a {known['type']} property")
            elif (problem := schema.value_problem(known, str(prop.value))) is not None:
                problems.append(f"{at}: {problem}")
        for child in obj.children:
            check(child, (type_name, spec))

    for top in document.children:
        check(top, None)
    return problems


def test_every_tmdl_object_and_property_is_in_the_tmdl_schema(tmdl: dict[str, TmdlObject], tmdl_schema: TmdlSchema):
    assert set(tmdl) == {path.removeprefix(f"{DEFINITION}/") for path in EXPECTED_FILES if path.endswith(".tmdl")}
    problems = [problem for file, document in tmdl.items() for problem in schema_problems(tmdl_schema, document, file)]
    assert problems == []


def test_the_schema_check_itself_rejects_what_it_should(tmdl_schema: TmdlSchema):
    """The checker is not vacuous: unknown properties, bad enums, bad booleans and misplaced objects are found."""
    text = "\n".join([
        "table T",
        "\tcolour: blue",
        "\tisHidden: maybe",
        "",
        "\tcolumn C",
        "\t\tdataType: text",
        "\t\tsummarizeBy: none",
        "\t\tformatString",
        "",
        "\t\tmeasure M = 1",
        "",
        "\tpartition P = sql",
        "\t\tmode: import",
        "",
    ])
    problems = schema_problems(tmdl_schema, parse_tmdl(text, "bad.tmdl"), "bad.tmdl")
    expected = ["Table.colour: not a property", "Table.isHidden: 'maybe' is not true/false",
                "Column.dataType: 'text' is not a DataType value", "Column.formatString: bare (boolean) form",
                "Measure is not a child object of Column", "SourceType: 'sql' is not a PartitionSourceType"]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


@pytest.mark.parametrize("relative", sorted(path for path in EXPECTED_FILES if path.endswith(".tmdl")))
def test_tmdl_file_layout(built: Path, relative: str):
    raw = (built / relative).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "UTF-8 without BOM"
    assert b"\r" not in raw, "LF line endings"
    assert raw.endswith(b"\n") and not raw.endswith(b"\n\n"), "one final newline"
    text = raw.decode("utf-8")
    lines = text.split("\n")[:-1]
    assert [n for n, line in enumerate(lines, 1) if line.startswith(" ")] == [], "indent with tabs, not spaces"
    assert [n for n, line in enumerate(lines, 1) if line != line.rstrip()] == [], "no trailing whitespace"
    assert [n for n, line in enumerate(lines, 1) if re.match(r"\t* +\t", line)] == [], "no spaces before tabs"
    parse_tmdl(text, relative)  # raises TmdlError with the line when the structure is wrong


def test_table_files_are_named_after_their_table_and_every_ref_has_a_file(tmdl: dict[str, TmdlObject]):
    for path, document in tmdl.items():
        if path.startswith("tables/"):
            assert [(obj.keyword, obj.name) for obj in document.children] == [("table", path[7:-5])]
    refs = [obj for obj in tmdl["model.tmdl"].children if obj.ref]
    assert {obj.keyword for obj in refs} == {"table", "role"}
    assert sorted(obj.name for obj in refs if obj.keyword == "table") == sorted(
        path[7:-5] for path in tmdl if path.startswith("tables/"))
    assert [obj.name for obj in refs if obj.keyword == "role"] == list(ROLES)
    assert len({obj.name for obj in refs}) == len(refs)
    assert [obj.keyword for obj in tmdl["database.tmdl"].children] == ["database"]
    assert [obj.keyword for obj in tmdl["model.tmdl"].children if not obj.ref] == ["model"]
    assert {obj.keyword for obj in tmdl["relationships.tmdl"].children} == {"relationship"}
    assert {obj.keyword for obj in tmdl["expressions.tmdl"].children} == {"expression"}


def test_every_reference_in_the_tmdl_resolves(tmdl: dict[str, TmdlObject]):
    tables = tables_of(tmdl)
    columns = {(table.name, column.name) for table in tables.values() for column in table.of("column")}
    for relationship in tmdl["relationships.tmdl"].of("relationship"):
        for end in ("fromColumn", "toColumn"):
            assert tuple(split_reference(str(relationship.prop(end)))) in columns, (relationship.name, end)
    for table in tables.values():
        for column in table.of("column"):
            sort_by = column.prop("sortByColumn")
            if sort_by is not None:
                assert (table.name, sort_by) in columns


SHARED_DIMENSIONS = {"issue_type_id": "BI_Autotask_IssueTypes", "sub_issue_type_id": "BI_Autotask_SubIssueTypes",
                     "priority_id": "BI_Autotask_Priorities", "source_id": "BI_Autotask_Sources",
                     "resolution_key": "BI_Autotask_Resolutions"}


def test_tickets_and_reviews_share_the_ticket_attribute_dimensions(tmdl: dict[str, TmdlObject]):
    """CSAT is sliced by the reviewed ticket's attributes through dimensions that tickets and reviews share: one
    active relationship from each fact to each dimension, and none between the facts (no second filter path)."""
    ends = set()
    for relationship in tmdl["relationships.tmdl"].of("relationship"):
        found = tmdl_scalars(relationship)
        if found.get("isActive") != "false":
            ends.add((str(found["fromColumn"]), str(found["toColumn"])))
    for key, dimension in SHARED_DIMENSIONS.items():
        for fact in ("BI_Autotask_Tickets", "BI_SmileBack_Reviews"):
            assert (f"{fact}.{key}", f"{dimension}.{key}") in ends
    assert not any(a.startswith("BI_SmileBack_Reviews.") and b.startswith("BI_Autotask_Tickets.") for a, b in ends)


# ---------------------------------------------------------------------- tmdl_props reader (test helper)


def test_reader_handles_quoting_multiline_bodies_fences_and_blocks():
    text = "\n".join([
        "/// First line",
        "/// second line",
        "table 'It''s a table'",
        "\tmeasure 'A.B' =",
        "\t\t\tVAR x = 1",
        "",
        "\t\t\tRETURN",
        "\t\t\t    x",
        "\t\tdisplayFolder: \" padded \"\"quoted\"\" \"",
        "\t\tisHidden",
        "",
        "\t\tannotation K = {\"a\": 1}",
        "",
        "\tpartition P = m",
        "\t\tsource = ```",
        "\t\t\t\tlet x = 1",
        "\t\t\t\tin x  ",
        "\t\t\t\t```",
        "",
        "relationship r1",
        "\tfromColumn: 'It''s a table'.'Col 1'",
        "",
    ])
    document = parse_tmdl(text)
    table = document.children[0]
    assert (table.name, table.description) == ("It's a table", "First line\nsecond line")
    measure = table.of("measure")[0]
    assert measure.name == "A.B"
    assert measure.default == "VAR x = 1\n\nRETURN\n    x"
    assert measure.prop("displayFolder") == ' padded "quoted" '
    assert measure.prop("ishidden") is True
    assert measure.annotations() == {"K": '{"a": 1}'}
    assert table.of("partition")[0].prop("source") == "let x = 1\nin x  "
    assert split_reference(str(document.children[1].prop("fromColumn"))) == ["It's a table", "Col 1"]


@pytest.mark.parametrize("text, message", [
    ("table T\n    column C\n", "tabs only"),
    ("table T\n\t\tcolumn C\n", "unexpected indentation"),
    ("/// orphan\n\ntable T\n", "directly above"),
    ("table T\n\tmeasure M =\n\tformatString: 0\n", "no expression"),
    ("table T\n\tcolumn C.D\n", "unexpected text"),
    ("table 'T\n", "unterminated"),
])
def test_reader_rejects_malformed_tmdl(text: str, message: str):
    with pytest.raises(TmdlError, match=message):
        parse_tmdl(text)


# ------------------------------------------------------------------------- 3. TMDL and model.bim agree


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return joined(value) if isinstance(value, list) else str(value)


def bim_scalars(obj: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {key: text_of(value) for key, value in obj.items()
            if key not in skip and key != "name" and not isinstance(value, dict)
            and not (isinstance(value, list) and key != "expression")}


def bim_view(bim: dict[str, Any]) -> dict[str, Any]:
    """model.bim reduced to what TMDL states, values as text."""
    model = bim["model"]
    assert {expression["kind"] for expression in model["expressions"]} == {"m"}  # TMDL's default kind
    return {
        "database": {"name": bim["name"], **bim_scalars(bim)},
        "model": {**bim_scalars(model), "dataAccessOptions": bim_scalars(model.get("dataAccessOptions", {})),
                  "annotations": {a["name"]: a["value"] for a in model.get("annotations", [])},
                  "tables": [table["name"] for table in model["tables"]]},
        "tables": {table["name"]: {
            "properties": bim_scalars(table),
            "annotations": {a["name"]: a["value"] for a in table.get("annotations", [])},
            "columns": {column["name"]: {**bim_scalars(column),
                                         "annotations": {a["name"]: a["value"] for a in column.get("annotations", [])}}
                        for column in table.get("columns", [])},
            "column order": [column["name"] for column in table.get("columns", [])],
            "measures": {measure["name"]: {**bim_scalars(measure),
                                           "annotations": {a["name"]: a["value"]
                                                           for a in measure.get("annotations", [])}}
                         for measure in table.get("measures", [])},
            "partitions": {partition["name"]: {**bim_scalars(partition), "type": partition["source"]["type"],
                                               "expression": joined(partition["source"]["expression"])}
                           for partition in table.get("partitions", [])},
        } for table in model["tables"]},
        "relationships": {relationship["name"]: bim_scalars(relationship)
                          for relationship in model["relationships"]},
        "expressions": {expression["name"]: {**bim_scalars(expression, ("kind",)),
                                              "annotations": {a["name"]: a["value"]
                                                              for a in expression.get("annotations", [])}}
                        for expression in model["expressions"]},
    }


def tmdl_scalars(obj: TmdlObject, default_key: str | None = None) -> dict[str, str]:
    found = {prop.name: text_of(prop.value) for prop in obj.properties if prop.kind != "block"}
    if obj.description is not None:
        found["description"] = obj.description
    if default_key is not None and obj.default is not None:
        found[default_key] = obj.default
    return found


def tmdl_view(tmdl: dict[str, TmdlObject]) -> dict[str, Any]:
    """The TMDL folder in the same shape as :func:`bim_view`."""
    database = tmdl["database.tmdl"].of("database")[0]
    model = tmdl["model.tmdl"].of("model")[0]
    blocks = {prop.name: prop for prop in model.properties if prop.kind == "block"}
    tables = tables_of(tmdl)
    relationships = {}
    for relationship in tmdl["relationships.tmdl"].of("relationship"):
        found = tmdl_scalars(relationship)
        found["fromTable"], found["fromColumn"] = split_reference(found["fromColumn"])
        found["toTable"], found["toColumn"] = split_reference(found["toColumn"])
        relationships[relationship.name] = found
    return {
        "database": {"name": database.name, **tmdl_scalars(database)},
        "model": {**tmdl_scalars(model),
                  "dataAccessOptions": {child.name: text_of(child.value)
                                        for child in blocks["dataAccessOptions"].children}
                  if "dataAccessOptions" in blocks else {},
                  "annotations": model.annotations(),
                  "tables": [obj.name for obj in tmdl["model.tmdl"].children
                             if obj.ref and obj.keyword == "table"]},
        "tables": {name: {
            "properties": tmdl_scalars(table),
            "annotations": table.annotations(),
            "columns": {column.name: {**tmdl_scalars(column), "annotations": column.annotations()}
                        for column in table.of("column")},
            "column order": [column.name for column in table.of("column")],
            "measures": {measure.name: {**tmdl_scalars(measure, "expression"), "annotations": measure.annotations()}
                         for measure in table.of("measure")},
            "partitions": {partition.name: {**{k: v for k, v in tmdl_scalars(partition, "type").items()
                                               if k != "source"},
                                            "expression": partition.prop("source")}
                           for partition in table.of("partition")},
        } for name, table in tables.items()},
        "relationships": relationships,
        "expressions": {expression.name: {**tmdl_scalars(expression, "expression"),
                                          "annotations": expression.annotations()}
                        for expression in tmdl["expressions.tmdl"].of("expression")},
    }


def test_tmdl_and_model_bim_have_the_same_database_and_model_properties(tmdl, bim):
    from_tmdl, from_bim = tmdl_view(tmdl), bim_view(bim)
    assert from_tmdl["database"] == from_bim["database"]
    model_tmdl = {key: value for key, value in from_tmdl["model"].items() if key != "tables"}
    model_bim = {key: value for key, value in from_bim["model"].items() if key != "tables"}
    assert model_tmdl == model_bim
    assert from_tmdl["model"]["tables"] == from_bim["model"]["tables"], "ref table order = model.bim table order"


def test_tmdl_and_model_bim_have_the_same_tables_columns_measures_and_partitions(tmdl, bim):
    from_tmdl, from_bim = tmdl_view(tmdl)["tables"], bim_view(bim)["tables"]
    assert sorted(from_tmdl) == sorted(from_bim) == sorted(TABLES)
    for name in TABLES:
        for part in ("properties", "annotations", "columns", "column order", "partitions"):
            assert from_tmdl[name][part] == from_bim[name][part], (name, part)
        assert list(from_tmdl[name]["measures"]) == list(from_bim[name]["measures"]), name
        for measure, expected in from_bim[name]["measures"].items():
            assert from_tmdl[name]["measures"][measure] == expected, (name, measure)


def test_tmdl_and_model_bim_have_the_same_relationships_and_parameters(tmdl, bim):
    from_tmdl, from_bim = tmdl_view(tmdl), bim_view(bim)
    assert from_tmdl["relationships"] == from_bim["relationships"]
    assert list(from_tmdl["relationships"]) == list(from_bim["relationships"])
    assert from_tmdl["expressions"] == from_bim["expressions"]
    assert list(from_tmdl["expressions"]) == ["Server", "Database"]


def test_multiline_expressions_are_arrays_of_lines_in_model_bim(bim):
    def expressions(value: Any):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "expression":
                    yield item
                else:
                    yield from expressions(item)
        elif isinstance(value, list):
            for item in value:
                yield from expressions(item)

    found = list(expressions(bim))
    assert found
    for expression in found:
        if isinstance(expression, list):
            assert len(expression) > 1 and all(isinstance(line, str) and "\n" not in line for line in expression)
        else:
            assert "\n" not in expression


# ------------------------------------------------------------------------------------------ 4. .pbit

UTF16_PARTS = ("Version", "DataModelSchema", "DiagramLayout", "Settings", "Metadata")


@pytest.fixture(scope="module")
def pbit(built: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO((built / f"{DATASET}.pbit").read_bytes()))


def test_pbit_is_a_valid_zip_with_the_template_parts(pbit: zipfile.ZipFile):
    assert pbit.testzip() is None
    names = pbit.namelist()
    assert len(names) == len(set(names))
    assert set(names) >= {"[Content_Types].xml", *UTF16_PARTS, "Connections"}
    assert not {"SecurityBindings", "DataMashup"} & set(names)


def test_pbit_part_encodings(pbit: zipfile.ZipFile):
    content_types = pbit.read("[Content_Types].xml")
    assert content_types.startswith(b"\xef\xbb\xbf<?xml")
    content_types.decode("utf-8")
    for name in UTF16_PARTS:
        data = pbit.read(name)
        assert not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")), f"{name}: no BOM"
        assert len(data) % 2 == 0, name
        text = data.decode("utf-16-le")
        assert "\x00" not in text, f"{name}: really UTF-16 LE, not UTF-8 read as UTF-16"
        if name == "Version":
            assert re.fullmatch(r"\d+\.\d+", text), text
        else:
            json.loads(text)
    connections = pbit.read("Connections")
    assert not connections.startswith(b"\xef\xbb\xbf")
    json.loads(connections.decode("utf-8"))


def test_pbit_content_types_cover_every_part_and_name_only_existing_ones(pbit: zipfile.ZipFile):
    import xml.etree.ElementTree as ET

    namespace = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    root = ET.fromstring(pbit.read("[Content_Types].xml").decode("utf-8-sig"))
    assert root.tag == f"{namespace}Types"
    overrides = [element.get("PartName") for element in root.iter(f"{namespace}Override")]
    defaults = {element.get("Extension") for element in root.iter(f"{namespace}Default")}
    parts = set(pbit.namelist()) - {"[Content_Types].xml"}
    assert overrides and all(name.startswith("/") for name in overrides)
    assert {name[1:] for name in overrides} <= parts, "every Override names a part that exists"
    uncovered = [part for part in parts if f"/{part}" not in overrides and part.rsplit(".", 1)[-1] not in defaults]
    assert uncovered == []


def test_pbit_entries_have_fixed_timestamps(pbit: zipfile.ZipFile):
    assert {info.date_time for info in pbit.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert [info.filename for info in pbit.infolist()] == sorted(pbit.namelist())


def test_pbit_data_model_schema_is_the_model_bim_database(pbit: zipfile.ZipFile, bim: dict[str, Any]):
    schema = json.loads(pbit.read("DataModelSchema").decode("utf-16-le"))
    assert schema == unlined(bim)


def test_pbit_asks_for_the_server_and_database_parameters(pbit: zipfile.ZipFile):
    model = json.loads(pbit.read("DataModelSchema").decode("utf-16-le"))["model"]
    parameters = {expression["name"]: joined(expression["expression"]) for expression in model["expressions"]}
    for name in ("Server", "Database"):
        meta = re.fullmatch(r'"[^"]*" meta \[(.*)\]', parameters[name])
        assert meta, parameters[name]
        fields = dict(item.strip().split("=", 1) for item in meta.group(1).split(","))
        assert fields["IsParameterQuery"] == "true"
        assert fields["IsParameterQueryRequired"] == "true"
        assert fields["Type"] == '"Text"'


def test_pbit_tables_import_from_sql_database_over_the_parameters(pbit: zipfile.ZipFile):
    model = json.loads(pbit.read("DataModelSchema").decode("utf-16-le"))["model"]
    assert sorted(table["name"] for table in model["tables"]) == sorted(TABLES)
    for table in model["tables"]:
        partitions = table["partitions"]
        if any(partition["source"]["type"] == "calculated" for partition in partitions):
            continue
        assert len(partitions) == 1, table["name"]
        source = partitions[0]["source"]
        assert source["type"] == "m"
        expression = joined(source["expression"])
        assert "Sql.Database(Server, Database)" in expression
        assert f'Item = "{table["name"]}"' in expression


# ------------------------------------------------------------------------------------ 5. model content


def all_measures(tmdl: dict[str, TmdlObject]) -> dict[str, TmdlObject]:
    found: dict[str, TmdlObject] = {}
    for table in tables_of(tmdl).values():
        for measure in table.of("measure"):
            assert measure.name not in found, f"measure {measure.name} declared twice"
            found[measure.name] = measure
    return found


def test_bi_date_is_marked_as_the_date_table(tmdl: dict[str, TmdlObject], bim: dict[str, Any]):
    table = tables_of(tmdl)["BI_Date"]
    assert table.prop("dataCategory") == "Time"
    date = next(column for column in table.of("column") if column.name == "date")
    assert date.prop("isKey") is True
    assert date.prop("dataType") == "dateTime"
    assert [column.name for column in table.of("column") if column.prop("isKey") is True] == ["date"]
    bim_table = next(table for table in bim["model"]["tables"] if table["name"] == "BI_Date")
    assert bim_table["dataCategory"] == "Time"
    assert [(c["name"], c["dataType"]) for c in bim_table["columns"] if c.get("isKey")] == [("date", "dateTime")]


def test_every_catalogue_measure_exists_with_folder_description_and_annotation(tmdl: dict[str, TmdlObject]):
    measures = all_measures(tmdl)
    assert len(CATALOGUE) == len(set(CATALOGUE))
    assert sorted(measures) == sorted(CATALOGUE)
    for name in CATALOGUE:
        measure = measures[name]
        assert measure.prop("displayFolder"), name
        assert measure.description and measure.description.strip(), name
        origin = measure.annotations().get("MSP_CSAT_Generated")
        assert origin and re.fullmatch(r"measures/[\w.-]+\.yaml", origin), (name, origin)
        assert (ROOT / origin).is_file(), (name, origin)


def test_measure_expressions_divide_with_divide_never_slash(tmdl: dict[str, TmdlObject]):
    measures = all_measures(tmdl)
    slashes = {}
    uses_divide = set()
    for name, measure in measures.items():
        tokens = tokenize(measure.default or "")
        if any(token.kind is TokenKind.OPERATOR and token.text == "/" for token in tokens):
            slashes[name] = measure.default
        if any(token.kind is TokenKind.IDENT and token.text.upper() == "DIVIDE" for token in tokens):
            uses_divide.add(name)
    assert slashes == {}
    assert {"CSAT - Happy %", "SB - Survey Response Rate %", "Clients - Churn Rate %"} <= uses_divide


def test_lineage_tags_are_unique_valid_uuids(tmdl: dict[str, TmdlObject], bim: dict[str, Any]):
    tags = []
    for document in tmdl.values():
        for obj in document.walk():
            if obj.keyword in ("table", "column", "measure", "expression") and not obj.ref:
                tag = obj.prop("lineageTag")
                assert tag, f"{obj.keyword} {obj.name} has no lineageTag"
                tags.append(str(tag))
    assert len(tags) == len(set(tags))
    assert all(str(uuid.UUID(tag)) == tag for tag in tags)

    def bim_tags(value: Any):
        if isinstance(value, dict):
            if "lineageTag" in value:
                yield value["lineageTag"]
            for item in value.values():
                yield from bim_tags(item)
        elif isinstance(value, list):
            for item in value:
                yield from bim_tags(item)

    assert sorted(bim_tags(bim)) == sorted(tags)


def test_docs_page_lists_every_measure(built: Path):
    page = (built / "measures.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (.+)$", page, re.MULTILINE)
    assert sorted(headings) == sorted(CATALOGUE)
    assert f"{len(CATALOGUE)} measures." in page


# ------------------------------------------------------------------------------------ 6. determinism


def test_builds_are_byte_identical(tmp_path: Path):
    first, second = tmp_path / "a" / "powerbi", tmp_path / "b" / "powerbi"
    build(first, env={"PYTHONHASHSEED": "1"})
    build(second, env={"PYTHONHASHSEED": "2"})
    tree = snapshot(first.parent)
    assert tree == snapshot(second.parent)
    assert set(tree) == {f"powerbi/{path}" for path in EXPECTED_FILES}

    again = build(first, env={"PYTHONHASHSEED": "3"})
    assert snapshot(first.parent) == tree
    changed = re.search(r"(\d+) of (\d+) files changed", again.err)
    assert changed, again.err
    assert (int(changed.group(1)), int(changed.group(2))) == (0, len(tree))


def lineage_tags(out: Path) -> dict[tuple[str, str, str], str]:
    """(file, keyword, name) → lineage tag, for every object of the TMDL folder that has one."""
    found = {}
    for path, document in read_folder(out / DEFINITION).items():
        for obj in document.walk():
            tag = obj.prop("lineageTag")
            if tag:
                found[(path, obj.keyword, str(obj.name))] = str(tag)
    return found


def test_lineage_tags_do_not_change_when_a_spec_changes(built: Path, spec_copy: Path, tmp_path: Path):
    spec = spec_copy / "measures" / "01-csat.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count("description: Number of CSAT reviews in the slice.") == 1
    spec.write_text(text.replace("in the slice.", "in the current slice."), encoding="utf-8")
    out = tmp_path / "powerbi"
    build(out, "--specs", str(spec_copy))
    assert "in the current slice" in (out / DEFINITION / "tables" / "BI_SmileBack_Reviews.tmdl").read_text("utf-8")
    assert lineage_tags(out) == lineage_tags(built)


# ------------------------------------------------------------------------------------- 7. atomic writes


def break_a_measure(spec_copy: Path) -> None:
    spec = spec_copy / "measures" / "01-csat.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count("denominator: CSAT - Total Ratings") >= 1
    spec.write_text(text.replace("denominator: CSAT - Total Ratings", "denominator: CSAT - Total Ratingz", 1),
                    encoding="utf-8")


@pytest.fixture
def existing(built: Path, tmp_path: Path) -> Path:
    """A writable copy of a finished build (``<tmp>/project/powerbi`` and ``<tmp>/project/docs``)."""
    shutil.copytree(built.parent, tmp_path / "project")
    return tmp_path / "project" / "powerbi"


def test_broken_spec_exits_2_with_file_and_line_and_leaves_outputs_alone(existing: Path, spec_copy: Path):
    before = snapshot(existing.parent)
    break_a_measure(spec_copy)
    # Also change something valid, so a partial write would show.
    spec = spec_copy / "measures" / "01-csat.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("in the slice.", "in this slice."), encoding="utf-8")
    result = run_cli("build", "--out", str(existing), "--specs", str(spec_copy))
    assert result.code == 2
    assert re.search(r"measures/01-csat\.yaml:\d+: .*unknown measure.*CSAT - Total Ratingz", result.err), result.err
    assert "Traceback" not in result.err
    assert snapshot(existing.parent) == before


def test_output_folder_that_is_a_file_is_refused(tmp_path: Path):
    target = tmp_path / "powerbi"
    target.write_text("not a folder", encoding="utf-8")
    result = run_cli("build", "--out", str(target))
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "is a file" in re.sub(r"[\s│]+", " ", result.err)  # typer's error box may wrap the message
    assert target.read_text(encoding="utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["powerbi"]


def test_output_folder_under_a_file_is_a_clear_error(tmp_path: Path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = run_cli("build", "--out", str(tmp_path / "afile" / "powerbi"))
    assert "Traceback" not in result.err
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_failed_write_leaves_the_previous_outputs_and_no_temporary_files(existing: Path, spec_copy: Path):
    """The docs page cannot be written (its folder is a file): nothing of the new build may land."""
    before = snapshot(existing.parent)
    spec = spec_copy / "measures" / "01-csat.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("in the slice.", "in this slice."), encoding="utf-8")
    blocker = existing.parent / "blocker"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("build", "--out", str(existing), "--specs", str(spec_copy), "--docs", str(blocker / "m.md"))
    assert result.code != 0
    after = snapshot(existing.parent)
    after.pop("blocker")
    assert after == before


def test_failed_write_is_a_clear_error(existing: Path):
    blocker = existing.parent / "blocker"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("build", "--out", str(existing), "--docs", str(blocker / "m.md"))
    assert "Traceback" not in result.err
    assert result.code == 2


def test_outputs_get_the_usual_file_permissions(tmp_path: Path):
    previous = os.umask(0o022)
    try:
        build(tmp_path / "powerbi")
    finally:
        os.umask(previous)
    modes = {path.relative_to(tmp_path).as_posix(): oct(path.stat().st_mode & 0o777)
             for path in tmp_path.rglob("*") if path.is_file()}
    assert set(modes.values()) == {oct(0o644)}, modes


def test_build_removes_table_files_it_no_longer_generates_and_keeps_desktop_files(existing: Path):
    extra = existing / DEFINITION / "tables" / "Extra.tmdl"
    extra.write_text("table Extra\n", encoding="utf-8")
    desktop = existing / MODEL_DIR / ".pbi" / "localSettings.json"
    desktop.parent.mkdir()
    desktop.write_text("{}\n", encoding="utf-8")
    result = build(existing)
    assert not extra.exists()
    assert desktop.read_text(encoding="utf-8") == "{}\n"
    assert re.search(r"\b1 of \d+ files changed", result.err), result.err


def test_a_definition_folder_linked_outside_the_output_folder_is_refused(tmp_path: Path):
    out, outside = tmp_path / "powerbi", tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep me\n", encoding="utf-8")
    tables = out / DEFINITION / "tables"
    tables.parent.mkdir(parents=True)
    tables.symlink_to(outside, target_is_directory=True)
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in outside.iterdir()}
    result = run_cli("build", "--out", str(out), "--docs", str(tmp_path / "measures.md"))
    assert result.code == 2
    assert re.fullmatch(rf"error: {re.escape(str(tables))}/\S+\.tmdl leads outside the output folder "
                        rf"{re.escape(str(out))} \(a symbolic link points it to {re.escape(str(outside))}/\S+\); "
                        r"nothing was written\n", result.err), result.err
    assert {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in outside.iterdir()} == before
    assert not (tmp_path / "measures.md").exists()
    assert [path for path in out.rglob("*") if path.is_file()] == []
