"""What a direct upload is, as its client sees it, and its joined object as the upload
pipeline reads and keeps it (:mod:`.direct`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from artifacts.db import upload_sessions as rows
from artifacts.db.models import UploadSessionRow
from artifacts.db.rows import aware
from artifacts.store.base import BlobStore, ReadHandle, StoredObject

from .common import BlobRef

if TYPE_CHECKING:
    from artifacts.store.s3_direct import UploadedPart


@dataclass(frozen=True)
class DirectSession:
    """A direct upload as its client sees it: its parts, and URLs for those still missing."""

    upload_id: str
    ref: BlobRef
    length: int
    part_size: int
    expires_at: dt.datetime
    complete: bool
    content_type: str
    sha256: str | None
    #: Where the parts go: the store, the object's key, the S3 multipart upload's id.
    store: str
    location: str
    remote_id: str | None
    #: Parts the bucket holds (empty until asked with ``list_parts``).
    uploaded: tuple[UploadedPart, ...] = ()
    #: Presigned PUT URLs for missing parts, by part number, valid until ``urls_expire_at``.
    urls: Mapping[int, str] = field(default_factory=dict)
    urls_expire_at: dt.datetime | None = None
    #: The first missing part past this answer's URLs, when there are more than a page.
    next_part: int | None = None
    #: The artifact, once a commit made the blob active.
    artifact: Mapping[str, Any] | None = None

    @property
    def part_count(self) -> int:
        return -(-self.length // self.part_size)

    def part_length(self, number: int) -> int:
        """How many bytes part ``number`` (1-based) must hold."""
        if number < self.part_count:
            return self.part_size
        return self.length - (self.part_count - 1) * self.part_size


def session_of(row: UploadSessionRow) -> DirectSession:
    return DirectSession(
        upload_id=row.id,
        ref=BlobRef(row.type_name, row.artifact_id, row.field, row.key),
        length=row.length,
        part_size=row.part_size or 0,
        expires_at=aware(row.expires_at) or row.expires_at,
        complete=row.status == rows.COMPLETE,
        content_type=row.content_type,
        sha256=row.sha256,
        store=row.store,
        location=row.location,
        remote_id=row.remote_id,
    )


class JoinedObject:
    """The writer of an object the bucket joined already: commit names it, cancel deletes it."""

    def __init__(self, store: BlobStore, key: str, size: int) -> None:
        self._store = store
        self._key = key
        self._size = size
        self._committed = False

    def write(self, chunk: bytes) -> None:
        raise ValueError("a joined object takes no more bytes")

    def commit(self) -> StoredObject:
        self._committed = True
        return StoredObject(store=self._store.name, key=self._key, size=self._size)

    def cancel(self) -> None:
        if not self._committed:
            self._store.delete(self._key)


class HandleReader:
    """A store handle's chunks as the stream an upload reads."""

    def __init__(self, handle: ReadHandle) -> None:
        self._chunks = handle.chunks

    def read(self, size: int = -1, /) -> bytes:
        return next(self._chunks, b"")
