"""Loading the engine's model from the YAML specs, a model.bim and a TMDL folder (generator.engine.sources)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from generator.engine.model import EngineModel, EngineRelationship
from generator.engine.sources import (
    CALCULATION_GROUP,
    ModelSourceError,
    load_engine_model,
    model_from_bim,
    model_from_spec,
    model_from_tmdl,
)
from generator.engine.values import DaxType
from generator.errors import ToolError
from generator.spec.loader import load_model

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "engine_models"
RETAIL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dax-conformance" / "retail.bim"
BIM = ROOT / "powerbi" / "model.bim"
SEMANTIC_MODEL = ROOT / "powerbi" / "MSP-CSAT.SemanticModel"
DEFINITION = SEMANTIC_MODEL / "definition"


def _dax(text: str) -> str:
    return " ".join(text.split())


def _shape(model: EngineModel) -> dict:
    """Everything the three views must agree on (measure expressions with whitespace normalised)."""
    return {
        "tables": [(t.name, t.source, t.date_column, t.expression,
                    [(c.name, c.type, c.source, c.expression) for c in t.columns]) for t in model.tables],
        "relationships": list(model.relationships),
        "measures": {m.name: (m.table, _dax(m.expression), m.format_string) for m in model.measures},
    }


@pytest.fixture(scope="module")
def spec_model() -> EngineModel:
    return model_from_spec(load_model(ROOT))


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("»", "\t"), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------------------------------
# Our own model, three ways


def test_spec_model_has_the_semantic_tables_only(spec_model: EngineModel) -> None:
    specs = load_model(ROOT)
    assert [t.name for t in spec_model.tables] == [t.name for t in specs.semantic_tables]
    assert all(t.source == t.name for t in spec_model.tables)
    assert [t.name for t in spec_model.date_tables] == ["BI_Date"]
    assert spec_model.table("bi_date").date_column == "date"
    column = spec_model.table("BI_SmileBack_Reviews").column("rated_date")
    assert (column.type, column.source, column.expression) == (DaxType.DATETIME, "rated_date", None)
    assert len(spec_model.measures) == len(specs.measures)
    measure = spec_model.measure("csat - total ratings")
    assert measure.table == "BI_SmileBack_Reviews"
    assert re.fullmatch(r"measures/[\w.-]+\.yaml:\d+", measure.origin)
    assert any(not r.active for r in spec_model.relationships)


def test_bim_and_tmdl_agree_with_the_specs(spec_model: EngineModel) -> None:
    from_bim = model_from_bim(BIM)
    from_tmdl = model_from_tmdl(DEFINITION)
    expected = _shape(spec_model)
    assert _shape(from_bim) == expected
    assert _shape(from_tmdl) == expected
    # the stored DAX is the same formatted text, not only the same tokens
    assert {m.name: m.expression for m in from_bim.measures} == {m.name: m.expression for m in from_tmdl.measures}


def test_bim_and_tmdl_measure_origins_point_at_the_measure() -> None:
    for model in (model_from_bim(BIM), model_from_tmdl(DEFINITION)):
        measure = model.measure("CSAT - Total Ratings")
        file, line = measure.origin.rsplit(":", 1)
        lines = Path(file).read_text(encoding="utf-8").split("\n")
        around = "\n".join(lines[int(line) - 1:int(line) + 1])
        assert "CSAT - Total Ratings" in around, measure.origin


def test_load_engine_model_picks_the_source(spec_model: EngineModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MSP_CSAT_SPECS", raising=False)
    expected = _shape(spec_model)
    assert _shape(load_engine_model(None)) == expected
    assert _shape(load_engine_model(None, ROOT)) == expected
    assert _shape(load_engine_model(ROOT)) == expected  # a spec directory
    assert _shape(load_engine_model(BIM)) == expected
    assert _shape(load_engine_model(SEMANTIC_MODEL)) == expected
    assert _shape(load_engine_model(DEFINITION)) == expected


def test_pbit_data_model_schema(tmp_path: Path, spec_model: EngineModel) -> None:
    database = json.loads(BIM.read_text(encoding="utf-8"))
    pbit = tmp_path / "model.pbit"
    with zipfile.ZipFile(pbit, "w") as package:
        package.writestr("Version", "1.28".encode("utf-16-le"))
        package.writestr("DataModelSchema", json.dumps(database).encode("utf-16-le"))
    assert _shape(load_engine_model(pbit)) == _shape(spec_model)


def test_retail_conformance_model() -> None:
    if not RETAIL.is_file():
        message = f"{RETAIL} is not available (expected the shared folder beside the repository)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI=true, so this is a failure, not a skip")
        pytest.skip(message)
    model = model_from_bim(RETAIL)
    assert [t.name for t in model.tables] == ["Store", "Time", "Sales"]
    assert len(model.relationships) == 2
    assert len(model.measures) == 6
    assert model.measure("Units Delta").expression == "[Total Units This Year] - [Total Units Last Year]"
    assert {m.table for m in model.measures} == {"Sales"}
    assert model.relationships[0] == EngineRelationship("Sales", "StoreId", "Store", "StoreId")


# --------------------------------------------------------------------------------------------------------------
# model.bim features


@pytest.fixture(scope="module")
def features() -> EngineModel:
    return model_from_bim(FIXTURES / "features.bim")


def test_bim_columns(features: EngineModel) -> None:
    customer = features.table("Customer")
    assert [c.name for c in customer.columns] == ["CustomerKey", "Name", "Segment", "Since"]  # rowNumber skipped
    assert customer.column("segment").type is DaxType.STRING  # no dataType on a data column
    assert customer.column("CustomerKey").source == "customer_key"
    assert customer.column("Since").source == "Since"  # no sourceColumn: the name
    sales = features.table("Sales")
    assert [c.type for c in sales.columns[:6]] == [DaxType.INTEGER, DaxType.DATETIME, DaxType.DATETIME,
                                                   DaxType.DECIMAL, DaxType.DOUBLE, DaxType.BOOLEAN]
    margin = sales.column("Margin")
    assert (margin.type, margin.expression) == (DaxType.DECIMAL, "Sales[Amount] - Sales[Cost]")
    big = sales.column("Big Sale")  # an expression without type: calculated, no dataType → VARIANT
    assert big.type is DaxType.VARIANT
    assert big.expression == "IF (\n    Sales[Amount] > 1000,\n    TRUE ()\n)"


def test_bim_table_sources(features: EngineModel) -> None:
    assert features.table("Customer").source == "DimCustomer"  # Schema/Item navigation, list of lines
    assert features.table("Sales").source == 'Fact "Sales"'  # M string escapes
    assert features.table("Calendar").source == "dim_date"  # Direct Lake entity
    assert features.table("Budget").source == "Budget"  # native query: the table's name
    assert features.table("Returns").source == "Returns"  # no partition
    top = features.table("Top Customers")
    assert top.expression == "TOPN (\n    10,\n    VALUES ( Customer[Name] ),\n    [Total Amount]\n)"
    assert all(t.expression is None for t in features.tables if t.name != "Top Customers")


def test_bim_date_table_key_is_the_iskey_column(features: EngineModel) -> None:
    assert [t.name for t in features.date_tables] == ["Calendar"]
    assert features.table("Calendar").date_column == "Date"  # isKey wins over the first dateTime column


def test_bim_relationships(features: EngineModel) -> None:
    assert features.relationships == (
        EngineRelationship("Sales", "CustomerKey", "Customer", "CustomerKey", cross_filter="both"),
        EngineRelationship("Sales", "OrderDate", "Calendar", "Date"),
        EngineRelationship("Sales", "ShipDate", "Calendar", "Date", active=False),
        EngineRelationship("Budget", "Segment", "Customer", "Segment", cross_filter="both",
                           cardinality="many_to_many"),
        # one → many turned round; names resolved to their declared spelling
        EngineRelationship("Returns", "CustomerKey", "Customer", "CustomerKey"),
    )


def test_bim_measures(features: EngineModel) -> None:
    assert [(m.name, m.table, m.format_string) for m in features.measures] == [
        ("Total Amount", "Sales", "#,0.00"), ("Amount per Customer", "Sales", None), ("Budget Target", "Budget", None)]
    ratio = features.measure("amount per customer")
    assert ratio.expression == "DIVIDE (\n    [Total Amount],\n    DISTINCTCOUNT ( Sales[CustomerKey] )\n)"
    assert ratio.origin == f"{FIXTURES / 'features.bim'}:53"


@pytest.mark.parametrize("wrap", ["model", "bare", "create", "createOrReplace"])
def test_bim_accepts_tmsl_wrappers(tmp_path: Path, wrap: str) -> None:
    model = {"tables": [{"name": "T", "columns": [{"name": "c", "dataType": "Int64"}],
                         "measures": [{"name": "M", "expression": "SUM ( T[c] )"}]}]}
    document = {
        "model": {"name": "db", "model": model},
        "bare": model,
        "create": {"create": {"database": {"name": "db", "model": model}}},
        "createOrReplace": {"createOrReplace": {"object": {"database": "db"}, "database": {"model": model}}},
    }[wrap]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load_engine_model(path)
    assert loaded.table("T").column("c").type is DaxType.INTEGER
    assert loaded.measure("M").expression == "SUM ( T[c] )"


def test_bim_with_bom_and_utf16(tmp_path: Path) -> None:
    text = json.dumps({"model": {"tables": [{"name": "Ünits", "columns": [{"name": "n", "dataType": "double"}]}]}})
    for encoding, name in (("utf-8-sig", "a.bim"), ("utf-16", "b.bim")):
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        assert model_from_bim(path).tables[0].name == "Ünits"


# --------------------------------------------------------------------------------------------------------------
# TMDL features


@pytest.fixture(scope="module")
def quoted() -> EngineModel:
    return model_from_tmdl(FIXTURES / "quoted.SemanticModel")


def test_tmdl_tables_follow_the_model_refs(quoted: EngineModel) -> None:
    # ref table order first, then the unreferenced tables in file order
    assert [t.name for t in quoted.tables] == ["Date", "Sales Data", "Customer's Region", "Field Parameter",
                                               "Time Calc"]


def test_tmdl_columns_and_sources(quoted: EngineModel) -> None:
    sales = quoted.table("sales data")
    assert sales.source == "fact_sales"
    assert [(c.name, c.type, c.source) for c in sales.columns[:3]] == [
        ("Order Date", DaxType.DATETIME, "order_date"), ("Amount", DaxType.DECIMAL, "amount"),
        ("Region Key", DaxType.INTEGER, "region_key")]
    assert sales.column("Amount x2").expression == "'Sales Data'[Amount] * 2"
    assert sales.column("Amount x2").type is DaxType.DOUBLE
    assert sales.column("Big Sale").expression == "IF (\n    'Sales Data'[Amount] > 1000,\n    TRUE ()\n)"
    assert sales.column("Big Sale").type is DaxType.VARIANT
    region = quoted.table("Customer's Region")
    assert region.source == 'Dim "Region" Table'  # inline M source
    assert [c.name for c in region.columns] == ["Region Key", "Region.Name"]
    assert quoted.table("Date").source == "dim_date"  # Direct Lake entity block
    assert quoted.table("Date").date_column == "Date"
    assert quoted.table("Field Parameter").expression == '{("Amount", NAMEOF(\'Sales Data\'[Total Amount]), 0)}'
    assert quoted.table("Time Calc").expression == CALCULATION_GROUP
    assert [t.name for t in quoted.tables if t.expression is None] == ["Date", "Sales Data", "Customer's Region"]


def test_tmdl_measures(quoted: EngineModel) -> None:
    assert quoted.measure("Total Amount").expression == "SUM ( 'Sales Data'[Amount] )"
    assert quoted.measure("Total Amount").format_string == "#,0.00"
    yoy = quoted.measure("Amount YoY %")
    assert yoy.expression == ("VAR Current = [Total Amount]\nVAR Previous =\n"
                              "    CALCULATE ( [Total Amount], SAMEPERIODLASTYEAR ( 'Date'[Date] ) )\n\n"
                              "RETURN\n    DIVIDE ( Current - Previous, Previous )")
    assert yoy.format_string == "0.0%"
    assert yoy.table == "Sales Data"
    fenced = quoted.measure("Fenced")
    assert fenced.expression == "-- keeps odd indentation\n  SUMX (\n'Sales Data',\n    'Sales Data'[Amount] )"
    assert fenced.origin.endswith("Sales Data.tmdl:22")


def test_tmdl_relationships(quoted: EngineModel) -> None:
    assert quoted.relationships == (
        EngineRelationship("Sales Data", "Region Key", "Customer's Region", "Region Key", cross_filter="both"),
        EngineRelationship("Sales Data", "Order Date", "Date", "Date", active=False),
        EngineRelationship("Field Parameter", "Field Parameter", "Customer's Region", "Region.Name",
                           cardinality="one_to_one"),
    )


def test_incremental_refresh_source(tmp_path: Path) -> None:
    m_query = 'let S = Sql.Database(Server, Database), D = S{[Schema="dbo",Item="fact_orders"]}[Data] in D'
    bim = tmp_path / "model.bim"
    bim.write_text(json.dumps({"model": {"tables": [{
        "name": "Orders", "columns": [{"name": "a", "dataType": "int64"}],
        "refreshPolicy": {"policyType": "basic", "sourceExpression": [m_query]},
        "partitions": [{"name": "2024", "mode": "import", "source": {"type": "policyRange", "start": "2024-01-01"}}],
    }]}}), encoding="utf-8")
    assert model_from_bim(bim).table("Orders").source == "fact_orders"
    _write(tmp_path / "definition", {"tables/Orders.tmdl": (
        "table Orders\n»refreshPolicy\n»»policyType: basic\n»»sourceExpression =\n»»»" + m_query + "\n\n"
        "»column a\n»»dataType: int64\n")})
    assert model_from_tmdl(tmp_path).table("Orders").source == "fact_orders"


def test_tmdl_crlf_bom_and_partial_declarations(tmp_path: Path) -> None:
    definition = tmp_path / "definition"
    _write(definition, {
        "tables/T.tmdl": "table T\n»column a\n»»dataType: int64\n»partition T = m\n»»source = Item=\"t_src\"\n",
        "measures.tmdl": "table T\n»measure 'M' =\n»»»SUM ( T[a] )\n»»»+ 1\n»»formatString: 0\n",
    })
    path = definition / "tables" / "T.tmdl"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    model = model_from_tmdl(definition)
    assert model.table("T").source == "t_src"
    assert model.measure("M").expression == "SUM ( T[a] )\n+ 1"
    assert model.measure("M").table == "T"


# --------------------------------------------------------------------------------------------------------------
# Errors


def _error(call, *args) -> ModelSourceError:
    with pytest.raises(ModelSourceError) as caught:
        call(*args)
    assert isinstance(caught.value, ToolError)
    assert caught.value.exit_code == 2
    return caught.value


def test_invalid_json_names_file_and_line() -> None:
    error = _error(model_from_bim, FIXTURES / "bad_json.bim")
    assert str(error).startswith(f"{FIXTURES / 'bad_json.bim'}:5: invalid JSON")


def test_tmdl_syntax_error_names_file_and_line() -> None:
    error = _error(load_engine_model, FIXTURES / "bad_tmdl")
    assert str(error).startswith(f"{FIXTURES / 'bad_tmdl' / 'definition' / 'tables' / 'Sales.tmdl'}:6: "
                                 "quoted name has no closing quote")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("table T\n    column a\n", 2, "indentation must use tabs"),
    ("table T\n»column a\n»»»dataType: int64\n", 3, "a child may be only one level deeper"),
    ("table T\n»measure M =\n»»formatString: 0\n", 2, "expected an expression indented 3 tabs"),
    ("table T\n»measure M = ```\n»»»SUM ( T[a] )\n", 2, "is never closed"),
    ("table T\n»column a\n»»dataType:\n", 3, "has no value"),
    ("table T\n»column a\n»»dataType: text\n", 3, "unknown dataType 'text'"),
    ("table T\n»column 'a' extra\n", 2, "unexpected 'e' after the name"),
    ("table T\n»measure M\n»»formatString: 0\n", 2, "has no expression"),
    ("table T\n»+ 1\n", 2, "expected an object type or property name"),
    ("table T\n»column a\n»column A\n", 3, "declared twice"),
])
def test_tmdl_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    _write(tmp_path / "definition", {"tables/T.tmdl": text})
    error = _error(model_from_tmdl, tmp_path)
    assert (error.file, error.line) == (str(tmp_path / "definition" / "tables" / "T.tmdl"), line)
    assert message in error.detail


@pytest.mark.parametrize(("body", "line", "message"), [
    ("relationship r\n»fromColumn: T.a\n", 1, "has no toColumn"),
    ("relationship r\n»fromColumn: T.a.b\n»toColumn: T.a\n", 2, "must be Table.Column"),
    ("relationship r\n»fromColumn: T.x\n»toColumn: T.a\n", 1, "column 'T'[x], which is not in the model"),
    ("relationship r\n»fromColumn: U.a\n»toColumn: T.a\n", 1, "table 'U', which is not in the model"),
    ("relationship r\n»fromColumn: T.a\n»toColumn: T.a\n»isActive: maybe\n", 4, "true or false"),
    ("relationship r\n»fromColumn: T.a\n»toColumn: T.a\n»toCardinality: none\n", 1, "cardinality"),
    ("relationship r\n»fromColumn: T.a\n»toColumn: T.a\n»crossFilteringBehavior: sideways\n", 4,
     "crossFilteringBehavior"),
])
def test_tmdl_relationship_errors(tmp_path: Path, body: str, line: int, message: str) -> None:
    _write(tmp_path, {"tables/T.tmdl": "table T\n»column a\n»»dataType: int64\n", "relationships.tmdl": body})
    error = _error(model_from_tmdl, tmp_path)
    assert (error.file, error.line) == (str(tmp_path / "relationships.tmdl"), line)
    assert message in error.detail


@pytest.mark.parametrize(("model", "line", "message"), [
    ('[1, 2]', 1, "is not a TMSL model"),
    ('{"model": {"tables": [\n{"columns": []}]}}', 2, "a table has no name"),
    ('{"model": {"tables": {"name": "T"}}}', 1, "'tables' of the model must be a list of objects"),
    ('{"model": {"tables": [\n{"name": "T"},\n{"name": "t"}]}}', 3, "table 't' is declared twice (first at "),
    ('{"model": {"tables": [{"name": "T", "columns": [\n{"name": "a", "dataType": "money"}]}]}}', 2,
     "unknown dataType 'money'"),
    ('{"model": {"tables": [{"name": "T", "measures": [\n{"name": "M"}]}]}}', 2, "measure [M] has no expression"),
    ('{"model": {"tables": [{"name": "T", "measures": [{"name": "M", "expression": "1"}]},\n'
     '{"name": "U", "measures": [\n{"name": "m", "expression": "2"}]}]}}', 3, "measure [m] is declared twice"),
    ('{"model": {"tables": [{"name": "T"}], "relationships": [\n'
     '{"fromTable": "T", "fromColumn": "a", "toTable": "T", "toColumn": "a"}]}}', 2, "column 'T'[a]"),
    ('{"model": {"tables": [], "relationships": []}}', 0, "the model has no tables"),
])
def test_bim_errors(tmp_path: Path, model: str, line: int, message: str) -> None:
    path = tmp_path / "model.bim"
    path.write_text(model, encoding="utf-8")
    error = _error(model_from_bim, path)
    assert (error.file, error.line) == (str(path), line)
    assert message in error.detail


def test_unreadable_inputs(tmp_path: Path) -> None:
    latin = tmp_path / "latin.bim"
    latin.write_bytes(b'{"model": {"tables": [{"name": "\xe9"}]}}')
    assert "is not UTF-8" in str(_error(model_from_bim, latin))
    assert "cannot read" in str(_error(model_from_bim, tmp_path / "missing.bim"))
    assert "has no .tmdl files" in str(_error(model_from_tmdl, tmp_path / "empty"))
    not_zip = tmp_path / "broken.pbit"
    not_zip.write_text("not a zip", encoding="utf-8")
    assert "not a readable .pbit" in str(_error(load_engine_model, not_zip))


@pytest.mark.parametrize("name", ["notes.txt", "missing.bim", "empty_folder"])
def test_load_engine_model_refuses_other_paths(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(ToolError, match=r"expected a model\.bim .*TMDL definition/ folder"):
        load_engine_model(tmp_path / name)
