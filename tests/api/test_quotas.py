"""Quotas through HTTP: Glare's /quotas API, our extensions, and every limit's refusal."""

from __future__ import annotations

from typing import Any

import falcon.testing
import pytest

from tests import factories as fx
from tests.api.test_blobs import put

ADMIN = {**fx.ADMIN, **fx.JSON}
P1 = fx.identity("p1")


def glare_set(client: falcon.testing.TestClient, project: str, **quotas: int) -> None:
    body = [
        {
            "project_id": project,
            "project_quotas": [{"quota_name": n, "quota_value": v} for n, v in quotas.items()],
        }
    ]
    result = client.simulate_put("/quotas", json=body, headers=ADMIN)
    assert result.status_code == 200, result.text
    assert result.json is None  # Glare 5.0.1 answers "null"


def set_limits(
    client: falcon.testing.TestClient, project: str, limits: dict[str, Any], **types: Any
) -> dict[str, Any]:
    body = {"limits": limits, "types": {t: {"limits": v} for t, v in types.items()}}
    result = client.simulate_put(f"/quotas/projects/{project}", json=body, headers=ADMIN)
    assert result.status_code == 200, result.text
    return result.json


def create(client: falcon.testing.TestClient, name: str, type_name: str = "widgets") -> Any:
    return client.simulate_post(
        f"/artifacts/{type_name}", json={"name": name}, headers={**P1, **fx.JSON}
    )


def upload(client: falcon.testing.TestClient, artifact_id: str, data: bytes) -> Any:
    return client.simulate_put(
        f"/artifacts/widgets/{artifact_id}/manual",
        body=data,
        headers={**P1, "Content-Type": "application/octet-stream"},
    )


def usage(client: falcon.testing.TestClient, project: str = "p1") -> dict[str, Any]:
    result = client.simulate_get(f"/quotas/projects/{project}", headers=ADMIN)
    assert result.status_code == 200, result.text
    return result.json


def test_the_artifact_count_quota_answers_403_naming_it(
    client: falcon.testing.TestClient,
) -> None:
    glare_set(client, "p1", max_artifact_number=2)
    assert create(client, "a").status_code == 201
    assert create(client, "b").status_code == 201

    refused = create(client, "c")

    assert refused.status_code == 403
    error = refused.json["error"]
    assert error["type"] == "Forbidden"
    assert error["quota"] == {
        "name": "max_artifacts",
        "type_name": None,
        "limit": 2,
        "used": 2,
        "requested": 1,
    }
    assert "max_artifacts" in error["message"]
    # Another project is not affected by p1's quota.
    other = client.simulate_post(
        "/artifacts/widgets", json={"name": "c"}, headers={**fx.identity("p2"), **fx.JSON}
    )
    assert other.status_code == 201


def test_a_type_count_quota_leaves_other_types_alone(
    client: falcon.testing.TestClient,
) -> None:
    glare_set(client, "p1", **{"max_artifact_number:widgets": 1})
    assert create(client, "a").status_code == 201

    refused = create(client, "b")

    assert refused.status_code == 403
    assert refused.json["error"]["quota"]["type_name"] == "widgets"
    assert create(client, "b", "gadgets").status_code == 201


def test_deleting_frees_the_count(client: falcon.testing.TestClient) -> None:
    glare_set(client, "p1", max_artifact_number=1)
    first = create(client, "a").json
    assert create(client, "b").status_code == 403

    deleted = client.simulate_delete(f"/artifacts/widgets/{first['id']}", headers=P1)

    assert deleted.status_code == 204
    assert create(client, "b").status_code == 201
    assert usage(client)["usage"]["artifacts"] == 1


def test_the_byte_quota_answers_413_before_reading_a_declared_body(
    client: falcon.testing.TestClient,
) -> None:
    glare_set(client, "p1", max_uploaded_data=10)
    widget = create(client, "a").json
    assert upload(client, widget["id"], b"123456").status_code == 200

    refused = upload(client, create(client, "b").json["id"], b"12345")

    assert refused.status_code == 413
    error = refused.json["error"]
    assert error["type"] == "RequestEntityTooLarge"
    assert error["quota"] == {
        "name": "max_bytes",
        "type_name": None,
        "limit": 10,
        "used": 6,
        "requested": 5,
    }
    assert usage(client)["usage"] == {"artifacts": 2, "bytes": 6, "reserved": 0}


def test_a_streamed_body_is_held_to_the_byte_quota(client: falcon.testing.TestClient) -> None:
    glare_set(client, "p1", max_uploaded_data=10)
    widget = create(client, "a").json

    path = f"/artifacts/widgets/{widget['id']}/manual"

    refused = put(client, path, iter([b"123456", b"789012"]), P1)

    assert refused.status_code == 413, refused.text
    assert refused.json["error"]["quota"]["name"] == "max_bytes"
    assert usage(client)["usage"] == {"artifacts": 1, "bytes": 0, "reserved": 0}
    ok = put(client, path, iter([b"12345", b"67890"]), P1)
    assert ok.status_code == 200, ok.text
    assert usage(client)["usage"] == {"artifacts": 1, "bytes": 10, "reserved": 0}


def test_replacing_and_deleting_blobs_keep_bytes_exact(
    client: falcon.testing.TestClient,
) -> None:
    widget = create(client, "a").json
    assert upload(client, widget["id"], b"123456").status_code == 200
    assert upload(client, widget["id"], b"12").status_code == 200
    assert usage(client)["usage"]["bytes"] == 2
    assert usage(client)["types"]["widgets"]["usage"]["bytes"] == 2

    client.simulate_delete(f"/artifacts/widgets/{widget['id']}", headers=P1)

    assert usage(client)["usage"] == {"artifacts": 0, "bytes": 0, "reserved": 0}


