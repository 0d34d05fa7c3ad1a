"""The web catalog's pages and forms in the document: HTML for people, described so that the
document covers every route (the catalog's own browser tests check what they render)."""

from __future__ import annotations

from api.openapi.components import EXTENSION
from api.openapi.operations import Operation

#: Each page or form's route template and methods.
CATALOG: dict[str, tuple[str, ...]] = {
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


def catalog_operation(template: str, method: str) -> Operation:
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
