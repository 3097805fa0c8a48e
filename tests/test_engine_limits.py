"""Deep, long and expensive DAX through ``gen-measures query``: ordinary shapes (a slicer's 200-value IN, a 200-term
sum, 300 measures built on each other, 50 nested parentheses) evaluate; absurd ones end in one sentence, exit 2,
never a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

REVIEWS = "BI_SmileBack_Reviews"


def _query_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "query.dax"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_deep_and_long_dax_evaluates(cli, demo_db: str, tmp_path: Path) -> None:
    chained = [f"MEASURE {REVIEWS}[m0] = 1"] + [f"MEASURE {REVIEWS}[m{i}] = [m{i - 1}] + 1" for i in range(1, 300)]
    slicer = ", ".join(str(value) for value in range(200))  # the demo's ratings are 1, 3 and 5
    some = " || ".join(f"{REVIEWS}[rating] = {value}" for value in (5, *range(6, 205)))
    text = "DEFINE\n" + "\n".join(chained) + "\nEVALUATE ROW(" + ", ".join([
        '"parens", ' + "(" * 50 + "7" + ")" * 50,
        '"sum", ' + " + ".join(["1"] * 200),
        '"mixed", ' + " - ".join(["1"] * 200),
        '"words", LEN(' + " & ".join(['"ab"'] * 200) + ")",
        f'"in", CALCULATE(COUNTROWS({REVIEWS}), {REVIEWS}[rating] IN {{ {slicer} }})',
        f'"or", CALCULATE(COUNTROWS({REVIEWS}), {some})',
        f'"all", CALCULATE(COUNTROWS({REVIEWS}), ' + " && ".join([f"{REVIEWS}[rating] > 0"] * 100) + ")",
        '"not", ' + "NOT " * 201 + "FALSE",
        '"chain", [m299]',
        '"if", ' + "IF(TRUE, " * 60 + "42" + ", 0)" * 60,
    ]) + ")\n"
    result = cli("query", "--db", demo_db, "--format", "json", "--file", _query_file(tmp_path, text))
    assert result.code == 0, result.err[-2000:]
    assert json.loads(result.out) == [{"[parens]": 7, "[sum]": 200, "[mixed]": -198, "[words]": 400, "[in]": 3024,
                                       "[or]": 2721, "[all]": 3024, "[not]": True, "[chain]": 300, "[if]": 42}]


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ('EVALUATE ROW("x", ' + "(" * 5000 + "1" + ")" * 5000 + ")", "nesting deeper than 256 at 1:274"),
        ('EVALUATE ROW("x", ' + "+".join(["1"] * 5000) + ")", "nesting deeper than 256 at 1:530"),
        ("DEFINE " + " ".join([f"MEASURE {REVIEWS}[m0] = 1"] + [f"MEASURE {REVIEWS}[m{i}] = [m{i - 1}] + 1"
                               for i in range(1, 2000)]) + ' EVALUATE ROW("x", [m1999])',
         "measure references nesting deeper than 512 at"),
    ],
    ids=["5000 parentheses", "5000-term sum", "2000 measures on each other"],
)
def test_absurd_depth_is_one_sentence(cli, demo_db: str, tmp_path: Path, text: str, sentence: str) -> None:
    started = time.monotonic()
    result = cli("query", "--db", demo_db, "--file", _query_file(tmp_path, text))
    assert (result.code, result.out) == (2, "")
    assert sentence in result.err
    assert "Traceback" not in result.err and len(result.err.splitlines()) == 1
    assert time.monotonic() - started < 60


# ---------------------------------------------------------------------------------------- time and memory bounds
def test_a_2000_row_table_constructor_is_linear(cli, demo_db: str, tmp_path: Path) -> None:
    rows = ", ".join(f'({value}, "r{value}")' for value in range(2000))
    text = f"EVALUATE {{ {rows} }}\nORDER BY [Value1]\nEVALUATE ROW(\"n\", COUNTROWS({{ {rows} }}))\n"
    started = time.monotonic()
    result = cli("query", "--db", demo_db, "--format", "json", "--file", _query_file(tmp_path, text))
    assert result.code == 0, result.err[-2000:]
    table, count = json.loads(result.out)
    assert table == [{"[Value1]": value, "[Value2]": f"r{value}"} for value in range(2000)]
    assert count == [{"[n]": 2000}]
    assert time.monotonic() - started < 60  # a UNION ALL chain copied per row took minutes


FACTS = f"CROSSJOIN({REVIEWS}, BI_Autotask_Tickets, BI_Autotask_TimeEntries)"  # ~5e11 rows


@pytest.mark.parametrize(
    "args",
    [
        ["query", f'EVALUATE ROW("n", COUNTROWS({FACTS}))'],
        ["query", f"EVALUATE {FACTS}"],
        ["validate"],
        ["validate", "--roles"],
        ["report", "--out", "{tmp}/report.html"],
    ],
    ids=["query count", "query rows", "validate", "validate --roles", "report"],
)
def test_timeout_ends_in_one_sentence(cli, demo_db: str, tmp_path: Path, args: list[str]) -> None:
    timeout = "1" if args[0] == "query" else "0.3"  # validate and report take seconds on the demo data
    started = time.monotonic()
    result = cli(*[arg.format(tmp=tmp_path) for arg in args], "--db", demo_db, "--timeout", timeout)
    assert result.code == 2, result.err[-2000:]
    assert result.err.strip().splitlines()[-1] == (f"error: the query did not finish within {timeout} s; raise "
                                                   "--timeout (or narrow the query)")
    assert "Traceback" not in result.err and "mismatch" not in result.out
    assert not (tmp_path / "report.html").exists()
    assert time.monotonic() - started < 60


def test_memory_limit_ends_in_one_sentence(cli, demo_db: str) -> None:
    query = (f'EVALUATE SELECTCOLUMNS(CROSSJOIN({REVIEWS}, BI_Autotask_Companies), "a", {REVIEWS}[comment] & '
             "BI_Autotask_Companies[company_name]) ORDER BY [a]")
    result = cli("query", "--db", demo_db, "--memory-limit", "1MB", "--format", "csv", query)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("error: the query needed more than the memory limit of 1MB; raise --memory-limit (or "
                          "narrow the query)\n")
    assert cli("query", "--db", demo_db, "--memory-limit", "100MB", "--format", "csv", query).code == 0
    bad = cli("query", "--db", demo_db, "--memory-limit", "lots", 'EVALUATE ROW("x", 1)')
    assert (bad.code, bad.err) == (2, "error: --memory-limit must be a size such as 500MB or 4GB, not 'lots'\n")


def test_a_spec_measure_nested_60_deep_builds_and_evaluates(cli, demo_db: str, spec_copy: Path,
                                                             tmp_path: Path) -> None:
    deep = "IF ( TRUE (), " * 60 + f"COUNTROWS ( {REVIEWS} )" + ", 0 )" * 60
    measures = spec_copy / "measures" / "04-clients.yaml"
    text = measures.read_text(encoding="utf-8")
    entry = (f"measures:\n  - name: Deep Count\n    home_table: {REVIEWS}\n    folder: Deep\n    kind: dax\n"
             f"    dax: |\n      {deep}\n    format: whole\n    description: Nested 60 deep.\n")
    measures.write_text(text.replace("measures:\n", entry, 1), encoding="utf-8")
    built = cli("build", "--specs", str(spec_copy), "--out", str(tmp_path / "out"))
    assert built.code == 0, built.err[-2000:]
    assert "Deep Count" in (tmp_path / "out" / "model.bim").read_text(encoding="utf-8")
    result = cli("query", "--db", demo_db, "--specs", str(spec_copy), "--format", "json",
                 'EVALUATE ROW("n", [Deep Count])')
    assert result.code == 0, result.err[-2000:]
    assert json.loads(result.out) == [{"[n]": 3024}]
