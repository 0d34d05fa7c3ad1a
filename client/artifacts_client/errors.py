"""Exceptions the client raises: one class per kind of failure, so callers catch what they mean.

Every error the server answers becomes an :class:`ApiError` subclass chosen by HTTP status
(the status is the stable part of the protocol; the error names in bodies differ between
servers speaking it), carrying the server's message, its error type and the request id to
quote in a bug report.
"""

from __future__ import annotations

from typing import Any

import httpx


class ClientError(Exception):
    """Root of every exception this package raises on purpose."""


class TransportError(ClientError):
    """The server could not be reached, or the connection broke (after the retries)."""


class DigestMismatch(ClientError):
    """Bytes received or sent do not match the digest the server recorded."""

    def __init__(self, algorithm: str, expected: str, actual: str) -> None:
        super().__init__(f"{algorithm} mismatch: the server has {expected}, the data has {actual}")
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual


class BadReference(ClientError):
    """A reference such as ``images/cirros@^1.0`` is malformed or matches nothing."""


class ApiError(ClientError):
    """The server answered with an error status."""

    status: int = 0

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        suffix = f" [{self.request_id}]" if self.request_id else ""
        return f"{self.status} {self.message}{suffix}"


class BadRequest(ApiError):
    """400: the request is malformed or a value is invalid."""


class Unauthorized(ApiError):
    """401: no identity, or bad credentials, where one is needed."""


class Forbidden(ApiError):
    """403: the caller may see the artifact but may not do this."""


class NotFound(ApiError):
    """404: no such artifact, type, blob or member, or one the caller may not see."""


class NotAcceptable(ApiError):
    """406: the requested API microversion is not served."""


class Conflict(ApiError):
    """409: the request clashes with the artifact's state (duplicate, wrong status, …)."""


class LengthRequired(ApiError):
    """411: an upload without a length or chunked encoding."""


class PayloadTooLarge(ApiError):
    """413: a size or count limit would be crossed."""


class UnsupportedMediaType(ApiError):
    """415: the body's content type is not accepted by this operation."""


class RangeNotSatisfiable(ApiError):
    """416: a byte range lies outside the blob."""


class ServiceUnavailable(ApiError):
    """503: the server (or its database or store) is unavailable right now."""


class ServerError(ApiError):
    """Any other 5xx: a fault on the server's side."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    406: NotAcceptable,
    409: Conflict,
    411: LengthRequired,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    416: RangeNotSatisfiable,
    503: ServiceUnavailable,
}


def error_from_response(response: httpx.Response) -> ApiError:
    """Build the exception for an error response, reading whatever error body it carries.

    Bodies are ``{"code", "title", "explanation", "error": {"type", "message"}}`` (Glare's
    fault format); anything else falls back to the body text or the reason phrase.
    """
    body: Any = None
    message = response.reason_phrase or f"HTTP {response.status_code}"
    error_type: str | None = None
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        if text:
            message = text[:500]
    if isinstance(body, dict):
        raw_error = body.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        message = str(
            error.get("message") or body.get("explanation") or body.get("title") or message
        )
        raw_type = error.get("type") or body.get("title")
        error_type = str(raw_type) if raw_type else None
    request_id = (
        body.get("request_id") if isinstance(body, dict) else None
    ) or response.headers.get("X-Request-Id")
    status = response.status_code
    kind = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return kind(
        status,
        message,
        error_type=error_type,
        request_id=request_id,
        body=body,
        retry_after=retry_after_seconds(response),
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` delay in seconds, when given as a number (the form servers send)."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None
