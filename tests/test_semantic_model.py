"""The semantic-model IR (generator.semantic): one model, whichever format it is read from, and every
consumer (engine, lint) sees the same properties."""

from __future__ import annotations

import itertools
import json
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from generator.engine.sources import ModelSourceError, load_engine_model, model_from_bim
from generator.lint import lint_database, load_model
from generator.lint.suppressions import apply_suppressions
from generator.powerbi.bim import bim_json, datamodel_schema_json
from generator.powerbi.tmdl import definition_files
from generator.semantic.load import read_model
from generator.semantic.location import Location
from generator.semantic.model import (
    Cardinality,
    ColumnKind,
    CrossFilter,
    DataType,
    Mode,
    SecurityFilter,
    SemanticModel,
    SummarizeBy,
    key,
)
from generator.semantic.spec import from_spec
from generator.semantic.tmdl import read_tmdl
from generator.semantic.tmsl import pbit_schema, read_bim, read_pbit
from generator.semantic.tom import to_database
from generator.spec.loader import load_model as load_specs
from tests.conftest import ROOT, run_cli

TMDL_CORPUS = Path(__file__).parent / "fixtures" / "tmdl"
NEVER_ACTIVATED = "INACTIVE_RELATIONSHIPS_THAT_ARE_NEVER_ACTIVATED"


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("»", "\t"), encoding="utf-8")
    return folder


def _two_tables(relationship: dict[str, Any]) -> dict[str, Any]:
    columns = [{"name": "k", "dataType": "int64"}]
    return {"name": "db", "model": {
        "tables": [{"name": "A", "columns": columns}, {"name": "B", "columns": columns}],
        "relationships": [{"name": "r", "fromTable": "A", "fromColumn": "k", "toTable": "B", "toColumn": "k",
                           **relationship}]}}


# --------------------------------------------------------------------------------------------------------------
# One place for TOM's defaults: engine and lint agree


@pytest.mark.parametrize("written", ["false", "False", "FALSE", False])
def test_is_active_false_is_inactive_to_engine_and_lint(tmp_path: Path, written: object) -> None:
    # Before the IR, the engine read "isActive": "false" as inactive and lint (bool("false")) as active.
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(_two_tables({"isActive": written})), encoding="utf-8")
    assert model_from_bim(path).relationships[0].active is False
    findings = lint_database(load_model(path), rules=[NEVER_ACTIVATED])
    assert [(f.object_name, f.rule_id) for f in findings] == [("'A'[k] -> 'B'[k]", NEVER_ACTIVATED)]


@pytest.mark.parametrize("written", ["true", "TRUE", True, None])
def test_is_active_true_or_absent_is_active_to_engine_and_lint(tmp_path: Path, written: object) -> None:
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(_two_tables({} if written is None else {"isActive": written})), encoding="utf-8")
    assert model_from_bim(path).relationships[0].active is True
    assert lint_database(load_model(path), rules=[NEVER_ACTIVATED]) == []


def test_a_bad_flag_is_refused_for_lint_and_engine_alike(tmp_path: Path) -> None:
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(_two_tables({"isActive": "maybe"})), encoding="utf-8")
    for read in (model_from_bim, load_model):
        with pytest.raises(ModelSourceError, match=r"isActive of relationship r must be true or false"):
            read(path)


def test_defaults_are_toms() -> None:
    model = read_bim(_bim_file(_two_tables({})))
    rel = model.relationships[0]
    assert (rel.is_active, rel.from_cardinality, rel.to_cardinality, rel.cross_filtering,
            rel.security_filtering) == (True, Cardinality.MANY, Cardinality.ONE, CrossFilter.ONE_DIRECTION,
                                        SecurityFilter.ONE_DIRECTION)
    column = model.table("a").column("K")
    assert (column.kind, column.data_type, column.is_available_in_mdx, column.is_nullable, column.summarize_by,
            column.source_column) == (ColumnKind.DATA, DataType.INT64, True, True, SummarizeBy.DEFAULT, None)
    assert (model.name, model.default_mode) == ("db", Mode.IMPORT)


