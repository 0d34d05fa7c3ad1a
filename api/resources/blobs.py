"""Blob paths: ``/artifacts/{type}/{id}/{field}`` and ``…/{field}/{key}`` (blob dicts).

PUT streams the request body to the blob service (or records an external location), GET streams
the data back with its checksums (ranges answered with 206), DELETE forgets an external blob.
"""

from __future__ import annotations

from collections.abc import Iterator

import falcon

from api.media import body_stream, media_type, read_json, write_json
from api.ranges import parse_range
from artifacts.engine.blobs import BlobRef, BlobService, ByteRange, Download, Readable, ReadHandle

LOCATION_MEDIA_TYPE = "application/vnd+openstack.glare-custom-location+json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class BlobResource:
    def __init__(self, service: BlobService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_put(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        **params: str,
    ) -> None:
        ref = _ref(params)
        if media_type(req) == LOCATION_MEDIA_TYPE:
            location = read_json(req, max_bytes=self._max_json_body, accept=(LOCATION_MEDIA_TYPE,))
            write_json(resp, self._service.set_external(req.context.ctx, ref, location))
            return
        req.context.blob_upload = True
        body = _CountingReader(body_stream(req))
        try:
            artifact = self._service.upload(
                req.context.ctx,
                ref,
                body,
                content_length=req.content_length,
                content_type=req.content_type or DEFAULT_CONTENT_TYPE,
            )
        finally:
            req.context.blob_bytes_in = body.count
        write_json(resp, artifact)

    def on_get(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        **params: str,
    ) -> None:
        ref = _ref(params)
        download = self._service.download(req.context.ctx, ref)
        _checksum_headers(resp, download)
        if download.redirect is not None:
            resp.status = falcon.HTTP_301
            resp.location = download.redirect
            resp.content_length = 0
            return
        byte_range = requested_range(req, download)
        handle = download.open(byte_range)
        resp.content_type = download.info.content_type or DEFAULT_CONTENT_TYPE
        resp.set_header("Accept-Ranges", "bytes")
        write_data(resp, handle, byte_range)

    def on_delete(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        **params: str,
    ) -> None:
        ref = _ref(params)
        write_json(resp, self._service.delete_external(req.context.ctx, ref))


def _ref(params: dict[str, str]) -> BlobRef:
    """The blob a route names; ``key`` is absent for plain blob fields."""
    return BlobRef(
        params["type_name"], params["artifact_id"], params["field"], params.get("key", "")
    )


def requested_range(req: falcon.Request, download: Download) -> ByteRange | None:
    """The part of the blob the request's ``Range`` asks for; None for all of it."""
    header = req.get_header("Range")
    return parse_range(header, download.info.size) if header else None


def write_data(resp: falcon.Response, handle: ReadHandle, part: ByteRange | None) -> None:
    """Send a blob's bytes: the asked range as a 206, or the whole blob."""
    if part is not None:
        resp.status = falcon.HTTP_206
        resp.set_header("Content-Range", f"bytes {part.start}-{part.end}/{handle.size}")
        resp.content_length = part.length
        resp.stream = streamed(handle)
        return
    resp.content_length = handle.size
    # A real file lets the WSGI server send it with sendfile(2).
    resp.stream = handle.file if handle.file is not None else streamed(handle)


class _CountingReader:
    """Count the body bytes the upload consumed, for the metrics (one addition per chunk)."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._stream.read(size)
        self.count += len(chunk)
        return chunk


def _checksum_headers(resp: falcon.Response, download: Download) -> None:
    info = download.info
    if info.md5:
        # Glare sends the hex digest here (glareclient compares it as hex), not RFC 1864 base64.
        resp.set_header("Content-MD5", info.md5)
        resp.etag = f'"{info.md5}"'
    if info.sha1:
        resp.set_header("X-Openstack-Glare-Content-SHA1", info.sha1)
    if info.sha256:
        resp.set_header("X-Openstack-Glare-Content-SHA256", info.sha256)


def streamed(handle: ReadHandle) -> Iterator[bytes]:
    """Yield the handle's chunks and release it when the server is done, even on disconnect."""
    try:
        yield from handle.chunks
    finally:
        handle.close()
