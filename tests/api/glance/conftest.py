"""Helpers for the Glance door: Glance's headers, and images made through it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import falcon.testing
import pytest

from tests.factories import identity

GLANCE_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
DATA = {"Content-Type": "application/octet-stream"}
ACCEPT_JSON = {"Accept": "application/json"}
OWNER = identity("p1")
OTHER = identity("p2", user="u2")
ADMIN = identity("admin-project", roles=["admin"])

ImageMaker = Callable[..., dict[str, Any]]


@pytest.fixture
def make_image(client: falcon.testing.TestClient) -> ImageMaker:
    """Create an image through /v2/images (uploading ``data`` when given); return its JSON."""

    def make(data: bytes | None = None, headers: dict[str, str] = OWNER, **attrs: Any) -> Any:
        attrs.setdefault("name", "cirros")
        attrs.setdefault("disk_format", "raw")
        attrs.setdefault("container_format", "bare")
        created = client.simulate_post("/v2/images", json=attrs, headers=headers)
        assert created.status_code == 201, created.text
        if data is None:
            return created.json
        image_id = created.json["id"]
        uploaded = client.simulate_put(
            f"/v2/images/{image_id}/file", body=data, headers={**headers, **DATA}
        )
        assert uploaded.status_code == 204, uploaded.text
        return client.simulate_get(f"/v2/images/{image_id}", headers=headers).json

    return make


def glance_patch(
    client: falcon.testing.TestClient,
    image_id: str,
    *ops: dict[str, Any],
    headers: dict[str, str] = OWNER,
) -> falcon.testing.Result:
    return client.simulate_patch(
        f"/v2/images/{image_id}", body=json.dumps(list(ops)), headers={**headers, **GLANCE_PATCH}
    )


def listed(client: falcon.testing.TestClient, query: str, headers: dict[str, str] = OWNER) -> Any:
    result = client.simulate_get("/v2/images", query_string=query, headers=headers)
    assert result.status_code == 200, result.text
    return [image["name"] for image in result.json["images"]]
