"""Multipart parts sent concurrently, a few at a time: what makes an S3 upload fast.

One part at a time, an upload waits for each ``UploadPart`` round trip (S3 receives, stores,
answers) before it reads the next bytes from its client. With a few parts in flight on the
store's thread pool, reading the request body and sending parts overlap, and S3 services that
spread parts over several disks or servers store them in parallel.

Memory stays bounded: a :class:`PartSender` holds at most ``parts_in_flight`` parts, and
:meth:`PartSender.send` blocks until one of them is stored when that many are out. Blocking the
writer blocks the request thread that feeds it, so the client's upload is throttled by TCP
rather than buffered (backpressure).

A part that fails fails the sender: the next call raises, and :meth:`PartSender.stop` waits for
the parts still in flight (cancelling those not started) before the writer aborts the upload,
so that no part lands after the abort and leaves storage the upload no longer names.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from artifacts.store.base import StoreError

if TYPE_CHECKING:
    from artifacts.store.s3 import S3Store

#: S3 numbers parts 1 to 10 000, so the largest object is ``part_size * MAX_PARTS``.
MAX_PARTS = 10_000


class StorePool:
    """The threads one store sends parts and reads ahead on, created in the process using them.

    gunicorn forks its workers after the application (and its stores) is built; threads do
    not survive a fork, so the pool is made on first use, and made again in a child process.
    """

    def __init__(self, name: str, size: int) -> None:
        self._name = name
        self._size = size
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def get(self) -> ThreadPoolExecutor:
        """Return this process's pool."""
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ThreadPoolExecutor(self._size, thread_name_prefix=f"s3-{self._name}")
                self._pid = os.getpid()
            return self._pool


class PartSender:
    """Send the parts of one multipart upload, at most ``parts_in_flight`` at once.

    Used by one thread, like the writer that owns it. ``parts`` are the parts already stored
    (a resumed upload's); the next part sent gets the number after them.
    """

    def __init__(
        self, store: S3Store, key: str, *, upload_id: str | None, parts: list[dict[str, Any]]
    ) -> None:
        self._store = store
        self._key = key
        self._name = store.object_name(key)
        self.upload_id = upload_id
        self._stored = list(parts)
        self._next = len(parts) + 1
        self._in_flight: dict[Future[dict[str, Any]], int] = {}
        self._error: StoreError | None = None

    @property
    def count(self) -> int:
        """How many parts were handed to the sender, stored or not (the last part's number)."""
        return self._next - 1

    def send(self, body: bytes | bytearray) -> None:
        """Queue ``body`` as the next part; wait first while ``parts_in_flight`` are out."""
        self._check()
        if self._next > MAX_PARTS:
            raise StoreError(
                f"store {self._store.name!r}: {self._key!r} needs more than {MAX_PARTS} parts "
                f"of {self._store.part_size} bytes; raise the store's part_size"
            )
        while len(self._in_flight) >= self._store.parts_in_flight:
            self._collect(wait(self._in_flight, return_when=FIRST_COMPLETED).done)
            self._check()
        if self.upload_id is None:
            self.upload_id = self._store.start_multipart(self._key, self._name)
        number, self._next = self._next, self._next + 1
        future = self._store.pool.get().submit(
            self._store.send_part, self._key, self._name, self.upload_id, number, body
        )
        self._in_flight[future] = number

    def finish(self) -> list[dict[str, Any]]:
        """Wait for every part; return them all in order, as CompleteMultipartUpload takes them."""
        self._collect(wait(self._in_flight).done)
        self._check()
        return sorted(self._stored, key=lambda part: int(part["PartNumber"]))

    def stop(self) -> None:
        """Cancel the parts not started and wait for those being sent; forget their failures."""
        for future in self._in_flight:
            future.cancel()
        wait(self._in_flight)
        self._in_flight.clear()

    def _collect(self, done: set[Future[dict[str, Any]]]) -> None:
        for future in done:
            del self._in_flight[future]
            error = future.exception()
            if error is None:
                self._stored.append(future.result())
            elif self._error is None:
                self._error = (
                    error
                    if isinstance(error, StoreError)
                    else StoreError(f"store {self._store.name!r}: cannot write {self._key!r}")
                )
                if not isinstance(error, StoreError):
                    self._error.__cause__ = error

    def _check(self) -> None:
        if self._error is not None:
            raise self._error
