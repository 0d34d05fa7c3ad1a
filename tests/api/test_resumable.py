"""Resumable uploads (tus 1.0), the protocol: create, append in order, resume, finish, and
what each step refuses."""

from __future__ import annotations

import base64
import hashlib

import falcon.testing
import pytest

from tests.api.test_blobs import OWNER, path, put
from tests.api.tus import DATA, OFFSET_TYPE, TUS, append, create, location, offset_of


def test_options_name_version_extensions_and_max_size(client: falcon.testing.TestClient) -> None:
    result = client.simulate_options("/uploads")
    assert result.status_code == 204
    assert result.headers["Tus-Version"] == "1.0.0"
    assert set(result.headers["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
    }
    assert int(result.headers["Tus-Max-Size"]) > 0


def test_upload_in_chunks_ends_active_with_exact_digests(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    created = create(client, path(widget))
    assert created.status_code == 201, created.text
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert "Upload-Expires" in created.headers
    upload = created.headers["Location"]
    assert upload.startswith("/uploads/")
    assert offset_of(client, upload) == 0
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"] is None  # nothing shows until the last byte is in
    for start in range(0, len(DATA), 3000):
        result = append(client, upload, start, DATA[start : start + 3000])
        assert result.status_code == 204, result.text
        assert int(result.headers["Upload-Offset"]) == min(start + 3000, len(DATA))
        if start + 3000 < len(DATA):
            got = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
            assert got["manual"] is None
    blob = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json["manual"]
    assert blob["status"] == "active"
    assert blob["size"] == len(DATA)
    assert blob["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert blob["md5"] == hashlib.md5(DATA).hexdigest()
    assert blob["sha1"] == hashlib.sha1(DATA).hexdigest()
    assert client.simulate_get(path(widget), headers=OWNER).content == DATA
    # A client that lost the last answer asks again: the upload says it is complete.
    assert offset_of(client, upload) == len(DATA)
    assert append(client, upload, len(DATA), b"").status_code == 204


def test_content_type_comes_from_upload_metadata(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    metadata = "filename " + base64.b64encode(b"m.txt").decode()
    metadata += ",filetype " + base64.b64encode(b"text/plain").decode()
    result = create(client, path(widget), headers={**OWNER, "Upload-Metadata": metadata})
    upload = result.headers["Location"]
    assert client.simulate_head(upload, headers={**TUS, **OWNER}).headers["Upload-Metadata"] == (
        metadata
    )
    append(client, upload, 0, DATA)
    shown = client.simulate_get(f"/artifacts/widgets/{widget['id']}", headers=OWNER).json
    assert shown["manual"]["content_type"] == "text/plain"


def test_wrong_offset_is_409_and_changes_nothing(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    assert append(client, upload, 0, DATA[:100]).status_code == 204
    for wrong in (0, 50, 200):
        result = append(client, upload, wrong, DATA[wrong : wrong + 100])
        assert result.status_code == 409, result.text
        assert result.json["error"]["type"] == "Conflict"
    assert offset_of(client, upload) == 100


def test_patch_needs_offset_media_type_and_offset(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    upload = location(client, path(widget))
    wrong_type = client.simulate_patch(
        upload,
        body=DATA,
        headers={**TUS, **OWNER, "Content-Type": "application/octet-stream", "Upload-Offset": "0"},
    )
    assert wrong_type.status_code == 415
    for bad in ("", "-1", "abc", "1e3"):
        result = client.simulate_patch(
            upload,
            body=DATA,
            headers={**TUS, **OWNER, "Content-Type": OFFSET_TYPE, "Upload-Offset": bad},
        )
        assert result.status_code == 400, bad
    assert offset_of(client, upload) == 0


def test_other_tus_versions_are_412(client: falcon.testing.TestClient, widget: dict) -> None:
    result = client.simulate_post(
        path(widget), headers={**OWNER, "Tus-Resumable": "0.2.2", "Upload-Length": "10"}
    )
    assert result.status_code == 412
    assert result.headers["Tus-Version"] == "1.0.0"
    missing = client.simulate_post(path(widget), headers={**OWNER, "Upload-Length": "10"})
    assert missing.status_code == 412


@pytest.mark.parametrize("length", ["", "-5", "ten", "99999999999999999999"])
def test_creation_needs_a_length(
    client: falcon.testing.TestClient, widget: dict, length: str
) -> None:
    result = client.simulate_post(path(widget), headers={**TUS, **OWNER, "Upload-Length": length})
    assert result.status_code == 400
    deferred = client.simulate_post(
        path(widget), headers={**TUS, **OWNER, "Upload-Defer-Length": "1"}
    )
    assert deferred.status_code == 400


def test_length_over_the_field_limit_is_413_at_creation(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    result = create(client, path(widget), length=1024 * 1024 + 1)
    assert result.status_code == 413
    entry = create(client, path(widget, "attachments/a"), length=1025)
    assert entry.status_code == 413


def test_bytes_past_the_length_are_413(client: falcon.testing.TestClient, widget: dict) -> None:
    upload = location(client, path(widget), length=100)
    result = append(client, upload, 0, DATA[:101])
    assert result.status_code == 413
    assert offset_of(client, upload) == 0


def test_plain_put_with_content_range_is_still_400(
    client: falcon.testing.TestClient, widget: dict
) -> None:
    result = put(client, path(widget), headers={**OWNER, "Content-Range": "bytes 0-9/10"})
    assert result.status_code == 400
