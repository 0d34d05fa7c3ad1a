"""Protected and hidden images through the Glare door; the Glance door's tests mirror these.

The rules are the images type's (its ``before_delete`` hook, ``os_hidden`` hiding from lists),
run by the engine, so every door answers alike; these run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import falcon.testing

from tests import factories as fx


def image(client: falcon.testing.TestClient, name: str = "cirros", **fields: object) -> dict:
    return fx.create(
        client, "images", name=name, disk_format="raw", container_format="bare", **fields
    )


def test_a_protected_image_cannot_be_deleted_until_unprotected(
    client: falcon.testing.TestClient,
) -> None:
    protected = image(client, protected=True)

    refused = fx.delete(client, "images", protected["id"])
    by_admin = fx.delete(client, "images", protected["id"], fx.ADMIN)
    still = fx.show(client, "images", protected["id"])
    unprotect = fx.patch(client, "images", protected["id"], [fx.replace("protected", False)])
    deleted = fx.delete(client, "images", protected["id"])

    body = fx.assert_error(refused, 403)
    assert "is protected and cannot be deleted" in body["error"]["message"]
    fx.assert_error(by_admin, 403)
    assert still.status_code == 200
    assert still.json["protected"] is True
    assert unprotect.status_code == 200, unprotect.text
    assert deleted.status_code == 204


def test_protection_is_mutable_on_an_active_image_and_does_not_stop_its_lifecycle(
    client: falcon.testing.TestClient,
) -> None:
    created = image(client)
    uploaded = client.simulate_put(
        f"/artifacts/images/{created['id']}/image",
        body=b"raw disk bytes",
        headers={**fx.identity(), "Content-Type": "application/octet-stream"},
    )
    assert uploaded.status_code == 200, uploaded.text
    fx.activate(client, "images", created["id"])

    protect = fx.patch(client, "images", created["id"], [fx.replace("protected", True)])
    deactivate = fx.patch(
        client, "images", created["id"], [fx.replace("status", "deactivated")], fx.ADMIN
    )
    reactivate = fx.patch(
        client, "images", created["id"], [fx.replace("status", "active")], fx.ADMIN
    )

    assert protect.status_code == 200, protect.text
    assert deactivate.status_code == 200, deactivate.text
    assert reactivate.status_code == 200, reactivate.text
    fx.assert_error(fx.delete(client, "images", created["id"]), 403)


def test_protected_must_be_a_boolean(client: falcon.testing.TestClient) -> None:
    created = image(client)
    result = fx.patch(client, "images", created["id"], [fx.replace("protected", "yes")])
    fx.assert_error(result, 400)


def test_hidden_images_are_left_out_of_lists_unless_asked_for(
    client: falcon.testing.TestClient,
) -> None:
    shown = image(client, "shown")
    hidden = image(client, "hidden", os_hidden=True)

    default = fx.list_ids(client, "/artifacts/images")
    only_hidden = fx.list_ids(client, "/artifacts/images", "os_hidden=true")
    not_hidden = fx.list_ids(client, "/artifacts/images", "os_hidden=false")
    direct = fx.show(client, "images", hidden["id"])

    assert default == [shown["id"]]
    assert only_hidden == [hidden["id"]]
    assert not_hidden == [shown["id"]]
    assert direct.status_code == 200
    assert direct.json["os_hidden"] is True


def test_unhiding_an_image_lists_it_again(client: falcon.testing.TestClient) -> None:
    hidden = image(client, os_hidden=True)
    result = fx.patch(client, "images", hidden["id"], [fx.replace("os_hidden", False)])
    assert result.status_code == 200, result.text
    assert fx.list_ids(client, "/artifacts/images") == [hidden["id"]]
