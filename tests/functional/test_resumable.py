"""Resumable uploads through real gunicorn: a dropped connection, a killed worker mid-PATCH and
one killed during the finish, each resumed from the offset the server reports to a blob with
exact digests."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import s3_client, s3_store_toml
from tests.functional.conftest import Server, start_server

pytestmark = pytest.mark.functional

OWNER = {"X-Project-Id": "p-resumable", "X-User-Id": "u1"}
TUS = {"Tus-Resumable": "1.0.0"}
MIB = 1024 * 1024
TIMEOUT = 60


def _payload(size: int) -> bytes:
    return (hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1))[:size]


def _open_upload(server: Server, size: int) -> tuple[str, str]:
    created = requests.post(
        f"{server.url}/artifacts/images",
        json={"name": "resumable", "disk_format": "raw", "container_format": "bare"},
        headers=OWNER,
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    artifact_id = created.json()["id"]
    opened = requests.post(
        f"{server.url}/artifacts/images/{artifact_id}/image",
        headers={**OWNER, **TUS, "Upload-Length": str(size)},
        timeout=TIMEOUT,
    )
    assert opened.status_code == 201, opened.text
    return artifact_id, f"{server.url}{opened.headers['Location']}"


def _offset(upload: str) -> int:
    head = requests.head(upload, headers={**OWNER, **TUS}, timeout=TIMEOUT)
    assert head.status_code == 200, head.text
    return int(head.headers["Upload-Offset"])


def _patch_and_drop(upload: str, data: bytes, offset: int, send: int) -> None:
    """Start a PATCH of everything from ``offset``, send ``send`` bytes, then reset the
    connection: the client vanishes mid-body, as a dropped network would make it."""
    parts = urlsplit(upload)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"X-Project-Id: {OWNER['X-Project-Id']}\r\nX-User-Id: u1\r\n"
        "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Upload-Offset: {offset}\r\nContent-Length: {len(data) - offset}\r\n\r\n"
    )
    sock.sendall(head.encode())
    view = memoryview(data)[offset : offset + send]
    for start in range(0, len(view), MIB):
        sock.sendall(view[start : start + MIB])
    # SO_LINGER 0: close with a reset, not an orderly end of the body.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _resume(upload: str, data: bytes, deadline: float) -> requests.Response:
    """Ask for the offset and send the rest; retry while the dropped request still holds it."""
    while True:
        offset = _offset(upload)
        sent = requests.patch(
            upload,
            data=memoryview(data)[offset:],
            headers={
                **OWNER,
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
            timeout=TIMEOUT,
        )
        if sent.status_code != 409 or time.monotonic() > deadline:
            return sent
        time.sleep(0.2)


def _assert_stored(server: Server, artifact_id: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    shown = requests.get(f"{server.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=30)
    image = shown.json()["image"]
    assert (image["status"], image["size"], image["sha256"]) == ("active", len(data), digest)
    assert image["md5"] == hashlib.md5(data).hexdigest()
    got = requests.get(
        f"{server.url}/artifacts/images/{artifact_id}/image", headers=OWNER, timeout=TIMEOUT
    )
    assert hashlib.sha256(got.content).hexdigest() == digest


def test_dropped_connection_resumes_to_exact_digests(server: Server) -> None:
    data = _payload(48 * MIB + 321)
    artifact_id, upload = _open_upload(server, len(data))
    _patch_and_drop(upload, data, 0, 24 * MIB)  # interrupted at 50%
    deadline = time.monotonic() + 30
    while (reached := _offset(upload)) == 0:
        assert time.monotonic() < deadline, "the dropped request never recorded its offset"
        time.sleep(0.1)
    assert 0 < reached <= 24 * MIB
    shown = requests.get(f"{server.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=30)
    assert shown.json()["image"] is None  # nothing half-written shows
    _patch_and_drop(upload, data, _offset_when_free(upload), len(data) - reached - MIB)  # ~90%
    finished = _resume(upload, data, time.monotonic() + 30)
    assert finished.status_code == 204, finished.text
    assert int(finished.headers["Upload-Offset"]) == len(data)
    _assert_stored(server, artifact_id, data)
    assert "Unexpected error" not in server.logs()  # a vanished client is no server fault


def _offset_when_free(upload: str) -> int:
    """The offset once the previous request has let go (a zero-byte PATCH is accepted)."""
    deadline = time.monotonic() + 30
    while True:
        offset = _offset(upload)
        probe = requests.patch(
            upload,
            data=b"",
            headers={
                **OWNER,
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
            timeout=TIMEOUT,
        )
        if probe.status_code == 204:
            return offset
        assert probe.status_code == 409, probe.text
        assert time.monotonic() < deadline
        time.sleep(0.1)


#: Seconds of the upload lease: an append of a killed worker holds its session this long.
LEASE = 4


@pytest.fixture
def one_worker(tmp_path: Path) -> Iterator[Server]:
    yield from start_server(tmp_path, workers=1, extra_env={"ARTIFACTS_UPLOAD_LEASE": str(LEASE)})


def test_worker_killed_mid_patch_resumes_from_its_last_checkpoint(one_worker: Server) -> None:
    data = _payload(40 * MIB + 7)
    artifact_id, upload = _open_upload(one_worker, len(data))
    stalled, release = threading.Event(), threading.Event()

    def body() -> Iterator[bytes]:
        for start in range(0, 20 * MIB, MIB):  # past the first 16 MiB checkpoint
            yield data[start : start + MIB]
        stalled.set()
        release.wait(30)
        yield data[20 * MIB : 21 * MIB]

    def send() -> None:
        # The worker dies under this request: its failure is the point.
        with contextlib.suppress(requests.RequestException):
            requests.patch(
                upload,
                data=body(),
                headers={
                    **OWNER,
                    **TUS,
                    "Content-Type": "application/offset+octet-stream",
                    "Upload-Offset": "0",
                },
                timeout=TIMEOUT,
            )

    sender = threading.Thread(target=send)
    sender.start()
    assert stalled.wait(30)
    deadline = time.monotonic() + 10
    while _offset(upload) == 0:  # the checkpoint is recorded while the request runs
        assert time.monotonic() < deadline, "no checkpoint was recorded"
        time.sleep(0.05)
    for pid in one_worker.workers():
        os.kill(pid, signal.SIGKILL)
    release.set()
    sender.join(30)
    one_worker.wait_for_workers(1)
    deadline = time.monotonic() + 30
    while True:
        try:
            checkpoint = _offset(upload)
            break
        except requests.RequestException:
            assert time.monotonic() < deadline, "the restarted worker never answered"
            time.sleep(0.1)
    assert checkpoint == 16 * MIB
    finished = _resume(upload, data, time.monotonic() + 3 * LEASE)
    assert finished.status_code == 204, finished.text
    _assert_stored(one_worker, artifact_id, data)


def test_s3_upload_dropped_midway_resumes_to_exact_digests(s3_server: Server) -> None:
    data = _payload(21 * MIB + 99)  # parts of 8 MiB and a tail, whatever the cut
    artifact_id, upload = _open_upload(s3_server, len(data))
    _patch_and_drop(upload, data, 0, 13 * MIB)
    deadline = time.monotonic() + 30
    while _offset(upload) == 0:
        assert time.monotonic() < deadline, "the dropped request never recorded its offset"
        time.sleep(0.1)
    finished = _resume(upload, data, time.monotonic() + 30)
    assert finished.status_code == 204, finished.text
    _assert_stored(s3_server, artifact_id, data)


#: Size of the upload interrupted at 50 %, 90 % and during its finish; set
#: ARTIFACTS_TEST_RESUME_MIB=1024 for the 1 GiB run (bench/resumable.py times it too).
CRASH_SIZE = int(os.environ.get("ARTIFACTS_TEST_RESUME_MIB", "48")) * MIB + 321


@pytest.fixture(params=["sqlite-filesystem", "postgresql-s3"])
def crashing_server(
    request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str
) -> Iterator[Server]:
    """One worker with a short upload lease, on SQLite + filesystem or PostgreSQL + S3."""
    env = {"ARTIFACTS_UPLOAD_LEASE": str(LEASE)}
    if request.param == "postgresql-s3":
        create_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        bucket = f"crash-{uuid.uuid4().hex[:8]}"
        s3_client(s3_endpoint).create_bucket(Bucket=bucket)
        config = tmp_path / "artifacts.toml"
        config.write_text(s3_store_toml(s3_endpoint, bucket, "crash"))
        env["ARTIFACTS_CONFIG"] = str(config)
        yield from start_server(tmp_path, create_database(), workers=1, extra_env=env)
    else:
        yield from start_server(tmp_path, workers=1, extra_env=env)


def _kill_worker(server: Server) -> None:
    for pid in server.workers():
        os.kill(pid, signal.SIGKILL)
    server.wait_for_workers(1)
    deadline = time.monotonic() + 30
    while True:
        try:
            _image(server, "")
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, "the restarted worker never answered"
            time.sleep(0.1)


def _image(server: Server, artifact_id: str) -> dict | None:
    shown = requests.get(f"{server.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=30)
    return shown.json().get("image") if artifact_id else None


def _send_quietly(upload: str, offset: int, body: object) -> None:
    """PATCH ``body`` at ``offset`` from a thread whose worker is killed under it."""
    with contextlib.suppress(requests.RequestException):
        requests.patch(
            upload,
            data=body,
            headers={
                **OWNER,
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
            timeout=TIMEOUT,
        )


def test_killed_at_50_and_90_percent_and_during_the_finish_resumes_to_exact_digests(
    crashing_server: Server,
) -> None:
    server, data, size = crashing_server, _payload(CRASH_SIZE), CRASH_SIZE
    artifact_id, upload = _open_upload(server, size)
    # 50 %: the client's connection drops mid-PATCH; what arrived is kept.
    _patch_and_drop(upload, data, 0, size // 2)
    at_half = _offset_when_free(upload)
    assert 0 < at_half <= size // 2
    # 90 %: the worker is killed mid-PATCH; the last checkpoint is kept.
    stalled = threading.Event()

    def body() -> Iterator[bytes]:
        for start in range(at_half, size * 9 // 10, MIB):
            yield data[start : min(start + MIB, size * 9 // 10)]
        stalled.set()
        time.sleep(30)  # the worker dies meanwhile
        yield b""

    sender = threading.Thread(target=_send_quietly, args=(upload, at_half, body()), daemon=True)
    sender.start()
    assert stalled.wait(120)
    time.sleep(0.5)  # let the worker take what was sent
    _kill_worker(server)
    # During the finish: the restarted worker holds no digest state, so the last PATCH reads
    # the stored bytes back before promoting them; the worker is killed while it does.
    rest = _offset_when_free(upload)
    assert at_half <= rest < size
    finisher = threading.Thread(
        target=_send_quietly, args=(upload, rest, memoryview(data)[rest:]), daemon=True
    )
    finisher.start()
    deadline = time.monotonic() + 120
    while (_image(server, artifact_id) or {}).get("status") != "saving":
        assert time.monotonic() < deadline, "the finish never began"
        time.sleep(0.005)
    _kill_worker(server)
    finisher.join(30)
    assert (_image(server, artifact_id) or {}).get("status") != "active"
    finished = _resume(upload, data, time.monotonic() + 6 * LEASE)
    assert finished.status_code == 204, finished.text
    assert int(finished.headers["Upload-Offset"]) == size
    _assert_stored(server, artifact_id, data)
