"""Interoperable import through the Glance door: stage, import, the task and the worker."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from tests.api.glance.conftest import ADMIN, DATA, OTHER, OWNER, ImageMaker
from tests.http_source import Source, http_source

ADMIN_CTX = RequestContext(project_id="admin-project", roles=frozenset({"admin"}))
DISK = b"a disk image, staged then imported\n" * 300


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The test's source runs on loopback on a random port: allowed here, and only here.
    # Two stores, for copy-image.
    return Settings(
        data_dir=tmp_path,
        import_allowed_networks=("127.0.0.0/8",),
        import_allowed_ports=(),
        stores={
            "fast": {"driver": "filesystem", "root": "fast"},
            "cold": {"driver": "filesystem", "root": "cold"},
        },
        default_store="fast",
    )


@pytest.fixture
def source() -> Iterator[Source]:
    with http_source({"/disk.raw": DISK}) as served:
        yield served


def _run_tasks(services: Services) -> int:
    return services.worker(name="test-worker").run_pending()


def _status(
    client: falcon.testing.TestClient, image_id: str, headers: dict[str, str] = OWNER
) -> str:
    return str(client.simulate_get(f"/v2/images/{image_id}", headers=headers).json["status"])


def _tasks(
    client: falcon.testing.TestClient, image_id: str, headers: dict[str, str] = OWNER
) -> list[dict[str, object]]:
    found = client.simulate_get(f"/v2/images/{image_id}/tasks", headers=headers)
    assert found.status_code == 200, found.text
    return list(found.json["tasks"])


def test_glance_direct_stages_then_imports_through_the_worker(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker
) -> None:
    image = make_image()
    staged = client.simulate_put(
        f"/v2/images/{image['id']}/stage", body=DISK, headers={**OWNER, **DATA}
    )
    assert staged.status_code == 204, staged.text
    assert _status(client, image["id"]) == "uploading"

    started = client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "glance-direct"}},
        headers=OWNER,
    )
    assert started.status_code == 202, started.text
    assert _status(client, image["id"]) == "importing"
    [task] = _tasks(client, image["id"])
    assert task["status"] == "pending"
    assert task["type"] == "api_image_import"

    assert _run_tasks(services) == 1
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["status"] == "active"
    assert shown["size"] == len(DISK)
    assert shown["checksum"] == hashlib.md5(DISK).hexdigest()
    downloaded = client.simulate_get(f"/v2/images/{image['id']}/file", headers=OWNER)
    assert downloaded.content == DISK
    [task] = _tasks(client, image["id"])
    assert task["status"] == "success"
    assert task["result"] == {"image_id": image["id"]}
    # The same artifact through the Glare door.
    glare = client.simulate_get(f"/artifacts/images/{image['id']}", headers=OWNER)
    assert glare.json["status"] == "active"
    assert glare.json["image"]["size"] == len(DISK)


def test_glance_direct_needs_staged_data(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image()
    refused = client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "glance-direct"}},
        headers=OWNER,
    )
    assert refused.status_code == 409
    assert "staged" in refused.text


def test_staging_twice_and_staging_another_projects_image_are_refused(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image()
    path = f"/v2/images/{image['id']}/stage"
    assert client.simulate_put(path, body=b"x", headers={**OWNER, **DATA}).status_code == 204
    assert client.simulate_put(path, body=b"y", headers={**OWNER, **DATA}).status_code == 409
    assert client.simulate_put(path, body=b"z", headers={**OTHER, **DATA}).status_code == 404


def test_web_download_fetches_from_the_loopback_source(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker, source: Source
) -> None:
    image = make_image()
    started = client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "web-download", "uri": source.url("/disk.raw")}},
        headers=OWNER,
    )
    assert started.status_code == 202, started.text
    assert _status(client, image["id"]) == "importing"
    assert _run_tasks(services) == 1
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["status"] == "active"
    assert shown["os_hash_value"] == hashlib.sha512(DISK).hexdigest()
    assert source.requested == ["/disk.raw"]
    glare = client.simulate_get(f"/artifacts/images/{image['id']}", headers=OWNER)
    assert glare.json["status"] == "active"


def test_web_download_follows_a_redirect_it_may_follow(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker, source: Source
) -> None:
    image = make_image()
    uri = source.url(f"/redirect?to={source.url('/disk.raw')}")
    client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "web-download", "uri": uri}},
        headers=OWNER,
    )
    _run_tasks(services)
    assert _status(client, image["id"]) == "active"
    assert source.requested == [uri.removeprefix(source.base), "/disk.raw"]


def test_a_refused_address_is_refused_when_asked(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image()
    refused = client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "web-download", "uri": "http://169.254.169.254/latest"}},
        headers=OWNER,
    )
    assert refused.status_code == 400
    assert "169.254.169.254" in refused.text
    assert _status(client, image["id"]) == "queued"


def test_a_redirect_to_a_refused_address_fails_the_task_with_a_message(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker, source: Source
) -> None:
    image = make_image()
    # Allowed when asked (loopback is allowed here); the redirect leads to link-local.
    uri = source.url("/redirect?to=http://169.254.169.254/latest/meta-data")
    client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "web-download", "uri": uri}},
        headers=OWNER,
    )
    assert _run_tasks(services) == 1
    [task] = _tasks(client, image["id"])
    assert task["status"] == "failure"
    assert "169.254.169.254" in str(task["message"])
    assert _status(client, image["id"]) == "queued"
    assert len(source.requested) == 1


def test_loopback_is_refused_by_default(
    database: Database, registry: TypeRegistry, tmp_path: Path, source: Source
) -> None:
    guarded = Settings(data_dir=tmp_path)
    services = build_services(guarded, types=registry, database=database)
    client = falcon.testing.TestClient(create_app(guarded, services))
    created = client.simulate_post(
        "/v2/images",
        json={"name": "x", "disk_format": "raw", "container_format": "bare"},
        headers=OWNER,
    ).json
    for uri in (source.url("/disk.raw"), source.url("/disk.raw").replace("127.0.0.1", "127.1")):
        refused = client.simulate_post(
            f"/v2/images/{created['id']}/import",
            json={"method": {"name": "web-download", "uri": uri}},
            headers=OWNER,
        )
        assert refused.status_code == 400, refused.text
    assert source.requested == []


def test_tasks_list_and_show(client: falcon.testing.TestClient, make_image: ImageMaker) -> None:
    image = make_image()
    client.simulate_put(f"/v2/images/{image['id']}/stage", body=DISK, headers={**OWNER, **DATA})
    client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "glance-direct"}},
        headers=OWNER,
    )
    assert client.simulate_get("/v2/tasks", headers=OWNER).status_code == 403
    listed = client.simulate_get("/v2/tasks", headers=ADMIN).json
    [stub] = listed["tasks"]
    assert "input" not in stub
    assert listed["first"] == "/v2/tasks"
    shown = client.simulate_get(f"/v2/tasks/{stub['id']}", headers=ADMIN).json
    assert shown["input"]["import_req"]["method"]["name"] == "glance-direct"
    assert shown["image_id"] == image["id"]
    assert client.simulate_get(f"/v2/tasks/{stub['id']}", headers=OWNER).status_code == 403
    hidden = client.simulate_get(f"/v2/images/{image['id']}/tasks", headers=OTHER)
    assert hidden.status_code == 404
    [own] = _tasks(client, image["id"])
    assert own["id"] == stub["id"]


def test_a_second_import_while_one_runs_is_a_conflict(
    client: falcon.testing.TestClient, make_image: ImageMaker, source: Source
) -> None:
    image = make_image()
    body = {"method": {"name": "web-download", "uri": source.url("/disk.raw")}}
    path = f"/v2/images/{image['id']}/import"
    assert client.simulate_post(path, json=body, headers=OWNER).status_code == 202
    assert client.simulate_post(path, json=body, headers=OWNER).status_code == 409


def test_a_worker_that_died_leaves_its_task_to_another_after_the_lease(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker, source: Source
) -> None:
    image = make_image()
    client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "web-download", "uri": source.url("/disk.raw")}},
        headers=OWNER,
    )
    # A worker claims it and dies without a word: its lease runs out (the test clock ticks a
    # second per call; the lease is 60 s), then another worker claims and finishes it.
    assert services.tasks.claim("dead-worker", ("api_image_import",)) is not None
    assert services.tasks.claim("second", ("api_image_import",)) is None
    for _ in range(70):
        services.tasks.list_tasks(ADMIN_CTX)
    assert _run_tasks(services) == 1
    assert _status(client, image["id"]) == "active"
    [task] = _tasks(client, image["id"])
    assert services.tasks.show(ADMIN_CTX, str(task["id"]))["attempts"] == 2


def test_copy_image_copies_an_active_image_into_another_store(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker
) -> None:
    image = make_image(data=DISK)
    assert image["stores"] == "fast"
    path = f"/v2/images/{image['id']}/import"
    copy = {"method": {"name": "copy-image"}, "stores": ["cold"]}
    assert client.simulate_post(path, json=copy, headers=OWNER).status_code == 403
    assert client.simulate_post(path, json=copy, headers=ADMIN).status_code == 202
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["status"] == "active"
    assert shown["os_glance_importing_to_stores"] == "cold"
    assert _run_tasks(services) == 1
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["stores"] == "fast,cold"
    # The administrator's task is theirs: the image's owner does not see it.
    assert _tasks(client, image["id"]) == []
    [task] = _tasks(client, image["id"], ADMIN)
    assert task["status"] == "success"
    assert task["result"] == {"image_id": image["id"], "stores": ["cold"]}
    again = client.simulate_post(path, json=copy, headers=ADMIN)
    assert again.status_code == 400
    assert "already present at store 'cold'" in again.text
    everywhere = {"method": {"name": "copy-image"}, "all_stores": True}
    assert client.simulate_post(path, json=everywhere, headers=ADMIN).status_code == 202
    assert _run_tasks(services) == 0
    assert (
        client.simulate_get(f"/artifacts/images/{image['id']}", headers=OWNER).json["status"]
        == "active"
    )

    cold = Path(str(services.stores["cold"].root))  # type: ignore[attr-defined]
    assert [p.read_bytes() for p in cold.rglob("*") if p.is_file()] == [DISK]
    assert client.simulate_delete(f"/v2/images/{image['id']}", headers=OWNER).status_code == 204
    assert not [p for p in cold.rglob("*") if p.is_file()]


def test_copy_image_into_an_unknown_store_is_a_conflict(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(data=DISK)
    refused = client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={"method": {"name": "copy-image"}, "stores": ["nowhere"]},
        headers=ADMIN,
    )
    assert refused.status_code == 409


def test_web_download_into_two_stores(
    client: falcon.testing.TestClient, services: Services, make_image: ImageMaker, source: Source
) -> None:
    image = make_image()
    started = client.simulate_post(
        f"/v2/images/{image['id']}/import",
        json={
            "method": {"name": "web-download", "uri": source.url("/disk.raw")},
            "stores": ["cold", "fast"],
        },
        headers=OWNER,
    )
    assert started.status_code == 202, started.text
    _run_tasks(services)
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["status"] == "active"
    assert shown["stores"] == "cold,fast"
