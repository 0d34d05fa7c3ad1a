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
from artifacts.errors import Unauthenticated

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


class TrustedHeadersIdentity:
    """Glare's no-auth mode: trust identity set by a gateway in front of the service.

    Either the headers ``X-Project-Id`` (or ``X-Tenant-Id``), ``X-User-Id`` and ``X-Roles`` (comma
    separated), or Glare's development token ``X-Auth-Token: <user>:<project>:<role>[,<role>…]``
    that python-glareclient sends with ``--os-auth-token``. A request with neither is anonymous:
    it may read public artifacts and nothing else.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        project = req.get_header("X-Project-Id") or req.get_header("X-Tenant-Id")
        user = req.get_header("X-User-Id")
        roles = req.get_header("X-Roles") or ""
        token = req.get_header("X-Auth-Token")
        if not project and token:
            parsed = parse_dev_token(token)
            if parsed is None:
                raise Unauthenticated(
                    "X-Auth-Token must be '<user>:<project>:<roles>' in trusted-headers mode."
                )
            user, project, roles = parsed
        project = (project or "").strip()
        req.context.ctx = RequestContext(
            project_id=project or None,
            user_id=user,
            roles=frozenset(role.strip().lower() for role in roles.split(",") if role.strip()),
            request_id=req.context.request_id,
        )


def parse_dev_token(token: str) -> tuple[str, str, str] | None:
    """Split ``user:project:roles``; a project of ``none`` means anonymous, as in Glare."""
    parts = token.strip().split(":")
    if len(parts) != 3 or not parts[1]:
        return None
    user, project, roles = parts
    return user, "" if project.lower() == "none" else project, roles
