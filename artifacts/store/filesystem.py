"""A blob store in a directory tree: the embedded default, and the one ``sendfile`` can serve.

Layout under ``root`` (see the package docstring for the key layout)::

    <root>/
      blobs/…/<blob id>        committed objects: a key is a relative path under root
      tmp/<sha256 of the key>  objects being written; never a committed key
      tmp/resumable-<sha256>   resumable uploads' partial objects, kept between requests

An upload is written to ``tmp/``, under a name derived from its key, and renamed to its key on
commit, after an ``fsync`` of the file; the rename and the directories it needed are made
durable with an ``fsync`` of each directory touched. Readers therefore see a key either
complete or not at all, even after a crash. What a crash leaves in ``tmp/`` goes when its key
is deleted (the blob service records an abandoned upload's key as an orphan, removed by
``artifacts scrub``), and at the latest by :meth:`FilesystemStore.sweep_temporary`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from artifacts.store._options import Options
from artifacts.store.base import (
    ByteRange,
    InvalidKey,
    InvalidRange,
    ListedObject,
    ObjectNotFound,
    ReadHandle,
    StoreError,
    validate_key,
)
from artifacts.store.filesystem_files import ABSENT, read_chunks, unlink_if_present
from artifacts.store.filesystem_writer import FilesystemWriter

TMP_DIR = "tmp"
#: Partial objects of resumable uploads: they outlive requests, so the sweep leaves them alone
#: (their sessions' expiry removes them).
RESUMABLE_PREFIX = "resumable-"


class FilesystemStore:
    """Objects as files under ``root``; safe to share between threads and processes."""

    def __init__(
        self, name: str, root: str | os.PathLike[str], *, clock: Callable[[], float] = time.time
    ) -> None:
        """Keep ``root`` (made absolute, so a later ``chdir`` cannot move the store).

        Nothing is created until the first write or ``check``: building a store has no side
        effects. ``clock`` returns POSIX seconds; it decides what ``sweep_temporary`` finds old.
        """
        self.name = name
        self.root = Path(root).absolute()
        self._tmp = self.root / TMP_DIR
        self._clock = clock

    def open_writer(self, key: str) -> FilesystemWriter:
        final = self._path(key)
        try:
            os.makedirs(self._tmp, exist_ok=True)
            temp = self._temp_path(key)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: cannot start writing {key!r}: {exc}") from exc
        return FilesystemWriter(self, key, temp, final, os.fdopen(fd, "wb"))

    def resume_writer(self, key: str, offset: int) -> FilesystemWriter:
        """Append to the partial object at ``key`` from ``offset``, cutting off what follows.

        A partial object that was already renamed to its key (a crash between the commit and
        its recording) is moved back, so the upload can be finished again.
        """
        final = self._path(key)
        temp = self._resumable_path(key)
        try:
            os.makedirs(self._tmp, exist_ok=True)
            if offset > 0 and not temp.exists() and final.is_file():
                os.replace(final, temp)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: cannot resume writing {key!r}: {exc}") from exc
        try:
            held = os.fstat(fd).st_size
            if held < offset:
                raise StoreError(
                    f"store {self.name!r}: partial {key!r} holds {held} bytes, not {offset}"
                )
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"store {self.name!r}: cannot resume {key!r}: {exc}") from exc
        except BaseException:
            os.close(fd)
            raise
        return FilesystemWriter(self, key, temp, final, os.fdopen(fd, "wb"), size=offset)

    def open_reader(self, key: str, byte_range: ByteRange | None = None) -> ReadHandle:
        return self.open_path(self._path(key), key, byte_range)

    def open_path(self, path: Path, key: str, byte_range: ByteRange | None) -> ReadHandle:
        """Open the file at ``path`` (``key``'s object, or its partial object)."""
        try:
            file = open(path, "rb")  # noqa: SIM115 - the handle owns it and closes it
        except ABSENT:
            raise ObjectNotFound(f"store {self.name!r} has no object {key!r}") from None
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: cannot open {key!r}: {exc}") from exc
        try:
            size = os.fstat(file.fileno()).st_size
            start, end = 0, size
            if byte_range is not None:
                if byte_range.start >= size:
                    raise InvalidRange(
                        f"range starts at {byte_range.start}, object {key!r} has {size} bytes"
                    )
                start, end = byte_range.start, min(byte_range.end + 1, size)
            file.seek(start)
        except OSError as exc:
            file.close()
            raise StoreError(f"store {self.name!r}: cannot read {key!r}: {exc}") from exc
        except BaseException:
            file.close()
            raise
        return ReadHandle(size=size, chunks=read_chunks(file, start, end, key), file=file)

    def delete(self, key: str) -> None:
        """Remove the file, then the directories it leaves empty (up to, not including, root).

        Pruning keeps the fan-out tree from filling with empty directories of deleted
        artifacts; a commit racing with it retries its rename (see ``FilesystemWriter._publish``).
        """
        path = self._path(key)
        try:
            # An upload that died before its commit left only its temporary file.
            unlink_if_present(self._temp_path(key))
            unlink_if_present(self._resumable_path(key))
            path.unlink()
        except ABSENT:
            return
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: cannot delete {key!r}: {exc}") from exc
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break  # not empty (or already gone): stop, it is not ours to clean further
            parent = parent.parent

    def check(self) -> None:
        """Create, write and remove a probe file in ``tmp/``: the same path an upload takes.

        The probe goes away whatever happens: on a full disk the create succeeds and the
        write fails, and a probe left behind per call would fill ``tmp/`` with litter.
        """
        probe = self._tmp / f"check-{uuid.uuid4().hex}"
        try:
            os.makedirs(self._tmp, exist_ok=True)
            try:
                with open(probe, "xb") as file:
                    file.write(b"ok")
                    file.flush()
                    os.fsync(file.fileno())
            finally:
                unlink_if_present(probe)
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: {self.root} is not writable: {exc}") from exc

    def sweep_temporary(self, older_than: dt.timedelta) -> int:
        """Remove temporary files not modified for ``older_than``; return how many went.

        They are what a server killed mid-upload leaves behind. A live upload touches its file
        with every write, so choose ``older_than`` well above the longest pause an upload may
        take (the request timeout), or a slow live upload fails at commit.
        """
        if older_than < dt.timedelta(0):
            raise ValueError("older_than must not be negative")
        cutoff = self._clock() - older_than.total_seconds()
        removed = 0
        try:
            with os.scandir(self._tmp) as entries:
                for entry in entries:
                    try:
                        if not entry.is_file(follow_symlinks=False):
                            continue
                        if entry.name.startswith(RESUMABLE_PREFIX):
                            continue
                        if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                            continue
                        os.unlink(entry.path)
                    except FileNotFoundError:
                        continue  # committed or cancelled meanwhile
                    removed += 1
        except FileNotFoundError:
            return 0  # nothing was ever written
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: cannot sweep {self._tmp}: {exc}") from exc
        return removed

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Walk the tree under ``root`` (``tmp/`` aside): a key is a file's relative path."""
        try:
            for directory, subdirs, files in os.walk(self.root):
                here = Path(directory)
                if here == self.root:
                    subdirs[:] = [d for d in subdirs if d != TMP_DIR]
                for name in files:
                    path = here / name
                    key = path.relative_to(self.root).as_posix()
                    if not key.startswith(prefix):
                        continue
                    try:
                        info = path.stat()
                    except FileNotFoundError:
                        continue  # deleted meanwhile
                    yield ListedObject(key, info.st_size, info.st_mtime)
        except OSError as exc:
            raise StoreError(f"store {self.name!r}: cannot list {self.root}: {exc}") from exc

    def _temp_path(self, key: str) -> Path:
        """Where an upload to ``key`` is written until its commit: named after the key.

        Keys are never reused, so the name is unique; and deleting a key that never got
        committed (an abandoned upload, recorded as an orphan) finds its partial data here.
        """
        return self._tmp / hashlib.sha256(validate_key(key).encode()).hexdigest()

    def _resumable_path(self, key: str) -> Path:
        """Where a resumable upload to ``key`` keeps its bytes between requests."""
        digest = hashlib.sha256(validate_key(key).encode()).hexdigest()
        return self._tmp / (RESUMABLE_PREFIX + digest)

    def _path(self, key: str) -> Path:
        """Map a key to its path, refusing any key that could leave root or reach ``tmp/``."""
        parts = validate_key(key).split("/")
        if parts[0] == TMP_DIR:
            raise InvalidKey(f"store key {key!r} is inside the reserved {TMP_DIR}/ directory")
        path = self.root.joinpath(*parts)
        # validate_key already makes this impossible; a second, independent check is cheap.
        if os.path.commonpath([self.root, path]) != str(self.root):
            raise InvalidKey(f"store key {key!r} leaves the store's root")
        return path


def from_options(name: str, options: Mapping[str, Any]) -> FilesystemStore:
    """Build a FilesystemStore from settings: the ``filesystem`` entry point.

    Options: ``root`` (required), the directory holding the store; a relative path is taken
    from the working directory at start-up, so configuration should give an absolute one.
    """
    reader = Options(name, "filesystem", options)
    root = reader.required_str("root")
    reader.finish()
    return FilesystemStore(name, Path(root))
