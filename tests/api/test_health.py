from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database, build_engine
from artifacts.engine.health import HealthService
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.store.base import StoreError
from artifacts.store.filesystem import FilesystemStore
from tests.api.test_blobs import FlakyStore


def test_healthz_answers_without_touching_dependencies(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/healthz")
    assert (result.status_code, result.json) == (200, {"status": "ok"})


def test_readyz_checks_database_and_stores(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/readyz")
    assert result.status_code == 200
    assert result.json == {"status": "ok", "checks": {"database": "ok", "store:default": "ok"}}


class FullDiskStore(FilesystemStore):
    """A filesystem store whose disk is full: files can be created, no byte written."""

    def check(self) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fsync", _no_space)
            super().check()


def _no_space(*_args: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


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
    assert result.json["checks"] == {"database": "ok", "store:default": "unavailable"}
    assert "refused" not in result.text  # the reason is logged, not told to whoever asks


def test_readyz_is_503_when_the_schema_is_not_at_the_expected_revision(
    services: Services, settings: Settings, tmp_path: Path
) -> None:
    # A node whose database was never migrated (start-up checks aside, as after a restore).
    empty = Database(build_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    unmigrated = dataclasses.replace(services, health=HealthService(empty, services.stores))
    try:
        result = falcon.testing.TestClient(create_app(settings, unmigrated)).simulate_get("/readyz")
    finally:
        empty.dispose()
    assert result.status_code == 503
    assert result.json["checks"]["database"] == "wrong schema revision"


def test_readyz_on_a_full_disk_leaves_no_probe_files(
    services: Services, registry: TypeRegistry, settings: Settings, tmp_path: Path
) -> None:
    store = FullDiskStore("default", tmp_path / "store")
    full = build_services(
        settings, types=registry, database=services.database, stores={"default": store}
    )
    client = falcon.testing.TestClient(create_app(settings, full))
    for _ in range(3):
        result = client.simulate_get("/readyz")
        assert result.status_code == 503
        assert result.json["checks"]["store:default"] == "unavailable"
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
