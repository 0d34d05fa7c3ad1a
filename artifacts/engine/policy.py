"""Named authorization rules checked by every engine action, enforced with oslo.policy.

The defaults are declared in :mod:`artifacts.engine.policy_rules`, as oslo.policy rule strings;
a deployment overrides any of them from a YAML policy file (``[policy] file``; ``etc/policy.yaml``
is the generated sample, produced by ``oslopolicy-sample-generator --namespace artifacts``).
oslo.policy is confined to these two modules: the engine asks
``Policy.enforce(ctx, "artifact:update", Target(owner=…))`` and nothing else.

Visibility is not a policy decision: an artifact the caller may not see is "not found" before any
rule is asked (see ``artifacts.db.visibility.visible_to``), so a rule can only deny what the caller
can already see, and its 403 reveals nothing.

Credentials offered to rules: ``project_id``, ``user_id``, ``roles`` and ``authenticated``
(``True`` for any caller with a project). Target attributes: ``owner`` (the artifact's project),
``status`` and ``visibility`` (its state, as Glare's rules read them: a public or deactivated
artifact is an administrator's to change or delete) and, for membership actions, ``member_id``
(the member project concerned).

A refusal says who is refused, in the words Glare's exceptions use: an anonymous caller is
:class:`~artifacts.errors.AuthenticationRequired`, a caller neither owner nor administrator
:class:`~artifacts.errors.NotOwner`, anyone else a plain :class:`~artifacts.errors.PolicyDenied`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from oslo_config import cfg
from oslo_policy import _checks as oslo_checks
from oslo_policy import policy as oslo_policy

from artifacts.config import ConfigError
from artifacts.engine.context import RequestContext
from artifacts.engine.policy_rules import (
    ACTIONS,
    CHANGES,
    MESSAGES,
    NAMESPACE,
    list_rules,
    rule_names,
)
from artifacts.errors import AuthenticationRequired, NotOwner, PolicyDenied


@dataclass(frozen=True)
class Target:
    """What an action is applied to; ``owner`` is None for actions on a collection."""

    owner: str | None = None
    #: The member project a membership action concerns.
    member_id: str | None = None
    #: The artifact's status and visibility, for rules that depend on its state.
    status: str | None = None
    visibility: str | None = None

    @classmethod
    def of(cls, artifact: _Stated) -> Target:
        """The target an artifact is: its owner and its state."""
        return cls(owner=artifact.owner, status=artifact.status, visibility=artifact.visibility)


class _Stated(Protocol):
    owner: str
    status: str
    visibility: str


class Policy:
    """The rules in force: the defaults, overridden by a deployment's policy file."""

    def __init__(self, policy_file: Path | None = None) -> None:
        if policy_file is not None and not policy_file.is_file():
            raise ConfigError(f"Policy file {policy_file} does not exist")
        # A private configuration object: oslo.policy reads its options from one, and using the
        # global one would be an import-time side effect shared by every Policy in the process.
        conf = cfg.ConfigOpts()
        conf([], project=NAMESPACE, default_config_files=[], default_config_dirs=[])
        self._enforcer = oslo_policy.Enforcer(
            conf,
            policy_file=str(policy_file) if policy_file is not None else None,
            use_conf=False,
        )
        self._enforcer.register_defaults(list_rules())
        try:
            self._enforcer.load_rules(force_reload=True)
        except Exception as exc:  # oslo.policy raises many kinds for a bad file
            raise ConfigError(f"Policy file {policy_file} is invalid: {exc}") from exc
        # Rules are read once. Left on, oslo.policy looks for the file and its policy.d
        # directories again on every check (0.6 ms, the largest part of a show-by-id); a changed
        # file takes effect when the workers restart (gunicorn's graceful reload, SIGHUP).
        self._enforcer.use_conf = False
        self._names = set(rule_names())
        self._messages = _messages(self._enforcer)
        # oslo.policy inspects each check's signature on every evaluation (inspect is ~6% of a
        # show). Rules made of oslo.policy's own checks are pure functions of the credentials
        # and the target, so their decisions are remembered; a rule set with a plugin check
        # (an http: check asks a server each time) is evaluated every time.
        self._decisions: dict[tuple[object, ...], bool] | None = (
            {} if all(_deterministic(r) for r in self._enforcer.rules.values()) else None
        )

    def allows(self, ctx: RequestContext, rule: str, target: Target | None = None) -> bool:
        """Return whether ``ctx`` may perform ``rule`` on ``target``."""
        if rule not in self._names:
            raise KeyError(rule)
        values = _target(target or Target())
        creds = _credentials(ctx)
        decisions = self._decisions
        if decisions is None:
            return bool(self._enforcer.enforce(rule, values, creds))
        key = (rule, tuple(values.items()), tuple(creds["roles"]), *_identity(creds))
        decided = decisions.get(key)
        if decided is None:
            decided = bool(self._enforcer.enforce(rule, values, creds))
            if len(decisions) >= _DECISIONS:
                decisions.clear()  # bounded: a rare refill beats tracking recency per check
            decisions[key] = decided
        return decided

    def enforce(self, ctx: RequestContext, rule: str, target: Target | None = None) -> None:
        """Raise unless ``ctx`` may perform ``rule``; anonymous callers get 'unauthenticated'."""
        if self.allows(ctx, rule, target):
            return
        message = self._messages[rule]
        if ctx.is_anonymous:
            raise AuthenticationRequired(f"Authentication required. {message}")
        if rule in CHANGES and target is not None and not _owns(ctx, target):
            raise NotOwner(message)
        raise PolicyDenied(message)


