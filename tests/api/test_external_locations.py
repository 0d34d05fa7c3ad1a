"""External locations through HTTP: refused into private networks unless the operator allows."""

from __future__ import annotations

import dataclasses
import json

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services, build_services
from tests import factories as fx
from tests.api.test_blobs import LOCATION, OWNER, path

MD5 = "a" * 32


def _set(client: falcon.testing.TestClient, widget: dict, url: str) -> falcon.testing.Result:
    return client.simulate_put(
        path(widget), body=json.dumps({"url": url, "md5": MD5}), headers={**OWNER, **LOCATION}
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9650/image",
        "http://[::ffff:10.0.0.1]/image",
        "http://2130706433/image",
        "http://localhost/image",
        "http://example.com/a\r\nLocation: http://evil.example/",
    ],
)
def test_private_and_malformed_locations_are_400_and_change_nothing(
    client: falcon.testing.TestClient, url: str
) -> None:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    result = _set(client, widget, url)
    assert result.status_code == 400, result.text
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"] is None


def test_an_operator_may_allow_a_loopback_range(services: Services, settings: Settings) -> None:
    allowing = dataclasses.replace(settings, external_networks=("127.0.0.0/8",))
    built = build_services(
        allowing, types=services.types, database=services.database, stores=services.stores
    )
    client = falcon.testing.TestClient(create_app(allowing, built))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    assert _set(client, widget, "http://127.0.0.1:9650/image").status_code == 200
    download = client.simulate_get(path(widget), headers=OWNER)
    assert (download.status_code, download.headers["Location"]) == (
        301,
        "http://127.0.0.1:9650/image",
    )


def _internal(
    client: falcon.testing.TestClient, widget: dict, url: str, who: dict[str, str]
) -> falcon.testing.Result:
    body = json.dumps({"url": url, "location_type": "internal"})
    return client.simulate_put(path(widget), body=body, headers={**who, **LOCATION})


@pytest.mark.parametrize(
    ("url", "status", "kind"),
    [
        ("file:///etc/passwd", 403, "Forbidden"),
        (" FILE:/etc/passwd", 403, "Forbidden"),
        ("swift+config://ref1/container/object", 403, "Forbidden"),
        ("s3://bucket/key", 400, "BadRequest"),
        ("http://[::1/x", 400, "BadRequest"),
        ("http://127.0.0.1:9650/object", 403, "PolicyException"),
    ],
)
@pytest.mark.parametrize("who", [OWNER, fx.ADMIN], ids=["owner", "admin"])
def test_internal_locations_are_refused_to_everyone_and_change_nothing(
    client: falcon.testing.TestClient, url: str, status: int, kind: str, who: dict[str, str]
) -> None:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    result = _internal(client, widget, url, who)
    assert (result.status_code, result.json["error"]["type"]) == (status, kind), result.text
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"] is None


def test_an_internal_location_is_looked_up_before_its_rule(
    client: falcon.testing.TestClient,
) -> None:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    url = "http://127.0.0.1:9650/object"
    assert _internal(client, widget, url, fx.identity(project="other")).status_code == 404
    # A scheme of the server's own stores is refused before the artifact is read.
    assert _internal(client, widget, "file:///x", fx.identity(project="other")).status_code == 403
    fx.patch(client, "widgets", widget["id"], [fx.replace("status", "active")], OWNER)
    refused = _internal(client, widget, url, fx.ADMIN)
    assert (refused.status_code, refused.json["error"]["type"]) == (403, "Forbidden")
