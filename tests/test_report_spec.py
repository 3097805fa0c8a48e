"""The report spec (``report/*.yaml``): the repository's nine pages load against the model, and every broken
edit is one problem naming the file, the exact line and, for a misspelt name, the closest one.

Cases call ``load_model`` on an edited copy of the specs (fast); expected lines are computed from the edited
text, never hard-coded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.errors import SpecError
from generator.spec.loader import load_model
from generator.spec.report import CANVAS, VISUAL_KINDS

ROOT = Path(__file__).resolve().parent.parent
REPORT = "report/report.yaml"


@pytest.fixture(scope="module")
def model():
    return load_model(ROOT)


def test_the_repository_report_has_the_nine_pages_of_the_issue(model) -> None:
    report = model.report
    assert [page.title for page in report.pages] == [
        "Headline", "Clients ranked", "Queues", "Monthly trend", "Technicians", "Low-confidence clients",
        "Risk tiers", "Ticket KPIs", "Client detail"]
    assert [page.name for page in report.pages if page.drillthrough] == ["client_detail"]
    kinds = {visual.kind for page in report.pages for visual in page.visuals}
    assert kinds == set(VISUAL_KINDS)  # every visual type the spec offers is used at least once
    for page in report.pages:
        for visual in page.visuals:
            x, y, width, height = visual.position
            assert x + width <= CANVAS[0] and y + height <= CANVAS[1], visual.name
    synced = {visual.sync for page in report.pages for visual in page.visuals if visual.kind == "slicer"}
    assert synced == {"period", "client"}


def test_without_a_report_folder_the_report_is_one_empty_page(tmp_path: Path) -> None:
    for folder in ("model", "measures", "sql"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    report = load_model(tmp_path).report
    assert [(page.title, page.visuals) for page in report.pages] == [("Page 1", ())]


def _edited(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    for folder in ("model", "measures", "sql", "report"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    text = (ROOT / REPORT).read_text(encoding="utf-8")
    assert old in text
    edited = text.replace(old, new, 1)
    (tmp_path / REPORT).write_text(edited, encoding="utf-8")
    return tmp_path, edited


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


CASES = {
    "unknown measure": ("values: CSAT - Total Ratings}", "values: CSAT - Total Rating}", "CSAT - Total Rating}",
                        "refers to unknown measure 'CSAT - Total Rating'; did you mean 'CSAT - Total Ratings'?"),
    "unknown column": ('category: "BI_Autotask_Queues[queue_name]"', 'category: "BI_Autotask_Queues[queue_nam]"',
                       "BI_Autotask_Queues[queue_nam]",
                       "refers to unknown column 'BI_Autotask_Queues[queue_nam]'; did you mean "
                       "'BI_Autotask_Queues[queue_name]'?"),
    "unknown table": ('details: "BI_Autotask_Resources[technician_name]"',
                      'details: "BI_Autotask_Resource[technician_name]"', "BI_Autotask_Resource[",
                      "refers to unknown table 'BI_Autotask_Resource'; did you mean 'BI_Autotask_Resources'?"),
    "unknown type": ("type: scatter", "type: scater", "type: scater", "unknown type 'scater'; did you mean "
                                                                       "'scatter'?"),
    "implicit measure": ("x: Tickets - Avg Hours per Ticket", 'x: "BI_Autotask_Tickets[hours_worked]"',
                         "x: \"BI_Autotask_Tickets[hours_worked]\"", "takes catalogue measures"),
    "measure as a category": ('category: "BI_Autotask_Queues[queue_name]"', "category: CSAT - Happy %",
                              "category: CSAT - Happy %", "takes model columns"),
    "off the canvas": ("position: {x: 20, y: 90, width: 1240, height: 300}",
                       "position: {x: 80, y: 90, width: 1240, height: 300}", "x: 80, y: 90, width: 1240",
                       "does not fit the 1280×720 page"),
    "unknown key": ("    title: Queues\n", "    titel: Queues\n", "titel: Queues", "did you mean 'title'?"),
    "sort by a field not shown": ('field: "BI_Date[month_start]", direction: ascending}\n\n  - name: technicians',
                                  "field: CSAT - Neutral %, direction: ascending}\n\n  - name: technicians",
                                  "sort: {field: CSAT - Neutral %, direction: ascending}",
                                  "sorts by [CSAT - Neutral %], which is not one of its fields"),
    "bad colour": ('good: "#2E7D32"', 'good: "green"', 'good: "green"', "must be a colour like #1F6FB2"),
    "reference line on a table": ("          - {field: CSAT - Low Confidence, op: \"=\", value: false}\n"
                                  "        conditional_formatting:",
                                  "          - {field: CSAT - Low Confidence, op: \"=\", value: false}\n"
                                  "        reference_lines: [{value: 0.9, label: target}]\n"
                                  "        conditional_formatting:",
                                  "reference_lines: [{value: 0.9", "reference lines go on a"),
    "duplicate visual": ("name: gap\n        type: table", "name: ranked\n        type: table",
                         "name: ranked\n", "visual of page 'clients' 'ranked' is declared twice"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_report_spec_names_file_line_and_the_fix(tmp_path: Path, case: str) -> None:
    old, new, needle, message = CASES[case]
    specs, edited = _edited(tmp_path, old, new)
    with pytest.raises(SpecError) as caught:
        load_model(specs)
    problems = [problem for problem in caught.value.problems if message in problem.message]
    expected_line = [number for number, line in enumerate(edited.splitlines(), 1) if needle.split("\n")[0] in line]
    assert problems, [str(problem) for problem in caught.value.problems]
    assert problems[0].file == REPORT
    assert problems[0].line in expected_line


def test_fields_in_another_case_resolve_to_the_declared_spelling(tmp_path: Path) -> None:
    # DAX names are case-insensitive (generator/semantic/names.py); the report binds the model's spelling
    specs, _ = _edited(tmp_path, 'category: "BI_Autotask_Queues[queue_name]"',
                       'category: "bi_autotask_queues[QUEUE_NAME]"')
    specs_report = load_model(specs).report
    fields = [field for page in specs_report.pages for visual in page.visuals for field in visual.all_fields]
    assert not [f for f in fields if f.name == "QUEUE_NAME" or f.table == "bi_autotask_queues"]
    assert any(f.table == "BI_Autotask_Queues" and f.name == "queue_name" for f in fields)
