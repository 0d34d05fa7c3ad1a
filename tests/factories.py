"""Helpers that create and change artifacts through the HTTP API, so tests state only intent."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import falcon.testing

JSON = {"Content-Type": "application/json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def identity(project: str | None = "p1", roles: Iterable[str] = (), user: str = "u1") -> dict:
    """Trusted identity headers for a caller (no project = anonymous)."""
    headers: dict[str, str] = {}
    if project is not None:
        headers["X-Project-Id"] = project
        headers["X-User-Id"] = user
    if roles:
        headers["X-Roles"] = ",".join(roles)
    return headers


ADMIN = identity(project="admin-project", roles=["admin"])


def post(
    client: falcon.testing.TestClient,
    body: Any,
    *,
    type_name: str = "widgets",
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    """POST a body as it is (text or bytes) or as JSON, with the caller's identity."""
    return client.simulate_post(
        f"/artifacts/{type_name}",
        body=body if isinstance(body, str | bytes) else json.dumps(body),
        headers={**identity(), **JSON, **(headers or {})},
    )


def create(
    client: falcon.testing.TestClient,
    type_name: str = "widgets",
    *,
    project: str = "p1",
    **fields: Any,
) -> dict[str, Any]:
    """Create an artifact (name defaults to 'art') and return its JSON."""
    fields.setdefault("name", "art")
    result = client.simulate_post(
        f"/artifacts/{type_name}", json=fields, headers={**identity(project), **JSON}
    )
    assert result.status_code == 201, result.text
    return result.json


def patch(
    client: falcon.testing.TestClient,
    type_name: str,
    artifact_id: str,
    operations: list[dict[str, Any]],
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    return client.simulate_patch(
        f"/artifacts/{type_name}/{artifact_id}",
        body=json.dumps(operations),
        headers={**(headers if headers is not None else identity()), **JSON_PATCH},
    )


def replace(field: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": f"/{field}", "value": value}


def activate(
    client: falcon.testing.TestClient,
    type_name: str,
    artifact_id: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    result = patch(client, type_name, artifact_id, [replace("status", "active")], headers)
    assert result.status_code == 200, result.text
    return result.json


def publish(client: falcon.testing.TestClient, type_name: str, artifact_id: str) -> dict[str, Any]:
    """Activate an artifact (as its owner p1) and make it public (as an admin)."""
    activate(client, type_name, artifact_id)
    result = patch(client, type_name, artifact_id, [replace("visibility", "public")], ADMIN)
    assert result.status_code == 200, result.text
    return result.json


def list_ids(
    client: falcon.testing.TestClient,
    path: str,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> list[str]:
    result = client.simulate_get(
        path, query_string=query, headers=headers if headers is not None else identity()
    )
    assert result.status_code == 200, result.text
    return [item["id"] for item in result.json["artifacts"]]


def show(
    client: falcon.testing.TestClient,
    type_name: str,
    artifact_id: str,
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    return client.simulate_get(
        f"/artifacts/{type_name}/{artifact_id}",
        headers=headers if headers is not None else identity(),
    )


def delete(
    client: falcon.testing.TestClient,
    type_name: str,
    artifact_id: str,
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    return client.simulate_delete(
        f"/artifacts/{type_name}/{artifact_id}",
        headers=headers if headers is not None else identity(),
    )


def assert_error(
    result: falcon.testing.Result, status: int, error_type: str | None = None
) -> dict[str, Any]:
    """Check an error response's status and Glare fault shape (and its exception name).

    Returns the body.
    """
    assert result.status_code == status, result.text
    body = result.json
    assert body["code"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["explanation"], str)
    assert body["explanation"]
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert result.headers["X-OpenStack-Request-Id"] == result.headers["X-Request-Id"]
    if error_type is not None:
        assert body["error"]["type"] == error_type, body
    return body


def list_page(
    client: falcon.testing.TestClient,
    path: str,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """GET one page of a listing (asserting 200) and return its body."""
    result = client.simulate_get(
        path, query_string=query, headers=headers if headers is not None else identity()
    )
    assert result.status_code == 200, result.text
    return result.json
