"""The OpenAPI 3.1 document of the service, built from its routes and its types' schemas.

Each route template the application serves has a describer; the typed templates
(``/artifacts/{type_name}…``) are expanded into one set of paths per enabled type, with its
fields as schemas and its filterable and sortable fields as list parameters. A test checks that
the router serves exactly :func:`documented_routes`, so the document cannot quietly fall behind
the router.

The describers, by job: ``service.py`` (the service's own routes), ``artifacts.py`` (typed
artifact routes), ``members.py`` (sharing), ``blobs.py`` (blob fields), ``uploads.py`` and
``direct.py`` (resumable and direct uploads), ``quotas.py``, ``catalog.py`` (the web catalog);
``operations.py`` and ``components.py`` hold what they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from api.openapi.artifacts import (
    create_artifact,
    delete_artifact,
    list_artifacts,
    show_artifact,
    update_artifact,
)
from api.openapi.blobs import BLOB_METHODS, BLOB_TEMPLATES
from api.openapi.catalog import CATALOG, catalog_operation
from api.openapi.components import EXTENSION, components, type_schema
from api.openapi.direct import SCHEMAS as DIRECT_SCHEMAS
from api.openapi.direct import paths as direct_paths
from api.openapi.members import (
    add_member,
    answer_member,
    list_members,
    remove_member,
    show_member,
)
from api.openapi.operations import ALL_TYPES, KEY, Describer, TypeInfo
from api.openapi.quotas import SCHEMAS as QUOTA_SCHEMAS
from api.openapi.quotas import paths as quota_paths
from api.openapi.service import EXTENSION_PATHS, service_paths
from api.openapi.uploads import upload_paths

__all__ = ["ALL_TYPES", "build", "documented_routes"]

#: Typed route templates, with how each method is described.
_TYPED: dict[str, dict[str, Describer]] = {
    "/artifacts/{type_name}": {"GET": list_artifacts, "POST": create_artifact},
    "/artifacts/{type_name}/{artifact_id}": {
        "GET": show_artifact,
        "PATCH": update_artifact,
        "DELETE": delete_artifact,
    },
    "/artifacts/{type_name}/{artifact_id}/members": {"GET": list_members, "POST": add_member},
    "/artifacts/{type_name}/{artifact_id}/members/{project_id}": {
        "GET": show_member,
        "PUT": answer_member,
        "DELETE": remove_member,
    },
}


def documented_routes(extra: Iterable[tuple[str, str]] = ()) -> set[tuple[str, str]]:
    """Every (route template, method) this module describes."""
    routes = set(service_paths([])) | set(quota_paths()) | set(upload_paths())
    routes |= set(direct_paths())
    routes |= {(t, m) for t, methods in _TYPED.items() for m in methods}
    routes |= {(t, m) for t in BLOB_TEMPLATES for m in BLOB_METHODS}
    routes |= {(t, m) for t, methods in CATALOG.items() for m in methods}
    return routes | set(extra)


def build(
    types: Mapping[str, Mapping[str, Any]], *, max_list_limit: int, version: str
) -> dict[str, Any]:
    """The whole document for the enabled types (name → JSON schema, ``all`` included)."""
    infos = {name: TypeInfo(name, schema, max_list_limit) for name, schema in types.items()}
    paths: dict[str, dict[str, Any]] = {}
    for (template, method), operation in service_paths(
        sorted(n for n in types if n != ALL_TYPES)
    ).items():
        marked = {**operation, EXTENSION: True} if template in EXTENSION_PATHS else operation
        paths.setdefault(template, {})[method.lower()] = marked
    for (template, method), operation in [
        *quota_paths().items(),
        *upload_paths().items(),
        *direct_paths().items(),
    ]:
        paths.setdefault(template, {})[method.lower()] = operation
    for page, page_methods in CATALOG.items():
        paths[page.replace(":path}", "}")] = {
            m.lower(): catalog_operation(page, m) for m in page_methods
        }
    everything = infos[ALL_TYPES]
    paths["/artifacts/all"] = {
        "get": {**list_artifacts(everything), "summary": "List every type at once"}
    }
    paths["/artifacts/all/{artifact_id}"] = {
        "get": {**show_artifact(everything), "summary": "Show any artifact by its id"}
    }
    for name, info in sorted(infos.items()):
        if name == ALL_TYPES:
            continue
        for template, methods in _TYPED.items():
            path = template.replace("{type_name}", name)
            paths[path] = {m.lower(): describe(info) for m, describe in methods.items()}
        for field in info.blob_fields("Blob"):
            path = f"/artifacts/{name}/{{artifact_id}}/{field}"
            paths[path] = {m.lower(): d(info, field, []) for m, d in BLOB_METHODS.items()}
        for field in info.blob_fields("BlobDict"):
            path = f"/artifacts/{name}/{{artifact_id}}/{field}/{{key}}"
            paths[path] = {m.lower(): d(info, field, [KEY]) for m, d in BLOB_METHODS.items()}
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
