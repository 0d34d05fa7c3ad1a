"""Creating artifacts through HTTP: statuses, defaults, coercion and the rules."""

from __future__ import annotations

import json
import uuid
from typing import Any

import falcon.testing
import pytest

from artifacts.engine.services import Services
from tests.factories import (
    JSON,
    assert_error,
    create,
    identity,
    post,
    show,
)

SERIAL = "AB-1234"


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
