"""The version document, type schemas, and the JSON error format with request ids."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import Services
from tests.factories import ADMIN, JSON, JSON_PATCH, assert_error, create, identity

GENERATED_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# --- versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("path", ["/", "/versions"])
def test_version_document(client: falcon.testing.TestClient, path: str, method: str) -> None:
    result = client.simulate_request(method, path)

    # 300 Multiple Choices, for any method, as Glare answers (tests/compat has its exact words).
    assert result.status_code == 300, result.text
    # Glare's entries follow the Glance door's (tests/api/glance/test_discovery.py).
    versions = [v for v in result.json["versions"] if "media-type" in v]
    assert [v["version"] for v in versions] == ["1.0", "1.1"]
    assert [v["status"] for v in versions] == ["STABLE", "EXPERIMENTAL"]
    for version in versions:
        assert version["media-type"] == f"application/vnd.openstack.artifacts-{version['version']}"


# --- schemas -----------------------------------------------------------------------------------


def test_schemas_lists_every_enabled_type_and_all(
    client: falcon.testing.TestClient, registry: TypeRegistry
) -> None:
    result = client.simulate_get("/schemas")

    assert result.status_code == 200, result.text
    assert result.headers["Content-Type"].startswith("application/schema+json")
    schemas = result.json["schemas"]
    assert set(schemas) == {*registry.names(), "all"}
    assert {"images", "heat_templates", "widgets", "gadgets"} <= set(schemas)
    for name, schema in schemas.items():
        assert schema["name"] == name
        assert schema["required"] == ["name"]


@pytest.mark.parametrize("type_name", ["widgets", "gadgets", "images", "all"])
def test_schema_of_one_type_is_the_same_as_in_the_full_list(
    client: falcon.testing.TestClient, type_name: str
) -> None:
    every = client.simulate_get("/schemas").json["schemas"]

    result = client.simulate_get(f"/schemas/{type_name}")

    assert result.status_code == 200, result.text
    assert result.headers["Content-Type"].startswith("application/schema+json")
    assert result.json == {"schemas": {type_name: every[type_name]}}


def test_type_schema_header(client: falcon.testing.TestClient, services: Services) -> None:
    schema = client.simulate_get("/schemas/widgets").json["schemas"]["widgets"]

    assert schema["version"] == "1.2"
    assert schema["display_name"] == "Widgets"
    assert schema["title"] == "Artifact type widgets of version 1.2"
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {*services.types.get("widgets").fields, "display_type_name"}


def test_type_without_a_display_name_shows_its_url_name(
    client: falcon.testing.TestClient,
) -> None:
    schema = client.simulate_get("/schemas/gadgets").json["schemas"]["gadgets"]

    assert (schema["display_name"], schema["version"]) == ("gadgets", "1.0")


@pytest.mark.parametrize("type_name", ["widgets", "gadgets", "images", "all"])
def test_every_property_carries_the_glare_keywords(
    client: falcon.testing.TestClient, type_name: str
) -> None:
    properties = client.simulate_get(f"/schemas/{type_name}").json["schemas"][type_name][
        "properties"
    ]

    for name, prop in properties.items():
        assert isinstance(prop["glareType"], str), name
        for flag in ("readOnly", "mutable", "sortable", "required_on_activate"):
            assert isinstance(prop[flag], bool), (name, flag)
        assert isinstance(prop["filter_ops"], list), name
        assert set(prop["filter_ops"]) <= {"eq", "neq", "in", "gt", "gte", "lt", "lte", "like"}, (
            name
        )


ORDER_OPS = ["eq", "neq", "in", "gt", "gte", "lt", "lte"]
EQUALITY_OPS = ["eq", "neq", "in"]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("id", {"glareType": "String", "readOnly": True, "sortable": True, "mutable": False}),
        (
            "name",
            {
                "glareType": "String",
                "readOnly": False,
                "sortable": True,
                "filter_ops": ["eq", "neq", "in", "like"],
            },
        ),
        ("version", {"glareType": "String", "sortable": True, "filter_ops": ORDER_OPS}),
        ("owner", {"glareType": "String", "readOnly": True}),
        ("status", {"mutable": True, "sortable": True, "default": "drafted"}),
        ("visibility", {"mutable": True, "default": "private"}),
        ("description", {"mutable": True, "filter_ops": [], "sortable": False}),
        ("tags", {"glareType": "StringList", "mutable": True}),
        ("metadata", {"glareType": "StringDict", "mutable": False}),
        ("created_at", {"glareType": "DateTime", "readOnly": True, "format": "date-time"}),
        ("updated_at", {"glareType": "DateTime", "readOnly": True}),
        ("activated_at", {"glareType": "DateTime", "readOnly": True}),
        (
            "colour",
            {
                "glareType": "String",
                "sortable": True,
                "mutable": False,
                "filter_ops": EQUALITY_OPS,
                "description": "Paint colour.",
            },
        ),
        (
            "size",
            {"glareType": "Integer", "filter_ops": ORDER_OPS, "minimum": 0, "maximum": 1000},
        ),
        ("weight", {"glareType": "Float", "mutable": True, "sortable": True}),
        (
            "fragile",
            {"glareType": "Boolean", "default": False, "type": "boolean", "sortable": False},
        ),
        ("made_at", {"glareType": "DateTime", "sortable": True, "format": "date-time"}),
        ("api_version", {"glareType": "String", "sortable": True, "filter_ops": ORDER_OPS}),
        ("serial", {"glareType": "String", "required_on_activate": True, "maxLength": 7}),
        ("parts", {"glareType": "StringList", "maxItems": 5, "uniqueItems": True}),
        ("sizes", {"glareType": "IntegerList"}),
        ("labels", {"glareType": "StringDict", "mutable": True, "maxProperties": 4}),
        ("counts", {"glareType": "IntegerDict"}),
        ("parent", {"glareType": "Link"}),
        ("friends", {"glareType": "LinkDict"}),
        ("notes", {"glareType": "String", "mutable": True, "maxLength": 1000}),
        ("secret_code", {"glareType": "String", "readOnly": True}),
        ("manual", {"glareType": "Blob", "readOnly": True, "filter_ops": []}),
        ("attachments", {"glareType": "BlobDict", "readOnly": True, "filter_ops": []}),
    ],
)
def test_widget_property_schema(
    client: falcon.testing.TestClient, field: str, expected: dict[str, Any]
) -> None:
    prop = client.simulate_get("/schemas/widgets").json["schemas"]["widgets"]["properties"][field]

    assert {key: prop.get(key) for key in expected} == expected


def test_only_declared_fields_are_required_on_activate(
    client: falcon.testing.TestClient,
) -> None:
    properties = client.simulate_get("/schemas/widgets").json["schemas"]["widgets"]["properties"]

    assert [name for name, p in properties.items() if p["required_on_activate"]] == ["serial"]


def test_all_schema_has_common_fields_and_type_name(client: falcon.testing.TestClient) -> None:
    schema = client.simulate_get("/schemas/all").json["schemas"]["all"]
    widgets = client.simulate_get("/schemas/widgets").json["schemas"]["widgets"]

    assert schema["properties"]["type_name"]["readOnly"] is True
    assert "colour" not in schema["properties"]
    common = set(schema["properties"]) - {"type_name"}
    assert common <= set(widgets["properties"])
    assert {"id", "name", "version", "owner", "status", "visibility", "tags"} <= common


def test_artifact_keys_are_all_in_the_schema(client: falcon.testing.TestClient) -> None:
    """glareclient looks up every key of an artifact in the type's schema."""
    artifact = create(client, name="bolt")
    properties = client.simulate_get("/schemas/widgets").json["schemas"]["widgets"]["properties"]

    assert set(artifact) <= set(properties)