def _bim_file(database: dict[str, Any]) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "model.bim"
    path.write_text(json.dumps(database, indent=1), encoding="utf-8")
    return path


def test_tmdl_and_tmsl_read_the_same_properties(tmp_path: Path) -> None:
    bim = _bim_file({"model": {
        "tables": [
            {"name": "Sales", "columns": [
                {"name": "Amount", "dataType": "decimal", "isHidden": True, "formatString": "0.00",
                 "summarizeBy": "sum", "sortByColumn": "Key", "sourceColumn": "amt"},
                {"name": "Key", "dataType": "int64", "isAvailableInMdx": "false"},
                {"name": "Double", "dataType": "decimal", "expression": "Sales[Amount] * 2"}],
             "measures": [{"name": "Total", "expression": ["SUM ( Sales[Amount] )", "+ 0"],
                           "formatString": "#,0", "displayFolder": "Money"}],
             "partitions": [{"name": "p", "mode": "directQuery",
                             "source": {"type": "m", "expression": "let x = 1 in x"}}]},
            {"name": "Dim", "columns": [{"name": "Key", "dataType": "int64", "isKey": True}]}],
        "relationships": [{"name": "r", "fromTable": "Sales", "fromColumn": "Key", "toTable": "Dim",
                           "toColumn": "Key", "crossFilteringBehavior": "bothDirections", "isActive": "false"}],
        "roles": [{"name": "Reader", "modelPermission": "read",
                   "tablePermissions": [{"name": "Dim", "filterExpression": "Dim[Key] > 0"}]}]}})
    definition = _write(tmp_path / "definition", {
        "tables/Sales.tmdl": (
            "table Sales\n"
            "»column Amount\n»»dataType: decimal\n»»isHidden\n»»formatString: 0.00\n»»summarizeBy: sum\n"
            "»»sortByColumn: Key\n»»sourceColumn: amt\n\n"
            "»column Key\n»»dataType: int64\n»»isAvailableInMdx: false\n\n"
            "»column Double = Sales[Amount] * 2\n»»dataType: decimal\n\n"
            "»measure Total =\n»»»SUM ( Sales[Amount] )\n»»»+ 0\n»»formatString: #,0\n»»displayFolder: Money\n\n"
            "»partition p = m\n»»mode: directQuery\n»»source = let x = 1 in x\n"),
        "tables/Dim.tmdl": "table Dim\n»column Key\n»»dataType: int64\n»»isKey\n",
        "relationships.tmdl": ("relationship r\n»fromColumn: Sales.Key\n»toColumn: Dim.Key\n"
                               "»crossFilteringBehavior: bothDirections\n»isActive: false\n"),
        "roles/Reader.tmdl": "role Reader\n»modelPermission: read\n»tablePermission Dim = Dim[Key] > 0\n",
        "model.tmdl": "model Model\n\nref table Sales\nref table Dim\n",
    })
    from_bim, from_tmdl = read_bim(bim), read_tmdl(definition)
    assert _differences(from_bim, from_tmdl) == []
    assert from_tmdl.measure("total").expression == "SUM ( Sales[Amount] )\n+ 0"
    assert from_tmdl.table("Sales").column("Double").kind is ColumnKind.CALCULATED
    # Locations point into each file: the TMDL measure at its declaration line and column.
    assert from_tmdl.measure("Total").location == Location(str(definition / "tables" / "Sales.tmdl"), 17, 2)
    assert from_bim.measure("Total").location.file == str(bim)


# --------------------------------------------------------------------------------------------------------------
# The generated model in all its formats


