"""Direct uploads to S3: our extension, for blobs whose store takes them (``direct_uploads``).

::

    POST   /direct-uploads                    open one for a blob → 201, presigned part URLs
    GET    /direct-uploads/{upload_id}        parts the bucket holds, fresh URLs for the rest
    POST   /direct-uploads/{upload_id}/commit verify the parts; the blob becomes active → 200
    DELETE /direct-uploads/{upload_id}        abort: the parts are removed → 204

The client PUTs each part's bytes to its URL (the bucket answers, not this service), in any
order and in parallel, then commits. The rules (policy, limits, quotas, hooks, validators,
digests) are the engine's (:mod:`artifacts.engine.blobs.direct`); this module translates.
"""

from __future__ import annotations

from typing import Any

import falcon

from api.media import read_json, write_json
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.blobs import BlobRef, BlobService, DirectSession
from artifacts.errors import InvalidInput

DEFAULT_CONTENT_TYPE = "application/octet-stream"
_OPEN_KEYS = frozenset(
    {"type_name", "artifact_id", "field", "key", "size", "sha256", "content_type"}
)


def direct_path(req: falcon.Request, upload_id: str) -> str:
    return f"{req.root_path}/direct-uploads/{upload_id}"


def render(req: falcon.Request, session: DirectSession) -> dict[str, Any]:
    """A session as JSON: what the client needs to send (or resend) its parts."""
    return {
        "id": session.upload_id,
        "href": direct_path(req, session.upload_id),
        "status": "complete" if session.complete else "receiving",
        "type_name": session.ref.type_name,
        "artifact_id": session.ref.artifact_id,
        "field": session.ref.field,
        "key": session.ref.key or None,
        "size": session.length,
        "sha256": session.sha256,
        "content_type": session.content_type,
        "part_size": session.part_size,
        "part_count": session.part_count,
        "expires_at": session.expires_at.isoformat(),
        "uploaded_parts": [
            {"number": p.number, "size": p.size, "etag": p.etag} for p in session.uploaded
        ],
        "upload_urls": [
            {"number": n, "size": session.part_length(n), "url": url, "method": "PUT"}
            for n, url in sorted(session.urls.items())
        ],
        "urls_expire_at": session.urls_expire_at.isoformat() if session.urls_expire_at else None,
        "next_part": session.next_part,
    }


class DirectUploads:
    """``/direct-uploads``: open a direct upload of a blob."""

    def __init__(self, service: BlobService, max_json_body: int) -> None:
        self._service = service
        self._max_json_body = max_json_body

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, max_bytes=self._max_json_body, accept=(falcon.MEDIA_JSON,))
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be a JSON object.")
        unknown = sorted(set(body) - _OPEN_KEYS)
        if unknown:
            raise InvalidInput(f"Unknown member(s) {', '.join(map(repr, unknown))}.")
        ref = BlobRef(
            _text(body, "type_name") or "",
            _text(body, "artifact_id") or "",
            _text(body, "field") or "",
            _text(body, "key", required=False) or "",
        )
        size = body.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidInput("size must be the blob's size in bytes, a whole number.")
        sha256 = body.get("sha256")
        if sha256 is not None and not isinstance(sha256, str):
            raise InvalidInput("sha256 must be a string of 64 hexadecimal digits.")
        content_type = _text(body, "content_type", required=False) or DEFAULT_CONTENT_TYPE
        session = self._service.open_direct(
            req.context.ctx,
            ref,
            length=size,
            content_type=content_type,
            sha256=sha256.lower() if sha256 else None,
        )
        resp.location = direct_path(req, session.upload_id)
        resp.cache_control = ["no-store"]
        write_json(resp, render(req, session), status=201)


class DirectUpload:
    """``/direct-uploads/{upload_id}``: its parts and URLs (GET), its end (DELETE)."""

    bodyless_methods = ("GET", "DELETE")

    def __init__(self, service: BlobService) -> None:
        self._service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        first = req.get_param_as_int("first", min_value=1, max_value=10_000) or 1
        session = self._service.direct_status(req.context.ctx, upload_id, first=first)
        resp.cache_control = ["no-store"]
        write_json(resp, render(req, session))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        self._service.abort_direct(req.context.ctx, upload_id)
        resp.status = falcon.HTTP_204


class DirectCommit:
    """``/direct-uploads/{upload_id}/commit``: verify and activate; the artifact as answer."""

    bodyless_methods = ("POST",)

    def __init__(self, service: BlobService, artifacts: ArtifactService) -> None:
        self._service = service
        self._artifacts = artifacts

    def on_post(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        session = self._service.commit_direct(req.context.ctx, upload_id)
        artifact = session.artifact
        if artifact is None:  # committed before: the artifact as it is now
            artifact = self._artifacts.show(
                req.context.ctx, session.ref.type_name, session.ref.artifact_id
            )
        write_json(resp, dict(artifact))


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > 255:
        raise InvalidInput(f"{name} must be a string of 1 to 255 characters.")
    return value
