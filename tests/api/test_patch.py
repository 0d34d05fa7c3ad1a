"""JSON-patch updates through HTTP: the six operations, field rules, lifecycle and visibility."""

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
    identity,
    list_ids,
    patch,
    publish,
    replace,
    show,
)

SERIAL = "AB-1234"


def op(name: str, path: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"op": name, "path": path, **extra}
    if name in ("add", "replace", "test"):
        operation["value"] = value
    return operation


def move(src: str, path: str) -> dict[str, Any]:
    return {"op": "move", "from": src, "path": path}


def copy(src: str, path: str) -> dict[str, Any]:
    return {"op": "copy", "from": src, "path": path}


def active_widget(client: falcon.testing.TestClient, **fields: Any) -> dict[str, Any]:
    fields.setdefault("serial", SERIAL)
    created = create(client, **fields)
    return activate(client, "widgets", created["id"])


def deactivated_widget(client: falcon.testing.TestClient, **fields: Any) -> dict[str, Any]:
    artifact = active_widget(client, **fields)
    result = patch(client, "widgets", artifact["id"], [replace("status", "deactivated")], ADMIN)
    assert result.status_code == 200, result.text
    return result.json


def current(client: falcon.testing.TestClient, artifact_id: str) -> dict[str, Any]:
    result = show(client, "widgets", artifact_id)
    assert result.status_code == 200, result.text
    return result.json


# --- the six operations ------------------------------------------------------------------------

INITIAL = {
    "name": "bolt",
    "colour": "red",
    "size": 3,
    "notes": "n",
    "tags": ["a", "b"],
    "parts": ["p", "q", "r"],
    "metadata": {"os": "linux"},
    "labels": {"x": "1"},
}


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        # scalar fields
        pytest.param([op("add", "/weight", 1.5)], {"weight": 1.5}, id="add-scalar"),
        pytest.param([op("add", "/colour", "blue")], {"colour": "blue"}, id="add-over-scalar"),
        pytest.param([op("replace", "/size", 5)], {"size": 5}, id="replace-scalar"),
        pytest.param(
            [op("replace", "/colour", None)], {"colour": None}, id="replace-scalar-with-null"
        ),
        pytest.param(
            [copy("/name", "/notes")], {"notes": "bolt", "name": "bolt"}, id="copy-scalar"
        ),
        pytest.param(
            [op("test", "/colour", "red"), op("replace", "/colour", "green")],
            {"colour": "green"},
            id="test-scalar",
        ),
        # dict keys
        pytest.param(
            [op("add", "/metadata/arch", "arm")],
            {"metadata": {"os": "linux", "arch": "arm"}},
            id="add-dict-key",
        ),
        pytest.param(
            [op("replace", "/metadata/os", "bsd")], {"metadata": {"os": "bsd"}}, id="replace-key"
        ),
        pytest.param([op("remove", "/labels/x")], {"labels": {}}, id="remove-dict-key"),
        pytest.param([move("/labels/x", "/labels/y")], {"labels": {"y": "1"}}, id="move-dict-key"),
        pytest.param(
            [copy("/metadata/os", "/labels/os")],
            {"labels": {"x": "1", "os": "linux"}, "metadata": {"os": "linux"}},
            id="copy-dict-key",
        ),
        pytest.param(
            [op("test", "/metadata/os", "linux"), op("remove", "/metadata/os")],
            {"metadata": {}},
            id="test-dict-key",
        ),
        pytest.param(
            [op("replace", "/metadata", {"k": "v"})], {"metadata": {"k": "v"}}, id="replace-dict"
        ),
        pytest.param(
            [op("add", "/metadata/a~1b~0c", "v")],
            {"metadata": {"os": "linux", "a/b~c": "v"}},
            id="escaped-dict-key",
        ),
        # list items
        pytest.param([op("add", "/tags/-", "c")], {"tags": ["a", "b", "c"]}, id="append-item"),
        pytest.param([op("add", "/tags/0", "z")], {"tags": ["z", "a", "b"]}, id="insert-item"),
        pytest.param(
            [op("replace", "/parts/1", "s")], {"parts": ["p", "s", "r"]}, id="replace-item"
        ),
        pytest.param([op("remove", "/tags/0")], {"tags": ["b"]}, id="remove-item"),
        pytest.param([move("/parts/0", "/parts/-")], {"parts": ["q", "r", "p"]}, id="move-item"),
        pytest.param(
            [copy("/tags/1", "/parts/-")], {"parts": ["p", "q", "r", "b"]}, id="copy-item"
        ),
        pytest.param(
            [op("test", "/tags/1", "b"), op("add", "/tags/-", "c")],
            {"tags": ["a", "b", "c"]},
            id="test-item",
        ),
        pytest.param([op("replace", "/tags", ["x"])], {"tags": ["x"]}, id="replace-list"),
        pytest.param(
            [op("add", "/tags/-", "c"), op("add", "/tags/-", "d"), op("remove", "/tags/0")],
            {"tags": ["b", "c", "d"]},
            id="several-ops",
        ),
    ],
)
def test_patch_operations(
    client: falcon.testing.TestClient,
    operations: list[dict[str, Any]],
    expected: dict[str, Any],
) -> None:
    artifact_id = create(client, **INITIAL)["id"]

    result = patch(client, "widgets", artifact_id, operations)

    assert result.status_code == 200, result.text
    assert {name: result.json[name] for name in expected} == expected
    assert current(client, artifact_id) == result.json


