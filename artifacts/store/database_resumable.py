"""Resumable writes to the database store: a partial object is its uncommitted chunk rows.

The chunks of an object are ``chunk_size`` bytes each but the last, numbered from 0, so a
partial object of ``offset`` bytes is ``offset // chunk_size`` full chunks and, if the offset
falls inside a chunk, that chunk's first ``offset % chunk_size`` bytes. Resuming keeps the
full chunks, cuts the chunk the offset falls in to the offset and reads it back into the
writer's buffer, and deletes every chunk after it: those were written but never recorded.
Each chunk is its own short transaction, as for any write to this store; ``flush`` writes the
bytes past the last full chunk as a partial chunk (replacing the one at its number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from artifacts.db.models import StoredChunkRow, StoredObjectRow
from artifacts.store.base import ReadHandle, StoredObject, StoreError

if TYPE_CHECKING:
    from artifacts.store.database import DatabaseStore


class DatabaseResumableWriter:
    """Append to a partial object; see the module docstring for its layout."""

    def __init__(self, store: DatabaseStore, key: str, *, seq: int, tail: bytes, size: int):
        self._store = store
        self._key = key
        self._seq = seq
        self._buffer = bytearray(tail)
        self._size = size
        self._result: StoredObject | None = None
        self._done = False

    def write(self, chunk: bytes) -> None:
        self._ensure_writable()
        if self._size + len(chunk) > self._store.max_size:
            raise StoreError(
                f"store {self._store.name!r} keeps objects of at most {self._store.max_size} bytes"
            )
        self._size += len(chunk)
        self._buffer += chunk
        size = self._store.chunk_size
        while len(self._buffer) >= size:
            self._put(self._seq, bytes(self._buffer[:size]))
            self._seq += 1
            del self._buffer[:size]

    def flush(self) -> None:
        self._ensure_writable()
        if self._buffer:
            self._put(self._seq, bytes(self._buffer))

    def suspend(self) -> None:
        self.flush()
        self._done = True

    def read_back(self) -> ReadHandle:
        self.flush()
        return ReadHandle(size=self._size, chunks=self._store._chunks(self._key, 0, self._size))

    def commit(self) -> StoredObject:
        if self._result is not None:
            return self._result
        self.flush()
        self._result = self._store._mark_committed(self._key, self._size)
        return self._result

    def cancel(self) -> None:
        if self._result is not None or self._done:
            return
        self._done = True
        self._store.delete(self._key)

    def _put(self, seq: int, data: bytes) -> None:
        with self._store._session() as session, session.begin():
            session.execute(
                delete(StoredChunkRow).where(
                    StoredChunkRow.key == self._key, StoredChunkRow.seq == seq
                )
            )
            session.add(StoredChunkRow(key=self._key, seq=seq, data=data))

    def _ensure_writable(self) -> None:
        if self._result is not None or self._done:
            raise ValueError(f"writer for {self._key!r} is already committed or let go")


def resume_writer(store: DatabaseStore, key: str, offset: int) -> DatabaseResumableWriter:
    """Open the partial object at ``key`` to append at ``offset`` (a new one at 0)."""
    full, cut = divmod(offset, store.chunk_size)
    with store._session() as session, session.begin():
        found = session.get(StoredObjectRow, key)
        if found is None:
            if offset > 0:
                raise StoreError(f"store {store.name!r}: partial {key!r} is gone")
            session.add(store._new_object(key))
            return DatabaseResumableWriter(store, key, seq=0, tail=b"", size=0)
        # Committed already (a crash between the commit and its recording): partial again.
        found.committed = False
        sizes: dict[int, int] = dict(
            session.execute(
                select(StoredChunkRow.seq, func.length(StoredChunkRow.data)).where(
                    StoredChunkRow.key == key, StoredChunkRow.seq <= full
                )
            ).all()
        )
        if any(sizes.get(seq) != store.chunk_size for seq in range(full)):
            raise StoreError(f"store {store.name!r}: partial {key!r} lacks bytes before {offset}")
        tail = b""
        if cut:
            row = session.get(StoredChunkRow, (key, full))
            if row is None or len(row.data) < cut:
                raise StoreError(
                    f"store {store.name!r}: partial {key!r} lacks bytes before {offset}"
                )
            # Cut to the recorded offset, not removed: the offset stays backed by stored bytes.
            tail = row.data = bytes(row.data[:cut])
        past = full + 1 if cut else full
        session.execute(
            delete(StoredChunkRow).where(StoredChunkRow.key == key, StoredChunkRow.seq >= past)
        )
    return DatabaseResumableWriter(store, key, seq=full, tail=tail, size=offset)
