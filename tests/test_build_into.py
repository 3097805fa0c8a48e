"""`gen-measures build --into` / `check --into`: merging the generated objects into a model the user owns.

Fixtures: ``tests/fixtures/tmdl/user_model`` is an MSP's own PBIP model that already has BI_ tables it loads
itself (hand-written, one file with CRLF line endings, with every table and column the generated measures use
but no more), its own measures, a calculated column, a hierarchy, a
SharePoint table, a role, a culture and a perspective; ``bare_model`` is built in the tests (a model with one
table of its own and nothing of ours).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir
from generator.tmdl import parse_text, read_folder, write_document
from generator.tmdl.tree import Document, Node

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "tmdl"
COMMITTED = ROOT / "powerbi" / "MSP-CSAT.SemanticModel" / "definition"
GENERATED = "MSP_CSAT_Generated"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _strip_generated(document: Document) -> bytes:
    """The file's bytes with every generated object (and its leading lines) taken out."""
    def keep(nodes: list[Node]) -> list[Node]:
        kept = []
        for node in nodes:
            if node.keyword == "measure" and GENERATED in node.annotations:
                continue
            node.children = keep(node.children)
            kept.append(node)
        return kept

    document.nodes = keep(document.nodes)
    return write_document(document)


def _measure_count() -> int:
    return len(load_model(default_spec_dir()).measures)


@pytest.fixture
def user_model(tmp_path: Path) -> Path:
    target = tmp_path / "Acme.SemanticModel"
    shutil.copytree(FIXTURES / "user_model", target)
    return target


@pytest.fixture
def bare_model(tmp_path: Path) -> Path:
    target = tmp_path / "Budget.SemanticModel"
    definition = target / "definition"
    (definition / "tables").mkdir(parents=True)
    (definition / "database.tmdl").write_text("database Budgeting\n\tcompatibilityLevel: 1567\n")
    (definition / "model.tmdl").write_text("model Model\n\tculture: en-US\n\nref table Budget\n")
    (definition / "tables" / "Budget.tmdl").write_text(
        "table Budget\n\tlineageTag: 11111111-2222-4333-8444-555555555555\n\n"
        "\tmeasure Spend = SUM ( Budget[amount] )\n\t\tlineageTag: 21111111-2222-4333-8444-555555555555\n\n"
        "\tcolumn amount\n\t\tdataType: double\n\t\tlineageTag: 31111111-2222-4333-8444-555555555555\n"
        "\t\tsummarizeBy: sum\n\t\tsourceColumn: amount\n")
    return target


# -- measures only ----------------------------------------------------------------------------------------------

def test_merge_adds_every_generated_measure_and_keeps_every_user_byte(cli, user_model: Path) -> None:
    definition = user_model / "definition"
    before = _snapshot(definition)
    result = cli("build", "--into", str(user_model))
    assert result.code == 0, result.err
    assert f"{_measure_count()} added, 0 updated, 0 removed, 0 unchanged" in result.err

    # Taking the generated measures out again gives back every original file byte for byte.
    for path, document in read_folder(definition).documents.items():
        assert _strip_generated(document) == before[path], path
    assert set(_snapshot(definition)) == set(before)  # no file added or removed
    merged = read_folder(definition)

    # Every generated measure sits in its home table, exactly as the generator writes it.
    committed = read_folder(COMMITTED)
    for table in committed.tables:
        ours = table.objects("measure")
        target = merged.table(table.name)
        if not ours:
            continue
        for measure in ours:
            found = target.find("measure", measure.name)
            assert found is not None, (table.name, measure.name)
            assert [line.text for line in found.lines()] == [line.text for line in measure.lines()]


