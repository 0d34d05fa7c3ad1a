"""The members API in detail, and what invisible artifacts must never reveal."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import falcon.testing
import pytest
from sqlalchemy import func, select

from artifacts.config import Settings
from artifacts.db.models import MemberRow
from artifacts.engine.services import Services
from tests.access import MEMBER_PROJECTS, OWNER, AuthMode, World, auth_mode, build_world
from tests.factories import JSON, JSON_PATCH, assert_error


@pytest.fixture
def mode(settings: Settings, services: Services) -> AuthMode:
    return auth_mode("trusted-headers", settings, services)


def members_path(world: World) -> str:
    return f"/artifacts/widgets/{world.id}/members"


def test_sharing_walk_through_owner_shares_member_accepts_lists_and_downloads(
    mode: AuthMode,
) -> None:
    client = mode.client
    world = build_world(mode, "shared")
    member = mode.headers("pending")

    before = client.simulate_get("/artifacts/widgets", headers=member)
    answered = client.simulate_put(
        f"{members_path(world)}/{MEMBER_PROJECTS['pending']}",
        json={"status": "accepted"},
        headers={**member, **JSON},
    )
    after = client.simulate_get("/artifacts/widgets", headers=member)
    blob = client.simulate_get(f"/artifacts/widgets/{world.id}/manual", headers=member)

    assert before.json["artifacts"] == []
    assert answered.status_code == 200, answered.text
    assert answered.json["status"] == "accepted"
    assert answered.json["updated_at"] > answered.json["created_at"]
    assert [item["id"] for item in after.json["artifacts"]] == [world.id]
    assert blob.status_code == 200
    assert blob.content == b"blob data of the shared widget"


def test_adding_a_member_answers_201_with_location_and_a_pending_membership(
    mode: AuthMode,
) -> None:
    world = build_world(mode, "shared")

    result = mode.client.simulate_post(
        members_path(world), json={"member": " p-new "}, headers={**mode.headers("owner"), **JSON}
    )

    assert result.status_code == 201, result.text
    assert result.headers["Location"] == f"{members_path(world)}/p-new"
    assert result.json["member_id"] == "p-new"
    assert result.json["artifact_id"] == world.id
    assert result.json["status"] == "pending"
    shown = mode.client.simulate_get(f"{members_path(world)}/p-new", headers=mode.headers("owner"))
    assert shown.json == result.json


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"member": ""}, "BadRequest"),
        ({"member": 42}, "BadRequest"),
        ({"member": "x" * 256}, "BadRequest"),
        ({"member": OWNER}, "BadRequest"),
        ({"member": "p-new", "status": "accepted"}, "BadRequest"),
        (["p-new"], "BadRequest"),
    ],
)
def test_bad_member_bodies_are_400(mode: AuthMode, body: object, error_type: str) -> None:
    world = build_world(mode, "shared")

    result = mode.client.simulate_post(
        members_path(world), json=body, headers={**mode.headers("owner"), **JSON}
    )

    assert_error(result, 400, error_type)


def test_adding_a_member_twice_is_409(mode: AuthMode) -> None:
    world = build_world(mode, "shared")

    result = mode.client.simulate_post(
        members_path(world),
        json={"member": MEMBER_PROJECTS["accepted"]},
        headers={**mode.headers("owner"), **JSON},
    )

    assert_error(result, 409, "Conflict")


@pytest.mark.parametrize("status", ["maybe", "", None, 1])
def test_an_unknown_member_status_is_400(mode: AuthMode, status: object) -> None:
    world = build_world(mode, "shared")

    result = mode.client.simulate_put(
        f"{members_path(world)}/{MEMBER_PROJECTS['pending']}",
        json={"status": status},
        headers={**mode.headers("pending"), **JSON},
    )

    body = assert_error(result, 400, "BadRequest")
    assert "pending, accepted, rejected" in body["error"]["message"]


def test_a_rejected_member_may_change_its_mind(mode: AuthMode) -> None:
    world = build_world(mode, "shared")
    rejected = mode.headers("rejected")
    path = f"/artifacts/widgets/{world.id}"
    assert mode.client.simulate_get(path, headers=rejected).status_code == 404

    result = mode.client.simulate_put(
        f"{members_path(world)}/{MEMBER_PROJECTS['rejected']}",
        json={"status": "accepted"},
        headers={**rejected, **JSON},
    )

    assert result.status_code == 200, result.text
    assert mode.client.simulate_get(path, headers=rejected).status_code == 200


def test_a_removed_member_loses_sight_of_the_artifact(mode: AuthMode) -> None:
    world = build_world(mode, "shared")
    accepted = mode.headers("accepted")

    removed = mode.client.simulate_delete(
        f"{members_path(world)}/{MEMBER_PROJECTS['accepted']}", headers=mode.headers("owner")
    )

    assert removed.status_code == 204
    shown = mode.client.simulate_get(f"/artifacts/widgets/{world.id}", headers=accepted)
    assert_error(shown, 404, "ArtifactNotFound")


def test_memberships_go_with_the_artifact(mode: AuthMode, services: Services) -> None:
    world = build_world(mode, "shared")
    path = f"/artifacts/widgets/{world.id}"

    assert mode.client.simulate_delete(path, headers=mode.headers("owner")).status_code == 204

    with services.database.read() as session:
        assert session.scalar(select(func.count()).select_from(MemberRow)) == 0


def test_an_unknown_membership_of_a_visible_artifact_is_404(mode: AuthMode) -> None:
    world = build_world(mode, "shared")

    result = mode.client.simulate_get(
        f"{members_path(world)}/p-nobody", headers=mode.headers("owner")
    )

    assert_error(result, 404, "NotFound")


def test_members_of_an_unknown_type_are_404(mode: AuthMode) -> None:
    result = mode.client.simulate_get(
        f"/artifacts/sprockets/{uuid.uuid4()}/members", headers=mode.headers("owner")
    )

    assert_error(result, 404, "TypeNotFound")


# --- nothing leaks -------------------------------------------------------------------------------

#: (method, path suffix, body) of every operation on one artifact.
OPERATIONS = [
    ("GET", "", None),
    ("GET", "/manual", None),
    ("PATCH", "", [{"op": "replace", "path": "/notes", "value": "x"}]),
    ("DELETE", "", None),
    ("PUT", "/manual", b"data"),
    ("GET", "/members", None),
    ("POST", "/members", {"member": "p-new"}),
    ("GET", f"/members/{MEMBER_PROJECTS['accepted']}", None),
    ("PUT", f"/members/{MEMBER_PROJECTS['accepted']}", {"status": "rejected"}),
    ("DELETE", f"/members/{MEMBER_PROJECTS['accepted']}", None),
]


def _call(
    client: falcon.testing.TestClient,
    headers: dict[str, str],
    artifact_id: str,
    operation: tuple[str, str, object],
) -> falcon.testing.Result:
    method, suffix, body = operation
    extra = {}
    if isinstance(body, bytes):
        payload: bytes | str | None = body
    elif body is None:
        payload = None
    else:
        payload = json.dumps(body)
        extra = JSON_PATCH if method == "PATCH" else JSON
    return client.simulate_request(
        method,
        f"/artifacts/widgets/{artifact_id}{suffix}",
        body=payload,
        headers={**headers, **extra},
    )


@pytest.mark.parametrize(
    ("visibility", "caller"),
    [
        ("private", "accepted"),
        ("private", "other"),
        ("private", "anonymous"),
        ("shared", "other"),
        ("shared", "anonymous"),
        ("community", "anonymous"),
    ],
)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op[0]} {op[1]}")
def test_an_invisible_artifact_answers_exactly_like_a_missing_one(
    mode: AuthMode, visibility: str, caller: str, operation: tuple[str, str, object]
) -> None:
    world = build_world(mode, visibility)
    missing = str(uuid.uuid4())
    headers = mode.headers(caller)

    hidden = _call(mode.client, headers, world.id, operation)
    absent = _call(mode.client, headers, missing, operation)

    assert hidden.status_code == absent.status_code == 404
    normalised = hidden.text.replace(world.id, missing)
    assert json.loads(normalised) | {"request_id": None} == absent.json | {"request_id": None}


def _error(result: falcon.testing.Result, replace: Callable[[str], str]) -> dict[str, object]:
    body = json.loads(replace(result.text))
    body["request_id"] = None
    return body


def test_a_marker_naming_an_invisible_artifact_is_the_same_error_as_a_missing_one(
    mode: AuthMode,
) -> None:
    world = build_world(mode, "private")
    missing = str(uuid.uuid4())
    other = mode.headers("other")

    hidden = mode.client.simulate_get(
        "/artifacts/widgets", query_string=f"marker={world.id}", headers=other
    )
    absent = mode.client.simulate_get(
        "/artifacts/widgets", query_string=f"marker={missing}", headers=other
    )

    assert_error(hidden, 404, "ArtifactNotFound")
    assert _error(hidden, lambda text: text.replace(world.id, missing)) == _error(
        absent, lambda text: text
    )


COMMON_QUERIES = [
    "name=shared-widget",
    "owner=p-owner",
    "id=in:{id}",
    "visibility=private",
    "visibility=shared",
    "sort=owner:asc,name:desc",
]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        *[("/artifacts/widgets", query) for query in COMMON_QUERIES],
        ("/artifacts/widgets", "notes=first"),
        ("/artifacts/widgets", "sort=weight:desc"),
        *[("/artifacts/all", query) for query in COMMON_QUERIES],
    ],
)
def test_filters_and_sort_keys_never_reach_invisible_artifacts(
    mode: AuthMode, path: str, query: str
) -> None:
    world = build_world(mode, "shared")

    for caller in ("other", "pending", "rejected", "anonymous"):
        result = mode.client.simulate_get(
            path, query_string=query.format(id=world.id), headers=mode.headers(caller)
        )
        assert result.status_code == 200, result.text
        assert result.json["artifacts"] == [], (caller, query)


# --- member_status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member_status", "listed_for"),
    [
        ("", {"accepted"}),
        ("accepted", {"accepted"}),
        ("pending", {"pending"}),
        ("all", {"accepted", "pending"}),
    ],
)
def test_member_status_lists_the_shares_awaiting_an_answer(
    mode: AuthMode, member_status: str, listed_for: set[str]
) -> None:
    world = build_world(mode, "shared")
    query = f"member_status={member_status}" if member_status else ""

    listed = set()
    for caller in ("accepted", "pending", "rejected", "other", "anonymous"):
        result = mode.client.simulate_get(
            "/artifacts/widgets", query_string=query, headers=mode.headers(caller)
        )
        assert result.status_code == 200, result.text
        if [item["id"] for item in result.json["artifacts"]] == [world.id]:
            listed.add(caller)

    assert listed == listed_for


def test_member_status_is_kept_in_the_next_link(mode: AuthMode) -> None:
    for index in range(3):
        build_world(mode, "shared", name=f"widget-{index}")

    result = mode.client.simulate_get(
        "/artifacts/widgets",
        query_string="member_status=pending&limit=2",
        headers=mode.headers("pending"),
    )

    assert len(result.json["artifacts"]) == 2
    assert "member_status=pending" in result.json["next"]


@pytest.mark.parametrize("query", ["member_status=rejected", "member_status=a&member_status=b"])
def test_bad_member_status_is_400(mode: AuthMode, query: str) -> None:
    result = mode.client.simulate_get(
        "/artifacts/widgets", query_string=query, headers=mode.headers("pending")
    )

    body = assert_error(result, 400, "BadRequest")
    assert "member_status" in body["error"]["message"]
