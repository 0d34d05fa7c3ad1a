"""Quotas hold exactly across nodes: concurrent creates and uploads on both fill a quota to
its limit and no further, and the usage records agree with what is stored."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import uuid
from typing import Any

import pytest
import requests

from tests.functional.conftest import Server
from tests.functional.multinode.conftest import (
    ADMIN,
    TIMEOUT,
    Backends,
    run_together,
    show_as,
)

pytestmark = [pytest.mark.functional, pytest.mark.postgres]

QUOTA_BLOB = 256 * 1024


def set_quotas(server: Server, project: str, **quotas: int) -> None:
    body = [
        {
            "project_id": project,
            "project_quotas": [{"quota_name": n, "quota_value": v} for n, v in quotas.items()],
        }
    ]
    response = requests.put(f"{server.url}/quotas", json=body, headers=ADMIN, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


def usage(server: Server, project: str) -> dict[str, Any]:
    response = requests.get(
        f"{server.url}/quotas/projects/{project}", headers=ADMIN, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def image(server: Server, headers: dict[str, str]) -> requests.Response:
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
    set_quotas(nodes[0], project, max_artifact_number=10)

    results = run_together(*[lambda n=n: image(nodes[n % 2], caller) for n in range(16)])

    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 10 + [403] * 6, [r.text for r in results]
    refusal = next(r.json() for r in results if r.status_code == 403)
    assert refusal["error"]["quota"]["name"] == "max_artifacts"
    listed = requests.get(
        f"{nodes[1].url}/artifacts/images?limit=100", headers=caller, timeout=TIMEOUT
    )
    assert len(listed.json()["artifacts"]) == 10
    assert usage(nodes[1], project)["usage"]["artifacts"] == 10


def test_sixteen_concurrent_uploads_on_two_nodes_fill_a_byte_quota_of_ten(
    nodes: tuple[Server, Server], backends: Backends
) -> None:
    project = f"p-bytes-{uuid.uuid4().hex[:8]}"
    caller = {"X-Project-Id": project, "X-User-Id": "u1"}
    set_quotas(nodes[0], project, max_uploaded_data=10 * QUOTA_BLOB)
    ids = [image(nodes[0], caller).json()["id"] for _ in range(16)]
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

    results = run_together(*[lambda n=n: upload(n) for n in range(16)])

    statuses = [r.status_code for r in results]
    assert sorted(statuses) == [200] * 10 + [413] * 6, [r.text for r in results]
    stored = 0
    for n, artifact_id in enumerate(ids):
        blob = show_as(nodes[(n + 1) % 2], artifact_id, caller)["image"]
        if statuses[n] == 200:
            assert blob["sha256"] == hashlib.sha256(payloads[n]).hexdigest()
            stored += blob["size"]
        else:
            assert blob is None
    assert stored == 10 * QUOTA_BLOB
    assert usage(nodes[1], project)["usage"] == {
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
