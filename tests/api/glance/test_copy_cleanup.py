"""copy-image leaves no data behind that nothing names: stale, failed, replaced or unrecorded.

Three filesystem stores: ``fast`` (where images are uploaded), ``cold`` (where they are copied)
and ``broken``, whose root is a regular file, so every write to it fails as a real store
failure does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from artifacts.config import Settings
from artifacts.engine.context import RequestContext
from artifacts.engine.gc import GarbageCollector
from artifacts.engine.services import Services
from artifacts.store.base import BlobWriter, StoredObject
from tests.api.glance.conftest import ADMIN, OWNER, ImageMaker

DISK = b"an active image's data, to be copied\n" * 200
ADMIN_CTX = RequestContext(project_id="admin-project", roles=frozenset({"admin"}))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "not-a-directory").write_bytes(b"")
    return Settings(
        data_dir=tmp_path,
        stores={
            "fast": {"driver": "filesystem", "root": "fast"},
            "cold": {"driver": "filesystem", "root": "cold"},
            "broken": {"driver": "filesystem", "root": "not-a-directory"},
        },
        default_store="fast",
        task_max_attempts=1,
    )


def _files(services: Services, store: str) -> dict[str, bytes]:
    root = Path(str(services.stores[store].root))  # type: ignore[attr-defined]
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).as_posix().startswith("tmp/")
    }


def _copy(client: falcon.testing.TestClient, image_id: str, **body: Any) -> None:
    started = client.simulate_post(
        f"/v2/images/{image_id}/import",
        json={"method": {"name": "copy-image"}, **body},
        headers=ADMIN,
    )
    assert started.status_code == 202, started.text


def _task(client: falcon.testing.TestClient, image_id: str) -> dict[str, Any]:
    [task] = client.simulate_get(f"/v2/images/{image_id}/tasks", headers=ADMIN).json["tasks"]
    return dict(task)


def _stores(client: falcon.testing.TestClient, image_id: str) -> str:
    return str(client.simulate_get(f"/v2/images/{image_id}", headers=OWNER).json["stores"])


def test_a_copy_whose_image_is_deleted_meanwhile_is_removed(
    client: falcon.testing.TestClient,
    services: Services,
    make_image: ImageMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = make_image(data=DISK)
    _copy(client, image["id"], stores=["cold"])
    cold = services.stores["cold"]
    open_writer = cold.open_writer

    class DeleteBeforeCommit:
        """The real writer; the image is deleted just before the copy is complete."""

        def __init__(self, inner: BlobWriter) -> None:
            self._inner = inner

        def write(self, chunk: bytes) -> None:
            self._inner.write(chunk)

        def commit(self) -> StoredObject:
            deleted = client.simulate_delete(f"/v2/images/{image['id']}", headers=OWNER)
            assert deleted.status_code == 204, deleted.text
            return self._inner.commit()

        def cancel(self) -> None:
            self._inner.cancel()

    monkeypatch.setattr(cold, "open_writer", lambda key: DeleteBeforeCommit(open_writer(key)))
    assert services.worker(name="w").run_pending() == 1
    [task] = services.tasks.list_tasks(ADMIN_CTX)  # the image, and its task list, are gone
    assert task["status"] == "failure"
    assert "changed while it was being copied" in task["message"]
    assert _files(services, "cold") == {}
    assert _files(services, "fast") == {}


def test_a_failed_copy_that_all_stores_must_survive_removes_the_copies_it_made(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker
) -> None:
    image = make_image(data=DISK)
    _copy(client, image["id"], stores=["cold", "broken"], all_stores_must_succeed=True)
    assert services.worker(name="w").run_pending() == 1
    task = _task(client, image["id"])
    assert task["status"] == "failure"
    assert "broken" in task["message"]
    assert _files(services, "cold") == {}
    assert _stores(client, image["id"]) == "fast"
    assert client.simulate_get(f"/v2/images/{image['id']}/file", headers=OWNER).content == DISK


def test_a_failed_store_that_need_not_succeed_keeps_the_other_copies(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker
) -> None:
    image = make_image(data=DISK)
    _copy(client, image["id"], stores=["cold", "broken"], all_stores_must_succeed=False)
    assert services.worker(name="w").run_pending() == 1
    task = _task(client, image["id"])
    assert task["status"] == "success"
    assert task["result"]["failed_stores"] == ["broken"]
    assert list(_files(services, "cold").values()) == [DISK]
    assert _stores(client, image["id"]) == "fast,cold"


def test_the_copy_of_a_worker_that_lost_the_task_replaces_no_data_unnamed(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker
) -> None:
    image = make_image(data=DISK)
    _copy(client, image["id"], stores=["cold"])
    late = services.tasks.claim("slow-worker", ("api_image_import",))
    assert late is not None
    for _ in range(70):  # its lease lapses (the test clock ticks a second per call)
        services.tasks.list_tasks(ADMIN_CTX)
    assert services.worker(name="second").run_pending() == 1
    first = _files(services, "cold")
    assert list(first.values()) == [DISK]
    # The first worker was slow, not dead: it finishes its copy after all.
    services.imports.run(late, lambda _done: None)
    after = _files(services, "cold")
    assert list(after.values()) == [DISK]
    assert after.keys() != first.keys()
    assert _stores(client, image["id"]) == "fast,cold"
    assert client.simulate_delete(f"/v2/images/{image['id']}", headers=OWNER).status_code == 204
    assert _files(services, "cold") == {}


def test_gc_removes_copies_and_staged_data_that_no_row_names(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker
) -> None:
    image = make_image(data=DISK)
    _copy(client, image["id"], stores=["cold"])
    services.worker(name="w").run_pending()
    staged = make_image(name="staged")
    assert (
        client.simulate_put(
            f"/v2/images/{staged['id']}/stage",
            body=DISK,
            headers={**OWNER, "Content-Type": "application/octet-stream"},
        ).status_code
        == 204
    )
    named = {"cold": _files(services, "cold"), "fast": _files(services, "fast")}
    # What a worker killed between writing and recording leaves behind.
    strays = {
        "cold": f"copies/{image['id']}/file/00000000-dead-worker",
        "fast": f"staging/{staged['id']}/file/00000000-dead-worker",
    }
    for store, key in strays.items():
        writer = services.stores[store].open_writer(key)
        writer.write(b"never recorded")
        writer.commit()
    collector = GarbageCollector(
        services.database,
        services.stores,
        services.blobs,
        services.remover,
        lease=services.leases.ttl,
        delete_delay=dt.timedelta(0),
        grace=dt.timedelta(minutes=30),
        clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    report = collector.run()
    unnamed = sorted((g.store, g.location) for g in report.found if g.kind == "unnamed-object")
    assert unnamed == sorted(strays.items())
    assert {"cold": _files(services, "cold"), "fast": _files(services, "fast")} == named
