"""One load at a time per target database.

Two loads into one database at once would both create the schema or both merge the same rows and one would die
on a duplicate key. A load therefore holds a lock from before the schema check to its end:

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a key derived from the target schema;
  session-level, not transaction-level, because the schema and the work tables are created and committed before
  the load's transaction begins. The server releases it when the connection ends, even for a killed process.
* MariaDB/MySQL: ``GET_LOCK`` on a name derived from the database (lock names are server-wide), released with
  ``RELEASE_LOCK`` (and by the server when the connection ends).
* DuckDB: the file lock DuckDB itself holds while a process has the file open (see ``duckdb_db.open_duckdb``).

A lock that cannot be had within :func:`lock_timeout` seconds (``MSP_CSAT_LOCK_TIMEOUT``, default 10) ends the
command with :class:`LoadBusy`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator

from generator.errors import TargetError
from generator.targets.database import Database

LOCK_TIMEOUT_ENV = "MSP_CSAT_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0
BUSY = "another load into this database is running"
_POLL_SECONDS = 0.2
_NAME = "msp_csat_load"


class LoadBusy(TargetError):
    """Another load holds the target's lock beyond the wait bound."""


def lock_timeout() -> float:
    """Seconds to wait for another load to end: ``MSP_CSAT_LOCK_TIMEOUT`` (default 10)."""
    text = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise TargetError(f"{LOCK_TIMEOUT_ENV} must be a number of seconds, 0 or more (it is {text!r})")
    return seconds


def try_again(waited: float) -> str:
    """The end of a busy target's sentence: what to do, and how long the command waited."""
    return f"try again when it ends (waited {waited:g} s; {LOCK_TIMEOUT_ENV} sets how long)"


def busy_message(waited: float) -> str:
    """The sentence a load that could not get the lock ends with."""
    return f"{BUSY}; {try_again(waited)}"


def _digest(text: str, size: int) -> bytes:
    return hashlib.blake2b(f"{_NAME}:{text}".encode(), digest_size=size).digest()


def _postgres_lock(db: Database, timeout: float) -> Iterator[None]:
    schema = db.execute("SELECT current_schema()")[0][0]
    key = int.from_bytes(_digest(str(schema), 8), "big", signed=True)
    deadline = time.monotonic() + timeout
    # a number, not a boolean: psqlODBC returns booleans as the text '1' / '0'
    while int(db.execute("SELECT CASE WHEN pg_try_advisory_lock(?) THEN 1 ELSE 0 END", [key])[0][0]) != 1:
        db.rollback()  # no transaction (and snapshot) kept open while waiting
        if time.monotonic() >= deadline:
            raise LoadBusy(busy_message(timeout))
        time.sleep(_POLL_SECONDS)
    db.commit()  # the lock is the session's: it outlives this and the next transactions
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # closing the connection releases it anyway
            db.rollback()
            db.execute("SELECT pg_advisory_unlock(?)", [key])
            db.commit()


def _mysql_lock(db: Database, timeout: float) -> Iterator[None]:
    database = db.execute("SELECT DATABASE()")[0][0]
    name = f"{_NAME}:{_digest(str(database), 16).hex()}"  # lock names are server-wide and at most 64 characters
    got = db.execute("SELECT GET_LOCK(?, ?)", [name, timeout])[0][0]
    db.commit()
    if got is None or int(got) != 1:  # 0: timed out; NULL: an error
        raise LoadBusy(busy_message(timeout))
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # closing the connection releases it anyway
            db.rollback()
            db.execute("SELECT RELEASE_LOCK(?)", [name])
            db.commit()


_LOCKS = {"postgres": _postgres_lock, "mysql": _mysql_lock}


@contextlib.contextmanager
def load_lock(db: Database) -> Iterator[None]:
    """Hold the target's load lock for the block; :class:`LoadBusy` when another load keeps it beyond the bound.

    DuckDB needs none here (its file lock is held while the file is open); SQL Server has none yet."""
    lock = _LOCKS.get(db.dialect)
    if lock is None:
        yield
        return
    yield from lock(db, lock_timeout())
