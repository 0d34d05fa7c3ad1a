"""Request middleware: request ids and caller identity.

Identity is resolved here and only here, into a :class:`RequestContext` on ``req.context.ctx``; a
stronger authentication mode replaces this middleware without touching any resource.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import falcon

from artifacts.engine.context import RequestContext

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


class TrustedHeadersIdentity:
    """Glare's no-auth mode: trust identity headers set by a gateway in front of the service.

    ``X-Project-Id`` (or ``X-Tenant-Id``), ``X-User-Id`` and ``X-Roles`` (comma separated). A
    request without a project is anonymous: it may read public artifacts and nothing else.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        project = req.get_header("X-Project-Id") or req.get_header("X-Tenant-Id")
        roles = req.get_header("X-Roles") or req.get_header("X-Role") or ""
        req.context.ctx = RequestContext(
            project_id=project.strip() or None if project else None,
            user_id=req.get_header("X-User-Id"),
            roles=frozenset(role.strip() for role in roles.split(",") if role.strip()),
            request_id=req.context.request_id,
        )
