"""Type hooks around every operation: what they are told, refusals, and failures after commit."""

from __future__ import annotations

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.engine.services import Services
from artifacts.model.hooks import BlobEvent, HookContext
from tests import factories as fx
from tests.plugin_types import JOURNAL, Hooked

OWNER = fx.identity()


@pytest.fixture
def client(settings: Settings, contract_services: Services) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(settings, contract_services))


def url(artifact: dict, tail: str = "") -> str:
    return f"/artifacts/hooked/{artifact['id']}{tail}"


def contexts(name: str) -> list[HookContext]:
    return [detail[0] for call, detail in JOURNAL.calls if call == name]


def test_every_event_calls_its_hooks_in_order(client: falcon.testing.TestClient) -> None:
    artifact = fx.create(client, "hooked", name="h")
    put = client.simulate_put(
        url(artifact, "/data"), body=b"bytes", headers={**OWNER, "Content-Type": "text/plain"}
    )
    assert put.status_code == 200
    fx.publish(client, "hooked", artifact["id"])
    assert client.simulate_get(url(artifact, "/data"), headers=OWNER).content == b"bytes"
    deactivate = fx.patch(
        client, "hooked", artifact["id"], [fx.replace("status", "deactivated")], fx.ADMIN
    )
    assert deactivate.status_code == 200
    assert client.simulate_delete(url(artifact), headers=fx.ADMIN).status_code == 204
    assert JOURNAL.names() == [
        "before_create",
        "after_create",
        "before_upload",
        "after_upload",
        "before_update",
        "before_activate",
        "after_update",
        "after_activate",
        "before_update",
        "before_publish",
        "after_update",
        "after_publish",
        "before_download",
        "after_download",
        "before_update",
        "before_deactivate",
        "after_update",
        "after_deactivate",
        "before_delete",
        "after_delete",
    ]


def test_hooks_are_told_the_caller_the_change_and_both_states(
    client: falcon.testing.TestClient,
) -> None:
    artifact = fx.create(client, "hooked", name="h", notes="one")
    (created,) = contexts("after_create")
    assert created.before is None
    assert created.after is not None
    assert created.after["id"] == artifact["id"]
    assert created.changed == {"name", "notes"}
    assert created.caller.project_id == "p1"
    assert created.caller.user_id == "u1"
    fx.patch(client, "hooked", artifact["id"], [fx.replace("notes", "two")])
    (before,) = contexts("before_update")
    assert before.event == "update"
    assert before.changed == {"notes"}
    assert before.before is not None
    assert before.after is not None
    assert (before.before["notes"], before.after["notes"]) == ("one", "two")
    (after,) = contexts("after_update")
    assert after.after is not None
    assert after.after["updated_at"] != artifact["updated_at"]


def test_blob_hooks_get_the_blob(client: falcon.testing.TestClient) -> None:
    artifact = fx.create(client, "hooked", name="h")
    client.simulate_put(
        url(artifact, "/data"), body=b"12345", headers={**OWNER, "Content-Type": "text/plain"}
    )
    (before,) = [detail[1] for call, detail in JOURNAL.calls if call == "before_upload"]
    (after,) = [detail[1] for call, detail in JOURNAL.calls if call == "after_upload"]
    assert before == BlobEvent("data", "", "text/plain", 5, {})
    assert isinstance(after, BlobEvent)
    assert after.size == 5
    assert set(after.digests) == {"md5", "sha1", "sha256"}


def test_a_refusing_before_hook_is_a_400_naming_the_field_and_changes_nothing(
    client: falcon.testing.TestClient,
) -> None:
    refused = client.simulate_post(
        "/artifacts/hooked", json={"name": "x", "notes": Hooked.REFUSED}, headers=OWNER
    )
    assert refused.status_code == 400
    assert refused.json["error"]["type"] == "Refused"
    assert refused.json["error"]["message"] == "Field 'notes': new artifacts may not say that"
    assert client.simulate_get("/artifacts/hooked", headers=OWNER).json["artifacts"] == []
    artifact = fx.create(client, "hooked", name="h", notes="fine")
    result = fx.patch(client, "hooked", artifact["id"], [fx.replace("notes", Hooked.REFUSED)])
    assert result.status_code == 400
    assert client.simulate_get(url(artifact), headers=OWNER).json["notes"] == "fine"
    assert "after_update" not in JOURNAL.names()


def test_a_not_allowed_before_hook_is_a_403(client: falcon.testing.TestClient) -> None:
    artifact = fx.create(client, "hooked", name="h", locked=True)
    deleted = client.simulate_delete(url(artifact), headers=OWNER)
    assert deleted.status_code == 403
    assert deleted.json["error"]["type"] == "NotAllowed"
    assert "Field 'locked': unlock it first" in deleted.json["error"]["message"]
    assert client.simulate_get(url(artifact), headers=OWNER).status_code == 200
    upload = client.simulate_put(
        url(artifact, "/data"), body=b"x", headers={**OWNER, "Content-Type": "text/plain"}
    )
    assert upload.status_code == 403
    assert client.simulate_get(url(artifact), headers=OWNER).json["data"] is None


def test_a_crashing_before_hook_changes_nothing(client: falcon.testing.TestClient) -> None:
    artifact = fx.create(client, "hooked", name="h", notes="fine")
    result = fx.patch(client, "hooked", artifact["id"], [fx.replace("notes", Hooked.BEFORE_CRASH)])
    assert result.status_code == 500
    assert result.json["error"]["type"] == "PluginError"
    assert client.simulate_get(url(artifact), headers=OWNER).json["notes"] == "fine"


def test_a_failing_after_hook_is_logged_and_counted_and_the_change_stays(
    client: falcon.testing.TestClient,
    contract_services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    artifact = fx.create(client, "hooked", name="h")
    result = fx.patch(client, "hooked", artifact["id"], [fx.replace("notes", Hooked.AFTER_CRASH)])
    assert result.status_code == 200
    assert result.json["notes"] == Hooked.AFTER_CRASH
    assert client.simulate_get(url(artifact), headers=OWNER).json["notes"] == Hooked.AFTER_CRASH
    assert contract_services.hooks.failures[("hooked", "after_update")] == 1
    assert any("after_update failed after the change" in r.message for r in caplog.records)
    metrics = client.simulate_get("/metrics").text
    assert 'artifacts_hook_failures_total{hook="after_update",type="hooked"} 1.0' in metrics
