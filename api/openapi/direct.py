"""The direct upload routes of the document (``api.resources.direct``): presigned parts sent
straight to S3, then a verified commit."""

from __future__ import annotations

from typing import Any

from api.openapi.components import EXTENSION, error_responses, json_content, ref

_TAG = "direct uploads"
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
_SHA256 = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 255}

_OPEN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type_name", "artifact_id", "field", "size"],
    "properties": {
        "type_name": _NAME,
        "artifact_id": _NAME,
        "field": _NAME,
        "key": {**_NAME, "description": "The entry of a blob dict."},
        "size": {"type": "integer", "minimum": 1, "description": "The blob's size in bytes."},
        "sha256": {**_SHA256, "description": "Checked at commit: other bytes are refused."},
        "content_type": {**_NAME, "description": "The blob's media type."},
    },
}
_PART_URL = {
    "type": "object",
    "required": ["number", "size", "url", "method"],
    "properties": {
        "number": {"type": "integer"},
        "size": {"type": "integer", "description": "The bytes this part must hold."},
        "url": {"type": "string", "description": "Presigned: PUT the part's bytes here."},
        "method": {"type": "string", "enum": ["PUT"]},
    },
}
_SESSION = {
    "type": "object",
    "required": ["id", "href", "status", "size", "part_size", "part_count", "upload_urls"],
    "properties": {
        "id": {"type": "string"},
        "href": {"type": "string"},
        "status": {"type": "string", "enum": ["receiving", "complete"]},
        "type_name": {"type": "string"},
        "artifact_id": {"type": "string"},
        "field": {"type": "string"},
        "key": {"type": ["string", "null"]},
        "size": {"type": "integer"},
        "sha256": {"type": ["string", "null"]},
        "content_type": {"type": "string"},
        "part_size": {"type": "integer", "description": "Bytes per part but the last."},
        "part_count": {"type": "integer"},
        "expires_at": {"type": "string", "format": "date-time"},
        "uploaded_parts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "number": {"type": "integer"},
                    "size": {"type": "integer"},
                    "etag": {"type": "string"},
                },
            },
        },
        "upload_urls": {"type": "array", "items": ref("schemas", "DirectPartUrl")},
        "urls_expire_at": {"type": ["string", "null"], "format": "date-time"},
        "next_part": {
            "type": ["integer", "null"],
            "description": "More URLs from this part on: GET with first=next_part.",
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "DirectUploadOpen": _OPEN,
    "DirectPartUrl": _PART_URL,
    "DirectUpload": _SESSION,
}


def _op(summary: str, responses: dict[str, Any], *errors: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": [_TAG],
        EXTENSION: True,
        "responses": {**responses, **error_responses(*errors)},
        **extra,
    }


def paths() -> dict[tuple[str, str], dict[str, Any]]:
    """(route template, method) → operation, for every direct upload route."""
    item = "/direct-uploads/{upload_id}"
    session = json_content(ref("schemas", "DirectUpload"))
    return {
        ("/direct-uploads", "POST"): _op(
            "Open a direct-to-S3 upload of a blob: presigned part URLs",
            {"201": {"description": "Open; PUT each part to its URL.", "content": session}},
            "400",
            "401",
            "403",
            "404",
            "409",
            "413",
            "415",
            "503",
            description="For blobs whose store takes direct uploads (else 409). The size is "
            "checked against the blob's limits and held against the project's quotas until the "
            "upload ends; the type's before-upload hooks run now.",
            requestBody={
                "required": True,
                "content": json_content(ref("schemas", "DirectUploadOpen")),
            },
        ),
        (item, "GET"): _op(
            "The parts the bucket holds, and fresh URLs for the missing ones",
            {"200": {"description": "The upload.", "content": session}},
            "400",
            "401",
            "404",
            "409",
            "410",
            "503",
            parameters=[
                _UPLOAD_ID,
                {
                    "name": "first",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                    "description": "URLs for missing parts from this part number on.",
                },
            ],
        ),
        (f"{item}/commit", "POST"): _op(
            "Verify the parts (size, digests, checks) and make them the blob's data",
            {
                "200": {
                    "description": "The artifact, its blob active (again: the same answer).",
                    "content": json_content({"type": "object"}),
                }
            },
            "400",
            "401",
            "403",
            "404",
            "409",
            "410",
            "413",
            "503",
            description="400 when the parts are not the declared blob (a part's size, the "
            "declared sha256, a type's check): the parts are removed and the upload ends. "
            "409 while parts are missing, or another commit runs.",
            parameters=[_UPLOAD_ID],
        ),
        (item, "DELETE"): _op(
            "Abort a direct upload and remove its parts",
            {"204": {"description": "Aborted."}},
            "400",
            "401",
            "404",
            "409",
            "503",
            parameters=[_UPLOAD_ID],
        ),
    }
