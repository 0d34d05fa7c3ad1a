"""What a caller is offered on an artifact follows the status machine and the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifacts.engine import actions as a
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy

OWNER = RequestContext(project_id="p1")
OTHER = RequestContext(project_id="p2")
ADMIN = RequestContext(project_id="ops", roles=frozenset({"admin"}))
ANONYMOUS = RequestContext()


def _artifact(status: str, visibility: str = "private") -> dict[str, str]:
    return {"owner": "p1", "status": status, "visibility": visibility}


@pytest.mark.parametrize(
    ("ctx", "artifact", "expected"),
    [
        (OWNER, _artifact("drafted"), {a.ACTIVATE}),
        (OWNER, _artifact("active"), {a.SHARE}),
        (OWNER, _artifact("active", "shared"), {a.SHARE, a.MANAGE_MEMBERS}),
        (OWNER, _artifact("deactivated", "shared"), {a.MANAGE_MEMBERS}),
        (ADMIN, _artifact("active"), {a.DEACTIVATE, a.SHARE, a.PUBLICIZE}),
        (ADMIN, _artifact("deactivated"), {a.REACTIVATE}),
        (OTHER, _artifact("active", "public"), set()),
        (ANONYMOUS, _artifact("active", "public"), set()),
    ],
)
def test_default_policy(ctx: RequestContext, artifact: dict[str, str], expected: set[str]) -> None:
    assert a.available_actions(Policy(), ctx, artifact) == expected


def test_a_policy_file_changes_what_is_offered(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text('"artifact:publicize": "rule:admin_or_owner"\n')

    offered = a.available_actions(Policy(policy_file), OWNER, _artifact("active"))

    assert a.PUBLICIZE in offered
