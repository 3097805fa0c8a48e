"""Bounds on API paging: a server whose next-page links loop, do not advance or never end stops the load with one
sentence instead of spending the tenant's request budget.

* :class:`LoadDeadline` — one deadline for a whole load (``MSP_CSAT_LOAD_DEADLINE``), started by its first page.
* :class:`PageGuard` — per entity listing: a page URL (with its request body) asked for a second time, a page that
  brings no new item yet links to another one, and more pages than the item count the API reported allows
  (:func:`pages_allowed`: the count plus 10 %, plus two pages).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from generator.errors import ToolError
from generator.sources.http import redact_url

COUNT_MARGIN = 0.10  # items may be added while paging
EXTRA_PAGES = 2


class PagingError(ToolError):
    """The API's paging loops, does not advance, outgrows its count, or the load ran past its deadline."""


def pages_allowed(count: int, page_size: int) -> int:
    """Most pages a listing of ``count`` items (as the API reported it) may take, with a margin."""
    return math.ceil(max(count, 0) * (1 + COUNT_MARGIN) / page_size) + EXTRA_PAGES


class LoadDeadline:
    """The time a whole load may spend reading pages, counted from its first page."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._started: float | None = None

    def check(self, label: str, pages: int) -> None:
        """Start the clock on the first call; raise :class:`PagingError` once ``seconds`` have passed."""
        now = self.clock()
        if self._started is None:
            self._started = now
        elif now - self._started > self.seconds:
            raise PagingError(f"{label}: the load ran past its deadline of {self.seconds:g} s "
                              f"(MSP_CSAT_LOAD_DEADLINE) after {pages} page(s) of this listing; stopped.")


class PageGuard:
    """Watches one listing's pages; ``label`` names it in messages (``'Autotask Tickets'``)."""

    def __init__(self, label: str, deadline: LoadDeadline):
        self.label = label
        self.deadline = deadline
        self.pages = 0
        self.max_pages: int | None = None
        self.count: int | None = None
        self._asked: set[tuple[str, str]] = set()

    def limit(self, count: int, page_size: int, extra_pages: int = 0) -> None:
        """Cap the pages by the ``count`` the API reported for this listing (plus ``extra_pages`` restarts)."""
        self.count = count
        self.max_pages = pages_allowed(count, page_size) + extra_pages

    def before(self, url: str, body: str = "") -> None:
        """Call before asking for a page: refuses a repeated page, a page beyond the cap, a load past its deadline."""
        self.deadline.check(self.label, self.pages)
        if (url, body) in self._asked:
            raise PagingError(f"{self.label}: the API linked to the page {redact_url(url)} a second time after "
                              f"{self.pages} page(s); its paging loops, so the load stopped.")
        if self.max_pages is not None and self.pages >= self.max_pages:
            raise PagingError(f"{self.label}: the API kept linking to more pages after {self.pages} pages although "
                              f"it counted {self.count} item(s) (at most {self.max_pages} pages); stopped at "
                              f"{redact_url(url)}.")
        self._asked.add((url, body))
        self.pages += 1

    def after(self, new_items: int, has_next: bool, url: str) -> None:
        """Call after reading page ``url``: a page with no new item that links to another page does not advance."""
        if has_next and new_items == 0:
            raise PagingError(f"{self.label}: page {self.pages} ({redact_url(url)}) brought no new item but links to "
                              "another page; the API's paging does not advance, so the load stopped.")
