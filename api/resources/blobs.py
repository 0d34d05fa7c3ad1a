"""Blob paths: ``/artifacts/{type}/{id}/{field}`` and ``…/{field}/{key}`` (blob dicts).

PUT streams the request body to the blob service (or records an external location), POST opens
a resumable upload of it (tus creation, :mod:`api.resources.uploads`), GET streams
the data back with its checksums and entity tag (conditional requests and a single range
honoured, see :mod:`api.conditional`), or, from a store with ``presigned_downloads``, sends
the client to a short-lived presigned URL of it (302), HEAD answers GET's headers without
the data, DELETE forgets an external blob.
"""

from __future__ import annotations

from collections.abc import Iterator

import falcon

from api.conditional import Answer, decide, entity_tag
from api.media import body_stream, media_type, read_json, refuse_partial_upload, write_json
from api.repr_digest import set_repr_digest, wants_verified
from api.resources.uploads import create_upload
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
        refuse_partial_upload(req)
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

    def on_post(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        **params: str,
    ) -> None:
        """Open a resumable (tus) upload to this blob: :mod:`api.resources.uploads`."""
        create_upload(self._service, req, resp, _ref(params))

    def on_get(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        **params: str,
    ) -> None:
        download = self._service.download(req.context.ctx, _ref(params))
        _checksum_headers(resp, download)
        if download.redirect is not None:
            if req.method == "GET":  # a HEAD sends nobody anywhere: no download hooks
                download.notify()
            resp.status = falcon.HTTP_301
            resp.location = download.redirect
            resp.content_length = 0
            return
        resp.set_header("Accept-Ranges", "bytes")
        send_data(req, resp, download, download.info.content_type or DEFAULT_CONTENT_TYPE)

    def on_head(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        **params: str,
    ) -> None:
        self.on_get(req, resp, **params)

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


def send_data(
    req: falcon.Request, resp: falcon.Response, download: Download, content_type: str
) -> None:
    """Answer a GET or HEAD of stored data: 304, the whole blob, or the asked range as a 206.

    Only a GET that sends bytes opens the store (and runs the type's download hooks); a HEAD
    answers the headers the same GET would, without a body.
    """
    decision = decide(
        download.info,
        method=req.method,
        if_match=req.get_header("If-Match"),
        if_none_match=req.get_header("If-None-Match"),
        if_range=req.get_header("If-Range"),
        range_header=req.get_header("Range"),
    )
    if decision.answer is Answer.NOT_MODIFIED:
        resp.status = falcon.HTTP_304
        return
    # A verified download (RFC 9530's Want-Repr-Digest) checks a whole blob; a range is sent
    # unchecked, as it cannot be checked against the whole blob's digest.
    verify = decision.byte_range is None and wants_verified(req) and download.verifiable
    if _redirects(req, download, verify=verify):
        # The bucket sends the bytes: the checks above have passed, and a Range the client
        # sends again there names the same bytes (a key is never rewritten).
        resp.status = falcon.HTTP_302
        resp.location = download.presigned(content_type)
        resp.cache_control = ["no-store"]
        resp.content_length = 0
        return
    resp.content_type = content_type
    if verify:
        set_repr_digest(resp, download.info.sha256)
    if req.method == "HEAD":
        resp.content_length = download.info.size
        return
    handle = download.open(decision.byte_range, verify=verify)
    write_data(resp, handle, decision.byte_range)


def _redirects(req: falcon.Request, download: Download, *, verify: bool) -> bool:
    """Whether to send a GET to the store's presigned URL instead of the bytes.

    Not for a HEAD (its headers are ours), a verified download (the check runs here), or an
    If-Range (the store would compare it with its own entity tag, not ours).
    """
    return (
        req.method == "GET"
        and download.presignable
        and not verify
        and req.get_header("If-Range") is None
    )


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


def validator_headers(resp: falcon.Response, download: Download) -> None:
    """The entity tag of stored data (a redirect's target has its own)."""
    tag = entity_tag(download.info)
    if tag is not None and download.redirect is None:
        resp.etag = tag


def _checksum_headers(resp: falcon.Response, download: Download) -> None:
    info = download.info
    if info.md5:
        # Glare sends the hex digest here (glareclient compares it as hex), not RFC 1864 base64.
        resp.set_header("Content-MD5", info.md5)
    if info.sha1:
        resp.set_header("X-Openstack-Glare-Content-SHA1", info.sha1)
    if info.sha256:
        resp.set_header("X-Openstack-Glare-Content-SHA256", info.sha256)
    validator_headers(resp, download)


def streamed(handle: ReadHandle) -> Iterator[bytes]:
    """Yield the handle's chunks and release it when the server is done, even on disconnect."""
    try:
        yield from handle.chunks
    finally:
        handle.close()
