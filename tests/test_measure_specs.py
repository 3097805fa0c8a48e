"""Measure specs (measures/*.yaml): the catalogue they give, and every kind of bad input reported with file,
line and a sentence, exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.dax.parser import parse_expression
from generator.errors import EXIT_BAD_INPUT, SpecError
from generator.reference import MEASURES as REFERENCE_MEASURES
from generator.spec.loader import load_model

ROOT = Path(__file__).resolve().parent.parent
CSAT = "measures/01-csat.yaml"
SMILEBACK = "measures/02-smileback.yaml"
TICKETS = "measures/03-tickets.yaml"
PARAMETERS = "measures/00-parameters.yaml"


def edit(spec_dir: Path, file: str, old: str, new: str) -> None:
    """Replace the single occurrence of ``old`` in ``spec_dir/file``."""
    path = spec_dir / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(spec_dir: Path, file: str, needle: str) -> int:
    """The 1-based line of the single line holding ``needle``."""
    lines = [i for i, line in enumerate((spec_dir / file).read_text(encoding="utf-8").splitlines(), 1)
             if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines} of {file}"
    return lines[0]


def problems(spec_dir: Path) -> list[str]:
    """The problems the loader reports, as ``file:line: message`` strings."""
    with pytest.raises(SpecError) as caught:
        load_model(spec_dir)
    return [str(problem) for problem in caught.value.problems]


def single(spec_dir: Path, file: str, line: int, *fragments: str) -> None:
    """Exactly one problem, at ``file:line``, holding every fragment."""
    found = problems(spec_dir)
    assert len(found) == 1, found
    assert found[0].startswith(f"{file}:{line}: "), found
    for fragment in fragments:
        assert fragment in found[0], found


@pytest.fixture(scope="module")
def model():
    return load_model(ROOT)


# ----------------------------------------------------------------------------------------- the catalogue


def test_every_catalogue_measure_is_generated_with_its_exact_name(model) -> None:
    assert [m.name for m in model.measures] == list(REFERENCE_MEASURES)


def test_every_measure_has_folder_description_format_and_parses(model) -> None:
    folders = {"CSAT", "SmileBack", "NPS", "Tickets", "Clients"}
    for measure in model.measures:
        assert measure.folder in folders, measure.name
        assert measure.description and "{{" not in measure.description, measure.name
        assert measure.format_string or "PROVIDE_FORMAT_STRING_FOR_MEASURES" in dict(measure.lint_ignore)
        parse_expression(measure.expression)


def test_the_family_gives_a_count_and_a_share_per_rating_bucket(model) -> None:
    for bucket, share, rating in (("Positive", "Happy", 5), ("Neutral", "Neutral", 3), ("Negative", "Unhappy", 1)):
        count = model.measure(f"CSAT - {bucket}")
        assert f"BI_SmileBack_Reviews[rating] = {rating}" in count.expression
        assert model.measure(f"CSAT - {share} %").depends_on == (f"CSAT - {bucket}", "CSAT - Total Ratings")


def test_response_rate_aligns_the_survey_month_with_the_date_table(model) -> None:
    rate = model.measure("SB - Survey Response Rate %").expression
    assert "ISFILTERED ( BI_SmileBack_Surveys[survey_month] )" in rate
    assert "TREATAS ( VALUES ( BI_SmileBack_Surveys[survey_month] ), BI_Date[month_start] )" in rate
    assert "DIVIDE ( [SB - Survey Responses] + 0, Denominator )" in rate


def test_opened_tickets_activate_the_created_date_relationship(model) -> None:
    opened = model.measure("Tickets - Opened").expression
    assert "USERELATIONSHIP ( BI_Autotask_Tickets[created_date], BI_Date[date] )" in opened


def test_generated_dax_follows_the_house_style(model) -> None:
    for measure in model.measures:
        for line in measure.expression.splitlines():
            assert line == line.rstrip(), measure.name
            indent = len(line) - len(line.lstrip(" "))
            assert indent % 4 == 0 and "\t" not in line, measure.name
        assert " / " not in measure.expression, f"{measure.name} divides without DIVIDE"


def test_parameters_are_used_and_changing_one_changes_the_dax(spec_copy: Path) -> None:
    before = load_model(spec_copy)
    assert before.measure("CSAT - Low Confidence").expression == "[CSAT - Total Ratings] < 10"
    assert "(10)" in before.measure("CSAT - Low Confidence").description
    edit(spec_copy, PARAMETERS, "    value: 10\n    description: A slice with fewer",
         "    value: 25\n    description: A slice with fewer")
    edit(spec_copy, PARAMETERS, "    value: 0.90", "    value: 0.95")
    after = load_model(spec_copy)
    assert after.measure("CSAT - Low Confidence").expression == "[CSAT - Total Ratings] < 25"
    tier = after.measure("CSAT - Risk Tier").expression
    assert "HappyPct < 0.85 || PortfolioGap <= -10" in tier and "HappyPct < 0.95 ||" in tier


def test_parameter_values_given_to_the_loader_generate_the_same_model_as_edited_specs(spec_copy: Path) -> None:
    """``load_model(parameters=…)`` (the report's --target/--min-responses) equals editing the YAML values."""
    edit(spec_copy, PARAMETERS, "    value: 10\n    description: A slice with fewer",
         "    value: 25\n    description: A slice with fewer")
    edit(spec_copy, PARAMETERS, "    value: 0.90", "    value: 0.95")
    edited = load_model(spec_copy)
    given = load_model(ROOT, parameters={"low_confidence_threshold": 25, "target_happy_pct": 0.95})
    assert [(m.name, m.expression, m.description) for m in given.measures] == \
        [(m.name, m.expression, m.description) for m in edited.measures]
    assert {p.name: p.value for p in given.parameters} == {p.name: p.value for p in edited.parameters}
    assert load_model(ROOT).measure("CSAT - Low Confidence").expression == "[CSAT - Total Ratings] < 10"
    with pytest.raises(SpecError, match="no parameter 'target_happy' is declared, so it cannot be set"):
        load_model(ROOT, parameters={"target_happy": 0.5})


# ------------------------------------------------------------------------------------------ bad input


def test_unknown_column_in_a_filter(spec_copy: Path) -> None:
    edit(spec_copy, CSAT, 'filter: "BI_SmileBack_Reviews[rating] = {{ rating }}"',
         'filter: "BI_SmileBack_Reviews[ratng] = {{ rating }}"')
    found = problems(spec_copy)
    assert all("unknown column 'BI_SmileBack_Reviews[ratng]'; did you mean 'rating'?" in p for p in found), found
    assert {p.split(":")[0] for p in found} == {CSAT}


def test_unknown_measure_reference(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "    left: Tickets - Opened\n", "    left: Tickets - Openned\n")
    line = line_of(spec_copy, TICKETS, "  - name: Tickets - Backlog Change")
    single(spec_copy, TICKETS, line, "refers to unknown measure [Tickets - Openned]",
           "did you mean 'Tickets - Opened'?")


def test_cycle_between_measures(spec_copy: Path) -> None:
    edit(spec_copy, CSAT, "    measure: CSAT - Total Ratings\n    operator:",
         "    measure: CSAT - Risk Tier\n    operator:")
    edit(spec_copy, CSAT, "      HappyPct: CSAT - Happy %", "      HappyPct: CSAT - Low Confidence")
    found = problems(spec_copy)
    assert len(found) == 1, found
    assert "cycle: [CSAT - Low Confidence] -> [CSAT - Risk Tier] -> [CSAT - Low Confidence]" in found[0] \
        or "cycle: [CSAT - Risk Tier] -> [CSAT - Low Confidence] -> [CSAT - Risk Tier]" in found[0], found


def test_raw_dax_that_does_not_parse_points_at_its_line(spec_copy: Path) -> None:
    edit(spec_copy, SMILEBACK, "RETURN\n          DIVIDE ( Promoters - Detractors + 0, Responses ) * 100",
         "RETURN\n          DIVIDE ( Promoters - Detractors + 0, Responses  * 100")
    line = line_of(spec_copy, SMILEBACK, "DIVIDE ( Promoters - Detractors + 0, Responses  * 100")
    single(spec_copy, SMILEBACK, line, "measure 'NPS - Score': the DAX does not parse", "expected ')'")


def test_filter_that_does_not_parse(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "    filter: NOT ISBLANK ( BI_Autotask_Tickets[completed_date] )\n    format: whole",
         "    filter: NOT ISBLANK ( BI_Autotask_Tickets[completed_date]\n    format: whole")
    lines = (spec_copy / TICKETS).read_text(encoding="utf-8").splitlines()
    line = lines.index("    filter: NOT ISBLANK ( BI_Autotask_Tickets[completed_date]") + 1
    single(spec_copy, TICKETS, line, "measure 'Tickets - Closed': 'filter' is not valid DAX")


def test_duplicate_name_is_case_insensitive(spec_copy: Path) -> None:
    edit(spec_copy, SMILEBACK, "  - name: SB - Survey Responses\n", "  - name: csat - total ratings\n")
    line = line_of(spec_copy, SMILEBACK, "  - name: csat - total ratings")
    found = problems(spec_copy)
    assert any(p.startswith(f"{SMILEBACK}:{line}: ") and "is declared twice (first at measures/01-csat.yaml:"
               in p for p in found), found


def test_unknown_kind_suggests_the_closest(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "    kind: difference\n", "    kind: diference\n")
    line = line_of(spec_copy, TICKETS, "    kind: diference")
    single(spec_copy, TICKETS, line, "unknown kind 'diference'; did you mean 'difference'?")


def test_missing_argument(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "    right: Tickets - Closed\n", "")
    line = line_of(spec_copy, TICKETS, "  - name: Tickets - Backlog Change")
    single(spec_copy, TICKETS, line, "measure 'Tickets - Backlog Change' (kind difference) has no 'right'")


def test_unknown_argument_key(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "    right: Tickets - Closed\n", "    right: Tickets - Closed\n    scael: 2\n")
    line = line_of(spec_copy, TICKETS, "    scael: 2")
    single(spec_copy, TICKETS, line, "unknown key 'scael'", "did you mean 'scale'?")


def test_unknown_template_variable(spec_copy: Path) -> None:
    edit(spec_copy, CSAT, 'description: "Number of reviews rated {{ share }} ({{ rating }})."',
         'description: "Number of reviews rated {{ shar }} ({{ rating }})."')
    found = problems(spec_copy)
    assert found and all("'shar' is undefined" in p for p in found), found


def test_use_relationship_must_name_an_inactive_relationship(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, 'to: "BI_Date[date]"}\n    format: whole\n    description: Tickets created',
         'to: "BI_Autotask_Tickets[ticket_id]"}\n    format: whole\n    description: Tickets created')
    found = problems(spec_copy)
    assert len(found) == 1 and "no relationship of the model joins these columns" in found[0], found


def test_missing_description_and_folder(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "    description: Tickets opened minus tickets closed.\n", "")
    line = line_of(spec_copy, TICKETS, "  - name: Tickets - Backlog Change")
    single(spec_copy, TICKETS, line, "measure 'Tickets - Backlog Change' has no 'description'")


def test_build_with_bad_specs_writes_nothing(spec_copy: Path, tmp_path: Path, cli) -> None:
    edit(spec_copy, TICKETS, "    left: Tickets - Opened\n", "    left: Tickets - Openned\n")
    out = tmp_path / "out"
    result = cli("build", "--specs", str(spec_copy), "--out", str(out))
    assert result.code == EXIT_BAD_INPUT, result
    assert "measures/03-tickets.yaml:" in result.err and "Traceback" not in result.err
    assert not out.exists() and not (tmp_path / "docs").exists()


def test_names_in_another_case_resolve_to_the_declared_spelling(spec_copy: Path) -> None:
    # DAX names are case-insensitive (generator/semantic/names.py): the rendered DAX uses the model's spelling
    before = load_model(spec_copy).measure("SB - Average CSAT Score").expression
    edit(spec_copy, "measures/02-smileback.yaml", "    column: BI_SmileBack_Surveys[score]\n",
         "    column: bi_smileback_surveys[SCORE]\n")
    edit(spec_copy, "measures/02-smileback.yaml", "    kind: count\n    table: BI_SmileBack_Surveys\n",
         "    kind: count\n    table: BI_SMILEBACK_SURVEYS\n")
    after = load_model(spec_copy)
    assert after.measure("SB - Average CSAT Score").expression == before
    assert "BI_SmileBack_Surveys" in after.measure("SB - Survey Responses").expression
    assert "BI_SMILEBACK_SURVEYS" not in after.measure("SB - Survey Responses").expression
