"""Refuse request text that cannot be stored before any door reads it.

Every door shares this middleware, so every path segment, query parameter and header value
a resource might pass on has been through :mod:`artifacts.model.text` by the time it does;
JSON bodies are checked where they are parsed (:func:`api.media.read_json`). The identity
headers of the trusted-headers mode must be well-formed project and user ids.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import falcon

from artifacts.model import text

#: Headers naming the caller's project, held to the project-id shape when present.
PROJECT_HEADERS = ("X-Project-Id", "X-Tenant-Id")


class InputSanitizerMiddleware:
    """Check every request's path, query parameters and headers (see the module's doc).

    Almost every request passes, so each part is first checked whole, in one regular
    expression over its raw text: a query string without ``%`` escapes decodes to substrings
    of itself (``+`` becomes a space), so when it holds nothing unstorable and is within the
    length limit, so is each of its names and values. Only a part that fails the whole check
    is gone through piece by piece, for the message that names the piece.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        text.check_text(req.path, "The request path")
        query = req.query_string
        if query and (
            "%" in query or len(query) > text.MAX_TEXT_LENGTH or not text.storable(query)
        ):
            for name, value in parse_qsl(query, keep_blank_values=True):
                text.check_text(name, "A query parameter name")
                text.check_text(value, f"Query parameter {name[:64]!r}")
        env = req.env
        values = [value for key, value in env.items() if key.startswith("HTTP_")]
        values += [env.get("CONTENT_TYPE", ""), env.get("CONTENT_LENGTH", "")]
        if not text.storable("".join(values)):
            for name, value in req.headers.items():
                # gunicorn bounds header values (limit_request_field_size); tokens may be long.
                text.check_text(value, f"Header {name}", max_length=None)
        for name in PROJECT_HEADERS:
            project = req.get_header(name)
            if project:
                text.check_project_id(project.strip(), f"The {name} header")
