"""Fuzzing the three kinds of text users hand the tool — DAX queries, spec YAML strings and CSV exports — with
hypothesis: whatever the input, the product either works or ends in its own error (a ToolError: one sentence, exit
2 at the CLI), within a bounded time. Never a RecursionError, a KeyError, a pandas or DuckDB exception, a hang.

The examples are derived from a fixed seed (``derandomize``), so CI runs the same inputs every time.
"""

from __future__ import annotations

import io
import shutil
import string
import time
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.engine.limits import deadline
from generator.engine.run import Engine
from generator.engine.sources import load_engine_model
from generator.errors import ToolError
from generator.load.command import load_command
from generator.powerbi.outputs import render_outputs
from generator.spec.loader import load_model
from tests.conftest import ROOT

SECONDS = 60  # a generous bound on one example: "bounded", not a benchmark
FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ---------------------------------------------------------------------------------------------------- DAX text
REVIEWS = "BI_SmileBack_Reviews"
TOKENS = [
    "EVALUATE", "DEFINE", "MEASURE", "VAR", "RETURN", "ORDER BY", "TABLE", "ROW", "(", ")", "{", "}", ",", "\"x\"",
    "\"\"", "1", "0", "-1", "2.5", "1E3", "TRUE()", "BLANK()", "+", "-", "*", "/", "^", "&", "&&", "||", "=", "==",
    "<>", "<", ">=", "IN", "NOT", "[CSAT - Happy %]", "[CSAT - Total Ratings]", "[Nope]", f"{REVIEWS}[rating]",
    f"{REVIEWS}[company_name]", f"'{REVIEWS}'", REVIEWS, "BI_Autotask_Tickets", "BI_Autotask_Tickets[status]",
    "CALCULATE", "FILTER", "ALL", "VALUES", "SUMMARIZECOLUMNS", "SUMX", "COUNTROWS", "DIVIDE", "IF", "SWITCH",
    "ROUND", "TOPN", "CROSSJOIN", "ADDCOLUMNS", "KEEPFILTERS", "DATEADD", "FORMAT", "SELECTEDVALUE", "RELATED",
    "'", "[", "]", "\"", "//", "/*", "\n", "--", "\u00e9", "\x00",
]
SHAPES = ["(" * 999 + "1" + ")" * 999, "1" + " + 1" * 3000, "NOT " * 2000 + "TRUE()",
          "ROW(\"x\", 1 IN {" + ", ".join(map(str, range(500))) + "})", "{" + ", ".join(["1"] * 3000) + "}",
          "DEFINE " + " ".join(f"MEASURE {REVIEWS}[m{i}] = [m{i - 1}] + 1" for i in range(1, 700))]
dax_queries = st.lists(st.sampled_from(TOKENS) | st.text(string.printable, max_size=3), max_size=40).map(
    lambda parts: " ".join(parts)) | st.sampled_from(SHAPES) | st.builds(
    lambda depth, opening, closing: opening * depth + "1" + closing * depth, st.integers(1, 5000),
    st.sampled_from(["(", "ABS(", "-", "NOT ", "IF(TRUE(), "]), st.sampled_from([")", ""]))


@pytest.fixture(scope="module")
def engine(demo_db: str):
    connection = duckdb.connect(demo_db, read_only=True, config={"enable_external_access": False})
    yield Engine(load_engine_model(None), connection)
    connection.close()


@settings(FUZZ, max_examples=200)
@given(body=dax_queries, evaluate=st.booleans())
def test_dax_text_works_or_is_one_sentence(engine: Engine, body: str, evaluate: bool) -> None:
    text = ("EVALUATE " + body) if evaluate else body
    started = time.monotonic()
    try:
        with deadline(engine.connection, 10):
            engine.query(text)
    except ToolError as error:
        assert str(error).strip(), text
    assert time.monotonic() - started < SECONDS, text


