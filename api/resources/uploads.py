"""Resumable blob uploads over tus 1.0 (https://tus.io/protocols/resumable-upload): the core
protocol with its creation, termination and expiration extensions.

::

    POST    /artifacts/{type}/{id}/{field}[/{key}]   Upload-Length → 201, Location: /uploads/{id}
    HEAD    /uploads/{upload_id}                     → Upload-Offset, Upload-Length
    PATCH   /uploads/{upload_id}                     Upload-Offset + application/offset+octet-stream
    DELETE  /uploads/{upload_id}                     → 204 (termination)
    OPTIONS /uploads[/{upload_id}]                   → Tus-Version, Tus-Extension, Tus-Max-Size

tus rather than the IETF resumable-uploads draft: tus is a finished, versioned protocol with
clients in every language (tus-js-client, tuspy, Uppy), and the draft was still changing its
header names between revisions. The creation endpoint is the blob's own path, so an upload
names its blob exactly as a PUT does (and no blob-dict key is taken by a route). The rules
(policy, limits, quotas, validators, digests) are the engine's; this module translates.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import re

import falcon

from api.media import body_stream, media_type
from artifacts.engine.blobs import BlobRef, BlobService, Readable, UploadSession
from artifacts.errors import InvalidInput, PreconditionFailed, UnsupportedMediaType

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_MEDIA_TYPE = "application/offset+octet-stream"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
#: Upload-Metadata keys that name the blob's media type (tus-js-client and Uppy send filetype).
_TYPE_KEYS = ("content-type", "filetype")
_NUMBER = re.compile(r"^[0-9]{1,19}$")
_METADATA_PAIR = re.compile(r"^[!-+\--~]+( [A-Za-z0-9+/]*={0,2})?$")
MAX_METADATA = 4096


def upload_path(req: falcon.Request, upload_id: str) -> str:
    """The URL path of an upload resource, under the application's mount point."""
    return f"{req.root_path}/uploads/{upload_id}"


def create_upload(
    service: BlobService, req: falcon.Request, resp: falcon.Response, ref: BlobRef
) -> None:
    """tus creation: a POST to the blob's path opens a session for Upload-Length bytes."""
    _tus(req, resp)
    if req.get_header("Upload-Defer-Length") is not None:
        raise InvalidInput("Upload-Defer-Length is not supported; send Upload-Length.")
    length = _number(req, "Upload-Length")
    if (req.content_length or 0) > 0 or req.get_header("Transfer-Encoding"):
        raise InvalidInput("Send the data with PATCH to the upload's Location, not with POST.")
    metadata = req.get_header("Upload-Metadata")
    content_type = _content_type(metadata)
    session = service.create_upload(
        req.context.ctx, ref, length=length, content_type=content_type, metadata=metadata
    )
    resp.status = falcon.HTTP_201
    resp.location = upload_path(req, session.upload_id)
    _expiry(resp, session)
    resp.content_length = 0


