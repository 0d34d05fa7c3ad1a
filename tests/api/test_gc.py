"""``artifacts gc`` over real uploads: what it finds, why, and that it spares what is named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db import contents
from artifacts.db.session import Database
from artifacts.engine.gc import GarbageCollector
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from tests import factories as fx
from tests.api.test_blobs import put

DELAY = dt.timedelta(hours=1)


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root / "blobs").as_posix() for p in (root / "blobs").rglob("*") if p.is_file()
    }


@pytest.fixture
def delayed(
    database: Database, registry: TypeRegistry, settings: Settings
) -> tuple[falcon.testing.TestClient, Services, Settings]:
    own = dataclasses.replace(settings, delete_delay=int(DELAY.total_seconds()))
    services = build_services(own, types=registry, database=database)
    return falcon.testing.TestClient(create_app(own, services)), services, own


def _collector(services: Services, after: dt.timedelta) -> GarbageCollector:
    """A collector whose clock is ``after`` from now (so data looks that old)."""
    return GarbageCollector(
        services.database,
        services.stores,
        services.blobs,
        services.remover,
        lease=services.leases.ttl,
        delete_delay=DELAY,
        grace=dt.timedelta(minutes=30),
        clock=lambda: dt.datetime.now(dt.UTC) + after,
    )


def _upload(client: falcon.testing.TestClient, data: bytes, project: str = "p1") -> str:
    widget = fx.create(client, project=project, name=f"w-{uuid.uuid4().hex[:8]}")
    path = f"/artifacts/widgets/{widget['id']}/manual"
    assert put(client, path, data, fx.identity(project)).status_code == 200
    return path


def test_gc_lists_with_reasons_then_removes_only_garbage(
    delayed: tuple[falcon.testing.TestClient, Services, Settings],
) -> None:
    client, services, settings = delayed
    kept = _upload(client, b"kept")
    deleted = _upload(client, b"deleted")
    _upload(client, b"kept", "p2")  # a duplicate: its own copy is an orphan
    client.simulate_delete(deleted.rsplit("/", 1)[0], headers=fx.identity("p1"))
    stray = settings.data_dir / "blobs" / "blobs" / "zz" / "stray"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"written by nobody we know")
    before = _files(settings.data_dir)

    soon = _collector(services, dt.timedelta(minutes=1)).run(dry_run=True)
    assert [g.kind for g in soon.found] == ["orphan"]  # nothing else is old enough yet

    later = _collector(services, 2 * DELAY)
    listed = later.run(dry_run=True)

    kinds = sorted(g.kind for g in listed.found)
    assert kinds == ["orphan", "unnamed-object", "unreferenced-content"]
    reasons = {g.kind: g.reason for g in listed.found}
    assert reasons["orphan"] == "duplicate of stored content"
    assert reasons["unreferenced-content"].startswith("unreferenced since ")
    assert next(g for g in listed.found if g.kind == "unnamed-object").location == "blobs/zz/stray"
    assert _files(settings.data_dir) == before

    done = later.run()

    assert done.removed == 3
    assert done.failed == 0
    assert len(_files(settings.data_dir)) == 1
    got = client.simulate_get(kept, headers=fx.identity("p1"))
    assert got.content == b"kept"
    assert later.run(dry_run=True).found == []


def test_an_upload_of_the_same_bytes_revives_content_before_its_delay_ends(
    delayed: tuple[falcon.testing.TestClient, Services, Settings],
) -> None:
    client, services, _ = delayed
    first = _upload(client, b"revived")
    client.simulate_delete(first.rsplit("/", 1)[0], headers=fx.identity("p1"))

    again = _upload(client, b"revived", "p2")
    _collector(services, 2 * DELAY).run()

    assert client.simulate_get(again, headers=fx.identity("p2")).content == b"revived"


def test_forgetting_content_loses_to_a_new_reference(database: Database) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with database.write() as session:
        contents.claim(session, "s", "k", sha256="a" * 64, size=1, now=now, share=True)
        assert not contents.release(session, "s", "k", now=now, keep=True)
    with database.write() as session:
        contents.claim(session, "s", "k2", sha256="a" * 64, size=1, now=now, share=True)

    with database.write() as session:
        assert contents.forget_expired(session, "s", ["k"], now + DELAY) == []
