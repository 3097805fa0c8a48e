"""Errors of the DAX engine: refused constructs and DAX that cannot be evaluated, each with a position."""

from __future__ import annotations

from generator.errors import ToolError
from generator.semantic.names import did_you_mean

__all__ = ["DaxEngineError", "Unsupported", "did_you_mean"]


class DaxEngineError(ToolError):
    """DAX the engine cannot evaluate: an unknown name, a wrong argument, a type error (exit code 2).

    ``line`` and ``column`` are 1-based positions in the DAX text (0 when unknown); ``hint`` follows the
    position (``; did you mean [rating]?``, see :func:`did_you_mean`).
    """

    def __init__(self, message: str, line: int = 0, column: int = 0, hint: str = ""):
        self.detail = message
        self.line = line
        self.column = column
        where = f" at {line}:{column}" if line else ""
        super().__init__(f"{message}{where}{hint}")


class Unsupported(DaxEngineError):
    """A construct outside the engine's subset: refused rather than answered wrongly.

    The message reads ``unsupported: WHAT at line:col``, then the reason when one helps.
    """

    def __init__(self, what: str, line: int = 0, column: int = 0, reason: str = ""):
        self.what = what
        self.reason = reason
        super().__init__(f"unsupported: {what}", line, column)
        if reason:
            self.args = (f"{self.args[0]} ({reason})",)