#: Remembered decisions per worker (caller shape x target shape x rule).
_DECISIONS = 4096


def _identity(creds: Mapping[str, Any]) -> tuple[object, ...]:
    return (creds["authenticated"], creds.get("project_id"), creds.get("user_id"))


def _deterministic(check: Any) -> bool:
    """Whether a parsed rule is built only from oslo.policy's own (pure) checks."""
    if isinstance(check, (oslo_checks.AndCheck, oslo_checks.OrCheck)):
        return all(_deterministic(rule) for rule in check.rules)
    if isinstance(check, oslo_checks.NotCheck):
        return _deterministic(check.rule)
    return type(check).__module__ == oslo_checks.__name__


def _owns(ctx: RequestContext, target: Target) -> bool:
    return ctx.is_admin or ctx.project_id == target.owner


def _messages(enforcer: oslo_policy.Enforcer) -> dict[str, str]:
    """Each rule's refusal: its default's wording, or, where a policy file changed the rule,
    words that name the rule instead of describing a default no longer in force."""
    messages = {}
    for default in ACTIONS:
        in_force = enforcer.rules.get(default.name)
        if in_force is not None and str(in_force) != str(default.check):
            messages[default.name] = (
                f"This deployment's policy rule {default.name!r} does not allow this caller "
                f"to {default.description[0].lower()}{default.description[1:]}"
            )
        else:
            messages[default.name] = MESSAGES.get(
                default.name, f"Action {default.name!r} is not allowed."
            )
    return messages


def _credentials(ctx: RequestContext) -> dict[str, Any]:
    # Absent keys never match: an anonymous caller is nobody's owner or member.
    creds: dict[str, Any] = {
        "roles": sorted(ctx.roles),
        "authenticated": ctx.project_id is not None,
    }
    if ctx.project_id is not None:
        creds["project_id"] = ctx.project_id
    if ctx.user_id is not None:
        creds["user_id"] = ctx.user_id
    return creds


def _target(target: Target) -> dict[str, str]:
    values: dict[str, str] = {}
    if target.owner is not None:
        values["owner"] = target.owner
    if target.member_id is not None:
        values["member_id"] = target.member_id
    if target.status is not None:
        values["status"] = target.status
    if target.visibility is not None:
        values["visibility"] = target.visibility
    return values
