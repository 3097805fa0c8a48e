"""``gen-measures check``: exit 0 when the outputs are what the specs generate, 1 listing every stale, missing or
no-longer-generated file (text, JSON, GitHub annotations, JUnit XML), 2 for bad usage. It never writes outputs.

One build is made per module; each test that changes files works on its own copy of it.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli

DATASET = "MSP-CSAT"
DEFINITION = f"{DATASET}.SemanticModel/definition"
TOTAL_OUTPUTS = 84  # in powerbi/: 30 model and project files (3 roles/*.tmdl), 53 of the PBIR report, measures.md
REVIEWS_TMDL = f"{DEFINITION}/tables/BI_SmileBack_Reviews.tmdl"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh build: ``<tmp>/powerbi`` (the catalogue in it as measures.md). Read only; tests copy it."""
    root = tmp_path_factory.mktemp("check")
    result = run_cli("build", "--out", str(root / "powerbi"))
    assert result.code == 0, result.err
    return root


@pytest.fixture
def out(pristine: Path, tmp_path: Path) -> Path:
    """A writable copy of the fresh build's output folder."""
    shutil.copytree(pristine, tmp_path / "project")
    return tmp_path / "project" / "powerbi"


def check(out: Path, *args: str, cwd: Path | None = None):
    return run_cli("check", "--out", str(out), *args, cwd=cwd)


@pytest.fixture
def edited_specs(spec_copy: Path) -> Path:
    """The specs with one measure description changed and nothing rebuilt."""
    spec = spec_copy / "measures" / "01-csat.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count("description: Number of CSAT reviews in the slice.") == 1
    spec.write_text(text.replace("Number of CSAT reviews in the slice.", "Number of CSAT reviews in this slice."),
                    encoding="utf-8")
    return spec_copy


def stale_after_spec_edit(out: Path) -> set[str]:
    return {str(out / "measures.md"), str(out / REVIEWS_TMDL), str(out / "model.bim"),
            str(out / f"{DATASET}.pbit")}


# ------------------------------------------------------------------------------------------ current


def test_committed_outputs_are_current():
    result = run_cli("check")
    assert result.code == 0, result.out + result.err
    assert f"all {TOTAL_OUTPUTS} outputs are current" in result.out


def test_fresh_build_is_current_and_check_writes_nothing(out: Path):
    before = snapshot(out.parent)
    result = check(out)
    assert result.code == 0, result.out
    assert result.out == f"check: all {TOTAL_OUTPUTS} outputs are current\n"
    assert snapshot(out.parent) == before


def test_files_desktop_writes_into_the_project_are_not_findings(out: Path):
    settings = out / f"{DATASET}.SemanticModel" / ".pbi" / "localSettings.json"
    settings.parent.mkdir()
    settings.write_text("{}\n", encoding="utf-8")
    assert check(out).code == 0


# ---------------------------------------------------------------------------------------- stale files


def test_hand_edited_tmdl_file_is_named_with_a_diff(out: Path):
    path = out / DEFINITION / "tables" / "BI_Date.tmdl"
    text = path.read_text(encoding="utf-8")
    assert text.count("\t/// The day.\n") == 1
    path.write_text(text.replace("\t/// The day.\n", "\t/// The day (edited by hand).\n"), encoding="utf-8")
    result = check(out)
    assert result.code == 1
    assert f"{path}: differs" in result.out
    assert re.search(r"^\s+-\t/// The day \(edited by hand\)\.$", result.out, re.MULTILINE), result.out
    assert re.search(r"^\s+\+\t/// The day\.$", result.out, re.MULTILINE), result.out
    assert f"1 of {TOTAL_OUTPUTS} outputs is stale" in result.out


def test_changed_line_endings_are_reported(out: Path):
    path = out / DEFINITION / "model.tmdl"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    result = check(out)
    assert result.code == 1
    assert f"{path}: differs" in result.out
    assert "line endings or trailing whitespace differ" in result.out