class UploadResource:
    """One resumable upload: its offset (HEAD), its bytes (PATCH) and its end (DELETE)."""

    bodyless_methods = ("HEAD", "DELETE", "OPTIONS")

    def __init__(self, service: BlobService, max_size: int) -> None:
        self._service = service
        self._max_size = max_size

    def on_options(self, req: falcon.Request, resp: falcon.Response, **_: str) -> None:
        """tus discovery: the versions and extensions spoken, and the largest upload taken."""
        options(resp, self._max_size)

    def on_head(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        _tus(req, resp)
        session = self._service.upload_status(req.context.ctx, upload_id)
        resp.cache_control = ["no-store"]
        resp.set_header("Upload-Offset", str(session.offset))
        resp.set_header("Upload-Length", str(session.length))
        if session.metadata:
            resp.set_header("Upload-Metadata", session.metadata)
        _expiry(resp, session)
        resp.content_length = 0

    def on_patch(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        _tus(req, resp)
        if media_type(req) != OFFSET_MEDIA_TYPE:
            raise UnsupportedMediaType(
                f"Content-Type must be {OFFSET_MEDIA_TYPE}, not {req.content_type or 'missing'}."
            )
        offset = _number(req, "Upload-Offset")
        req.context.blob_upload = True
        # Without a length or chunked encoding a request has no body (RFC 9112 section 6.3):
        # the empty append that finishes an upload whose last answer was lost.
        unframed = req.content_length is None and not req.env.get("wsgi.input_terminated")
        body = _Counting(_EMPTY if unframed else body_stream(req))
        try:
            session = self._service.append_upload(
                req.context.ctx,
                upload_id,
                offset=offset,
                stream=body,
                content_length=req.content_length,
            )
        finally:
            req.context.blob_bytes_in = body.count
        resp.status = falcon.HTTP_204
        resp.set_header("Upload-Offset", str(session.offset))
        _expiry(resp, session)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        _tus(req, resp)
        self._service.cancel_upload(req.context.ctx, upload_id)
        resp.status = falcon.HTTP_204


class UploadsRoot:
    """``/uploads``: where a tus client asks what the server speaks."""

    bodyless_methods = ("OPTIONS",)

    def __init__(self, max_size: int) -> None:
        self._max_size = max_size

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        options(resp, self._max_size)


def options(resp: falcon.Response, max_size: int) -> None:
    resp.status = falcon.HTTP_204
    resp.set_header("Tus-Resumable", TUS_VERSION)
    resp.set_header("Tus-Version", TUS_VERSION)
    resp.set_header("Tus-Extension", EXTENSIONS)
    if max_size > 0:
        resp.set_header("Tus-Max-Size", str(max_size))


def _tus(req: falcon.Request, resp: falcon.Response) -> None:
    """Every tus answer names the version; a request in another version is refused (412)."""
    resp.set_header("Tus-Resumable", TUS_VERSION)
    asked = req.get_header("Tus-Resumable")
    if asked != TUS_VERSION:
        resp.set_header("Tus-Version", TUS_VERSION)
        raise PreconditionFailed(
            f"Tus-Resumable must be {TUS_VERSION}, not {asked or 'missing'}: the only version "
            "this server speaks."
        )


def _number(req: falcon.Request, name: str) -> int:
    raw = req.get_header(name)
    if raw is None:
        raise InvalidInput(f"The {name} header is required.")
    if not _NUMBER.match(raw.strip()) or int(raw) > 2**63 - 1:
        raise InvalidInput(f"{name} must be a non-negative integer, not {raw[:32]!r}.")
    return int(raw)


def _content_type(metadata: str | None) -> str:
    """The blob's media type from Upload-Metadata (``content-type`` or ``filetype``)."""
    if metadata is None:
        return DEFAULT_CONTENT_TYPE
    if len(metadata) > MAX_METADATA:
        raise InvalidInput(f"Upload-Metadata is longer than {MAX_METADATA} characters.")
    values: dict[str, str] = {}
    for raw in metadata.split(","):
        pair = raw.strip()
        if not _METADATA_PAIR.match(pair):
            raise InvalidInput("Upload-Metadata must be comma-separated 'key base64value' pairs.")
        key, _, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded, validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"Upload-Metadata {key[:64]!r} is not base64 ASCII.") from None
    for key in _TYPE_KEYS:
        if values.get(key):
            return values[key]
    return DEFAULT_CONTENT_TYPE


def _expiry(resp: falcon.Response, session: UploadSession) -> None:
    expires = session.expires_at.astimezone(dt.UTC)
    resp.set_header("Upload-Expires", email.utils.format_datetime(expires, usegmt=True))


class _Empty:
    def read(self, size: int = -1, /) -> bytes:
        return b""


_EMPTY = _Empty()


class _Counting:
    """Count the body bytes consumed, for the metrics; a connection lost midway is the
    client's doing (what it sent so far is kept), not a server fault."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1, /) -> bytes:
        try:
            chunk = self._stream.read(size)
        except ConnectionError as exc:
            raise InvalidInput(f"The connection was lost after {self.count} bytes.") from exc
        self.count += len(chunk)
        return chunk
