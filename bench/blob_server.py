"""The server a blob benchmark measures, and one timed round of transfers through it.

``Server`` is ``artifacts serve`` with its own data directory and a TOML configuration naming
the store; ``timed_round`` uploads and downloads one file with the server's RSS and CPU
sampled, checking the digests outside the timed path.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blob_limits import Digests
from measuring import MB, MiB, Sampler, mbps, write_data
from tiny_http import HEADERS, Response, get_to_null, put_file

from artifacts.devserver import run_server

REPO = Path(__file__).resolve().parents[1]


def _toml(value: object) -> str:
    return json.dumps(value)  # JSON strings and integers are valid TOML values


class Server:
    """``python -m artifacts.cli serve`` on a free loopback port, with its own data directory."""

    def __init__(
        self,
        python: str,
        workdir: Path,
        store: dict[str, Any],
        *,
        workers: int,
        threads: int,
        worker_class: str,
        env: dict[str, str],
        checkout: Path = REPO,
    ) -> None:
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True)
        self.log = workdir / "server.log"
        config = workdir / "artifacts.toml"
        lines = [
            "[server]",
            f"workers = {workers}",
            f"threads = {threads}",
            f"worker_class = {_toml(worker_class)}",
            'log_level = "warning"',
            "[storage]",
            f"data_dir = {_toml(str(self.data_dir))}",
            "[blobs]",
            'default_store = "bench"',
            "[stores.bench]",
        ] + [f"{key} = {_toml(value)}" for key, value in store.items()]
        config.write_text("\n".join(lines) + "\n")
        self.running = run_server(
            self.data_dir, workers=None, config=config, env=env, python=python,
            log=self.log, cwd=checkout,
        )  # fmt: skip
        self.url = self.running.url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.process = self.running.process
        self.pids = [self.process.pid, *self.running.wait_for_workers(workers)]

    def logs(self) -> str:
        return self.running.logs(tail=4000)

    def stop(self) -> None:
        self.running.stop()


@dataclass
class Transfer:
    op: str
    seconds: float
    mb_s: float
    rss_baseline_mb: float
    rss_peak_mb: float
    rss_growth_mb: float
    server_cores: float
    machine_cores: float
    client_cores: float
    send_seconds: float | None = None
    server_cpu_s_per_gb: float = 0.0


def new_artifact(server: Server) -> str:
    import requests

    body = {
        "name": f"bench-{uuid.uuid4().hex[:12]}",
        "version": "1.0.0",
        "disk_format": "raw",
        "container_format": "bare",
    }
    response = requests.post(f"{server.url}/artifacts/images", json=body, headers=HEADERS, timeout=30)  # fmt: skip
    response.raise_for_status()
    return str(response.json()["id"])


def delete_artifact(server: Server, artifact_id: str) -> None:
    import requests

    url = f"{server.url}/artifacts/images/{artifact_id}"
    requests.delete(url, headers=HEADERS, timeout=120).raise_for_status()


def check_upload(response: Response, size: int, expected: Digests) -> None:
    if response.status != 200:
        raise RuntimeError(f"upload answered {response.status}: {response.body[:500]!r}")
    blob = json.loads(response.body)["image"]
    got = (blob["size"], blob["md5"], blob["sha1"], blob["sha256"])
    want = (size, expected.md5, expected.sha1, expected.sha256)
    if got != want:
        raise RuntimeError(f"upload recorded {got}, expected {want}")


def check_download(response: Response, received: int, size: int, expected: Digests) -> None:
    if response.status != 200 or received != size:
        raise RuntimeError(f"download answered {response.status} with {received} of {size} bytes")
    sha256 = response.headers.get("x-openstack-glare-content-sha256")
    md5 = response.headers.get("content-md5")
    if (sha256, md5) != (expected.sha256, expected.md5):
        raise RuntimeError(f"download headers sha256={sha256} md5={md5}, expected {expected}")


def verify_bytes(server: Server, path: str, expected: Digests) -> None:
    """Untimed: download again and hash what arrives, so the bytes themselves are checked."""
    digest = hashlib.sha256()
    response, _, _ = get_to_null(server.port, path, digest.update)
    if digest.hexdigest() != expected.sha256:
        raise RuntimeError(f"downloaded bytes hash to {digest.hexdigest()}, not {expected.sha256}")


def warm_up(server: Server, workdir: Path) -> None:
    """Small transfers on fresh connections, so each worker has its imports and connections."""
    small = workdir / "warm-up.bin"
    write_data(small, 4 * MiB)
    for _ in range(4):
        artifact_id = new_artifact(server)
        path = f"/artifacts/images/{artifact_id}/image"
        response, _, _ = put_file(server.port, path, small, 4 * MiB)
        if response.status != 200:
            raise RuntimeError(f"warm-up upload answered {response.status}: {response.body!r}")
        get_to_null(server.port, path)
        delete_artifact(server, artifact_id)
    small.unlink()


def timed_round(
    server: Server, file: Path, size: int, expected: Digests, interval: float, verify: bool
) -> tuple[Transfer, Transfer]:
    artifact_id = new_artifact(server)
    path = f"/artifacts/images/{artifact_id}/image"
    with Sampler(server.pids, interval) as upload_sample:
        response, sent, seconds = put_file(server.port, path, file, size)
    check_upload(response, size, expected)
    upload = transfer("upload", size, seconds, upload_sample, send_seconds=sent)
    with Sampler(server.pids, interval) as download_sample:
        response, received, seconds = get_to_null(server.port, path)
    check_download(response, received, size, expected)
    download = transfer("download", size, seconds, download_sample)
    if verify:
        verify_bytes(server, path, expected)
    delete_artifact(server, artifact_id)
    return upload, download


def transfer(
    op: str, size: int, seconds: float, sample: Sampler, send_seconds: float | None = None
) -> Transfer:
    return Transfer(
        op=op,
        seconds=seconds,
        mb_s=mbps(size, seconds),
        rss_baseline_mb=sample.baseline / MB,
        rss_peak_mb=sample.peak / MB,
        rss_growth_mb=(sample.peak - sample.baseline) / MB,
        server_cores=sample.server_cores,
        machine_cores=sample.machine_cores,
        client_cores=sample.client_cores,
        send_seconds=send_seconds,
        server_cpu_s_per_gb=sample.server_cores * seconds / (size / 1e9),
    )


def raw_receive_round(file: Path, size: int, interval: float) -> Transfer:
    """One upload to the raw receiver, with its CPU per GB (its own process only)."""
    command = [sys.executable, str(Path(__file__).with_name("blobs.py")), "--raw-receiver"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with Sampler([process.pid], interval) as sample:
            response, sent, seconds = put_file(port, "/raw", file, size)
        if response.status != 200:
            raise RuntimeError(f"raw receiver answered {response.status}")
        return transfer("raw receive+hash", size, seconds, sample, send_seconds=sent)
    finally:
        process.kill()
        process.wait()
