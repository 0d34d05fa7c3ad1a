"""Request and response bodies: content type, size ceiling and JSON syntax checked before use;
answers written as compact JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import falcon
import orjson

from api.socket_body import socket_body
from artifacts.engine.blobs import Readable
from artifacts.errors import InvalidInput, LengthRequired, TooLarge, UnsupportedMediaType
from artifacts.model import text

JSON_PATCH = "application/json-patch+json"
#: What Glare labels its JSON answers with (its error bodies say plain ``application/json``).
JSON_UTF8 = "application/json; charset=UTF-8"


def media_type(req: falcon.Request) -> str:
    return (req.content_type or "").split(";", 1)[0].strip().lower()


def read_json(req: falcon.Request, *, max_bytes: int, accept: Iterable[str]) -> Any:
    """Return the parsed JSON body, refusing other media types and oversized bodies."""
    accepted = tuple(accept)
    if media_type(req) not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type must be {' or '.join(accepted)}, not {req.content_type or 'missing'}."
        )
    if req.content_length is not None and req.content_length > max_bytes:
        raise TooLarge(f"The request body is larger than {max_bytes} bytes.")
    # Without a length or chunked encoding there is no body (a JSON body is never optional).
    unframed = req.content_length is None and not req.env.get("wsgi.input_terminated")
    raw = b"" if unframed else body_stream(req).read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise TooLarge(f"The request body is larger than {max_bytes} bytes.")
    if not raw.strip():
        raise InvalidInput("The request body is empty; a JSON document is expected.")
    try:
        document = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"The request body is not valid JSON: {exc}") from None
    except _OutOfRange as exc:
        raise InvalidInput(f"The request body holds a number out of range: {exc}") from None
    except RecursionError:
        raise InvalidInput(
            f"The request body is nested more than {text.MAX_JSON_DEPTH} levels deep."
        ) from None
    text.check_document(document)
    return document


def refuse_partial_upload(req: falcon.Request) -> None:
    """Refuse a body that says it is part of a blob: it would be stored as the whole blob.

    ``Content-Range`` on a request is not HTTP's way to resume an upload (RFC 9110 section
    14.4 lets a server refuse it with 400); one request carries one whole blob.
    """
    if req.get_header("Content-Range") is not None:
        raise InvalidInput(
            "Content-Range is not accepted on an upload: send the whole blob in one request."
        )


def body_stream(req: falcon.Request) -> Readable:
    """The request body as a stream, for a Content-Length or a chunked request alike.

    falcon's bounded stream reads nothing without a Content-Length; a server that decodes
    chunked transfer encoding (gunicorn does) says so with ``wsgi.input_terminated``, and then
    the raw input ends where the body ends.
    """
    if req.content_length is not None:
        return req.bounded_stream
    if req.env.get("wsgi.input_terminated"):
        return req.stream
    raise LengthRequired("A Content-Length or chunked transfer encoding is required.")


def blob_stream(req: falcon.Request) -> Readable:
    """A blob upload's body: straight from the socket where the server allows it.

    Under gunicorn, a body of known length on a plain TCP connection is read from the socket
    one chunk per ``recv`` (:mod:`api.socket_body`); anything else is :func:`body_stream`.
    """
    if req.content_length is not None:
        direct = socket_body(req.env)
        if direct is not None:
            return direct
    return body_stream(req)


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259); Python's parser accepts them unless told not to."""
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


class _OutOfRange(ValueError):
    """A JSON number too large for a float (``1e400``): refused, not read as infinity."""


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _OutOfRange(literal)
    return value


def write_json(
    resp: falcon.Response, body: Any, status: int = 200, content_type: str = JSON_UTF8
) -> None:
    resp.status = status
    resp.content_type = content_type
    resp.data = dumps(body)


def dumps(body: Any) -> bytes:
    """The compact JSON of a response body, UTF-8.

    orjson writes a list page's 25 images in a tenth of ``json.dumps``' time (~20 against
    ~190 µs). What it refuses, an integer past 64 bits or a lone surrogate, ``json.dumps``
    writes (escaped, as ASCII).
    """
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode()
