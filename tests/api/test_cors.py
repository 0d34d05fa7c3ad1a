"""CORS: preflights and response headers for the configured origins only, off by default."""

from __future__ import annotations

import dataclasses

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services
from tests.factories import identity

APP = "https://app.example.org"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, x-auth-token",
}


def cors_client(
    settings: Settings, services: Services, origins: tuple[str, ...], **extra: str
) -> falcon.testing.TestClient:
    changed = dataclasses.replace(settings, cors_origins=origins, **extra)  # type: ignore[arg-type]
    return falcon.testing.TestClient(create_app(changed, services))


@pytest.fixture
def allowing(settings: Settings, services: Services) -> falcon.testing.TestClient:
    """An app allowing APP, identifying callers by token (so a preflight cannot pass as one)."""
    return cors_client(settings, services, (APP,), auth_mode="tokens")


@pytest.mark.parametrize(
    "path", ["/direct-uploads", "/artifacts/widgets", "/uploads", "/v2/images"]
)
def test_a_preflight_from_an_allowed_origin_is_answered_without_credentials(
    allowing: falcon.testing.TestClient, path: str
) -> None:
    result = allowing.simulate_options(path, headers=PREFLIGHT)
    assert result.status_code == 204
    assert result.headers["Access-Control-Allow-Origin"] == APP
    assert "POST" in result.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in result.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-auth-token", "upload-offset", "authorization"} <= allowed
    assert result.headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in result.headers
    assert "Origin" in result.headers["Vary"]


def test_answers_to_an_allowed_origin_name_it_and_expose_headers_errors_included(
    allowing: falcon.testing.TestClient,
) -> None:
    # an error is what the page's script most needs to read
    refused = allowing.simulate_get("/artifacts/widgets/nothing-here", headers={"Origin": APP})
    assert refused.status_code == 404
    assert refused.headers["Access-Control-Allow-Origin"] == APP
    exposed = {h.strip() for h in refused.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Location", "Upload-Offset", "X-OpenStack-Request-Id"} <= exposed


@pytest.mark.parametrize("origin", ["https://evil.example.org", "http://app.example.org"])
def test_other_origins_get_no_cors_headers(
    allowing: falcon.testing.TestClient, origin: str
) -> None:
    preflight = allowing.simulate_options(
        "/direct-uploads", headers={**PREFLIGHT, "Origin": origin}
    )
    request = allowing.simulate_get("/artifacts/widgets", headers={"Origin": origin})
    for result in (preflight, request):
        assert "Access-Control-Allow-Origin" not in result.headers
        assert "Access-Control-Allow-Methods" not in result.headers
    assert request.status_code == 200  # served as usual: the browser hides it from the page


def test_cors_is_off_by_default(client: falcon.testing.TestClient) -> None:
    preflight = client.simulate_options("/direct-uploads", headers=PREFLIGHT)
    listed = client.simulate_get("/artifacts/widgets", headers={"Origin": APP, **identity()})
    assert listed.status_code == 200
    for result in (preflight, listed):
        assert not any(name.lower().startswith("access-control-") for name in result.headers)


def test_any_origin_is_answered_with_a_star(settings: Settings, services: Services) -> None:
    app = cors_client(settings, services, ("*",))
    result = app.simulate_get("/artifacts/widgets", headers={"Origin": APP, **identity()})
    assert result.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in result.headers or "Origin" not in result.headers["Vary"]


def test_a_plain_options_request_is_not_a_preflight(
    allowing: falcon.testing.TestClient,
) -> None:
    result = allowing.simulate_options("/artifacts/widgets", headers={"Origin": APP})
    assert "Access-Control-Allow-Methods" not in result.headers
    assert result.headers["Access-Control-Allow-Origin"] == APP
