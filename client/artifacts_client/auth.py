"""How the client says who it is: an API token, or identity headers for a trusted gateway."""

from __future__ import annotations

from collections.abc import Generator, Iterable

import httpx


class TokenAuth(httpx.Auth):
    """An API token (the server's ``tokens`` mode) or a Keystone token, as ``X-Auth-Token``.

    ``X-Auth-Token`` rather than ``Authorization: Bearer`` because Keystone's middleware reads
    only that header, and the token mode reads both.
    """

    def __init__(self, token: str) -> None:
        if not token.strip():
            raise ValueError("the token is empty")
        self._token = token.strip()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token
        yield request


class TrustedHeadersAuth(httpx.Auth):
    """Identity headers (``X-Project-Id``, ``X-User-Id``, ``X-Roles``) for the trusted mode.

    Only meaningful on loopback or behind a gateway that sets them; the server ignores them in
    its other modes.
    """

    def __init__(self, project: str, user: str | None = None, roles: Iterable[str] = ()) -> None:
        if not project.strip():
            raise ValueError("the project is empty")
        self.project = project.strip()
        self.user = user
        self.roles = tuple(role.strip() for role in roles if role.strip())

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # Glare's noauth mode also wants the status a Keystone middleware would have set.
        request.headers["X-Identity-Status"] = "Confirmed"
        request.headers["X-Project-Id"] = self.project
        if self.user:
            request.headers["X-User-Id"] = self.user
        if self.roles:
            request.headers["X-Roles"] = ",".join(self.roles)
        yield request
