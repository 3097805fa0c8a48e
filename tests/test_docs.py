"""The documentation's commands work: every ```bash block of README.md and docs/*.md is run here or marked with
the reason it cannot be, and every ``gen-measures`` command line in the docs and in docs/examples/ names an
existing command and only options that command accepts; the scheduling examples' YAML parses.

Markers (HTML comments, invisible on GitHub), on the last non-blank line before a fenced block:
``<!-- not run: REASON -->`` skips it; ``<!-- file: NAME -->`` writes the block to NAME in the working folder
before the blocks after it run; ``<!-- test-command -->`` is the CI command (.ci/run runs it). A page-level
``<!-- doc-test setup: demo-database, built-project, specs -->`` starts that page's folder with the demo database
as ``msp_csat.duckdb``, a built ``powerbi/`` project and/or the shipped ``model/``, ``measures/`` and ``sql/`` (NAME
of ``file:`` may then be a relative path such as ``myspecs/measures/x.yaml``). Every page's folder holds the demo's
CSV exports in ``exports/autotask/``, ``exports/smileback/`` and ``exports/reviews.csv``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from generator.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = sorted(path for path in (ROOT / "docs" / "examples").iterdir() if path.is_file())
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>not run|file|test-command)\s*:?\s*(?P<value>.*?)\s*-->\s*$")
SETUP = re.compile(r"<!--\s*doc-test setup:\s*(?P<items>[\w\s,-]+?)\s*-->")
SETUP_ITEMS = {"demo-database", "built-project", "specs"}
ROOT_COMMAND = typer.main.get_command(app)
STOP_TOKENS = {"&&", "||", "|", ";", "\n", ">", ">>", "<", "&", "(", ")", ">&"}


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file, with the marker on the line before it."""

    path: Path
    line: int
    lang: str
    text: str
    marker: str  # "", "not run", "file" or "test-command"
    value: str   # the reason or the file name

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: list[Block] = []
    previous = ""
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            if lines[index].strip():
                previous = lines[index]
            index += 1
            continue
        start, indent = index, opening["indent"]
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].rstrip() != f"{indent}```":
            body.append(lines[index])
            index += 1
        marker = MARKER.match(previous)
        found.append(Block(path, start + 1, opening["lang"], textwrap.dedent("\n".join(body)) + "\n",
                           marker["kind"] if marker else "", marker["value"] if marker else ""))
        previous = ""
        index += 1
    return found


def setup_of(path: Path) -> set[str]:
    match = SETUP.search(path.read_text(encoding="utf-8"))
    return {item.strip() for item in match["items"].split(",")} if match else set()


def command_lines(text: str) -> list[list[str]]:
    """The argument lists of every ``gen-measures`` command in shell text (continuations joined, quotes honoured,
    each command ending at a newline or a shell operator)."""
    lexer = shlex.shlex(text.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace = " \t\r"
    commands: list[list[str]] = []
    current: list[str] | None = None
    for token in lexer:
        if token == "gen-measures":
            current = []
            commands.append(current)
        elif token in STOP_TOKENS or set(token) <= set("&|;<>()\n"):
            current = None
        elif current is not None:
            current.append(token[1:-1] if token.startswith("[-") and token.endswith("]") else token)
    return commands


def problems_of(arguments: list[str]) -> list[str]:
    """What is wrong with one ``gen-measures`` argument list: an unknown command or an option it does not take."""
    command: Any = ROOT_COMMAND
    words = list(arguments)
    while isinstance(getattr(command, "commands", None), dict):
        if not words or words[0] not in command.commands:
            return [f"unknown command {words[0] if words else '(none)'!r}"] if words != ["--version"] else []
        command = command.commands[words.pop(0)]
    accepted = {"--help", "-h"} | {name for param in command.params
                                   for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))}
    options = [word.split("=", 1)[0] for word in words if word.startswith("-") and word != "-"]
    return [f"{' '.join(arguments[:1])}: no option {option}" for option in options if option not in accepted]


def shell_texts(path: Path) -> list[str]:
    """The shell text of one example file: the strings of a YAML file, or the whole file."""
    if path.suffix in (".yml", ".yaml"):
        def strings(node: Any) -> list[str]:
            if isinstance(node, str):
                return [node]
            if isinstance(node, dict):
                return [text for value in node.values() for text in strings(value)]
            if isinstance(node, list):
                return [text for value in node for text in strings(value)]
            return []
        return strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    return [path.read_text(encoding="utf-8")]


ALL_BLOCKS = [block for path in DOCS for block in blocks_of(path)]


