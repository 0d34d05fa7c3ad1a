"""``/schemas`` and ``/schemas/{type}``: the JSON schema of every enabled type."""

from __future__ import annotations

from typing import Any

import falcon

from api.media import write_json
from artifacts.engine.registry import ALL_TYPES, TypeRegistry
from artifacts.errors import NotFound
from artifacts.model.base import ALL_TYPE_FIELDS
from artifacts.model.schema import common_schema

SCHEMA_MEDIA_TYPE = "application/schema+json; charset=UTF-8"


class SchemasResource:
    def __init__(self, types: TypeRegistry) -> None:
        self._schemas: dict[str, Any] = {t.name: t.schema for t in types}
        self._schemas[ALL_TYPES] = common_schema(ALL_TYPES, ALL_TYPE_FIELDS)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, {"schemas": self._schemas})
        resp.content_type = SCHEMA_MEDIA_TYPE

    def on_get_type(self, req: falcon.Request, resp: falcon.Response, type_name: str) -> None:
        schema = self._schemas.get(type_name)
        if schema is None:
            # Glare's words: a plain NotFound fault, not the TypeNotFound of /artifacts/<type>.
            raise NotFound(f"Artifact type {type_name} does not exist")
        write_json(resp, {"schemas": {type_name: schema}})
        resp.content_type = SCHEMA_MEDIA_TYPE
