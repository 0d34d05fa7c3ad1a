"""Image uploads are inspected as they stream, on both databases and on filesystem and S3 stores.

Real images made by qemu-img activate with their detected format and virtual size; unsafe or
mislabelled ones get a 400 that says why, and none of their bytes is kept in the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from tests import factories as fx
from tests.api.conftest import ImageStore
from tests.disk_images import ImageMaker, MiB

OWNER = fx.identity()


def upload(images: ImageStore, path: Path, **fields: str) -> tuple[dict, falcon.testing.Result]:
    artifact = fx.create(images.client, "images", name=path.name, **fields)
    result = images.client.simulate_put(
        f"/artifacts/images/{artifact['id']}/image",
        body=path.read_bytes(),
        headers={**OWNER, "Content-Type": "application/octet-stream"},
    )
    return artifact, result


GOOD = [
    ("qcow2", "good.qcow2", "qcow2", ()),
    ("raw", "good.raw", "raw", ()),
    ("vmdk", "good.vmdk", "vmdk", ("-o", "subformat=streamOptimized")),
    ("vhdx", "good.vhdx", "vhdx", ()),
]


@pytest.mark.parametrize("case", GOOD, ids=[case[1] for case in GOOD])
def test_real_images_activate_with_their_format_and_virtual_size(
    images: ImageStore, disk_images: ImageMaker, case: tuple[str, str, str, tuple[str, ...]]
) -> None:
    fmt, name, disk_format, options = case
    path = disk_images.qemu(fmt, name, "4M", *options)
    artifact, result = upload(images, path, disk_format=disk_format, container_format="bare")
    assert result.status_code == 200, result.text
    body = result.json
    assert (body["detected_format"], body["virtual_size"]) == (disk_format, 4 * MiB)
    assert body["image"]["status"] == "active"
    data = path.read_bytes()
    assert (body["os_hash_algo"], body["os_hash_value"]) == (
        "sha512",
        hashlib.sha512(data).hexdigest(),
    )
    active = fx.activate(images.client, "images", artifact["id"])
    assert active["status"] == "active"
    downloaded = images.client.simulate_get(
        f"/artifacts/images/{artifact['id']}/image", headers=OWNER
    )
    assert downloaded.content == data


@pytest.mark.parametrize(("version", "payload"), [(1, 18 * MiB), (2, 4 * MiB)])
def test_luks_images_activate_as_luks(
    images: ImageStore, disk_images: ImageMaker, version: int, payload: int
) -> None:
    path = disk_images.luks(f"good{version}.luks", version, 20)
    artifact, result = upload(images, path, disk_format="luks", container_format="bare")
    assert result.status_code == 200, result.text
    body = result.json
    assert (body["detected_format"], body["virtual_size"]) == ("luks", payload)
    assert body["format_details"]["luks_version"] == str(version)
    assert body["os_hash_value"] == hashlib.sha512(path.read_bytes()).hexdigest()
    assert fx.activate(images.client, "images", artifact["id"])["status"] == "active"


def crafted_random(disk_images: ImageMaker) -> Path:
    return disk_images.raw("random.bin", bytes((i * 7919 + 13) % 251 for i in range(MiB)))


REFUSED: list[tuple[str, Callable[[ImageMaker], Path], dict[str, str], str]] = [
    (
        "backing-file",
        lambda d: d.qemu("qcow2", "b.qcow2", "4M", "-b", "/etc/shadow", "-F", "raw", "-u"),
        {"disk_format": "qcow2"},
        "backing file",
    ),
    (
        "data-file",
        lambda d: d.qemu("qcow2", "d.qcow2", "4M", "-o", "data_file=d.raw"),
        {"disk_format": "qcow2"},
        "external data file",
    ),
    ("random-as-qcow2", crafted_random, {"disk_format": "qcow2"}, "not a qcow2 image"),
    ("random-as-iso", crafted_random, {"disk_format": "iso"}, "not a iso image"),
    (
        "qcow2-as-raw",
        lambda d: d.qemu("qcow2", "r.qcow2", "4M"),
        {"disk_format": "raw"},
        "is a qcow2 image, but its disk_format is 'raw'",
    ),
    (
        "qcow2-as-vmdk",
        lambda d: d.qemu("qcow2", "v.qcow2", "4M"),
        {"disk_format": "vmdk"},
        "not a vmdk image",
    ),
    (
        "luks-as-raw",
        lambda d: d.luks("r.luks", 2),
        {"disk_format": "raw"},
        "is a luks image, but its disk_format is 'raw'",
    ),
    (
        "vmdk-flat",
        lambda d: d.qemu("vmdk", "f.vmdk", "4M", "-o", "subformat=monolithicFlat"),
        {"disk_format": "vmdk"},
        "descriptor file",
    ),
]


@pytest.mark.parametrize(
    ("make", "fields", "reason"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_unsafe_or_mislabelled_images_are_refused_and_nothing_is_kept(
    images: ImageStore,
    disk_images: ImageMaker,
    make: Callable[[ImageMaker], Path],
    fields: dict[str, str],
    reason: str,
) -> None:
    artifact, result = upload(images, make(disk_images), container_format="bare", **fields)
    body = fx.assert_error(result, 400, "BlobRejected")
    assert reason in body["error"]["message"]
    assert images.stored() == []
    shown = fx.show(images.client, "images", artifact["id"]).json
    assert (shown["image"], shown["detected_format"], shown["status"]) == (None, None, "drafted")
    assert shown["os_hash_value"] is None


def test_image_data_needs_its_formats_declared_first(
    images: ImageStore, disk_images: ImageMaker
) -> None:
    _, result = upload(images, disk_images.qemu("qcow2", "undeclared.qcow2", "1M"))
    body = fx.assert_error(result, 400, "BlobRejected")
    assert "set disk_format and container_format" in body["error"]["message"]
    assert images.stored() == []


def test_the_multihash_algorithm_is_configurable(
    tmp_path: Path,
    database: Database,
    registry: TypeRegistry,
    clock: Callable[[], dt.datetime],
    disk_images: ImageMaker,
) -> None:
    settings = Settings(data_dir=tmp_path, validator_options={"os_hash": {"algorithm": "sha3_256"}})
    services = build_services(settings, types=registry, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(settings, services))
    path = disk_images.qemu("qcow2", "sha3.qcow2", "1M")
    _, result = upload(ImageStore(client, list), path, disk_format="qcow2", container_format="bare")
    assert result.status_code == 200, result.text
    expected = hashlib.sha3_256(path.read_bytes()).hexdigest()
    assert (result.json["os_hash_algo"], result.json["os_hash_value"]) == ("sha3_256", expected)
