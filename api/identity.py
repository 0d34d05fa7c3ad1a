"""Who is calling: one identity middleware per authentication mode, chosen by configuration.

Identity is resolved here and only here, into a :class:`RequestContext` on ``req.context.ctx``;
no resource reads an identity header. Every mode treats a request without credentials as
anonymous (public artifacts, read-only) and refuses bad credentials with 401.

- ``trusted-headers``: believe ``X-Project-Id`` / ``X-User-Id`` / ``X-Roles`` set by a gateway
  (Glare's no-auth mode), or Glare's development token ``X-Auth-Token: user:project:roles``.
- ``tokens``: an API token (:mod:`artifacts.engine.tokens`) as ``X-Auth-Token`` or
  ``Authorization: Bearer``; identity headers sent by the client are ignored.
- ``keystone``: keystonemiddleware's auth_token (wrapped around the app by
  :mod:`api.keystone`) validated the token and set ``X-Identity-Status`` and the identity
  headers, after removing any the client sent.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import unquote

import falcon

from artifacts.config import KEYSTONE, TOKENS, TRUSTED_HEADERS, ConfigError
from artifacts.engine.context import RequestContext
from artifacts.engine.tokens import TokenService
from artifacts.errors import Unauthenticated


class IdentityMiddleware(Protocol):
    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None: ...


def identity_middleware(auth_mode: str, tokens: TokenService) -> IdentityMiddleware:
    """Return the identity middleware of ``auth_mode`` (settings have validated the name)."""
    if auth_mode == TRUSTED_HEADERS:
        return TrustedHeadersIdentity()
    if auth_mode == TOKENS:
        return TokenIdentity(tokens)
    if auth_mode == KEYSTONE:
        return KeystoneIdentity()
    raise ConfigError(f"Unknown auth mode {auth_mode!r}")


class TrustedHeadersIdentity:
    """Glare's no-auth mode: trust identity set by a gateway in front of the service.

    Either the headers ``X-Project-Id`` (or ``X-Tenant-Id``), ``X-User-Id`` and ``X-Roles`` (comma
    separated), or Glare's development token ``X-Auth-Token: <user>:<project>:<role>[,<role>…]``
    that python-glareclient sends with ``--os-auth-token``.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        project = req.get_header("X-Project-Id") or req.get_header("X-Tenant-Id")
        user = req.get_header("X-User-Id")
        roles = req.get_header("X-Roles") or ""
        token = req.get_header("X-Auth-Token")
        if not project and token is not None:
            parsed = parse_dev_token(token)
            if parsed is None:
                raise Unauthenticated(
                    "X-Auth-Token must be '<user>:<project>:<roles>' in trusted-headers mode."
                )
            user, project, roles = parsed
        req.context.ctx = _context(req, project, user, roles)


class TokenIdentity:
    """API tokens: ``X-Auth-Token: <token>`` or ``Authorization: Bearer <token>``."""

    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        token = presented_token(req)
        if token is None:
            req.context.ctx = RequestContext(request_id=req.context.request_id)
            return
        req.context.ctx = self._tokens.authenticate(token, req.context.request_id)


class KeystoneIdentity:
    """Map what keystonemiddleware's auth_token put in the request to a context.

    auth_token runs with ``delay_auth_decision`` so requests without a token reach the app
    marked ``X-Identity-Status: Invalid``: they are anonymous, as in every mode. A confirmed
    identity without a project (a domain- or system-scoped token) owns nothing here, so it is
    anonymous too unless it holds the admin role.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.get_header("X-Identity-Status") != "Confirmed":
            req.context.ctx = RequestContext(request_id=req.context.request_id)
            return
        req.context.ctx = _context(
            req,
            req.get_header("X-Project-Id"),
            req.get_header("X-User-Id"),
            req.get_header("X-Roles") or "",
        )


def presented_token(req: falcon.Request) -> str | None:
    """The token in ``X-Auth-Token`` or an ``Authorization: Bearer`` header, if any."""
    token = req.get_header("X-Auth-Token")
    authorization = req.get_header("Authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
        if token is not None and token.strip() != credentials.strip():
            raise Unauthenticated("X-Auth-Token and Authorization name different tokens.")
        token = credentials
    return token.strip() if token is not None and token.strip() else None


def parse_dev_token(token: str) -> tuple[str, str, str] | None:
    """Split ``user:project:roles``; a project of ``none`` means anonymous, as in Glare.

    python-glanceclient percent-encodes header values (``u1%3Ap1%3Amember``), so an encoded
    token is decoded first.
    """
    if ":" not in token and "%3A" in token.upper():
        token = unquote(token)
    parts = token.strip().split(":")
    if len(parts) != 3 or not parts[1]:
        return None
    user, project, roles = parts
    return user, "" if project.lower() == "none" else project, roles


def _context(
    req: falcon.Request, project: str | None, user: str | None, roles: str
) -> RequestContext:
    return RequestContext(
        project_id=(project or "").strip() or None,
        user_id=user,
        roles=frozenset(role.strip().lower() for role in roles.split(",") if role.strip()),
        request_id=req.context.request_id,
    )
