"""Real servers: ``artifacts serve`` (gunicorn) on a free loopback port, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import s3_client, s3_store_toml

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Server:
    url: str
    log: Path
    pid: int
    data_dir: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    data_dir: Path,
    database_url: str = "",
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``artifacts serve`` until the generator is closed; yield once it answers."""
    port = _free_port()
    log = data_dir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
    env.update(ARTIFACTS_DATA_DIR=str(data_dir), ARTIFACTS_LOG_LEVEL="warning")
    if database_url:
        env["ARTIFACTS_DATABASE_URL"] = database_url
    env.update(extra_env or {})
    command = [
        sys.executable, "-m", "artifacts.cli", "serve",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(url=f"http://127.0.0.1:{port}", log=log, pid=process.pid, data_dir=data_dir)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{server.logs()}")
            try:
                if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer within 60 s:\n{server.logs()}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A gunicorn server with two workers, on each database."""
    database_url = ""
    if request.param == "postgresql":
        create_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        database_url = create_database()
    yield from start_server(tmp_path_factory.mktemp("server"), database_url)


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Server]:
    """A gunicorn server whose blobs go to S3 (the session's moto server)."""
    bucket = f"functional-{uuid.uuid4().hex[:8]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    data_dir = tmp_path_factory.mktemp("s3-server")
    config = data_dir / "artifacts.toml"
    config.write_text(s3_store_toml(s3_endpoint, bucket, "functional"))
    yield from start_server(data_dir, extra_env={"ARTIFACTS_CONFIG": str(config)})