def _differences(a: object, b: object, path: str = "model") -> list[str]:
    """Where two IR values differ (locations do not count), as readable paths."""
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if is_dataclass(a):
        return [d for f in fields(a) if f.compare
                for d in _differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")]
    if isinstance(a, tuple):
        if len(a) != len(b):  # type: ignore[arg-type]
            return [f"{path}: {len(a)} != {len(b)} items"]  # type: ignore[arg-type]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))  # type: ignore[call-overload]
                for d in _differences(x, y, f"{path}[{getattr(x, 'name', i)}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built")
    result = run_cli("build", "--out", str(out))
    assert result.code == 0, result.err
    return out


@pytest.fixture(scope="module")
def formats(built: Path) -> dict[str, SemanticModel]:
    return {"specs": from_spec(load_specs(ROOT)), "model.bim": read_bim(built / "model.bim"),
            ".pbit": read_pbit(built / "MSP-CSAT.pbit"), "TMDL": read_tmdl(built / "MSP-CSAT.SemanticModel")}


def test_the_generated_model_is_one_ir_in_every_format(formats: dict[str, SemanticModel]) -> None:
    reference = formats["model.bim"]
    assert len(reference.tables) > 10 and reference.roles and reference.relationships
    for name, model in formats.items():
        assert _differences(reference, model) == [], name


def test_each_format_locates_objects_in_its_own_files(formats: dict[str, SemanticModel], built: Path) -> None:
    name = formats["specs"].tables[0].measures[0].name
    spec_location = formats["specs"].measure(name).location
    assert spec_location.file.startswith("measures/") and spec_location.line > 0
    tmdl_location = formats["TMDL"].measure(name).location
    line = Path(tmdl_location.file).read_text(encoding="utf-8").splitlines()[tmdl_location.line - 1]
    assert line.lstrip("\t").startswith("measure ") and name in line.replace("''", "'")
    assert formats[".pbit"].measure(name).location.file == f"{built / 'MSP-CSAT.pbit'}!DataModelSchema"


def test_lint_and_query_take_the_same_three_formats(built: Path) -> None:
    paths = [built / "model.bim", built / "MSP-CSAT.pbit", built / "MSP-CSAT.SemanticModel"]
    located = [lint_database(load_model(path)) for path in paths]
    # The same findings, each located in the file it was read from.
    assert all(f.file and f.file.startswith(str(path)) for path, found in zip(paths, located, strict=True)
               for f in found)
    findings = [[replace(f, file=None, line=None) for f in found] for found in located]
    assert findings[0] and findings[1] == findings[0] and findings[2] == findings[0]
    engines = [load_engine_model(path) for path in paths]
    assert engines[1].tables == engines[0].tables and engines[2].tables == engines[0].tables
    assert engines[2].relationships == engines[0].relationships


def test_lint_cli_reads_a_tmdl_folder(built: Path) -> None:
    by_folder = run_cli("lint", "--model", str(built / "MSP-CSAT.SemanticModel"), "--format", "json",
                        "--fail-on", "never")
    assert by_folder.code == 0, by_folder.err
    model = load_model(built / "model.bim")
    kept, _ = apply_suppressions(model, lint_database(model))
    reported = [(f["rule_id"], f["object_name"]) for f in json.loads(by_folder.out)["findings"]]
    assert reported == [(f.rule_id, f.object_name) for f in kept]


# --------------------------------------------------------------------------------------------------------------
# The TMDL corpus


@pytest.mark.parametrize("name", ["contoso", "crlf_bom", "datasources", "user_model"])
def test_the_tmdl_corpus_loads(name: str) -> None:
    model = read_model(TMDL_CORPUS / name)
    assert model.tables
    assert load_engine_model(TMDL_CORPUS / name).tables


def test_a_culture_file_does_not_stop_query() -> None:
    # Was: "cultures/de-DE.tmdl:4: unexpected indentation" from the engine's own TMDL parser.
    model = read_model(TMDL_CORPUS / "user_model")
    assert model.cultures == ("de-DE",)
    result = run_cli("query", 'EVALUATE ROW ( "n", COUNTROWS ( BI_Date ) )', "--model",
                     str(TMDL_CORPUS / "user_model"), "--sql")
    assert result.code == 0, result.err
    assert "SELECT" in result.out


def test_contoso_reads_everything_the_writers_need() -> None:
    model = read_tmdl(TMDL_CORPUS / "contoso")
    assert [t.name for t in model.tables] == ["Sales", "Product Category", "Calendar", "Time Intelligence"]
    calendar = model.table("calendar")
    assert calendar.is_date_table and calendar.is_calculated
    assert calendar.partitions[0].expression.startswith("CALENDAR (")
    assert calendar.column("Year").expression == "YEAR ( Calendar[Date] )"
    assert calendar.annotation("PBI_Id") == "5f7b"
    assert model.table("Time Intelligence").calculation_group is not None
    inactive = model.relationship("product category", "productkey", "Sales", "ProductKey")
    assert inactive is not None and not inactive.is_active
    assert inactive.cross_filtering is CrossFilter.BOTH_DIRECTIONS
    managers = model.role("store managers")
    assert managers.members == ("alice@contoso.com", "bob@contoso.com")
    assert managers.description == "Regional store managers"
    assert [p.table for p in managers.table_permissions] == ["Sales", "Product Category"]
    assert managers.table_permissions[1].metadata_permission == "read"
    assert model.perspectives[0].tables == ("Sales", "Calendar", "Product Category")
    assert model.cultures == ("fr-FR",)


def test_case_insensitive_lookup() -> None:
    model = read_tmdl(TMDL_CORPUS / "contoso")
    assert model.table("SALES") is model.table("sales") is model.tables[0]
    assert model.column("sales", "ORDER DATE") is not None
    assert model.measure_table(model.tables[0].measures[0].name.upper()) is model.tables[0]
    assert len(model.relationships_of("CALENDAR")) == 1
    assert [r.to_table for r in model.relationship_path("SALES", "calendar")] == ["Calendar"]
    assert model.relationship_path("Sales", "Product Category") is None  # only an inactive relationship
    assert model.relationship_path("Calendar", "Sales") is None and model.relationship_path("Sales", "sales") == ()
    assert model.table("nope") is None and model.column("nope", "x") is None and model.measure("nope") is None


def test_relationship_paths_follow_many_to_one_chains(formats: dict[str, SemanticModel]) -> None:
    model = formats["TMDL"]
    for rel in model.relationships:
        if rel.is_active:
            path = model.relationship_path(rel.from_table.upper(), rel.to_table)
            assert path is not None and len(path) == 1
    chains = [path for a in model.tables for b in model.tables
              if (path := model.relationship_path(a.name, b.name)) and len(path) > 1]
    assert chains, "the generated model has snowflaked dimensions"
    for chain in chains:
        assert all(key(x.to_table) == key(y.from_table) for x, y in itertools.pairwise(chain))


def test_the_writers_write_the_ir_back_byte_for_byte(built: Path) -> None:
    # The outputs are written from the IR (spec reader → IR → TMSL writer), so reading one back and writing
    # it again gives the same bytes, in every format.
    assert bim_json(to_database(read_bim(built / "model.bim"))) == (built / "model.bim").read_text(encoding="utf-8")
    schema, _ = pbit_schema(built / "MSP-CSAT.pbit")
    assert datamodel_schema_json(to_database(read_pbit(built / "MSP-CSAT.pbit"))) == schema
    definition = built / "MSP-CSAT.SemanticModel" / "definition"
    files = definition_files(to_database(read_tmdl(definition)))
    assert sorted(files) == sorted(p.relative_to(definition).as_posix() for p in definition.rglob("*.tmdl"))
    assert [name for name, text in files.items() if (definition / name).read_text(encoding="utf-8") != text] == []
