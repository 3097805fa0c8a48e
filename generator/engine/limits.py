"""Bounds on the work a command asks of the database: a deadline and a memory limit, each ending in one sentence.

``query``, ``validate`` and ``report`` open their read-only connection with :func:`set_memory_limit` and run
inside :func:`deadline`, which interrupts the running query (``connection.interrupt()`` from a timer thread:
DuckDB's interrupt, or an ODBC cancel of the running statement on a server) once the time is up. The memory
limit is DuckDB's; on a server reached through ODBC the server's own limits apply.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from generator.errors import ToolError

if TYPE_CHECKING:  # duckdb is imported when a command runs, not when the CLI starts (this module gives defaults)
    import duckdb

    from generator.engine.session import OdbcSession

#: Seconds a command's queries may run in all (``--timeout``).
DEFAULT_TIMEOUT = 300.0
#: DuckDB's memory limit for a command's queries (``--memory-limit``).
DEFAULT_MEMORY_LIMIT = "4GB"

_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)
_POLL_SECONDS = 0.1  # after the deadline, how often to interrupt again (a query may start after the first one)


def check_memory_limit(memory_limit: str) -> None:
    """ToolError when ``memory_limit`` is not a size like 2GB."""
    if not _SIZE.fullmatch(memory_limit.strip()):
        raise ToolError(f"--memory-limit must be a size such as 500MB or 4GB, not {memory_limit!r}")


def set_memory_limit(connection: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """Cap the memory DuckDB uses on ``connection``; ToolError when ``memory_limit`` is not a size like 2GB."""
    check_memory_limit(memory_limit)
    connection.execute(f"SET memory_limit = '{memory_limit.strip()}'")


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, kind):
            return True
        current = current.__cause__
    return False


@contextmanager
def deadline(connection: duckdb.DuckDBPyConnection | OdbcSession, seconds: float | None,
             memory_limit: str | None = None) -> Iterator[None]:
    """Run the block with at most ``seconds`` of DuckDB work (None or 0: no deadline).

    When the time is up the running query is interrupted (and any query started later too), and the block ends in
    one sentence naming ``--timeout``; a query that needs more than the memory limit ends in one naming
    ``--memory-limit``.
    """
    import duckdb

    done = threading.Event()
    expired = threading.Event()

    def watch() -> None:
        if seconds and not done.wait(seconds):
            expired.set()
            while not done.is_set():
                connection.interrupt()
                done.wait(_POLL_SECONDS)

    watcher = threading.Thread(target=watch, name="gen-measures-deadline", daemon=True)
    watcher.start()
    try:
        yield
    except Exception as error:
        if expired.is_set():
            raise ToolError(f"the query did not finish within {seconds:g} s; raise --timeout (or narrow the "
                            "query)") from None
        if _caused_by(error, duckdb.OutOfMemoryException):
            limit = f" of {memory_limit}" if memory_limit else ""
            raise ToolError(f"the query needed more than the memory limit{limit}; raise --memory-limit (or narrow "
                            "the query)") from None
        raise
    finally:
        done.set()
        watcher.join()
