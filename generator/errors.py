"""Error types shared by every command, each carrying the exit code the CLI returns.

Exit codes (documented in the README and in ``gen-measures --help``):

* 0 — success
* 1 — findings: mismatches, stale outputs, lint findings
* 2 — bad input or usage: invalid specs, bad ``--db``, unreachable database, wrong schema version
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
MAX_LINE = 1_000  # characters of one error line; a longer one loses its middle
MAX_LINES = 100  # lines of one error message; the rest are counted


def _shorten(line: str) -> str:
    if len(line) <= MAX_LINE:
        return line
    head, tail = line[:MAX_LINE * 2 // 3], line[-MAX_LINE // 4:]
    return f"{head}…[{len(line) - len(head) - len(tail):,} characters left out]…{tail}"


def bounded(text: str) -> str:
    """``text`` cut to at most :data:`MAX_LINES` lines of at most about :data:`MAX_LINE` characters: the middle
    of a longer line (a huge name or value quoted in the message) is replaced by a count of what was left out."""
    lines = text.split("\n")
    shown = [_shorten(line) for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"… and {len(lines) - MAX_LINES:,} more lines")
    return "\n".join(shown)


class ToolError(Exception):
    """An error the user can act on; the CLI prints its message (no traceback) and exits.

    Its text (``str(error)``) is :func:`bounded`, whatever the message quotes; ``args`` keep the full message."""

    exit_code = EXIT_BAD_INPUT

    def __str__(self) -> str:
        return bounded(super().__str__())


@dataclass(frozen=True)
class SpecProblem:
    """One problem in a spec file: where it is and a plain sentence saying what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class SpecError(ToolError):
    """One or more problems found while loading or validating the YAML specs."""

    def __init__(self, problems: list[SpecProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class TargetError(ToolError):
    """The database target cannot be used: bad ``--db`` value, unreachable server, missing driver,
    incompatible schema version."""


class DataError(ToolError):
    """Data in the target does not fit what the command needs (for example, no BI_ tables yet)."""
