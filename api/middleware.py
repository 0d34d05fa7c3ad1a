"""Request middleware: request ids (caller identity is resolved in :mod:`api.identity`)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import falcon

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Adopt a well-formed ``X-Request-Id`` or mint one, and echo it on every response."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
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
