"""Showing and deleting artifacts through HTTP, and the methods each path allows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import falcon.testing
import pytest

from tests.factories import (
    ADMIN,
    JSON,
    JSON_PATCH,
    activate,
    assert_error,
    create,
    delete,
    identity,
    patch,
    publish,
    show,
)

SERIAL = "AB-1234"


# --- show --------------------------------------------------------------------------------------


def _without_request_id(body: dict[str, Any], artifact_id: str) -> dict[str, Any]:
    text = json.dumps({k: v for k, v in body.items() if k != "request_id"})
    return json.loads(text.replace(artifact_id, "<id>"))


def test_another_projects_private_artifact_is_404_exactly_like_a_missing_one(
    client: falcon.testing.TestClient,
) -> None:
    hidden = create(client, project="p2", name="secret")["id"]
    missing = str(uuid.uuid4())

    as_hidden = show(client, "widgets", hidden, identity("p1"))
    as_missing = show(client, "widgets", missing, identity("p1"))

    assert_error(as_hidden, 404, "ArtifactNotFound")
    assert_error(as_missing, 404, "ArtifactNotFound")
    assert _without_request_id(as_hidden.json, hidden) == _without_request_id(
        as_missing.json, missing
    )


@pytest.mark.parametrize(
    "headers",
    [identity("p1"), identity("p1", roles=["member"]), identity(None)],
    ids=["other-project", "other-project-member", "anonymous"],
)
def test_private_artifact_is_hidden_from_everyone_but_its_owner_and_admins(
    client: falcon.testing.TestClient, headers: dict[str, str]
) -> None:
    artifact_id = create(client, project="p2", name="secret")["id"]

    assert_error(show(client, "widgets", artifact_id, headers), 404, "ArtifactNotFound")
    assert show(client, "widgets", artifact_id, identity("p2")).status_code == 200
    assert show(client, "widgets", artifact_id, ADMIN).status_code == 200


def test_public_artifact_is_shown_to_everyone(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt", serial=SERIAL)["id"]
    publish(client, "widgets", artifact_id)

    for headers in (identity("p2"), identity(None), ADMIN):
        result = show(client, "widgets", artifact_id, headers)
        assert result.status_code == 200, result.text
        assert result.json["visibility"] == "public"


@pytest.mark.parametrize("artifact_id", [str(uuid.uuid4()), "not-a-uuid", "x" * 300])
def test_show_of_a_missing_artifact_is_404(
    client: falcon.testing.TestClient, artifact_id: str
) -> None:
    assert_error(show(client, "widgets", artifact_id), 404, "ArtifactNotFound")


def test_show_under_another_type_is_404(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    assert_error(show(client, "gadgets", artifact_id), 404, "ArtifactNotFound")


def test_show_in_an_unknown_type_is_404(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    assert_error(show(client, "spaceships", artifact_id), 404, "TypeNotFound")


def test_show_through_all_gives_common_fields_and_the_type(
    client: falcon.testing.TestClient,
) -> None:
    created = create(client, name="bolt", version="2", colour="red")
    schema = client.simulate_get("/schemas/all").json["schemas"]["all"]

    result = show(client, "all", created["id"])

    assert result.status_code == 200, result.text
    body = result.json
    assert body["type_name"] == "widgets"
    assert (body["id"], body["name"], body["version"]) == (created["id"], "bolt", "2.0.0")
    # glareclient looks every key up in the 'all' schema.
    assert set(body) == set(schema["properties"])


def test_show_through_all_hides_other_projects_private_artifacts(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, project="p2", name="secret")["id"]

    assert_error(show(client, "all", artifact_id, identity("p1")), 404, "ArtifactNotFound")
    assert_error(show(client, "all", str(uuid.uuid4())), 404, "ArtifactNotFound")


# --- delete ------------------------------------------------------------------------------------


def test_delete_answers_204_and_the_artifact_is_gone(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    result = delete(client, "widgets", artifact_id)

    assert result.status_code == 204, result.text
    assert result.content == b""
    assert_error(show(client, "widgets", artifact_id), 404, "ArtifactNotFound")
    assert_error(delete(client, "widgets", artifact_id), 404, "ArtifactNotFound")


def test_deleted_name_and_version_can_be_reused(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt", version="1")["id"]
    assert delete(client, "widgets", artifact_id).status_code == 204

    assert create(client, name="bolt", version="1")["id"] != artifact_id


def test_delete_of_another_projects_private_artifact_is_404(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, project="p2", name="secret")["id"]

    assert_error(delete(client, "widgets", artifact_id, identity("p1")), 404)
    assert show(client, "widgets", artifact_id, identity("p2")).status_code == 200


def test_delete_of_another_projects_public_artifact_is_403(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, name="bolt", serial=SERIAL)["id"]
    publish(client, "widgets", artifact_id)

    assert_error(delete(client, "widgets", artifact_id, identity("p2")), 403, "Forbidden")
    assert_error(delete(client, "widgets", artifact_id, identity(None)), 403, "Forbidden")
    # Its owner may not delete it either (Glare's rule): a public artifact is the admin's.
    assert_error(delete(client, "widgets", artifact_id), 403, "PolicyException")
    assert show(client, "widgets", artifact_id, identity("p2")).status_code == 200
    assert delete(client, "widgets", artifact_id, ADMIN).status_code == 204


def test_owner_may_not_delete_a_deactivated_artifact(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt", serial=SERIAL)["id"]
    activate(client, "widgets", artifact_id)
    deactivated = patch(
        client,
        "widgets",
        artifact_id,
        [{"op": "replace", "path": "/status", "value": "deactivated"}],
        ADMIN,
    )
    assert deactivated.status_code == 200, deactivated.text

    assert_error(delete(client, "widgets", artifact_id), 403, "PolicyException")
    assert delete(client, "widgets", artifact_id, ADMIN).status_code == 204


def test_a_body_on_a_delete_or_a_read_is_refused(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]
    path = f"/artifacts/widgets/{artifact_id}"

    for method in ("DELETE", "GET"):
        result = client.simulate_request(method, path, body="{}", headers={**identity(), **JSON})
        assert_error(result, 400, "BadRequest")
    assert show(client, "widgets", artifact_id).status_code == 200


def test_admin_deletes_any_artifact(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, project="p2", name="secret")["id"]

    assert delete(client, "widgets", artifact_id, ADMIN).status_code == 204
    assert_error(show(client, "widgets", artifact_id, identity("p2")), 404)


def test_delete_under_another_or_unknown_type_is_404(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    assert_error(delete(client, "gadgets", artifact_id), 404, "ArtifactNotFound")
    assert_error(delete(client, "spaceships", artifact_id), 404, "TypeNotFound")
    assert show(client, "widgets", artifact_id).status_code == 200


# --- methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/artifacts/widgets"),
        ("PATCH", "/artifacts/widgets"),
        ("DELETE", "/artifacts/widgets"),
        ("PUT", "/artifacts/all"),
        ("DELETE", "/artifacts/all"),
        ("POST", "/artifacts/widgets/{id}"),
        ("PUT", "/artifacts/widgets/{id}"),
        ("POST", "/schemas"),
        ("DELETE", "/schemas/widgets"),
    ],
)
def test_wrong_method_is_405_with_a_json_body(
    client: falcon.testing.TestClient, method: str, path: str
) -> None:
    artifact_id = create(client, name="bolt")["id"]

    result = client.simulate_request(
        method,
        path.format(id=artifact_id),
        body=json.dumps({"name": "x"}),
        headers={**identity(), **JSON},
    )

    assert_error(result, 405)
    assert result.headers["Allow"]
    assert method not in result.headers["Allow"]
    assert show(client, "widgets", artifact_id).json["name"] == "bolt"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/artifacts/all"),
        ("PATCH", "/artifacts/all/{id}"),
        ("DELETE", "/artifacts/all/{id}"),
    ],
)
def test_all_is_read_only(client: falcon.testing.TestClient, method: str, path: str) -> None:
    artifact_id = create(client, name="bolt")["id"]
    content_type = JSON_PATCH if method == "PATCH" else JSON
    body = [] if method == "PATCH" else {"name": "x"}

    result = client.simulate_request(
        method,
        path.format(id=artifact_id),
        body=None if method == "DELETE" else json.dumps(body),
        headers={**identity(), **content_type},
    )

    # Glare's answer: the "all" type is a read-only view.
    assert_error(result, 403, "Forbidden")
    assert show(client, "widgets", artifact_id).json["name"] == "bolt"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "a\u0000b"},
        {"name": "ok", "tags": ["x\u0000"]},
        {"name": "ok", "metadata": {"k\u0000": "v"}},
    ],
)
def test_nul_characters_are_refused_on_every_database(
    client: falcon.testing.TestClient, fields: dict[str, object]
) -> None:
    created = client.simulate_post(
        "/artifacts/widgets", json=fields, headers={"X-Project-Id": "p1"}
    )
    assert created.status_code == 400, created.text
    assert "NUL character" in created.json["error"]["message"]
