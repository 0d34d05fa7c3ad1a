"""Two API nodes sharing one PostgreSQL database and one S3 endpoint, as a scaled-out deployment.

Each node is its own ``artifacts serve`` (gunicorn, two workers) with its own data directory
on its own loopback port, so nothing but the database and the bucket is shared: whatever one
node does must be visible on the other, and races between them must end the way the database's
locks and constraints decide, with clean 409s for the losers and nothing lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import random
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import s3_client, s3_store_toml
from tests.functional import test_resumable as tus
from tests.functional.conftest import Server, start_server

pytestmark = [pytest.mark.functional, pytest.mark.postgres]

OWNER = {"X-Project-Id": "p-multinode", "X-User-Id": "u1"}
JSON_PATCH = {**OWNER, "Content-Type": "application/json-patch+json"}
ROUNDS = 3
TIMEOUT = 30


@dataclass(frozen=True)
class Backends:
    database_url: str
    bucket: str
    config: Path


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def node_a(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _node(backends, tmp_path_factory.mktemp("node-a"))


@pytest.fixture(scope="module")
def node_b(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _node(backends, tmp_path_factory.mktemp("node-b"))


@pytest.fixture
def nodes(node_a: Server, node_b: Server) -> tuple[Server, Server]:
    return node_a, node_b


def _create(server: Server, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", f"mn-{uuid.uuid4().hex[:12]}")
    fields.setdefault("version", "1.0.0")
    fields.setdefault("disk_format", "raw")  # the random payloads are raw data
    fields.setdefault("container_format", "bare")
    response = requests.post(
        f"{server.url}/artifacts/images", json=fields, headers=OWNER, timeout=TIMEOUT
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _show(server: Server, artifact_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{server.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _run_together(*calls: Callable[[], Any]) -> list[Any]:
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


# --- one node's work is the other's ------------------------------------------------------------


def test_readiness_of_both_nodes_covers_database_and_s3(nodes: tuple[Server, Server]) -> None:
    for node in nodes:
        response = requests.get(f"{node.url}/readyz", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "store:default": "ok"}


def test_what_node_a_writes_node_b_lists_shows_and_serves(
    nodes: tuple[Server, Server], backends: Backends, s3_endpoint: str
) -> None:
    a, b = nodes
    created = _create(a, container_format="ovf")
    artifact_id = created["id"]
    patched = requests.patch(
        f"{a.url}/artifacts/images/{artifact_id}",
        data=json.dumps(
            [
                {"op": "replace", "path": "/container_format", "value": "bare"},
                {"op": "add", "path": "/tags/-", "value": "multinode"},
            ]
        ),
        headers=JSON_PATCH,
        timeout=TIMEOUT,
    )
    assert patched.status_code == 200, patched.text
    data = random.Random(artifact_id).randbytes(3 * 1024 * 1024 + 17)
    upload = requests.put(
        f"{a.url}/artifacts/images/{artifact_id}/image",
        data=data,
        headers={**OWNER, "Content-Type": "application/octet-stream"},
        timeout=TIMEOUT,
    )
    assert upload.status_code == 200, upload.text

    listed = requests.get(
        f"{b.url}/artifacts/images",
        params={"name": created["name"], "tags": "multinode", "sort": "created_at:desc"},
        headers=OWNER,
        timeout=TIMEOUT,
    )
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["artifacts"]] == [artifact_id]
    shown = _show(b, artifact_id)
    assert (shown["container_format"], shown["tags"]) == ("bare", ["multinode"])
    assert shown["image"]["status"] == "active"
    assert shown["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    download = requests.get(
        f"{b.url}/artifacts/images/{artifact_id}/image", headers=OWNER, timeout=TIMEOUT
    )
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-MD5"] == hashlib.md5(data).hexdigest()
    # The bytes went to the shared bucket, not to either node's data directory.
    keys = s3_client(s3_endpoint).list_objects_v2(Bucket=backends.bucket, Prefix="cluster/")
    assert any(artifact_id in item["Key"] for item in keys.get("Contents", []))
    assert not any((node.data_dir / "blobs").exists() for node in nodes)

    deleted = requests.delete(
        f"{b.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=TIMEOUT
    )
    assert deleted.status_code == 204
    gone = requests.get(f"{a.url}/artifacts/images/{artifact_id}", headers=OWNER, timeout=TIMEOUT)
    assert gone.status_code == 404


# --- races between the nodes -------------------------------------------------------------------


def _patch(server: Server, artifact_id: str, operations: list[dict[str, Any]]) -> int:
    response = requests.patch(
        f"{server.url}/artifacts/images/{artifact_id}",
        data=json.dumps(operations),
        headers=JSON_PATCH,
        timeout=TIMEOUT,
    )
    return response.status_code


def test_concurrent_patches_through_both_nodes_lose_nothing(
    nodes: tuple[Server, Server],
) -> None:
    a, b = nodes
    for round_ in range(ROUNDS):
        artifact_id = _create(a)["id"]

        def through_a(round_: int = round_, artifact_id: str = artifact_id) -> list[int]:
            statuses = [
                _patch(a, artifact_id, [{"op": "replace", "path": "/description", "value": "A"}])
            ]
            for i in range(4):
                tag = {"op": "add", "path": "/tags/-", "value": f"a{round_}-{i}"}
                statuses.append(_patch(a, artifact_id, [tag]))
            return statuses

        def through_b(round_: int = round_, artifact_id: str = artifact_id) -> list[int]:
            statuses = [
                _patch(b, artifact_id, [{"op": "add", "path": "/metadata/node", "value": "B"}])
            ]
            for i in range(4):
                tag = {"op": "add", "path": "/tags/-", "value": f"b{round_}-{i}"}
                statuses.append(_patch(b, artifact_id, [tag]))
            return statuses

        results = _run_together(through_a, through_b)
        assert results == [[200] * 5, [200] * 5], results
        final = _show(b, artifact_id)
        assert final["description"] == "A"
        assert final["metadata"] == {"node": "B"}
        expected = {f"{node}{round_}-{i}" for node in "ab" for i in range(4)}
        assert sorted(final["tags"]) == sorted(expected)
        # Each node's tags in the order that node sent them: patches were applied one by one.
        assert [t for t in final["tags"] if t[0] == "a"] == [f"a{round_}-{i}" for i in range(4)]
        assert _show(a, artifact_id) == final


def test_concurrent_creates_of_one_name_and_version_have_one_winner(
    nodes: tuple[Server, Server],
) -> None:
    a, b = nodes
    for _ in range(ROUNDS):
        name = f"race-{uuid.uuid4().hex[:8]}"

        def create(server: Server, name: str = name) -> requests.Response:
            return requests.post(
                f"{server.url}/artifacts/images",
                json={"name": name, "version": "2.0.0"},
                headers=OWNER,
                timeout=TIMEOUT,
            )

        responses = _run_together(*[lambda s=server: create(s) for server in (a, b) * 4])
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 7, [getattr(r, "text", r) for r in responses]
        for response in responses:
            if response.status_code == 409:
                assert response.json()["error"]["type"] == "Conflict"
        for node in nodes:
            listed = requests.get(
                f"{node.url}/artifacts/images",
                params={"name": name},
                headers=OWNER,
                timeout=TIMEOUT,
            )
            assert len(listed.json()["artifacts"]) == 1


class _SlowUpload:
    """A blob upload sent by hand, so the test decides when its body is finished.

    ``start`` sends the head and the first part of the body, then the server has begun the
    upload (or refused it); ``finish`` sends the rest and reads the response.
    """

    def __init__(self, server: Server, path: str, data: bytes) -> None:
        self.data = data
        address = urlsplit(server.url)
        self.conn = http.client.HTTPConnection(address.hostname, address.port, timeout=TIMEOUT)
        self.path = path

    def start(self) -> None:
        self.conn.putrequest("PUT", self.path)
        for name, value in {**OWNER, "Content-Type": "application/octet-stream"}.items():
            self.conn.putheader(name, value)
        self.conn.putheader("Content-Length", str(len(self.data)))
        self.conn.endheaders()
        self.conn.send(self.data[:65536])

    def answered(self, within: float) -> bool:
        """Whether the server has answered already (a refusal does not wait for the body)."""
        sock = self.conn.sock
        assert sock is not None
        readable, _, _ = select.select([sock], [], [], within)
        return bool(readable)

    def finish(self) -> tuple[int, dict[str, Any]]:
        # A server that refused the upload may stop reading; its answer is still there.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.conn.send(self.data[65536:])
        response = self.conn.getresponse()
        body = json.loads(response.read())
        self.conn.close()
        return response.status, body


def test_concurrent_uploads_to_one_blob_have_one_winner_and_intact_data(
    nodes: tuple[Server, Server],
) -> None:
    a = nodes[0]
    for round_ in range(ROUNDS):
        artifact_id = _create(a)["id"]
        path = f"/artifacts/images/{artifact_id}/image"
        payloads = [random.Random(f"{round_}-{n}").randbytes(2 * 1024 * 1024) for n in "ab"]
        uploads = [
            _SlowUpload(node, path, data) for node, data in zip(nodes, payloads, strict=True)
        ]

        def race(upload: _SlowUpload, artifact_id: str = artifact_id) -> tuple[int, dict]:
            upload.start()
            deadline = time.monotonic() + TIMEOUT
            while _show(a, artifact_id)["image"] is None:  # until one of them has begun
                assert time.monotonic() < deadline, "no upload began"
                time.sleep(0.02)
            # The loser is refused as soon as its server sees the pending upload; the winner's
            # server waits for the rest of its body, which is sent only after this.
            upload.answered(within=2.0)
            return upload.finish()

        results = _run_together(*[lambda u=u: race(u) for u in uploads])
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        winner = next(i for i, (status, _) in enumerate(results) if status == 200)
        loser_body = results[1 - winner][1]
        assert loser_body["error"]["type"] == "Conflict"
        assert "being uploaded" in loser_body["error"]["message"]
        expected = payloads[winner]
        for node in nodes:
            blob = _show(node, artifact_id)["image"]
            assert blob["status"] == "active"
            assert blob["size"] == len(expected)
            assert blob["sha256"] == hashlib.sha256(expected).hexdigest()
            got = requests.get(f"{node.url}{path}", headers=OWNER, timeout=TIMEOUT)
            assert got.content == expected


# --- quotas hold exactly across nodes -------------------------------------------------------------

ADMIN = {"X-Project-Id": "p-admin", "X-User-Id": "u-admin", "X-Roles": "admin"}
QUOTA_BLOB = 256 * 1024


def _set_quotas(server: Server, project: str, **quotas: int) -> None:
    body = [
        {
            "project_id": project,
            "project_quotas": [{"quota_name": n, "quota_value": v} for n, v in quotas.items()],
        }
    ]
    response = requests.put(f"{server.url}/quotas", json=body, headers=ADMIN, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def _usage(server: Server, project: str) -> dict[str, Any]:
    response = requests.get(
        f"{server.url}/quotas/projects/{project}", headers=ADMIN, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _image(server: Server, headers: dict[str, str]) -> requests.Response:
    fields = {"name": f"q-{uuid.uuid4().hex[:12]}", "disk_format": "raw"}
    fields["container_format"] = "bare"
    return requests.post(
        f"{server.url}/artifacts/images", json=fields, headers=headers, timeout=TIMEOUT
    )


def test_sixteen_concurrent_creates_on_two_nodes_fill_a_count_quota_of_ten(
    nodes: tuple[Server, Server],
) -> None:
    project = f"p-count-{uuid.uuid4().hex[:8]}"
    caller = {"X-Project-Id": project, "X-User-Id": "u1"}
    _set_quotas(nodes[0], project, max_artifact_number=10)

    results = _run_together(*[lambda n=n: _image(nodes[n % 2], caller) for n in range(16)])

    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 10 + [403] * 6, [r.text for r in results]
    refusal = next(r.json() for r in results if r.status_code == 403)
    assert refusal["error"]["quota"]["name"] == "max_artifacts"
    listed = requests.get(
        f"{nodes[1].url}/artifacts/images?limit=100", headers=caller, timeout=TIMEOUT
    )
    assert len(listed.json()["artifacts"]) == 10
    assert _usage(nodes[1], project)["usage"]["artifacts"] == 10


def test_sixteen_concurrent_uploads_on_two_nodes_fill_a_byte_quota_of_ten(
    nodes: tuple[Server, Server], backends: Backends
) -> None:
    project = f"p-bytes-{uuid.uuid4().hex[:8]}"
    caller = {"X-Project-Id": project, "X-User-Id": "u1"}
    _set_quotas(nodes[0], project, max_uploaded_data=10 * QUOTA_BLOB)
    ids = [_image(nodes[0], caller).json()["id"] for _ in range(16)]
    payloads = [random.Random(n).randbytes(QUOTA_BLOB) for n in range(16)]

    def upload(n: int) -> requests.Response:
        # Half declare their length; half stream without one (chunked), reserving as they go.
        data = payloads[n] if n % 4 < 2 else iter([payloads[n][:100_000], payloads[n][100_000:]])
        return requests.put(
            f"{nodes[n % 2].url}/artifacts/images/{ids[n]}/image",
            data=data,
            headers={**caller, "Content-Type": "application/octet-stream"},
            timeout=TIMEOUT,
        )

    results = _run_together(*[lambda n=n: upload(n) for n in range(16)])

    statuses = [r.status_code for r in results]
    assert sorted(statuses) == [200] * 10 + [413] * 6, [r.text for r in results]
    stored = 0
    for n, artifact_id in enumerate(ids):
        blob = _show_as(nodes[(n + 1) % 2], artifact_id, caller)["image"]
        if statuses[n] == 200:
            assert blob["sha256"] == hashlib.sha256(payloads[n]).hexdigest()
            stored += blob["size"]
        else:
            assert blob is None
    assert stored == 10 * QUOTA_BLOB
    assert _usage(nodes[1], project)["usage"] == {
        "artifacts": 16,
        "bytes": stored,
        "reserved": 0,
    }
    check = subprocess.run(
        [sys.executable, "-m", "artifacts.cli", "quotas", "check"],
        env={
            **os.environ,
            "ARTIFACTS_DATABASE_URL": backends.database_url,
            "ARTIFACTS_CONFIG": str(backends.config),
            "ARTIFACTS_DATA_DIR": str(nodes[0].data_dir),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "usage differences found: 0" in check.stdout


def _show_as(server: Server, artifact_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = requests.get(
        f"{server.url}/artifacts/images/{artifact_id}", headers=headers, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- metrics are per node, summed over its workers ------------------------------------------------


def test_metrics_sum_every_worker_of_a_node(node_a: Server) -> None:
    def healthz_count() -> float:
        text = requests.get(f"{node_a.url}/metrics", timeout=TIMEOUT).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "artifacts_http_requests_total" and sample.labels == {
                    "method": "GET",
                    "route": "/healthz",
                    "status": "200",
                }:
                    return sample.value
        return 0.0

    before = healthz_count()
    # Fresh connections, so gunicorn hands the requests to both workers.
    for _ in range(20):
        with requests.Session() as session:
            assert session.get(f"{node_a.url}/healthz", timeout=TIMEOUT).status_code == 200
    # Whichever worker answered each request (and whichever answers /metrics), the count is the
    # node's: the exposition merges every worker's file.
    assert healthz_count() == before + 20
    assert list((node_a.data_dir / "metrics").rglob("counter_*.db"))


def test_a_resumable_upload_dropped_on_one_node_resumes_on_the_other(
    nodes: tuple[Server, Server],
) -> None:
    node_a, node_b = nodes
    data = tus._payload(30 * tus.MIB + 11)
    artifact_id, upload_a = tus._open_upload(node_a, len(data))
    tus._patch_and_drop(upload_a, data, 0, 17 * tus.MIB)
    upload_b = upload_a.replace(node_a.url, node_b.url)
    deadline = time.monotonic() + 30
    while tus._offset(upload_b) == 0:
        assert time.monotonic() < deadline, "the dropped request never recorded its offset"
        time.sleep(0.1)
    finished = tus._resume(upload_b, data, time.monotonic() + 30)
    assert finished.status_code == 204, finished.text
    tus._assert_stored(node_a, artifact_id, data)
    tus._assert_stored(node_b, artifact_id, data)


def test_a_direct_upload_opened_on_one_node_resumes_and_commits_on_the_other(
    nodes: tuple[Server, Server],
) -> None:
    node_a, node_b = nodes
    data = tus._payload(16 * tus.MIB + 7)
    artifact_id = _create(node_a)["id"]
    body = {"type_name": "images", "artifact_id": artifact_id, "field": "image", "size": len(data)}
    opened = requests.post(
        f"{node_a.url}/direct-uploads",
        json={**body, "sha256": hashlib.sha256(data).hexdigest()},
        headers=OWNER,
        timeout=TIMEOUT,
    )
    assert opened.status_code == 201, opened.text
    session = opened.json()

    def send(parts: list[dict[str, Any]]) -> None:
        size = session["part_size"]
        for part in parts:
            number = part["number"]
            sent = requests.put(
                part["url"], data=data[(number - 1) * size : number * size], timeout=TIMEOUT
            )
            assert sent.status_code == 200, sent.text

    send(session["upload_urls"][:1])
    status = requests.get(f"{node_b.url}{session['href']}", headers=OWNER, timeout=TIMEOUT)
    assert status.status_code == 200, status.text
    resumed = status.json()
    assert [p["number"] for p in resumed["uploaded_parts"]] == [1]
    send(resumed["upload_urls"])

    # Both nodes asked to commit at once: one commits, the other waits its turn (409) or
    # answers with what was committed; a later commit on either answers the same.
    commits = _run_together(
        *(
            lambda node=node: requests.post(
                f"{node.url}{session['href']}/commit", headers=OWNER, timeout=120
            )
            for node in nodes
        )
    )
    assert sorted(c.status_code for c in commits) in ([200, 200], [200, 409]), commits
    for node in nodes:
        again = requests.post(f"{node.url}{session['href']}/commit", headers=OWNER, timeout=120)
        assert again.status_code == 200, again.text
        assert again.json()["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    got = requests.get(
        f"{node_b.url}/artifacts/images/{artifact_id}/image", headers=OWNER, timeout=TIMEOUT
    )
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
