"""Streaming digests and size limits for uploads.

md5, sha1 and sha256 are computed in one pass over the data as it streams to the store. hashlib
releases the GIL on large buffers, so the three digests run on separate threads, overlapped
with reading the request and writing the store: the upload is then bounded by the slowest digest
(md5) rather than by the sum of the three.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Digests:
    md5: str
    sha1: str
    sha256: str


class Digester:
    """Feed chunks in order; read the hex digests when done."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self._executor = executor
        self._hashes = (hashlib.md5(usedforsecurity=False), hashlib.sha1(), hashlib.sha256())
        # One pending update per hash at most: each chunk waits for the previous one of the same
        # hash, which keeps order and bounds memory to two chunks in flight.
        self._pending: list[Future[None] | None] = [None, None, None]
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        for index, digest in enumerate(self._hashes):
            previous = self._pending[index]
            if previous is not None:
                previous.result()
            self._pending[index] = self._executor.submit(_updater(digest), chunk)

    def digests(self) -> Digests:
        for pending in self._pending:
            if pending is not None:
                pending.result()
        md5, sha1, sha256 = (digest.hexdigest() for digest in self._hashes)
        return Digests(md5=md5, sha1=sha1, sha256=sha256)


def _updater(digest: hashlib._Hash) -> Callable[[bytes], None]:
    return digest.update


def digest_pool(uploads: int = 4) -> ThreadPoolExecutor:
    """Create the threads that hash uploads: three per concurrent upload."""
    return ThreadPoolExecutor(max_workers=3 * uploads, thread_name_prefix="digest")