# ---------------------------------------------------------------------------------------------- spec strings
hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60) | st.sampled_from([
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "{{", "}}", "{% for x in range(10**9) %}x{% endfor %}",
    "{{ 9**999999 }}", "a\nb", "a\r\nb", "x\u2028y", "'; DROP TABLE x; --", "\"", "\\", "#(lf)", "`", "|",
    "CSAT - Happy %", "", " ", "\t", "*alias", "&anchor", "!!python/object:os.system", "0.0 %", "#,0.00",
])


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz_specs")
    for name in ("model", "measures", "sql"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


def build_or_refuse(specs: Path, name: str, document: str) -> None:
    """``document`` as ``measures/<name>`` of the specs: every output renders, or a ToolError says why, in bounded
    time; the file is removed again."""
    (specs / "measures" / name).write_text(document, encoding="utf-8")
    started = time.monotonic()
    try:
        render_outputs(load_model(specs))
    except ToolError as error:
        assert str(error).strip()
    finally:
        (specs / "measures" / name).unlink()
    assert time.monotonic() - started < SECONDS


YAML_PIECES = ["&a [x, x, x, x, x, x, x, x, x]", "*a", "[*a, *a, *a, *a, *a, *a]", "<<: *a", "- ", ": ", "[", "]",
               "{", "}", "\n", "  ", "!!python/object/apply:os.system ['id']", "? ", "|", ">", "\"", "'", "#", "%YAML",
               "---", "...", "measures:", "name:", "kind: count", "\t"]
yaml_documents = st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=5), max_size=60).map("".join)


@settings(FUZZ, max_examples=60)
@given(document=yaml_documents)
def test_spec_files_of_any_text_are_read_or_refused(specs: Path, document: str) -> None:
    """A measures file of arbitrary YAML-ish text (anchors, aliases, merge keys, Python tags, bad indentation)."""
    build_or_refuse(specs, "98-fuzz.yaml", document)


@settings(FUZZ, max_examples=120)
@given(field=st.sampled_from(["name", "description", "folder", "format", "table", "kind", "filter"]),
       value=hostile_text, raw=st.booleans())
def test_spec_strings_build_or_are_one_sentence(specs: Path, field: str, value: str, raw: bool) -> None:
    """A measure whose field holds hostile text (written as proper YAML, or pasted raw into the file) either builds
    all outputs or is refused with a spec error."""
    measure = {"name": "Fuzz", "kind": "count", "table": REVIEWS, "format": "whole", "description": "d"}
    measure[field] = value
    document = yaml.safe_dump({"measures": [measure]}, allow_unicode=True)
    if raw:
        document = document.replace(yaml.safe_dump(value, allow_unicode=True).split("\n...")[0].strip(), value, 1)
    build_or_refuse(specs, "99-fuzz.yaml", document)


# ------------------------------------------------------------------------------------------------- CSV bytes
CSV = ROOT / "tests" / "fixtures" / "csv"


@st.composite
def damaged_csv(draw: st.DrawFn) -> tuple[str, bytes]:
    """One of the SmileBack fixture exports with bytes inserted, a line replaced or the file cut short."""
    name = draw(st.sampled_from(["reviews.csv", "nps.csv"]))
    data = (CSV / "smileback" / name).read_bytes()
    how = draw(st.sampled_from(["insert", "replace line", "truncate"]))
    at = draw(st.integers(0, len(data)))
    noise = draw(st.binary(max_size=40) | st.sampled_from([b'"', b'",', b"\r", b"\x00", b"\xff\xfe", b",,,,,,,,,,,",
                                                           b"=cmd|' /C calc'!A0", b"9" * 40, b"2999-01-01", b"inf"]))
    if how == "insert":
        data = data[:at] + noise + data[at:]
    elif how == "truncate":
        data = data[:at]
    else:
        lines = data.split(b"\n")
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = noise
        data = b"\n".join(lines)
    return name, data


@settings(FUZZ, max_examples=25)
@given(damaged=damaged_csv())
def test_csv_bytes_load_or_are_one_sentence(tmp_path_factory: pytest.TempPathFactory,
                                            damaged: tuple[str, bytes]) -> None:
    """A damaged SmileBack export loads (rejecting what it must) or is refused with one sentence; the database is
    never left half-written (the load is one transaction) and nothing else escapes."""
    folder = tmp_path_factory.mktemp("fuzz_csv")
    shutil.copytree(CSV / "smileback", folder / "smileback")
    name, data = damaged
    (folder / "smileback" / name).write_bytes(data)
    db = str(folder / "target.duckdb")
    started = time.monotonic()
    try:
        with redirect_stdout(io.StringIO()):
            code = load_command("smileback-csv", [folder / "smileback"], db, ROOT, None, strict=False, full=False,
                                quiet=True, rejects=folder / "rejected.csv")
        assert code in (0, 1)
    except ToolError as error:
        assert str(error).strip()
    assert time.monotonic() - started < SECONDS
