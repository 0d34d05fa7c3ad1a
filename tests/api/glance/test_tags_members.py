"""Tags and members through the Glance door: Glance's calls on the engine's sharing model."""

from __future__ import annotations

import falcon.testing

from tests.api.glance.conftest import ACCEPT_JSON, OTHER, OWNER, ImageMaker, glance_patch, listed


def test_tags_are_added_idempotently_and_removed(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"x")
    tags = f"/v2/images/{image['id']}/tags"

    first = client.simulate_put(f"{tags}/red", headers=OWNER)
    again = client.simulate_put(f"{tags}/red", headers=OWNER)
    client.simulate_put(f"{tags}/blue", headers=OWNER)
    removed = client.simulate_delete(f"{tags}/red", headers=OWNER)
    missing = client.simulate_delete(f"{tags}/red", headers={**OWNER, **ACCEPT_JSON})
    shown = client.simulate_get(f"/v2/images/{image['id']}", headers=OWNER).json

    assert (first.status_code, again.status_code, removed.status_code) == (204, 204, 204)
    assert missing.status_code == 404
    assert shown["tags"] == ["blue"]


def test_sharing_walk_through_with_glance_member_statuses(
    client: falcon.testing.TestClient, make_image: ImageMaker
) -> None:
    image = make_image(b"x", visibility="private")
    members = f"/v2/images/{image['id']}/members"

    while_private = client.simulate_post(members, json={"member": "p2"}, headers=OWNER)
    glance_patch(client, image["id"], {"op": "replace", "path": "/visibility", "value": "shared"})
    added = client.simulate_post(members, json={"member": "p2"}, headers=OWNER)
    pending_list = listed(client, "", headers=OTHER)
    pending_asked = listed(client, "member_status=pending", headers=OTHER)
    accepted = client.simulate_put(f"{members}/p2", json={"status": "accepted"}, headers=OTHER)
    after = listed(client, "", headers=OTHER)
    download = client.simulate_get(f"/v2/images/{image['id']}/file", headers=OTHER)
    listing = client.simulate_get(members, headers=OWNER)
    by_member = client.simulate_post(members, json={"member": "p3"}, headers=OTHER)
    removed = client.simulate_delete(f"{members}/p2", headers=OWNER)

    assert while_private.status_code == 403
    assert added.status_code == 200, added.text
    assert added.json["status"] == "pending"
    assert added.json["image_id"] == image["id"]
    assert added.json["member_id"] == "p2"
    assert added.json["schema"] == "/v2/schemas/member"
    assert pending_list == []
    assert pending_asked == ["cirros"]
    assert accepted.json["status"] == "accepted"
    assert after == ["cirros"]
    assert download.content == b"x"
    assert [m["member_id"] for m in listing.json["members"]] == ["p2"]
    assert listing.json["schema"] == "/v2/schemas/members"
    assert by_member.status_code == 403
    assert removed.status_code == 204
    assert listed(client, "", headers=OTHER) == []
