"""Signed images through both doors, on both databases and on filesystem and S3 stores.

A signed image verifies and activates; tampered data, or a certificate that expired, is a 400
and none of the bytes is kept; the signature cannot change once data is there.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests import factories as fx
from tests.api.conftest import ImageStore, StoreApp
from tests.signing import NOW, Signer, make_signer

OWNER = fx.identity()
DATA_HEADERS = {**OWNER, "Content-Type": "application/octet-stream"}
GLANCE_PATCH = {**OWNER, "Content-Type": "application/openstack-images-v2.1-json-patch"}
DATA = b"signed raw disk " * 4096


@pytest.fixture
def trust_store(tmp_path: Path) -> Path:
    directory = tmp_path / "trusted"
    directory.mkdir()
    return directory


@pytest.fixture
def signed(store_app: StoreApp, trust_store: Path) -> ImageStore:
    return store_app({"image_signature": {"trust_store": str(trust_store)}})


def glare_upload(images: ImageStore, data: bytes, **fields: str) -> tuple[str, int, dict]:
    artifact = fx.create(
        images.client, "images", disk_format="raw", container_format="bare", **fields
    )
    result = images.client.simulate_put(
        f"/artifacts/images/{artifact['id']}/image", body=data, headers=DATA_HEADERS
    )
    return artifact["id"], result.status_code, result.json


def glance_upload(images: ImageStore, data: bytes, **fields: str) -> tuple[str, int, dict]:
    body = {"name": "signed", "disk_format": "raw", "container_format": "bare", **fields}
    created = images.client.simulate_post("/v2/images", json=body, headers=OWNER)
    assert created.status_code == 201, created.text
    image_id = created.json["id"]
    result = images.client.simulate_put(
        f"/v2/images/{image_id}/file",
        body=data,
        headers={**DATA_HEADERS, "Accept": "application/json"},
    )
    return image_id, result.status_code, result.json if result.content else {}


DOORS = {"glare": glare_upload, "glance": glance_upload}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("key_type", ["RSA-PSS", "ECC_SECP384R1"])
def test_a_signed_image_verifies_and_activates(
    signed: ImageStore, trust_store: Path, door: str, key_type: str
) -> None:
    signer = make_signer(trust_store, key_type)
    image_id, status, _ = DOORS[door](signed, DATA, **signer.properties(DATA, "SHA-512"))

    assert status in (200, 204)
    if door == "glare":
        fx.activate(signed.client, "images", image_id)
    shown = fx.show(signed.client, "images", image_id).json
    assert shown["image"]["status"] == "active"
    assert shown["img_signature_key_type"] == key_type
    glance = signed.client.simulate_get(f"/v2/images/{image_id}", headers=OWNER).json
    assert glance["status"] == "active"
    assert glance["img_signature_certificate_uuid"] == signer.certificate_uuid


@pytest.mark.parametrize("door", DOORS)
def test_tampered_data_is_refused_and_nothing_is_kept(
    signed: ImageStore, trust_store: Path, door: str
) -> None:
    signer = make_signer(trust_store)
    image_id, status, body = DOORS[door](signed, DATA + b"!", **signer.properties(DATA))

    assert status == 400
    assert "does not match its signature" in json.dumps(body)
    assert signed.stored() == []
    assert fx.show(signed.client, "images", image_id).json["image"] is None


@pytest.mark.parametrize("door", DOORS)
def test_an_expired_certificate_is_refused(
    signed: ImageStore, trust_store: Path, door: str
) -> None:
    signer = make_signer(
        trust_store, not_before=NOW - dt.timedelta(days=60), not_after=NOW - dt.timedelta(days=1)
    )
    _, status, body = DOORS[door](signed, DATA, **signer.properties(DATA))

    assert status == 400
    assert "expired on" in json.dumps(body)
    assert signed.stored() == []


def test_the_signature_cannot_change_once_data_is_uploaded(
    signed: ImageStore, trust_store: Path
) -> None:
    signer: Signer = make_signer(trust_store)
    image_id, status, _ = glare_upload(signed, DATA, **signer.properties(DATA))
    assert status == 200

    glare = fx.patch(
        signed.client, "images", image_id, [fx.replace("img_signature", signer.sign(b"x"))]
    )
    glance = signed.client.simulate_patch(
        f"/v2/images/{image_id}",
        body=json.dumps([{"op": "remove", "path": "/img_signature_hash_method"}]),
        headers={**GLANCE_PATCH, "Accept": "application/json"},
    )

    fx.assert_error(glare, 403)
    assert glance.status_code == 403, glance.text
    assert "set it before the data" in glance.text


def test_an_unsigned_image_needs_no_trust_store(images: ImageStore) -> None:
    _, status, body = glare_upload(images, DATA)
    assert status == 200
    assert body["image"]["status"] == "active"
