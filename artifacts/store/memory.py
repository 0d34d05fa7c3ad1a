"""A blob store in a dict, for tests.

Each writer buffers its whole object in memory until commit, so this driver suits tests and
small demos only, never real blobs: the "bounded memory" rule of :class:`BlobWriter` does not
hold here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from artifacts.store._options import Options
from artifacts.store.base import (
    CHUNK_SIZE,
    ByteRange,
    InvalidRange,
    ListedObject,
    ObjectNotFound,
    ReadHandle,
    StoredObject,
    validate_key,
)


class MemoryStore:
    """Objects in a dict guarded by a lock, shared by every thread that holds the store."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._objects: dict[str, bytes] = {}
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def open_writer(self, key: str) -> MemoryWriter:
        return MemoryWriter(self, validate_key(key))

    def open_reader(self, key: str, byte_range: ByteRange | None = None) -> ReadHandle:
        validate_key(key)
        with self._lock:
            data = self._objects.get(key)
        if data is None:
            raise ObjectNotFound(f"store {self.name!r} has no object {key!r}")
        start, end = 0, len(data)
        if byte_range is not None:
            if byte_range.start >= len(data):
                raise InvalidRange(
                    f"range starts at {byte_range.start}, object {key!r} has {len(data)} bytes"
                )
            start, end = byte_range.start, min(byte_range.end + 1, len(data))
        return ReadHandle(size=len(data), chunks=_slices(data, start, end))

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._objects.pop(key, None)
            self._written.pop(key, None)

    def check(self) -> None:
        """Always ready: memory is as reachable as the process itself."""

    def keys(self) -> list[str]:
        """List the committed keys (tests use it to prove nothing was left behind)."""
        with self._lock:
            return sorted(self._objects)

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        with self._lock:
            found = [
                ListedObject(key, len(data), self._written[key])
                for key, data in self._objects.items()
                if key.startswith(prefix)
            ]
        yield from found

    def _put(self, key: str, data: bytes) -> None:
        with self._lock:
            self._objects[key] = data
            self._written[key] = time.time()


class MemoryWriter:
    """Collect chunks in a list; join and publish them on commit."""

    def __init__(self, store: MemoryStore, key: str) -> None:
        self._store = store
        self._key = key
        self._chunks: list[bytes] = []
        self._result: StoredObject | None = None
        self._cancelled = False

    def write(self, chunk: bytes) -> None:
        self._ensure_open()
        if chunk:
            self._chunks.append(bytes(chunk))

    def commit(self) -> StoredObject:
        if self._result is not None:
            return self._result
        self._ensure_open()
        data = b"".join(self._chunks)
        self._chunks = []
        self._store._put(self._key, data)
        self._result = StoredObject(store=self._store.name, key=self._key, size=len(data))
        return self._result

    def cancel(self) -> None:
        if self._result is None:
            self._cancelled = True
            self._chunks = []

    def _ensure_open(self) -> None:
        if self._result is not None or self._cancelled:
            raise ValueError(f"writer for {self._key!r} is already committed or cancelled")


def _slices(data: bytes, start: int, end: int) -> Iterator[bytes]:
    view = memoryview(data)
    for offset in range(start, end, CHUNK_SIZE):
        yield bytes(view[offset : min(offset + CHUNK_SIZE, end)])


def from_options(name: str, options: Mapping[str, Any]) -> MemoryStore:
    """Build a MemoryStore from settings (it takes no options): the ``memory`` entry point."""
    Options(name, "memory", options).finish()
    return MemoryStore(name)