def test_every_shell_block_is_bash_and_every_skip_has_a_reason() -> None:
    problems = []
    for block in ALL_BLOCKS:
        if block.lang != "bash" and "gen-measures " in block.text and block.lang not in ("yaml", "python"):
            problems.append(f"{block.where}: a ```{block.lang or '(no language)'} block with commands; use ```bash")
        if block.marker == "not run" and len(block.value) < 10:
            problems.append(f"{block.where}: 'not run' needs a reason")
        if block.marker == "file" and (not re.fullmatch(r"[\w.-]+(/[\w.-]+)*", block.value)
                                       or ".." in block.value.split("/")):
            problems.append(f"{block.where}: 'file:' needs a file name or a relative path inside the page's folder")
    for path in DOCS:
        unknown = setup_of(path) - SETUP_ITEMS
        if unknown:
            problems.append(f"{path.relative_to(ROOT)}: unknown doc-test setup {sorted(unknown)}")
    assert not problems, "\n".join(problems)


def test_the_readme_keeps_the_ci_test_command_and_the_walk_runs_every_step() -> None:
    readme = [block for block in ALL_BLOCKS if block.path.name == "README.md"]
    ci = [block for block in readme if block.marker == "test-command"]
    assert [block.text for block in ci] == [
        "bash .ci/setup-tests && .venv/bin/python -m pytest -q && .venv/bin/python -m pytest -q -m spark -n 0\n"]
    assert any(block.text == "pip install -e . && gen-measures demo\n" for block in readme)
    run = [args[0] for block in readme if block.lang == "bash" and not block.marker
           for args in command_lines(block.text) if args]
    for step in ("load", "validate", "query", "report", "build", "check", "lint", "deploy"):
        assert step in run, f"the README's walk runs no gen-measures {step}"


def test_every_gen_measures_command_in_the_docs_and_examples_exists_with_its_options() -> None:
    texts = [(block.where, block.text) for block in ALL_BLOCKS if block.lang == "bash"]
    texts += [(str(path.relative_to(ROOT)), text) for path in EXAMPLES for text in shell_texts(path)]
    problems, seen = [], 0
    for where, text in texts:
        for arguments in command_lines(text):
            seen += 1
            problems += [f"{where}: gen-measures {' '.join(arguments)}: {problem}"
                         for problem in problems_of(arguments)]
    assert seen > 30
    assert not problems, "\n".join(problems)


def test_the_scheduling_examples_parse_and_run_load_validate_check_deploy() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"crontab", "msp-csat-nightly.service", "msp-csat-nightly.timer", "msp-csat-nightly.sh",
            "github-actions.yml", "azure-pipelines.yml"} <= names
    for path in EXAMPLES:
        texts = shell_texts(path)  # yaml.safe_load raises on a YAML file that does not parse
        steps = [args[0] for text in texts for args in command_lines(text) if args]
        if path.suffix in (".yml", ".sh"):
            assert steps[:2] == ["load", "load"] and {"validate", "check", "deploy"} <= set(steps), (path, steps)
            assert steps[-1] == "deploy", (path, steps)
        raw = path.read_text(encoding="utf-8")
        inline = re.search(r"(SECRET|PASSWORD|Pwd)\w*\s*[:=]\s*(?![$'\"]*\$)['\"]?\w", raw)
        assert not inline, f"{path.name}: a secret written inline: {inline and inline.group()}"
    workflow = yaml.safe_load((ROOT / "docs/examples/github-actions.yml").read_text(encoding="utf-8"))
    assert all(value.startswith("${{ secrets.") for value in workflow["jobs"]["load-and-deploy"]["env"].values())


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a ``gen-measures`` script that runs this worktree's CLI with this interpreter."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "gen-measures"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m generator.cli "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return folder


RUNNABLE = [path for path in DOCS
            if any(block.lang == "bash" and not block.marker for block in blocks_of(path))]


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(path.relative_to(ROOT)) for path in RUNNABLE])
def test_the_pages_bash_blocks_run(page: Path, tmp_path: Path, shim: Path, demo_db: str, demo_exports) -> None:
    autotask, smileback, _ = demo_exports
    shutil.copytree(autotask, tmp_path / "exports" / "autotask")
    shutil.copytree(smileback, tmp_path / "exports" / "smileback")
    shutil.copy(smileback / "reviews.csv", tmp_path / "exports" / "reviews.csv")
    setup = setup_of(page)
    if "demo-database" in setup:
        shutil.copy(demo_db, tmp_path / "msp_csat.duckdb")
    if "specs" in setup:  # the page works in a checkout: the shipped model/, measures/ and sql/ beside it
        for folder in ("model", "measures", "sql"):
            shutil.copytree(ROOT / folder, tmp_path / folder)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MSP_CSAT_", "AZURE_"))}
    env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    if "built-project" in setup:
        subprocess.run([sys.executable, "-m", "generator.cli", "build"], cwd=tmp_path, env=env, check=True,
                       capture_output=True, timeout=120)
    for block in blocks_of(page):
        if block.marker == "file":
            (tmp_path / block.value).write_text(block.text, encoding="utf-8")
        if block.lang != "bash" or block.marker:
            continue
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, (f"{block.where} exited {result.returncode}:\n{block.text}\n"
                                        f"{result.stderr[-3000:]}")
