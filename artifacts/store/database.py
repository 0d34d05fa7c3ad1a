"""Blobs kept in the database itself, in fixed-size chunks: for templates and other small data.

One deployment then needs no separate blob storage for its small types, and their data is
backed up and replicated with everything else. Large data belongs in the filesystem or S3
stores: every write here is a database write, so the store has its own size ceiling.

Each chunk is inserted in its own short transaction: an upload never holds a transaction (on
SQLite, the one write lock) while bytes trickle in. An object becomes readable only when its
writer commits; ``cancel`` (or a crash, then the blob service's orphan sweep) removes the rest.
Resumable uploads append to uncommitted chunks (:mod:`.database_resumable`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from artifacts.db.models import StoredChunkRow, StoredObjectRow
from artifacts.db.session import build_engine
from artifacts.store._options import Options
from artifacts.store.base import (
    ByteRange,
    InvalidRange,
    ListedObject,
    ObjectNotFound,
    ReadHandle,
    StoredObject,
    StoreError,
    validate_key,
)
from artifacts.store.database_resumable import DatabaseResumableWriter, resume_writer

DEFAULT_MAX_SIZE = 16 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 256 * 1024


class DatabaseStore:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        engine: Engine | None = None,
    ) -> None:
        self.name = name
        self.max_size = max_size
        self.chunk_size = chunk_size
        self._owns_engine = engine is None
        self._engine = engine if engine is not None else build_engine(url)

    def open_writer(self, key: str) -> DatabaseWriter:
        return DatabaseWriter(self, validate_key(key))

    def resume_writer(self, key: str, offset: int) -> DatabaseResumableWriter:
        """Append to a resumable upload's partial object (:mod:`.database_resumable`)."""
        return resume_writer(self, validate_key(key), offset)

    def open_reader(self, key: str, byte_range: ByteRange | None = None) -> ReadHandle:
        validate_key(key)
        with self._session() as session:
            size = session.scalar(
                select(StoredObjectRow.size).where(
                    StoredObjectRow.key == key, StoredObjectRow.committed.is_(True)
                )
            )
        if size is None:
            raise ObjectNotFound(f"store {self.name!r} has no object {key!r}")
        start, end = 0, size
        if byte_range is not None:
            if byte_range.start >= size:
                raise InvalidRange(f"range starts at {byte_range.start}, object has {size} bytes")
            start, end = byte_range.start, min(byte_range.end + 1, size)
        return ReadHandle(size=size, chunks=self._chunks(key, start, end))

    def _chunks(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Yield ``[start, end)``, fetching only the chunks that overlap it, a few at a time."""
        first, last = start // self.chunk_size, (end - 1) // self.chunk_size
        seq = first
        while seq <= last and start < end:
            batch_end = min(last, seq + 15)
            with self._session() as session:
                rows = session.execute(
                    select(StoredChunkRow.seq, StoredChunkRow.data)
                    .where(StoredChunkRow.key == key, StoredChunkRow.seq.between(seq, batch_end))
                    .order_by(StoredChunkRow.seq)
                ).all()
            for chunk_seq, data in rows:
                offset = chunk_seq * self.chunk_size
                piece = data[max(start - offset, 0) : max(end - offset, 0)]
                if piece:
                    yield piece
            seq = batch_end + 1

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._session() as session, session.begin():
            session.execute(delete(StoredChunkRow).where(StoredChunkRow.key == key))
            session.execute(delete(StoredObjectRow).where(StoredObjectRow.key == key))

    def check(self) -> None:
        with self._session() as session:
            session.execute(text("SELECT 1"))

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        stmt = select(StoredObjectRow.key, StoredObjectRow.size, StoredObjectRow.created_at).where(
            StoredObjectRow.committed.is_(True), StoredObjectRow.key.startswith(prefix)
        )
        with self._session() as session:
            found = session.execute(stmt).all()
        for key, size, created_at in found:
            yield ListedObject(key, size, _aware(created_at).timestamp())

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()

    def _session(self) -> _TranslatedSession:
        return _TranslatedSession(self._engine, self.name)

    def _new_object(self, key: str) -> StoredObjectRow:
        """The row of an object being written: unreadable until :meth:`_mark_committed`."""
        return StoredObjectRow(key=key, size=0, committed=False, created_at=dt.datetime.now(dt.UTC))

    def _mark_committed(self, key: str, size: int) -> StoredObject:
        """Make an object written by either writer readable, at its final size."""
        with self._session() as session, session.begin():
            session.execute(
                update(StoredObjectRow)
                .where(StoredObjectRow.key == key)
                .values(committed=True, size=size)
            )
        return StoredObject(store=self.name, key=key, size=size)


class _TranslatedSession:
    """A session whose database errors surface as StoreError, as the driver contract says."""

    def __init__(self, engine: Engine, store: str) -> None:
        self._session = Session(engine)
        self._store = store

    def __enter__(self) -> Session:
        return self._session

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self._session.close()
        if isinstance(error, SQLAlchemyError):
            raise StoreError(f"store {self._store!r}: database failed: {error}") from error


class DatabaseWriter:
    def __init__(self, store: DatabaseStore, key: str) -> None:
        self._store = store
        self._key = key
        self._buffer = bytearray()
        self._seq = 0
        self._size = 0
        self._started = False
        self._result: StoredObject | None = None
        self._cancelled = False

    def _ensure_open(self) -> None:
        if self._result is not None or self._cancelled:
            raise ValueError(f"writer for {self._key!r} is already committed or cancelled")

    def write(self, chunk: bytes) -> None:
        self._ensure_open()
        self._size += len(chunk)
        if self._size > self._store.max_size:
            raise StoreError(
                f"store {self._store.name!r} keeps objects of at most {self._store.max_size} bytes"
            )
        self._buffer += chunk
        while len(self._buffer) >= self._store.chunk_size:
            self._flush(bytes(self._buffer[: self._store.chunk_size]))
            del self._buffer[: self._store.chunk_size]

    def commit(self) -> StoredObject:
        if self._result is not None:
            return self._result
        self._ensure_open()
        if self._size > self._store.max_size:
            raise StoreError(f"store {self._store.name!r}: the object is over its size limit")
        if self._buffer or not self._started:
            self._flush(bytes(self._buffer))
            self._buffer.clear()
        self._result = self._store._mark_committed(self._key, self._size)
        return self._result

    def cancel(self) -> None:
        if self._result is not None or self._cancelled:
            return
        self._cancelled = True
        self._buffer.clear()
        if self._started:
            self._store.delete(self._key)

    def _flush(self, data: bytes) -> None:
        with self._store._session() as session, session.begin():
            if not self._started:
                session.add(self._store._new_object(self._key))
                session.flush()
                self._started = True
            if data:
                session.add(StoredChunkRow(key=self._key, seq=self._seq, data=data))
                self._seq += 1


def from_options(name: str, options: Mapping[str, Any]) -> DatabaseStore:
    """Build a DatabaseStore from settings: the ``database`` entry point.

    Options: ``url`` (the service fills in its own database when it is left out), ``max_size``
    (bytes; default 16 MiB), ``chunk_size`` (bytes; default 256 KiB).
    """
    reader = Options(name, "database", options)
    url = reader.required_str("url")
    max_size = reader.optional_int("max_size", DEFAULT_MAX_SIZE, minimum=1)
    chunk_size = reader.optional_int("chunk_size", DEFAULT_CHUNK_SIZE, minimum=1024)
    reader.finish()
    return DatabaseStore(name, url, max_size=max_size, chunk_size=chunk_size)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