def test_deleted_file_is_missing(out: Path):
    (out / "model.bim").unlink()
    result = check(out)
    assert result.code == 1
    assert f"{out / 'model.bim'}: missing" in result.out


def test_missing_output_folder_lists_every_output_as_missing(tmp_path: Path):
    result = check(tmp_path / "powerbi")
    assert result.code == 1
    assert len(re.findall(r": missing \(", result.out)) == TOTAL_OUTPUTS
    assert not (tmp_path / "powerbi").exists()


def test_table_file_no_spec_generates_is_reported(out: Path):
    extra = out / DEFINITION / "tables" / "Extra.tmdl"
    extra.write_text("table Extra\n", encoding="utf-8")
    result = check(out)
    assert result.code == 1
    assert f"{extra}: not generated" in result.out
    assert extra.exists()


def test_spec_change_without_rebuild_names_every_affected_output(out: Path, edited_specs: Path):
    before = snapshot(out.parent)
    result = check(out, "--specs", str(edited_specs))
    assert result.code == 1
    named = set(re.findall(r"^(\S.*?): (?:differs|missing|not generated)", result.out, re.MULTILINE))
    assert named == stale_after_spec_edit(out)
    assert "+Number of CSAT reviews in this slice." in result.out
    assert f"4 of {TOTAL_OUTPUTS} outputs are stale" in result.out
    assert snapshot(out.parent) == before


# ------------------------------------------------------------------------------------------- formats


def test_json_format_lists_stale_output_findings(out: Path, edited_specs: Path):
    result = check(out, "--specs", str(edited_specs), "--format", "json")
    assert result.code == 1
    report = json.loads(result.out)
    assert {finding["rule_id"] for finding in report["findings"]} == {"STALE_OUTPUT"}
    assert {finding["file"] for finding in report["findings"]} == stale_after_spec_edit(out)
    assert report["summary"]["total"] == 4


def test_json_format_when_current_has_no_findings(out: Path):
    result = check(out, "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["findings"] == []


def test_github_format_prints_error_annotations(out: Path, edited_specs: Path):
    result = check(out, "--specs", str(edited_specs), "--format", "github")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines and all(line.startswith("::error ") for line in lines)
    files = {re.match(r"::error file=([^,]+),", line).group(1) for line in lines}
    assert files == stale_after_spec_edit(out)


def test_junit_report_has_one_failure_per_stale_file(out: Path, edited_specs: Path, tmp_path: Path):
    junit = tmp_path / "reports" / "check.xml"
    result = check(out, "--specs", str(edited_specs), "--junit", str(junit))
    assert result.code == 1
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite"
    assert int(suite.get("failures")) == 4
    assert int(suite.get("tests")) == TOTAL_OUTPUTS
    failing = {case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None}
    assert failing == stale_after_spec_edit(out)


def test_junit_report_with_a_relative_output_folder(out: Path, edited_specs: Path):
    junit = out.parent / "check.xml"
    result = run_cli("check", "--out", "powerbi", "--specs", str(edited_specs), "--junit", "check.xml",
                     cwd=out.parent)
    assert result.code == 1
    suite = ET.parse(junit).getroot()
    failing = {case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None}
    assert int(suite.get("failures")) == 4
    assert failing == {"powerbi/measures.md", f"powerbi/{REVIEWS_TMDL}", "powerbi/model.bim",
                       f"powerbi/{DATASET}.pbit"}
    assert int(suite.get("tests")) == TOTAL_OUTPUTS


def test_junit_report_when_current_has_no_failures(out: Path, tmp_path: Path):
    junit = tmp_path / "check.xml"
    assert check(out, "--junit", str(junit)).code == 0
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == (str(TOTAL_OUTPUTS), "0")


@pytest.mark.parametrize("value", ["xml", ""])
def test_unknown_format_is_a_usage_error(out: Path, value: str):
    result = check(out, "--format", value)
    assert result.code == 2
    assert "--format" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""
