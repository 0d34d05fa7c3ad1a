"""``/v2/schemas/image(s)`` and ``/v2/schemas/member(s)``: the JSON schemas Glance clients load.

python-glanceclient validates every image it reads and writes against ``/v2/schemas/image``
(through warlock), and builds its CLI options from it, so the attribute names, types, enums and
``readOnly`` marks follow Glance's; the descriptions are ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from api.glance import wire
from api.glance.output import write_json

_UUID = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"


def _text(description: str, *, nullable: bool = True, **extra: Any) -> dict[str, Any]:
    kind: Any = ["null", "string"] if nullable else "string"
    return {"type": kind, "description": description, **extra}


def _read_only(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "readOnly": True, "description": description, **extra}


def image_schema(container_formats: list[str], disk_formats: list[str]) -> dict[str, Any]:
    """The image schema, with the formats the images type allows."""
    properties: dict[str, Any] = {
        "id": {"type": "string", "description": "The image's UUID.", "pattern": _UUID},
        "name": _text("Name of the image.", maxLength=255),
        "status": _read_only(
            "string", "Where the image is in its life cycle.", enum=list(wire.GLANCE_STATUSES)
        ),
        "visibility": {
            "type": "string",
            "description": "Who can see the image.",
            "enum": ["community", "public", "private", "shared"],
        },
        "protected": {"type": "boolean", "description": "A protected image cannot be deleted."},
        "os_hidden": {
            "type": "boolean",
            "description": "A hidden image is left out of lists unless asked for.",
        },
        "checksum": _read_only(["null", "string"], "MD5 of the image data.", maxLength=32),
        "os_hash_algo": _read_only(
            ["null", "string"], "Hash algorithm of os_hash_value.", maxLength=64
        ),
        "os_hash_value": _read_only(
            ["null", "string"], "Hex digest of the image data with os_hash_algo.", maxLength=128
        ),
        "owner": _text("Project that owns the image.", maxLength=255),
        "size": _read_only(["null", "integer"], "Size of the image data in bytes."),
        "virtual_size": _read_only(["null", "integer"], "Virtual size of the disk in bytes."),
        "container_format": _text(
            "Container format of the image data.", enum=[None, *container_formats]
        ),
        "disk_format": _text("Disk format of the image data.", enum=[None, *disk_formats]),
        "created_at": _read_only("string", "When the image was created (UTC)."),
        "updated_at": _read_only("string", "When the image last changed (UTC)."),
        "tags": {
            "type": "array",
            "description": "Labels of the image.",
            "items": {"type": "string", "maxLength": 255},
        },
        "direct_url": _read_only("string", "Where the image data is kept, when shown."),
        "min_ram": {"type": "integer", "description": "RAM (MiB) needed to boot the image."},
        "min_disk": {"type": "integer", "description": "Disk (GiB) needed to boot the image."},
        "self": _read_only("string", "URL of the image."),
        "file": _read_only("string", "URL of the image data."),
        "stores": _read_only("string", "Stores holding the image data, comma-separated."),
        "schema": _read_only("string", "URL of this schema."),
        "locations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "maxLength": 255},
                    "metadata": {"type": "object"},
                    "validation_data": {
                        "description": "Digests the location's data must have.",
                        "type": "object",
                        "writeOnly": True,
                        "additionalProperties": False,
                        "properties": {
                            "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                            "os_hash_algo": {"type": "string", "maxLength": 64},
                            "os_hash_value": {"type": "string", "maxLength": 128},
                        },
                        "required": ["os_hash_algo", "os_hash_value"],
                    },
                },
                "required": ["url", "metadata"],
            },
            "description": "Locations of the image data (not exposed by this server).",
        },
        "kernel_id": _text("Image to boot as kernel (AMI-style images).", pattern=_UUID),
        "ramdisk_id": _text("Image to boot as ramdisk (AMI-style images).", pattern=_UUID),
        "instance_uuid": _text("Instance the image was taken from.", maxLength=255),
        "architecture": _text("CPU architecture the image runs on.", maxLength=255),
        "os_distro": _text("Operating system distribution.", maxLength=255),
        "os_version": _text("Operating system version.", maxLength=255),
        "description": _text("Free-form description.", maxLength=4096),
    }
    return {
        "name": "image",
        "properties": properties,
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def images_schema(image: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "properties": {
        "member_id": {"type": "string", "description": "The member project's id."},
        "image_id": {"type": "string", "description": "The shared image's UUID.", "pattern": _UUID},
        "created_at": {"type": "string", "description": "When the image was shared (UTC)."},
        "updated_at": {"type": "string", "description": "When the membership last changed."},
        "status": {
            "type": "string",
            "description": "The member project's answer.",
            "enum": ["pending", "accepted", "rejected"],
        },
        "schema": {"readOnly": True, "type": "string"},
    },
}

MEMBERS_SCHEMA: dict[str, Any] = {
    "name": "members",
    "properties": {
        "members": {"type": "array", "items": MEMBER_SCHEMA},
        "schema": {"type": "string"},
    },
    "links": [{"rel": "describedby", "href": "{schema}"}],
}


class SchemaResource:
    """One fixed schema document."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = dict(schema)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        write_json(resp, self._schema)