def test_merge_writes_crlf_into_a_crlf_file(cli, user_model: Path) -> None:
    assert cli("build", "--into", str(user_model)).code == 0
    data = (user_model / "definition" / "tables" / "BI_Autotask_Tickets.tmdl").read_bytes()
    assert b"measure 'Tickets - Opened'" in data
    assert data.count(b"\n") == data.count(b"\r\n")
    lf_file = (user_model / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl").read_bytes()
    assert b"\r\n" not in lf_file


def test_second_merge_changes_nothing_and_check_passes(cli, user_model: Path) -> None:
    assert cli("build", "--into", str(user_model)).code == 0
    after_first = _snapshot(user_model)
    second = cli("build", "--into", str(user_model))
    assert second.code == 0, second.err
    assert f"0 added, 0 updated, 0 removed, {_measure_count()} unchanged; 0 files changed" in second.err
    assert _snapshot(user_model) == after_first
    check = cli("check", "--into", str(user_model))
    assert check.code == 0, check.out + check.err
    assert "are current" in check.out
    roundtrip = cli("tmdl", "check", str(user_model / "definition"), "--roundtrip")
    assert roundtrip.code == 0, roundtrip.err


def test_check_into_reports_a_model_that_is_not_current(cli, user_model: Path) -> None:
    result = cli("check", "--into", str(user_model))
    assert result.code == 1
    assert "tables/BI_SmileBack_Reviews.tmdl: differs" in result.out
    assert "+\tmeasure 'CSAT - Total Ratings' = COUNTROWS ( BI_SmileBack_Reviews )" in result.out
    as_json = cli("check", "--into", str(user_model), "--format", "json")
    assert as_json.code == 1
    findings = json.loads(as_json.out)
    assert {finding["rule_id"] for finding in findings["findings"]} == {"STALE_MERGE"}
    assert any(finding["object_name"].endswith("BI_Autotask_Tickets.tmdl") for finding in findings["findings"])


def test_dry_run_prints_the_diff_and_writes_nothing(cli, user_model: Path) -> None:
    before = _snapshot(user_model)
    result = cli("build", "--into", str(user_model), "--dry-run")
    assert result.code == 0, result.err
    assert "--- a/tables/BI_SmileBack_Reviews.tmdl" in result.out
    assert "+\tmeasure 'CSAT - Total Ratings' = COUNTROWS ( BI_SmileBack_Reviews )" in result.out
    assert "+\t\tannotation MSP_CSAT_Generated = measures/01-csat.yaml" in result.out
    assert not any(line.startswith("-") and not line.startswith("---") for line in result.out.splitlines())
    assert "would merge" in result.err
    assert _snapshot(user_model) == before


def test_spec_changes_update_in_place_add_and_remove(cli, user_model: Path, spec_copy: Path) -> None:
    assert cli("build", "--into", str(user_model), "--specs", str(spec_copy)).code == 0
    reviews = user_model / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl"
    order_before = [node.name for node in read_folder(user_model / "definition").table(
        "BI_SmileBack_Reviews").objects("measure")]

    csat = spec_copy / "measures" / "01-csat.yaml"
    spec = yaml.safe_load(csat.read_text())
    total = spec["measures"][0]
    assert total["name"] == "CSAT - Total Ratings"
    total["description"] = "Number of CSAT reviews in the slice (all ratings)."
    spec["measures"].append({"name": "CSAT - Reviews With Rating 5 Or 3", "kind": "count_where",
                             "table": "BI_SmileBack_Reviews", "filter": "BI_SmileBack_Reviews[rating] >= 3",
                             "format": "whole", "description": "Reviews rated Happy or Neutral."})
    csat.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = cli("build", "--into", str(user_model), "--specs", str(spec_copy))
    assert result.code == 0, result.err
    assert "1 added, 1 updated, 0 removed" in result.err

    merged = read_folder(user_model / "definition").table("BI_SmileBack_Reviews")
    names = [node.name for node in merged.objects("measure")]
    added = "CSAT - Reviews With Rating 5 Or 3"
    assert [name for name in names if name != added] == order_before  # updated in place, nothing reordered
    # added in spec order: right after the measure that precedes it in the specs (the last of 01-csat.yaml)
    assert names[names.index(added) - 1] == spec["measures"][-2]["name"]
    assert merged.find("measure", "CSAT - Total Ratings").description == spec["measures"][0]["description"]
    assert merged.find("measure", "Reviews Last 7 Days") is not None

    # Remove the measure again: the merge deletes it and nothing else.
    spec["measures"].pop()
    csat.write_text(yaml.safe_dump(spec, sort_keys=False))
    before_removal = reviews.read_bytes()
    result = cli("build", "--into", str(user_model), "--specs", str(spec_copy))
    assert result.code == 0, result.err
    assert "0 added, 0 updated, 1 removed" in result.err
    removed = reviews.read_bytes()
    assert b"CSAT - Reviews With Rating 5 Or 3" not in removed
    assert len(removed) < len(before_removal)
    assert cli("check", "--into", str(user_model), "--specs", str(spec_copy)).code == 0



def test_currentness_is_decided_on_the_model_not_on_the_layout(cli, user_model: Path) -> None:
    """A generated measure re-saved in another layout (Power BI Desktop's: expression on its own lines,
    properties in another order, no blank line before the annotation, a quoted value) is the same TOM measure:
    current, and its bytes are kept. A value TOM sees, or a property the generator does not write, is a change:
    the measure is rewritten as generated."""
    assert cli("build", "--into", str(user_model)).code == 0
    reviews = user_model / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl"
    generated = reviews.read_text()
    node = parse_text(generated).objects("table")[0].find("measure", "CSAT - Total Ratings")
    ours = "".join(line.raw for line in [node.header, *node.body, *(line for child in node.children
                                                                      for line in child.lines())])
    properties = node.properties
    desktop = ("\tmeasure 'CSAT - Total Ratings' =\n\t\t\tCOUNTROWS ( BI_SmileBack_Reviews )\n"
               f"\t\tlineageTag: {properties['lineageTag']}\n\t\tdisplayFolder: \"{properties['displayFolder']}\"\n"
               f"\t\tformatString: {properties['formatString']}\n"
               f"\t\tannotation {GENERATED} = {node.annotations[GENERATED]}\n")
    assert generated.count(ours) == 1 and ours != desktop
    reviews.write_text(generated.replace(ours, desktop))
    relaid = _snapshot(user_model)

    check = cli("check", "--into", str(user_model))
    assert check.code == 0, check.out
    again = cli("build", "--into", str(user_model))
    assert f"0 added, 0 updated, 0 removed, {_measure_count()} unchanged; 0 files changed" in again.err
    assert _snapshot(user_model) == relaid

    for edit in (desktop.replace("formatString: #,0", "formatString: #,0.00"),  # a value TOM sees
                 desktop + "\t\tchangedProperty = FormatString\n"):  # a property the generator does not write
        reviews.write_text(generated.replace(ours, edit))
        stale = cli("check", "--into", str(user_model))
        assert stale.code == 1 and "tables/BI_SmileBack_Reviews.tmdl: differs" in stale.out, stale.out
        fixed = cli("build", "--into", str(user_model))
        assert "0 added, 1 updated, 0 removed" in fixed.err, fixed.err
        assert reviews.read_text() == generated


def test_with_tables_currentness_ignores_layout_of_tables_columns_and_relationships(cli, bare_model: Path) -> None:
    """--with-tables: a generated table's header quoted and its properties reordered, a column's properties
    reordered, a relationship's ends swapped and quoted: all the same TOM objects, so current. A table property
    TOM sees changed is not."""
    assert cli("build", "--into", str(bare_model), "--with-tables").code == 0
    definition = bare_model / "definition"
    date, relationships = definition / "tables" / "BI_Date.tmdl", definition / "relationships.tmdl"
    table = parse_text(date.read_text()).objects("table")[0]
    tag = table.properties["lineageTag"]
    relaid = date.read_text().replace(f"table BI_Date\n\tdataCategory: Time\n\tlineageTag: {tag}\n",
                                      f"table 'BI_Date'\n\tlineageTag: {tag}\n\tdataCategory: Time\n", 1)
    relaid = relaid.replace("\t\tdataType: dateTime\n\t\tisKey\n\t\tisNullable: false\n",
                            "\t\tisNullable: false\n\t\tisKey\n\t\tdataType: dateTime\n", 1)
    ends = "\tfromColumn: BI_Autotask_Tickets.company_id\n\ttoColumn: BI_Autotask_Companies.company_id\n"
    assert relaid.count("table 'BI_Date'") == 1 and relaid.count("\t\tisNullable: false\n\t\tisKey\n") == 1
    assert relationships.read_text().count(ends) == 1
    date.write_text(relaid)
    relationships.write_text(relationships.read_text().replace(
        ends, "\ttoColumn: BI_Autotask_Companies.company_id\n\tfromColumn: 'BI_Autotask_Tickets'.company_id\n"))
    check = cli("check", "--into", str(bare_model), "--with-tables")
    assert check.code == 0, check.out

    date.write_text(relaid.replace("\tdataCategory: Time\n", "\tdataCategory: Times\n", 1))
    stale = cli("check", "--into", str(bare_model), "--with-tables")
    assert stale.code == 1 and "tables/BI_Date.tmdl: differs" in stale.out, stale.out
    assert "relationships.tmdl" not in stale.out

# -- refusals ---------------------------------------------------------------------------------------------------

def test_a_hand_written_measure_with_a_generated_name_stops_the_merge(cli, user_model: Path) -> None:
    targets = user_model / "definition" / "tables" / "Targets.tmdl"
    text = targets.read_text()
    targets.write_text(text.replace("\tcolumn company_id", "\tmeasure 'CSAT - Happy %' = 0.5\n\n\tcolumn company_id"))
    before = _snapshot(user_model)
    result = cli("build", "--into", str(user_model))
    assert result.code == 2
    assert "nothing was written" in result.err
    line = targets.read_text().splitlines().index("\tmeasure 'CSAT - Happy %' = 0.5") + 1
    assert f"Targets.tmdl:{line}: measure 'CSAT - Happy %' is hand-written" in result.err
    assert "Traceback" not in result.err
    assert _snapshot(user_model) == before
    assert cli("check", "--into", str(user_model)).code == 2


def test_a_column_with_a_generated_measure_name_in_the_home_table_stops_the_merge(cli, user_model: Path) -> None:
    reviews = user_model / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl"
    reviews.write_text(reviews.read_text().replace("\tcolumn rating\n", "\tcolumn 'CSAT - Neutral'\n"))
    result = cli("build", "--into", str(user_model))
    assert result.code == 2
    assert "column 'CSAT - Neutral' of table 'BI_SmileBack_Reviews' has the name of a generated measure" in result.err


def test_missing_home_tables_need_with_tables(cli, tmp_path: Path) -> None:
    target = tmp_path / "Contoso.SemanticModel"
    shutil.copytree(FIXTURES / "contoso", target)
    result = cli("build", "--into", str(target))
    assert result.code == 2
    assert ("the generated measures of table 'BI_SmileBack_Reviews' need that table, which the model does not "
            "have; add the BI_ tables with --with-tables") in result.err
    assert result.err.count("BI_SmileBack_Reviews") == 1
    # With the tables, Contoso's own Server/Database parameters are hand-written objects with generated names.
    with_tables = cli("build", "--into", str(target), "--with-tables")
    assert with_tables.code == 2
    assert "expressions.tmdl:2: expression 'Server' is hand-written" in with_tables.err
    assert "expressions.tmdl:8: expression 'Database' is hand-written" in with_tables.err


def test_measures_using_a_table_the_model_lacks_are_refused(cli, user_model: Path) -> None:
    """The model has the measures' home tables but not BI_Date, which some of them use: refused, and check
    --into does not call the model current."""
    definition = user_model / "definition"
    (definition / "tables" / "BI_Date.tmdl").unlink()
    model = definition / "model.tmdl"
    model.write_text(model.read_text().replace("ref table BI_Date\n", ""))
    surveys = definition / "tables" / "BI_SmileBack_Surveys.tmdl"
    surveys.write_text(surveys.read_text().replace("\tcolumn score\n", "\tcolumn nps_score\n"))
    before = _snapshot(user_model)
    for command in ("build", "check"):
        result = cli(command, "--into", str(user_model))
        assert result.code == 2, (command, result.out + result.err)
        lines = result.err.splitlines()
        assert lines[0] == "error: cannot merge the generated objects; nothing was written:"
        assert re.fullmatch(r"  the generated measures use tables the model does not have: BI_Date \(measure "
                            r"'[^']+'( and \d+ more)?\); --with-tables would add BI_Date", lines[1]), lines[1]
        assert lines[2] == ("  table 'BI_SmileBack_Surveys' of the model lacks columns the generated measures use: "
                            "score (measure 'SB - Average CSAT Score'); add them to table 'BI_SmileBack_Surveys' "
                            "(it is not a generated table, so --with-tables does not replace it)")
        assert len(lines) == 3
        assert "are current" not in result.out
    assert _snapshot(user_model) == before


def test_a_generated_table_missing_a_column_points_to_with_tables(cli, bare_model: Path) -> None:
    """A model merged with --with-tables whose generated table lost a column the measures use."""
    assert cli("build", "--into", str(bare_model), "--with-tables").code == 0
    surveys = bare_model / "definition" / "tables" / "BI_SmileBack_Surveys.tmdl"
    document = parse_text(surveys.read_text())
    table = document.objects("table")[0]
    table.children = [node for node in table.children if not (node.keyword == "column" and node.name == "score")]
    surveys.write_bytes(write_document(document))
    before = _snapshot(bare_model)
    result = cli("build", "--into", str(bare_model))
    assert result.code == 2
    assert ("table 'BI_SmileBack_Surveys' of the model lacks columns the generated measures use: score (measure "
            "'SB - Average CSAT Score'); --with-tables would add them") in result.err
    assert _snapshot(bare_model) == before
    fixed = cli("build", "--into", str(bare_model), "--with-tables")
    assert fixed.code == 0, fixed.err
    assert cli("check", "--into", str(bare_model), "--with-tables").code == 0


def test_hand_written_bi_tables_and_relationships_refuse_with_tables(cli, user_model: Path) -> None:
    before = _snapshot(user_model)
    result = cli("build", "--into", str(user_model), "--with-tables")
    assert result.code == 2
    assert "BI_SmileBack_Reviews.tmdl:1: table 'BI_SmileBack_Reviews' is hand-written" in result.err
    assert "relationships.tmdl:1: hand-written relationship BI_SmileBack_Reviews.company_id → " \
           "BI_Autotask_Companies.company_id duplicates a generated one" in result.err
    assert _snapshot(user_model) == before


@pytest.mark.parametrize("case", ["missing", "file", "bim", "empty"])
def test_bad_targets_are_clear_errors(cli, tmp_path: Path, case: str) -> None:
    target = tmp_path / "X.SemanticModel"
    if case == "file":
        target.write_text("not a folder")
    elif case == "bim":
        target.mkdir()
        (target / "model.bim").write_text("{}")
    elif case == "empty":
        target.mkdir()
    result = cli("build", "--into", str(target))
    assert result.code == 2
    expected = {"missing": "does not exist", "file": "is a file", "bim": "holds a model.bim (TMSL)",
                "empty": "holds no definition/ folder"}[case]
    assert expected in result.err
    assert "Traceback" not in result.err


def test_a_syntax_error_in_the_target_names_file_line_and_column(cli, user_model: Path) -> None:
    targets = user_model / "definition" / "tables" / "Targets.tmdl"
    targets.write_text(targets.read_text().replace("\tcolumn happy_target", "\tcolumn happy target"))
    before = _snapshot(user_model)
    result = cli("build", "--into", str(user_model))
    assert result.code == 2
    lines = targets.read_text().splitlines()
    line = lines.index("\tcolumn happy target") + 1
    assert f"Targets.tmdl:{line}:15: unexpected 't' after the name" in result.err
    assert _snapshot(user_model) == before


@pytest.mark.parametrize(("path", "old", "new", "problem"), [
    ("tables/Targets.tmdl", "dataType: int64", "dataType: integer64", "has unknown dataType 'integer64'"),
    ("tables/Targets.tmdl", "summarizeBy: none", "summarizeBy: sometimes", "has unknown summarizeBy 'sometimes'"),
    ("relationships.tmdl", "crossFilteringBehavior: bothDirections", "crossFilteringBehavior: sideways",
     "has unknown crossFilteringBehavior 'sideways'"),
])
def test_a_value_tom_refuses_anywhere_in_the_target_stops_with_its_file_line(cli, user_model: Path, path: str,
                                                                             old: str, new: str,
                                                                             problem: str) -> None:
    target = user_model / "definition" / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    line = target.read_text().splitlines().index("\t" * (1 if path.startswith("rel") else 2) + new) + 1
    before = _snapshot(user_model)
    result = cli("build", "--into", str(user_model))
    assert result.code == 2, result
    assert result.err.strip().splitlines() == [result.err.strip()]
    assert f"{target}:{line}: " in result.err and problem in result.err, result.err
    assert "Traceback" not in result.err
    assert _snapshot(user_model) == before


def test_with_tables_and_dry_run_need_into(cli, tmp_path: Path) -> None:
    result = cli("build", "--out", str(tmp_path / "out"), "--with-tables")
    assert result.code == 2
    assert "need --into" in result.err
    assert not (tmp_path / "out").exists()


def _files_and_times(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and modification time (ns): proof that nothing was touched."""
    return {path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("args", [(), ("--with-tables",), ("--with-tables", "--dry-run"), ("--dry-run",)])
def test_a_tables_folder_linked_outside_the_model_is_refused(cli, bare_model: Path, tmp_path: Path,
                                                             args: tuple[str, ...]) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "BI_Autotask_Tickets.tmdl").write_text("not yours\n")
    (outside / "notes.txt").write_text("keep me\n")
    tables = bare_model / "definition" / "tables"
    shutil.move(tables / "Budget.tmdl", bare_model / "definition" / "Budget.tmdl")
    tables.rmdir()
    tables.symlink_to(outside, target_is_directory=True)
    outside_before, model_before = _files_and_times(outside), _files_and_times(bare_model)

    result = cli("build", "--into", str(bare_model), *args)
    assert result.code == 2, result.out + result.err
    assert result.err == (f"error: {tables} leads outside the model folder {bare_model} (a symbolic link points "
                          f"it to {outside}); nothing was written\n")
    assert result.out == ""  # the dry run prints no diff either
    assert _files_and_times(outside) == outside_before
    assert _files_and_times(bare_model) == model_before
    check = cli("check", "--into", str(bare_model), *(arg for arg in args if arg == "--with-tables"))
    assert check.code == 2 and "leads outside the model folder" in check.err


def test_a_definition_folder_linked_outside_the_model_is_refused(cli, bare_model: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared-definition"
    (bare_model / "definition").rename(outside)
    (bare_model / "definition").symlink_to(outside, target_is_directory=True)
    before = _files_and_times(outside)
    result = cli("build", "--into", str(bare_model), "--with-tables")
    assert result.code == 2
    assert result.err.startswith(f"error: {bare_model / 'definition'} leads outside the model folder {bare_model}")
    assert _files_and_times(outside) == before


def test_a_table_file_linked_outside_the_model_is_refused(cli, bare_model: Path, tmp_path: Path) -> None:
    outside = tmp_path / "BI_SmileBack_Reviews.tmdl"
    outside.write_text("table BI_SmileBack_Reviews\n\tlineageTag: 41111111-2222-4333-8444-555555555555\n")
    link = bare_model / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl"
    link.symlink_to(outside)
    before = _files_and_times(tmp_path)
    result = cli("build", "--into", str(bare_model), "--with-tables")
    assert result.code == 2
    assert f"error: {link} leads outside the model folder {bare_model}" in result.err
    assert _files_and_times(tmp_path) == before


# -- with tables ------------------------------------------------------------------------------------------------

def test_with_tables_adds_the_whole_generated_model_beside_the_users_own(cli, bare_model: Path) -> None:
    definition = bare_model / "definition"
    budget = (definition / "tables" / "Budget.tmdl").read_bytes()
    result = cli("build", "--into", str(bare_model), "--with-tables")
    assert result.code == 0, result.err

    committed = _snapshot(COMMITTED)
    merged = _snapshot(definition)
    for path, data in committed.items():
        if path in ("model.tmdl", "database.tmdl"):
            continue
        assert merged.get(path) == data, path  # tables, relationships, parameters, roles: exactly as generated
    assert merged["tables/Budget.tmdl"] == budget
    assert merged["database.tmdl"] == b"database Budgeting\n\tcompatibilityLevel: 1567\n"
    model = parse_text(merged["model.tmdl"].decode())
    refs = [node.name for node in model.nodes if node.is_ref and node.ref_type == "table"]
    assert refs[0] == "Budget"
    assert sorted(refs[1:]) == sorted(node.name for node in read_folder(COMMITTED).tables)

    again = cli("build", "--into", str(bare_model), "--with-tables")
    assert again.code == 0
    assert "0 added, 0 updated, 0 removed" in again.err
    assert _snapshot(definition) == merged
    assert cli("check", "--into", str(bare_model), "--with-tables").code == 0
    assert cli("check", "--into", str(bare_model)).code == 0


def test_user_objects_inside_a_generated_table_survive_a_remerge(cli, bare_model: Path, spec_copy: Path) -> None:
    assert cli("build", "--into", str(bare_model), "--with-tables", "--specs", str(spec_copy)).code == 0
    reviews = bare_model / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl"
    mine = ("\n\tmeasure 'Acme Reviews Per Client' = DIVIDE ( [CSAT - Total Ratings], "
            "DISTINCTCOUNT ( BI_SmileBack_Reviews[company_id] ) )\n"
            "\t\tlineageTag: 41111111-2222-4333-8444-555555555555\n"
            "\n\tcolumn 'Is Happy' = BI_SmileBack_Reviews[rating] = 5\n"
            "\t\tlineageTag: 51111111-2222-4333-8444-555555555555\n\t\tsummarizeBy: none\n")
    text = reviews.read_text()
    anchor = text.index("\n\tcolumn ")
    reviews.write_text(text[:anchor] + mine + text[anchor:])

    # A spec change to a column of this table and to one of its measures.
    smileback = spec_copy / "model" / "smileback.yaml"
    smileback.write_text(smileback.read_text().replace("description: SmileBack review id.",
                                                       "description: SmileBack's review id."))
    csat = spec_copy / "measures" / "01-csat.yaml"
    csat.write_text(csat.read_text().replace("description: Number of CSAT reviews in the slice.",
                                             "description: Number of CSAT reviews in the slice, any rating."))
    result = cli("build", "--into", str(bare_model), "--with-tables", "--specs", str(spec_copy))
    assert result.code == 0, result.err
    assert "0 added, 2 updated, 0 removed" in result.err
    merged = reviews.read_text()
    assert mine in merged
    assert "/// SmileBack's review id." in merged
    assert "any rating" in merged
    assert cli("check", "--into", str(bare_model), "--with-tables", "--specs", str(spec_copy)).code == 0


def test_the_committed_project_is_its_own_current_merge(cli) -> None:
    result = cli("check", "--into", str(ROOT / "powerbi" / "MSP-CSAT.SemanticModel"), "--with-tables")
    assert result.code == 0, result.out + result.err


# -- property: any arrangement of user objects survives a merge byte for byte -------------------------------------

_USER_MEASURE = "\tmeasure 'User {n}' = {n} + 0\n\t\tlineageTag: {n:08d}-0000-4000-8000-000000000000\n"


@given(data=st.data())
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_merge_keeps_random_user_measures_and_is_idempotent(tmp_path_factory, data) -> None:
    from generator.tmdl.merge import apply, merge_specs_into

    specs = load_model(default_spec_dir())
    target = tmp_path_factory.mktemp("prop") / "P.SemanticModel"
    shutil.copytree(FIXTURES / "user_model", target)
    reviews = target / "definition" / "tables" / "BI_SmileBack_Reviews.tmdl"
    lines = reviews.read_text().splitlines(keepends=True)
    # Insert user measures before random top-level children of the table (positions of "\t<word>" lines).
    starts = [index for index, line in enumerate(lines) if line.startswith("\t") and not line.startswith("\t\t")
              and not line.startswith("\t///") and index > 1]
    chosen = data.draw(st.lists(st.sampled_from(starts), max_size=4, unique=True))
    for number, index in enumerate(sorted(chosen, reverse=True), start=1):
        lines.insert(index, _USER_MEASURE.format(n=number) + "\n")
    text = "".join(lines)
    if data.draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    reviews.write_bytes(text.encode())
    original = _snapshot(target / "definition")

    first = merge_specs_into(specs, target)
    apply(first)
    for path, document in read_folder(target / "definition").documents.items():
        assert _strip_generated(document) == original[path], path
    second = merge_specs_into(specs, target)
    assert second.changed_files == {} and second.removed == []
    assert second.unchanged == len(specs.measures)
