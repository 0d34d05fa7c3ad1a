from __future__ import annotations

import falcon.testing

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.store.base import StoreError
from tests.api.test_blobs import FlakyStore


def test_healthz_answers_without_touching_dependencies(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/healthz")
    assert (result.status_code, result.json) == (200, {"status": "ok"})


def test_readyz_checks_database_and_stores(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/readyz")
    assert result.status_code == 200
    assert result.json == {"status": "ok", "checks": {"database": "ok", "store:default": "ok"}}


class UnreachableStore(FlakyStore):
    def check(self) -> None:
        raise StoreError("connection refused")


def test_readyz_is_503_naming_what_is_down(
    services: Services, registry: TypeRegistry, settings: Settings
) -> None:
    broken = build_services(
        settings,
        types=registry,
        database=services.database,
        stores={"default": UnreachableStore("default")},
    )
    result = falcon.testing.TestClient(create_app(settings, broken)).simulate_get("/readyz")
    assert result.status_code == 503
    assert result.json["checks"]["store:default"] == "unavailable: connection refused"
    assert result.json["checks"]["database"] == "ok"
