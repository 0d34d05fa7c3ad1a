"""What every operation of the document is built from: a type's facts, the common parameters
and the operation object itself, marked when it is ours alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api.openapi.components import EXTENSION, json_content, ref

Operation = dict[str, Any]
Describer = Callable[["TypeInfo"], Operation]
#: Describes one method on one blob field: the type, the field, the field's path parameters.
BlobDescriber = Callable[["TypeInfo", str, list[dict[str, Any]]], Operation]

ALL_TYPES = "all"
ID = {"name": "artifact_id", "in": "path", "required": True, "schema": {"type": "string"}}
PROJECT = {"name": "project_id", "in": "path", "required": True, "schema": {"type": "string"}}
KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
#: Tags whose operations are all our extensions.
_EXTENSION_TAGS = {"sharing"}


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


def operation(summary: str, tag: str, responses: dict[str, Any], **extra: Any) -> Operation:
    """An operation under ``tag``; those of an extension tag are marked as ours."""
    op = {"summary": summary, "tags": [tag], "responses": responses, **extra}
    if tag in _EXTENSION_TAGS:
        op[EXTENSION] = True
    return op


def artifact_response(info: TypeInfo, description: str) -> dict[str, Any]:
    """A response whose body is one artifact of the type."""
    return {"description": description, "content": json_content(ref("schemas", info.component))}
