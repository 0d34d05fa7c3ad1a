"""OVA uploads store the one disk they carry, on both databases and filesystem and S3 stores.

Through the Glare PUT and a resumable (tus) upload alike: the stored blob, its digests and
os_hash_value are the disk's; the OVF descriptor's facts land in the image's properties; a
malformed or malicious OVA, or one whose disk the inspection refuses, is a 400 and nothing of it
is kept.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from tests import factories as fx
from tests.api.conftest import ImageStore, StoreApp
from tests.api.tus import OFFSET_TYPE, TUS
from tests.disk_images import ImageMaker, ova, ovf_descriptor, single_disk_ova
from tests.signing import make_signer

OWNER = fx.identity()


def put(images: ImageStore, data: bytes, **fields: Any) -> tuple[dict, falcon.testing.Result]:
    fields.setdefault("disk_format", "vmdk")
    artifact = fx.create(
        images.client,
        "images",
        name=f"ova-{uuid.uuid4().hex[:8]}",
        container_format="ova",
        **fields,
    )
    result = images.client.simulate_put(
        f"/artifacts/images/{artifact['id']}/image",
        body=data,
        headers={**OWNER, "Content-Type": "application/octet-stream"},
    )
    return artifact, result


def resumable(images: ImageStore, data: bytes, **fields: Any) -> tuple[dict, falcon.testing.Result]:
    fields.setdefault("disk_format", "vmdk")
    artifact = fx.create(
        images.client,
        "images",
        name=f"ova-{uuid.uuid4().hex[:8]}",
        container_format="ova",
        **fields,
    )
    blob = f"/artifacts/images/{artifact['id']}/image"
    opened = images.client.simulate_post(
        blob, headers={**TUS, **OWNER, "Upload-Length": str(len(data))}
    )
    assert opened.status_code == 201, opened.text
    headers = {**TUS, **OWNER, "Content-Type": OFFSET_TYPE}
    half = len(data) // 2
    upload = opened.headers["Location"]
    first = images.client.simulate_patch(
        upload, body=data[:half], headers={**headers, "Upload-Offset": "0"}
    )
    assert first.status_code == 204, first.text
    done = images.client.simulate_patch(
        upload, body=data[half:], headers={**headers, "Upload-Offset": str(half)}
    )
    return artifact, done


@pytest.fixture
def vmdk(disk_images: ImageMaker) -> Path:
    return disk_images.qemu("vmdk", "appliance.vmdk", "4M", "-o", "subformat=streamOptimized")


def assert_disk_stored(images: ImageStore, artifact_id: str, disk: bytes) -> dict:
    shown = fx.show(images.client, "images", artifact_id).json
    assert shown["image"]["status"] == "active"
    assert shown["image"]["size"] == len(disk)
    assert shown["image"]["sha256"] == hashlib.sha256(disk).hexdigest()
    assert (shown["os_hash_algo"], shown["os_hash_value"]) == (
        "sha512",
        hashlib.sha512(disk).hexdigest(),
    )
    assert (shown["detected_format"], shown["virtual_size"]) == ("vmdk", 4 * 1024 * 1024)
    assert shown["container_format"] == "bare"
    assert shown["properties"]["ovf_product"] == "CirrOS"
    assert shown["properties"]["ovf_cpus"] == "2"
    assert shown["properties"]["ovf_memory_mb"] == "512"
    assert shown["properties"]["vmware_ostype"] == "otherLinux64Guest"
    assert shown["properties"]["site"] == "lab"  # the user's own properties stay
    downloaded = images.client.simulate_get(f"/artifacts/images/{artifact_id}/image", headers=OWNER)
    assert downloaded.content == disk
    assert len(images.stored()) == 1, images.stored()  # the disk only: nothing of the archive
    return shown


def test_an_ova_put_stores_its_disk_with_the_descriptor_as_properties(
    images: ImageStore, vmdk: Path
) -> None:
    artifact, result = put(images, single_disk_ova(vmdk), properties={"site": "lab"})
    assert result.status_code == 200, result.text
    assert_disk_stored(images, artifact["id"], vmdk.read_bytes())
    assert fx.activate(images.client, "images", artifact["id"])["status"] == "active"


def test_a_resumable_ova_upload_stores_its_disk(images: ImageStore, vmdk: Path) -> None:
    artifact, result = resumable(images, single_disk_ova(vmdk), properties={"site": "lab"})
    assert result.status_code == 204, result.text
    assert_disk_stored(images, artifact["id"], vmdk.read_bytes())


def refused_cases(disk_images: ImageMaker) -> list[tuple[str, bytes, dict[str, str], str]]:
    backing = disk_images.qemu("qcow2", "ova-b.qcow2", "4M", "-b", "/etc/shadow", "-F", "raw", "-u")
    plain = disk_images.qemu("qcow2", "ova-p.qcow2", "4M")
    return [
        (
            "two-disks",
            ova([("vm.ovf", ovf_descriptor("a.vmdk", "b.vmdk")), ("a.vmdk", b"a")]),
            {},
            "names 2 disks",
        ),
        ("bad-xml", ova([("vm.ovf", b"<Envelope>")]), {}, "not well-formed"),
        (
            "disk-missing",
            ova([("vm.ovf", ovf_descriptor("disk.vmdk")), ("x.vmdk", b"x")]),
            {},
            "not in the archive",
        ),
        ("backing-file-inside", single_disk_ova(backing), {"disk_format": "qcow2"}, "backing file"),
        ("qcow2-declared-vmdk", single_disk_ova(plain), {}, "not a vmdk image"),
    ]


@pytest.mark.parametrize("door", ["put", "resumable"])
def test_bad_ovas_are_refused_and_nothing_is_kept(
    images: ImageStore, disk_images: ImageMaker, door: str
) -> None:
    send = put if door == "put" else resumable
    for name, data, fields, reason in refused_cases(disk_images):
        artifact, result = send(images, data, **fields)
        body = fx.assert_error(result, 400, "BlobRejected")
        assert reason in body["error"]["message"], name
        shown = fx.show(images.client, "images", artifact["id"]).json
        assert (shown["image"], shown["container_format"]) == (None, "ova"), name
        assert images.stored() == [], name


def test_a_signed_ova_is_verified_over_its_disk(
    store_app: StoreApp, tmp_path: Path, vmdk: Path
) -> None:
    trust_store = tmp_path / "trusted"
    trust_store.mkdir()
    signed = store_app({"image_signature": {"trust_store": str(trust_store)}})
    signer = make_signer(trust_store)
    disk = vmdk.read_bytes()
    archive = single_disk_ova(vmdk)
    over_disk = signer.properties(disk)
    artifact, result = put(signed, archive, properties={"site": "lab"}, **over_disk)
    assert result.status_code == 200, result.text
    assert_disk_stored(signed, artifact["id"], disk)
    # A signature over the archive is not one over the stored data.
    _, refused = put(signed, archive, **signer.properties(archive))
    assert (
        "does not match its signature"
        in fx.assert_error(refused, 400, "BlobRejected")["error"]["message"]
    )
