"""The contract every blob store driver fulfils, and the values it exchanges.

A driver moves bytes; it knows nothing of artifacts, digests, limits or policy. Uploads are
explicit transactions (``open_writer`` → ``write``… → ``commit`` or ``cancel``) so the blob
service can abandon a transfer that crossed a size limit or lost its client without leaving a
half-written object behind.

Rules every driver follows (``tests/unit/store/test_conformance.py`` holds them to it):

- Keys are checked by :func:`validate_key` before any I/O, so a key can never name something
  outside the store (a parent directory, another bucket prefix).
- A writer is used by one thread; a store is shared by all threads of a process.
- ``cancel`` after a successful ``commit`` does nothing (the object is the caller's now: use
  ``delete``); ``cancel`` after a *failed* ``commit`` removes whatever may have become visible.
- ``write`` or ``commit`` on a writer that was committed or cancelled is a programming error
  (``ValueError``); after a failed ``write`` they raise ``StoreError`` until ``cancel``.
- Errors from a vendor library never escape: they become :class:`StoreError` or a subclass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from artifacts.config import ConfigError

#: Size of the chunks drivers read and yield.
CHUNK_SIZE = 1024 * 1024

#: Longest key accepted: S3 allows 1024 bytes, and the S3 driver prepends its prefix.
MAX_KEY_LENGTH = 512

_KEY_CHARS = re.compile(r"[A-Za-z0-9._/-]+")


@dataclass(frozen=True)
class StoredObject:
    """Where committed bytes are, and how many: what the database records."""

    store: str
    key: str
    size: int


@dataclass(frozen=True)
class ListedObject:
    """A committed object as a listing finds it (what garbage collection compares with rows)."""

    key: str
    size: int
    #: When the object was last written (POSIX seconds).
    modified: float


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range ``[start, end]`` within an object.

    The caller (the blob service, which knows the recorded size) validates the range against
    the object; drivers clamp an ``end`` past the object's last byte, as HTTP does, and raise
    :class:`InvalidRange` for a ``start`` at or past it.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        # Refuse nonsense at construction, so no driver has to guess what it means.
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid byte range [{self.start}, {self.end}]")

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass
class ReadHandle:
    """An open object: its total size and its bytes (the range asked for, if any).

    ``chunks`` always works and yields exactly the bytes of the range. ``file`` is set when
    the driver can hand over a real file positioned at the start of the range, so the WSGI
    server may use ``sendfile``; a file knows nothing of the range's end, so whoever reads it
    stops after ``byte_range.length`` bytes (an HTTP server does so from Content-Length).
    Use one view or the other, and always ``close`` the handle.
    """

    size: int
    chunks: Iterator[bytes]
    file: BinaryIO | None = None

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()
        if self.file is not None:
            self.file.close()


class StoreError(Exception):
    """The root of store errors.

    Raised as itself, the store failed (unreachable, out of space, refused) and the operation
    may be retried; subclasses say more precisely what happened.
    """


class ObjectNotFound(StoreError):
    """The key is not in the store."""


class InvalidRange(StoreError):
    """The range starts at or after the end of the object (any range on an empty object).

    The blob service checks ranges against the recorded size first, so this means the store
    and the database disagree about the object.
    """


class InvalidKey(ValueError):
    """A key broke the key rules: a bug in the caller, never a user's input (keys are built
    by the blob service), so it is not a StoreError."""


class StoreConfigError(ConfigError):
    """Store settings name an unknown driver or lack, misspell or mistype an option.

    A ConfigError, so start-up stops with the message instead of failing on the first upload.
    """


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`InvalidKey`.

    A key is ``/``-separated segments of ``[A-Za-z0-9._-]``, not absolute, with no empty, ``.``
    or ``..`` segment. That keeps it a plain relative path on a filesystem and an ordinary
    object name in S3, so it can never escape the store's root or prefix.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"store key must be 1 to {MAX_KEY_LENGTH} characters long")
    if not _KEY_CHARS.fullmatch(key):
        raise InvalidKey(f"store key {key!r} has characters outside [A-Za-z0-9._/-]")
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise InvalidKey(f"store key {key!r} has an empty, '.' or '..' segment, or is absolute")
    return key


def write_object(store: BlobStore, key: str, chunks: Iterable[bytes]) -> StoredObject:
    """Write ``chunks`` to a new object and commit it, cancelling on any failure.

    The whole writer protocol in one call, for callers that hold an iterable of bytes.
    """
    writer = store.open_writer(key)
    try:
        for chunk in chunks:
            writer.write(chunk)
        return writer.commit()
    except BaseException:
        writer.cancel()
        raise


def read_object(store: BlobStore, key: str, byte_range: ByteRange | None = None) -> bytes:
    """Read a whole object (or range) into memory: for tests and small objects only."""
    handle = store.open_reader(key, byte_range)
    try:
        return b"".join(handle.chunks)
    finally:
        handle.close()


@runtime_checkable
class BlobWriter(Protocol):
    def write(self, chunk: bytes) -> None:
        """Append bytes; may buffer, must not keep more than a bounded amount in memory."""

    def commit(self) -> StoredObject:
        """Make the data durable and visible under the writer's key."""

    def cancel(self) -> None:
        """Discard everything written; safe to call after a failure, and more than once."""


@runtime_checkable
class ResumableWriter(BlobWriter, Protocol):
    """A writer whose data survives the process between requests: a resumable upload's."""

    def flush(self) -> None:
        """Make everything written so far durable, so its length may be recorded."""

    def suspend(self) -> None:
        """Flush and let go; the data stays for :meth:`ResumableStore.resume_writer`."""

    def read_back(self) -> ReadHandle:
        """Read everything written, from the first byte, before committing it.

        A store that cannot read a partial object (S3) may make it complete under its key
        first: that is still no commit, and ``cancel`` removes it.
        """


@runtime_checkable
class ResumableStore(Protocol):
    """A store that keeps partial objects across requests (and processes, and nodes).

    A partial object lives apart from committed ones (``list_objects`` never shows it) until
    its writer commits it; ``delete`` of its key removes it too.
    """

    def resume_writer(self, key: str, offset: int) -> ResumableWriter:
        """Open the partial object at ``key`` to append at ``offset`` (a new one at 0).

        Bytes past ``offset`` (written but never recorded) are cut off; holding fewer than
        ``offset`` bytes is a :class:`StoreError`: the recorded progress was lost.
        """


@runtime_checkable
class BlobStore(Protocol):
    """A named place for blob bytes."""

    name: str

    def open_writer(self, key: str) -> BlobWriter:
        """Start writing a new object at ``key`` (keys are never reused)."""

    def open_reader(self, key: str, byte_range: ByteRange | None = None) -> ReadHandle:
        """Open an object, or the given part of it; raise ObjectNotFound if absent."""

    def delete(self, key: str) -> None:
        """Remove an object; deleting a missing key is not an error."""

    def check(self) -> None:
        """Raise StoreError unless the store is reachable and writable (readiness probes)."""

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Yield every committed object whose key starts with ``prefix``, in no set order."""
