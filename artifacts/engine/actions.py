"""Which lifecycle and sharing actions a caller may take on an artifact it can see.

A front door that offers buttons (the web catalog) asks here instead of guessing: the answer
comes from the same status machine and policy rules that :class:`ArtifactService.update` and
:class:`MemberService.add` enforce, so a deployment's policy file changes what is offered and
what is allowed together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy, Target
from artifacts.model import lifecycle

ACTIVATE: Final = "activate"
DEACTIVATE: Final = "deactivate"
REACTIVATE: Final = "reactivate"
#: Change visibility among private, shared and community.
SHARE: Final = "share"
#: Make public, or withdraw a public artifact.
PUBLICIZE: Final = "publicize"
#: Add member projects (and list and remove them).
MANAGE_MEMBERS: Final = "manage_members"

_TRANSITION_RULES: Final = {
    (lifecycle.DRAFTED, lifecycle.ACTIVE): (ACTIVATE, "artifact:activate"),
    (lifecycle.ACTIVE, lifecycle.DEACTIVATED): (DEACTIVATE, "artifact:deactivate"),
    (lifecycle.DEACTIVATED, lifecycle.ACTIVE): (REACTIVATE, "artifact:reactivate"),
}


def available_actions(
    policy: Policy, ctx: RequestContext, artifact: Mapping[str, Any]
) -> frozenset[str]:
    """The actions ``ctx`` may take on ``artifact`` (a rendered document) in its current state."""
    if ctx.is_anonymous:
        return frozenset()
    owner = Target(owner=artifact["owner"])
    status = artifact["status"]
    actions: set[str] = set()
    for (current, _target), (action, rule) in _TRANSITION_RULES.items():
        if current == status and policy.allows(ctx, rule, owner):
            actions.add(action)
    if status == lifecycle.ACTIVE:
        # A drafted artifact stays private; a deactivated one is frozen until reactivated.
        if policy.allows(ctx, "artifact:share", owner):
            actions.add(SHARE)
        if policy.allows(ctx, "artifact:publicize", owner):
            actions.add(PUBLICIZE)
    if artifact["visibility"] in lifecycle.MEMBER_VISIBILITIES and policy.allows(
        ctx, "member:add", owner
    ):
        actions.add(MANAGE_MEMBERS)
    return frozenset(actions)
