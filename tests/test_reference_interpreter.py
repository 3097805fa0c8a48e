"""The reference interpreter of measure specs (``generator/reference/interpreter.py``) and what ``validate`` does
with it: it agrees with the hand-written reference of the shipped measures (the second oracle) on the demo and on
random datasets; an MSP's own measures, a family and a raw DAX measure with a declared reference validate with
no Python; wrong DAX or a wrong reference is caught; a raw measure without reference is unverified."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from random_data import build_tables, plans

from generator.errors import SpecError, ToolError
from generator.reference import MEASURES, Parameters, compared_on, evaluate_all
from generator.reference.interpreter import Interpreter, NotComparable, Unverifiable
from generator.reference.slicing import STANDARD_SLICES
from generator.spec.loader import load_model
from generator.spec.locate import default_spec_dir
from generator.targets.duckdb_db import DuckDBDatabase
from generator.targets.frames import read_semantic_tables
from generator.validation.compare import _row_key, resolve_slice, same_value, spec_interpreter, spec_reference

SPECS = default_spec_dir()
MODEL = load_model(SPECS)
PARAMETERS = Parameters(**{p.name: p.value for p in MODEL.parameters})
RAW_WITHOUT_REFERENCE = {m.name for m in MODEL.measures if m.kind == "dax"}


@pytest.fixture(scope="module")
def demo_tables(demo_db: str) -> Iterator[dict[str, pd.DataFrame]]:
    connection = duckdb.connect(demo_db, read_only=True)
    try:
        yield read_semantic_tables(DuckDBDatabase(connection, Path(demo_db)), MODEL)
    finally:
        connection.close()


def _disagreements(tables: dict[str, pd.DataFrame]) -> tuple[list[str], set[str]]:
    """Every (slice, measure, row) where the interpreter and the hand-written reference differ, and the measures
    the interpreter could not compute."""
    interpreter = spec_interpreter(MODEL, SPECS, tables)
    problems: list[str] = []
    unverifiable: set[str] = set()
    for slice_name, axes in STANDARD_SLICES.items():
        expected = evaluate_all(tables, slice_name, PARAMETERS)
        for measure in compared_on(slice_name, list(MEASURES)):
            try:
                got = interpreter.evaluate(measure, axes)
            except Unverifiable:
                unverifiable.add(measure)
                continue
            except NotComparable:
                continue
            mine = {_row_key(k): v for k, v in got.items()}
            theirs = {_row_key(k): v for k, v in expected[measure].items()}
            if set(mine) != set(theirs):
                problems.append(f"{slice_name} {measure}: rows {sorted(map(str, set(mine) ^ set(theirs)))[:3]}")
            problems += [f"{slice_name} {measure} {key}: interpreter {mine[key]!r}, hand-written {value!r}"
                         for key, value in theirs.items() if key in mine and not same_value(mine[key], value)]
    return problems, unverifiable


def test_interpreter_agrees_with_hand_written_reference_on_demo(demo_tables) -> None:
    problems, unverifiable = _disagreements(demo_tables)
    assert problems == []
    assert unverifiable == RAW_WITHOUT_REFERENCE  # the shipped raw DAX measures declare no reference


@settings(max_examples=6, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans())
def test_interpreter_agrees_with_hand_written_reference_on_random_data(plan: Any) -> None:
    problems, _ = _disagreements(build_tables(plan))
    assert problems == []


def test_interpreter_agrees_on_the_hand_written_edge_cases() -> None:
    from test_engine_properties import HAND_WRITTEN

    for name, plan in HAND_WRITTEN.items():
        problems, _ = _disagreements(build_tables(plan))
        assert problems == [], name


def test_interpreter_reads_no_dax() -> None:
    """The interpreter's modules import nothing of the engine, the DAX generator or the DAX parser."""
    import ast

    import generator.reference

    for module in Path(generator.reference.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [n for n in names if n.startswith(("generator.engine", "generator.dax", "generator.measures"))]


def test_interpreter_on_a_slice_by_any_column(demo_tables) -> None:
    interpreter: Interpreter = spec_interpreter(MODEL, SPECS, demo_tables)
    by_type = interpreter.evaluate("CSAT - Total Ratings", (("BI_Autotask_Companies", "company_type"),))
    assert by_type.sum() == 3024 and by_type.index.name == "company_type"


# ------------------------------------------------------------------------------------------ validate, end to end

MINE = (Path(__file__).resolve().parents[1] / "docs" / "your-measures.md").read_text(encoding="utf-8")
USER_MEASURES = ("Tickets - Reopened", "Tickets - Reopened %", "Tickets - Avg Hours Worked",
                 "Tickets - Critical Closed", "Tickets - High Closed", "Tickets - Network Share %")
NETWORK_SHARE = '''
  - name: {name}
    kind: dax
    dax: |
      DIVIDE (
          CALCULATE ( COUNTROWS ( BI_Autotask_Tickets ), KEEPFILTERS ( BI_Autotask_Tickets[issue_type] = "{dax}" ) ),
          COUNTROWS ( BI_Autotask_Tickets )
      )
{reference}    format: percent
    description: Share of tickets of one issue type.
'''
REFERENCE = '''    reference:
      kind: ratio
      numerator:
        {{kind: count_where, table: BI_Autotask_Tickets, filter: 'BI_Autotask_Tickets[issue_type] = "{issue}"'}}
      denominator: {{kind: count, table: BI_Autotask_Tickets}}
      blank_numerator: blank
'''


# every other kind (and filter form) the interpreter reads, checked against the engine the same way
OTHER_KINDS = """  - {name: K - Companies Rated, kind: distinct_count, column: "BI_SmileBack_Reviews[company_id]",
     format: whole, description: d}
  - {name: K - Lowest Rating, kind: min, column: "BI_SmileBack_Reviews[rating]", format: whole, description: d}
  - {name: K - Most Hours, kind: max, column: "BI_Autotask_Tickets[hours_worked]", format: decimal,
     description: d}
  - name: K - Customer Hours
    kind: sum
    column: BI_Autotask_Tickets[hours_worked]
    filter: BI_Autotask_Companies[company_type] = "customer"
    format: decimal
    description: d
  - name: K - Reopened vs Portfolio
    kind: baseline_gap
    measure: Tickets - Reopened %
    remove_filters: [BI_Autotask_Companies]
    scale: 100
    format: decimal
    description: d
  - name: K - Reopened MoM
    kind: period_change
    measure: Tickets - Reopened %
    period: previous_month
    scale: 100
    format: decimal
    description: d
  - name: K - Many Reopened
    kind: threshold_flag
    measure: Tickets - Reopened
    operator: ">="
    threshold: reopened_alarm
    format: whole
    description: d
  - name: K - Reopen Tier
    kind: tiering
    inputs: {Pct: Tickets - Reopened %}
    blank_when_blank: Pct
    tiers: [{label: Bad, when: "Pct > 0.1"}]
    otherwise: Fine
    format: whole
    description: d
  - {name: K - Opened minus Reopened, kind: difference, left: Tickets - Opened, right: Tickets - Reopened,
     format: whole, description: d}
  - name: K - Urgent Closed
    kind: count_where
    table: BI_Autotask_Tickets
    filter: >-
      BI_Autotask_Tickets[priority] IN { "Critical", "high" }
      && NOT ISBLANK ( BI_Autotask_Tickets[completed_date] )
    format: whole
    description: d
  - name: K - Avg Response by Opened
    kind: average
    over: BI_Autotask_Tickets
    expression: ( BI_Autotask_Tickets[first_response_at] - BI_Autotask_Tickets[created_at] ) * 24
    use_relationship: {from: "BI_Autotask_Tickets[created_date]", to: "BI_Date[date]"}
    format: decimal
    description: d
"""
OTHER_KIND_NAMES = tuple(re.findall(r"name: (K - [^,\n]+)", OTHER_KINDS))


def _with_my_measures(specs: Path, extra: str = "") -> Path:
    """``specs`` with the example measures of docs/your-measures.md (and ``extra`` measures) added."""
    example = MINE.split("<!-- file: myspecs/measures/10-mine.yaml -->\n```yaml\n", 1)[1].split("```", 1)[0]
    (specs / "measures" / "10-mine.yaml").write_text(example + extra, encoding="utf-8")
    return specs


def _measures(*names: str) -> list[str]:
    return [part for name in names for part in ("--measure", name)]


def test_users_measures_validate_green_with_no_python(cli, demo_db: str, spec_copy: Path) -> None:
    """count_where, ratio, average, a family and a raw DAX measure with a reference (and a measure of every other
    kind, one using a parameter of the user's own), on every standard slice and on the companies' type."""
    assert any(c.name == "company_type" for t in MODEL.tables if t.name == "BI_Autotask_Companies" for c in t.columns)
    specs = _with_my_measures(spec_copy, OTHER_KINDS)
    with (specs / "measures" / "00-parameters.yaml").open("a", encoding="utf-8") as parameters:
        parameters.write("  reopened_alarm:\n    value: 25\n    description: Reopened tickets that raise the alarm.\n")
    assert len(OTHER_KIND_NAMES) == 11
    slices = [*STANDARD_SLICES, "BI_Autotask_Companies[company_type]"]
    result = cli("validate", "--db", demo_db, "--specs", str(specs), *_measures(*USER_MEASURES, *OTHER_KIND_NAMES),
                 *[part for name in slices for part in ("--slice", name)], "--require-reference")
    assert result.code == 0, result.out + result.err
    assert "(17 measures x 8 slices): 0 mismatches (" in result.out and "unverified" not in result.out


def test_wrong_dax_or_reference_is_caught_and_an_undeclared_raw_measure_is_unverified(
        cli, demo_db: str, spec_copy: Path) -> None:
    extra = (NETWORK_SHARE.format(name="Wrong DAX", dax="Hardware", reference=REFERENCE.format(issue="Network"))
             + NETWORK_SHARE.format(name="Wrong Reference", dax="Network", reference=REFERENCE.format(issue="Backup"))
             + NETWORK_SHARE.format(name="Undeclared", dax="Network", reference=""))
    specs = _with_my_measures(spec_copy, extra)
    caught = cli("validate", "--db", demo_db, "--specs", str(specs), "--slice", "total", "--slice", "client",
                 *_measures("Wrong DAX", "Wrong Reference", "Undeclared"))
    assert caught.code == 1, caught.out + caught.err
    mismatched = {line.split("  ")[0] for line in caught.out.splitlines()[2:] if "  total  " in line}
    assert mismatched == {"Wrong DAX", "Wrong Reference"}
    assert "unverified: Undeclared: raw DAX with no 'reference' in its spec" in caught.out

    unverified = cli("validate", "--db", demo_db, "--specs", str(specs), "--slice", "total",
                     *_measures("Undeclared", "Tickets - Network Share %"))
    assert unverified.code == 0, unverified.out + unverified.err
    assert "0 mismatches, 1 unverified" in unverified.out.splitlines()[-1]
    required = cli("validate", "--db", demo_db, "--specs", str(specs), "--slice", "total", "--json",
                   "--require-reference", *_measures("Undeclared", "Tickets - Network Share %"))
    assert required.code == 1, required.out + required.err
    report = json.loads(required.out)
    assert report["passed"] is False and report["mismatches"] == []
    assert [u["measure"] for u in report["unverified"]] == ["Undeclared"]

    lint = cli("lint", "--specs", str(specs), "--rules", "MSP_NO_REFERENCE_IMPLEMENTATION")
    assert lint.code == 0, lint.out + lint.err
    assert "[Undeclared]" in lint.out and "'reference:' in its spec" in lint.out
    assert "Wrong DAX" not in lint.out and "Tickets - Reopened" not in lint.out


def test_a_bad_reference_is_reported_at_its_line(spec_copy: Path) -> None:
    bad = (NETWORK_SHARE.format(name="Bad", dax="Network", reference=REFERENCE.format(issue="Network"))
           .replace("BI_Autotask_Tickets[issue_type] = \"Network\"'", "BI_Autotask_Tickets[issue_typ] = \"Network\"'")
           .replace("{kind: count, table: BI_Autotask_Tickets}", "{kind: count, tabel: BI_Autotask_Tickets}")
           .replace("blank_numerator: blank", "blank_numerator: none"))
    specs = _with_my_measures(spec_copy, bad)
    with pytest.raises(SpecError) as raised:
        load_model(specs)
    lines = (specs / "measures" / "10-mine.yaml").read_text(encoding="utf-8").splitlines()
    found = {(p.line, p.message.split(": 'reference' ", 1)[1]) for p in raised.value.problems}
    numerator = next(i for i, line in enumerate(lines, 1) if "issue_typ]" in line)
    assert found == {
        (numerator, "names an unknown column BI_Autotask_Tickets[issue_typ]; did you mean 'issue_type'?"),
        (numerator + 1, "has unknown key 'tabel' for kind count; did you mean 'table'?"),
        (numerator + 1, "of kind count needs 'table'"),
        (numerator + 2, "blank_numerator must be zero or blank"),
    }
    assert all(p.file == "measures/10-mine.yaml" for p in raised.value.problems)


@pytest.mark.parametrize(("slice_name", "hint"), [
    ("clients", "did you mean 'client'?"),
    ("BI_Autotask_Company[company_type]", "did you mean 'BI_Autotask_Companies'?"),
    ("BI_Autotask_Companies[company_typ]", "did you mean BI_Autotask_Companies[company_type]?"),
])
def test_an_unknown_slice_gets_a_did_you_mean(slice_name: str, hint: str) -> None:
    with pytest.raises(ToolError, match=re.escape(hint)):
        resolve_slice(slice_name, MODEL)
    assert resolve_slice("BI_Date[month_start], BI_Autotask_Companies[company_type]", MODEL) == (
        "BI_Date[month_start],BI_Autotask_Companies[company_type]")


def test_a_filter_on_a_dimension_and_the_fact_rows_without_a_match() -> None:
    """Tickets with no technician land on the technicians' blank row: ISBLANK of its name holds there."""
    from test_engine_properties import EDGE_CASES

    tables = build_tables(EDGE_CASES)
    shipped = spec_reference(MODEL, SPECS)
    named = "BI_Autotask_Resources[technician_name]"
    measures = {"Unassigned": {"kind": "count_where", "table": "BI_Autotask_Tickets", "filter": f"ISBLANK ( {named} )"},
                "Assigned": {"kind": "count_where", "table": "BI_Autotask_Tickets",
                             "filter": [f"NOT ISBLANK ( {named} )", f'{named} IN {{ "x", BLANK () }} || TRUE ()']}}
    interpreter = replace(shipped, measures=measures).on(tables)
    unassigned = tables["BI_Autotask_Tickets"]["assigned_resource_id"].isna().sum()
    assert unassigned > 0
    assert interpreter.evaluate("Unassigned", ()).tolist() == [unassigned]
    assert interpreter.evaluate("Assigned", ()).tolist() == [len(tables["BI_Autotask_Tickets"]) - unassigned]


def test_a_reference_names_columns_exactly_and_a_case_slip_gets_the_declared_spelling(spec_copy: Path) -> None:
    # the pandas reference reads columns by the names written, so unlike DAX the spelling must be exact; the
    # hint comes from the one resolver (generator/semantic/names.py), which compares names in any case
    bad = (NETWORK_SHARE.format(name="Bad", dax="Network", reference=REFERENCE.format(issue="Network"))
           .replace("BI_Autotask_Tickets[issue_type] = \"Network\"'", "BI_Autotask_Tickets[ISSUE_TYPE] = \"Network\"'"))
    specs = _with_my_measures(spec_copy, bad)
    with pytest.raises(SpecError) as raised:
        load_model(specs)
    assert [p.message.split(": 'reference' ", 1)[1] for p in raised.value.problems] == [
        "names an unknown column BI_Autotask_Tickets[ISSUE_TYPE]; did you mean 'issue_type'?"]
