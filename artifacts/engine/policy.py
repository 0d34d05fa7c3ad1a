"""Named authorization rules checked by every engine action.

Rules are data (a name → predicate table) so a deployment can later override them from a policy
file without touching the engine; the defaults here are the safe ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from artifacts.engine.context import RequestContext
from artifacts.errors import PolicyDenied, Unauthenticated


@dataclass(frozen=True)
class Target:
    """What an action is applied to; ``owner`` is None for actions on a collection."""

    owner: str | None = None


Rule = Callable[[RequestContext, Target], bool]


def _admin(ctx: RequestContext, _target: Target) -> bool:
    return ctx.is_admin


def _authenticated(ctx: RequestContext, _target: Target) -> bool:
    return not ctx.is_anonymous


def _admin_or_owner(ctx: RequestContext, target: Target) -> bool:
    return ctx.is_admin or (ctx.project_id is not None and ctx.project_id == target.owner)


DEFAULT_RULES: Mapping[str, Rule] = {
    "artifact:create": _authenticated,
    "artifact:update": _admin_or_owner,
    "artifact:delete": _admin_or_owner,
    "artifact:upload": _admin_or_owner,
    "artifact:activate": _admin_or_owner,
    "artifact:deactivate": _admin,
    "artifact:reactivate": _admin,
    "artifact:publicize": _admin,
}

_MESSAGES: Mapping[str, str] = {
    "artifact:create": "Creating artifacts requires an authenticated project.",
    "artifact:update": "Only the owner or an administrator may change this artifact.",
    "artifact:delete": "Only the owner or an administrator may delete this artifact.",
    "artifact:upload": "Only the owner or an administrator may change this artifact's blobs.",
    "artifact:activate": "Only the owner or an administrator may activate this artifact.",
    "artifact:deactivate": "Only an administrator may deactivate an artifact.",
    "artifact:reactivate": "Only an administrator may reactivate an artifact.",
    "artifact:publicize": "Only an administrator may make an artifact public or private again.",
}


class Policy:
    def __init__(self, rules: Mapping[str, Rule] | None = None) -> None:
        self._rules = dict(DEFAULT_RULES if rules is None else rules)

    def enforce(self, ctx: RequestContext, rule: str, target: Target | None = None) -> None:
        """Raise unless ``ctx`` may perform ``rule``; anonymous callers get 'unauthenticated'."""
        check = self._rules[rule]
        if check(ctx, target or Target()):
            return
        message = _MESSAGES.get(rule, f"Action {rule!r} is not allowed.")
        if ctx.is_anonymous:
            raise Unauthenticated(f"Authentication required. {message}")
        raise PolicyDenied(message)
