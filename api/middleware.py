"""Request middleware: request ids and start times (caller identity is in :mod:`api.identity`)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import falcon

from artifacts.errors import InvalidInput

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Adopt a well-formed ``X-Request-Id`` or mint one, and echo it on every response.

    It runs first, so it also stamps ``req.context.started``: the one start time that the
    request log and the metrics both measure from.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        given = req.get_header("X-Request-Id")
        req.context.request_id = (
            given if given and _REQUEST_ID.match(given) else f"req-{uuid.uuid4()}"
        )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        request_id = getattr(req.context, "request_id", None)
        if request_id:
            resp.set_header("X-Request-Id", request_id)
            # The header OpenStack clients (glareclient included) log and report.
            resp.set_header("X-OpenStack-Request-Id", request_id)


class BodylessMethodsMiddleware:
    """Refuse a body on the requests of a resource that takes none (400, as Glare does).

    A resource lists the methods in ``bodyless_methods``: a body sent with a read or a delete is
    a client error (often a request meant for another method), not something to drop silently.
    """

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: Any
    ) -> None:
        if req.method not in getattr(resource, "bodyless_methods", ()):
            return
        chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
        if (req.content_length or 0) > 0 or chunked:
            raise InvalidInput("A body is not expected with this request.")
