"""`gen-measures lint` through the CLI: the generated model lints clean, ignores need their annotation,
a user's model.bim is linted with the same rules, and the CI formats work."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator.errors import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK

ROOT = Path(__file__).resolve().parent.parent
BIM = ROOT / "powerbi" / "model.bim"


def bim_without_ignores(tmp_path: Path) -> Path:
    """The committed model.bim with every BestPracticeAnalyzer_IgnoreRules annotation removed."""
    database = json.loads(BIM.read_text(encoding="utf-8"))

    def strip(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("annotations"), list):
                node["annotations"] = [a for a in node["annotations"]
                                       if a.get("name") != "BestPracticeAnalyzer_IgnoreRules"]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(database)
    path = tmp_path / "model.bim"
    path.write_text(json.dumps(database), encoding="utf-8")
    return path


def test_the_generated_model_lints_clean_at_every_severity(cli) -> None:
    result = cli("lint", "--fail-on", "info")
    assert result.code == EXIT_OK, result
    assert "lint: no findings" in result.out
    assert "72 rules checked" in result.err


def test_the_committed_model_bim_lints_clean_too(cli) -> None:
    result = cli("lint", "--model", str(BIM), "--fail-on", "info")
    assert result.code == EXIT_OK, result


def test_show_ignored_lists_what_lint_ignore_silences_without_failing(cli) -> None:
    result = cli("lint", "--show-ignored")
    assert result.code == EXIT_OK, result
    assert "SNOWFLAKE_SCHEMA_ARCHITECTURE table 'BI_Autotask_Tickets'" in result.out
    assert "INTEGER_FORMATTING measure [CSAT - Average Rating]" in result.out


def test_without_the_ignore_annotations_the_rules_fire(cli, tmp_path: Path) -> None:
    result = cli("lint", "--model", str(bim_without_ignores(tmp_path)), "--fail-on", "warning")
    assert result.code == EXIT_FINDINGS, result
    for rule in ("SNOWFLAKE_SCHEMA_ARCHITECTURE", "REMOVE_REDUNDANT_COLUMNS_IN_RELATED_TABLES",
                 "INACTIVE_RELATIONSHIPS_THAT_ARE_NEVER_ACTIVATED", "DATECOLUMN_FORMATSTRING"):
        assert rule in result.out, rule
    # Errors (severity 3) only: the two measures that return text or TRUE/FALSE have no format string.
    errors = cli("lint", "--model", str(bim_without_ignores(tmp_path)))
    assert errors.code == EXIT_FINDINGS
    assert "error PROVIDE_FORMAT_STRING_FOR_MEASURES measure [CSAT - Risk Tier]" in errors.out


def test_fail_on_threshold(cli, tmp_path: Path) -> None:
    model = str(bim_without_ignores(tmp_path))
    assert cli("lint", "--model", model, "--rules", "DATECOLUMN_FORMATSTRING").code == EXIT_OK
    assert cli("lint", "--model", model, "--rules", "DATECOLUMN_FORMATSTRING", "--fail-on", "info").code \
        == EXIT_FINDINGS
    assert cli("lint", "--model", model, "--fail-on", "never").code == EXIT_OK


def test_an_edited_measure_fires_its_rule_and_our_own(cli, tmp_path: Path) -> None:
    database = json.loads(BIM.read_text(encoding="utf-8"))
    reviews = next(t for t in database["model"]["tables"] if t["name"] == "BI_SmileBack_Reviews")
    happy = next(m for m in reviews["measures"] if m["name"] == "CSAT - Happy %")
    happy["expression"] = "[CSAT - Positive] / [CSAT - Total Ratingz]"
    path = tmp_path / "edited.bim"
    path.write_text(json.dumps(database), encoding="utf-8")
    result = cli("lint", "--model", str(path), "--format", "json")
    assert result.code == EXIT_FINDINGS, result
    rules = {(f["rule_id"], f["object_name"]) for f in json.loads(result.out)["findings"]}
    assert ("USE_THE_DIVIDE_FUNCTION_FOR_DIVISION", "[CSAT - Happy %]") in rules
    assert ("MSP_UNKNOWN_REFERENCE", "[CSAT - Happy %]") in rules


def test_github_and_junit_outputs(cli, tmp_path: Path) -> None:
    junit = tmp_path / "lint.xml"
    result = cli("lint", "--model", str(bim_without_ignores(tmp_path)), "--format", "github", "--junit", str(junit))
    assert result.code == EXIT_FINDINGS
    assert any(line.startswith("::error ") and "PROVIDE_FORMAT_STRING_FOR_MEASURES" in line
               for line in result.out.splitlines()), result.out
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) >= 70
    failed = {case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None}
    assert "SNOWFLAKE_SCHEMA_ARCHITECTURE" in failed and int(suite.get("failures")) == len(failed)


@pytest.mark.parametrize(("args", "needle"), [
    (("--rules", "NOT_A_RULE"), "NOT_A_RULE"),
    (("--fail-on", "sometimes"), "--fail-on must be one of"),
    (("--format", "xml"), "--format must be one of"),
    (("--model", "does-not-exist.bim"), "does-not-exist.bim"),
])
def test_bad_usage_exits_2_with_one_line(cli, args: tuple[str, ...], needle: str) -> None:
    result = cli("lint", *args)
    assert result.code == EXIT_BAD_INPUT, result
    assert needle in result.err and "Traceback" not in result.err