def test_patch_normalizes_versions(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    result = patch(
        client, "widgets", artifact_id, [replace("version", "2"), replace("api_version", "1.1")]
    )

    assert result.status_code == 200, result.text
    assert (result.json["version"], result.json["api_version"]) == ("2.0.0", "1.1.0")


@pytest.mark.parametrize("field", ["colour", "fragile", "tags", "metadata", "version", "name"])
def test_removing_a_whole_field_is_refused(client: falcon.testing.TestClient, field: str) -> None:
    """As in Glare: a field always has a value; ``replace`` with null (or []) clears one."""
    artifact_id = create(client, name="bolt", colour="red")["id"]
    before = current(client, artifact_id)

    for operations in ([op("remove", f"/{field}")], [move(f"/{field}", "/notes")]):
        body = assert_error(patch(client, "widgets", artifact_id, operations), 400)
        assert field in body["error"]["message"]

    assert current(client, artifact_id) == before


def test_removing_the_name_is_refused(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    body = assert_error(patch(client, "widgets", artifact_id, [op("remove", "/name")]), 400)

    assert "name" in body["error"]["message"]
    assert current(client, artifact_id)["name"] == "bolt"


@pytest.mark.parametrize("value", [None, [], "x", 3])
def test_replacing_the_whole_artifact_is_refused(
    client: falcon.testing.TestClient, value: Any
) -> None:
    artifact_id = create(client, name="whole")["id"]

    body = assert_error(patch(client, "widgets", artifact_id, [op("add", "", value)]), 400)

    assert "name a field" in body["error"]["message"]
    assert current(client, artifact_id)["name"] == "whole"


@pytest.mark.parametrize(
    "failing_test",
    [
        op("test", "/size", 99),
        op("test", "/size", "3"),
        op("test", "/fragile", 0),
        op("test", "/colour", None),
        op("test", "/tags", ["b", "a"]),
        op("test", "/metadata/missing", "x"),
    ],
)
def test_failed_test_operation_changes_nothing(
    client: falcon.testing.TestClient, failing_test: dict[str, Any]
) -> None:
    before = create(client, **INITIAL)

    result = patch(
        client,
        "widgets",
        before["id"],
        [
            op("replace", "/colour", "blue"),
            op("add", "/tags/-", "c"),
            failing_test,
            op("replace", "/size", 100),
        ],
    )

    assert_error(result, 400, "BadRequest")
    assert current(client, before["id"]) == before


def test_invalid_value_in_a_later_operation_changes_nothing(
    client: falcon.testing.TestClient,
) -> None:
    before = create(client, **INITIAL)

    result = patch(
        client, "widgets", before["id"], [replace("notes", "new"), replace("size", "big")]
    )

    body = assert_error(result, 400)
    assert "size" in body["error"]["message"]
    assert current(client, before["id"]) == before


@pytest.mark.parametrize(
    "document",
    [
        {"op": "replace", "path": "/colour", "value": "blue"},
        None,
        "replace",
        [1],
        ["replace"],
        [{"op": "frobnicate", "path": "/colour", "value": "blue"}],
        [{"path": "/colour", "value": "blue"}],
        [{"op": "replace", "value": "blue"}],
        [{"op": "replace", "path": "colour", "value": "blue"}],
        [{"op": "replace", "path": "/colour"}],
        [{"op": "move", "path": "/colour"}],
        [{"op": "copy", "path": "/notes"}],
        [{"op": "test", "path": "/colour"}],
        [{"op": "remove", "path": "/metadata/missing"}],
        [{"op": "replace", "path": "/tags/5", "value": "x"}],
        [{"op": "add", "path": "/tags/9", "value": "x"}],
        [{"op": "add", "path": "/colour/x", "value": "x"}],
        [{"op": "move", "from": "/metadata", "path": "/metadata/inner"}],
    ],
)
def test_bad_patch_document_is_400(client: falcon.testing.TestClient, document: Any) -> None:
    before = create(client, **INITIAL)

    result = client.simulate_patch(
        f"/artifacts/widgets/{before['id']}",
        body=json.dumps(document),
        headers={**identity(), **JSON_PATCH},
    )

    assert_error(result, 400)
    assert current(client, before["id"]) == before


@pytest.mark.parametrize("body", ["[", "", "[{'op': 'remove'}]", b"\xff"])
def test_patch_body_that_is_not_json_is_400(
    client: falcon.testing.TestClient, body: str | bytes
) -> None:
    artifact_id = create(client, name="bolt")["id"]

    result = client.simulate_patch(
        f"/artifacts/widgets/{artifact_id}", body=body, headers={**identity(), **JSON_PATCH}
    )

    assert_error(result, 400, "BadRequest")


@pytest.mark.parametrize("constant", ["NaN", "Infinity"])
def test_patch_refuses_numbers_json_does_not_have(
    client: falcon.testing.TestClient, constant: str
) -> None:
    before = create(client, name="bolt")

    result = client.simulate_patch(
        f"/artifacts/widgets/{before['id']}",
        body='[{"op": "replace", "path": "/weight", "value": X}]'.replace("X", constant),
        headers={**identity(), **JSON_PATCH},
    )

    assert_error(result, 400)
    assert current(client, before["id"]) == before


def test_empty_patch_changes_nothing(client: falcon.testing.TestClient) -> None:
    before = create(client, name="bolt")

    result = patch(client, "widgets", before["id"], [])

    assert result.status_code == 200, result.text
    assert result.json == before


@pytest.mark.parametrize(
    "operations",
    [
        [op("add", "/flavour", "x")],
        [op("replace", "/flavour", "x")],
        [copy("/name", "/flavour")],
        [move("/notes", "/flavour")],
    ],
)
def test_patch_of_an_unknown_field_is_400(
    client: falcon.testing.TestClient, operations: list[dict[str, Any]]
) -> None:
    before = create(client, name="bolt", notes="n")

    assert_error(patch(client, "widgets", before["id"], operations), 400)
    assert current(client, before["id"]) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", str(uuid.uuid4())),
        ("owner", "p2"),
        ("created_at", "2020-01-01T00:00:00.000000Z"),
        ("updated_at", "2020-01-01T00:00:00.000000Z"),
        ("activated_at", "2020-01-01T00:00:00.000000Z"),
        ("secret_code", "s3cr3t"),
    ],
)
def test_patch_of_a_system_field_is_403(
    client: falcon.testing.TestClient, field: str, value: str
) -> None:
    before = create(client, name="bolt")

    result = patch(client, "widgets", before["id"], [replace(field, value)])

    body = assert_error(result, 403, "Forbidden")
    assert field in body["error"]["message"]
    assert current(client, before["id"]) == before


