"""The resumable upload routes of the document: tus 1.0 creation on a blob's path, and the
upload resources it creates (``api.resources.uploads``)."""

from __future__ import annotations

from typing import Any

from api.openapi.components import EXTENSION, error_responses

_TAG = "resumable uploads"


_TUS = {
    "name": "Tus-Resumable",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "enum": ["1.0.0"]},
    "description": "The tus version the client speaks; another (or none): 412.",
}
_NUMBER = {"type": "string", "pattern": "^[0-9]{1,19}$"}
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _answer(*names: str) -> dict[str, Any]:
    """Response headers, by name."""
    described = {
        "Tus-Resumable": "1.0.0",
        "Tus-Version": "The tus versions spoken: 1.0.0.",
        "Tus-Extension": "creation,termination,expiration",
        "Tus-Max-Size": "The most bytes any blob field takes.",
        "Location": "The upload's URL: /uploads/{upload_id}.",
        "Upload-Offset": "Bytes received and stored so far: where the client goes on.",
        "Upload-Length": "The upload's declared length.",
        "Upload-Metadata": "The Upload-Metadata the upload was created with.",
        "Upload-Expires": "When the upload ends unless it makes progress (RFC 9110 date).",
        "Cache-Control": "no-store: an offset is never to be cached.",
    }
    return {name: {"schema": {"type": "string"}, "description": described[name]} for name in names}


def create_operation(type_name: str, field: str, parameters: list[Any]) -> dict[str, Any]:
    """POST on a blob's path: open a resumable upload of it (tus creation)."""
    return {
        "summary": f"Open a resumable (tus 1.0) upload of {type_name}.{field}",
        "tags": [type_name],
        EXTENSION: True,
        "description": "Send the bytes with PATCH to the Location, in order; the last byte "
        "makes the blob active with its digests, exactly as a PUT would. Upload-Metadata's "
        "content-type or filetype (base64) sets the blob's media type. The declared length is "
        "checked against the blob's limits and held against the project's quotas from now on.",
        "parameters": [
            *parameters,
            _TUS,
            {
                "name": "Upload-Length",
                "in": "header",
                "required": True,
                "schema": _NUMBER,
                "description": "The blob's size in bytes.",
            },
            {
                "name": "Upload-Metadata",
                "in": "header",
                "schema": {"type": "string", "maxLength": 4096},
                "description": "tus metadata: comma-separated 'key base64value' pairs.",
            },
        ],
        "responses": {
            "201": {
                "description": "The upload is open.",
                "headers": _answer("Tus-Resumable", "Location", "Upload-Expires"),
            },
            **error_responses("400", "401", "403", "404", "409", "412", "413", "501", "503"),
        },
    }


def _discovery(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": [_TAG],
        EXTENSION: True,
        "responses": {
            "204": {
                "description": "What this server speaks.",
                "headers": _answer("Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size"),
            }
        },
    }


def upload_paths() -> dict[tuple[str, str], dict[str, Any]]:
    item = "/uploads/{upload_id}"
    ours = {"tags": [_TAG], EXTENSION: True}
    return {
        ("/uploads", "OPTIONS"): _discovery("tus discovery"),
        (item, "OPTIONS"): {**_discovery("tus discovery"), "parameters": [_UPLOAD_ID]},
        (item, "HEAD"): {
            **ours,
            "summary": "A resumable upload's offset: where to go on after a failure",
            "parameters": [_UPLOAD_ID, _TUS],
            "responses": {
                "200": {
                    "description": "The offset and length.",
                    "headers": _answer(
                        "Tus-Resumable",
                        "Upload-Offset",
                        "Upload-Length",
                        "Upload-Metadata",
                        "Upload-Expires",
                        "Cache-Control",
                    ),
                },
                **error_responses("400", "401", "404", "410", "412", "503"),
            },
        },
        (item, "PATCH"): {
            **ours,
            "summary": "Append bytes at the upload's offset; the last byte finishes the blob",
            "description": "Upload-Offset must be the offset HEAD reports (else 409). What "
            "arrives before a dropped connection is kept. An empty PATCH at the full length "
            "answers 204 once the blob is active.",
            "parameters": [
                _UPLOAD_ID,
                _TUS,
                {
                    "name": "Upload-Offset",
                    "in": "header",
                    "required": True,
                    "schema": _NUMBER,
                    "description": "Where these bytes start.",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/offset+octet-stream": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            },
            "responses": {
                "204": {
                    "description": "Stored; the new offset.",
                    "headers": _answer("Tus-Resumable", "Upload-Offset", "Upload-Expires"),
                },
                **error_responses(
                    "400", "401", "403", "404", "409", "410", "411", "412", "413", "415", "503"
                ),
            },
        },
        (item, "DELETE"): {
            **ours,
            "summary": "Cancel a resumable upload and remove what it received (tus termination)",
            "parameters": [_UPLOAD_ID, _TUS],
            "responses": {
                "204": {"description": "Cancelled.", "headers": _answer("Tus-Resumable")},
                **error_responses("400", "401", "404", "409", "410", "412", "503"),
            },
        },
    }
