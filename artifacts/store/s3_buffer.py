"""The part an S3 upload is filling, shared by the plain and the resumable writer.

A part is kept as the chunks that arrived and joined once, when it is sent: one copy of each
byte on its way to botocore. Growing a ``bytearray`` and then taking ``bytes`` of it copies
every byte twice and reallocates the buffer as it grows, which costs a node more CPU per
gigabyte than sha1 does. Chunks given as ``bytes`` are held as they are (they cannot change
under us); any other buffer is copied when it arrives, since its owner may reuse it.

The joined part is a ``bytearray``, not ``bytes``: botocore wraps a ``bytes`` body in a
``BytesIO``, which urllib3 then reads and sends 16 KiB at a time (a copy and a system call
each), while any other buffer goes to the socket whole, in one ``sendall`` (~0.2 CPU-s per GB
less, measured against Swift).

Memory stays at one part: a chunk that straddles two parts is held by both, as views of one
object, until the first is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artifacts.store.base import StoreError
from artifacts.store.s3_parts import PartSender

if TYPE_CHECKING:
    from artifacts.store.s3 import S3Store


class PartBuffer:
    """Fill parts of ``store.part_size`` bytes and hand full ones to a :class:`.PartSender`.

    ``eager`` sends a part as soon as it is full (a resumable upload, whose offset promises
    every full part is stored); otherwise a full part waits for more data, so that an object
    of exactly one part can still go up in a single PutObject. The first part that fails to
    go fails the buffer: every later :meth:`check` raises.
    """

    def __init__(
        self,
        store: S3Store,
        key: str,
        *,
        upload_id: str | None,
        parts: list[dict[str, Any]],
        tail: bytes = b"",
        eager: bool,
    ) -> None:
        self.sender = PartSender(store, key, upload_id=upload_id, parts=parts)
        self._store = store
        self._key = key
        self._eager = eager
        self._chunks: list[bytes | memoryview] = [tail] if tail else []
        self._length = len(tail)
        self.failed = False

    def __len__(self) -> int:
        """The bytes held, not yet sent as a part."""
        return self._length

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Take ``chunk``, sending each part it completes."""
        part_size = self._store.part_size
        view = memoryview(chunk).cast("B")
        if not isinstance(chunk, bytes):
            view = memoryview(view.tobytes())
        while view:
            if not self._eager and self._length == part_size:
                self.send()
            room = part_size - self._length
            piece = view[:room] if len(view) > room else view
            self._chunks.append(piece)
            self._length += len(piece)
            view = view[len(piece) :]
            if self._eager and self._length == part_size:
                self.send()

    def take(self) -> bytearray:
        """Return the bytes held, and hold none (for a PutObject or a resumable tail)."""
        joined = bytearray().join(self._chunks)
        self._chunks.clear()
        self._length = 0
        return joined

    def peek(self) -> bytes:
        """Return the bytes held, keeping them."""
        joined = b"".join(self._chunks)
        self._chunks[:] = [joined] if joined else []
        return joined

    def send(self) -> None:
        """Send the bytes held as the next part (waiting while too many are in flight)."""
        try:
            self.sender.send(self.take())
        except StoreError:
            self.failed = True
            raise

    def drop(self) -> None:
        """Forget the bytes held (the upload is being cancelled)."""
        self._chunks.clear()
        self._length = 0

    def check(self, finished: bool, what: str) -> None:
        """Raise unless the writer may go on: ValueError once ``finished``, StoreError if failed."""
        if finished:
            raise ValueError(f"writer for {self._key!r} is already {what}")
        if self.failed:
            raise StoreError(f"store {self._store.name!r}: writer for {self._key!r} failed")
