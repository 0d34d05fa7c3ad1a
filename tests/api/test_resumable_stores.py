"""Resumable uploads on each store that keeps partial objects (filesystem, S3 on moto): parts
of any size, a body cut off midway, a resume, and exact digests at the end."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from tests import factories as fx
from tests.api.conftest import ImageStore
from tests.api.test_blobs import OWNER
from tests.api.tus import OFFSET_TYPE, TUS

MIB = 1024 * 1024


class _CutOff:
    """A request body that breaks after ``size`` bytes, as a dropped connection does."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = memoryview(data)[:size]
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        if self._at >= len(self._data):
            raise ConnectionResetError("connection reset by peer")
        size = len(self._data) if size < 0 else size
        chunk = bytes(self._data[self._at : self._at + size])
        self._at += len(chunk)
        return chunk

    # The rest of the wsgi.input interface, which WSGI's validator insists on.
    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return [self.read()]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readlines())


def _offset(images: ImageStore, upload: str) -> int:
    head = images.client.simulate_head(upload, headers={**TUS, **OWNER})
    assert head.status_code == 200, head.text
    return int(head.headers["Upload-Offset"])


@pytest.mark.parametrize("cut", [3 * MIB, 8 * MIB, 11 * MIB + 17])
def test_parts_of_any_size_survive_a_cut_and_end_exact(images: ImageStore, cut: int) -> None:
    data = (hashlib.sha256(b"resume").digest() * (19 * MIB // 32 + 1))[: 19 * MIB + 5]
    artifact = fx.create(
        images.client, "images", name="r", disk_format="raw", container_format="bare"
    )
    blob = f"/artifacts/images/{artifact['id']}/image"
    opened = images.client.simulate_post(
        blob, headers={**TUS, **OWNER, "Upload-Length": str(len(data))}
    )
    assert opened.status_code == 201, opened.text
    upload = opened.headers["Location"]
    headers = {**TUS, **OWNER, "Content-Type": OFFSET_TYPE}
    first = images.client.simulate_patch(
        upload, body=data[: 2 * MIB + 1], headers={**headers, "Upload-Offset": "0"}
    )
    assert first.status_code == 204, first.text
    start = 2 * MIB + 1
    dropped = images.client.simulate_patch(
        upload,
        headers={**headers, "Upload-Offset": str(start), "Content-Length": str(len(data) - start)},
        extras={"wsgi.input": _CutOff(data[start:], cut)},
    )
    assert dropped.status_code == 400  # the connection went; what arrived is kept
    assert _offset(images, upload) == start + cut
    shown = images.client.simulate_get(f"/artifacts/images/{artifact['id']}", headers=OWNER).json
    assert shown["image"] is None
    offset = start + cut
    done = images.client.simulate_patch(
        upload, body=data[offset:], headers={**headers, "Upload-Offset": str(offset)}
    )
    assert done.status_code == 204, done.text
    shown = images.client.simulate_get(f"/artifacts/images/{artifact['id']}", headers=OWNER).json
    assert shown["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert shown["image"]["size"] == len(data)
    got = images.client.simulate_get(blob, headers=OWNER)
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
    # Only the blob's object is left: no parts, tails or partial files.
    assert len(images.stored()) == 1, images.stored()


def test_cancel_removes_parts_and_tails(images: ImageStore) -> None:
    data = b"x" * (9 * MIB + 3)
    artifact = fx.create(
        images.client, "images", name="c", disk_format="raw", container_format="bare"
    )
    opened = images.client.simulate_post(
        f"/artifacts/images/{artifact['id']}/image",
        headers={**TUS, **OWNER, "Upload-Length": str(len(data) + 10)},
    )
    upload = opened.headers["Location"]
    sent = images.client.simulate_patch(
        upload,
        body=data,
        headers={**TUS, **OWNER, "Content-Type": OFFSET_TYPE, "Upload-Offset": "0"},
    )
    assert sent.status_code == 204, sent.text
    assert images.client.simulate_delete(upload, headers={**TUS, **OWNER}).status_code == 204
    assert images.stored() == []