def test_system_fields_are_read_only_for_admins_too(client: falcon.testing.TestClient) -> None:
    before = create(client, name="bolt")

    assert_error(patch(client, "widgets", before["id"], [replace("owner", "p9")], ADMIN), 403)
    assert current(client, before["id"]) == before


@pytest.mark.parametrize(
    "operations",
    [
        [replace("manual", {"url": "http://example.com/x", "size": 1})],
        [op("add", "/attachments/a", {"url": "http://example.com/x", "size": 1})],
        [op("replace", "/attachments", {"a": None})],
    ],
)
def test_patch_of_a_blob_field_is_400(
    client: falcon.testing.TestClient, operations: list[dict[str, Any]]
) -> None:
    """Glare: "Cannot add blob with this request. Use special Blob API for that."."""
    before = create(client, name="bolt")

    assert_error(patch(client, "widgets", before["id"], operations), 400, "BadRequest")
    assert current(client, before["id"]) == before


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_patch_needs_the_json_patch_media_type(
    client: falcon.testing.TestClient, content_type: str | None
) -> None:
    before = create(client, name="bolt")
    headers = identity() if content_type is None else {**identity(), "Content-Type": content_type}

    result = client.simulate_patch(
        f"/artifacts/widgets/{before['id']}",
        body=json.dumps([replace("notes", "x")]),
        headers=headers,
    )

    assert_error(result, 415, "UnsupportedMediaType")
    assert current(client, before["id"]) == before