@pytest.mark.parametrize("type_name", ["spaceships", "Widgets", "widgets_"])
def test_unknown_schema_type_is_404_json(client: falcon.testing.TestClient, type_name: str) -> None:
    result = client.simulate_get(f"/schemas/{type_name}")

    body = assert_error(result, 404)
    assert result.headers["Content-Type"].startswith("application/json")
    assert type_name in body["error"]["message"]


# --- error bodies ------------------------------------------------------------------------------


def _post(path: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
    return {"method": "POST", "path": path, "body": json.dumps(body), "headers": headers}


ERRORS = [
    pytest.param({"method": "GET", "path": "/nothing/here"}, 404, "Not Found", id="route"),
    pytest.param({"method": "GET", "path": "/v3/artifacts/widgets"}, 404, "Not Found", id="v3"),
    pytest.param(
        {"method": "GET", "path": "/artifacts/spaceships"}, 404, "Not Found", id="unknown-type"
    ),
    pytest.param(
        {"method": "GET", "path": f"/artifacts/widgets/{uuid.uuid4()}"},
        404,
        "Not Found",
        id="missing-artifact",
    ),
    pytest.param(
        {"method": "GET", "path": "/artifacts/widgets", "query_string": "size=abc"},
        400,
        "Bad Request",
        id="bad-filter",
    ),
    pytest.param(
        _post("/artifacts/widgets", {"name": "x"}, JSON), 403, "Forbidden", id="anonymous"
    ),
    pytest.param(
        {"method": "GET", "path": "/artifacts/widgets", "headers": {"X-Auth-Token": "garbage"}},
        401,
        "Unauthorized",
        id="bad-token",
    ),
    pytest.param(
        _post("/artifacts/widgets", {"name": "x", "owner": "p9"}, {**identity(), **JSON}),
        403,
        "Forbidden",
        id="system-field",
    ),
    pytest.param(
        {"method": "PUT", "path": "/artifacts/widgets", "headers": identity()},
        405,
        "Method Not Allowed",
        id="method",
    ),
    pytest.param(
        _post("/artifacts/widgets", {"name": "x"}, {**identity(), **JSON_PATCH}),
        415,
        "Unsupported Media Type",
        id="media-type",
    ),
    pytest.param(
        _post("/artifacts/widgets", {"name": "x" * 300}, {**identity(), **JSON}),
        400,
        "Bad Request",
        id="bad-value",
    ),
]


@pytest.mark.parametrize(("request_args", "status", "title"), ERRORS)
def test_error_bodies_share_one_json_shape(
    client: falcon.testing.TestClient, request_args: dict[str, Any], status: int, title: str
) -> None:
    result = client.simulate_request(**request_args)

    body = assert_error(result, status)
    assert result.headers["Content-Type"].startswith("application/json")
    assert set(body) == {"code", "title", "explanation", "error"}
    assert body["title"] == title
    assert re.fullmatch(r"[A-Z][A-Za-z]+", body["error"]["type"])  # Glare's exception names
    assert GENERATED_ID.match(result.headers["X-OpenStack-Request-Id"])


def test_conflict_and_too_large_bodies(
    client: falcon.testing.TestClient, services: Services, tmp_path: Any
) -> None:
    create(client, name="bolt")
    conflict = client.simulate_post("/artifacts/widgets", json={"name": "bolt"}, headers=identity())
    small = falcon.testing.TestClient(
        create_app(Settings(data_dir=tmp_path, max_json_body=16), services)
    )
    too_large = small.simulate_post(
        "/artifacts/widgets", json={"name": "x" * 32}, headers=identity()
    )

    assert assert_error(conflict, 409, "Conflict")["title"] == "Conflict"
    assert (
        assert_error(too_large, 413, "RequestEntityTooLarge")["title"] == "Request Entity Too Large"
    )


def test_unauthenticated_answers_carry_a_challenge(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/artifacts/widgets", headers={"X-Auth-Token": "garbage"})

    assert_error(result, 401, "Unauthorized")
    assert result.headers["WWW-Authenticate"]


def test_an_anonymous_write_is_a_guests_403_without_a_challenge(
    client: falcon.testing.TestClient,
) -> None:
    """Glare's pipelines make a caller without identity a read-only guest."""
    result = client.simulate_post("/artifacts/widgets", json={"name": "x"})

    assert_error(result, 403, "Forbidden")
    assert "WWW-Authenticate" not in result.headers


class _Exploding:
    """An artifact service whose every call fails unexpectedly."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("database password is hunter2")

        return fail


def test_unexpected_error_is_a_500_without_details(
    services: Services, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    broken = dataclasses.replace(services, artifacts=_Exploding())
    client = falcon.testing.TestClient(create_app(settings, broken))

    result = client.simulate_get(
        "/artifacts/widgets", headers={**identity(), "X-Request-Id": "trace-500"}
    )

    body = assert_error(result, 500, "GlareException")
    assert result.headers["X-OpenStack-Request-Id"] == "trace-500"
    assert "trace-500" in body["error"]["message"]
    assert "hunter2" not in result.text
    assert any("trace-500" in record.getMessage() for record in caplog.records)


# --- request ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/schemas", "/artifacts/widgets", "/nothing/here", "/schemas/spaceships"]
)
def test_a_well_formed_request_id_is_echoed(client: falcon.testing.TestClient, path: str) -> None:
    result = client.simulate_get(
        path, headers={**identity(), "X-Request-Id": "client-req.42:a_b-c"}
    )

    assert result.headers["X-Request-Id"] == "client-req.42:a_b-c"
    assert result.headers["X-OpenStack-Request-Id"] == "client-req.42:a_b-c"
    if result.status_code >= 400:
        assert result.json["code"] == result.status_code


@pytest.mark.parametrize(
    "given",
    [None, "", "has spaces", "x" * 129, 'quote"d', "semi;colon", "é"],
    ids=["absent", "empty", "spaces", "too-long", "quote", "semicolon", "non-ascii"],
)
def test_a_request_id_is_generated_when_absent_or_malformed(
    client: falcon.testing.TestClient, given: str | None
) -> None:
    headers = {} if given is None else {"X-Request-Id": given}

    result = client.simulate_get(f"/artifacts/widgets/{uuid.uuid4()}", headers=headers)

    assert_error(result, 404)
    assert GENERATED_ID.match(result.headers["X-Request-Id"])
    assert result.headers["X-OpenStack-Request-Id"] == result.headers["X-Request-Id"]


def test_generated_request_ids_differ_per_request(client: falcon.testing.TestClient) -> None:
    ids = {client.simulate_get("/").headers["X-Request-Id"] for _ in range(5)}

    assert len(ids) == 5


def test_request_id_is_echoed_on_success_and_on_writes(
    client: falcon.testing.TestClient,
) -> None:
    result = client.simulate_post(
        "/artifacts/widgets",
        json={"name": "bolt"},
        headers={**ADMIN, "X-Request-Id": "write-1"},
    )

    assert result.status_code == 201, result.text
    assert result.headers["X-Request-Id"] == "write-1"
