"""The identity middlewares of the tokens and keystone modes (the matrix covers what they grant)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from keystonemiddleware import auth_token
from sqlalchemy import select

from api import wsgi
from api.app import create_app
from api.keystone import with_auth_token
from artifacts.config import ConfigError, Settings, load_settings
from artifacts.db import migrate
from artifacts.db.models import TokenRow
from artifacts.db.session import build_engine
from artifacts.engine.services import Services
from tests.factories import JSON, assert_error, identity, publish


def _token(services: Services, project: str = "p1", **kwargs: object) -> str:
    options: dict[str, object] = {"user_id": "u1", "roles": (), "lifetime": dt.timedelta(days=1)}
    options.update(kwargs)
    return services.tokens.create(project_id=project, **options).token  # type: ignore[arg-type]


@pytest.fixture
def tokens_client(settings: Settings, services: Services) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(replace(settings, auth_mode="tokens"), services))


def _create(client: falcon.testing.TestClient, headers: dict[str, str]) -> falcon.testing.Result:
    return client.simulate_post(
        "/artifacts/widgets", json={"name": "bolt"}, headers={**headers, **JSON}
    )


# --- tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["X-Auth-Token", "Bearer"])
def test_a_token_acts_for_its_project(
    tokens_client: falcon.testing.TestClient, services: Services, scheme: str
) -> None:
    token = _token(services, "p-tok", roles=["Member"])
    headers = (
        {"X-Auth-Token": token}
        if scheme == "X-Auth-Token"
        else {"Authorization": f"Bearer {token}"}
    )

    result = _create(tokens_client, headers)

    assert result.status_code == 201, result.text
    assert result.json["owner"] == "p-tok"


def test_identity_headers_are_ignored_in_tokens_mode(
    tokens_client: falcon.testing.TestClient,
) -> None:
    result = _create(tokens_client, identity("p1", roles=["admin"]))

    body = assert_error(result, 401, "Unauthorized")
    assert result.headers["WWW-Authenticate"] == 'Token realm="artifacts"'
    assert "Authentication required" in body["error"]["message"]


def test_without_a_token_a_caller_reads_public_artifacts(
    client: falcon.testing.TestClient, tokens_client: falcon.testing.TestClient
) -> None:
    created = client.simulate_post(
        "/artifacts/widgets",
        json={"name": "bolt", "serial": "AB-1234"},
        headers={**identity(), **JSON},
    ).json
    publish(client, "widgets", created["id"])

    result = tokens_client.simulate_get("/artifacts/widgets")

    assert [item["id"] for item in result.json["artifacts"]] == [created["id"]]


@pytest.mark.parametrize(
    "token",
    [
        "u1:p1:admin",  # Glare's development token means nothing here
        "art_0123456789abcdef_" + "A" * 43,  # well-formed, never issued
        "not a token",
    ],
)
def test_unknown_tokens_are_401(tokens_client: falcon.testing.TestClient, token: str) -> None:
    result = tokens_client.simulate_get("/artifacts/widgets", headers={"X-Auth-Token": token})

    body = assert_error(result, 401, "Unauthorized")
    assert body["error"]["message"] == "The token is invalid, expired or revoked."


def test_an_expired_token_is_401(
    tokens_client: falcon.testing.TestClient, services: Services
) -> None:
    # The test clock ticks one second per reading: the token is expired at its first use.
    token = _token(services, lifetime=dt.timedelta(seconds=1))

    result = tokens_client.simulate_get("/artifacts/widgets", headers={"X-Auth-Token": token})

    assert_error(result, 401, "Unauthorized")


def test_a_revoked_token_is_401(
    tokens_client: falcon.testing.TestClient, services: Services
) -> None:
    issued = services.tokens.create(
        project_id="p1", user_id="u1", roles=(), lifetime=dt.timedelta(days=1)
    )
    headers = {"X-Auth-Token": issued.token}
    assert tokens_client.simulate_get("/artifacts/widgets", headers=headers).status_code == 200

    services.tokens.revoke(issued.info.id)

    assert_error(tokens_client.simulate_get("/artifacts/widgets", headers=headers), 401)


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "art_abc"])
def test_a_malformed_authorization_header_is_401(
    tokens_client: falcon.testing.TestClient, authorization: str
) -> None:
    result = tokens_client.simulate_get(
        "/artifacts/widgets", headers={"Authorization": authorization}
    )

    body = assert_error(result, 401, "Unauthorized")
    assert "Bearer <token>" in body["error"]["message"]


def test_two_different_tokens_in_one_request_are_401(
    tokens_client: falcon.testing.TestClient, services: Services
) -> None:
    headers = {
        "X-Auth-Token": _token(services, "p1"),
        "Authorization": f"Bearer {_token(services, 'p2')}",
    }

    assert_error(tokens_client.simulate_get("/artifacts/widgets", headers=headers), 401)


def test_only_a_hash_of_the_token_is_stored(services: Services) -> None:
    issued = services.tokens.create(
        project_id="p1", user_id="u1", roles=["admin"], lifetime=dt.timedelta(days=1)
    )
    secret = issued.token.rsplit("_", 1)[1]

    with services.database.read() as session:
        rows = session.execute(select(TokenRow.__table__)).all()

    assert len(rows) == 1
    assert all(secret not in str(value) for value in rows[0])
    assert issued.token.startswith(f"art_{issued.info.id}_")


# --- keystone ----------------------------------------------------------------------------


@pytest.fixture
def keystone_settings(settings: Settings) -> Settings:
    # An identity endpoint nobody listens on: none of these tests may reach it.
    return replace(
        settings,
        auth_mode="keystone",
        keystone={
            "www_authenticate_uri": "http://127.0.0.1:9/identity",
            "auth_url": "http://127.0.0.1:9/identity",
            "auth_type": "password",
            "username": "artifacts",
            "password": "unused",
            "project_name": "service",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
    )


def test_keystone_mode_wraps_the_app_in_auth_token(
    keystone_settings: Settings, services: Services, client: falcon.testing.TestClient
) -> None:
    created = client.simulate_post(
        "/artifacts/widgets",
        json={"name": "bolt", "serial": "AB-1234"},
        headers={**identity(), **JSON},
    ).json
    app = with_auth_token(create_app(keystone_settings, services), keystone_settings.keystone)

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # falcon's test client inspects its app's signature, which WebOb's wsgify hides.
        return app(environ, start_response)

    wrapped = falcon.testing.TestClient(wsgi_app)
    spoofed = {**identity("p1", roles=["admin"]), "X-Identity-Status": "Confirmed"}

    listed = wrapped.simulate_get("/artifacts/widgets", headers=spoofed)
    shown = wrapped.simulate_get(f"/artifacts/widgets/{created['id']}", headers=spoofed)
    posted = _create(wrapped, spoofed)

    assert isinstance(app, auth_token.AuthProtocol)
    # Without a token auth_token lets the request through as unauthenticated (delay_auth_decision)
    # after stripping the identity headers the client made up.
    assert listed.status_code == 200, listed.text
    assert listed.json["artifacts"] == []
    assert_error(shown, 404, "ArtifactNotFound")
    assert_error(posted, 401, "Unauthorized")


def test_keystone_identity_maps_what_auth_token_confirmed(
    keystone_settings: Settings, services: Services
) -> None:
    client = falcon.testing.TestClient(create_app(keystone_settings, services))
    confirmed = {
        "X-Identity-Status": "Confirmed",
        "X-Project-Id": "p-ks",
        "X-User-Id": "u-ks",
        "X-Roles": "reader,Member",
    }

    result = _create(client, confirmed)

    assert result.status_code == 201, result.text
    assert result.json["owner"] == "p-ks"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Identity-Status": "Invalid", "X-Project-Id": "p-ks", "X-Roles": "admin"},
        {"X-Project-Id": "p-ks", "X-Roles": "admin"},
        # A domain-scoped token: confirmed, but no project to act for.
        {"X-Identity-Status": "Confirmed", "X-User-Id": "u-ks", "X-Roles": "reader"},
    ],
)
def test_keystone_identity_without_a_confirmed_project_is_anonymous(
    keystone_settings: Settings, services: Services, headers: dict[str, str]
) -> None:
    client = falcon.testing.TestClient(create_app(keystone_settings, services))

    assert_error(_create(client, headers), 401, "Unauthorized")


def test_keystone_mode_without_keystonemiddleware_stops_with_a_message(
    keystone_settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "keystonemiddleware", None)

    with pytest.raises(ConfigError, match=r"pip install 'artifact-repo\[keystone\]'"):
        with_auth_token(create_app(keystone_settings, services), keystone_settings.keystone)


def test_the_wsgi_entry_point_wraps_the_app_in_keystone_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "artifacts.toml"
    config.write_text(
        '[auth]\nmode = "keystone"\n'
        '[keystone]\nwww_authenticate_uri = "http://127.0.0.1:9/identity"\n'
        "delay_auth_decision = true\n"
    )
    monkeypatch.setenv("ARTIFACTS_CONFIG", str(config))
    monkeypatch.setenv("ARTIFACTS_DATA_DIR", str(tmp_path))
    # As `artifacts serve` does before it starts workers: the service reads the stored
    # schema versions when it builds its services.
    engine = build_engine(load_settings().effective_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    interval = sys.getswitchinterval()
    try:
        app = wsgi.create_wsgi_app()
    finally:
        sys.setswitchinterval(interval)

    assert isinstance(app, auth_token.AuthProtocol)
