"""Reading request bodies: content type, size ceiling and JSON syntax checked before use."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import falcon

from artifacts.errors import InvalidInput, TooLarge, UnsupportedMediaType

JSON_PATCH = "application/json-patch+json"


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
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise TooLarge(f"The request body is larger than {max_bytes} bytes.")
    if not raw.strip():
        raise InvalidInput("The request body is empty; a JSON document is expected.")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput("The request body is nested too deeply.") from None
    if b"\\u0000" in raw and _has_nul(body):
        # PostgreSQL cannot store U+0000 in text or JSON; refuse it on every database alike.
        raise InvalidInput("Strings in the request body may not contain U+0000 (NUL).")
    return body


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259); Python's parser accepts them unless told not to."""
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


def write_json(resp: falcon.Response, body: Any, status: int = 200) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.text = json.dumps(body, separators=(",", ":"))
