"""The OpenAPI 3.1 document of the service, built from its routes and its types' schemas.

Each route template the application serves has a describer here; the typed templates
(``/artifacts/{type_name}…``) are expanded into one set of paths per enabled type, with its
fields as schemas and its filterable and sortable fields as list parameters. A route without a
describer is an error (:func:`undocumented` finds them; a test keeps the set empty), so the
document cannot quietly fall behind the router.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from api.openapi.components import (
    DELETE_403,
    DOWNLOAD_403,
    DOWNLOAD_409,
    FORGET_403,
    JSON,
    JSON_PATCH,
    LOCATION,
    UPDATE_403,
    UPDATE_409,
    UPLOAD_403,
    UPLOAD_409,
    components,
    error_because,
    error_responses,
    json_content,
    ref,
    type_schema,
)
from api.openapi.direct import SCHEMAS as DIRECT_SCHEMAS
from api.openapi.direct import paths as direct_paths
from api.openapi.quotas import SCHEMAS as QUOTA_SCHEMAS
from api.openapi.quotas import paths as quota_paths
from api.openapi.uploads import create_operation, upload_paths

#: (route template, method) pairs the document describes; the router must serve exactly these.
Operation = dict[str, Any]
Describer = Callable[["TypeInfo"], Operation]

ALL_TYPES = "all"
_ID = {"name": "artifact_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PROJECT = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}
_PATCH = ref("schemas", "JsonPatch")
_KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}


class TypeInfo:
    """What the document needs of one type: its name, schema, fields and limits."""

    def __init__(self, name: str, schema: Mapping[str, Any], max_list_limit: int) -> None:
        self.name = name
        self.schema = schema
        self.component = "Artifact_" + name
        self.max_list_limit = max_list_limit
        self.properties: Mapping[str, Any] = schema.get("properties", {})

    def blob_fields(self, kind: str) -> list[str]:
        return [n for n, spec in self.properties.items() if spec.get("glareType") == kind]


def _member_json() -> dict[str, Any]:
    return json_content(ref("schemas", "Member"))


#: Marks what Glare's v1 API does not have: ours alone, absent from a Glare server.
EXTENSION = "x-artifact-repo-extension"
#: Tags whose operations are all our extensions.
_EXTENSION_TAGS = {"sharing"}
_EXTENSION_PATHS = {"/whoami", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs",
                    "/docs/static/docs.js"}  # fmt: skip


def _op(summary: str, tag: str, responses: dict[str, Any], **extra: Any) -> Operation:
    operation = {"summary": summary, "tags": [tag], "responses": responses, **extra}
    if tag in _EXTENSION_TAGS:
        operation[EXTENSION] = True
    return operation


def _artifact_response(info: TypeInfo, description: str) -> dict[str, Any]:
    return {"description": description, "content": json_content(ref("schemas", info.component))}


def _list_parameters(info: TypeInfo) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": info.max_list_limit},
            "description": "Page size; 0 lists nothing but still counts (total_count).",
        },
        {
            "name": "marker",
            "in": "query",
            "schema": {"type": "string"},
            "description": "The id after which the page starts (from a next link); an id "
            "the caller cannot see is a 404.",
        },
        {
            "name": "tags",
            "in": "query",
            "schema": {"type": "string"},
            "description": "[and:|or:]t1,t2: every tag (no operator).",
        },
        {
            "name": "tags-any",
            "in": "query",
            "schema": {"type": "string"},
            "description": "[and:|or:]t1,t2: any of the tags (no operator).",
        },
        {
            "name": "sort",
            "in": "query",
            "schema": {"type": "string"},
            "description": "key:asc|desc[,…] over the sortable fields: "
            + ", ".join(sorted(n for n, s in info.properties.items() if s.get("sortable"))),
        },
        {"name": "total_count", "in": "query", "schema": {"enum": ["true", "false"]}},
        {
            "name": "latest",
            "in": "query",
            "schema": {"enum": ["true", "false"]},
            "description": "Only the newest version of each name.",
        },
        {
            "name": "member_status",
            "in": "query",
            "schema": {"enum": ["pending", "all"]},
            "description": "Shares offered to the caller's project: awaiting an answer, or all.",
            EXTENSION: True,
        },
    ]
    for name, spec in sorted(info.properties.items()):
        ops = spec.get("filter_ops") or []
        if ops and name not in {"limit", "marker", "sort"}:
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": f"[and:|or:][op:]value with op one of {', '.join(ops)}"
                    + (
                        "; or a SemVer range (^1.2, >=1.0,<2) or 'latest'"
                        if name == "version"
                        else ""
                    ),
                }
            )
    return params


def _list_schema(info: TypeInfo) -> dict[str, Any]:
    items = {"type": "array", "items": ref("schemas", info.component)}
    return {
        "type": "object",
        "required": ["type_name", "artifacts", "first", "schema", "total_count"],
        "description": "Glare 5's list envelope; 'next' is there whenever the page is full.",
        "properties": {
            "type_name": {"type": "string"},
            "artifacts": items,
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
            "total_count": {
                "type": "integer",
                "minimum": 0,
                "description": "Matches on all pages; past the server's count limit "
                "(api.count_limit), that limit, with total_count_limited; with filters "
                "tested row by row, the matches among the rows a count may examine "
                "(api.count_scan_limit) when it stopped there, with total_count_limited.",
            },
            "total_count_limited": {
                "type": "boolean",
                "enum": [True],
                "description": "Present when counting stopped at the count limit or at "
                "the rows it may examine: at least total_count artifacts match.",
            },
        },
    }


def _list(info: TypeInfo) -> Operation:
    return _op(
        f"List {info.name} artifacts",
        info.name,
        {
            "200": {"description": "One page.", "content": json_content(_list_schema(info))},
            **error_responses("400", "404", "406", "503"),
        },
        parameters=_list_parameters(info),
    )


def _create(info: TypeInfo) -> Operation:
    return _op(
        f"Create a {info.name} artifact (drafted, private)",
        info.name,
        {
            "201": _artifact_response(info, "Created."),
            **error_responses("400", "401", "403", "409", "413", "415", "503"),
        },
        requestBody={"required": True, "content": json_content(ref("schemas", info.component))},
    )


def _show(info: TypeInfo) -> Operation:
    return _op(
        f"Show a {info.name} artifact",
        info.name,
        {"200": _artifact_response(info, "The artifact."), **error_responses("404", "503")},
        parameters=[_ID],
    )


def _update(info: TypeInfo) -> Operation:
    return _op(
        f"Change a {info.name} artifact with a JSON patch",
        info.name,
        {
            "200": _artifact_response(info, "The changed artifact."),
            **error_responses("400", "401", "403", "404", "409", "413", "415", "503"),
            **error_because("403", UPDATE_403),
            **error_because("409", UPDATE_409),
        },
        parameters=[_ID],
        requestBody={
            "required": True,
            "content": {JSON_PATCH: {"schema": ref("schemas", "JsonPatch")}},
        },
    )


def _delete(info: TypeInfo) -> Operation:
    return _op(
        f"Delete a {info.name} artifact and its blobs",
        info.name,
        {
            "204": {"description": "Deleted."},
            **error_responses("401", "403", "404", "409", "503"),
            **error_because("403", DELETE_403),
        },
        parameters=[_ID],
    )


def _members(info: TypeInfo) -> Operation:
    listing = {
        "type": "object",
        "properties": {"members": {"type": "array", "items": ref("schemas", "Member")}},
    }
    return _op(
        "List an artifact's members",
        "sharing",
        {
            "200": {"description": "Memberships.", "content": json_content(listing)},
            **error_responses("401", "403", "404", "503"),
        },
        parameters=[_ID],
    )


def _add_member(info: TypeInfo) -> Operation:
    body = {"type": "object", "required": ["member"], "properties": {"member": {"type": "string"}}}
    return _op(
        "Share an artifact with a project (pending until it answers)",
        "sharing",
        {
            "201": {"description": "Shared.", "content": _member_json()},
            **error_responses("400", "401", "403", "404", "409", "413", "415", "503"),
        },
        parameters=[_ID],
        requestBody={"required": True, "content": json_content(body)},
    )


def _member(info: TypeInfo) -> Operation:
    return _op(
        "Show one membership",
        "sharing",
        {
            "200": {"description": "The membership.", "content": _member_json()},
            **error_responses("401", "403", "404", "503"),
        },
        parameters=[_ID, _PROJECT],
    )


def _answer_member(info: TypeInfo) -> Operation:
    body = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"enum": ["accepted", "rejected", "pending"]}},
    }
    return _op(
        "Answer a share (the member project)",
        "sharing",
        {
            "200": {"description": "The membership.", "content": _member_json()},
            **error_responses("400", "401", "403", "404", "413", "415", "503"),
        },
        parameters=[_ID, _PROJECT],
        requestBody={"required": True, "content": json_content(body)},
    )


def _remove_member(info: TypeInfo) -> Operation:
    return _op(
        "Stop sharing with a project",
        "sharing",
        {"204": {"description": "Removed."}, **error_responses("401", "403", "404", "503")},
        parameters=[_ID, _PROJECT],
    )


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
    return _op(
        f"Upload {info.name}.{field} (streamed), or record an external location",
        info.name,
        {
            "200": _artifact_response(info, "The artifact with the blob active."),
            **error_responses("400", "401", "403", "404", "409", "411", "413", "415", "503"),
            **error_because("403", UPLOAD_403),
            **error_because("409", UPLOAD_409),
        },
        parameters=[_ID, *params],
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
    return _op(
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
        parameters=[_ID, *params, *_CONDITIONS, *_RANGE, _WANT_DIGEST],
    )


def _describe_blob(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return _op(
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
        parameters=[_ID, *params, *_CONDITIONS, _WANT_DIGEST],
    )


def _forget(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return _op(
        f"Forget the external location of {info.name}.{field}",
        info.name,
        {
            "200": _artifact_response(info, "The artifact without the blob."),
            **error_responses("400", "401", "403", "404", "409", "503"),
            **error_because("403", FORGET_403),
        },
        parameters=[_ID, *params],
    )


def _fixed(
    summary: str, tag: str, status: str, schema: Mapping[str, Any] | None, media: str = JSON
) -> Operation:
    content = {media: {"schema": dict(schema)}} if schema is not None else {"text/plain": {}}
    return _op(summary, tag, {status: {"description": summary, "content": content}})


def _service_paths(type_names: list[str]) -> dict[tuple[str, str], Operation]:
    schema_doc = {
        "type": "object",
        "required": ["schemas"],
        "properties": {"schemas": {"type": "object"}},
    }
    versions = _fixed("API versions", "service", "200", ref("schemas", "Versions"))
    versions["responses"]["300"] = {
        "description": "API versions (Glare's answer)",
        "content": json_content(ref("schemas", "Versions")),
    }
    readiness = _fixed(
        "Readiness: database and stores answer", "service", "200", {"type": "object"}
    )
    readiness["responses"]["503"] = {
        "description": "Not ready",
        "content": json_content({"type": "object"}),
    }
    one_schema = _fixed(
        "One type's JSON schema", "types", "200", schema_doc, "application/schema+json"
    )
    one_schema["parameters"] = [
        {
            "name": "type_name",
            "in": "path",
            "required": True,
            "schema": {"enum": [*type_names, ALL_TYPES]},
        }
    ]
    one_schema["responses"].update(error_responses("404"))
    return {
        # Glare answers the version document whatever the method, and so do we.
        **{
            (path, method): versions
            for path in ("/", "/versions")
            for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        },
        ("/healthz", "GET"): _fixed("Liveness", "service", "200", {"type": "object"}),
        ("/readyz", "GET"): readiness,
        ("/metrics", "GET"): _fixed("Prometheus metrics", "service", "200", None),
        ("/whoami", "GET"): _fixed(
            "The caller's resolved identity", "service", "200", ref("schemas", "Identity")
        ),
        ("/schemas", "GET"): _fixed(
            "Every type's JSON schema", "types", "200", schema_doc, "application/schema+json"
        ),
        ("/schemas/{type_name}", "GET"): one_schema,
        ("/openapi.json", "GET"): _fixed("This document", "service", "200", {"type": "object"}),
        ("/docs", "GET"): _fixed(
            "This document, rendered", "service", "200", {"type": "string"}, "text/html"
        ),
        ("/docs/static/docs.js", "GET"): _fixed(
            "The viewer's start-up script", "service", "200", {"type": "string"}, "text/javascript"
        ),
    }


#: Typed route templates, with how each method is described.
_TYPED: dict[str, dict[str, Describer]] = {
    "/artifacts/{type_name}": {"GET": _list, "POST": _create},
    "/artifacts/{type_name}/{artifact_id}": {"GET": _show, "PATCH": _update, "DELETE": _delete},
    "/artifacts/{type_name}/{artifact_id}/members": {"GET": _members, "POST": _add_member},
    "/artifacts/{type_name}/{artifact_id}/members/{project_id}": {
        "GET": _member,
        "PUT": _answer_member,
        "DELETE": _remove_member,
    },
}
_BLOB_TEMPLATES = {
    "/artifacts/{type_name}/{artifact_id}/{field}": "Blob",
    "/artifacts/{type_name}/{artifact_id}/{field}/{key:path}": "BlobDict",
}


def _open_upload(info: TypeInfo, field: str, params: list[dict[str, Any]]) -> Operation:
    return create_operation(info.name, field, [_ID, *params])


_BLOB_METHODS = {
    "PUT": _upload,
    "GET": _download,
    "HEAD": _describe_blob,
    "DELETE": _forget,
    "POST": _open_upload,
}


#: The web catalog's pages and forms (HTML for people, described here so that the document
#: covers every route; the catalog's own browser tests check what they render).
_CATALOG: dict[str, tuple[str, ...]] = {
    "/ui": ("GET",),
    "/ui/shares": ("GET",),
    "/ui/sign-in": ("GET", "POST"),
    "/ui/sign-out": ("POST",),
    "/ui/static/{name}": ("GET",),
    "/ui/types/{type_name}": ("GET",),
    "/ui/types/{type_name}/{artifact_id}": ("GET",),
    "/ui/types/{type_name}/{artifact_id}/status": ("POST",),
    "/ui/types/{type_name}/{artifact_id}/visibility": ("POST",),
    "/ui/types/{type_name}/{artifact_id}/members": ("POST",),
    "/ui/types/{type_name}/{artifact_id}/answer": ("POST",),
    "/ui/types/{type_name}/{artifact_id}/download/{field}": ("GET",),
    "/ui/types/{type_name}/{artifact_id}/download/{field}/{key:path}": ("GET",),
}
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _catalog_operation(template: str, method: str) -> Operation:
    names = [part.strip("{}").split(":")[0] for part in template.split("/") if part[:1] == "{"]
    anything = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    ok = anything if "/download/" in template or "/static/" in template else _HTML
    operation: Operation = {
        "summary": f"Web catalog: {'page' if method == 'GET' else 'form'} {template}",
        "tags": ["web catalog"],
        EXTENSION: True,
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in names
        ],
        "responses": {
            "200": {"description": "The page.", "content": ok},
            "303": {"description": "Done: the page to go to next."},
            "400": {"description": "A form that cannot be used.", "content": _HTML},
            "401": {"description": "Sign in first.", "content": _HTML},
            "403": {"description": "Not allowed.", "content": _HTML},
            "404": {"description": "Nothing here.", "content": _HTML},
            "409": {"description": "Not in this state.", "content": _HTML},
        },
    }
    if method == "POST":
        form = {"type": "object", "additionalProperties": {"type": "string"}}
        operation["requestBody"] = {
            "content": {"application/x-www-form-urlencoded": {"schema": form}}
        }
    return operation


def documented_routes(extra: Iterable[tuple[str, str]] = ()) -> set[tuple[str, str]]:
    """Every (route template, method) this module describes."""
    routes = set(_service_paths([])) | set(quota_paths()) | set(upload_paths())
    routes |= set(direct_paths())
    routes |= {(t, m) for t, methods in _TYPED.items() for m in methods}
    routes |= {(t, m) for t in _BLOB_TEMPLATES for m in _BLOB_METHODS}
    routes |= {(t, m) for t, methods in _CATALOG.items() for m in methods}
    return routes | set(extra)


def build(
    types: Mapping[str, Mapping[str, Any]], *, max_list_limit: int, version: str
) -> dict[str, Any]:
    """The whole document for the enabled types (name → JSON schema, ``all`` included)."""
    infos = {name: TypeInfo(name, schema, max_list_limit) for name, schema in types.items()}
    paths: dict[str, dict[str, Any]] = {}
    for (template, method), operation in _service_paths(
        sorted(n for n in types if n != ALL_TYPES)
    ).items():
        marked = {**operation, EXTENSION: True} if template in _EXTENSION_PATHS else operation
        paths.setdefault(template, {})[method.lower()] = marked
    for (template, method), operation in [
        *quota_paths().items(),
        *upload_paths().items(),
        *direct_paths().items(),
    ]:
        paths.setdefault(template, {})[method.lower()] = operation
    for page, page_methods in _CATALOG.items():
        paths[page.replace(":path}", "}")] = {
            m.lower(): _catalog_operation(page, m) for m in page_methods
        }
    everything = infos[ALL_TYPES]
    paths["/artifacts/all"] = {"get": {**_list(everything), "summary": "List every type at once"}}
    paths["/artifacts/all/{artifact_id}"] = {
        "get": {**_show(everything), "summary": "Show any artifact by its id"}
    }
    for name, info in sorted(infos.items()):
        if name == ALL_TYPES:
            continue
        for template, methods in _TYPED.items():
            path = template.replace("{type_name}", name)
            paths[path] = {m.lower(): describe(info) for m, describe in methods.items()}
        for field in info.blob_fields("Blob"):
            path = f"/artifacts/{name}/{{artifact_id}}/{field}"
            paths[path] = {m.lower(): d(info, field, []) for m, d in _BLOB_METHODS.items()}
        for field in info.blob_fields("BlobDict"):
            path = f"/artifacts/{name}/{{artifact_id}}/{field}/{{key}}"
            paths[path] = {m.lower(): d(info, field, [_KEY]) for m, d in _BLOB_METHODS.items()}
    schemas = {info.component: type_schema(info.schema) for info in infos.values()}
    schemas.update(QUOTA_SCHEMAS)
    schemas.update(DIRECT_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "artifact-repo",
            "version": version,
            "description": "Typed artifacts (JSON fields and blobs) over OpenStack Glare's v1 API, "
            "with our extensions: members, shared and community visibility, SemVer ranges, "
            "member_status, /whoami, quota usage; each is marked x-artifact-repo-extension. "
            "Errors use Glare's fault format.",
        },
        "servers": [{"url": "/"}],
        "security": [{}, {"apiToken": []}, {"bearer": []}, {"trustedProject": []}],
        "paths": paths,
        "components": components(schemas),
    }
