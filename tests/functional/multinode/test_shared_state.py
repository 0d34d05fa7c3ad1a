"""What one node writes, the other lists, shows and serves; each node's metrics are its own."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import s3_client
from tests.functional.conftest import Server
from tests.functional.multinode.conftest import JSON_PATCH, OWNER, TIMEOUT, Backends, create, show

pytestmark = [pytest.mark.functional, pytest.mark.postgres]


def test_readiness_of_both_nodes_covers_database_and_s3(nodes: tuple[Server, Server]) -> None:
    for node in nodes:
        response = requests.get(f"{node.url}/readyz", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "store:default": "ok"}


def test_what_node_a_writes_node_b_lists_shows_and_serves(
    nodes: tuple[Server, Server], backends: Backends, s3_endpoint: str
) -> None:
    a, b = nodes
    created = create(a, container_format="ovf")
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
    shown = show(b, artifact_id)
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
