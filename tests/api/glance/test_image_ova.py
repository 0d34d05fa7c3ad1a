"""OVAs through the Glance door: a PUT of the file, glance-direct's stage then import, and
web-download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services, build_services
from tests.api.glance.conftest import DATA, OWNER
from tests.disk_images import ImageMaker, ova, ovf_descriptor, single_disk_ova
from tests.http_source import http_source


@pytest.fixture
def vmdk(disk_images: ImageMaker) -> Path:
    return disk_images.qemu("vmdk", "glance-ova.vmdk", "4M", "-o", "subformat=streamOptimized")


def create(client: falcon.testing.TestClient) -> str:
    created = client.simulate_post(
        "/v2/images",
        json={"name": "appliance", "disk_format": "vmdk", "container_format": "ova"},
        headers=OWNER,
    )
    assert created.status_code == 201, created.text
    return str(created.json["id"])


def assert_disk(client: falcon.testing.TestClient, image_id: str, disk: bytes) -> None:
    shown = client.simulate_get(f"/v2/images/{image_id}", headers=OWNER).json
    assert shown["status"] == "active"
    assert (shown["container_format"], shown["disk_format"]) == ("bare", "vmdk")
    assert shown["size"] == len(disk)
    assert shown["checksum"] == hashlib.md5(disk).hexdigest()
    assert shown["os_hash_value"] == hashlib.sha512(disk).hexdigest()
    assert shown["ovf_product"] == "CirrOS"
    assert shown["cim_pasd_InstructionSet"] == "x86:64"
    assert client.simulate_get(f"/v2/images/{image_id}/file", headers=OWNER).content == disk


def test_a_glance_put_of_an_ova_stores_its_disk(
    client: falcon.testing.TestClient, vmdk: Path
) -> None:
    image_id = create(client)
    put = client.simulate_put(
        f"/v2/images/{image_id}/file", body=single_disk_ova(vmdk), headers={**OWNER, **DATA}
    )
    assert put.status_code == 204, put.text
    assert_disk(client, image_id, vmdk.read_bytes())


def test_a_glance_put_of_a_two_disk_ova_is_refused(client: falcon.testing.TestClient) -> None:
    image_id = create(client)
    data = ova([("vm.ovf", ovf_descriptor("a.vmdk", "b.vmdk"))])
    put = client.simulate_put(f"/v2/images/{image_id}/file", body=data, headers={**OWNER, **DATA})
    assert put.status_code == 400, put.text
    assert "names 2 disks" in put.text
    shown = client.simulate_get(f"/v2/images/{image_id}", headers=OWNER).json
    assert (shown["status"], shown["container_format"]) == ("queued", "ova")


def test_glance_direct_imports_an_ova_as_its_disk(
    client: falcon.testing.TestClient, services: Services, vmdk: Path
) -> None:
    image_id = create(client)
    staged = client.simulate_put(
        f"/v2/images/{image_id}/stage", body=single_disk_ova(vmdk), headers={**OWNER, **DATA}
    )
    assert staged.status_code == 204, staged.text
    started = client.simulate_post(
        f"/v2/images/{image_id}/import",
        json={"method": {"name": "glance-direct"}},
        headers=OWNER,
    )
    assert started.status_code == 202, started.text
    assert services.worker(name="test-worker").run_pending() == 1
    assert_disk(client, image_id, vmdk.read_bytes())


def test_web_download_imports_an_ova_as_its_disk(
    tmp_path: Path, database: Database, registry: TypeRegistry, vmdk: Path
) -> None:
    # The source runs on loopback on a random port: allowed for this test only.
    settings = Settings(
        data_dir=tmp_path, import_allowed_networks=("127.0.0.0/8",), import_allowed_ports=()
    )
    services = build_services(settings, types=registry, database=database)
    client = falcon.testing.TestClient(create_app(settings, services))
    image_id = create(client)
    with http_source({"/appliance.ova": single_disk_ova(vmdk)}) as source:
        started = client.simulate_post(
            f"/v2/images/{image_id}/import",
            json={"method": {"name": "web-download", "uri": source.url("/appliance.ova")}},
            headers=OWNER,
        )
        assert started.status_code == 202, started.text
        assert services.worker(name="test-worker").run_pending() == 1
    assert_disk(client, image_id, vmdk.read_bytes())
