"""Creating, showing and deleting artifacts through HTTP: statuses, defaults and the rules."""

from __future__ import annotations

import json
import uuid
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services
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


def post(
    client: falcon.testing.TestClient,
    body: Any,
    *,
    type_name: str = "widgets",
    headers: dict[str, str] | None = None,
) -> falcon.testing.Result:
    return client.simulate_post(
        f"/artifacts/{type_name}",
        body=body if isinstance(body, str | bytes) else json.dumps(body),
        headers={**identity(), **JSON, **(headers or {})},
    )


# --- create ------------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_a_drafted_private_artifact(
    client: falcon.testing.TestClient,
) -> None:
    result = post(client, {"name": "bolt", "version": "1"}, headers=identity("p7"))

    assert result.status_code == 201, result.text
    body = result.json
    assert result.headers["Location"].endswith(f"/artifacts/widgets/{body['id']}")
    assert uuid.UUID(body["id"])
    assert body["name"] == "bolt"
    assert body["version"] == "1.0.0"
    assert body["status"] == "drafted"
    assert body["visibility"] == "private"
    assert body["owner"] == "p7"
    assert body["created_at"] == body["updated_at"]
    assert body["activated_at"] is None


def test_created_artifact_is_shown_as_created(client: falcon.testing.TestClient) -> None:
    created = create(client, name="bolt", colour="red", size=3)

    result = show(client, "widgets", created["id"])

    assert result.status_code == 200, result.text
    assert result.json == created


def test_create_applies_defaults_to_fields_not_given(client: falcon.testing.TestClient) -> None:
    body = create(client, name="bolt")

    assert body["version"] == "0.0.0"
    assert body["fragile"] is False
    assert body["tags"] == []
    assert body["metadata"] == {}
    assert body["parts"] == []
    assert body["labels"] == {}
    assert body["friends"] == {}
    assert body["attachments"] == {}
    assert body["colour"] is None
    assert body["size"] is None
    assert body["manual"] is None
    assert body["description"] == ""


def test_create_returns_every_field_of_the_type(
    client: falcon.testing.TestClient, services: Services
) -> None:
    body = create(client, name="bolt")

    assert set(body) == {*services.types.get("widgets").fields, "display_type_name"}
    assert body["display_type_name"] == "Widgets"


def test_create_stores_given_values_in_canonical_form(client: falcon.testing.TestClient) -> None:
    body = create(
        client,
        name="bolt",
        version="1.2",
        api_version="2",
        made_at="2025-06-01T12:00:00+02:00",
        weight=2.5,
        fragile=True,
        tags=["a", "b"],
        metadata={"os": "linux"},
        parts=["p1"],
        sizes=[1, 2],
        labels={"k": "v"},
        counts={"n": 3},
        notes="n",
        description="d",
        serial=SERIAL,
    )

    assert body["version"] == "1.2.0"
    assert body["api_version"] == "2.0.0"
    assert body["made_at"] == "2025-06-01T10:00:00Z"
    assert body["weight"] == 2.5
    assert body["fragile"] is True
    assert body["tags"] == ["a", "b"]
    assert body["metadata"] == {"os": "linux"}
    assert body["parts"] == ["p1"]
    assert body["sizes"] == [1, 2]
    assert body["labels"] == {"k": "v"}
    assert body["counts"] == {"n": 3}
    assert (body["notes"], body["description"], body["serial"]) == ("n", "d", SERIAL)


@pytest.mark.parametrize(
    ("fields", "status", "error_type"),
    [
        # As in Glare: status and visibility are not given at creation, whatever their value.
        ({"status": "drafted"}, 400, "BadRequest"),
        ({"status": "active"}, 400, "BadRequest"),
        ({"visibility": "private"}, 400, "BadRequest"),
        ({"visibility": "public"}, 400, "BadRequest"),
    ],
)
def test_create_refuses_another_initial_state(
    client: falcon.testing.TestClient, fields: dict[str, str], status: int, error_type: str
) -> None:
    assert_error(post(client, {"name": "bolt", **fields}), status, error_type)


