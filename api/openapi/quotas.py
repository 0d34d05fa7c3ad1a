"""The quota routes of the document: Glare's ``/quotas`` and ``/project-quotas``, and ours."""

from __future__ import annotations

from typing import Any

from api.openapi.components import error_responses, json_content, ref

_LIMIT = {
    "type": ["integer", "null"],
    "minimum": -1,
    "description": "As set: null leaves it unset (the default applies), -1 is no limit even"
    " where the default sets one. In effective limits: null is no limit.",
}
_LIMITS = {
    "type": "object",
    "additionalProperties": False,
    "properties": dict.fromkeys(("max_artifacts", "max_bytes", "max_blob_size"), _LIMIT),
}
_USAGE = {
    "type": "object",
    "required": ["artifacts", "bytes", "reserved"],
    "properties": {
        "artifacts": {"type": "integer"},
        "bytes": {"type": "integer", "description": "committed blob bytes"},
        "reserved": {"type": "integer", "description": "bytes held by uploads in flight"},
    },
}
_DOCUMENT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "limits": ref("schemas", "QuotaLimits"),
        "types": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"limits": ref("schemas", "QuotaLimits")},
            },
        },
    },
}
_PROJECT = {
    "type": "object",
    "required": ["project_id", "limits", "effective_limits", "usage", "types"],
    "properties": {
        "project_id": {"type": "string"},
        "limits": ref("schemas", "QuotaLimits"),
        "effective_limits": ref("schemas", "QuotaLimits"),
        "usage": ref("schemas", "QuotaUsage"),
        "types": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "limits": ref("schemas", "QuotaLimits"),
                    "effective_limits": ref("schemas", "QuotaLimits"),
                    "usage": ref("schemas", "QuotaUsage"),
                },
            },
        },
    },
}
_GLARE_QUOTA = {
    "type": "object",
    "required": ["quota_name", "quota_value"],
    "properties": {
        "quota_name": {
            "type": "string",
            "description": "max_artifact_number, max_uploaded_data or max_blob_size, with "
            "':<type>' for one type's",
        },
        "quota_value": {"type": "integer", "minimum": -1, "description": "-1: no limit"},
    },
}
_GLARE_PROJECT = {
    "type": "object",
    "required": ["project_id", "project_quotas"],
    "properties": {
        "project_id": {"type": "string"},
        "project_quotas": {"type": "array", "items": ref("schemas", "GlareQuota")},
    },
}
_GLARE_PROJECTS = {"type": "array", "items": ref("schemas", "GlareProjectQuotas")}

SCHEMAS: dict[str, Any] = {
    "QuotaLimits": _LIMITS,
    "QuotaUsage": _USAGE,
    "QuotaDocument": _DOCUMENT,
    "ProjectQuota": _PROJECT,
    "GlareQuota": _GLARE_QUOTA,
    "GlareProjectQuotas": _GLARE_PROJECT,
}

_PROJECT_ID = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _op(summary: str, ok: dict[str, Any], *errors: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["quotas"],
        "responses": {**ok, **error_responses("403", *errors)},
        **extra,
    }


def _ours(operation: dict[str, Any]) -> dict[str, Any]:
    return {**operation, "x-artifact-repo-extension": True}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": json_content(schema)}


def paths() -> dict[tuple[str, str], dict[str, Any]]:
    """(route template, method) → operation, for every quota route."""
    listed = {
        "type": "object",
        "required": ["quotas", "global_quotas"],
        "properties": {
            "quotas": _GLARE_PROJECTS,
            "global_quotas": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }
    project = {"200": {"description": "Limits and usage", "content": json_content(_PROJECT)}}
    document = {"200": {"description": "Limits", "content": json_content(_DOCUMENT)}}
    applied = {
        "200": {
            "description": "The limits that apply (Glare's format)",
            "content": json_content(_GLARE_PROJECTS),
        }
    }
    return {
        ("/quotas", "GET"): _op(
            "Every project's limits, and the defaults (Glare)",
            {"200": {"description": "Limits", "content": json_content(listed)}},
        ),
        ("/quotas", "PUT"): _op(
            "Replace the limits of the projects listed (Glare; answers null)",
            {"200": {"description": "Set", "content": json_content({"type": "null"})}},
            "400",
            "413",
            "415",
            requestBody=_body(_GLARE_PROJECTS),
        ),
        ("/project-quotas", "GET"): _op("The caller's project's limits (Glare)", applied),
        ("/project-quotas/{project_id}", "GET"): _op(
            "A project's limits (Glare)", applied, parameters=[_PROJECT_ID]
        ),
        ("/quotas/defaults", "GET"): _ours(_op("The default limits", document)),
        ("/quotas/defaults", "PUT"): _ours(
            _op(
                "Replace the default limits",
                document,
                "400",
                "413",
                "415",
                requestBody=_body(_DOCUMENT),
            )
        ),
        ("/quotas/projects/{project_id}", "GET"): _ours(
            _op("A project's limits and usage", project, parameters=[_PROJECT_ID])
        ),
        ("/quotas/projects/{project_id}", "PUT"): _ours(
            _op(
                "Replace a project's limits",
                project,
                "400",
                "413",
                "415",
                parameters=[_PROJECT_ID],
                requestBody=_body(_DOCUMENT),
            )
        ),
        ("/quotas/projects/{project_id}", "DELETE"): _ours(
            _op(
                "Remove a project's own limits (the defaults apply)",
                {"204": {"description": "Removed"}},
                parameters=[_PROJECT_ID],
            )
        ),
    }
