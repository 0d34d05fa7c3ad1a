"""Engines and transactions.

The engine asks for two kinds of transaction: ``read()`` and ``write()``. On PostgreSQL a write
locks the rows it loads with ``SELECT … FOR UPDATE``. SQLite has no row locks, so a write starts
with ``BEGIN IMMEDIATE``: it takes the database's single write lock up front, which serializes
read-modify-write cycles across processes instead of failing them at commit time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from artifacts.errors import ServiceUnavailable

_WRITE = "artifacts_write"

#: How long a SQLite writer waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def build_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    """Create an engine configured for this service's transaction discipline."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "echo": echo}
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"isolation_level": None})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Hand out sessions bound to one engine, one transaction each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.dialect = engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _unavailable_on_connect_error(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with _unavailable_on_connect_error(), self._sessions() as session:
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
def _unavailable_on_connect_error() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        if exc.connection_invalidated or "could not connect" in str(exc.orig):
            raise ServiceUnavailable("The database is unreachable; try again later.") from exc
        raise
