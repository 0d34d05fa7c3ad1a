"""Blob uploads and downloads, streamed, hashed on the way and checked against the server.

An upload's md5/sha1/sha256 are computed while it is sent and compared with what the server
recorded; a download's with the digests the server sends in its headers. A download to a file
goes to ``FILE.part`` first and is renamed only once verified, so an interrupted one can be
resumed with a ``Range`` request and a half-written file is never taken for the real thing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import httpx

from artifacts_client.errors import ClientError, DigestMismatch, RangeNotSatisfiable
from artifacts_client.models import Artifact, Transfer
from artifacts_client.paths import ArtifactLike, blob_path, split
from artifacts_client.transfer import (
    CHUNK,
    DIGEST_HEADERS,
    Hashes,
    Progress,
    UploadSource,
    hash_prefix,
    verify,
    write_chunks,
)

if TYPE_CHECKING:
    from artifacts_client.http import HttpSession

LOCATION_MEDIA_TYPE = "application/vnd+openstack.glare-custom-location+json"
PARTIAL_SUFFIX = ".part"


class BlobMethods:
    """The blob half of :class:`artifacts_client.Client`."""

    http: HttpSession

    def upload(
        self,
        artifact: ArtifactLike,
        field: str,
        source: str | os.PathLike[str] | BinaryIO | bytes,
        *,
        key: str | None = None,
        content_type: str = "application/octet-stream",
        progress: Progress | None = None,
    ) -> Artifact:
        """Stream ``source`` (a path, a binary file or bytes) into a blob and verify it.

        Raises :class:`DigestMismatch` when the server recorded other digests than the bytes
        sent have; a 503 or a refused connection is retried when the source can be re-read.
        """
        options: dict[str, Any] = {
            "key": key,
            "content_type": content_type,
            "progress": progress,
        }
        if isinstance(source, bytes):
            return self._upload(artifact, field, io.BytesIO(source), **options)
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as stream:
                return self._upload(artifact, field, stream, **options)
        return self._upload(artifact, field, source, **options)

    def _upload(
        self,
        artifact: ArtifactLike,
        field: str,
        stream: BinaryIO,
        *,
        key: str | None,
        content_type: str,
        progress: Progress | None,
    ) -> Artifact:
        type_name, _ = split(artifact)
        source = UploadSource.of(stream, progress)
        headers = {"Content-Type": content_type}
        if source.size is not None:
            headers["Content-Length"] = str(source.size)
        data = self.http.json(
            "PUT",
            blob_path(artifact, field, key),
            content=source.chunks,
            headers=headers,
            retry_body=source.rewindable,
        )
        updated = Artifact(data, type_name)
        blob = updated.blob(field, key)
        assert source.hashes is not None
        sent = source.hashes.result()
        if blob is None:
            raise ClientError(f"the server's answer has no blob {field!r} after the upload")
        if blob.size is not None and blob.size != sent.size:
            raise DigestMismatch("size", str(blob.size), str(sent.size))
        verify(sent, {"sha256": blob.sha256, "sha1": blob.sha1, "md5": blob.md5})
        return updated

    def download(
        self,
        artifact: ArtifactLike,
        field: str,
        out: BinaryIO,
        *,
        key: str | None = None,
        progress: Progress | None = None,
    ) -> Transfer:
        """Stream a blob into ``out`` and verify its digests; return what was received."""
        hashes = Hashes()
        with self._blob_response(artifact, field, key, offset=0) as response:
            total = _length(response)
            write_chunks(response.iter_bytes(CHUNK), out, hashes, total, progress)
            expected = _expected_digests(response)
        transfer = hashes.result()
        verify(transfer, expected)
        return transfer

    def download_file(
        self,
        artifact: ArtifactLike,
        field: str,
        path: str | os.PathLike[str],
        *,
        key: str | None = None,
        progress: Progress | None = None,
        resume: bool = True,
    ) -> Transfer:
        """Download a blob to ``path``, resuming from ``path.part`` when one is left over.

        The file appears at ``path`` only after its digests matched. When resumed bytes turn
        out not to belong to this blob, the download starts over once from the beginning.
        """
        target = Path(path)
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        if not resume:
            partial.unlink(missing_ok=True)
        try:
            transfer = self._download_partial(artifact, field, key, partial, progress)
        except DigestMismatch:
            if not partial.exists():
                raise
            partial.unlink()
            transfer = self._download_partial(artifact, field, key, partial, progress)
        partial.replace(target)
        return transfer

    def _download_partial(
        self,
        artifact: ArtifactLike,
        field: str,
        key: str | None,
        partial: Path,
        progress: Progress | None,
    ) -> Transfer:
        hashes = Hashes()
        offset = hash_prefix(partial, hashes) if partial.exists() else 0
        try:
            with self._blob_response(artifact, field, key, offset=offset) as response:
                if response.status_code == 200 and offset:
                    # The server sent the whole blob rather than the rest: start again.
                    hashes, offset = Hashes(), 0
                rest = _length(response)
                total = rest + offset if rest is not None else None
                with open(partial, "ab" if offset else "wb") as out:
                    if progress is not None:
                        progress(offset, total)
                    write_chunks(response.iter_bytes(CHUNK), out, hashes, total, progress)
                expected = _expected_digests(response)
        except RangeNotSatisfiable:
            # Everything was there already; the server's digests decide whether it is right.
            expected = self._head_digests(artifact, field, key)
        transfer = hashes.result(resumed_from=offset)
        verify(transfer, expected)
        return transfer

    def _head_digests(
        self, artifact: ArtifactLike, field: str, key: str | None
    ) -> dict[str, str | None]:
        with self._blob_response(artifact, field, key, offset=0) as response:
            return _expected_digests(response)

    def _blob_response(
        self, artifact: ArtifactLike, field: str, key: str | None, offset: int
    ) -> AbstractContextManager[httpx.Response]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        return _blob_response(self.http, blob_path(artifact, field, key), headers)

    def set_location(
        self,
        artifact: ArtifactLike,
        field: str,
        url: str,
        *,
        md5: str | None = None,
        sha1: str | None = None,
        sha256: str | None = None,
        key: str | None = None,
    ) -> Artifact:
        """Record a blob kept elsewhere: downloads redirect to ``url``."""
        type_name, _ = split(artifact)
        body = {"url": url, "md5": md5, "sha1": sha1, "sha256": sha256}
        data = self.http.json(
            "PUT",
            blob_path(artifact, field, key),
            json={k: v for k, v in body.items() if v is not None},
            headers={"Content-Type": LOCATION_MEDIA_TYPE},
        )
        return Artifact(data, type_name)

    def delete_blob(
        self, artifact: ArtifactLike, field: str, *, key: str | None = None
    ) -> Artifact:
        """Forget an external blob's location."""
        type_name, _ = split(artifact)
        return Artifact(self.http.json("DELETE", blob_path(artifact, field, key)), type_name)


REDIRECTS = (301, 302, 303, 307, 308)


@contextmanager
def _blob_response(
    http: HttpSession, path: str, headers: dict[str, str]
) -> Iterator[httpx.Response]:
    """The response of a blob GET; a redirect to an external location is followed without
    this client's credentials, keeping the digests the server announced."""
    with http.stream("GET", path, ok=(200, 206, *REDIRECTS), headers=headers) as response:
        if response.status_code not in REDIRECTS:
            yield response
            return
        location = response.headers["Location"]
        digests = _expected_digests(response)
    with httpx.stream("GET", location, headers=headers, follow_redirects=True) as external:
        if external.status_code not in (200, 206):
            raise ClientError(f"the blob's external location answered {external.status_code}")
        for algorithm, header in DIGEST_HEADERS.items():
            if digests.get(algorithm) and header not in external.headers:
                external.headers[header] = str(digests[algorithm])
        yield external


def _length(response: httpx.Response) -> int | None:
    raw = response.headers.get("Content-Length")
    return int(raw) if raw is not None and raw.isdigit() else None


def _expected_digests(response: httpx.Response) -> dict[str, str | None]:
    return {algorithm: response.headers.get(header) for algorithm, header in DIGEST_HEADERS.items()}
