"""The service's own routes in the document: versions, health, metrics, identity, schemas and
this document itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.openapi.components import JSON, error_responses, json_content, ref
from api.openapi.operations import ALL_TYPES, Operation, operation

#: Routes that Glare's v1 API does not have.
EXTENSION_PATHS = {"/whoami", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs",
                   "/docs/static/docs.js"}  # fmt: skip


def _fixed(
    summary: str, tag: str, status: str, schema: Mapping[str, Any] | None, media: str = JSON
) -> Operation:
    content = {media: {"schema": dict(schema)}} if schema is not None else {"text/plain": {}}
    return operation(summary, tag, {status: {"description": summary, "content": content}})


def service_paths(type_names: list[str]) -> dict[tuple[str, str], Operation]:
    """The service's own operations by (route template, method); ``type_names`` are enabled."""
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
