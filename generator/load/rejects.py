"""Every rejected row of a load, streamed to a CSV file (origin, line, reason; text cells spreadsheet-safe); the first
few kept for the summary.

Without ``--rejects FILE`` the file goes to the tool's state folder, ``$XDG_STATE_HOME/msp-csat/`` (default
``~/.local/state/msp-csat/``), one file per source (``load-rejected-<source>.csv``, replaced by the next load of
that source that rejects rows), never into the working directory unasked; the load summary names it."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from generator.sources.base import Rejected
from generator.spreadsheet import spreadsheet_text

SHOWN = 5


def default_rejects_path(source: str, env: Mapping[str, str] | None = None) -> Path:
    """Where a load of ``source`` writes its rejected rows when ``--rejects`` is not given."""
    env = os.environ if env is None else env
    state_home = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return state_home / "msp-csat" / f"load-rejected-{source}.csv"


class RejectLog:
    """Collects rejections; :meth:`close` moves the complete list into place atomically (only when there are any)."""

    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self.first: list[Rejected] = []
        self._handle: IO[str] | None = None
        self._temp: str | None = None
        self._writer = None

    def add(self, items: list[Rejected]) -> None:
        """Record rejections."""
        if not items:
            return
        if self._handle is None:
            folder = self.path.resolve().parent
            folder.mkdir(parents=True, exist_ok=True)
            descriptor, self._temp = tempfile.mkstemp(prefix=".rejected-", suffix=".csv", dir=folder)
            self._handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["origin", "line", "reason"])
        assert self._writer is not None
        for item in items:
            self._writer.writerow([spreadsheet_text(item.origin), "" if item.line is None else item.line,
                                   spreadsheet_text(item.reason)])
        self.count += len(items)
        self.first.extend(items[: max(0, SHOWN - len(self.first))])

    def close(self) -> Path | None:
        """Finish the file; return its path, or None when nothing was rejected."""
        if self._handle is None:
            return None
        self._handle.close()
        self._handle = None
        assert self._temp is not None
        os.chmod(self._temp, 0o644)
        os.replace(self._temp, self.path)
        return self.path
