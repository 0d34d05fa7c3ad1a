"""A download can ask for verification (RFC 9530 ``Want-Repr-Digest``), through both doors.

The answer carries ``Repr-Digest``; bytes that no longer match what the upload recorded never
arrive whole: the stream fails before its last chunk.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import falcon.testing
import pytest

from artifacts.engine.verification import CorruptBlob
from tests import factories as fx

OWNER = fx.identity()
DATA = bytes(range(256)) * 8192
WANT = {"Want-Repr-Digest": "sha-512=3, sha-256=1"}
PATHS = {"glare": "/artifacts/images/{id}/image", "glance": "/v2/images/{id}/file"}


def uploaded(client: falcon.testing.TestClient) -> str:
    image = fx.create(client, "images", disk_format="raw", container_format="bare")
    result = client.simulate_put(
        f"/artifacts/images/{image['id']}/image",
        body=DATA,
        headers={**OWNER, "Content-Type": "application/octet-stream"},
    )
    assert result.status_code == 200, result.text
    fx.activate(client, "images", image["id"])
    return str(image["id"])


def stored_file(root: Path) -> Path:
    (found,) = [p for p in (root / "blobs").rglob("*") if p.is_file()]
    return found


@pytest.mark.parametrize("door", PATHS)
def test_a_verified_download_carries_its_digest(
    client: falcon.testing.TestClient, door: str
) -> None:
    path = PATHS[door].format(id=uploaded(client))
    asked = client.simulate_get(path, headers={**OWNER, **WANT})
    plain = client.simulate_get(path, headers=OWNER)

    digest = base64.b64encode(hashlib.sha256(DATA).digest()).decode()
    assert asked.status_code == 200
    assert asked.content == DATA
    assert asked.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert "Repr-Digest" not in plain.headers
    assert plain.content == DATA


@pytest.mark.parametrize("door", PATHS)
def test_corrupt_stored_bytes_never_arrive_whole(
    client: falcon.testing.TestClient, tmp_path: Path, door: str
) -> None:
    path = PATHS[door].format(id=uploaded(client))
    target = stored_file(tmp_path)
    with target.open("r+b") as stored:
        stored.seek(1000)
        stored.write(b"\xff\x00")

    with pytest.raises(CorruptBlob):
        client.simulate_get(path, headers={**OWNER, **WANT})
    ranged = client.simulate_get(path, headers={**OWNER, **WANT, "Range": "bytes=0-9"})

    assert ranged.status_code == 206
    assert ranged.content == DATA[:10]


def test_an_algorithm_it_cannot_verify_is_ignored(client: falcon.testing.TestClient) -> None:
    path = PATHS["glare"].format(id=uploaded(client))
    result = client.simulate_get(path, headers={**OWNER, "Want-Repr-Digest": "md5=1, bogus"})
    assert result.status_code == 200
    assert "Repr-Digest" not in result.headers
