"""The Glance Images v2 door: Glance's wire format over the engine's images artifacts.

Everything lives under ``/v2``; errors under it are rendered as Glance renders them
(:mod:`api.glance.faults`). The version document on ``/`` and ``/versions`` is shared with the
Glare door (:mod:`api.glance.discovery`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from api.glance import data, discovery, images, imports, members, schemas, tasks
from artifacts.config import Settings
from artifacts.engine.services import Services

PREFIX = "/v2"


def add_routes(
    app: falcon.App[falcon.Request, falcon.Response], settings: Settings, services: Services
) -> None:
    """Route ``/v2/…`` to the Glance resources (the images type must be enabled)."""
    image_type = services.types.get("images")
    declared = image_type.fields
    image_schema = schemas.image_schema(
        _enum(image_type.schema, "container_format"), _enum(image_type.schema, "disk_format")
    )
    app.add_route(PREFIX, discovery.V2Root())
    app.add_route(f"{PREFIX}/info/import", discovery.ImportInfo(services.imports.methods))
    app.add_route(
        f"{PREFIX}/info/stores",
        discovery.StoresInfo(list(services.stores), settings.default_store),
    )
    app.add_route(f"{PREFIX}/schemas/image", schemas.SchemaResource(image_schema))
    app.add_route(
        f"{PREFIX}/schemas/images", schemas.SchemaResource(schemas.images_schema(image_schema))
    )
    app.add_route(f"{PREFIX}/schemas/member", schemas.SchemaResource(schemas.MEMBER_SCHEMA))
    app.add_route(f"{PREFIX}/schemas/members", schemas.SchemaResource(schemas.MEMBERS_SCHEMA))
    limit = settings.max_json_body
    app.add_route(
        f"{PREFIX}/images",
        images.ImageCollection(services.artifacts, services.imports, declared, limit, image_schema),
    )
    app.add_route(
        f"{PREFIX}/images/{{image_id}}",
        images.ImageItem(services.artifacts, services.imports, declared, limit),
    )
    app.add_route(f"{PREFIX}/images/{{image_id}}/stage", imports.ImageStage(services.imports))
    app.add_route(
        f"{PREFIX}/images/{{image_id}}/import",
        imports.ImageImport(services.imports, settings.max_json_body),
    )
    app.add_route(
        f"{PREFIX}/images/{{image_id}}/tasks",
        tasks.ImageTasks(services.artifacts, services.tasks),
    )
    app.add_route(f"{PREFIX}/tasks", tasks.TaskCollection(services.tasks))
    app.add_route(f"{PREFIX}/tasks/{{task_id}}", tasks.TaskItem(services.tasks))
    app.add_route(f"{PREFIX}/images/{{image_id}}/tags/{{tag}}", images.ImageTag(services.artifacts))
    app.add_route(
        f"{PREFIX}/images/{{image_id}}/actions/{{action}}", images.ImageAction(services.artifacts)
    )
    app.add_route(
        f"{PREFIX}/images/{{image_id}}/file",
        data.ImageData(services.artifacts, services.blobs, services.imports, declared),
    )
    app.add_route(
        f"{PREFIX}/images/{{image_id}}/members", members.MemberCollection(services.members, limit)
    )
    app.add_route(
        f"{PREFIX}/images/{{image_id}}/members/{{member_id}}",
        members.MemberItem(services.members, limit),
    )


def _enum(schema: Mapping[str, Any], field: str) -> list[str]:
    """The allowed values the type's JSON schema gives a field (none: any value)."""
    found = schema.get("properties", {}).get(field, {})
    values = found.get("enum") or next(
        (option.get("enum") for option in found.get("anyOf", []) if option.get("enum")), None
    )
    return [v for v in values or [] if v is not None]
