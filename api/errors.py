"""The one place where domain errors become HTTP responses, in Glare's fault format.

A body is what Glare 5.0.1's fault wrapper writes, so its clients read our errors as theirs::

    {"code": 404, "title": "Not Found", "explanation": "The resource could not be found.",
     "error": {"message": "<what went wrong>", "type": "<Glare's exception name>"}}

``title`` and ``explanation`` are the fixed HTTP texts of the status (webob's, which Glare uses);
``error.type`` is the name of the exception Glare raises for the same failure; the request id
travels in the ``X-OpenStack-Request-Id`` header.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import falcon

from api.microversion import UnsupportedVersion, version_bounds
from artifacts import errors

LOG = logging.getLogger(__name__)

STATUS_BY_KIND: dict[type[errors.ArtifactError], int] = {
    UnsupportedVersion: 406,
    errors.InvalidInput: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.LengthRequired: 411,
    errors.PreconditionFailed: 412,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.RangeNotSatisfiable: 416,
    errors.NotSupported: 501,
    errors.ServiceUnavailable: 503,
}

#: Glare's exception name for each domain error (the most specific entry in a class's MRO wins).
GLARE_NAMES: dict[type[errors.ArtifactError], str] = {
    UnsupportedVersion: "InvalidGlobalAPIVersion",
    errors.InvalidInput: "BadRequest",
    errors.InvalidQuotes: "InvalidParameterValue",
    errors.Unauthenticated: "Unauthorized",
    errors.Forbidden: "Forbidden",
    errors.PolicyDenied: "PolicyException",
    # Glare refuses a caller who is not the owner before any policy rule is asked.
    errors.NotOwner: "Forbidden",
    errors.NotFound: "NotFound",
    errors.TypeNotFound: "TypeNotFound",
    errors.ArtifactNotFound: "ArtifactNotFound",
    errors.Conflict: "Conflict",
    errors.NewerSchema: "NewerSchema",
    errors.Gone: "Gone",
    errors.LengthRequired: "LengthRequired",
    errors.NotSupported: "NotImplemented",
    errors.PreconditionFailed: "PreconditionFailed",
    errors.TooLarge: "RequestEntityTooLarge",
    errors.UnsupportedMediaType: "UnsupportedMediaType",
    errors.RangeNotSatisfiable: "RequestRangeNotSatisfiable",
    errors.ServiceUnavailable: "ServiceUnavailable",
    # Raised by type plugins: named after their class, as Glare names every exception.
    errors.Refused: "Refused",
    errors.NotAllowed: "NotAllowed",
    errors.BlobRejected: "BlobRejected",
    errors.PluginError: "PluginError",
}

#: (title, explanation) of each status, as webob words them.
HTTP_TEXTS: dict[int, tuple[str, str]] = {
    400: (
        "Bad Request",
        "The server could not comply with the request since it is either malformed or "
        "otherwise incorrect.",
    ),
    401: (
        "Unauthorized",
        "This server could not verify that you are authorized to access the document you "
        "requested. Either you supplied the wrong credentials (e.g., bad password), or your "
        "browser does not understand how to supply the credentials required.",
    ),
    403: ("Forbidden", "Access was denied to this resource."),
    404: ("Not Found", "The resource could not be found."),
    405: (
        "Method Not Allowed",
        "The server could not comply with the request since it is either malformed or "
        "otherwise incorrect.",
    ),
    406: (
        "Not Acceptable",
        "The server could not comply with the request since it is either malformed or "
        "otherwise incorrect.",
    ),
    409: ("Conflict", "There was a conflict when trying to complete your request."),
    410: ("Gone", "This resource is no longer available.  No forwarding address is given."),
    411: ("Length Required", "Content-Length header required."),
    412: ("Precondition Failed", "Condition failed"),
    413: ("Request Entity Too Large", "The body of your request was too large for this server."),
    415: (
        "Unsupported Media Type",
        "The server could not comply with the request since it is either malformed or "
        "otherwise incorrect.",
    ),
    416: ("Request Range Not Satisfiable", "The Range requested is not available."),
    500: (
        "Internal Server Error",
        "The server has either erred or is incapable of performing the requested operation.",
    ),
    501: (
        "Not Implemented",
        "The server has either erred or is incapable of performing the requested operation.",
    ),
    503: (
        "Service Unavailable",
        "The server is currently unavailable. Please try again at a later time.",
    ),
}


def error_body(status: int, message: str, glare_type: str) -> dict[str, Any]:
    title, explanation = HTTP_TEXTS.get(status, HTTP_TEXTS[500])
    return {
        "code": status,
        "title": title,
        "explanation": explanation,
        "error": {"message": message, "type": glare_type},
    }


def glare_name(ex: errors.ArtifactError) -> str:
    for cls in type(ex).__mro__:
        name = GLARE_NAMES.get(cls)
        if name:
            return name
    return "GlareException"


def _write(req: falcon.Request, resp: falcon.Response, status: int, body: dict[str, Any]) -> None:
    # Glare's faults leave the version negotiation before it stamps its headers.
    req.context.fault = True
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(body)


#: How a front door other than Glare's renders an error: (req, resp, status, message).
FaultWriter = Callable[[falcon.Request, falcon.Response, int, str], None]
#: Path prefixes of those doors, each with its writer (``/v2`` → Glance's faults).
Doors = Sequence[tuple[str, FaultWriter]]


def _door(req: falcon.Request, doors: Doors) -> FaultWriter | None:
    return next((writer for prefix, writer in doors if req.path.startswith(prefix)), None)


def _request_id(req: falcon.Request) -> str | None:
    return getattr(req.context, "request_id", None)


def handle_domain_error(
    req: falcon.Request,
    resp: falcon.Response,
    ex: errors.ArtifactError,
    params: Any,
    *,
    doors: Doors = (),
    guests_forbidden: bool = False,
) -> None:
    status = next((code for kind, code in STATUS_BY_KIND.items() if isinstance(ex, kind)), 500)
    writer = _door(req, doors)
    if guests_forbidden and writer is None and isinstance(ex, errors.AuthenticationRequired):
        # Glare's no-auth and trusted-auth pipelines make a caller without identity a read-only
        # guest: a write is forbidden (403 Forbidden), not a request to authenticate.
        _write(req, resp, 403, error_body(403, ex.message, "Forbidden"))
        return
    if status == 401:
        resp.set_header("WWW-Authenticate", 'Token realm="artifacts"')
    if isinstance(ex, errors.RangeNotSatisfiable):
        resp.set_header("Content-Range", f"bytes */{ex.size}")
    if isinstance(ex, errors.ServiceUnavailable):
        resp.set_header("Retry-After", str(ex.retry_after))
    if writer is not None:
        writer(req, resp, status, ex.message)
        return
    body = error_body(status, ex.message, glare_name(ex))
    if isinstance(ex, errors.QuotaExceeded):
        body["error"]["quota"] = ex.details()
    if isinstance(ex, UnsupportedVersion):
        body.update(version_bounds())
    _write(req, resp, status, body)


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any, doors: Doors = ()
) -> None:
    LOG.exception("Unexpected error [request_id=%s] %s %s", _request_id(req), req.method, req.path)
    message = (
        "The server failed to handle the request; it has been logged under request id "
        f"{_request_id(req)}."
    )
    writer = _door(req, doors)
    if writer is not None:
        writer(req, resp, 500, message)
        return
    _write(req, resp, 500, error_body(500, message, "GlareException"))


def serialize_http_error(
    req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError, doors: Doors = ()
) -> None:
    """Render falcon's own errors (unknown route, wrong method) in the same JSON shape.

    Glare answers these with webob's HTML or plain-text pages; a JSON fault is what every other
    error of this API looks like, and no Glare client reads these bodies.
    """
    status = ex.status_code
    message = ex.description or HTTP_TEXTS.get(status, HTTP_TEXTS[500])[1]
    if status == 405:
        message = f"The method {req.method} is not allowed for this resource."
    writer = _door(req, doors)
    if writer is not None:
        writer(req, resp, status, message)
        return
    name = {404: "NotFound", 405: "MethodNotAllowed", 501: "NotImplemented"}.get(
        status, "BadRequest"
    )
    body = error_body(status, message, name)
    body["title"] = HTTP_TEXTS.get(status, (ex.title, ""))[0]
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(body)


def register(
    app: falcon.App[falcon.Request, falcon.Response],
    doors: Doors = (),
    *,
    guests_forbidden: bool = False,
) -> None:
    """Render errors in Glare's shape, or in the shape of the door whose prefix a path has.

    ``guests_forbidden``: answer an anonymous caller's refused write with Glare's 403 (identity
    from trusted headers, as Glare's own pipelines read it) instead of 401 (token modes, where
    authenticating is the remedy).
    """
    app.add_error_handler(Exception, functools.partial(handle_unexpected, doors=doors))
    app.add_error_handler(
        errors.ArtifactError,
        functools.partial(handle_domain_error, doors=doors, guests_forbidden=guests_forbidden),
    )
    app.set_error_serializer(functools.partial(serialize_http_error, doors=doors))
