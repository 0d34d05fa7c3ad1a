"""Several ``artifacts worker`` processes sharing one PostgreSQL task queue.

A gunicorn server queues web-download imports; real worker processes on the same database and
data directory claim and run them, fetching from a loopback source the test runs. The source
counts every request and how many are in flight at once, so the test sees from the outside
that the workers ran side by side, that each import ran exactly once, and that the import of
a worker killed in the middle of it was taken over and finished once the lease lapsed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import pytest
import requests
import sqlalchemy as sa

from artifacts.devserver import RunningServer
from tests.functional.conftest import REPO, start_server

pytestmark = [pytest.mark.functional, pytest.mark.postgres]

OWNER = {"X-Project-Id": "p-workers", "X-User-Id": "u1"}
TIMEOUT = 30
FAST_IMAGES = 10
#: Short leases, so a dead worker's task is taken over within seconds; the task's lease
#: shorter than the upload's, so the takeover first finds the dead worker's upload still
#: holding the blob, and retries.
WORKER_ENV = {
    "ARTIFACTS_IMPORT_ALLOWED_NETWORKS": "127.0.0.0/8",
    "ARTIFACTS_IMPORT_ALLOWED_PORTS": "",
    "ARTIFACTS_TASK_LEASE": "2",
    "ARTIFACTS_UPLOAD_LEASE": "5",
    "ARTIFACTS_TASK_RETRY_DELAY": "1",
    "ARTIFACTS_TASK_MAX_ATTEMPTS": "6",
}


@dataclass
class Source:
    """The images' source: fast files answered after a pause, and one that stalls once."""

    files: dict[str, bytes]
    stall_path: str
    base: str = ""
    requests: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    most_in_flight: int = 0
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self.lock:
            self.requests[path] += 1
            first_stall = path == self.stall_path and self.requests[path] == 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            data = self.files[path]
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if first_stall:
                # Half the data, then nothing until the test lets go: the worker that reads
                # it is in the middle of its upload when the test kills it.
                handler.wfile.write(data[: len(data) // 2])
                handler.wfile.flush()
                self.stalled.set()
                self.release.wait(60)
                return
            time.sleep(0.4)  # long enough for the other worker to claim a task meanwhile
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def source() -> Iterator[Source]:
    files = {f"/fast/{n}.raw": os.urandom(256 * 1024) for n in range(FAST_IMAGES)}
    files["/stall.raw"] = os.urandom(4 * 1024 * 1024)
    served = Source(files=files, stall_path="/stall.raw")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.serve(self)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Cluster:
    server: RunningServer
    data_dir: Path
    database_url: str
    logs: list[IO[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
        env.update(
            WORKER_ENV,
            ARTIFACTS_DATA_DIR=str(self.data_dir),
            ARTIFACTS_DATABASE_URL=self.database_url,
            ARTIFACTS_LOG_LEVEL="info",
        )
        log = (self.data_dir / f"worker-{len(self.workers)}.log").open("wb")
        self.logs.append(log)
        worker = subprocess.Popen(
            [sys.executable, "-m", "artifacts.cli", "worker", "--poll-interval", "0.1"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def worker_logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.data_dir.glob("worker-*.log"))
        )


@pytest.fixture
def cluster(pg_databases: Callable[[], str], tmp_path: Path) -> Iterator[Cluster]:
    database_url = pg_databases()
    servers = start_server(tmp_path, database_url, extra_env=WORKER_ENV)
    running = Cluster(next(servers), tmp_path, database_url)
    try:
        yield running
    finally:
        for worker in running.workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        for log in running.logs:
            log.close()
        servers.close()


def _queue_import(server: RunningServer, uri: str) -> str:
    fields = {"name": f"w-{uuid.uuid4().hex[:8]}", "disk_format": "raw", "container_format": "bare"}
    created = requests.post(
        f"{server.url}/v2/images",
        json=fields,
        headers=OWNER,
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    image_id = str(created.json()["id"])
    started = requests.post(
        f"{server.url}/v2/images/{image_id}/import",
        json={"method": {"name": "web-download", "uri": uri}},
        headers=OWNER,
        timeout=TIMEOUT,
    )
    assert started.status_code == 202, started.text
    return image_id


def _tasks(database_url: str) -> dict[str, dict[str, Any]]:
    """The tasks table as the workers left it, by artifact id."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT artifact_id, status, attempts, message FROM tasks")
            ).mappings()
            return {str(row["artifact_id"]): dict(row) for row in rows}
    finally:
        engine.dispose()


def _wait_until(done: Callable[[], bool], what: str, cluster: Cluster, within: float) -> None:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {within} s; workers said:\n{cluster.worker_logs()}")
        time.sleep(0.2)


def test_two_workers_run_every_task_once_and_take_over_a_dead_workers_task(
    cluster: Cluster, source: Source
) -> None:
    server = cluster.server
    # A first worker starts the stalling import; two more wait for work; the first is killed
    # in the middle of its upload.
    stalled_image = _queue_import(server, f"{source.base}{source.stall_path}")
    doomed = cluster.start_worker()
    assert source.stalled.wait(60), cluster.worker_logs()
    waiting = [cluster.start_worker(), cluster.start_worker()]
    _wait_until(
        lambda: cluster.worker_logs().count(" started") == 3,
        "the workers did not start",
        cluster,
        within=60,
    )
    assert all(worker.poll() is None for worker in waiting)
    doomed.kill()
    doomed.wait(timeout=30)
    assert _tasks(cluster.database_url)[stalled_image]["status"] == "processing"
    fast = {
        _queue_import(server, f"{source.base}{path}"): path
        for path in sorted(source.files)
        if path != source.stall_path
    }

    def all_finished() -> bool:
        tasks = _tasks(cluster.database_url)
        return all(tasks[i]["status"] in ("success", "failure") for i in [stalled_image, *fast])

    _wait_until(all_finished, "the imports did not finish", cluster, within=120)
    tasks = _tasks(cluster.database_url)
    assert {i: tasks[i]["status"] for i in tasks} == dict.fromkeys(tasks, "success"), tasks
    # Every fast import ran once, fetched once; both workers fetched at the same time.
    assert [tasks[i]["attempts"] for i in fast] == [1] * FAST_IMAGES
    assert [source.requests[path] for path in fast.values()] == [1] * FAST_IMAGES
    assert source.most_in_flight >= 2
    # The dead worker's import was claimed again after its lease, found the dead upload
    # holding the blob until that lease lapsed too, and was retried, fetching from the start.
    attempts = tasks[stalled_image]["attempts"]
    assert 2 < attempts <= 6
    assert source.requests[source.stall_path] == attempts
    assert "being uploaded already" in cluster.worker_logs()

    for image_id, path in {**fast, stalled_image: source.stall_path}.items():
        data = source.files[path]
        glance = requests.get(f"{server.url}/v2/images/{image_id}", headers=OWNER, timeout=30)
        assert glance.json()["status"] == "active"
        assert glance.json()["checksum"] == hashlib.md5(data).hexdigest()
        glare = requests.get(f"{server.url}/artifacts/images/{image_id}", headers=OWNER, timeout=30)
        assert glare.json()["status"] == "active"
        downloaded = requests.get(
            f"{server.url}/v2/images/{image_id}/file", headers=OWNER, timeout=30
        )
        assert downloaded.content == data
