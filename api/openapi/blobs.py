"""The blob routes of the document: upload, download, describe and forget a blob field, and
open a resumable upload of it; one set of paths per blob field of each type."""

from __future__ import annotations

from typing import Any

from api.openapi.components import (
    DOWNLOAD_403,
    DOWNLOAD_409,
    FORGET_403,
    LOCATION,
    UPLOAD_403,
    UPLOAD_409,
    error_because,
    error_responses,
    ref,
)
from api.openapi.operations import (
    ID,
    BlobDescriber,
    Operation,
    TypeInfo,
    artifact_response,
    operation,
)
from api.openapi.uploads import create_operation

_DIGEST_HEADERS = {
    "Content-MD5": {"schema": {"type": "string"}, "description": "md5, hex (as Glare sends it)."},
    "X-Openstack-Glare-Content-SHA1": {"schema": {"type": "string"}},
    "X-Openstack-Glare-Content-SHA256": {"schema": {"type": "string"}},
    "ETag": {
        "schema": {"type": "string"},
        "description": "Strong entity tag: the quoted sha256 of the data (md5 if none).",
    },
    "Repr-Digest": {
        "schema": {"type": "string"},
        "description": "sha-256 of the whole blob (RFC 9530), when Want-Repr-Digest asked for it.",
    },
}
#: RFC 9530's request for a verified download (docs/images.md#verified-downloads).
_WANT_DIGEST = {
    "name": "Want-Repr-Digest",
    "in": "header",
    "schema": {"type": "string"},
    "description": "sha-256=1: verify the bytes against the recorded digest as they stream; "
    "corrupt data is cut short before its end.",
}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "schema": {"type": "string"}, "description": description}


_CONDITIONS = [
    _header("If-Match", "Entity tags (or *); none current: 412."),
    _header("If-None-Match", "Entity tags (or *); one current: 304."),
]
_RANGE = [
    _header("Range", "One byte range (bytes=first-last, first-, -suffix); several: 200."),
    _header("If-Range", "Honour Range only if this is the current entity tag; else 200."),
]


def _upload(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return operation(
        f"Upload {info.name}.{field} (streamed), or record an external location",
        info.name,
        {
            "200": artifact_response(info, "The artifact with the blob active."),
            **error_responses("400", "401", "403", "404", "409", "411", "413", "415", "503"),
            **error_because("403", UPLOAD_403),
            **error_because("409", UPLOAD_409),
        },
        parameters=[ID, *params],
        description="A body with Content-Range is refused (400): one request, one whole blob.",
        requestBody={
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                LOCATION: {"schema": ref("schemas", "ExternalLocation")},
            },
        },
    )


def _download(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    data = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    return operation(
        f"Download {info.name}.{field} (a single Range is answered with 206)",
        info.name,
        {
            "200": {"description": "The data.", "headers": _DIGEST_HEADERS, "content": data},
            "206": {"description": "A range.", "headers": _DIGEST_HEADERS, "content": data},
            "301": {"description": "An external blob: its location."},
            "304": {"description": "If-None-Match names the current data."},
            **error_responses("400", "401", "403", "404", "409", "412", "416", "503"),
            **error_because("403", DOWNLOAD_403),
            **error_because("409", DOWNLOAD_409),
        },
        parameters=[ID, *params, *_CONDITIONS, *_RANGE, _WANT_DIGEST],
    )


def _describe_blob(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return operation(
        f"The headers a download of {info.name}.{field} gets, without the data",
        info.name,
        {
            "200": {"description": "The data's headers.", "headers": _DIGEST_HEADERS},
            "301": {"description": "An external blob: its location."},
            "304": {"description": "If-None-Match names the current data."},
            **error_responses("400", "401", "403", "404", "409", "412", "503"),
            **error_because("403", DOWNLOAD_403),
            **error_because("409", DOWNLOAD_409),
        },
        parameters=[ID, *params, *_CONDITIONS, _WANT_DIGEST],
    )


def _forget(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return operation(
        f"Forget the external location of {info.name}.{field}",
        info.name,
        {
            "200": artifact_response(info, "The artifact without the blob."),
            **error_responses("400", "401", "403", "404", "409", "503"),
            **error_because("403", FORGET_403),
        },
        parameters=[ID, *params],
    )


#: Blob route templates, with the kind of field each serves.
BLOB_TEMPLATES = {
    "/artifacts/{type_name}/{artifact_id}/{field}": "Blob",
    "/artifacts/{type_name}/{artifact_id}/{field}/{key:path}": "BlobDict",
}


def _open_upload(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return create_operation(info.name, field, [ID, *params])


#: How each method on a blob field is described.
BLOB_METHODS: dict[str, BlobDescriber] = {
    "PUT": _upload,
    "GET": _download,
    "HEAD": _describe_blob,
    "DELETE": _forget,
    "POST": _open_upload,
}
