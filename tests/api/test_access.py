"""The access matrix: callers by visibilities by operations, through HTTP, in every auth mode.

Each table gives, per caller, the outcome for an artifact that is (private, shared, community,
public). Every artifact was first shared with three member projects that answered accepted,
pending and rejected, then given the visibility under test — so the members of a private
artifact are members of an artifact made private again, whose memberships must grant nothing.

Outcomes are HTTP statuses, or for lists whether the artifact is listed ("in") or not ("out").
Read-only operations run every caller against one artifact; changing operations get a fresh
artifact per caller. The same tables hold in every auth mode: only how identities are presented
changes (trusted headers, API tokens, keystonemiddleware's environ), and what a refused
anonymous write is told (:data:`GUEST`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import falcon.testing
import pytest

from artifacts.config import Settings
from artifacts.engine.services import Services
from tests.access import (
    AUTH_MODES,
    BLOB,
    CALLERS,
    MEMBER_PROJECTS,
    OTHER,
    VISIBILITIES,
    AuthMode,
    World,
    auth_mode,
    build_world,
)
from tests.factories import JSON, JSON_PATCH

Row = tuple[Any, Any, Any, Any]
Table = Mapping[str, Row]

#: A write refused to an anonymous caller: 403 where identity comes from trusted headers (a
#: guest, as Glare's pipelines answer), 401 in the token modes (authenticating is the remedy).
GUEST = "guest"


def _in_mode(mode: AuthMode, outcome: Any) -> Any:
    if outcome == GUEST:
        return 403 if mode.name == "trusted-headers" else 401
    return outcome


# --- the tables --------------------------------------------------------------------------------
#                   private  shared  community  public

SEE: Table = {
    "owner": (200, 200, 200, 200),
    "accepted": (404, 200, 200, 200),
    "pending": (404, 200, 200, 200),
    "rejected": (404, 404, 200, 200),
    "other": (404, 404, 200, 200),
    "admin": (200, 200, 200, 200),
    "anonymous": (404, 404, 404, 200),
}

#: Default lists: own + public + accepted shares (shared or community).
LISTED: Table = {
    "owner": ("in", "in", "in", "in"),
    "accepted": ("out", "in", "in", "in"),
    "pending": ("out", "out", "out", "in"),
    "rejected": ("out", "out", "out", "in"),
    "other": ("out", "out", "out", "in"),
    "admin": ("in", "in", "in", "in"),
    "anonymous": ("out", "out", "out", "in"),
}

#: ``?visibility=community``: every community artifact, for any project.
LISTED_AS_COMMUNITY: Table = {
    "owner": ("out", "out", "in", "out"),
    "accepted": ("out", "out", "in", "out"),
    "pending": ("out", "out", "in", "out"),
    "rejected": ("out", "out", "in", "out"),
    "other": ("out", "out", "in", "out"),
    "admin": ("out", "out", "in", "out"),
    "anonymous": ("out", "out", "out", "out"),
}

#: ``/artifacts/all?visibility=in:community,shared``: community ones, and the accepted shares.
LISTED_AS_COMMUNITY_OR_SHARED: Table = {
    "owner": ("out", "in", "in", "out"),
    "accepted": ("out", "in", "in", "out"),
    "pending": ("out", "out", "in", "out"),
    "rejected": ("out", "out", "in", "out"),
    "other": ("out", "out", "in", "out"),
    "admin": ("out", "in", "in", "out"),
    "anonymous": ("out", "out", "out", "out"),
}

#: Changing the artifact (a PATCH of a mutable field); a public one is the admin's.
CHANGE: Table = {
    "owner": (200, 200, 200, 403),
    "accepted": (404, 403, 403, 403),
    "pending": (404, 403, 403, 403),
    "rejected": (404, 404, 403, 403),
    "other": (404, 404, 403, 403),
    "admin": (200, 200, 200, 200),
    "anonymous": (404, 404, 404, GUEST),
}

#: Deleting it; a public one is the admin's.
DELETE: Table = {
    "owner": (204, 204, 204, 403),
    "accepted": (404, 403, 403, 403),
    "pending": (404, 403, 403, 403),
    "rejected": (404, 404, 403, 403),
    "other": (404, 404, 403, 403),
    "admin": (204, 204, 204, 204),
    "anonymous": (404, 404, 404, GUEST),
}

#: Listing members: owner and admin see all, a member its own membership (even rejected).
MEMBER_LIST: Table = {
    "owner": (200, 200, 200, 200),
    "accepted": (404, 200, 200, 200),
    "pending": (404, 200, 200, 200),
    "rejected": (404, 200, 200, 200),
    "other": (404, 404, 403, 403),
    "admin": (200, 200, 200, 200),
    "anonymous": (404, 404, 404, GUEST),
}

#: A member answering (PUT its own status); the owner cannot answer for it (a 403 on the
#: pending member's record); another project has no membership to answer for (404).
MEMBER_ANSWER: Table = {
    "owner": (403, 403, 403, 403),
    "accepted": (404, 200, 200, 200),
    "pending": (404, 200, 200, 200),
    "rejected": (404, 200, 200, 200),
    "other": (404, 404, 404, 404),
    "admin": (200, 200, 200, 200),
    "anonymous": (404, 404, 404, 404),
}

#: Sharing with a new project: the owner's (or an admin's), and only shared/community artifacts
#: have members.
MEMBER_ADD: Table = {
    "owner": (403, 201, 201, 403),
    "accepted": (404, 403, 403, 403),
    "pending": (404, 403, 403, 403),
    "rejected": (404, 403, 403, 403),
    "other": (404, 404, 403, 403),
    "admin": (403, 201, 201, 403),
    "anonymous": (404, 404, 404, GUEST),
}

#: Removing the pending member: members cannot remove themselves (403); another project is not
#: shown memberships other than its own (404).
MEMBER_REMOVE: Table = {
    "owner": (204, 204, 204, 204),
    "accepted": (404, 403, 403, 403),
    "pending": (404, 403, 403, 403),
    "rejected": (404, 403, 403, 403),
    "other": (404, 404, 404, 404),
    "admin": (204, 204, 204, 204),
    "anonymous": (404, 404, 404, 404),
}

#: Making the artifact public (or withdrawing it: MAKE_PRIVATE of a public one) is the admin's.
MAKE_PUBLIC: Table = {
    "owner": (403, 403, 403, 403),  # a public artifact is the admin's to change
    "accepted": (404, 403, 403, 403),
    "pending": (404, 403, 403, 403),
    "rejected": (404, 404, 403, 403),
    "other": (404, 404, 403, 403),
    "admin": (200, 200, 200, 200),
    "anonymous": (404, 404, 404, GUEST),
}

#: Shared, community and private are the owner's choice — except away from public.
MAKE_OWNER_CHOICE: Table = {
    "owner": (200, 200, 200, 403),
    "accepted": (404, 403, 403, 403),
    "pending": (404, 403, 403, 403),
    "rejected": (404, 404, 403, 403),
    "other": (404, 404, 403, 403),
    "admin": (200, 200, 200, 200),
    "anonymous": (404, 404, 404, GUEST),
}


# --- the operations ----------------------------------------------------------------------------

Operation = Callable[[AuthMode, World, str], Any]


def _path(world: World) -> str:
    return f"/artifacts/widgets/{world.id}"


def _status(result: falcon.testing.Result, ok: int = 200) -> int:
    if result.status_code == ok:
        return result.status_code
    body = result.json
    assert body["code"] == result.status_code, result.text
    assert body["error"]["type"], result.text
    return result.status_code


def show(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_get(_path(world), headers=mode.headers(caller))
    if result.status_code == 200:
        assert result.json["id"] == world.id
    return _status(result)


def show_all(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_get(f"/artifacts/all/{world.id}", headers=mode.headers(caller))
    return _status(result)


def download(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_get(f"{_path(world)}/manual", headers=mode.headers(caller))
    if result.status_code == 200:
        assert result.content == BLOB
    return _status(result)


def _listed(mode: AuthMode, caller: str, path: str, query: str) -> str:
    result = mode.client.simulate_get(path, query_string=query, headers=mode.headers(caller))
    assert result.status_code == 200, result.text
    return "in" if [item["id"] for item in result.json["artifacts"]] else "out"


def listing(mode: AuthMode, world: World, caller: str) -> str:
    return _listed(mode, caller, "/artifacts/widgets", "")


def listing_all(mode: AuthMode, world: World, caller: str) -> str:
    return _listed(mode, caller, "/artifacts/all", "")


def listing_community(mode: AuthMode, world: World, caller: str) -> str:
    return _listed(mode, caller, "/artifacts/widgets", "visibility=community")


def listing_community_all(mode: AuthMode, world: World, caller: str) -> str:
    return _listed(mode, caller, "/artifacts/all", "visibility=in:community,shared")


def patch_notes(mode: AuthMode, world: World, caller: str) -> int:
    result = _patch(mode, world, caller, "notes", f"changed by {caller}")
    return _status(result)


def delete(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_delete(_path(world), headers=mode.headers(caller))
    status = _status(result, ok=204)
    if status == 204:
        gone = mode.client.simulate_get(_path(world), headers=mode.headers("admin"))
        assert gone.status_code == 404
    return status


def member_list(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_get(f"{_path(world)}/members", headers=mode.headers(caller))
    if result.status_code == 200:
        members = {m["member_id"]: m["status"] for m in result.json["members"]}
        if caller in ("owner", "admin"):
            assert members == {project: answer for answer, project in MEMBER_PROJECTS.items()}
        else:
            assert members == {MEMBER_PROJECTS[caller]: caller}, "a member sees only itself"
    return _status(result)


def _own_project(caller: str) -> str:
    """The membership a caller acts on: its own, or (owner, admin, anonymous) the pending one."""
    if caller in MEMBER_PROJECTS:
        return MEMBER_PROJECTS[caller]
    return OTHER if caller == "other" else MEMBER_PROJECTS["pending"]


def member_answer(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_put(
        f"{_path(world)}/members/{_own_project(caller)}",
        json={"status": "accepted"},
        headers={**mode.headers(caller), **JSON},
    )
    if result.status_code == 200:
        assert result.json["status"] == "accepted"
    return _status(result)


def member_add(mode: AuthMode, world: World, caller: str) -> int:
    result = mode.client.simulate_post(
        f"{_path(world)}/members",
        json={"member": "p-newcomer"},
        headers={**mode.headers(caller), **JSON},
    )
    if result.status_code == 201:
        assert result.json["status"] == "pending"
        assert result.json["member_id"] == "p-newcomer"
    return _status(result, ok=201)


def member_remove(mode: AuthMode, world: World, caller: str) -> int:
    target = (
        MEMBER_PROJECTS["pending"] if caller in ("owner", "admin", "other", "anonymous") else None
    )
    project = target or MEMBER_PROJECTS[caller]
    result = mode.client.simulate_delete(
        f"{_path(world)}/members/{project}", headers=mode.headers(caller)
    )
    status = _status(result, ok=204)
    if status == 204:
        left = mode.client.simulate_get(f"{_path(world)}/members", headers=mode.headers("owner"))
        assert project not in {m["member_id"] for m in left.json["members"]}
    return status


def _patch(
    mode: AuthMode, world: World, caller: str, field: str, value: Any
) -> falcon.testing.Result:
    return mode.client.simulate_patch(
        _path(world),
        body=json.dumps([{"op": "replace", "path": f"/{field}", "value": value}]),
        headers={**mode.headers(caller), **JSON_PATCH},
    )


def make(visibility: str) -> Operation:
    def change(mode: AuthMode, world: World, caller: str) -> int:
        result = _patch(mode, world, caller, "visibility", visibility)
        if result.status_code == 200:
            assert result.json["visibility"] == visibility
        return _status(result)

    return change


@dataclass(frozen=True)
class Case:
    operation: Operation
    table: Table
    #: Whether the operation changes the artifact (each caller then gets a fresh one).
    changes: bool


CASES: dict[str, Case] = {
    "show": Case(show, SEE, changes=False),
    "show via /artifacts/all": Case(show_all, SEE, changes=False),
    "download": Case(download, SEE, changes=False),
    "list": Case(listing, LISTED, changes=False),
    "list /artifacts/all": Case(listing_all, LISTED, changes=False),
    "list visibility=community": Case(listing_community, LISTED_AS_COMMUNITY, changes=False),
    "list all visibility=in:community,shared": Case(
        listing_community_all, LISTED_AS_COMMUNITY_OR_SHARED, changes=False
    ),
    "list members": Case(member_list, MEMBER_LIST, changes=False),
    "patch": Case(patch_notes, CHANGE, changes=True),
    "delete": Case(delete, DELETE, changes=True),
    "answer a share": Case(member_answer, MEMBER_ANSWER, changes=True),
    "add a member": Case(member_add, MEMBER_ADD, changes=True),
    "remove a member": Case(member_remove, MEMBER_REMOVE, changes=True),
    "make public": Case(make("public"), MAKE_PUBLIC, changes=True),
    "make shared": Case(make("shared"), MAKE_OWNER_CHOICE, changes=True),
    "make community": Case(make("community"), MAKE_OWNER_CHOICE, changes=True),
    "make private": Case(make("private"), MAKE_OWNER_CHOICE, changes=True),
}


@pytest.fixture(params=AUTH_MODES)
def mode(request: pytest.FixtureRequest, settings: Settings, services: Services) -> AuthMode:
    return auth_mode(request.param, settings, services)


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("operation", list(CASES))
def test_access_matrix(mode: AuthMode, operation: str, visibility: str) -> None:
    case = CASES[operation]
    column = VISIBILITIES.index(visibility)
    expected = {caller: _in_mode(mode, case.table[caller][column]) for caller in CALLERS}
    actual: dict[str, Any] = {}
    shared_world = None if case.changes else build_world(mode, visibility)
    for index, caller in enumerate(CALLERS):
        world = shared_world or build_world(mode, visibility, name=f"widget-{index}")
        actual[caller] = case.operation(mode, world, caller)
    assert actual == expected
