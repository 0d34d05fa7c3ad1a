"""Writing one object of the filesystem store: a temporary file, renamed to its key on commit.

See :mod:`artifacts.store.filesystem` for the layout and why each step is made durable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from artifacts.store.base import ReadHandle, StoredObject, StoreError
from artifacts.store.filesystem_files import fsync_dir, makedirs_durable, unlink_if_present

if TYPE_CHECKING:
    from artifacts.store.filesystem import FilesystemStore

# A committed key's directory may be pruned by a concurrent delete between our mkdir and our
# rename; a second attempt recreates it. More than a few in a row means something else is wrong.
_PUBLISH_ATTEMPTS = 3


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
            unlink_if_present(self._temp)
            if self._commit_failed:
                unlink_if_present(self._final)
        except OSError as exc:
            raise self._error("cannot discard the upload", exc) from exc
        self._cancelled = True

    def _publish(self) -> None:
        """Rename the temporary file to the key, creating directories, all durably."""
        parent = self._final.parent
        for attempt in range(_PUBLISH_ATTEMPTS):
            makedirs_durable(parent, self._store.root)
            try:
                os.replace(self._temp, self._final)
                break
            except FileNotFoundError:
                if not self._temp.exists():
                    raise  # swept away: the upload is lost
                if attempt == _PUBLISH_ATTEMPTS - 1:
                    raise  # our directory was pruned each time
        fsync_dir(parent)

    def _ensure_writable(self) -> BinaryIO:
        if self._result is not None or self._cancelled:
            raise ValueError(f"writer for {self._key!r} is already committed or cancelled")
        if self._failed or self._file is None:
            raise StoreError(f"store {self._store.name!r}: writer for {self._key!r} failed")
        return self._file

    def _error(self, what: str, exc: OSError) -> StoreError:
        return StoreError(f"store {self._store.name!r}: {what} {self._key!r}: {exc}")
