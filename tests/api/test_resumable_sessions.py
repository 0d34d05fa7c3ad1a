"""Resumable upload sessions over their life: quotas held and settled, who may see them,
cancel, expiry, a PUT meanwhile, the artifact's deletion, and the stores that keep them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

import falcon.testing
import pytest
from sqlalchemy import func, select, update

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import BlobRow, QuotaUsageRow, UploadSessionRow
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.store.database import DatabaseStore
from tests import factories as fx
from tests.api.test_blobs import OWNER, path, put, stored_files
from tests.api.tus import DATA, TUS, append, create, location, offset_of


def test_quota_counts_the_declared_length_from_creation(
    client: falcon.testing.TestClient, widget: dict, database: Database
) -> None:
    quota = {"limits": {"max_bytes": 11000}}
    put_quota = client.simulate_put(
        "/quotas/projects/p1", json={"types": {}, **quota}, headers=fx.ADMIN
    )
    assert put_quota.status_code in (200, 204), put_quota.text
    first = location(client, path(widget), length=10000)
    over = create(client, path(widget, "attachments/a"), length=900)
    assert over.status_code == 201  # 10900 fits
    third = create(client, path(widget, "attachments/b"), length=900)
    assert third.status_code == 413, third.text
    assert third.json["error"]["quota"]["name"] == "max_bytes"
    # Cancelling gives the bytes back.
    cancelled = client.simulate_delete(first, headers={**TUS, **OWNER})
    assert cancelled.status_code == 204
    assert create(client, path(widget, "attachments/b"), length=900).status_code == 201
    with database.read() as session:
        held = session.scalar(select(func.sum(UploadSessionRow.reserved)))
        reserved = session.scalar(
            select(QuotaUsageRow.reserved).where(
                QuotaUsageRow.project_id == "p1", QuotaUsageRow.type_name == ""
            )
        )
    assert held == reserved == 1800


def test_finished_upload_settles_quota_exactly(
    client: falcon.testing.TestClient, widget: dict, services: Services
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:5000])
    append(client, upload, 5000, DATA[5000:])
    assert services.quotas.check() == []
    usage = client.simulate_get("/quotas/projects/p1", headers=fx.ADMIN).json
    assert json.dumps(usage).count(str(len(DATA))) >= 1


def test_another_project_cannot_see_or_touch_an_upload(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    stranger = fx.identity("p2")
    assert client.simulate_head(upload, headers={**TUS, **stranger}).status_code == 404
    assert append(client, upload, 100, DATA[100:], headers=stranger).status_code == 404
    assert client.simulate_delete(upload, headers={**TUS, **stranger}).status_code == 404
    assert offset_of(client, upload) == 100
    assert (
        client.simulate_head("/uploads/not-an-upload", headers={**TUS, **OWNER}).status_code == 404
    )


def test_cancelled_upload_is_gone_and_its_data_removed(
    client: falcon.testing.TestClient, widget: dict, settings: Settings
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    partial = list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    assert len(partial) == 1
    assert client.simulate_delete(upload, headers={**TUS, **OWNER}).status_code == 204
    assert not partial[0].exists()
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert append(client, upload, 100, DATA[100:]).status_code == 404


def test_expired_upload_is_410_and_swept(
    database: Database,
    widget: dict,
    client: falcon.testing.TestClient,
    services: Services,
    settings: Settings,
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    with database.write() as session:
        session.execute(
            update(UploadSessionRow).values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    result = client.simulate_head(upload, headers={**TUS, **OWNER})
    assert result.status_code == 410
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert not list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    other = location(client, path(widget, "attachments/x"), length=10)
    with database.write() as session:
        session.execute(
            update(UploadSessionRow).values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    assert services.blobs.sweep_stale_uploads() == 1
    assert client.simulate_head(other, headers={**TUS, **OWNER}).status_code == 404
    assert services.quotas.check() == []


def test_a_put_meanwhile_wins_and_the_session_still_finishes_later(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    assert put(client, path(widget), b"plain").status_code == 200
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["size"] == 5
    assert append(client, upload, 100, DATA[100:]).status_code == 204
    assert client.simulate_get(path(widget), headers=OWNER).content == DATA


def test_deleting_the_artifact_removes_sessions_and_their_data(
    client: falcon.testing.TestClient, widget: dict, settings: Settings, services: Services
) -> None:
    upload = location(client, path(widget))
    append(client, upload, 0, DATA[:100])
    assert fx.delete(client, "widgets", widget["id"]).status_code == 204
    assert not list((settings.data_dir / "blobs" / "tmp").glob("resumable-*"))
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).status_code == 404
    assert services.quotas.check() == []


def test_the_database_store_takes_resumable_uploads(
    database: Database,
    registry: TypeRegistry,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    request: pytest.FixtureRequest,
) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    in_db = Settings(
        data_dir=settings.data_dir, stores={"default": {"driver": "database", "url": url}}
    )
    services = build_services(in_db, types=registry, database=database, clock=clock)
    store = services.stores["default"]
    assert isinstance(store, DatabaseStore)
    request.addfinalizer(store.close)
    client = falcon.testing.TestClient(create_app(in_db, services))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    upload = location(client, path(widget))
    for start in (0, 3000, 7001):
        end = {0: 3000, 3000: 7001, 7001: len(DATA)}[start]
        assert append(client, upload, start, DATA[start:end]).status_code == 204
    assert client.simulate_get(path(widget), headers=OWNER).content == DATA
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert stored_files(settings) == []  # in the database, not on disk
    assert services.quotas.check() == []


def test_stores_without_partial_objects_answer_501(
    database: Database, registry: TypeRegistry, settings: Settings, clock: Callable[[], dt.datetime]
) -> None:
    memory = Settings(data_dir=settings.data_dir, stores={"default": {"driver": "memory"}})
    services = build_services(memory, types=registry, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(memory, services))
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    result = create(client, path(widget))
    assert result.status_code == 501, result.text
    assert stored_files(settings) == []
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(BlobRow)) == 0
