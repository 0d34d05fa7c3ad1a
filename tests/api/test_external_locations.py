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
