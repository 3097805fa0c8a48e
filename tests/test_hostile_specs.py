"""Hostile spec files: templates that try to run code, text that tries to write its own TMDL, YAML bombs and
huge values. Each is refused with one sentence naming the file and line, and nothing is written or run."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_measure_specs import TICKETS, edit, line_of, single

from generator.errors import EXIT_BAD_INPUT

BACKLOG_DESCRIPTION = "    description: Tickets opened minus tickets closed.\n"


def one_error_line(stderr: str) -> str:
    """The single ``error:`` line of a failed run (no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


# ------------------------------------------------------------------------------ templates cannot run code


def test_a_template_that_reaches_for_python_runs_nothing(spec_copy: Path, tmp_path: Path, cli) -> None:
    marker = tmp_path / "pwned"
    payload = f"{{{{ cycler.__init__.__globals__.os.popen('id > {marker}').read() }}}}"
    edit(spec_copy, TICKETS, BACKLOG_DESCRIPTION, f'    description: "{payload}"\n')
    line = line_of(spec_copy, TICKETS, "cycler.__init__")
    result = cli("build", "--specs", str(spec_copy), "--out", str(tmp_path / "out"), cwd=tmp_path)
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
])
def test_templates_see_only_the_variables(spec_copy: Path, template: str, fragment: str) -> None:
    edit(spec_copy, TICKETS, BACKLOG_DESCRIPTION, f'    description: "{template}"\n')
    single(spec_copy, TICKETS, line_of(spec_copy, TICKETS, template), fragment)


def test_templates_still_do_arithmetic_and_simple_filters(spec_copy: Path) -> None:
    from generator.spec.loader import load_model

    edit(spec_copy, TICKETS, BACKLOG_DESCRIPTION,
         '    description: "Backlog ({{ (target_happy_pct * 100) | round(1) }} % target, {{ 2 ** 10 }})."\n')
    measure = load_model(spec_copy).measure("Tickets - Backlog Change")
    assert measure.description == "Backlog (90.0 % target, 1024)."
