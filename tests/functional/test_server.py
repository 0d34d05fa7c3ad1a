"""End-to-end behaviour through real gunicorn workers and real HTTP."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, distribution

import pytest
import requests

from tests.functional.conftest import Server

pytestmark = pytest.mark.functional

OWNER = {"X-Project-Id": "p-functional", "X-User-Id": "u1"}


def _create(server: Server, name: str, version: str = "1.0.0") -> requests.Response:
    return requests.post(
        f"{server.url}/artifacts/images",
        json={"name": name, "version": version},
        headers=OWNER,
        timeout=30,
    )


def test_concurrent_patches_lose_no_update(server: Server) -> None:
    created = _create(server, f"race-{uuid.uuid4().hex[:8]}")
    assert created.status_code == 201, created.text
    url = f"{server.url}/artifacts/images/{created.json()['id']}"
    headers = {**OWNER, "Content-Type": "application/json-patch+json"}

    def add_tag(i: int) -> int:
        body = json.dumps([{"op": "add", "path": "/tags/-", "value": f"t{i}"}])
        return requests.patch(url, data=body, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(add_tag, range(24)))
    assert statuses == [200] * 24
    tags = requests.get(url, headers=OWNER, timeout=30).json()["tags"]
    assert sorted(tags) == sorted(f"t{i}" for i in range(24))


def test_concurrent_creates_of_one_name_and_version_have_one_winner(server: Server) -> None:
    name = f"dup-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: _create(server, name, "2.0.0"), range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    conflict = next(r for r in responses if r.status_code == 409).json()
    assert conflict["error"]["type"] == "Conflict"
    listing = requests.get(
        f"{server.url}/artifacts/images", params={"name": name}, headers=OWNER, timeout=30
    ).json()
    assert len(listing["artifacts"]) == 1


def test_example_plugin_type_is_served_once_installed(sqlite_server: Server) -> None:
    try:
        distribution("artifact-helm-charts")
    except PackageNotFoundError:
        pytest.skip("examples/helm-charts-plugin is not installed (scripts/test installs it)")
    schemas = requests.get(f"{sqlite_server.url}/schemas", timeout=30).json()["schemas"]
    assert "helm_charts" in schemas
    assert schemas["helm_charts"]["properties"]["chart"]["glareType"] == "Blob"
