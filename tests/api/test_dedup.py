"""Content-addressed storage through HTTP: equal bytes stored once, references kept exact."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from pathlib import Path

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from tests import factories as fx
from tests.api.test_blobs import put

DATA = b"the same bytes, uploaded twice" * 1000


def _files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "blobs").rglob("*") if p.is_file())


def _upload(client: falcon.testing.TestClient, project: str, data: bytes = DATA) -> str:
    widget = fx.create(client, project=project, name=f"w-{uuid.uuid4().hex[:8]}")
    path = f"/artifacts/widgets/{widget['id']}/manual"
    result = put(client, path, data, fx.identity(project))
    assert result.status_code == 200, result.text
    return path


def _download(client: falcon.testing.TestClient, path: str, project: str) -> bytes:
    result = client.simulate_get(path, headers=fx.identity(project))
    assert result.status_code == 200, result.text
    return result.content


def test_two_projects_uploading_the_same_bytes_store_them_once(
    client: falcon.testing.TestClient, services: Services, settings: Settings
) -> None:
    first = _upload(client, "p1")
    second = _upload(client, "p2")
    services.remover.scrub()  # the second upload's own copy was recorded as a duplicate

    assert len(_files(settings.data_dir)) == 1
    assert _download(client, first, "p1") == DATA
    assert _download(client, second, "p2") == DATA


def test_deleting_one_artifact_keeps_the_others_download_intact(
    client: falcon.testing.TestClient, services: Services, settings: Settings
) -> None:
    first = _upload(client, "p1")
    second = _upload(client, "p2")

    deleted = client.simulate_delete(first.rsplit("/", 1)[0], headers=fx.identity("p1"))

    assert deleted.status_code == 204
    services.remover.scrub()
    assert _download(client, second, "p2") == DATA
    assert len(_files(settings.data_dir)) == 1
    client.simulate_delete(second.rsplit("/", 1)[0], headers=fx.identity("p2"))
    assert _files(settings.data_dir) == []


def test_replacing_a_shared_blob_keeps_the_other_reference(
    client: falcon.testing.TestClient, services: Services
) -> None:
    first = _upload(client, "p1")
    second = _upload(client, "p1")

    assert put(client, first, b"new data", fx.identity("p1")).status_code == 200

    assert _download(client, second, "p1") == DATA
    assert _download(client, first, "p1") == b"new data"


def test_a_cross_project_hit_answers_exactly_as_a_miss(
    client: falcon.testing.TestClient,
) -> None:
    """The answer of an upload never depends on what another project stored."""
    _upload(client, "p1")
    answers = []
    for project in ("p2", "p3"):
        widget = fx.create(client, project=project)
        data = DATA if project == "p2" else DATA[:-1] + b"!"
        result = put(
            client, f"/artifacts/widgets/{widget['id']}/manual", data, fx.identity(project)
        )
        body = result.json
        answers.append((result.status_code, sorted(result.headers), sorted(body["manual"])))
        assert body["manual"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert body["manual"]["size"] == len(data)

    assert answers[0] == answers[1]


def test_without_deduplication_every_upload_keeps_its_copy(
    database: Database, registry: TypeRegistry, settings: Settings, clock: object
) -> None:
    own = dataclasses.replace(settings, deduplicate=False)
    services = build_services(own, types=registry, database=database, clock=clock)  # type: ignore[arg-type]
    client = falcon.testing.TestClient(create_app(own, services))

    _upload(client, "p1")
    _upload(client, "p2")

    assert len(_files(settings.data_dir)) == 2


@pytest.mark.parametrize("delay", [60])
def test_a_delete_delay_keeps_unreferenced_data_until_gc(
    database: Database, registry: TypeRegistry, settings: Settings, delay: int, clock: object
) -> None:
    own = dataclasses.replace(settings, delete_delay=delay)
    services = build_services(own, types=registry, database=database, clock=clock)  # type: ignore[arg-type]
    client = falcon.testing.TestClient(create_app(own, services))
    path = _upload(client, "p1")

    client.simulate_delete(path.rsplit("/", 1)[0], headers=fx.identity("p1"))

    assert len(_files(settings.data_dir)) == 1