def test_patch_body_larger_than_the_limit_is_413(tmp_path: Any, services: Services) -> None:
    small = falcon.testing.TestClient(
        create_app(Settings(data_dir=tmp_path, max_json_body=128), services)
    )
    result = small.simulate_post(
        "/artifacts/widgets", json={"name": "bolt"}, headers={**identity(), **JSON}
    )
    assert result.status_code == 201, result.text

    too_big = patch(small, "widgets", result.json["id"], [replace("notes", "n" * 128)])

    assert_error(too_big, 413, "RequestEntityTooLarge")


def test_patch_of_a_missing_artifact_or_type_is_404(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    assert_error(patch(client, "widgets", str(uuid.uuid4()), [replace("notes", "x")]), 404)
    assert_error(patch(client, "gadgets", artifact_id, [replace("notes", "x")]), 404)
    assert_error(
        patch(client, "spaceships", artifact_id, [replace("notes", "x")]), 404, "TypeNotFound"
    )


def test_patch_returns_the_updated_artifact_and_advances_updated_at(
    client: falcon.testing.TestClient,
) -> None:
    before = create(client, name="bolt")

    result = patch(client, "widgets", before["id"], [replace("notes", "x")])

    assert result.status_code == 200, result.text
    after = result.json
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]
    assert current(client, before["id"]) == after


def test_patch_that_changes_nothing_keeps_updated_at(client: falcon.testing.TestClient) -> None:
    before = create(client, name="bolt", notes="x")

    result = patch(client, "widgets", before["id"], [replace("notes", "x")])

    assert result.status_code == 200, result.text
    assert result.json == before


# --- who may patch -----------------------------------------------------------------------------


def test_patch_of_another_projects_private_artifact_is_404(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, project="p2", name="secret")["id"]

    assert_error(
        patch(client, "widgets", artifact_id, [replace("notes", "x")], identity("p1")),
        404,
        "ArtifactNotFound",
    )


def test_patch_of_another_projects_public_artifact_is_403(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, name="bolt", serial=SERIAL)["id"]
    before = publish(client, "widgets", artifact_id)

    # Glare refuses callers who are not the owner before it asks any rule: "Forbidden".
    for caller in (identity("p2"), identity(None)):
        assert_error(
            patch(client, "widgets", artifact_id, [replace("notes", "x")], caller),
            403,
            "Forbidden",
        )
    # Its owner is refused by the rule: a public artifact is an administrator's.
    assert_error(
        patch(client, "widgets", artifact_id, [replace("notes", "x")]), 403, "PolicyException"
    )
    assert current(client, artifact_id) == before


