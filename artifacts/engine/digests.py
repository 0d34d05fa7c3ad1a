"""Streaming digests for uploads, overlapped with reading the request and storing the bytes.

md5, sha1 and sha256 are computed in one pass over the data as it streams to the store. hashlib
releases the GIL on large buffers, so each digest lane (md5 alone, sha1 with sha256) and the
store write run on their own threads while the request thread keeps reading: the upload then
runs at the speed of its slowest stage (md5, or the store) instead of the sum of all of them.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Chunks a lane may hold before the reader waits: enough to absorb jitter, bounded memory.
LANE_DEPTH = 3

_END = object()


@dataclass(frozen=True)
class Digests:
    md5: str
    sha1: str
    sha256: str


@dataclass(frozen=True)
class DigestState:
    """The running digests of the bytes seen so far, to go on with in a later request.

    hashlib objects keep their state in this process only (OpenSSL contexts cannot be
    serialized), so a state is good for the process that made it.
    """

    md5: Any
    sha1: Any
    sha256: Any
    size: int


class _Lane:
    """One ordered consumer of chunks on its own thread; its first failure is kept."""

    def __init__(self, work: Callable[[bytes], None], name: str) -> None:
        self._work = work
        self._queue: queue.Queue[object] = queue.Queue(LANE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def close(self) -> BaseException | None:
        """Let the lane finish what it holds; return its failure, if any."""
        self._queue.put(_END)
        self._thread.join()
        return self._error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is None:
                try:
                    self._work(item)  # type: ignore[arg-type]
                except BaseException as exc:  # handed to the request thread in put()/close()
                    self._error = exc


class Digester:
    """Feed chunks in order; read the hex digests when done (``finish``), or ``abandon``."""

    def __init__(
        self,
        sink: Callable[[bytes], None] | None = None,
        *,
        watch: Callable[[bytes], None] | None = None,
        state: DigestState | None = None,
    ) -> None:
        """``sink`` receives the bytes (the store); ``watch`` sees them too (streaming checks).

        Each runs on a lane of its own, so neither holds up reading or hashing; a failure of
        either is raised by the next :meth:`update` or by :meth:`digests`. ``state`` goes on
        from the digests a previous digester left (:meth:`pause`).
        """
        if state is None:
            state = DigestState(
                hashlib.md5(usedforsecurity=False), hashlib.sha1(), hashlib.sha256(), 0
            )
        self._md5, self._sha1, self._sha256 = state.md5, state.sha1, state.sha256
        self._lanes = [_Lane(self._md5.update, "md5"), _Lane(self._shas, "sha")]
        if sink is not None:
            self._lanes.append(_Lane(sink, "store"))
        if watch is not None:
            self._lanes.append(_Lane(watch, "checks"))
        self._closed = False
        self.size = state.size

    def _shas(self, chunk: bytes) -> None:
        self._sha1.update(chunk)
        self._sha256.update(chunk)

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        for lane in self._lanes:
            lane.put(chunk)

    def digests(self) -> Digests:
        """Wait for every lane and return the digests; re-raise a lane's failure (the store's)."""
        errors = self._close()
        if errors:
            raise errors[0]
        return Digests(
            md5=self._md5.hexdigest(), sha1=self._sha1.hexdigest(), sha256=self._sha256.hexdigest()
        )

    def pause(self) -> DigestState:
        """Wait for every lane and return the digests' state, to go on with later."""
        errors = self._close()
        if errors:
            raise errors[0]
        return DigestState(self._md5, self._sha1, self._sha256, self.size)

    def abandon(self) -> None:
        """Stop every lane without caring how it ended (the upload failed anyway)."""
        self._close()

    def _close(self) -> list[BaseException]:
        if self._closed:
            return []
        self._closed = True
        return [error for lane in self._lanes if (error := lane.close()) is not None]
