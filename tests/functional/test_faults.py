"""Faults against real servers: the store dies, the disk fills, the database goes away.

(A worker killed mid-upload is in test_blobs.py: its blob frees when the lease lapses.)

Each test checks the answer (503 with Retry-After, never a 500 or a wedged 409), that nothing
is lost or left half-written, and that the service recovers by itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from artifacts.devserver import free_port
from tests.conftest import PG_ADMIN_URL, s3_client, s3_store_toml
from tests.functional.conftest import REPO, Server, start_server

pytestmark = pytest.mark.functional

HEADERS = {"X-Project-Id": "p-faults", "X-User-Id": "u1"}
JSON = {**HEADERS, "Content-Type": "application/json"}
OCTETS = {**HEADERS, "Content-Type": "application/octet-stream"}
MiB = 1024 * 1024
TIMEOUT = 30


def _create(server: Server) -> str:
    result = requests.post(
        f"{server.url}/artifacts/images",
        json={"name": "fault", "disk_format": "raw", "container_format": "bare"},
        headers=JSON,
        timeout=TIMEOUT,
    )
    assert result.status_code == 201, result.text
    return str(result.json()["id"])


def _get(server: Server, path: str) -> requests.Response:
    return requests.get(f"{server.url}{path}", headers=HEADERS, timeout=TIMEOUT)


def _image_blob(server: Server, artifact_id: str) -> Any:
    shown = _get(server, f"/artifacts/images/{artifact_id}")
    assert shown.status_code == 200, shown.text
    return shown.json()["image"]


def _upload(server: Server, artifact_id: str, body: object) -> requests.Response:
    return requests.put(
        f"{server.url}/artifacts/images/{artifact_id}/image",
        data=body,
        headers=OCTETS,
        timeout=TIMEOUT,
    )


def _assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == 503


# --- the object store dies mid-upload ----------------------------------------------------------


class MotoProcess:
    """moto's standalone S3 server as a process the test can kill and start again."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        moto = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        assert moto is not None
        with self._log.open("ab") as out:
            self._process = subprocess.Popen(
                [moto, "-H", "127.0.0.1", "-p", str(self.port)], stdout=out, stderr=out
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return
            time.sleep(0.1)
        pytest.fail("moto_server did not start")

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[MotoProcess]:
    process = MotoProcess(tmp_path / "moto.log")
    process.start()
    try:
        yield process
    finally:
        process.kill()


def test_object_store_killed_mid_upload_answers_503_and_the_retry_works(
    moto: MotoProcess, tmp_path: Path
) -> None:
    bucket = f"faults-{uuid.uuid4().hex[:8]}"
    s3_client(moto.url).create_bucket(Bucket=bucket)
    config = tmp_path / "artifacts.toml"
    config.write_text(s3_store_toml(moto.url, bucket, "faults"))
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    servers = start_server(data_dir, workers=1, extra_env={"ARTIFACTS_CONFIG": str(config)})
    server = next(servers)
    try:
        artifact_id = _create(server)

        def dying_body() -> Iterator[bytes]:
            yield b"x" * MiB
            moto.kill()
            yield b"y" * MiB

        _assert_unavailable(_upload(server, artifact_id, dying_body()))
        assert _image_blob(server, artifact_id) is None  # not left "saving"
        # The store is still down: the retry is told so at once, not "being uploaded" (409).
        _assert_unavailable(_upload(server, artifact_id, b"z" * 1024))

        moto.start()  # a fresh, empty server: make the bucket again
        s3_client(moto.url).create_bucket(Bucket=bucket)
        retried = _upload(server, artifact_id, b"z" * (2 * MiB))
        assert retried.status_code == 200, retried.text
        download = requests.get(
            f"{server.url}/artifacts/images/{artifact_id}/image", headers=HEADERS, timeout=TIMEOUT
        )
        assert download.content == b"z" * (2 * MiB)
        assert "Traceback" not in server.logs()
    finally:
        servers.close()


# --- the disk fills up ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted where the server keeps its blobs."""
    mount_point = tmp_path / "server" / "blobs"
    mount_point.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_disk_full_answers_503_leaves_no_partial_data_and_recovers(small_disk: Path) -> None:
    servers = start_server(small_disk.parent, workers=1)
    server = next(servers)
    try:
        artifact_id = _create(server)
        _assert_unavailable(_upload(server, artifact_id, b"x" * (6 * MiB)))
        assert _image_blob(server, artifact_id) is None
        assert _files(small_disk) == []  # the partial file went with the failed upload

        # Readiness on a full disk: 503 for the store, and no probe file left per call.
        filler = small_disk / "filler"
        with filler.open("wb") as out, contextlib.suppress(OSError):
            while True:
                out.write(b"f" * 65536)
                out.flush()
        for _ in range(5):
            ready = requests.get(f"{server.url}/readyz", timeout=TIMEOUT)
            assert ready.status_code == 503
            assert ready.json()["checks"]["store:default"] == "unavailable"
            assert str(small_disk) not in ready.text
        assert _files(small_disk) == [filler]
        filler.unlink()

        assert requests.get(f"{server.url}/readyz", timeout=TIMEOUT).status_code == 200
        assert _upload(server, artifact_id, b"x" * MiB).status_code == 200
    finally:
        servers.close()


# --- the database goes away and comes back ----------------------------------------------------


def _set_reachable(database: str, reachable: bool) -> None:
    """Open or close a database this test owns to new connections, dropping its current ones."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(reachable).lower()}')
            )
            if not reachable:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": database},
                )
    finally:
        admin.dispose()


def test_database_outage_answers_503_logs_once_and_recovers(
    pg_databases: Callable[[], str], tmp_path: Path
) -> None:
    url = pg_databases()
    database = url.rsplit("/", 1)[1]
    servers = start_server(tmp_path, url, workers=1)
    server = next(servers)
    try:
        artifact_id = _create(server)
        _set_reachable(database, False)
        try:
            for _ in range(5):
                _assert_unavailable(_get(server, "/artifacts/images"))
            _assert_unavailable(_upload(server, artifact_id, b"x" * 1024))
            ready = requests.get(f"{server.url}/readyz", timeout=TIMEOUT)
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"] == "unavailable"
            assert database not in ready.text
        finally:
            _set_reachable(database, True)
        deadline = time.monotonic() + 20
        while True:
            listed = requests.get(
                f"{server.url}/artifacts/images", headers=HEADERS, timeout=TIMEOUT
            )
            if listed.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert listed.status_code == 200, listed.text
        assert _upload(server, artifact_id, b"x" * 1024).status_code == 200
        logs = server.logs()
        assert logs.count("database unavailable") == 1, logs
        assert "database available again" in logs
        assert "Traceback" not in logs
    finally:
        _set_reachable(database, True)
        servers.close()


def test_serve_with_the_database_down_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    env.update(
        ARTIFACTS_DATA_DIR=str(tmp_path),
        ARTIFACTS_DATABASE_URL=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
        ARTIFACTS_DATABASE_CONNECT_TIMEOUT="2",
    )
    result = subprocess.run(
        [sys.executable, "-m", "artifacts.cli", "serve", "--bind", f"127.0.0.1:{free_port()}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("artifacts: the database cannot be used: OperationalError")
    assert len(result.stderr.strip().splitlines()) == 1