def test_admin_patches_another_projects_artifact(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, project="p2", name="secret")["id"]

    result = patch(client, "widgets", artifact_id, [replace("notes", "by admin")], ADMIN)

    assert result.status_code == 200, result.text
    assert (result.json["notes"], result.json["owner"]) == ("by admin", "p2")


# --- after activation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "other"),
        ("version", "9.0.0"),
        ("colour", "blue"),
        ("size", 9),
        ("fragile", True),
        ("made_at", "2025-01-01T00:00:00Z"),
        ("api_version", "9.0.0"),
        ("serial", "ZZ-9999"),
        ("parts", ["z"]),
        ("sizes", [9]),
        ("counts", {"z": 9}),
    ],
)
def test_active_artifact_refuses_changes_to_immutable_fields(
    client: falcon.testing.TestClient, field: str, value: Any
) -> None:
    before = active_widget(client, name="bolt", colour="red", size=1)

    result = patch(client, "widgets", before["id"], [replace(field, value)])

    body = assert_error(result, 403, "Forbidden")
    assert field in body["error"]["message"]
    assert current(client, before["id"]) == before


@pytest.mark.parametrize(
    ("operation", "field", "expected"),
    [
        (replace("description", "d"), "description", "d"),
        (op("add", "/tags/-", "t"), "tags", ["t"]),
        (replace("weight", 2.5), "weight", 2.5),
        (op("add", "/labels/k", "v"), "labels", {"k": "v"}),
        (replace("notes", "n"), "notes", "n"),
    ],
)
def test_active_artifact_accepts_changes_to_mutable_fields(
    client: falcon.testing.TestClient, operation: dict[str, Any], field: str, expected: Any
) -> None:
    before = active_widget(client, name="bolt")

    result = patch(client, "widgets", before["id"], [operation])

    assert result.status_code == 200, result.text
    assert result.json[field] == expected
    assert result.json["status"] == "active"
    assert result.json["updated_at"] > before["updated_at"]


def test_one_immutable_change_refuses_the_whole_patch(client: falcon.testing.TestClient) -> None:
    before = active_widget(client, name="bolt")

    result = patch(client, "widgets", before["id"], [replace("notes", "n"), replace("size", 2)])

    assert_error(result, 403, "Forbidden")
    assert current(client, before["id"]) == before


def test_deactivated_artifact_refuses_every_change_but_status(
    client: falcon.testing.TestClient,
) -> None:
    before = deactivated_widget(client, name="bolt")

    assert_error(patch(client, "widgets", before["id"], [replace("notes", "n")]), 403)
    assert_error(patch(client, "widgets", before["id"], [replace("notes", "n")], ADMIN), 403)
    assert current(client, before["id"]) == before


# --- lifecycle ---------------------------------------------------------------------------------


def test_activation_needs_required_on_activate_fields(client: falcon.testing.TestClient) -> None:
    before = create(client, name="bolt")

    refused = patch(client, "widgets", before["id"], [replace("status", "active")])

    body = assert_error(refused, 403, "Forbidden")
    assert "serial" in body["error"]["message"]
    assert current(client, before["id"]) == before

    assert patch(client, "widgets", before["id"], [replace("serial", SERIAL)]).status_code == 200
    result = patch(client, "widgets", before["id"], [replace("status", "active")])

    assert result.status_code == 200, result.text
    assert result.json["status"] == "active"
    assert result.json["activated_at"] is not None
    assert result.json["activated_at"] == result.json["updated_at"]


def test_one_patch_can_fill_requirements_and_activate(client: falcon.testing.TestClient) -> None:
    artifact_id = create(client, name="bolt")["id"]

    result = patch(
        client,
        "widgets",
        artifact_id,
        [op("add", "/serial", SERIAL), op("add", "/status", "active")],
    )

    assert result.status_code == 200, result.text
    assert (result.json["status"], result.json["serial"]) == ("active", SERIAL)


def test_type_without_activation_requirements_activates_directly(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, "gadgets", name="g")["id"]

    assert activate(client, "gadgets", artifact_id)["status"] == "active"


