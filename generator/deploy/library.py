"""Importing fabric-cicd without its global side effects, and its log as our progress lines.

On import fabric-cicd replaces ``sys.excepthook``, sets the root logger to ERROR and adds console handlers; the
import here puts the hook and the root logger back and routes the ``fabric_cicd`` logger (INFO and up) to one
progress callback, ANSI colours and banner lines removed and every secret redacted.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from types import ModuleType

from generator.deploy.errors import DeployError
from generator.sources.redaction import redact

INSTALL_HINT = ("gen-measures deploy needs the optional packages fabric-cicd and azure-identity: "
                "pip install 'msp-csat[deploy]'")
_ANSI = re.compile(r"\x1B\[[0-?]*[ -/]*[@-~]")
_LOGGERS = ("fabric_cicd", "console_only")


def import_fabric_cicd() -> ModuleType:
    """The ``fabric_cicd`` module (and azure-identity present), or one sentence saying how to install them."""
    root = logging.getLogger()
    saved = (sys.excepthook, root.level, list(root.handlers))
    try:
        import azure.identity  # noqa: F401 - checked here so that the hint names both packages
        import fabric_cicd
    except ImportError:
        raise DeployError(INSTALL_HINT) from None
    finally:
        sys.excepthook = saved[0]
        root.setLevel(saved[1])
        for handler in list(root.handlers):
            if handler not in saved[2]:
                root.removeHandler(handler)
    return fabric_cicd


class ProgressHandler(logging.Handler):
    """fabric-cicd's log records as progress lines; the messages of published items are collected."""

    def __init__(self, progress: Callable[[str], None], secrets: list[str]):
        super().__init__(logging.INFO)
        self.progress = progress
        self.secrets = secrets
        self.published: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Show one record (banners and blank lines are dropped)."""
        text = _ANSI.sub("", record.getMessage()).replace("->", "").strip()
        if not text or text.startswith("#"):
            return
        text = redact(text.splitlines()[0], self.secrets)
        if text.startswith("Published ") and "'" in text:
            self.published.append(text.removeprefix("Published "))
        self.progress(f"fabric-cicd: {text}" if record.levelno < logging.WARNING else f"fabric-cicd warning: {text}")


def route_logs(progress: Callable[[str], None], secrets: list[str]) -> ProgressHandler:
    """Send fabric-cicd's log to ``progress`` only (no console handler, no log file, no propagation)."""
    handler = ProgressHandler(progress, secrets)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = False
    package = logging.getLogger("fabric_cicd")
    package.setLevel(logging.INFO)
    package.addHandler(handler)
    return handler


def unroute_logs(handler: ProgressHandler) -> None:
    """Detach the handler again (the CLI exits anyway; in-process callers keep a clean logger)."""
    logging.getLogger("fabric_cicd").removeHandler(handler)
