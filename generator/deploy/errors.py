"""The one error type of ``gen-measures deploy``."""

from __future__ import annotations

from generator.errors import ToolError


class DeployError(ToolError):
    """Deploying cannot go on: a bad option or config, missing packages, a refused sign-in, a failed publish or
    refresh. The message is one sentence with every secret replaced by ``***``; the exit code is 2."""
