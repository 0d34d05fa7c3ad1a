"""Glance's image calls: create, show, patch, delete, data, and the one catalog behind them."""

from __future__ import annotations

import hashlib

import falcon.testing

from artifacts.engine.registry import TypeRegistry
from tests.api.glance.conftest import (
    ACCEPT_JSON,
    ADMIN,
    DATA,
    OTHER,
    OWNER,
    ImageMaker,
    glance_patch,
)
from tests.factories import JSON_PATCH


def test_a_created_image_is_queued_with_glance_attributes_and_its_properties(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(os_distro="ubuntu", hypervisor_type="kvm", min_ram=512)

    assert image["status"] == "queued"
    assert image["visibility"] == "shared"  # Glance's default
    assert image["owner"] == "p1"
    assert image["size"] is None
    assert image["checksum"] is None
    assert image["protected"] is False
    assert image["os_hidden"] is False
    assert (image["min_ram"], image["min_disk"]) == (512, 0)
    assert image["hypervisor_type"] == "kvm"
    assert image["os_distro"] == "ubuntu"
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert image["created_at"].endswith("Z")
    assert "version" not in image
    assert "properties" not in image


def test_uploading_data_activates_the_image_and_records_its_digests(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    data = b"disk bytes " * 1000
    image = make_image(data)

    assert image["status"] == "active"
    assert image["size"] == len(data)
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    assert image["os_hash_algo"] == "sha512"
    assert image["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert image["virtual_size"] == len(data)


def test_download_streams_the_data_with_its_md5_and_answers_ranges(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    data = bytes(range(256)) * 10
    image = make_image(data)
    path = f"/v2/images/{image['id']}/file"

    whole = client.simulate_get(path, headers=OWNER)
    part = client.simulate_get(path, headers={**OWNER, "Range": "bytes=10-19"})

    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["Content-MD5"] == hashlib.md5(data).hexdigest()
    assert whole.headers["Content-Type"] == "application/octet-stream"
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"


def test_an_image_without_data_downloads_as_204(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image()

    result = client.simulate_get(f"/v2/images/{image['id']}/file", headers=OWNER)

    assert result.status_code == 204
    assert result.content == b""


def test_data_must_be_octet_stream(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image()

    result = client.simulate_put(
        f"/v2/images/{image['id']}/file",
        body=b"x",
        headers={**OWNER, "Content-Type": "text/plain", **ACCEPT_JSON},
    )

    assert result.status_code == 415
    assert result.json["code"] == "415 Unsupported Media Type"


def test_patch_adds_replaces_and_removes_attributes_and_properties_on_an_active_image(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"data", foo="1")

    result = glance_patch(
        client,
        image["id"],
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/min_ram", "value": 256},
        {"op": "add", "path": "/bar", "value": "2"},
        {"op": "replace", "path": "/foo", "value": "3"},
        {"op": "add", "path": "/os_distro", "value": "debian"},
    )
    removed = glance_patch(client, image["id"], {"op": "remove", "path": "/bar"})

    assert result.status_code == 200, result.text
    assert result.json["name"] == "renamed"
    assert result.json["min_ram"] == 256
    assert (result.json["foo"], result.json["bar"]) == ("3", "2")
    assert result.json["os_distro"] == "debian"
    assert removed.status_code == 200
    assert "bar" not in removed.json


def test_patch_refuses_read_only_attributes_missing_properties_and_other_media_types(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"data")
    image_id = image["id"]
    headers = {**OWNER, **ACCEPT_JSON}

    status = glance_patch(
        client, image_id, {"op": "replace", "path": "/status", "value": "queued"}, headers=headers
    )
    missing = glance_patch(
        client, image_id, {"op": "replace", "path": "/nope", "value": "x"}, headers=headers
    )
    not_string = glance_patch(
        client, image_id, {"op": "add", "path": "/nope", "value": 5}, headers=headers
    )
    formats = glance_patch(
        client, image_id, {"op": "replace", "path": "/disk_format", "value": "qcow2"}
    )
    plain = client.simulate_patch(
        f"/v2/images/{image_id}", body="[]", headers={**OWNER, **JSON_PATCH}
    )

    assert status.status_code == 403
    assert "read-only" in status.json["message"]
    assert missing.status_code == 409
    assert not_string.status_code == 400
    assert formats.status_code == 403
    assert plain.status_code == 415


def test_errors_are_glance_faults_in_json_or_html(client: falcon.testing.TestClient) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    as_json = client.simulate_get(f"/v2/images/{missing}", headers={**OWNER, **ACCEPT_JSON})
    as_html = client.simulate_get(f"/v2/images/{missing}", headers={**OWNER, "Accept": "*/*"})
    as_text = client.simulate_get(f"/v2/images/{missing}", headers=OWNER)
    no_route = client.simulate_get("/v2/nowhere", headers=ACCEPT_JSON)

    assert as_json.status_code == 404
    assert as_json.json["code"] == "404 Not Found"
    assert as_json.json["title"] == "Not Found"
    assert missing in as_json.json["message"]
    assert as_html.status_code == 404
    assert as_html.headers["Content-Type"].startswith("text/html")
    assert "<h1>404 Not Found</h1>" in as_html.text
    assert as_text.headers["Content-Type"].startswith("text/plain")
    assert as_text.text.startswith("404 Not Found\n\n")
    assert no_route.json["code"] == "404 Not Found"


def test_another_project_cannot_see_change_or_delete_a_private_image(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"secret")
    path = f"/v2/images/{image['id']}"

    assert client.simulate_get(path, headers=OTHER).status_code == 404
    assert client.simulate_get(f"{path}/file", headers=OTHER).status_code == 404
    assert client.simulate_delete(path, headers=OTHER).status_code == 404
    assert (
        glance_patch(
            client, image["id"], {"op": "add", "path": "/x", "value": "y"}, headers=OTHER
        ).status_code
        == 404
    )


def test_deactivation_is_for_admins_and_blocks_downloads_for_others(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"data")
    actions = f"/v2/images/{image['id']}/actions"

    by_owner = client.simulate_post(f"{actions}/deactivate", headers=OWNER)
    by_admin = client.simulate_post(f"{actions}/deactivate", headers=ADMIN)
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER)
    download = client.simulate_get(f"/v2/images/{image['id']}/file", headers=OWNER)
    admin_download = client.simulate_get(f"/v2/images/{image['id']}/file", headers=ADMIN)
    reactivated = client.simulate_post(f"{actions}/reactivate", headers=ADMIN)
    unknown = client.simulate_post(f"{actions}/explode", headers=ADMIN)

    assert by_owner.status_code == 403
    assert by_admin.status_code == 204
    assert shown.json["status"] == "deactivated"
    assert download.status_code == 403
    assert admin_download.status_code == 200
    assert reactivated.status_code == 204
    assert unknown.status_code == 404


def test_delete_removes_the_image(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"data")

    deleted = client.simulate_delete(f"/v2/images/{image['id']}", headers=OWNER)

    assert deleted.status_code == 204
    assert client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).status_code == 404


def test_one_catalog_an_image_is_the_same_artifact_through_both_doors(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"data", hw_disk_bus="virtio", min_disk=2)
    through_glare = client.simulate_get(f"/artifacts/images/{image['id']}", headers=OWNER).json

    created = client.simulate_post(
        "/artifacts/images",
        json={
            "name": "from-glare",
            "disk_format": "qcow2",
            "container_format": "bare",
            "properties": {"k": "v"},
        },
        headers={**OWNER, "Content-Type": "application/json"},
    ).json
    through_glance = client.simulate_get(f"/v2/images/{created['id']}", headers=OWNER).json

    assert through_glare["name"] == "cirros"
    assert through_glare["min_disk"] == 2
    assert through_glare["properties"] == {"hw_disk_bus": "virtio"}
    assert through_glare["image"]["md5"] == image["checksum"]
    assert through_glance["name"] == "from-glare"
    assert through_glance["k"] == "v"
    assert through_glance["status"] == "queued"
    assert through_glance["disk_format"] == "qcow2"


def test_data_needs_the_formats_first_and_nothing_is_stored_without_them(
    client: falcon.testing.TestClient,
) -> None:
    created = client.simulate_post("/v2/images", json={"name": "bare"}, headers=OWNER).json
    path = f"/v2/images/{created['id']}"

    refused = client.simulate_put(
        f"{path}/file", body=b"data", headers={**OWNER, **DATA, **ACCEPT_JSON}
    )
    shown = client.simulate_get(path, headers=OWNER).json

    assert refused.status_code == 400
    assert "disk_format" in refused.json["message"]
    assert (shown["status"], shown["size"]) == ("queued", None)
    assert client.simulate_get(f"{path}/file", headers=OWNER).status_code == 204


def test_names_are_required_and_unique_per_owner(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    make_image(name="twice")

    nameless = client.simulate_post("/v2/images", json={}, headers={**OWNER, **ACCEPT_JSON})
    again = client.simulate_post("/v2/images", json={"name": "twice"}, headers=OWNER)
    elsewhere = client.simulate_post("/v2/images", json={"name": "twice"}, headers=OTHER)

    assert nameless.status_code == 400
    assert again.status_code == 409
    assert elsewhere.status_code == 201


def test_the_v2_0_patch_dialect_and_default_protection_values_are_accepted(
    client: falcon.testing.TestClient, make_image: ImageMaker, registry: TypeRegistry
) -> None:
    image = make_image(b"data", protected=False, os_hidden=False)

    draft = client.simulate_patch(
        f"/v2/images/{image['id']}",
        body='[{"replace": "/name", "value": "draft"}, {"add": "/k", "value": "v"}]',
        headers={**OWNER, "Content-Type": "application/openstack-images-v2.0-json-patch"},
    )
    unprotect = glance_patch(
        client, image["id"], {"op": "replace", "path": "/protected", "value": False}
    )
    protect = glance_patch(
        client, image["id"], {"op": "replace", "path": "/protected", "value": True}
    )

    assert draft.status_code == 200, draft.text
    assert (draft.json["name"], draft.json["k"]) == ("draft", "v")
    assert unprotect.status_code == 200
    # Protection is the images type's: without its field, an image cannot be protected.
    assert protect.status_code == (200 if "protected" in registry.get("images").fields else 403)
