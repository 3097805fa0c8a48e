"""The CI output formats shared by ``lint`` and ``check``: text, JSON, GitHub workflow commands, JUnit XML."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET

import pytest

from generator.errors import ToolError
from generator.findings import (
    SEVERITY_NAMES,
    Finding,
    exceeds,
    junit_xml,
    render_github,
    render_json,
    render_text,
    sort_findings,
)

ERROR = Finding("RELATIONSHIP_COLUMNS_SAME_DATA_TYPE", 3, "relationship",
                "'BI_Autotask_Tickets'[company_id] -> 'BI_Companies'[id]",
                "the columns are int64 and string", "Give both columns the same data type.",
                file="model.bim")
WARNING = Finding("HIDE_FOREIGN_KEYS", 2, "column", "'BI_Autotask_Tickets'[status]",
                  "foreign key is visible", "Set isHidden to true.", file="model.bim", line=12)
INFO = Finding("MSP_MEASURE_WITHOUT_FOLDER", 1, "measure", "[CSAT - Happy %]", "no display folder",
               "Put the measure in a display folder.")
ALL = [INFO, WARNING, ERROR]


def test_severity_names():
    assert SEVERITY_NAMES == {1: "info", 2: "warning", 3: "error"}
    assert ERROR.severity_name == "error"
    assert INFO.severity_name == "info"


def test_sort_order_is_severity_then_rule_then_object_then_message():
    a = Finding("B_RULE", 2, "measure", "[A]", "m2", "h")
    b = Finding("B_RULE", 2, "measure", "[A]", "m1", "h")
    c = Finding("A_RULE", 2, "measure", "[Z]", "m", "h")
    d = Finding("Z_RULE", 3, "measure", "[Z]", "m", "h")
    e = Finding("B_RULE", 2, "measure", "[B]", "m", "h")
    expected = [d, c, b, a, e]
    for seed in range(5):
        shuffled = expected[:]
        random.Random(seed).shuffle(shuffled)
        assert sort_findings(shuffled) == expected


def test_text_lists_each_finding_and_a_summary():
    text = render_text(ALL, title="lint model.bim")
    lines = text.splitlines()
    assert lines[0] == (
        "model.bim: error RELATIONSHIP_COLUMNS_SAME_DATA_TYPE relationship "
        "'BI_Autotask_Tickets'[company_id] -> 'BI_Companies'[id]: the columns are int64 and string "
        "(fix: Give both columns the same data type.)"
    )
    assert lines[1] == ("model.bim:12: warning HIDE_FOREIGN_KEYS column 'BI_Autotask_Tickets'[status]: "
                        "foreign key is visible (fix: Set isHidden to true.)")
    assert lines[2] == ("info MSP_MEASURE_WITHOUT_FOLDER measure [CSAT - Happy %]: no display folder "
                        "(fix: Put the measure in a display folder.)")
    assert lines[3] == "lint model.bim: 3 findings (1 error, 1 warning, 1 info)"
    assert len(lines) == 4


def test_text_without_findings_says_so():
    assert render_text([], title="lint model.bim") == "lint model.bim: no findings\n"


def test_text_keeps_each_finding_on_one_line():
    odd = Finding("SPECIAL_CHARS_IN_OBJECT_NAMES", 2, "measure", "[Line\nbreak\tand\x07bell]", "bad", "")
    lines = render_text([odd], title="t").splitlines()
    assert lines[0] == "warning SPECIAL_CHARS_IN_OBJECT_NAMES measure [Line\\nbreak\\tand\\x07bell]: bad"
    assert len(lines) == 2


def test_json_round_trips_with_summary_and_order():
    document = json.loads(render_json(ALL))
    assert list(document) == ["findings", "summary"]
    assert document["summary"] == {"total": 3, "error": 1, "warning": 1, "info": 1}
    assert [f["rule_id"] for f in document["findings"]] == [
        "RELATIONSHIP_COLUMNS_SAME_DATA_TYPE", "HIDE_FOREIGN_KEYS", "MSP_MEASURE_WITHOUT_FOLDER"]
    first = document["findings"][0]
    assert list(first) == ["rule_id", "severity", "severity_name", "object_type", "object_name", "message",
                           "hint", "file", "line"]
    assert first["severity_name"] == "error"
    assert first["file"] == "model.bim"
    assert first["line"] is None
    rebuilt = [Finding(**{k: v for k, v in f.items() if k != "severity_name"}) for f in document["findings"]]
    assert rebuilt == sort_findings(ALL)


def test_json_is_identical_for_any_input_order():
    assert render_json(ALL) == render_json(list(reversed(ALL)))
    assert json.loads(render_json([])) == {"findings": [], "summary": {"total": 0, "error": 0, "warning": 0,
                                                                       "info": 0}}


def test_github_commands_per_severity():
    lines = render_github(ALL).splitlines()
    assert lines == [
        "::error file=model.bim,title=RELATIONSHIP_COLUMNS_SAME_DATA_TYPE::relationship "
        "'BI_Autotask_Tickets'[company_id] -> 'BI_Companies'[id]: the columns are int64 and string "
        "(fix: Give both columns the same data type.)",
        "::warning file=model.bim,line=12,title=HIDE_FOREIGN_KEYS::column 'BI_Autotask_Tickets'[status]: "
        "foreign key is visible (fix: Set isHidden to true.)",
        "::notice title=MSP_MEASURE_WITHOUT_FOLDER::measure [CSAT - Happy %25]: no display folder "
        "(fix: Put the measure in a display folder.)",
    ]


def test_github_escapes_data_and_properties():
    finding = Finding("R,1:x", 3, "measure", "[100%\r\nDone]", "a: b, c", "", file="dir:a,b%.bim", line=3)
    assert render_github([finding]) == (
        "::error file=dir%3Aa%2Cb%25.bim,line=3,title=R%2C1%3Ax::measure [100%25%0D%0ADone]: a: b, c\n"
    )
    assert render_github([]) == ""


def _parse(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(xml.encode("utf-8"))


def test_junit_one_testcase_per_checked_rule_with_failures():
    second_warning = Finding("HIDE_FOREIGN_KEYS", 2, "column", "'BI_Autotask_Tickets'[queue_id]",
                             "foreign key is visible", "Set isHidden to true.")
    checked = ["HIDE_FOREIGN_KEYS", "RELATIONSHIP_COLUMNS_SAME_DATA_TYPE", "AVOID_FLOATING_POINT_DATA_TYPES"]
    root = _parse(junit_xml([*ALL, second_warning], suite="lint", checked=checked))
    assert root.tag == "testsuite"
    assert root.get("name") == "lint"
    cases = root.findall("testcase")
    # the info finding matches no checked rule: it gets a testcase of its own, appended
    assert [c.get("name") for c in cases] == [*checked, "MSP_MEASURE_WITHOUT_FOLDER"]
    assert root.get("tests") == "4"
    assert root.get("failures") == "3"
    failures = {c.get("name"): c.findall("failure") for c in cases}
    assert len(failures["HIDE_FOREIGN_KEYS"]) == 2
    assert len(failures["RELATIONSHIP_COLUMNS_SAME_DATA_TYPE"]) == 1
    assert failures["AVOID_FLOATING_POINT_DATA_TYPES"] == []
    first = failures["HIDE_FOREIGN_KEYS"][0]
    assert first.get("type") == "warning"
    assert first.get("message") == "column 'BI_Autotask_Tickets'[queue_id]: foreign key is visible"
    assert "Set isHidden to true." in first.text


def test_junit_matches_findings_to_checked_objects():
    mismatch = Finding("CHECK_MISMATCH", 3, "measure", "[CSAT %]", "0.5 != 0.6", "")
    root = _parse(junit_xml([mismatch], suite="check", checked=["[CSAT %]", "[Tickets]"]))
    cases = root.findall("testcase")
    assert [c.get("name") for c in cases] == ["[CSAT %]", "[Tickets]"]
    assert len(cases[0].findall("failure")) == 1
    assert cases[1].findall("failure") == []
    assert root.get("failures") == "1"


def test_junit_is_valid_with_control_characters_and_deterministic():
    odd = Finding("AVOID_INVALID_NAME_CHARACTERS", 3, "measure", "[Bell\x07 <&> \"q\"]", "bad\x00", "")
    xml = junit_xml([odd, *ALL], suite="lint <suite>", checked=["AVOID_INVALID_NAME_CHARACTERS"])
    root = _parse(xml)
    assert root.get("name") == "lint <suite>"
    failure = root.find("testcase/failure")
    assert failure.get("message") == 'measure [Bell\\x07 <&> "q"]: bad\\x00'
    assert xml == junit_xml(list(reversed([odd, *ALL])), suite="lint <suite>",
                            checked=["AVOID_INVALID_NAME_CHARACTERS"])


def test_junit_without_findings_has_only_passing_testcases():
    root = _parse(junit_xml([], suite="lint", checked=["A", "B", "A"]))
    assert [c.get("name") for c in root.findall("testcase")] == ["A", "B"]
    assert root.get("failures") == "0"
    assert root.findall(".//failure") == []


@pytest.mark.parametrize(
    ("fail_on", "findings", "expected"),
    [
        ("error", ALL, True),
        ("error", [WARNING, INFO], False),
        ("warning", [WARNING], True),
        ("warning", [INFO], False),
        ("warning", [ERROR], True),
        ("info", [INFO], True),
        ("info", [], False),
        ("never", ALL, False),
    ],
)
def test_exceeds_thresholds(fail_on, findings, expected):
    assert exceeds(findings, fail_on) is expected


def test_exceeds_rejects_unknown_threshold():
    with pytest.raises(ToolError, match="--fail-on must be one of info, warning, error, never"):
        exceeds(ALL, "fatal")
