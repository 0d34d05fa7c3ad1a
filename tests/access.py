"""Callers, auth modes and a shared artifact for access tests ("the world").

A caller is a name in :data:`CALLERS`; :class:`AuthMode` turns it into whatever its mode takes
(trusted headers, an API token, the environ keystonemiddleware's auth_token leaves), so one
table of expectations serves every mode.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import falcon.testing

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services
from tests.factories import JSON, JSON_PATCH, identity

OWNER = "p-owner"
#: Member projects by the answer they give.
MEMBER_PROJECTS = {"accepted": "p-accepted", "pending": "p-pending", "rejected": "p-rejected"}
OTHER = "p-other"
ADMIN_PROJECT = "p-admin"

#: caller → (project, roles); None is the anonymous caller.
CALLERS: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "owner": (OWNER, ("member",)),
    "accepted": (MEMBER_PROJECTS["accepted"], ("member",)),
    "pending": (MEMBER_PROJECTS["pending"], ("member",)),
    "rejected": (MEMBER_PROJECTS["rejected"], ("member",)),
    "other": (OTHER, ("member",)),
    "admin": (ADMIN_PROJECT, ("admin",)),
    "anonymous": None,
}

VISIBILITIES = ("private", "shared", "community", "public")
AUTH_MODES = ("trusted-headers", "tokens", "keystone")

WSGIApp = Callable[..., Any]


class KeystoneStub:
    """What keystonemiddleware's auth_token does to the environ, without a Keystone.

    It removes every identity header the client sent, then for a known token sets
    ``X-Identity-Status: Confirmed`` and the project, user and roles headers; without a token
    (``delay_auth_decision``) it sets ``X-Identity-Status: Invalid`` and lets the request through.
    """

    _STRIPPED = (
        "HTTP_X_IDENTITY_STATUS",
        "HTTP_X_PROJECT_ID",
        "HTTP_X_TENANT_ID",
        "HTTP_X_USER_ID",
        "HTTP_X_ROLES",
        "HTTP_X_ROLE",
    )

    def __init__(self, app: WSGIApp, tokens: dict[str, tuple[str, str, tuple[str, ...]]]) -> None:
        self._app = app
        self._tokens = tokens

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        for key in self._STRIPPED:
            environ.pop(key, None)
        token = environ.get("HTTP_X_AUTH_TOKEN")
        if token is None:
            environ["HTTP_X_IDENTITY_STATUS"] = "Invalid"
            return self._app(environ, start_response)
        if token not in self._tokens:
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"error": "invalid token"}']
        project, user, roles = self._tokens[token]
        environ["HTTP_X_IDENTITY_STATUS"] = "Confirmed"
        environ["HTTP_X_PROJECT_ID"] = project
        environ["HTTP_X_USER_ID"] = user
        environ["HTTP_X_ROLES"] = ",".join(roles)
        return self._app(environ, start_response)


@dataclass
class AuthMode:
    """A client of the app in one auth mode, and each caller's credentials for it."""

    name: str
    client: falcon.testing.TestClient
    credentials: dict[str, dict[str, str]]

    def headers(self, caller: str) -> dict[str, str]:
        return dict(self.credentials[caller])


def auth_mode(name: str, settings: Settings, services: Services) -> AuthMode:
    app: WSGIApp = create_app(replace(settings, auth_mode=name), services)
    credentials: dict[str, dict[str, str]] = {"anonymous": {}}
    keystone_tokens: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for index, (caller, who) in enumerate(CALLERS.items()):
        if who is None:
            continue
        project, roles = who
        user = f"user-of-{caller}"
        if name == "trusted-headers":
            credentials[caller] = identity(project, roles, user=user)
        elif name == "tokens":
            issued = services.tokens.create(
                project_id=project, user_id=user, roles=roles, lifetime=dt.timedelta(days=1)
            )
            # Both ways of presenting a token, alternately.
            credentials[caller] = (
                {"Authorization": f"Bearer {issued.token}"}
                if index % 2
                else {"X-Auth-Token": issued.token}
            )
        else:
            token = f"keystone-token-{caller}"
            keystone_tokens[token] = (project, user, roles)
            credentials[caller] = {"X-Auth-Token": token}
    if name == "keystone":
        app = KeystoneStub(app, keystone_tokens)
    return AuthMode(name, falcon.testing.TestClient(app), credentials)


@dataclass(frozen=True)
class World:
    """An active widget with a blob, shared with the three member projects, then re-scoped."""

    id: str
    visibility: str


BLOB = b"blob data of the shared widget"


def build_world(mode: AuthMode, visibility: str, name: str = "shared-widget") -> World:
    client = mode.client
    owner = mode.headers("owner")
    created = client.simulate_post(
        "/artifacts/widgets",
        json={"name": name, "serial": "AB-1234", "notes": "first"},
        headers={**owner, **JSON},
    )
    assert created.status_code == 201, created.text
    artifact_id = created.json["id"]
    path = f"/artifacts/widgets/{artifact_id}"
    _ok(client.simulate_put(f"{path}/manual", body=BLOB, headers=owner))
    _ok(_patch(client, path, owner, [("status", "active"), ("visibility", "shared")]))
    for answer, project in MEMBER_PROJECTS.items():
        _ok(
            client.simulate_post(
                f"{path}/members", json={"member": project}, headers={**owner, **JSON}
            )
        )
        if answer != "pending":
            _ok(
                client.simulate_put(
                    f"{path}/members/{project}",
                    json={"status": answer},
                    headers={**mode.headers(answer), **JSON},
                )
            )
    if visibility != "shared":
        changer = mode.headers("admin" if visibility == "public" else "owner")
        _ok(_patch(client, path, changer, [("visibility", visibility)]))
    return World(artifact_id, visibility)


def _patch(
    client: falcon.testing.TestClient,
    path: str,
    headers: dict[str, str],
    changes: Iterable[tuple[str, Any]],
) -> falcon.testing.Result:
    operations = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in changes]
    return client.simulate_patch(
        path, body=json.dumps(operations), headers={**headers, **JSON_PATCH}
    )


def _ok(result: falcon.testing.Result) -> None:
    assert result.status_code < 300, result.text
