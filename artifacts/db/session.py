"""Engines and transactions.

The engine asks for two kinds of transaction: ``read()`` and ``write()``. On PostgreSQL a write
locks the rows it loads with ``SELECT … FOR UPDATE``. SQLite has no row locks, so a write starts
with ``BEGIN IMMEDIATE``: it takes the database's single write lock up front, which serializes
read-modify-write cycles across processes instead of failing them at commit time.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from artifacts.db import faults
from artifacts.db.sqlite_statistics import SqliteStatistics
from artifacts.errors import InvalidInput, ServiceUnavailable

_WRITE = "artifacts_write"
_SINGLE_STATEMENT = "artifacts_single_statement"
#: Execution options of a connection whose transactions write (``BEGIN IMMEDIATE`` on SQLite).
WRITE_TRANSACTION = {_WRITE: True}

#: How long a SQLite writer waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class PoolSettings:
    """Connection pool of one process (see ``Settings.database_pool_*`` for the reasoning)."""

    size: int = 5
    max_overflow: int = 5
    timeout: float = 10
    recycle: int = 1800
    pre_ping: bool = True
    connect_timeout: int = 5


def build_engine(url: str, *, pool: PoolSettings | None = None, echo: bool = False) -> Engine:
    """Create an engine configured for this service's transaction discipline."""
    pool = pool or PoolSettings()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    kwargs: dict[str, Any] = {
        "pool_pre_ping": pool.pre_ping,
        "pool_size": pool.size,
        "max_overflow": pool.max_overflow,
        "pool_timeout": pool.timeout,
        "pool_recycle": pool.recycle if pool.recycle > 0 else -1,
        # A finished request hands its connection to the next one: LIFO keeps a few connections
        # hot and lets the idle ones reach pool_recycle and be replaced.
        "pool_use_lifo": True,
        "echo": echo,
    }
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        # No JIT: it compiles any statement whose estimated cost passes jit_above_cost, and a
        # LIMITed list over a large type's estimate does, although it reads a few rows; the
        # compilation alone took ~200 ms of a type-field sort on a million artifacts.
        connect_args: dict[str, Any] = {"options": "-c jit=off"}
        if pool.connect_timeout > 0:
            connect_args["connect_timeout"] = pool.connect_timeout
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


_JSON_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__


def load_json(text: str) -> Any:
    """``json.loads`` for SQLite's JSON columns, without its per-call overhead.

    A list page decodes a hundred small column values (tags, metadata, blob digests, …);
    ``json.loads`` spends ~1.5 µs on each before its C scanner starts, the scanner alone
    ~0.3 µs. The values were written by ``json.dumps``, so they start at their first
    character and end at their last, which is all the scanner needs; anything else (space
    around a value written by hand, invalid text) goes through ``json.loads`` and its errors.
    """
    try:
        value, end = _JSON_SCAN(text, 0)
    except StopIteration:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value


def _use_wal(cursor: Any) -> None:
    """Switch the database to WAL, waiting while another connection holds its lock.

    The switch of a new database takes an exclusive lock and, when another connection (a node
    migrating the same file) is inside a transaction, SQLite answers "database is locked" at
    once instead of calling the busy handler; so wait here, as long as the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, echo=echo, connect_args={"isolation_level": None}, json_deserializer=load_json
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        # The busy timeout first: switching a new database to WAL takes its lock, and a
        # process doing so while another holds it must wait, not fail with "locked".
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    event.listen(engine, "checkout", SqliteStatistics().on_checkout)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(_SINGLE_STATEMENT, False):
            return  # autocommit: the one statement is its own transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE, False) else "BEGIN")

    return engine


class Database:
    """Hand out sessions bound to one engine, one transaction each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.dialect = engine.dialect.name
        self.outage = faults.OutageLog()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.translate_errors(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_statement(self) -> Iterator[Connection]:
        """A Core connection for reads made of ONE statement, which needs no transaction.

        A single SELECT sees one consistent snapshot by itself, so BEGIN and COMMIT (two more
        round trips on PostgreSQL, two more statements on SQLite) would buy nothing.
        """
        with self.translate_errors(), self.engine.connect() as connection:
            if self.dialect == "sqlite":
                connection.execution_options(**{_SINGLE_STATEMENT: True})
            else:
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.translate_errors(), self._sessions() as session:
            session.connection(execution_options={_WRITE: True})
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()

    @property
    def locks_rows(self) -> bool:
        """Whether ``SELECT … FOR UPDATE`` means something on this database."""
        return self.dialect != "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def translate_errors(self) -> Iterator[None]:
        """Turn an outage into ServiceUnavailable and refused data into InvalidInput.

        Anything else is a bug of ours and propagates as it is, to be logged with its
        traceback. An outage is logged once, when it begins; the first transaction that works
        afterwards logs its end.
        """
        try:
            yield
        except PoolTimeout as exc:
            raise ServiceUnavailable(
                "Every database connection of this server is busy; try again later."
            ) from exc
        except DBAPIError as exc:
            if faults.is_unavailable(exc):
                self.outage.failed(exc)
                raise ServiceUnavailable("The database is unavailable; try again later.") from exc
            if faults.is_bad_data(exc):
                raise InvalidInput(
                    "A value is too long or malformed for the database to store."
                ) from exc
            raise
        if self.outage.active:
            self.outage.succeeded()
