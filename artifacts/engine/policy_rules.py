"""The default authorization rules, as oslo.policy declares them, and their refusals.

These are the rules in force where a deployment's policy file does not override them, and what
``oslopolicy-sample-generator --namespace artifacts`` writes into ``etc/policy.yaml`` (through
:func:`list_rules`). Each refusal message describes its default; :mod:`artifacts.engine.policy`
words it anew for a rule a policy file changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from oslo_policy import policy as oslo_policy

from artifacts.engine.policy_checks import load_rule_checks_lazily

# Before the first rule below is parsed (parsing one loads every rule-check plugin).
load_rule_checks_lazily()

#: Namespace of the ``oslo.policy.policies`` entry point (for the sample generator).
NAMESPACE = "artifacts"

_ARTIFACT = "/artifacts/{type_name}/{artifact_id}"
_MEMBERS = _ARTIFACT + "/members"

BASE_RULES = (
    oslo_policy.RuleDefault("admin", "role:admin", description="An administrator."),
    oslo_policy.RuleDefault(
        "authenticated", "authenticated:True", description="Any caller with a project."
    ),
    oslo_policy.RuleDefault(
        "owner", "project_id:%(owner)s", description="The project owning the artifact."
    ),
    oslo_policy.RuleDefault(
        "member", "project_id:%(member_id)s", description="The member project concerned."
    ),
    oslo_policy.RuleDefault("admin_or_owner", "rule:admin or rule:owner"),
    oslo_policy.RuleDefault(
        "public", "'public':%(visibility)s", description="The artifact is public."
    ),
    oslo_policy.RuleDefault(
        "deactivated", "'deactivated':%(status)s", description="The artifact is deactivated."
    ),
)


def _rule(
    name: str, check: str, description: str, method: str, path: str
) -> oslo_policy.DocumentedRuleDefault:
    return oslo_policy.DocumentedRuleDefault(
        name, check, description, [{"method": method, "path": path}]
    )


ACTIONS = (
    _rule(
        "artifact:create",
        "rule:authenticated",
        "Create an artifact.",
        "POST",
        "/artifacts/{type_name}",
    ),
    _rule("artifact:show", "@", "Show an artifact the caller can see.", "GET", _ARTIFACT),
    _rule(
        "artifact:list",
        "@",
        "List the artifacts the caller can see.",
        "GET",
        "/artifacts/{type_name}",
    ),
    _rule(
        "artifact:update",
        "rule:admin or (rule:owner and not rule:public)",
        "Change an artifact's fields (a public one: administrators only).",
        "PATCH",
        _ARTIFACT,
    ),
    _rule(
        "artifact:delete",
        "rule:admin or (rule:owner and not rule:public and not rule:deactivated)",
        "Delete an artifact (a public or deactivated one: administrators only).",
        "DELETE",
        _ARTIFACT,
    ),
    _rule(
        "artifact:activate",
        "rule:admin_or_owner",
        "Activate a drafted artifact.",
        "PATCH",
        _ARTIFACT,
    ),
    _rule(
        "artifact:deactivate", "rule:admin", "Deactivate an active artifact.", "PATCH", _ARTIFACT
    ),
    _rule(
        "artifact:reactivate",
        "rule:admin",
        "Reactivate a deactivated artifact.",
        "PATCH",
        _ARTIFACT,
    ),
    _rule(
        "artifact:share",
        "rule:admin_or_owner",
        "Change visibility between private, shared and community.",
        "PATCH",
        _ARTIFACT,
    ),
    _rule(
        "artifact:publicize",
        "rule:admin",
        "Make an artifact public, or withdraw a public one.",
        "PATCH",
        _ARTIFACT,
    ),
    _rule(
        "artifact:upload",
        "rule:admin_or_owner",
        "Upload or set blob data.",
        "PUT",
        _ARTIFACT + "/{blob}",
    ),
    _rule(
        "artifact:download",
        "rule:admin or not rule:deactivated",
        "Download blob data of an artifact the caller can see (a deactivated one: "
        "administrators only).",
        "GET",
        _ARTIFACT + "/{blob}",
    ),
    _rule(
        "artifact:copy",
        "rule:admin",
        "Copy an active artifact's blob data into further stores (Glance's copy-image).",
        "POST",
        "/v2/images/{image_id}/import",
    ),
    _rule(
        "task:api_access",
        "rule:admin",
        "List and show background tasks (Glance's tasks_api_access); an image's own tasks are "
        "listed to whoever may see the image.",
        "GET",
        "/v2/tasks",
    ),
    _rule(
        "member:list",
        "rule:admin or rule:owner or rule:member",
        "List an artifact's members (a member sees only its own membership).",
        "GET",
        _MEMBERS,
    ),
    _rule(
        "member:show",
        "rule:admin or rule:owner or rule:member",
        "Show one membership.",
        "GET",
        _MEMBERS + "/{project_id}",
    ),
    _rule(
        "member:add", "rule:admin_or_owner", "Share an artifact with a project.", "POST", _MEMBERS
    ),
    _rule(
        "member:update",
        "rule:admin or rule:member",
        "Accept or reject a share (the member project answers).",
        "PUT",
        _MEMBERS + "/{project_id}",
    ),
    _rule(
        "member:delete",
        "rule:admin_or_owner",
        "Stop sharing an artifact with a project.",
        "DELETE",
        _MEMBERS + "/{project_id}",
    ),
    _rule("quota:list", "rule:admin", "List the quotas that are set.", "GET", "/quotas"),
    _rule(
        "quota:show",
        "rule:admin_or_owner",
        "Show a project's quotas and usage (its own, for a non-administrator).",
        "GET",
        "/quotas/projects/{project_id}",
    ),
    _rule(
        "quota:set",
        "rule:admin",
        "Set or clear a project's quotas, or the defaults.",
        "PUT",
        "/quotas/projects/{project_id}",
    ),
)

MESSAGES: Mapping[str, str] = {
    "artifact:create": "Creating artifacts requires an authenticated project.",
    "artifact:update": "Only the owner or an administrator may change this artifact, and only "
    "an administrator a public one.",
    "artifact:delete": "Only the owner or an administrator may delete this artifact, and only "
    "an administrator a public or deactivated one.",
    "artifact:download": "Only an administrator may download from a deactivated artifact.",
    "artifact:upload": "Only the owner or an administrator may change this artifact's blobs.",
    "artifact:copy": "You are not authorized to complete copy_image action.",
    "task:api_access": "You are not authorized to complete tasks_api_access action.",
    "artifact:activate": "Only the owner or an administrator may activate this artifact.",
    "artifact:deactivate": "Only an administrator may deactivate an artifact.",
    "artifact:reactivate": "Only an administrator may reactivate an artifact.",
    "artifact:share": "Only the owner or an administrator may change who sees this artifact.",
    "artifact:publicize": "Only an administrator may publish an artifact or withdraw a public one.",
    "member:list": "Only the owner, a member or an administrator may list members.",
    "member:show": "Only the owner, the member or an administrator may see this membership.",
    "member:add": "Only the owner or an administrator may share this artifact.",
    "member:update": "Only the member project may accept or reject a share.",
    "member:delete": "Only the owner or an administrator may remove a member.",
    "quota:list": "Only an administrator may list quotas.",
    "quota:show": "Only an administrator may see another project's quotas.",
    "quota:set": "Only an administrator may set quotas.",
}


#: Rules on changing an artifact: Glare refuses a caller who neither owns the artifact nor
#: administers before it asks them ("Forbidden"), where reads are refused by the rule itself.
CHANGES = frozenset(
    {
        "artifact:update",
        "artifact:delete",
        "artifact:activate",
        "artifact:deactivate",
        "artifact:reactivate",
        "artifact:share",
        "artifact:publicize",
        "artifact:upload",
    }
)


def list_rules() -> list[oslo_policy.RuleDefault]:
    """Every default rule: the ``oslo.policy.policies`` entry point the sample generator calls."""
    return [*BASE_RULES, *ACTIONS]


def rule_names() -> list[str]:
    """The names of the actions' rules, the ones :meth:`Policy.enforce` may be asked."""
    return [rule.name for rule in ACTIONS]
