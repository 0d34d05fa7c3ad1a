"""The one place where domain errors become HTTP responses.

Bodies follow Glare's fault format so its clients can read them, with our stable error code and
the request id added: ``{"code": 404, "title": "Not Found", "explanation": "…",
"error": {"type": "artifact_not_found", "message": "…"}, "request_id": "req-…"}``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import falcon

from artifacts import errors

LOG = logging.getLogger(__name__)

STATUS_BY_KIND: dict[type[errors.ArtifactError], int] = {
    errors.InvalidInput: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.LengthRequired: 411,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.RangeNotSatisfiable: 416,
    errors.ServiceUnavailable: 503,
}


def error_body(
    status: int, title: str, explanation: str, code: str, request_id: str | None
) -> dict[str, Any]:
    return {
        "code": status,
        "title": title,
        "explanation": explanation,
        "error": {"type": code, "message": explanation},
        "request_id": request_id,
    }


def _write(req: falcon.Request, resp: falcon.Response, status: int, body: dict[str, Any]) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(body)


def _request_id(req: falcon.Request) -> str | None:
    return getattr(req.context, "request_id", None)


def handle_domain_error(
    req: falcon.Request, resp: falcon.Response, ex: errors.ArtifactError, params: Any
) -> None:
    status = next((code for kind, code in STATUS_BY_KIND.items() if isinstance(ex, kind)), 500)
    if status == 401:
        resp.set_header("WWW-Authenticate", 'Token realm="artifacts"')
    if isinstance(ex, errors.RangeNotSatisfiable):
        resp.set_header("Content-Range", f"bytes */{ex.size}")
    if isinstance(ex, errors.ServiceUnavailable):
        resp.set_header("Retry-After", str(ex.retry_after))
    body = error_body(status, ex.title, ex.message, ex.code, _request_id(req))
    _write(req, resp, status, body)


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any
) -> None:
    LOG.exception("Unexpected error [request_id=%s] %s %s", _request_id(req), req.method, req.path)
    body = error_body(
        500,
        "Internal Server Error",
        "The server failed to handle the request; it has been logged.",
        "internal_error",
        _request_id(req),
    )
    _write(req, resp, 500, body)


def serialize_http_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError) -> None:
    """Render falcon's own errors (unknown route, wrong method) in the same JSON shape."""
    status = ex.status_code
    phrase = HTTPStatus(status).phrase
    explanation = ex.description or _DEFAULT_EXPLANATIONS.get(status, phrase)
    if status == 405:
        explanation = f"Method {req.method} is not allowed on {req.path}."
    code = phrase.lower().replace(" ", "_")
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(error_body(status, phrase, explanation, code, _request_id(req)))


_DEFAULT_EXPLANATIONS = {
    404: "The resource could not be found.",
}


def register(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(errors.ArtifactError, handle_domain_error)
    app.set_error_serializer(serialize_http_error)