def test_create_refuses_an_unknown_field(client: falcon.testing.TestClient) -> None:
    body = assert_error(post(client, {"name": "bolt", "flavour": "x"}), 400, "BadRequest")

    assert "flavour" in body["error"]["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", str(uuid.uuid4())),
        ("owner", "p2"),
        ("created_at", "2025-01-01T00:00:00Z"),
        ("updated_at", "2025-01-01T00:00:00Z"),
        ("activated_at", "2025-01-01T00:00:00Z"),
        ("secret_code", "s3cr3t"),
    ],
)
def test_create_refuses_system_fields(
    client: falcon.testing.TestClient, field: str, value: str
) -> None:
    body = assert_error(post(client, {"name": "bolt", field: value}), 403, "Forbidden")

    assert field in body["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"name": 7}, {"name": "7"}),
        ({"version": "1.2.3.4"}, {"version": "1.2.3+4"}),
        ({"version": "1-beta"}, {"version": "1.0.0-beta"}),
        ({"version": None}, {"version": "0.0.0"}),
        ({"version": 3}, {"version": "3.0.0"}),
        ({"tags": ["a", "b", "a"]}, {"tags": ["a", "b"]}),
        ({"tags": None}, {"tags": []}),
        ({"metadata": {"k": 1}}, {"metadata": {"k": "1"}}),
        ({"size": 1.5}, {"size": 1}),
        ({"size": "12"}, {"size": 12}),
        ({"labels": {"a": 1}}, {"labels": {"a": "1"}}),
    ],
)
def test_create_coerces_values_as_glare_does(
    client: falcon.testing.TestClient, fields: dict[str, object], stored: dict[str, object]
) -> None:
    """Glare passes input through its fields' coercion first; its clients rely on it."""
    body = create(client, **{"name": "bolt", **fields})

    assert {key: body[key] for key in stored} == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("manual", {"url": "http://example.com/m", "size": 1}),
        ("manual", None),
        ("attachments", {"a": None}),
    ],
)
def test_create_refuses_blob_fields(
    client: falcon.testing.TestClient, field: str, value: object
) -> None:
    body = assert_error(post(client, {"name": "bolt", field: value}), 400, "BadRequest")

    assert field in body["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"version": "abc"}, "version"),
        ({"description": "d" * 4097}, "description"),
        ({"tags": ["a,b"]}, "tags"),
        ({"tags": ["a/b"]}, "tags"),
        ({"tags": "a"}, "tags"),
        ({"metadata": ["k"]}, "metadata"),
        ({"colour": "purple"}, "colour"),
        ({"size": -1}, "size"),
        ({"size": 1001}, "size"),
        ({"size": "abc"}, "size"),
        ({"weight": "heavy"}, "weight"),
        ({"fragile": None}, "fragile"),
        ({"fragile": "yes"}, "fragile"),
        ({"made_at": "yesterday"}, "made_at"),
        ({"made_at": "2025-01-01T00:00:00"}, "made_at"),
        ({"made_at": "9999-12-31T23:59:59-05:00"}, "made_at"),
        ({"made_at": "0001-01-01T00:00:00+05:00"}, "made_at"),
        ({"api_version": "one"}, "api_version"),
        ({"serial": "ab-12"}, "serial"),
        ({"serial": "AB-12345"}, "serial"),
        ({"parts": ["a", "b", "c", "d", "e", "f"]}, "parts"),
        ({"parts": ["a", "a"]}, "parts"),
        ({"parts": ["x" * 33]}, "parts"),
        ({"sizes": ["a"]}, "sizes"),
        ({"labels": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}}, "labels"),
        ({"counts": {"a": "many"}}, "counts"),
        ({"parent": "not-a-link"}, "parent"),
        ({"parent": f"/artifacts/widgets/{uuid.uuid4()}/x"}, "parent"),
        ({"friends": {"a": "not-a-link"}}, "friends"),
        ({"notes": "n" * 1001}, "notes"),
    ],
)
def test_create_refuses_bad_values_naming_the_field(
    client: falcon.testing.TestClient, fields: dict[str, Any], named: str
) -> None:
    body = assert_error(post(client, {"name": "bolt", **fields}), 400)

    assert named in body["error"]["message"]


def test_create_refuses_a_duplicate_name_and_version_in_one_project_and_type(
    client: falcon.testing.TestClient,
) -> None:
    create(client, name="bolt", version="1.0.0")

    assert_error(post(client, {"name": "bolt", "version": "1.0.0"}), 409, "Conflict")
    # Versions are compared in canonical form.
    assert_error(post(client, {"name": "bolt", "version": "1"}), 409, "Conflict")


