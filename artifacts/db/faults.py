"""What a database error means for the caller: an outage (503), bad data (400), or our bug (500).

Drivers word their messages differently from release to release (libpq 15 stopped printing
"could not connect"), so the decision rests on the exception's class and, where the server
answered, its SQLSTATE or SQLite result code, never on message text:

- PostgreSQL: a DBAPI ``OperationalError`` or ``InterfaceError`` without a SQLSTATE failed
  before the server answered (refused, reset, timed out); SQLSTATE classes 08 (connection),
  53 (insufficient resources), 57 (operator intervention: shutdown, cancel) and 58 (system
  error) are the server saying "not now". Class 22 (data exception) is the caller's data.
- SQLite: BUSY, LOCKED, IOERR, FULL and CANTOPEN are the file or its disk, not the statement.
- SQLAlchemy itself: a connection it invalidated, or a pool with no connection to spare.

An outage is logged once when it starts and once when the database answers again, not with a
traceback per request: :class:`OutageLog` keeps that state for one engine.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

LOG = logging.getLogger("artifacts.db")

#: SQLSTATE classes (first two characters) that mean the server cannot serve us right now.
UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
#: The SQLSTATE class of errors in the data a statement carried (too long, bad encoding, …).
DATA_SQLSTATE_CLASS = "22"
#: SQLite primary result codes that mean the database file or its disk is the problem.
UNAVAILABLE_SQLITE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
    }
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is unreachable or overloaded, not that we erred."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and (code & 0xFF) in UNAVAILABLE_SQLITE_CODES
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:
        # No answer from the server at all: refused, reset or timed out on the way.
        return _driver_kind(orig) in ("OperationalError", "InterfaceError")
    return str(sqlstate)[:2] in UNAVAILABLE_SQLSTATE_CLASSES


def is_bad_data(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a value the caller sent (SQLSTATE class 22)."""
    if not isinstance(exc, DataError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    # psycopg refuses some values itself (a NUL in text) as DataError without a SQLSTATE.
    return sqlstate is None or str(sqlstate)[:2] == DATA_SQLSTATE_CLASS


def _driver_kind(orig: BaseException | None) -> str:
    """The DBAPI class an exception belongs to (``OperationalError``, …), by PEP 249's names."""
    for cls in type(orig).__mro__:
        if cls.__name__ in ("OperationalError", "InterfaceError"):
            return cls.__name__
    return type(orig).__name__


def describe(exc: BaseException) -> str:
    """A one-line account of an outage for the log: the driver's class and SQLSTATE or code."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}{f' [{code}]' if code else ''}: {first_line}"


class OutageLog:
    """Log when the database stops answering and when it answers again: two lines per outage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None

    @property
    def active(self) -> bool:
        return self._since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
        LOG.warning("database unavailable, answering 503 until it is back: %s", describe(exc))

    def succeeded(self) -> None:
        if self._since is None:
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            LOG.warning("database available again after %.1f s", time.monotonic() - since)
