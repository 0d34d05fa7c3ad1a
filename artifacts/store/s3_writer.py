"""Streaming a new object into S3: one PutObject if it fits a part, else a multipart upload.

The writer fills a :class:`.PartBuffer` of one part; a full part goes to a
:class:`.PartSender`, which keeps a few parts in flight on the store's pool while the buffer
fills again. Memory per upload is therefore at most ``(parts_in_flight + 1) * part_size``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from artifacts.store.base import StoredObject, StoreError
from artifacts.store.s3_buffer import PartBuffer

if TYPE_CHECKING:
    from artifacts.store.s3 import S3Store


class S3Writer:
    """Stream an object into S3 in parts; start a multipart upload only if needed."""

    def __init__(self, store: S3Store, key: str) -> None:
        self._store = store
        self._key = key
        self._name = store.object_name(key)
        self._size = 0
        self._buffer = PartBuffer(store, key, upload_id=None, parts=[], eager=False)
        self._parts = self._buffer.sender
        self._result: StoredObject | None = None
        self._cancelled = False
        self._commit_failed = False

    def write(self, chunk: bytes) -> None:
        """Fill the buffer up to one part; send a full part only once more data arrives.

        Waiting for more data means an object of exactly one part still goes up in a single
        PutObject. A part that failed in the background fails this call or a later one.
        """
        self._ensure_writable()
        self._buffer.write(chunk)
        self._size += len(chunk)

    def commit(self) -> StoredObject:
        if self._result is not None:
            return self._result
        self._ensure_writable()
        self._commit_failed = self._buffer.failed = True  # until proven otherwise (see cancel)
        store, bucket = self._store, self._store.bucket
        if self._parts.upload_id is None:
            with store.translate_errors("write", self._key):
                store.client.put_object(Bucket=bucket, Key=self._name, Body=self._buffer.take())
        else:
            if self._buffer:
                self._buffer.send()
            parts = self._parts.finish()
            with store.translate_errors("write", self._key):
                store.client.complete_multipart_upload(
                    Bucket=bucket,
                    Key=self._name,
                    UploadId=self._parts.upload_id,
                    MultipartUpload={"Parts": parts},
                )
        self._commit_failed = self._buffer.failed = False
        self._result = StoredObject(store=store.name, key=self._key, size=self._size)
        return self._result

    def cancel(self) -> None:
        """Stop the parts in flight, abort the upload; after a failed commit, delete the key.

        A commit whose response was lost may have completed, and keys are never reused, so
        deleting the key cannot remove anyone else's data.
        """
        if self._result is not None or self._cancelled:
            return
        store = self._store
        self._buffer.drop()
        self._parts.stop()
        upload_id = self._parts.upload_id
        if upload_id is not None:
            try:
                store.client.abort_multipart_upload(
                    Bucket=store.bucket, Key=self._name, UploadId=upload_id
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("NoSuchUpload", "404"):
                    raise store._client_error(exc, "abort the upload of", self._key) from exc
            except BotoCoreError as exc:
                raise StoreError(
                    f"store {store.name!r}: cannot abort the upload of {self._key!r}: {exc}"
                ) from exc
            self._parts.upload_id = None
        if self._commit_failed:
            store.delete(self._key)
        self._cancelled = True

    def _ensure_writable(self) -> None:
        finished = self._result is not None or self._cancelled
        self._buffer.check(finished, "committed or cancelled")