@pytest.mark.parametrize(
    ("type_name", "project", "name", "version"),
    [
        ("widgets", "p2", "bolt", "1.0.0"),
        ("gadgets", "p1", "bolt", "1.0.0"),
        ("widgets", "p1", "bolt", "1.0.1"),
        ("widgets", "p1", "bolt", "1.0.0-rc.1"),
        ("widgets", "p1", "nut", "1.0.0"),
    ],
)
def test_create_allows_the_same_name_and_version_elsewhere(
    client: falcon.testing.TestClient, type_name: str, project: str, name: str, version: str
) -> None:
    create(client, name="bolt", version="1.0.0")

    created = create(client, type_name, project=project, name=name, version=version)

    assert (created["name"], created["version"], created["owner"]) == (name, version, project)


@pytest.mark.parametrize("body", ["[]", '["name"]', '"bolt"', "42", "null", "true"])
def test_create_refuses_a_body_that_is_not_an_object(
    client: falcon.testing.TestClient, body: str
) -> None:
    assert_error(post(client, body), 400, "BadRequest")


@pytest.mark.parametrize("body", ["{", "{'name': 'bolt'}", '{"name": "bolt",}', "", b"\xff\xfe"])
def test_create_refuses_a_body_that_is_not_json(
    client: falcon.testing.TestClient, body: str | bytes
) -> None:
    assert_error(post(client, body), 400, "BadRequest")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_create_refuses_numbers_json_does_not_have(
    client: falcon.testing.TestClient, constant: str
) -> None:
    result = post(client, '{"name": "bolt", "weight": CONSTANT}'.replace("CONSTANT", constant))

    assert_error(result, 400)


@pytest.mark.parametrize(("field", "number"), [("weight", "1e400"), ("size", "-2e308")])
def test_create_refuses_numbers_too_large_for_a_float(
    client: falcon.testing.TestClient, field: str, number: str
) -> None:
    # Python would read them as infinity, which an integer field cannot hold and JSON cannot say.
    result = post(client, f'{{"name": "bolt", "{field}": {number}}}')

    assert_error(result, 400, "BadRequest")
    assert number in result.json["error"]["message"]


def test_create_refuses_a_deeply_nested_body(client: falcon.testing.TestClient) -> None:
    depth = 100_000

    assert_error(post(client, "[" * depth + "]" * depth), 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/json-patch+json", "application/x-www-form-urlencoded", None],
)
def test_create_refuses_other_content_types(
    client: falcon.testing.TestClient, content_type: str | None
) -> None:
    headers = identity() if content_type is None else {**identity(), "Content-Type": content_type}

    result = client.simulate_post(
        "/artifacts/widgets", body=json.dumps({"name": "bolt"}), headers=headers
    )

    assert_error(result, 415, "UnsupportedMediaType")


def test_create_accepts_json_with_a_charset(client: falcon.testing.TestClient) -> None:
    result = post(
        client, {"name": "bolt"}, headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert result.status_code == 201, result.text


def test_create_refuses_a_body_larger_than_the_limit(tmp_path: Any, services: Services) -> None:
    small = falcon.testing.TestClient(
        create_app(Settings(data_dir=tmp_path, max_json_body=64), services)
    )
    fits = {"name": "bolt"}
    too_big = {"name": "bolt", "description": "d" * 64}

    assert post(small, fits).status_code == 201
    assert_error(post(small, too_big), 413, "RequestEntityTooLarge")


def test_anonymous_caller_cannot_create(client: falcon.testing.TestClient) -> None:
    result = client.simulate_post(
        "/artifacts/widgets", body=json.dumps({"name": "bolt"}), headers=JSON
    )

    # As in Glare's pipelines: a caller without identity is a read-only guest.
    assert_error(result, 403, "Forbidden")


def test_create_in_an_unknown_type_is_404(client: falcon.testing.TestClient) -> None:
    assert_error(post(client, {"name": "bolt"}, type_name="spaceships"), 404, "TypeNotFound")


def test_create_in_a_built_in_type(client: falcon.testing.TestClient) -> None:
    body = create(client, "images", name="cirros", version="0.6.2", disk_format="qcow2")

    assert (body["name"], body["version"], body["disk_format"]) == ("cirros", "0.6.2", "qcow2")


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
