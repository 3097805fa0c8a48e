"""Progress bars (stderr, only on a terminal) and the final summary table of a load."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from generator.sources.base import Rejected


class LoadProgress:
    """One bar per entity while extracting, then one line per merge phase; silent when disabled."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    @staticmethod
    def wanted(quiet: bool) -> bool:
        """Bars are shown on a terminal unless --quiet."""
        return not quiet and sys.stderr.isatty()

    def __enter__(self) -> LoadProgress:
        if self.enabled:
            self._progress = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def entity(self, name: str, total: int | None) -> None:
        """Start the bar of one entity."""
        if self._progress is not None:
            self._tasks[name] = self._progress.add_task(f"read {name}", total=total)

    def advance(self, name: str, rows: int) -> None:
        """Rows of ``name`` read so far grew by ``rows``."""
        if self._progress is not None and name in self._tasks:
            self._progress.advance(self._tasks[name], rows)

    def done(self, name: str) -> None:
        """The entity is fully read."""
        if self._progress is not None and name in self._tasks:
            task = self._tasks[name]
            completed = self._progress.tasks[task].completed
            self._progress.update(task, total=completed, completed=completed)

    def phase(self, text: str) -> None:
        """A merge step (a line, not a bar)."""
        if self._progress is not None:
            self._progress.console.print(f"  {text}")


@dataclass
class SummaryRow:
    """One line of the summary: a source entity (read/rejected) or a BI_ table (inserted/updated/deleted)."""

    name: str
    read: int | None = None
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None
    rejected: int = 0
    duplicates: int = 0


@dataclass
class Summary:
    """Everything the final table shows."""

    source: str
    target: str
    rows: list[SummaryRow] = field(default_factory=list)
    rejected: int = 0
    first_rejections: list[Rejected] = field(default_factory=list)
    rejects_file: Path | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    committed: bool = True
    watermarks: dict[str, str] = field(default_factory=dict)


def _cell(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def render_summary(summary: Summary) -> str:
    """The summary as plain text (a rich table rendered without colours)."""
    table = RichTable(title=f"load {summary.source} → {summary.target}", title_justify="left", box=box.SIMPLE)
    for heading in ("entity / table", "read", "inserted", "updated", "deleted", "rejected", "duplicates"):
        table.add_column(heading, justify="left" if heading == "entity / table" else "right")
    for row in summary.rows:
        table.add_row(row.name, _cell(row.read), _cell(row.inserted), _cell(row.updated), _cell(row.deleted),
                      _cell(row.rejected), _cell(row.duplicates) if row.duplicates else "")
    buffer = StringIO()
    console = Console(file=buffer, width=110, color_system=None, force_terminal=False)
    console.print(table)
    lines = [buffer.getvalue().rstrip()]
    for note in summary.notes:
        lines.append(f"note: {note}")
    if summary.rejected:
        lines.append(f"{summary.rejected:,} rows rejected; first reasons:")
        for item in summary.first_rejections:
            where = f"{item.origin}:{item.line}" if item.line is not None else item.origin
            lines.append(f"  {where}: {item.reason}")
        if summary.rejects_file is not None:
            lines.append(f"full list: {summary.rejects_file}")
    state = "committed" if summary.committed else "nothing written (rolled back)"
    lines.append(f"{state} in {summary.seconds:.1f} s")
    return "\n".join(lines) + "\n"
