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


class ToolError(Exception):
    """An error the user can act on; the CLI prints its message (no traceback) and exits."""

    exit_code = EXIT_BAD_INPUT


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
