"""Reusable pieces of the OpenAPI document: schemas, responses, parameters, security schemes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JSON = "application/json"
JSON_PATCH = "application/json-patch+json"
LOCATION = "application/vnd+openstack.glare-custom-location+json"
#: Marks what Glare's v1 API does not have: ours alone, absent from a Glare server.
EXTENSION = "x-artifact-repo-extension"

#: Keys of our type schemas that are not JSON Schema: kept, renamed as OpenAPI extensions.
_TYPE_KEYS = ("name", "display_name", "version")
_FIELD_KEYS = ("glareType", "mutable", "sortable", "required_on_activate", "filter_ops", "maxSize")


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": dict(schema)}}


def type_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A type's JSON schema as an OpenAPI 3.1 schema object.

    ``$schema`` goes (the document's dialect applies) and our own keywords become ``x-``
    extensions, so that validators and generators read only standard JSON Schema.
    """
    cleaned: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$schema":
            continue
        if key in _TYPE_KEYS:
            cleaned[f"x-{key}"] = value
        elif key == "properties":
            cleaned[key] = {name: _field(spec) for name, spec in value.items()}
        else:
            cleaned[key] = value
    return cleaned


def _field(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {(f"x-{k}" if k in _FIELD_KEYS else k): v for k, v in spec.items()}


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Glare's fault format; error.type is Glare's exception name, and the "
    "request id is in the X-OpenStack-Request-Id header.",
    "required": ["code", "title", "explanation", "error"],
    "properties": {
        "code": {"type": "integer"},
        "title": {"type": "string"},
        "explanation": {"type": "string"},
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "quota": {
                    "type": "object",
                    "description": "The quota a 403 or 413 refusal names (an extension).",
                    "properties": {
                        "name": {"type": "string"},
                        "type_name": {"type": ["string", "null"]},
                        "limit": {"type": "integer"},
                        "used": {"type": "integer"},
                        "requested": {"type": "integer"},
                    },
                },
            },
        },
    },
}

MEMBER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["member_id", "status"],
    "properties": {
        "artifact_id": {"type": "string"},
        "member_id": {"type": "string"},
        "status": {"enum": ["pending", "accepted", "rejected"]},
        "created_at": {"type": ["string", "null"]},
        "updated_at": {"type": ["string", "null"]},
    },
}

PATCH_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "RFC 6902 operations; /status and /visibility drive the lifecycle.",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "from": {"type": "string"},
            "value": {},
        },
    },
}

LOCATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string"},
        "md5": {"type": "string"},
        "sha1": {"type": "string"},
        "sha256": {"type": "string"},
        "location_type": {
            "enum": ["external", "internal"],
            "default": "external",
            "description": "external: an http(s) URL the server records and redirects to "
            "(md5 required). internal: refused (403; a scheme no store has: 400).",
        },
    },
}

VERSIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["versions"],
    "properties": {"versions": {"type": "array", "items": {"type": "object"}}},
}

IDENTITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["project_id", "user_id", "roles", "authenticated"],
    "properties": {
        "project_id": {"type": ["string", "null"]},
        "user_id": {"type": ["string", "null"]},
        "roles": {"type": "array", "items": {"type": "string"}},
        "authenticated": {"type": "boolean"},
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "apiToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": "An API token ('tokens' mode) or a Keystone token ('keystone' mode); in "
        "'trusted-headers' mode Glare's development form user:project:roles.",
    },
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API token, as a bearer."},
    "trustedProject": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Project-Id",
        "description": "'trusted-headers' mode only: the caller's project, set by a gateway "
        "(with X-User-Id and X-Roles).",
    },
}

#: Statuses any operation may answer with the error body, and why.
ERRORS: dict[str, str] = {
    "400": "The request is malformed, or a value is invalid.",
    "401": "Bad credentials, or none where the action needs them.",
    "403": "The caller may see the artifact but may not do this.",
    "404": "No such artifact, type, field or member, or one the caller may not see.",
    "405": "The method is not allowed on this path.",
    "406": "The requested OpenStack-API-Version is not served.",
    "409": "The request clashes with the artifact's state.",
    "411": "An upload with neither Content-Length nor chunked encoding.",
    "410": "The resumable upload expired; its data was removed.",
    "412": "If-Match names no current entity tag of the blob, or Tus-Resumable is not 1.0.0.",
    "413": "A size or count limit would be crossed.",
    "415": "The body's content type is not accepted here.",
    "416": "The byte range lies outside the blob.",
    "429": "Too many requests; retry after the Retry-After delay.",
    "501": "This deployment cannot do it (a store that keeps no partial uploads).",
    "503": "The service or one of its backends is unavailable; retry after Retry-After.",
}


# Why the Glare routes answer 403 and 409, operation by operation (the engine's rules).
NOT_OWNER = "Neither the owner nor an administrator (`Forbidden`)"
UPDATE_403 = (
    f"{NOT_OWNER}; a rule refuses it (`PolicyException`: changing a public artifact, "
    "deactivating, reactivating and publishing are an administrator's); a read-only field, or "
    "one fixed once the artifact is active; activation with a required field missing; a status "
    "change the lifecycle does not allow (deactivating what is not active)."
)
UPDATE_409 = (
    "The status would change while a blob is being uploaded or checked; another public "
    "artifact of the type has this name and version; the artifact was written by a newer "
    "version of its type's schema."
)
DELETE_403 = (
    f"{NOT_OWNER}; a public or deactivated artifact, which only an administrator deletes "
    "(`PolicyException`); a protected image (`NotAllowed`)."
)
UPLOAD_403 = (
    f"{NOT_OWNER}; the artifact is deactivated, or active and the blob fixed once active; an "
    "internal location: with a scheme of the server's own stores (`file`, `filesystem`, "
    "`swift+config`, `sql`) refused to everyone before the artifact is read, with `http(s)` "
    "refused once it is found (`PolicyException`)."
)
UPLOAD_409 = (
    "The blob is being uploaded; a location for a blob that already has data or a location "
    "(delete the external one first); the blob changed during the upload."
)
DOWNLOAD_403 = "A deactivated artifact's data is an administrator's (`PolicyException`)."
DOWNLOAD_409 = "The blob is still being uploaded or checked."
FORGET_403 = (
    f"{NOT_OWNER}; the blob holds uploaded data, not an external location; the artifact is "
    "active (its data is fixed) or deactivated."
)


def error_responses(*statuses: str) -> dict[str, Any]:
    return {status: ref("responses", f"Error{status}") for status in statuses}


def error_because(status: str, description: str) -> dict[str, Any]:
    """One error status with the reasons a particular operation answers it."""
    return {status: {"description": description, "content": json_content(ref("schemas", "Error"))}}


def components(extra_schemas: Mapping[str, Any]) -> dict[str, Any]:
    responses = {
        f"Error{status}": {
            "description": description,
            "content": json_content(ref("schemas", "Error")),
        }
        for status, description in ERRORS.items()
    }
    return {
        "schemas": {
            "Error": ERROR_SCHEMA,
            "Member": MEMBER_SCHEMA,
            "JsonPatch": PATCH_SCHEMA,
            "ExternalLocation": LOCATION_SCHEMA,
            "Versions": VERSIONS_SCHEMA,
            "Identity": IDENTITY_SCHEMA,
            **extra_schemas,
        },
        "responses": responses,
        "securitySchemes": SECURITY_SCHEMES,
    }
