"""What Glance lets a client decide at creation, and what it refuses: a chosen id, a
visibility before the data is there, reserved and mistyped attributes, actions per status."""

from __future__ import annotations

import uuid

import falcon.testing
import pytest

from tests import factories as fx
from tests.api.glance.conftest import (
    ACCEPT_JSON,
    ADMIN,
    DATA,
    OTHER,
    OWNER,
    ImageMaker,
    glance_patch,
)


def _create(
    client: falcon.testing.TestClient, headers: dict[str, str] = OWNER, **attrs: object
) -> falcon.testing.Result:
    body = {"name": "cirros", "disk_format": "raw", "container_format": "bare", **attrs}
    return client.simulate_post("/v2/images", json=body, headers={**headers, **ACCEPT_JSON})


def test_a_client_chosen_id_is_kept_once(client: falcon.testing.TestClient) -> None:
    chosen = str(uuid.uuid4())

    first = _create(client, id=chosen)
    again = _create(client, name="other", id=chosen)
    bad = _create(client, name="third", id="not-a-uuid")

    assert first.status_code == 201
    assert first.json["id"] == chosen
    assert client.simulate_get(f"/v2/images/{chosen}", headers=OWNER).status_code == 200
    assert again.status_code == 409
    assert f"Image ID {chosen} already exists" in again.json["message"]
    assert bad.status_code == 400


def test_a_chosen_id_with_a_name_already_used_is_the_name_conflict(
    client: falcon.testing.TestClient,
) -> None:
    assert _create(client).status_code == 201

    again = _create(client, id=str(uuid.uuid4()))

    assert again.status_code == 409
    assert "Image ID" not in again.json["message"]


def test_an_id_taken_by_another_type_is_a_conflict(client: falcon.testing.TestClient) -> None:
    widget = fx.create(client, "widgets", name="w")

    assert _create(client, id=widget["id"]).status_code == 409


@pytest.mark.parametrize(
    ("visibility", "headers", "status"),
    [
        ("public", ADMIN, 201),
        ("public", OWNER, 403),
        ("community", OWNER, 201),
        ("shared", OWNER, 201),
        ("private", OWNER, 201),
    ],
)
def test_a_visibility_may_be_given_at_creation_as_the_policy_allows(
    client: falcon.testing.TestClient, visibility: str, headers: dict[str, str], status: int
) -> None:
    created = _create(client, headers, visibility=visibility)

    assert created.status_code == status, created.text
    if status == 201:
        assert created.json["visibility"] == visibility
        assert created.json["status"] == "queued"
    else:
        listed = client.simulate_get("/v2/images", headers=OWNER).json["images"]
        assert listed == []  # nothing was created


def test_a_public_image_created_before_its_data_is_seen_by_all_and_activates(
    client: falcon.testing.TestClient,
) -> None:
    image = _create(client, ADMIN, visibility="public").json
    uploaded = client.simulate_put(
        f"/v2/images/{image['id']}/file", body=b"data", headers={**ADMIN, **DATA}
    )
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OTHER).json

    assert uploaded.status_code == 204
    assert (shown["visibility"], shown["status"]) == ("public", "active")


def test_a_queued_image_may_be_shared_here_but_a_drafted_artifact_not_through_glare(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    through_glance = make_image(visibility="private")
    through_glare = make_image(name="other", visibility="private")

    shared = glance_patch(
        client, through_glance["id"], {"op": "replace", "path": "/visibility", "value": "community"}
    )
    refused = fx.patch(
        client, "images", through_glare["id"], [fx.replace("visibility", "community")], OWNER
    )

    assert shared.status_code == 200, shared.text
    assert shared.json["visibility"] == "community"
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "attribute", ["os_glance_import_task", "os_glance_anything", "location", "deleted_at"]
)
def test_reserved_attributes_are_403_on_create_and_patch(
    client: falcon.testing.TestClient, make_image: ImageMaker, attribute: str
) -> None:
    image = make_image()

    created = _create(client, name="reserved", **{attribute: "x"})
    patched = glance_patch(
        client, image["id"], {"op": "add", "path": f"/{attribute}", "value": "x"}
    )

    assert created.status_code == 403
    assert "is reserved" in created.json["message"]
    assert patched.status_code == 403
    assert attribute not in client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json


@pytest.mark.parametrize(
    "attrs",
    [{"name": 5}, {"min_disk": "two"}, {"protected": "yes"}, {"tags": "one"}, {"x": ["list"]}],
)
def test_values_of_the_wrong_type_are_400_not_coerced(
    client: falcon.testing.TestClient, attrs: dict[str, object]
) -> None:
    created = _create(client, **attrs)

    assert created.status_code == 400
    assert "does not match schema 'image'" in created.json["message"]


@pytest.mark.parametrize("action", ["deactivate", "reactivate"])
def test_actions_on_an_image_without_data_are_403_and_change_nothing(
    client: falcon.testing.TestClient, make_image: ImageMaker, action: str
) -> None:
    image = make_image()

    answered = client.simulate_post(
        f"/v2/images/{image['id']}/actions/{action}", headers={**ADMIN, **ACCEPT_JSON}
    )

    assert answered.status_code == 403
    assert f"Not allowed to {action} image in status 'queued'" in answered.json["message"]
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json
    assert shown["status"] == "queued"


def test_an_unknown_visibility_filter_is_400(client: falcon.testing.TestClient) -> None:
    answered = client.simulate_get(
        "/v2/images", params={"visibility": "everyone"}, headers={**OWNER, **ACCEPT_JSON}
    )

    assert answered.status_code == 400
