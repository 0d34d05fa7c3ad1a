"""``GET /whoami``: the identity the service resolved, for clients checking their settings."""

from __future__ import annotations

import falcon.testing


def test_whoami_answers_the_resolved_identity(client: falcon.testing.TestClient) -> None:
    seen = client.simulate_get(
        "/whoami", headers={"X-Project-Id": "p1", "X-User-Id": "u1", "X-Roles": "Member,admin"}
    )
    assert seen.status_code == 200
    assert seen.json == {
        "project_id": "p1",
        "user_id": "u1",
        "roles": ["admin", "member"],
        "authenticated": True,
    }


def test_whoami_answers_anonymous_callers_too(client: falcon.testing.TestClient) -> None:
    assert client.simulate_get("/whoami").json == {
        "project_id": None,
        "user_id": None,
        "roles": [],
        "authenticated": False,
    }
