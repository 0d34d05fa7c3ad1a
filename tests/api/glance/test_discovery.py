"""Discovery, schemas and /v2/info: what Images v2 clients read before anything else."""

from __future__ import annotations

import falcon.testing
import jsonschema

from tests.api.glance.conftest import OWNER, ImageMaker


def test_the_version_document_lists_glance_entries_first_then_glares(
    client: falcon.testing.TestClient,
) -> None:
    for path in ("/", "/versions"):
        versions = client.simulate_get(path).json["versions"]

        ids = [entry.get("id") for entry in versions]
        assert ids[0] == "v2.15"
        assert "v2.17" in ids
        current = next(entry for entry in versions if entry.get("id") == "v2.17")
        assert current["status"] == "CURRENT"
        assert current["links"][0]["href"].endswith("/v2/")
        glare = [entry for entry in versions if "media-type" in entry]
        assert [entry["version"] for entry in glare] == ["1.0", "1.1"]
        assert versions[-len(glare) :] == glare


def test_v2_redirects_like_glance(client: falcon.testing.TestClient) -> None:
    result = client.simulate_get("/v2")

    assert result.status_code == 302
    assert result.headers["Location"].endswith("/v2/")
    assert "OpenStack-API-Version" not in result.headers


def test_every_image_validates_against_the_image_schema(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    schema = client.simulate_get("/v2/schemas/image").json
    images = client.simulate_get("/v2/schemas/images").json
    queued = make_image(architecture="x86_64", extra="yes")
    active = make_image(b"data", name="other")

    for image in (queued, active):
        jsonschema.validate(image, schema)
    listing = client.simulate_get("/v2/images", headers=OWNER).json
    jsonschema.validate(listing, images)
    assert schema["additionalProperties"] == {"type": "string"}
    assert schema["properties"]["status"]["readOnly"] is True
    assert "qcow2" in schema["properties"]["disk_format"]["enum"]


def test_member_schemas_and_info(client: falcon.testing.TestClient) -> None:
    member = client.simulate_get("/v2/schemas/member").json
    members = client.simulate_get("/v2/schemas/members").json
    methods = client.simulate_get("/v2/info/import").json
    stores = client.simulate_get("/v2/info/stores").json

    assert member["properties"]["status"]["enum"] == ["pending", "accepted", "rejected"]
    assert members["properties"]["members"]["items"] == member
    assert methods["import-methods"]["value"] == ["glance-direct", "web-download", "copy-image"]
    assert {"id": "default", "default": "true"} in stores["stores"]
