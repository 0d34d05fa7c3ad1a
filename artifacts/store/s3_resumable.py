"""Resumable writes to S3: a partial object is an open multipart upload plus a small tail.

S3 keeps the parts of an open multipart upload between requests, across processes and nodes,
but every part but the last must be at least 5 MiB, and a request may end anywhere. So a
partial object of ``offset`` bytes is::

    <prefix>/<key>                           the multipart upload's key: parts 1 … k of
                                             part_size bytes each (k = offset // part_size)
    <prefix>/resumable-tails/<h>/<offset>    the last offset % part_size bytes, if any
                                             (h: the sha256 of the key)

A tail is named after the offset it completes, so writing a new one never touches the one the
recorded offset still needs; the stale ones go when the next append starts (its offset is
recorded by then) and when the object is committed or cancelled. Tails live outside
``blobs/``, where garbage collection never looks.

An incomplete multipart upload cannot be read, so :meth:`S3ResumableWriter.read_back`
completes it first: the data then sits at its key, unnamed by any row, until the upload it
belongs to is promoted or cancelled (a resumed writer finds it complete and goes on from
there).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from artifacts.store.base import (
    ObjectNotFound,
    ReadHandle,
    StoredObject,
    StoreError,
    validate_key,
)
from artifacts.store.s3_buffer import PartBuffer

if TYPE_CHECKING:
    from artifacts.store.s3 import S3Store

TAILS = "resumable-tails"


def _tails(key: str) -> str:
    return f"{TAILS}/{hashlib.sha256(validate_key(key).encode()).hexdigest()}"


class S3ResumableWriter:
    """Append to a partial object; see the module docstring for its layout."""

    def __init__(
        self,
        store: S3Store,
        key: str,
        *,
        upload_id: str | None,
        parts: list[dict[str, Any]],
        tail: bytes,
        size: int,
    ) -> None:
        self._store = store
        self._key = key
        self._name = store.object_name(key)
        self._buffer = PartBuffer(
            store, key, upload_id=upload_id, parts=parts, tail=tail, eager=True
        )
        self._parts = self._buffer.sender
        self._size = size
        self._result: StoredObject | None = None
        self._done = False

    def write(self, chunk: bytes) -> None:
        self._ensure_writable()
        self._buffer.write(chunk)
        self._size += len(chunk)

    def flush(self) -> None:
        """Wait for the parts in flight, then store the bytes past them as the offset's tail.

        The offset the caller records next promises parts 1 … k and that tail, so both must
        be stored before this returns.
        """
        self._ensure_writable()
        store = self._store
        try:
            self._parts.finish()
            if not self._buffer:
                return
            with store.translate_errors("write", self._key):
                store.client.put_object(
                    Bucket=store.bucket,
                    Key=store.object_name(f"{_tails(self._key)}/{self._size}"),
                    Body=self._buffer.peek(),
                )
        except StoreError:
            self._buffer.failed = True
            raise

    def suspend(self) -> None:
        self.flush()
        self._done = True

    def read_back(self) -> ReadHandle:
        """Complete the object under its key (S3 reads no partial one), then read it."""
        self._ensure_writable()
        self._complete()
        return self._store.open_reader(self._key)

    def commit(self) -> StoredObject:
        if self._result is not None:
            return self._result
        self._ensure_writable()
        self._complete()
        drop_tails(self._store, self._key, keep=None)
        self._result = StoredObject(store=self._store.name, key=self._key, size=self._size)
        return self._result

    def _complete(self) -> None:
        """Make the object whole at its key (once: a completed object has nothing left)."""
        if self._parts.upload_id is None and not self._buffer and self._size > 0:
            return
        store = self._store
        self._buffer.failed = True
        if self._parts.upload_id is not None:
            if self._buffer or not self._parts.count:
                self._buffer.send()
            parts = self._parts.finish()
            with store.translate_errors("write", self._key):
                store.client.complete_multipart_upload(
                    Bucket=store.bucket,
                    Key=self._name,
                    UploadId=self._parts.upload_id,
                    MultipartUpload={"Parts": parts},
                )
            self._parts.upload_id = None
        elif self._buffer or self._size == 0:
            with store.translate_errors("write", self._key):
                store.client.put_object(
                    Bucket=store.bucket, Key=self._name, Body=self._buffer.take()
                )
        self._buffer.drop()
        self._buffer.failed = False

    def cancel(self) -> None:
        """Remove everything: the open upload, the tails, and the object if it was completed."""
        if self._result is not None or self._done:
            return
        self._done = True
        self._parts.stop()
        self._store.delete(self._key)  # aborts open multipart uploads, drops the tails

    def _ensure_writable(self) -> None:
        self._buffer.check(self._result is not None or self._done, "committed or let go")


def resume_writer(store: S3Store, key: str, offset: int) -> S3ResumableWriter:
    """Open the partial object at ``key`` to append at ``offset`` (a new one at 0)."""
    part_size = store.part_size
    full, tail_size = divmod(offset, part_size)
    name = store.object_name(key)
    with store.translate_errors("resume", key):
        upload_id = _open_upload(store, name)
        if upload_id is None and offset > 0 and _size_of(store, key) == offset:
            # Completed already (read_back, then a refusal or a crash before promotion).
            return S3ResumableWriter(store, key, upload_id=None, parts=[], tail=b"", size=offset)
        if upload_id is None and full > 0:
            raise StoreError(f"store {store.name!r}: partial {key!r} lost its parts")
        parts: list[dict[str, Any]] = []
        if upload_id is not None:
            listed = store.client.list_parts(
                Bucket=store.bucket, Key=name, UploadId=upload_id, MaxParts=1000
            ).get("Parts", [])
            by_number = {p["PartNumber"]: p for p in listed}
            for number in range(1, full + 1):
                part = by_number.get(number)
                if part is None or part["Size"] != part_size:
                    raise StoreError(
                        f"store {store.name!r}: partial {key!r} lacks part {number} of {offset}"
                    )
                parts.append({"ETag": part["ETag"], "PartNumber": number})
    tail = b""
    if tail_size:
        try:
            tail = _read(store, f"{_tails(key)}/{offset}")
        except ObjectNotFound:
            raise StoreError(f"store {store.name!r}: partial {key!r} lost its tail") from None
        if len(tail) != tail_size:
            raise StoreError(f"store {store.name!r}: partial {key!r} has a damaged tail")
    drop_tails(store, key, keep=offset)
    return S3ResumableWriter(store, key, upload_id=upload_id, parts=parts, tail=tail, size=offset)


def _open_upload(store: S3Store, name: str) -> str | None:
    listing = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=name)
    uploads = [u for u in listing.get("Uploads", []) if u.get("Key") == name]
    uploads.sort(key=lambda u: u.get("Initiated") or 0)
    return str(uploads[0]["UploadId"]) if uploads else None


def _size_of(store: S3Store, key: str) -> int | None:
    try:
        head = store.client.head_object(Bucket=store.bucket, Key=store.object_name(key))
    except ClientError:
        return None
    return int(head["ContentLength"])


def _read(store: S3Store, key: str) -> bytes:
    handle = store.open_reader(key)
    try:
        return b"".join(handle.chunks)
    finally:
        handle.close()


def drop_tails(store: S3Store, key: str, *, keep: int | None) -> None:
    """Delete the tails of ``key`` but the one of offset ``keep``."""
    prefix = _tails(key) + "/"
    try:
        stale = [o.key for o in store.list_objects(prefix) if o.key != f"{prefix}{keep}"]
        for tail in stale:
            store.delete(tail)
    except (StoreError, BotoCoreError):
        return  # a tail left over is small; the next append or the commit tries again
