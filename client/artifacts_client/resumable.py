"""Resumable uploads (tus 1.0): a file sent in parts that survives dropped connections.

The server keeps what arrived; after any failure the client asks for the offset (HEAD) and
sends the rest from there. The file's digests are computed locally and compared with what
the server recorded, as for a plain upload.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from artifacts_client.errors import (
    ClientError,
    Conflict,
    DigestMismatch,
    ServiceUnavailable,
    TransportError,
)
from artifacts_client.models import Artifact
from artifacts_client.paths import ArtifactLike, blob_path, split
from artifacts_client.transfer import CHUNK, Hashes, Progress, hash_prefix, verify

if TYPE_CHECKING:
    from artifacts_client.http import HttpSession

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_MEDIA_TYPE = "application/offset+octet-stream"
#: Bytes per PATCH: a failure costs at most this much sent again.
DEFAULT_PART = 64 * 1024 * 1024


class ResumableMethods:
    """The resumable-upload part of :class:`artifacts_client.Client`."""

    http: HttpSession

    def upload_resumable(
        self,
        artifact: ArtifactLike,
        field: str,
        path: str | os.PathLike[str],
        *,
        key: str | None = None,
        content_type: str = "application/octet-stream",
        part_size: int = DEFAULT_PART,
        failures: int = 5,
        progress: Progress | None = None,
    ) -> Artifact:
        """Upload the file at ``path`` in parts of ``part_size``; go on after failures.

        Up to ``failures`` failed requests in a row (a dropped connection, a 409 while the
        server still holds an interrupted request, a 503) are followed by asking the server
        for its offset and sending on from there. Raises :class:`DigestMismatch` when the
        server recorded other digests than the file has.
        """
        source = Path(path)
        size = source.stat().st_size
        opened = self.http.request(
            "POST",
            blob_path(artifact, field, key),
            ok=(201,),
            headers={
                **TUS,
                "Upload-Length": str(size),
                "Upload-Metadata": f"content-type {_b64(content_type)}",
            },
        )
        location = opened.headers["Location"]
        offset, failed = 0, 0
        with open(source, "rb") as stream:
            while True:
                try:
                    offset = self._send_part(
                        location, stream, offset, min(part_size, size - offset)
                    )
                    failed = 0
                except (TransportError, Conflict, ServiceUnavailable):
                    failed += 1
                    if failed > failures:
                        raise
                    offset = self._offset(location)
                if progress is not None:
                    progress(offset, size)
                if offset == size and failed == 0:
                    break
        return self._verified(artifact, field, key, source)

    def _send_part(self, location: str, stream: BinaryIO, offset: int, length: int) -> int:
        def chunks() -> Iterator[bytes]:
            stream.seek(offset)
            left = length
            while left > 0 and (chunk := stream.read(min(CHUNK, left))):
                left -= len(chunk)
                yield chunk

        response = self.http.request(
            "PATCH",
            location,
            ok=(204,),
            content=chunks,
            retry_body=False,  # a failure is answered by asking for the offset, not a resend
            headers={
                **TUS,
                "Content-Type": OFFSET_MEDIA_TYPE,
                "Upload-Offset": str(offset),
                "Content-Length": str(length),
            },
        )
        return int(response.headers["Upload-Offset"])

    def _offset(self, location: str) -> int:
        response = self.http.request("HEAD", location, headers=TUS)
        return int(response.headers["Upload-Offset"])

    def _verified(
        self, artifact: ArtifactLike, field: str, key: str | None, source: Path
    ) -> Artifact:
        type_name, artifact_id = split(artifact)
        data = self.http.json("GET", f"/artifacts/{type_name}/{artifact_id}")
        updated = Artifact(data, type_name)
        blob = updated.blob(field, key)
        if blob is None:
            raise ClientError(f"the server has no blob {field!r} after the upload")
        hashes = Hashes()
        hash_prefix(source, hashes)
        sent = hashes.result()
        if blob.size != sent.size:
            raise DigestMismatch("size", str(blob.size), str(sent.size))
        verify(sent, {"sha256": blob.sha256, "sha1": blob.sha1, "md5": blob.md5})
        return updated


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
