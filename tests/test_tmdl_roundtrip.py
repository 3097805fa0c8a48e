"""Lossless TMDL reader/writer: byte-for-byte round trips, the object tree, syntax errors and ``tmdl check``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.errors import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, ToolError
from generator.tmdl import TmdlSyntaxError, parse_text, read, write, write_folder
from generator.tmdl.reader import parse_bytes

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "tmdl"
GOOD_FOLDERS = [FIXTURES / "contoso" / "definition", FIXTURES / "crlf_bom" / "definition",
                FIXTURES / "datasources" / "definition", FIXTURES / "user_model" / "definition",
                ROOT / "powerbi" / "MSP-CSAT.SemanticModel" / "definition"]
SINGLE_FILES = sorted((FIXTURES / "single").glob("*.tmdl"))
GOOD_FILES = sorted(file for folder in GOOD_FOLDERS for file in folder.rglob("*.tmdl")) + SINGLE_FILES


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("folder", GOOD_FOLDERS, ids=_id)
def test_folder_round_trips_byte_for_byte(folder: Path, tmp_path: Path) -> None:
    model = read(folder)
    on_disk = {file.relative_to(folder).as_posix(): file.read_bytes() for file in folder.rglob("*.tmdl")}
    assert write(model) == on_disk
    write_folder(model, tmp_path)
    assert {file.relative_to(tmp_path).as_posix(): file.read_bytes() for file in tmp_path.rglob("*.tmdl")} == on_disk


@pytest.mark.parametrize("file", GOOD_FILES, ids=_id)
def test_every_file_round_trips_and_every_line_is_owned_once(file: Path) -> None:
    data = file.read_bytes()
    document = parse_bytes(data, str(file))
    assert write(document) == {str(file): data}
    numbers = [line.number for line in document.lines()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_line_endings_bom_and_missing_final_newline_are_kept() -> None:
    folder = FIXTURES / "crlf_bom" / "definition"
    model = read(folder)
    assert model.documents["model.tmdl"].bom
    assert not model.documents["tables/Orders.tmdl"].bom
    assert (folder / "model.tmdl").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (folder / "model.tmdl").read_bytes().endswith(b"\n")
    assert b"\r\n" in write(model)["tables/Kunden Liste.tmdl"]
    mixed = write(model)["tables/Mixed.tmdl"]
    assert b"\r\n" in mixed and b"string\r\n" in mixed and b"column A\n" in mixed
    table = model.table("Kunden Liste")
    assert table is not None
    assert [c.name for c in table.objects("column")] == ["Kunde = Name"]
    measure = table.find("measure", "Anzahl: Kunden")
    assert measure is not None and measure.expression is not None
    assert measure.expression.startswith("COUNTROWS ( 'Kunden Liste' )")
    assert measure.properties["formatString"] == "0"


def test_contoso_tree_exposes_objects() -> None:
    model = read(FIXTURES / "contoso" / "definition")
    assert [t.name for t in model.tables] == ["Calendar", "Product Category", "Sales", "Time Intelligence"]
    sales = model.table("Sales")
    assert sales is not None
    assert sales.description == "All sales lines.\nOne row per order line."
    measures = {m.name: m for m in sales.objects("measure")}
    assert list(measures) == ["Sales Amount", "Margin", "Sales YoY %", "Customer's Orders"]
    amount = measures["Sales Amount"]
    assert amount.expression == "SUMX(Sales, Sales[Quantity] * Sales[Net Price])"
    assert amount.description == "Sum of the sales amount."
    assert amount.properties["displayFolder"] == '" My ""Amazing"" Measures"'
    assert measures["Margin"].expression_style == "fenced"
    assert measures["Margin"].expression == "VAR Cost = SUM ( Sales[Cost] )   \n\nRETURN\n    [Sales Amount] - Cost\n\n"
    yoy = measures["Sales YoY %"]
    assert yoy.expression is not None and yoy.expression.splitlines()[0] == "VAR Prev ="
    assert yoy.properties["isHidden"] is True
    assert yoy.properties["formatStringDefinition"] == 'IF ( ABS ( [Sales YoY %] ) < 0.01, "0.00%", "0.0%" )'
    assert str(yoy.properties["detailRowsDefinition"]).startswith("SELECTCOLUMNS ( Sales,")
    assert yoy.annotations == {"PBI_FormatHint": '{"isCustom":true}'}
    assert sales.annotations == {"PBI_ResultType": "Table", "PBI_NavigationStepName": "Navigation"}
    columns = {c.name: c for c in sales.objects("column")}
    assert columns["Line Total"].expression == "Sales[Quantity] * Sales[Net Price]"
    assert columns["Quantity"].expression is None
    partition = sales.find("partition", "Sales")
    assert partition is not None and partition.expression == "m"
    assert partition.properties["source"] == "let\n    Source = #\"RAW-Sales\"\nin\n    Source"

    product = model.table("Product Category")
    assert product is not None
    hierarchy = product.find("hierarchy", "Product Hierarchy")
    assert hierarchy is not None
    assert [(lvl.name, lvl.properties["column"]) for lvl in hierarchy.objects("level")] == [
        ("Category", "Category"), ("Sub Category", "'Sub.Category'"), ("Product", "'Product Name'")]

    calc = model.table("Time Intelligence")
    assert calc is not None
    group = calc.children[1]
    assert group.keyword == "calculationGroup" and group.properties["precedence"] == "10"
    items = {item.name: item for item in group.objects("calculationItem")}
    assert list(items) == ["Current", "YTD", "Prior Year"]
    assert items["YTD"].expression == "CALCULATE ( SELECTEDMEASURE (), DATESYTD ( Calendar[Date] ) )"
    assert items["Prior Year"].properties == {"ordinal": "2", "formatStringDefinition": '"#,0.00"'}

    assert model.model is not None and model.model.name == "Model"
    assert model.model.properties["discourageImplicitMeasures"] is True
    assert model.refs[:2] == [("table", "Sales"), ("table", "Product Category")]
    assert ("cultureInfo", "fr-FR") in model.refs
    expressions = {e.name: e for e in model.objects("expression")}
    assert expressions["Server"].description == "Server name parameter."
    assert expressions["Server"].expression is not None and "IsParameterQuery=true" in expressions["Server"].expression
    assert expressions["RAW-Sales"].expression == (
        'let\n    Source = Sql.Database(Server, Database),\n'
        '    #"Navigation 1" = Source{[Schema = "dbo", Item = "Sales"]}[Data]\n\nin\n    #"Navigation 1"')
    role = next(r for r in model.objects("role") if r.name == "Store Managers")
    permissions = {p.name: p for p in role.objects("tablePermission")}
    assert permissions["Sales"].expression == "Sales[Order Number] <> BLANK ()"
    assert permissions["Product Category"].properties == {"metadataPermission": "read"}
    assert [m.name for m in role.objects("member")] == ["alice@contoso.com", "bob@contoso.com"]
    culture = model.objects("cultureInfo")[0]
    assert culture.name == "fr-FR"
    assert '"Language": "fr-FR"' in str(culture.properties["linguisticMetadata"])


def test_generated_model_tree() -> None:
    model = read(ROOT / "powerbi" / "MSP-CSAT.SemanticModel" / "definition")
    assert len(model.tables) == len(list((ROOT / "powerbi" / "MSP-CSAT.SemanticModel" / "definition" / "tables")
                                         .glob("*.tmdl")))
    assert [name for kind, name in model.refs if kind == "table"] == [
        line.split(" ", 2)[2] for line in (ROOT / "powerbi" / "MSP-CSAT.SemanticModel" / "definition" / "model.tmdl")
        .read_text().splitlines() if line.startswith("ref table ")]
    measures = [m for table in model.tables for m in table.objects("measure")]
    assert measures and all(m.expression for m in measures)


def test_standalone_ref_file() -> None:
    model = read(FIXTURES / "single" / "standalone.tmdl")
    ref = model.documents["standalone.tmdl"].nodes[0]
    assert ref.is_ref and (ref.ref_type, ref.name) == ("table", "Sales")
    assert ref.objects("measure")[0].description == "Added later."


@pytest.mark.parametrize(("name", "line", "column", "phrase"), [
    ("bad_indent.tmdl", 3, 1, "one level deeper"),
    ("unterminated_fence.tmdl", 2, 14, "never closed"),
    ("unclosed_quote.tmdl", 2, 10, "no closing quote"),
    ("space_indent.tmdl", 3, 2, "tabs, not spaces"),
])
def test_syntax_errors_report_file_line_column(name: str, line: int, column: int, phrase: str) -> None:
    path = FIXTURES / "broken" / name
    with pytest.raises(TmdlSyntaxError) as info:
        read(path)
    error = info.value
    assert (error.file, error.line, error.column) == (str(path), line, column)
    assert phrase in error.message
    assert str(error).startswith(f"{path}:{line}:{column}: ")
    assert isinstance(error, ToolError) and error.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize("text", [
    "table T\n\tmeasure M =\n\tformatString: 0\n",  # empty multi-line expression
    "table T\n\tdataType: int64\n\t\tchild\n",  # a property with children
    "table 'A'B\n",  # text after a quoted name
    "\ttable T\n",  # first line indented
    "table T\n\t= 1\n",
])
def test_more_syntax_errors(text: str) -> None:
    with pytest.raises(TmdlSyntaxError):
        parse_text(text, "x.tmdl")


def test_invalid_utf8_is_a_syntax_error() -> None:
    with pytest.raises(TmdlSyntaxError) as info:
        parse_bytes(b"table T\n\tcolumn \xff\n", "x.tmdl")
    assert (info.value.line, info.value.column) == (2, 9)


FUZZ_SOURCES = [file.read_text(encoding="utf-8") for file in GOOD_FILES if file.stat().st_size < 4000]
ALPHABET = "\t\n\r '`=:./\\\"abcXYZ_0{}[]()\u00e9 "


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(FUZZ_SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(ALPHABET))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1:]
        else:
            text = text[:position] + char + text[position + 1:]
    return text


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_mutations_parse_and_round_trip_or_raise_syntax_error(text: str) -> None:
    data = text.encode("utf-8")
    try:
        document = parse_bytes(data, "fuzz.tmdl")
    except TmdlSyntaxError as error:
        assert error.line >= 1 and error.column >= 1
        return
    assert write(document)["fuzz.tmdl"] == data
    for node in document.walk():  # the semantic accessors never crash either
        _ = (node.name, node.expression, node.description, node.properties, node.annotations)


def test_cli_check_folder(cli) -> None:
    result = cli("tmdl", "check", str(FIXTURES / "contoso" / "definition"))
    assert result.code == EXIT_OK, result.err
    assert "12 files" in result.out


def test_cli_check_roundtrip(cli) -> None:
    result = cli("tmdl", "check", "--roundtrip", "powerbi/MSP-CSAT.SemanticModel/definition")
    assert result.code == EXIT_OK, result.err
    assert "byte for byte" in result.out
    result = cli("tmdl", "check", "--roundtrip", str(FIXTURES / "crlf_bom" / "definition"))
    assert result.code == EXIT_OK, result.err


def test_cli_check_broken_folder_lists_every_error(cli) -> None:
    folder = FIXTURES / "broken"
    result = cli("tmdl", "check", str(folder))
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.err
    assert f"{folder / 'bad_indent.tmdl'}:3:1: " in result.err
    assert f"{folder / 'unclosed_quote.tmdl'}:2:10: quoted name has no closing quote" in result.err
    assert f"{folder / 'folder' / 'definition' / 'tables' / 'T.tmdl'}:2:9: " in result.err


def test_cli_check_single_broken_file_and_bad_path(cli, tmp_path: Path) -> None:
    result = cli("tmdl", "check", "tests/fixtures/tmdl/broken/unterminated_fence.tmdl")
    assert result.code == EXIT_BAD_INPUT
    assert "tests/fixtures/tmdl/broken/unterminated_fence.tmdl:2:14: fenced expression" in result.err
    result = cli("tmdl", "check", str(tmp_path / "missing"))
    assert result.code == EXIT_BAD_INPUT and "does not exist" in result.err
    result = cli("tmdl", "check", str(tmp_path))
    assert result.code == EXIT_BAD_INPUT and "no .tmdl files" in result.err


def test_cli_roundtrip_difference_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import cli as cli_module
    from generator.tmdl import writer

    monkeypatch.setattr(writer, "write_document", lambda document: b"changed")
    result = CliRunner().invoke(cli_module.app, ["tmdl", "check", "--roundtrip",
                                                 str(FIXTURES / "single" / "standalone.tmdl")])
    assert result.exit_code == EXIT_FINDINGS
    assert "round trip changes the file" in result.output


def test_data_sources_and_unknown_properties_are_kept_in_order() -> None:
    model = read(FIXTURES / "datasources" / "definition")
    sources = model.objects("dataSource")
    assert [source.name for source in sources] == ["SqlServer localhost AdventureWorks", "Warehouse"]
    provider, structured = sources
    assert provider.expression == "provider"
    assert provider.description == "Legacy provider data source (compatibility level 1200 models)."
    assert provider.properties["isolation"] == "snapshot"
    assert list(structured.properties) == ["connectionDetails", "credential", "contextExpression", "futureProperty"]
    details = next(child for child in structured.children if child.keyword == "connectionDetails")
    address = next(child for child in details.children if child.keyword == "address")
    assert address.properties == {"server": "warehouse.example.com", "database": "dw"}
    column = model.table("Customers").find("column", "CustomerKey")
    assert column.properties["unknownFlagFromTheFuture"] is True
    assert ("dataSource", "SqlServer localhost AdventureWorks") in model.refs
