"""Messages about a model name the file and line they are about: `gen-measures lint` where each finding's object
was declared — the model.bim line, the TMDL file and line, the YAML spec file and line — as ``file:line:`` in text
and as ``file``/``line`` in JSON; lint and `query --model` where a measure's DAX cannot be read or parsed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from generator.errors import EXIT_BAD_INPUT, EXIT_OK

ROOT = Path(__file__).resolve().parent.parent
RULE = "MSP_MEASURE_WITHOUT_FOLDER"


def _line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that contains ``text`` (exactly one)."""
    lines = [number for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(lines) == 1, (path, text, lines)
    return lines[0]


def _tiny_tmdl(folder: Path, measures: str) -> tuple[Path, Path]:
    """A TMDL model with one table Sales (a decimal column Amount) and ``measures`` (TMDL text) in it: the
    ``*.SemanticModel`` folder and the table's file."""
    definition = folder / "Tiny.SemanticModel" / "definition"
    (definition / "tables").mkdir(parents=True)
    (definition / "model.tmdl").write_text("model Model\n\tculture: en-US\n\nref table Sales\n", encoding="utf-8")
    sales = definition / "tables" / "Sales.tmdl"
    sales.write_text("table Sales\n\n\tcolumn Amount\n\t\tdataType: decimal\n\t\tsourceColumn: Amount\n\n"
                     + measures, encoding="utf-8")
    return definition.parent, sales


def _lint(cli, *args: str, output: str = "text", rule: str = RULE):
    result = cli("lint", *args, "--rules", rule, "--fail-on", "never", "--format", output)
    assert result.code == EXIT_OK, result
    return result.out


def test_a_model_bim_finding_names_the_line_of_its_object(cli, tmp_path: Path) -> None:
    database = {"name": "Tiny", "model": {"tables": [{"name": "Sales", "columns": [
        {"name": "Amount", "dataType": "decimal", "sourceColumn": "Amount"}], "measures": [
        {"name": "Total", "expression": "SUM ( Sales[Amount] )", "formatString": "#,0"}]}]}}
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(database, indent=2), encoding="utf-8")
    line = _line_of(path, '"name": "Total"') - 1  # the measure's object opens on the line above its name
    assert f"{path}:{line}: info {RULE} measure [Total]: visible measure without a display folder" in _lint(
        cli, "--model", str(path))
    (finding,) = json.loads(_lint(cli, "--model", str(path), output="json"))["findings"]
    assert (finding["file"], finding["line"], finding["object_name"]) == (str(path), line, "[Total]")


def test_a_tmdl_finding_names_the_file_and_line_of_its_object(cli, tmp_path: Path) -> None:
    model, sales = _tiny_tmdl(tmp_path, "\tmeasure Total = SUM ( Sales[Amount] )\n\t\tformatString: #,0\n\n"
                                        "\tmeasure Filed = [Total]\n\t\tformatString: #,0\n\t\tdisplayFolder: Sums\n")
    out = _lint(cli, "--model", str(model))
    assert f"{sales}:7: info {RULE} measure [Total]:" in out
    assert "[Filed]" not in out


def test_a_spec_finding_names_the_yaml_file_and_line_of_its_object(cli) -> None:
    # [CSAT - Risk Tier] returns text, so its spec declares no format and silences the rule (--show-ignored).
    rule = "PROVIDE_FORMAT_STRING_FOR_MEASURES"
    line = _line_of(ROOT / "measures" / "01-csat.yaml", "- name: CSAT - Risk Tier")
    assert f"measures/01-csat.yaml:{line}: error {rule} measure [CSAT - Risk Tier]:" in _lint(
        cli, "--show-ignored", rule=rule)


def test_dax_that_cannot_be_read_is_named_at_its_line_in_the_model_bim(cli, tmp_path: Path) -> None:
    database = {"name": "Tiny", "model": {"tables": [{"name": "Sales", "measures": [
        {"name": "Lines", "expression": ["", "VAR x = 1", "RETURN \"open"], "displayFolder": "F"},
        {"name": "Escaped", "expression": "VAR x = 1\nRETURN x ~ 2", "displayFolder": "F"}]}]}}
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(database, indent=2), encoding="utf-8")
    out = _lint(cli, "--model", str(path), rule="MSP_UNREADABLE_DAX")
    # A list of lines has one DAX line per file line; a string with \n escapes is one line of the file.
    lines = _line_of(path, '"RETURN \\"open"')
    assert (f"measure [Lines]: the DAX cannot be read: {path}:{lines} (line 3, column 8 of the expression): "
            "unterminated string") in out
    escaped = _line_of(path, "RETURN x ~ 2")
    assert f"measure [Escaped]: the DAX cannot be read: {path}:{escaped} (line 2, column 10 of the expression):" in out


def test_a_measure_that_does_not_parse_is_named_at_its_model_file_line(cli, tmp_path: Path) -> None:
    model, sales = _tiny_tmdl(tmp_path, "\tmeasure Total = SUM ( Sales[Amount] )\n\n"
                                        "\tmeasure Broken =\n\t\t\tVAR x = [Total]\n\t\t\tRETURN x +* 2\n")
    database = tmp_path / "tiny.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE TABLE Sales (Amount DECIMAL(10, 2))")
    result = cli("query", "--db", str(database), "--model", str(model), 'EVALUATE ROW("x", [Broken])')
    assert result.code == EXIT_BAD_INPUT, result
    # '*' is column 11 of the expression's line 2: file line 11, past the three tabs the expression does not include
    assert (f"measure [Broken] does not parse at {sales}:11:14 (line 2, column 11 of its expression): expected an "
            "expression, found '*'") in result.err
    assert "Traceback" not in result.err