def test_owner_cannot_deactivate(client: falcon.testing.TestClient) -> None:
    before = active_widget(client, name="bolt")

    result = patch(client, "widgets", before["id"], [replace("status", "deactivated")])

    assert_error(result, 403, "PolicyException")
    assert current(client, before["id"]) == before


def test_admin_deactivates_and_reactivates(client: falcon.testing.TestClient) -> None:
    artifact = active_widget(client, name="bolt")
    artifact_id = artifact["id"]

    result = patch(client, "widgets", artifact_id, [replace("status", "deactivated")], ADMIN)
    assert result.status_code == 200, result.text
    assert result.json["status"] == "deactivated"

    owner_try = patch(client, "widgets", artifact_id, [replace("status", "active")])
    assert_error(owner_try, 403, "PolicyException")
    assert current(client, artifact_id)["status"] == "deactivated"

    result = patch(client, "widgets", artifact_id, [replace("status", "active")], ADMIN)
    assert result.status_code == 200, result.text
    assert result.json["status"] == "active"
    # activated_at records the first activation.
    assert result.json["activated_at"] == artifact["activated_at"]


@pytest.mark.parametrize(
    ("start", "target", "status"),
    [
        ("drafted", "deactivated", 403),
        ("drafted", "deleted", 403),
        ("drafted", "bogus", 400),
        ("drafted", None, 400),
        ("active", "drafted", 400),
        ("active", "deleted", 403),
        ("deactivated", "drafted", 400),
        ("deactivated", "deleted", 403),
    ],
)
def test_illegal_status_changes_are_refused_with_glares_status(
    client: falcon.testing.TestClient, start: str, target: str | None, status: int
) -> None:
    if start == "drafted":
        before = create(client, name="bolt", serial=SERIAL)
    elif start == "active":
        before = active_widget(client, name="bolt")
    else:
        before = deactivated_widget(client, name="bolt")

    assert_error(patch(client, "widgets", before["id"], [replace("status", target)], ADMIN), status)
    assert current(client, before["id"]) == before


# --- visibility --------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [identity("p1"), ADMIN], ids=["owner", "admin"])
def test_drafted_artifact_cannot_become_public(
    client: falcon.testing.TestClient, headers: dict[str, str]
) -> None:
    before = create(client, name="bolt", serial=SERIAL)

    result = patch(client, "widgets", before["id"], [replace("visibility", "public")], headers)

    assert_error(result, 403)
    assert current(client, before["id"]) == before


def test_publishing_an_active_artifact_is_an_admin_action(
    client: falcon.testing.TestClient,
) -> None:
    before = active_widget(client, name="bolt")
    assert_error(show(client, "widgets", before["id"], identity("p2")), 404)

    refused = patch(client, "widgets", before["id"], [replace("visibility", "public")])
    assert_error(refused, 403, "PolicyException")
    assert current(client, before["id"]) == before

    result = patch(client, "widgets", before["id"], [replace("visibility", "public")], ADMIN)

    assert result.status_code == 200, result.text
    assert result.json["visibility"] == "public"
    assert show(client, "widgets", before["id"], identity("p2")).json == result.json
    assert show(client, "widgets", before["id"], identity(None)).status_code == 200
    assert before["id"] in list_ids(client, "/artifacts/widgets", headers=identity("p2"))


def test_making_a_public_artifact_private_again_is_an_admin_action(
    client: falcon.testing.TestClient,
) -> None:
    artifact_id = create(client, name="bolt", serial=SERIAL)["id"]
    publish(client, "widgets", artifact_id)

    refused = patch(client, "widgets", artifact_id, [replace("visibility", "private")])
    assert_error(refused, 403, "PolicyException")

    result = patch(client, "widgets", artifact_id, [replace("visibility", "private")], ADMIN)
    assert result.status_code == 200, result.text
    assert_error(show(client, "widgets", artifact_id, identity("p2")), 404)


