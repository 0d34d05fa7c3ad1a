"""Two API nodes sharing one PostgreSQL database and one S3 endpoint, as a scaled-out deployment.

Each node is its own ``artifacts serve`` (gunicorn, two workers) with its own data directory
on its own loopback port, so nothing but the database and the bucket is shared: whatever one
node does must be visible on the other, and races between them must end the way the database's
locks and constraints decide, with clean 409s for the losers and nothing lost.

The two nodes are started once for this package's tests; the helpers below speak to them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import s3_client, s3_store_toml
from tests.functional import test_resumable as tus
from tests.functional.conftest import Server, start_server

OWNER = {"X-Project-Id": "p-multinode", "X-User-Id": "u1"}
JSON_PATCH = {**OWNER, "Content-Type": "application/json-patch+json"}
ADMIN = {"X-Project-Id": "p-admin", "X-User-Id": "u-admin", "X-Roles": "admin"}
ROUNDS = 3
TIMEOUT = 30


@dataclass(frozen=True)
class Backends:
    database_url: str
    bucket: str
    config: Path


@pytest.fixture(scope="package")
def backends(
    pg_databases: Callable[[], str], s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Backends:
    bucket = f"multinode-{uuid.uuid4().hex[:8]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    config = tmp_path_factory.mktemp("cluster") / "artifacts.toml"
    direct = f"direct_uploads = true\ndirect_part_size = {5 * tus.MIB}\n"
    config.write_text(s3_store_toml(s3_endpoint, bucket, "cluster") + direct)
    return Backends(pg_databases(), bucket, config)


def _node(backends: Backends, data_dir: Path) -> Iterator[Server]:
    yield from start_server(
        data_dir, backends.database_url, extra_env={"ARTIFACTS_CONFIG": str(backends.config)}
    )


@pytest.fixture(scope="package")
def node_a(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _node(backends, tmp_path_factory.mktemp("node-a"))


@pytest.fixture(scope="package")
def node_b(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _node(backends, tmp_path_factory.mktemp("node-b"))


@pytest.fixture
def nodes(node_a: Server, node_b: Server) -> tuple[Server, Server]:
    return node_a, node_b


def create(server: Server, **fields: Any) -> dict[str, Any]:
    """Create an image artifact (raw, bare, a fresh name) through ``server``."""
    fields.setdefault("name", f"mn-{uuid.uuid4().hex[:12]}")
    fields.setdefault("version", "1.0.0")
    fields.setdefault("disk_format", "raw")  # the random payloads are raw data
    fields.setdefault("container_format", "bare")
    response = requests.post(
        f"{server.url}/artifacts/images", json=fields, headers=OWNER, timeout=TIMEOUT
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def show(server: Server, artifact_id: str) -> dict[str, Any]:
    """The owner's view of an image artifact through ``server``."""
    response = requests.get(
        f"{server.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls on threads released at once by a barrier; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # reported to the test, which fails on it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def show_as(server: Server, artifact_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """An image artifact as the caller of ``headers`` sees it through ``server``."""
    response = requests.get(
        f"{server.url}/artifacts/images/{artifact_id}", headers=headers, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
