"""``gen-measures --help`` everywhere, ``--version`` and unknown commands."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer

from generator import __version__
from generator.cli import app
from generator.errors import EXIT_BAD_INPUT, EXIT_OK

# typer builds click-style objects (its own vendored click in recent versions), so they are duck-typed here:
# a group is anything with a ``commands`` mapping.
ROOT_COMMAND = typer.main.get_command(app)


def is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command registered on the app, nested groups included, as argument tuples."""
    if not is_group(command):
        return [prefix]
    paths = [prefix] if prefix else []
    for name, sub in sorted(command.commands.items()):
        paths += command_paths(sub, (*prefix, name))
    return paths


COMMANDS = command_paths(ROOT_COMMAND)


def resolve(path: tuple[str, ...]) -> Any:
    command = ROOT_COMMAND
    for name in path:
        assert is_group(command)
        command = command.commands[name]
    return command


def flat(text: str) -> str:
    """Help text without Rich's box drawing and line wrapping, for phrase checks."""
    text = re.sub(r"[│╭╮╰╯─]", " ", text)
    return " ".join(text.split())


def assert_documents_exit_codes(text: str) -> None:
    text = flat(text)
    assert "Exit codes" in text
    for phrase in ("0 success", "1 findings", "2 bad input or usage"):
        assert phrase in text, phrase


def test_commands_are_registered() -> None:
    assert is_group(ROOT_COMMAND)
    assert {"sql", "demo"} <= {path[0] for path in COMMANDS}


def test_top_level_help_lists_every_command_and_the_exit_codes(cli) -> None:
    result = cli("--help")
    assert result.code == EXIT_OK, result.err
    assert "Usage:" in result.out
    text = flat(result.out)
    for name in ROOT_COMMAND.commands:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), name
    assert_documents_exit_codes(result.out)


def test_short_help_option_works(cli) -> None:
    result = cli("-h")
    assert result.code == EXIT_OK, result.err
    assert "Usage:" in result.out


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(cli, path: tuple[str, ...]) -> None:
    command = resolve(path)
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    result = cli(*path, "--help")
    assert result.code == EXIT_OK, result.err
    assert "Traceback" not in result.err
    text = flat(result.out)
    assert "Usage:" in text and " ".join(path) in text
    first_line = flat(command.help.strip().splitlines()[0])
    assert first_line in text
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            assert max(param.opts, key=len) in text, (path, param.opts)
    if not is_group(command):
        assert_documents_exit_codes(result.out)


def test_version_prints_the_version(cli) -> None:
    result = cli("--version")
    assert result.code == EXIT_OK, result.err
    assert result.out.strip() == f"gen-measures {__version__}"


def test_version_wins_over_a_command(cli) -> None:
    result = cli("--version", "sql", "--dialect", "oracle")
    assert result.code == EXIT_OK, result.err
    assert result.out.strip() == f"gen-measures {__version__}"


def test_unknown_command_exits_2(cli) -> None:
    result = cli("no-such-command")
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.err
    assert "no-such-command" in result.err
    assert result.out == ""


def test_unknown_option_exits_2(cli) -> None:
    result = cli("sql", "--no-such-option")
    assert result.code == EXIT_BAD_INPUT
    assert "Traceback" not in result.err
    assert "--no-such-option" in result.err


def test_short_f_means_format_in_every_command() -> None:
    """``-f`` is ``--format`` wherever a command has it (``query`` reads a query file with ``-i``/``--file``)."""
    seen = 0
    for path in COMMANDS:
        command = resolve(path)
        for param in getattr(command, "params", []):
            if "-f" in param.opts:
                assert "--format" in param.opts, (path, param.opts)
                seen += 1
    assert seen >= 3
    query = {tuple(p.opts) for p in resolve(("query",)).params}
    assert ("--file", "-i") in query or ("-i", "--file") in query
