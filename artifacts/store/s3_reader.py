"""Reading a GetObject body with read-ahead: the next chunk arrives while this one is sent.

Without it a download alternates: receive a chunk from S3, send it to the client, receive the
next. With one chunk read ahead on the store's pool, both sockets are busy at once (botocore
and the socket writes release the GIL), and memory stays at two chunks per download. The
pool thread only ever reads one chunk and returns, so a slow client holds no pool thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]
from urllib3.exceptions import HTTPError as URLLib3HTTPError

from artifacts.store.base import CHUNK_SIZE, StoreError

# Errors a response body may raise while streaming: botocore wraps most, not all, of urllib3's.
_STREAM_ERRORS = (BotoCoreError, URLLib3HTTPError, OSError)


class BodyChunks:
    """Iterate a GetObject body in CHUNK_SIZE pieces, closing it when done or closed.

    A class rather than a generator: a generator that never started ignores ``close()``, and
    the body holds a pooled connection that must go back even if nobody read a byte. With a
    ``pool``, the next chunk is read on it while the caller handles the current one.
    """

    def __init__(
        self,
        body: Any,
        key: str,
        *,
        skip: int,
        limit: int | None,
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self._body = body
        self._key = key
        self._skip = skip
        self._remaining = limit
        self._pool = pool
        self._chunks: Iterator[bytes] | None = None
        self._ahead: Future[bytes | None] | None = None
        self._closed = False

    def __iter__(self) -> BodyChunks:
        return self

    def __next__(self) -> bytes:
        while not self._closed:
            if self._remaining is not None and self._remaining <= 0:
                break
            try:
                chunk = self._take()
            except StoreError:
                self.close()
                raise
            if chunk is None:
                break
            if self._skip:
                dropped = min(self._skip, len(chunk))
                chunk, self._skip = chunk[dropped:], self._skip - dropped
            if self._remaining is not None:
                chunk = chunk[: self._remaining]
                self._remaining -= len(chunk)
            if chunk:
                return chunk
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Close the body now, or once the chunk being read ahead has arrived."""
        if self._closed:
            return
        self._closed = True
        ahead, self._ahead = self._ahead, None
        if ahead is not None and not ahead.cancel():
            # A pool thread is reading the body: closing it under that thread's feet would
            # race it; close when it is done instead, without making the caller wait.
            ahead.add_done_callback(lambda _: self._body.close())
            return
        self._body.close()

    def _take(self) -> bytes | None:
        """The next raw chunk (None at the end), and the read of the one after it started."""
        if self._pool is None:
            return self._read()
        ahead = self._ahead or self._pool.submit(self._read)
        chunk = ahead.result()
        self._ahead = None if chunk is None else self._pool.submit(self._read)
        return chunk

    def _read(self) -> bytes | None:
        try:
            if self._chunks is None:
                self._chunks = self._body.iter_chunks(CHUNK_SIZE)
            return next(self._chunks)
        except StopIteration:
            return None
        except _STREAM_ERRORS as exc:
            raise StoreError(f"reading {self._key!r} failed: {exc}") from exc
