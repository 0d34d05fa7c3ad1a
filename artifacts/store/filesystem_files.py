"""File operations the filesystem store's parts share: durable directories, reads by offset.

Each of these is a step whose care (an ``fsync`` of the parent, ``pread`` rather than a seek)
is easy to lose when written twice, so the store and its writer both use these.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from artifacts.store.base import CHUNK_SIZE, StoreError

# "There is no object here" in all its forms: a missing file, a path through a file (a key
# that extends another key), a directory (a key that is a prefix of other keys).
ABSENT = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


def read_chunks(file: BinaryIO, start: int, end: int, key: str) -> Iterator[bytes]:
    """Yield ``[start, end)`` with ``pread``, leaving ``file``'s position alone.

    Reading by offset keeps the two views of a ReadHandle independent: consuming ``chunks``
    does not move ``file``, which stays where a ``sendfile`` would begin.
    """
    offset = start
    while offset < end:
        if file.closed:
            raise StoreError(f"the handle on {key!r} was closed while being read")
        try:
            chunk = os.pread(file.fileno(), min(CHUNK_SIZE, end - offset), offset)
        except OSError as exc:
            raise StoreError(f"cannot read {key!r}: {exc}") from exc
        if not chunk:
            raise StoreError(f"object {key!r} ended at {offset} bytes, before {end}")
        offset += len(chunk)
        yield chunk


def makedirs_durable(path: Path, root: Path) -> None:
    """Create ``path`` and missing ancestors below ``root``, fsyncing each new entry's parent.

    ``os.makedirs`` alone may lose a new directory on power failure: the entry lives in its
    parent, which must be synced too.
    """
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current in (root, current.parent):  # stop at root, or at / if root is gone
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue  # a concurrent commit made it
        fsync_dir(directory.parent)


def fsync_dir(path: Path) -> None:
    """Make the entries of directory ``path`` (a rename into it, a new child) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_if_present(path: Path) -> None:
    """Remove the file at ``path``; one that is not there is already what was wanted."""
    with contextlib.suppress(*ABSENT):
        path.unlink()
