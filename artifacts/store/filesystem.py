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

import contextlib
import datetime as dt
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from artifacts.store._options import Options
from artifacts.store.base import (
    CHUNK_SIZE,
    ByteRange,
    InvalidKey,
    InvalidRange,
    ListedObject,
    ObjectNotFound,
    ReadHandle,
    StoredObject,
    StoreError,
    validate_key,
)

TMP_DIR = "tmp"
#: Partial objects of resumable uploads: they outlive requests, so the sweep leaves them alone
#: (their sessions' expiry removes them).
RESUMABLE_PREFIX = "resumable-"

# A committed key's directory may be pruned by a concurrent delete between our mkdir and our
# rename; a second attempt recreates it. More than a few in a row means something else is wrong.
_PUBLISH_ATTEMPTS = 3

# "There is no object here" in all its forms: a missing file, a path through a file (a key
# that extends another key), a directory (a key that is a prefix of other keys).
_ABSENT = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


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
        except _ABSENT:
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
        return ReadHandle(size=size, chunks=_read_chunks(file, start, end, key), file=file)

    def delete(self, key: str) -> None:
        """Remove the file, then the directories it leaves empty (up to, not including, root).

        Pruning keeps the fan-out tree from filling with empty directories of deleted
        artifacts; a commit racing with it retries its rename (see ``_publish``).
        """
        path = self._path(key)
        try:
            # An upload that died before its commit left only its temporary file.
            _unlink_if_present(self._temp_path(key))
            _unlink_if_present(self._resumable_path(key))
            path.unlink()
        except _ABSENT:
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
                _unlink_if_present(probe)
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


class FilesystemWriter:
    """Write to a temporary file; on commit, fsync it and rename it to the key."""

    def __init__(
        self,
        store: FilesystemStore,
        key: str,
        temp: Path,
        final: Path,
        file: BinaryIO,
        *,
        size: int = 0,
    ) -> None:
        self._store = store
        self._key = key
        self._temp = temp
        self._final = final
        self._file: BinaryIO | None = file
        self._size = size
        self._result: StoredObject | None = None
        self._cancelled = False
        self._failed = False
        self._commit_failed = False

    def write(self, chunk: bytes) -> None:
        file = self._ensure_writable()
        try:
            file.write(chunk)
        except OSError as exc:
            self._failed = True
            raise self._error("cannot write", exc) from exc
        self._size += len(chunk)

    def commit(self) -> StoredObject:
        if self._result is not None:
            return self._result
        file = self._ensure_writable()
        self._commit_failed = True  # until proven otherwise: cancel then cleans up the key too
        self._failed = True
        try:
            file.flush()
            os.fsync(file.fileno())
            file.close()
            self._file = None
            self._publish()
        except OSError as exc:
            raise self._error("cannot commit", exc) from exc
        self._commit_failed = self._failed = False
        self._result = StoredObject(store=self._store.name, key=self._key, size=self._size)
        return self._result

    def flush(self) -> None:
        file = self._ensure_writable()
        try:
            file.flush()
            os.fsync(file.fileno())
        except OSError as exc:
            self._failed = True
            raise self._error("cannot flush", exc) from exc

    def read_back(self) -> ReadHandle:
        self.flush()
        return self._store.open_path(self._temp, self._key, None)

    def suspend(self) -> None:
        """Flush and close, keeping the data: the writer is done, the partial object stays."""
        self.flush()
        file = self._file
        self._file = None
        self._cancelled = True  # nothing more to do here, and nothing for cancel to remove
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                raise self._error("cannot close", exc) from exc

    def cancel(self) -> None:
        if self._result is not None or self._cancelled:
            return
        try:
            if self._file is not None:
                self._file.close()
                self._file = None
            _unlink_if_present(self._temp)
            if self._commit_failed:
                _unlink_if_present(self._final)
        except OSError as exc:
            raise self._error("cannot discard the upload", exc) from exc
        self._cancelled = True

    def _publish(self) -> None:
        """Rename the temporary file to the key, creating directories, all durably."""
        parent = self._final.parent
        for attempt in range(_PUBLISH_ATTEMPTS):
            _makedirs_durable(parent, self._store.root)
            try:
                os.replace(self._temp, self._final)
                break
            except FileNotFoundError:
                if not self._temp.exists():
                    raise  # swept away: the upload is lost
                if attempt == _PUBLISH_ATTEMPTS - 1:
                    raise  # our directory was pruned each time
        _fsync_dir(parent)

    def _ensure_writable(self) -> BinaryIO:
        if self._result is not None or self._cancelled:
            raise ValueError(f"writer for {self._key!r} is already committed or cancelled")
        if self._failed or self._file is None:
            raise StoreError(f"store {self._store.name!r}: writer for {self._key!r} failed")
        return self._file

    def _error(self, what: str, exc: OSError) -> StoreError:
        return StoreError(f"store {self._store.name!r}: {what} {self._key!r}: {exc}")


def _read_chunks(file: BinaryIO, start: int, end: int, key: str) -> Iterator[bytes]:
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


def _makedirs_durable(path: Path, root: Path) -> None:
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
        _fsync_dir(directory.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_if_present(path: Path) -> None:
    with contextlib.suppress(*_ABSENT):
        path.unlink()


def from_options(name: str, options: Mapping[str, Any]) -> FilesystemStore:
    """Build a FilesystemStore from settings: the ``filesystem`` entry point.

    Options: ``root`` (required), the directory holding the store; a relative path is taken
    from the working directory at start-up, so configuration should give an absolute one.
    """
    reader = Options(name, "filesystem", options)
    root = reader.required_str("root")
    reader.finish()
    return FilesystemStore(name, Path(root))
