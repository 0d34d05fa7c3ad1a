"""Store and database failures during an upload: 503 with Retry-After, and the blob never wedged."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import falcon.testing
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.models import BlobRow, OrphanRow
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from artifacts.errors import ServiceUnavailable
from artifacts.store.base import StoredObject, StoreError
from artifacts.store.memory import MemoryStore, MemoryWriter
from tests import factories as fx
from tests.api.test_blobs import OWNER, path, put


class BrokenStore(MemoryStore):
    """A memory store that fails at one step of an upload (``fail_at``) until repaired."""

    def __init__(self, name: str, fail_at: str) -> None:
        super().__init__(name)
        self.fail_at = fail_at
        self.after_commit: list[object] = []

    def open_writer(self, key: str) -> MemoryWriter:
        if self.fail_at == "open":
            raise StoreError("connection refused")
        return BrokenWriter(self, key)


class BrokenWriter(MemoryWriter):
    _store: BrokenStore

    def write(self, chunk: bytes) -> None:
        if self._store.fail_at == "write":
            raise StoreError("connection reset")
        super().write(chunk)

    def commit(self) -> StoredObject:
        if self._store.fail_at == "commit":
            raise StoreError("no space left on device")
        stored = super().commit()
        for hook in self._store.after_commit:
            hook()  # type: ignore[operator]
        return stored

    def cancel(self) -> None:
        if self._store.fail_at in ("write", "commit"):
            raise StoreError("still unreachable")  # the error path's cancel fails too
        super().cancel()


class FlakyDatabase(Database):
    """A database whose write transactions fail, as an outage does, while ``down`` is set."""

    down = False

    @contextmanager
    def write(self) -> Iterator[Session]:
        if self.down:
            raise ServiceUnavailable("The database is unavailable; try again later.")
        with super().write() as session:
            yield session


def _client(
    settings: Settings,
    registry: TypeRegistry,
    database: Database,
    store: MemoryStore,
    clock: Callable[[], dt.datetime],
) -> tuple[falcon.testing.TestClient, Services]:
    services = build_services(
        settings, types=registry, database=database, stores={"default": store}, clock=clock
    )
    return falcon.testing.TestClient(create_app(settings, services)), services


def _blob(database: Database, artifact_id: str) -> BlobRow | None:
    with database.read() as session:
        return session.get(BlobRow, (artifact_id, "manual", ""))


def _orphans(database: Database) -> list[str]:
    with database.read() as session:
        return [o.location for o in session.scalars(select(OrphanRow))]


@pytest.mark.parametrize("fail_at", ["open", "write", "commit"])
def test_a_store_failure_answers_503_and_frees_the_blob_at_once(
    database: Database,
    registry: TypeRegistry,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    fail_at: str,
) -> None:
    store = BrokenStore("default", fail_at)
    client, _ = _client(settings, registry, database, store, clock)
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")

    failed = put(client, path(widget), b"data")
    assert failed.status_code == 503, failed.text
    assert failed.headers["Retry-After"].isdigit()
    assert "unreachable" not in failed.text
    assert "refused" not in failed.text
    assert _blob(database, widget["id"]) is None  # no "saving" record left behind
    # What the failed cancel left under the upload's key was deleted (or orphaned).
    assert store.keys() == [] or len(_orphans(database)) == 1

    store.fail_at = ""
    retried = put(client, path(widget), b"data")
    assert retried.status_code == 200, retried.text
    assert client.simulate_get(path(widget), headers=OWNER).content == b"data"


def test_a_store_failure_keeps_the_previous_data(
    database: Database,
    registry: TypeRegistry,
    settings: Settings,
    clock: Callable[[], dt.datetime],
) -> None:
    store = BrokenStore("default", "")
    client, _ = _client(settings, registry, database, store, clock)
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    assert put(client, path(widget), b"old").status_code == 200
    store.fail_at = "write"
    assert put(client, path(widget), b"new").status_code == 503
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["status"] == "active"
    assert client.simulate_get(path(widget), headers=OWNER).content == b"old"


def test_a_database_outage_after_the_store_commit_frees_the_blob_when_the_lease_lapses(
    database: Database,
    registry: TypeRegistry,
    settings: Settings,
    clock: Callable[[], dt.datetime],
) -> None:
    flaky = FlakyDatabase(database.engine)
    store = BrokenStore("default", "")
    # The test clock ticks a second per call: a one-second lease lapses by the next upload.
    client, services = _client(
        dataclasses.replace(settings, upload_lease=1), registry, flaky, store, clock
    )
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")

    def outage() -> None:
        flaky.down = True

    store.after_commit.append(outage)
    failed = put(client, path(widget), b"lost")
    assert failed.status_code == 503, failed.text
    assert failed.headers["Retry-After"].isdigit()
    blob = _blob(database, widget["id"])
    assert blob is not None
    assert blob.status == "saving"  # the database could not be told

    flaky.down = False
    store.after_commit.clear()
    retried = put(client, path(widget), b"kept")
    assert retried.status_code == 200, retried.text
    assert client.simulate_get(path(widget), headers=OWNER).content == b"kept"
    # The data committed before the outage became an orphan; scrub removes it.
    assert len(_orphans(database)) == 1
    assert services.remover.scrub() == (1, 0)
    assert len(store.keys()) == 1


def test_a_live_lease_blocks_a_second_upload_and_a_lapsed_one_does_not(
    services: Services, client: falcon.testing.TestClient
) -> None:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    leases = services.leases
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert not leases.expired(now - leases.ttl / 2, now)
    assert leases.expired(now - leases.ttl, now)

    assert put(client, path(widget), b"one").status_code == 200
    with services.database.write() as session:
        blob = session.get(BlobRow, (widget["id"], "manual", ""))
        assert blob is not None
        blob.status, blob.pending_upload_id = "saving", "11111111-1111-1111-1111-111111111111"
        blob.pending_store, blob.pending_location = "default", "blobs/xx/partial"
        blob.pending_started_at = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    assert put(client, path(widget), b"two").status_code == 409

    with leases.hold("11111111-1111-1111-1111-111111111111"):
        assert leases.renew() == 1  # the renewal moves the lease to the service clock's now
    assert put(client, path(widget), b"two").status_code == 409  # renewed just now
    with services.database.write() as session:
        blob = session.get(BlobRow, (widget["id"], "manual", ""))
        assert blob is not None
        blob.pending_started_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert put(client, path(widget), b"two").status_code == 200


@pytest.mark.parametrize("content_type", ["x" * 256, "text/plain\x00", "text/plain; name=\u00e9"])
def test_a_content_type_the_record_cannot_hold_is_400_and_frees_nothing(
    client: falcon.testing.TestClient, services: Services, content_type: str
) -> None:
    widget = fx.create(client, "widgets", name="w", serial="AB-1234")
    result = put(client, path(widget), b"data", content_type=content_type)
    assert result.status_code == 400, result.text
    assert _blob(services.database, widget["id"]) is None
    assert put(client, path(widget), b"data").status_code == 200