def test_unknown_visibility_is_400(client: falcon.testing.TestClient) -> None:
    before = active_widget(client, name="bolt")

    result = patch(client, "widgets", before["id"], [replace("visibility", "friends-only")], ADMIN)

    body = assert_error(result, 400)
    assert "visibility" in body["error"]["message"]


# --- uniqueness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operations",
    [
        [replace("name", "bolt")],
        [replace("name", "bolt"), replace("version", "1")],
    ],
)
def test_renaming_into_an_existing_name_and_version_is_409(
    client: falcon.testing.TestClient, operations: list[dict[str, Any]]
) -> None:
    create(client, name="bolt", version="1.0.0")
    before = create(client, name="nut", version="1.0.0")
    create(client, name="bolt", version="2.0.0")

    assert_error(patch(client, "widgets", before["id"], operations), 409, "Conflict")
    assert current(client, before["id"]) == before


def test_changing_the_version_into_an_existing_one_is_409(
    client: falcon.testing.TestClient,
) -> None:
    create(client, name="bolt", version="1.0.0")
    before = create(client, name="bolt", version="2.0.0")

    result = patch(client, "widgets", before["id"], [replace("version", "1.0")])

    assert_error(result, 409, "Conflict")
    assert current(client, before["id"]) == before


def test_renaming_into_a_name_used_elsewhere_is_fine(client: falcon.testing.TestClient) -> None:
    create(client, project="p2", name="bolt", version="1.0.0")
    create(client, "gadgets", name="bolt", version="1.0.0")
    artifact_id = create(client, name="nut", version="1.0.0")["id"]

    result = patch(client, "widgets", artifact_id, [replace("name", "bolt")])

    assert result.status_code == 200, result.text
    assert result.json["name"] == "bolt"


# --- links -------------------------------------------------------------------------------------


def test_link_to_a_visible_artifact_is_accepted(client: falcon.testing.TestClient) -> None:
    public = create(client, name="pub", serial=SERIAL)["id"]
    publish(client, "widgets", public)
    own_gadget = create(client, "gadgets", project="p2", name="g")["id"]
    artifact_id = create(client, project="p2", name="child")["id"]

    result = patch(
        client,
        "widgets",
        artifact_id,
        [
            replace("parent", f"/artifacts/widgets/{public}"),
            op("add", "/friends/mine", f"/artifacts/gadgets/{own_gadget}"),
        ],
        identity("p2"),
    )

    assert result.status_code == 200, result.text
    assert result.json["parent"] == f"/artifacts/widgets/{public}"
    assert result.json["friends"] == {"mine": f"/artifacts/gadgets/{own_gadget}"}


@pytest.mark.parametrize(
    "target",
    ["missing", "other-private", "wrong-type", "unknown-type"],
)
def test_link_to_an_artifact_the_caller_cannot_see_is_400(
    client: falcon.testing.TestClient, target: str
) -> None:
    gadget = create(client, "gadgets", project="p2", name="g")["id"]
    own_gadget = create(client, "gadgets", name="mine")["id"]
    link = {
        "missing": f"/artifacts/gadgets/{uuid.uuid4()}",
        "other-private": f"/artifacts/gadgets/{gadget}",
        "wrong-type": f"/artifacts/widgets/{own_gadget}",
        "unknown-type": f"/artifacts/spaceships/{own_gadget}",
    }[target]
    before = create(client, name="bolt")

    for operations in ([replace("parent", link)], [op("add", "/friends/f", link)]):
        result = patch(client, "widgets", before["id"], operations)
        body = assert_error(result, 400)
        assert operations[0]["path"].split("/")[1] in body["error"]["message"]
    assert current(client, before["id"]) == before


def test_link_on_create_is_checked_too(client: falcon.testing.TestClient) -> None:
    gadget = create(client, "gadgets", project="p2", name="g")["id"]

    result = client.simulate_post(
        "/artifacts/widgets",
        json={"name": "bolt", "parent": f"/artifacts/gadgets/{gadget}"},
        headers={**identity("p1"), **JSON},
    )

    body = assert_error(result, 400)
    assert "parent" in body["error"]["message"]
