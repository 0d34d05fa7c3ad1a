"""Blob transfers through a real gunicorn server: streaming, chunked uploads, ranges, limits
and a worker killed mid-upload."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.functional.conftest import REPO, Server, start_server

pytestmark = pytest.mark.functional

OWNER = {"X-Project-Id": "p-blobs", "X-User-Id": "u1"}
MIB = 1024 * 1024


def _create(server: Server, type_name: str = "images", **fields: object) -> str:
    fields.setdefault("name", f"blob-{time.monotonic_ns()}")
    if type_name == "images":  # an image's data is inspected against its declared formats
        fields.setdefault("disk_format", "raw")
        fields.setdefault("container_format", "bare")
    response = requests.post(
        f"{server.url}/artifacts/{type_name}", json=fields, headers=OWNER, timeout=30
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _payload(size: int) -> bytes:
    return (hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1))[:size]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_streamed_upload_and_download_match(server: Server) -> None:
    data = _payload(24 * MIB + 123)
    url = f"{server.url}/artifacts/images/{_create(server)}/image"
    put = requests.put(
        url, data=data, headers={**OWNER, "Content-Type": "application/x-qcow2"}, timeout=60
    )
    assert put.status_code == 200, put.text
    blob = put.json()["image"]
    assert blob["size"] == len(data)
    assert blob["sha256"] == hashlib.sha256(data).hexdigest()
    got = requests.get(url, headers=OWNER, timeout=60)
    assert got.status_code == 200
    assert got.headers["Content-Length"] == str(len(data))
    assert got.headers["Content-MD5"] == hashlib.md5(data).hexdigest()
    assert hashlib.sha256(got.content).hexdigest() == blob["sha256"]
    part = requests.get(url, headers={**OWNER, "Range": "bytes=1000-1999999"}, timeout=60)
    assert part.status_code == 206
    assert part.content == data[1000:2000000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999999/{len(data)}"


def test_chunked_upload(server: Server) -> None:
    pieces = [_payload(MIB // 3), b"x", _payload(2 * MIB + 7)]
    url = f"{server.url}/artifacts/images/{_create(server)}/image"
    # A generator body makes requests use Transfer-Encoding: chunked, with no Content-Length.
    put = requests.put(url, data=iter(pieces), headers=OWNER, timeout=60)
    assert put.status_code == 200, put.text
    assert put.json()["image"]["size"] == sum(map(len, pieces))
    assert requests.get(url, headers=OWNER, timeout=60).content == b"".join(pieces)


def test_limit_crossed_mid_stream_is_413_and_leaves_nothing(server: Server) -> None:
    artifact_id = _create(server, "heat_templates")
    url = f"{server.url}/artifacts/heat_templates/{artifact_id}/template"
    chunks = (_payload(MIB) for _ in range(12))  # over the template's 10 MiB limit
    try:
        status = requests.put(url, data=chunks, headers=OWNER, timeout=60).status_code
    except requests.ConnectionError:
        # The server may close the connection while the client is still sending.
        status = 413
    assert status == 413
    shown = requests.get(
        f"{server.url}/artifacts/heat_templates/{artifact_id}", headers=OWNER, timeout=30
    ).json()
    assert shown["template"] is None
    blob_dir = server.data_dir / "blobs" / "blobs" / artifact_id[:2] / artifact_id
    assert not blob_dir.exists() or _files(blob_dir) == []
    assert _files(server.data_dir / "blobs" / "tmp") == []


#: Seconds of the upload lease in the worker-killed test: longer than a worker's restart.
LEASE = 10


def test_worker_killed_mid_upload_leaves_a_recoverable_saving_blob(
    tmp_path: Path,
) -> None:
    env = {"ARTIFACTS_UPLOAD_LEASE": str(LEASE)}
    server_gen = start_server(tmp_path, workers=1, extra_env=env)
    server = next(server_gen)
    try:
        artifact_id = _create(server)
        url = f"{server.url}/artifacts/images/{artifact_id}/image"
        started, release = threading.Event(), threading.Event()

        def slow_body() -> Iterator[bytes]:
            for _ in range(3):
                yield _payload(MIB)
            started.set()
            release.wait(30)
            yield b"never read"

        def upload() -> None:
            # The worker dies under this request: its failure is the point.
            with contextlib.suppress(requests.RequestException):
                requests.put(url, data=slow_body(), headers=OWNER, timeout=30)

        uploader = threading.Thread(target=upload)
        uploader.start()
        assert started.wait(30)
        show = f"{server.url}/artifacts/images/{artifact_id}"
        deadline = time.monotonic() + 10
        while requests.get(show, headers=OWNER, timeout=5).json()["image"] is None:
            assert time.monotonic() < deadline, "the upload never showed as saving"
            time.sleep(0.05)
        for pid in server.workers():
            os.kill(pid, signal.SIGKILL)
        release.set()
        uploader.join(30)

        deadline = time.monotonic() + 30
        while True:
            try:
                shown = requests.get(show, headers=OWNER, timeout=5).json()
                break
            except requests.RequestException:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert shown["image"]["status"] == "saving"
        assert shown["image"]["size"] is None
        assert requests.get(url, headers=OWNER, timeout=5).status_code == 409
        assert requests.put(url, data=b"again", headers=OWNER, timeout=10).status_code == 409

        # Nothing renews the dead upload's lease: the blob frees within the lease, not an hour.
        data = _payload(MIB)
        deadline = time.monotonic() + 2 * LEASE
        while (retry := requests.put(url, data=data, headers=OWNER, timeout=30)).status_code == 409:
            assert time.monotonic() < deadline, "the dead upload still holds the blob"
            time.sleep(0.5)
        assert retry.status_code == 200, retry.text
        assert retry.json()["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    finally:
        server_gen.close()

    scrub = subprocess.run(
        [sys.executable, "-m", "artifacts.cli", "scrub"],
        cwd=REPO,
        env={**os.environ, "ARTIFACTS_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert scrub.returncode == 0, scrub.stdout + scrub.stderr
    # Deleting the abandoned upload's key removed its partial file too.
    assert "orphaned data removed: 1" in scrub.stdout
    assert "temporary files removed: 0" in scrub.stdout
    assert _files(tmp_path / "blobs" / "tmp") == []
    stored = [p for p in _files(tmp_path / "blobs") if "tmp" not in p.relative_to(tmp_path).parts]
    assert [p.read_bytes() for p in stored] == [data]


def test_s3_store_streams_through_the_service(s3_server: Server) -> None:
    data = _payload(13 * MIB + 5)  # more than one 8 MiB multipart part
    url = f"{s3_server.url}/artifacts/images/{_create(s3_server)}/image"
    put = requests.put(url, data=iter([data[:MIB], data[MIB:]]), headers=OWNER, timeout=60)
    assert put.status_code == 200, put.text
    assert put.json()["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    got = requests.get(url, headers=OWNER, timeout=60)
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
    part = requests.get(url, headers={**OWNER, "Range": "bytes=-10"}, timeout=60)
    assert (part.status_code, part.content) == (206, data[-10:])
    assert not (s3_server.data_dir / "blobs").exists()
