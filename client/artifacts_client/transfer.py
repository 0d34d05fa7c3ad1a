"""Blob bytes on the way in and out: read in bounded chunks, hashed and counted as they pass.

Nothing here holds a whole blob in memory; a multi-gigabyte image moves in ``CHUNK`` pieces.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from artifacts_client.errors import DigestMismatch
from artifacts_client.models import Transfer

CHUNK = 1024 * 1024

#: Called with (bytes done, bytes in all or None when unknown) as data moves.
Progress = Callable[[int, int | None], None]

#: Response headers carrying the blob's digests, by algorithm.
DIGEST_HEADERS = {
    "sha256": "X-Openstack-Glare-Content-SHA256",
    "sha1": "X-Openstack-Glare-Content-SHA1",
    "md5": "Content-MD5",
}


class Hashes:
    """md5, sha1 and sha256 of everything fed, in one pass."""

    def __init__(self) -> None:
        # md5 and sha1 are the server's recorded digests (Glare's), compared, never trusted alone.
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._sha1.update(chunk)
        self._sha256.update(chunk)
        self.size += len(chunk)

    def result(self, resumed_from: int = 0) -> Transfer:
        return Transfer(
            size=self.size,
            md5=self._md5.hexdigest(),
            sha1=self._sha1.hexdigest(),
            sha256=self._sha256.hexdigest(),
            resumed_from=resumed_from,
        )


def verify(transfer: Transfer, expected: dict[str, str | None]) -> None:
    """Raise :class:`DigestMismatch` unless every digest the server gave matches ours."""
    for algorithm in ("sha256", "sha1", "md5"):
        want = expected.get(algorithm)
        if want:
            got = getattr(transfer, algorithm)
            if want.strip().lower() != got:
                raise DigestMismatch(algorithm, want, got)


@dataclass
class UploadSource:
    """A file-like source of known length that can be read again from its start for a retry."""

    stream: BinaryIO
    size: int | None
    start: int
    progress: Progress | None = None
    hashes: Hashes | None = None

    @classmethod
    def of(cls, stream: BinaryIO, progress: Progress | None = None) -> UploadSource:
        try:
            start = stream.tell()
            size: int | None = os.fstat(stream.fileno()).st_size - start
        except (OSError, AttributeError, ValueError):
            size, start = _remaining(stream)
        return cls(stream=stream, size=size, start=start, progress=progress)

    @property
    def rewindable(self) -> bool:
        return self.start >= 0

    def chunks(self) -> Iterator[bytes]:
        """The data from the start, hashing and reporting progress; a fresh pass each call."""
        if self.rewindable:
            self.stream.seek(self.start)
        self.hashes = hashes = Hashes()
        while chunk := self.stream.read(CHUNK):
            hashes.update(chunk)
            if self.progress is not None:
                self.progress(hashes.size, self.size)
            yield chunk


def _remaining(stream: BinaryIO) -> tuple[int | None, int]:
    """Length left in a seekable stream that is not a real file, or (None, -1) when unknown."""
    try:
        start = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(start)
    except (OSError, AttributeError, ValueError):
        return None, -1
    return end - start, start


def write_chunks(
    chunks: Iterable[bytes],
    out: BinaryIO,
    hashes: Hashes,
    total: int | None,
    progress: Progress | None,
) -> None:
    """Write ``chunks`` to ``out``, hashing them and reporting progress after each."""
    for chunk in chunks:
        out.write(chunk)
        hashes.update(chunk)
        if progress is not None:
            progress(hashes.size, total)


def hash_prefix(path: os.PathLike[str] | str, hashes: Hashes) -> int:
    """Feed the bytes already in ``path`` (a partial download) to ``hashes``; return their count."""
    with open(path, "rb") as existing:
        while chunk := existing.read(CHUNK):
            hashes.update(chunk)
    return hashes.size
