"""The contract between extractors (Autotask/SmileBack APIs, CSV exports) and the load pipeline.

An :class:`Extractor` turns one source into *staging rows*: plain dicts keyed by the column names of the
``STG_`` tables in ``sql/staging.yaml`` (values are ``int``, ``float``, ``str``, ``bool``, naive UTC
``datetime`` or ``None``). It yields them a page at a time so that nothing holds a whole source in memory.
The pipeline (``generator/load``) stages the pages, transforms them with the SQL in ``sql/`` and merges into
the ``BI_`` tables in one transaction; only after that commit does it store each entity's new watermark.

Data flows one way: extractor → :class:`StagePage` → pipeline. Extractors never touch a database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pandas only for the type; extractors that build dicts never import it
    import pandas as pd


@dataclass(frozen=True)
class Rejected:
    """A source row that cannot be used: where it came from and why (never silently dropped)."""

    origin: str  # a file path, or an API entity/URL
    line: int | None  # file line (1-based, header is line 1) or item position; None when unknown
    reason: str


@dataclass
class StagePage:
    """One page of staging rows for one ``STG_`` table, plus the rows of that page that were rejected.

    ``watermark`` is the largest source change time (``lastActivityDate``, SmileBack ``last_modified`` …) seen
    in the rows of this page, or ``None``; the pipeline keeps the maximum per ``(source, entity)`` and stores it
    in ``ETL_Watermarks`` only after the merge commits.

    ``frame`` (added for bulk sources such as CSV files) is an alternative to ``rows``: a DataFrame whose columns
    are ``STG_`` column names, already typed. A page carries ``rows`` or ``frame``, not both.

    ``origin`` and ``lines`` (one per row, in order), when given, say where each row came from (a CSV file and
    its line numbers), and ``labels`` the source's name of each ``STG_`` column (the CSV header): rows the
    pipeline rejects are then reported with that file, line and column name.
    """

    table: str
    entity: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    watermark: datetime | None = None
    frame: pd.DataFrame | None = None
    origin: str | None = None
    lines: list[int] | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Number of staging rows in the page (from ``frame`` or ``rows``)."""
        return len(self.frame) if self.frame is not None else len(self.rows)


class Extractor(Protocol):
    """One source (``autotask-api``, ``smileback-api``, ``autotask-csv``, ``smileback-csv``)."""

    source: str

    def entities(self) -> list[str]:
        """Entity names in load order (e.g. ``["Picklists", "Companies", "Resources", "Tickets", "TimeEntries"]``)."""
        ...

    def extract(self, entity: str, since: datetime | None) -> Iterator[StagePage]:
        """Pages of staging rows of ``entity`` changed at or after ``since`` (``None``: everything).

        ``since`` is the stored watermark; an extractor re-reading rows at the boundary is fine (the merge is
        idempotent). Raises :class:`generator.errors.ToolError` subclasses with a clear message on failure.
        """
        ...

    def total_hint(self, entity: str) -> int | None:
        """Expected number of source rows for progress bars, when cheaply known; else ``None``."""
        ...