def test_the_per_blob_maximum_answers_413(client: falcon.testing.TestClient) -> None:
    set_limits(client, "p1", {"max_blob_size": 4})
    widget = create(client, "a").json

    refused = upload(client, widget["id"], b"12345")

    assert refused.status_code == 413
    assert refused.json["error"]["quota"]["name"] == "max_blob_size"
    assert upload(client, widget["id"], b"1234").status_code == 200


def test_defaults_apply_to_projects_without_their_own(
    client: falcon.testing.TestClient,
) -> None:
    result = client.simulate_put(
        "/quotas/defaults", json={"limits": {"max_artifacts": 1}}, headers=ADMIN
    )
    assert result.status_code == 200, result.text
    set_limits(client, "p2", {"max_artifacts": 5})
    assert create(client, "a").status_code == 201

    assert create(client, "b").status_code == 403
    shown = usage(client, "p2")
    assert shown["limits"]["max_artifacts"] == 5
    assert usage(client)["effective_limits"]["max_artifacts"] == 1
    listed = client.simulate_get("/quotas", headers=ADMIN).json
    assert listed["global_quotas"] == {"max_artifact_number": 1, "max_uploaded_data": -1}
    assert listed["quotas"] == [
        {
            "project_id": "p2",
            "project_quotas": [{"quota_name": "max_artifact_number", "quota_value": 5}],
        }
    ]


@pytest.mark.parametrize("door", ["glare", "ours"])
def test_minus_one_exempts_a_project_from_a_default(
    client: falcon.testing.TestClient, door: str
) -> None:
    client.simulate_put("/quotas/defaults", json={"limits": {"max_artifacts": 1}}, headers=ADMIN)
    if door == "glare":
        glare_set(client, "p1", max_artifact_number=-1)
    else:
        set_limits(client, "p1", {"max_artifacts": -1})

    assert [create(client, name).status_code for name in "abc"] == [201, 201, 201]
    shown = usage(client)
    assert shown["limits"]["max_artifacts"] == -1
    assert shown["effective_limits"]["max_artifacts"] is None
    listed = client.simulate_get("/quotas", headers=ADMIN).json["quotas"]
    assert listed == [
        {
            "project_id": "p1",
            "project_quotas": [{"quota_name": "max_artifact_number", "quota_value": -1}],
        }
    ]
    applied = client.simulate_get("/project-quotas", headers=P1).json[0]["project_quotas"]
    assert {"quota_name": "max_artifact_number", "quota_value": -1} in applied


def test_an_unset_limit_falls_back_on_the_default(client: falcon.testing.TestClient) -> None:
    client.simulate_put("/quotas/defaults", json={"limits": {"max_artifacts": 1}}, headers=ADMIN)
    set_limits(client, "p1", {"max_artifacts": None, "max_bytes": 100})

    assert [create(client, name).status_code for name in "ab"] == [201, 403]
    assert usage(client)["effective_limits"]["max_artifacts"] == 1


def test_glare_project_quotas_show_the_callers_own(client: falcon.testing.TestClient) -> None:
    glare_set(client, "p1", max_artifact_number=3, **{"max_uploaded_data:widgets": 100})

    mine = client.simulate_get("/project-quotas", headers=P1)

    assert mine.status_code == 200
    assert mine.json == [
        {
            "project_id": "p1",
            "project_quotas": [
                {"quota_name": "max_artifact_number", "quota_value": 3},
                {"quota_name": "max_uploaded_data", "quota_value": -1},
                {"quota_name": "max_uploaded_data:widgets", "quota_value": 100},
            ],
        }
    ]
    assert client.simulate_get("/project-quotas/p2", headers=P1).status_code == 403
    assert client.simulate_get("/project-quotas/p1", headers=P1).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/quotas"),
        ("GET", "/quotas"),
        ("PUT", "/quotas/defaults"),
        ("PUT", "/quotas/projects/p1"),
        ("DELETE", "/quotas/projects/p1"),
        ("GET", "/quotas/projects/p2"),
    ],
)
def test_only_administrators_manage_quotas(
    client: falcon.testing.TestClient, method: str, path: str
) -> None:
    body = [] if path == "/quotas" else {"limits": {}}
    result = client.simulate_request(method, path, json=body, headers={**P1, **fx.JSON})

    assert result.status_code == 403
    assert result.json["error"]["type"] == "PolicyException"


@pytest.mark.parametrize(
    "body",
    [
        {"limits": {"max_artifacts": -2}},
        {"limits": {"max_artifacts": True}},
        {"limits": {"max_things": 1}},
        {"types": {"no-such-type": {"limits": {}}}},
        {"limits": [], "types": {}},
        {"other": 1},
    ],
)
def test_bad_quota_documents_are_400(
    client: falcon.testing.TestClient, body: dict[str, Any]
) -> None:
    result = client.simulate_put("/quotas/projects/p1", json=body, headers=ADMIN)

    assert result.status_code == 400, result.text


@pytest.mark.parametrize(
    "body",
    [
        {"project_id": "p1"},
        [{"project_id": "p1", "project_quotas": [{"quota_name": "max_x", "quota_value": 1}]}],
        [{"project_id": "p1", "project_quotas": [{"quota_name": "a:b:c", "quota_value": 1}]}],
        [
            {
                "project_id": "p1",
                "project_quotas": [{"quota_name": "max_artifact_number", "quota_value": -2}],
            }
        ],
        [{"project_id": "", "project_quotas": []}],
    ],
)
def test_bad_glare_quota_bodies_are_400(client: falcon.testing.TestClient, body: Any) -> None:
    result = client.simulate_put("/quotas", json=body, headers=ADMIN)

    assert result.status_code == 400, result.text
