"""``/openapi.json`` describes what the server does; ``/docs`` renders it from packaged files."""

from __future__ import annotations

import re
from typing import Any

import falcon.inspect
import falcon.testing
import pytest
from openapi_spec_validator import validate

from api.glance import PREFIX as GLANCE_PREFIX
from api.openapi.document import documented_routes
from artifacts.engine.registry import TypeRegistry


@pytest.fixture
def document(client: falcon.testing.TestClient) -> dict[str, Any]:
    got = client.simulate_get("/openapi.json")
    assert got.status_code == 200
    assert isinstance(got.json, dict)
    return got.json


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_route_the_server_answers_is_documented(client: falcon.testing.TestClient) -> None:
    # Glance's Images API under /v2 is Glance's to document (docs/glance-v2.md).
    served = {
        (route.path, method.method)
        for route in falcon.inspect.inspect_routes(client.app)
        for method in route.methods
        if not method.internal and not route.path.startswith(GLANCE_PREFIX)
    }
    assert served == documented_routes()


def test_every_type_has_its_paths_fields_and_filters(
    document: dict[str, Any], registry: TypeRegistry
) -> None:
    paths = document["paths"]
    for artifact_type in registry:
        name = artifact_type.name
        assert set(paths[f"/artifacts/{name}"]) == {"get", "post"}
        assert set(paths[f"/artifacts/{name}/{{artifact_id}}"]) == {"get", "patch", "delete"}
        schema = document["components"]["schemas"][f"Artifact_{name}"]
        assert set(schema["properties"]) == set(artifact_type.schema["properties"])
        filters = {p["name"] for p in paths[f"/artifacts/{name}"]["get"]["parameters"]}
        assert {"tags", "tags-any"} <= filters  # tags have a syntax of their own
        for field, spec in artifact_type.schema["properties"].items():
            if field != "tags":
                assert (field in filters) == bool(spec.get("filter_ops")), field
            if spec.get("glareType") == "Blob":
                assert set(paths[f"/artifacts/{name}/{{artifact_id}}/{field}"]) == {
                    "get",
                    "head",
                    "put",
                    "delete",
                    "post",  # opens a resumable upload
                }
    # Documented paths with a literal type only name served types.
    served = {t.name for t in registry} | {"all"}
    for path in paths:
        match = re.match(r"^/artifacts/([^/{]+)", path)
        assert match is None or match[1] in served, path


def test_docs_render_from_packaged_assets(client: falcon.testing.TestClient) -> None:
    page = client.simulate_get("/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/docs/static/"), asset  # nothing from another host
        fetched = client.simulate_get(asset)
        assert fetched.status_code == 200, asset
        assert fetched.content
