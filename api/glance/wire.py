"""Translate between Glance's image documents and the images artifact type.

A Glance image is the ``images`` artifact seen through Glance's eyes:

=====================  ========================================================================
Glance attribute       artifact
=====================  ========================================================================
``id`` ``name``        the common fields of the same name
``tags``               ``tags``; ``description`` (a plain property to Glance) is ``description``
``visibility``         ``visibility`` (the same four values)
``owner``              ``owner`` (``null`` when the artifact has no owning project)
``status``             from the artifact status and its ``image`` blob (:func:`glance_status`)
``size`` ``checksum``  the ``image`` blob's size and MD5
``os_hash_*``          the type's ``os_hash_algo``/``os_hash_value`` fields when it declares
                       them, otherwise the blob's SHA-256 (a multihash Glance can be set to)
``protected``          the type's fields of that name when it declares them, else ``false``
``os_hidden``
typed fields           ``container_format``, ``disk_format``, ``min_ram``, ``min_disk``,
                       ``kernel_id``, ``ramdisk_id``, ``instance_uuid``, ``architecture``,
                       ``os_distro``, ``os_version``, ``img_signature*``, ``virtual_size``
                       when declared
anything else          one entry of the free-form ``properties`` dict (string values)
=====================  ========================================================================

So nothing a Glance client writes is lost, and every property stays filterable in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from artifacts.engine.imports import ImportState
from artifacts.errors import Conflict, Forbidden, InvalidInput, InvalidValue

TYPE_NAME = "images"
BLOB_FIELD = "image"
PROPERTIES_FIELD = "properties"

#: Glance attributes that are one typed field of the images type, under the same name.
TYPED_ATTRIBUTES = (
    "name",
    "visibility",
    "tags",
    "container_format",
    "disk_format",
    "min_ram",
    "min_disk",
    "kernel_id",
    "ramdisk_id",
    "instance_uuid",
    "architecture",
    "os_distro",
    "os_version",
    "description",
    "img_signature",
    "img_signature_hash_method",
    "img_signature_key_type",
    "img_signature_certificate_uuid",
)
#: The typed attributes Glance always shows; the others are properties to Glance, shown when set.
BASE_ATTRIBUTES = frozenset(
    {"name", "visibility", "tags", "container_format", "disk_format", "min_ram", "min_disk"}
)
#: Glance attributes shown from a type field when the type declares it, else a fixed default.
OPTIONAL_ATTRIBUTES: Mapping[str, Any] = {
    "protected": False,
    "os_hidden": False,
    "virtual_size": None,
}
#: What Glance computes or owns; a client may not write these (Glance answers 403).
READ_ONLY = frozenset(
    {
        "id",
        "status",
        "size",
        "virtual_size",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "owner",
        "created_at",
        "updated_at",
        "self",
        "file",
        "schema",
        "direct_url",
        "locations",
        "stores",
    }
)
#: A new image's visibility when the request names none: Glance's, which lets members be
#: added without making the image visible to anyone else first.
DEFAULT_VISIBILITY = "shared"
#: Glance keeps these names for itself: a client may not set them (Glance answers 403).
RESERVED = frozenset({"location", "deleted", "deleted_at"})
#: ... and every name in this namespace (where import state lives).
RESERVED_NAMESPACE = "os_glance"
#: Artifact fields that mean nothing to Glance and are left out of its documents.
HIDDEN_FIELDS = frozenset({"version", "metadata", "activated_at", BLOB_FIELD, PROPERTIES_FIELD})

#: Glance's statuses (the schema's enum, in its order).
GLANCE_STATUSES = (
    "queued",
    "saving",
    "active",
    "killed",
    "deleted",
    "uploading",
    "importing",
    "pending_delete",
    "deactivated",
)
#: Glance status → the artifact statuses it can stand for (for list filters).
ARTIFACT_STATUSES: Mapping[str, tuple[str, ...]] = {
    "queued": ("drafted",),
    "saving": ("drafted",),
    "active": ("active",),
    "deactivated": ("deactivated",),
}


def glance_status(artifact: Mapping[str, Any], importing: ImportState | None = None) -> str:
    """Glance's status of an artifact: a drafted image is ``saving`` while its data uploads,
    ``importing`` while an import task runs and ``uploading`` while staged data awaits one."""
    status = artifact["status"]
    if status == "drafted":
        blob = artifact.get(BLOB_FIELD)
        if importing is not None and importing.task is not None:
            return "importing"
        if blob and blob.get("status") == "saving":
            return "saving"
        return (
            "uploading" if importing is not None and importing.staged_size is not None else "queued"
        )
    return str(status)


def image_path(image_id: str) -> str:
    return f"/v2/images/{image_id}"


def to_image(
    artifact: Mapping[str, Any],
    importing: ImportState | None = None,
    stores: list[str] | None = None,
) -> dict[str, Any]:
    """Render an images artifact as Glance shows an image.

    ``importing``: its import state, if it has one; ``stores``: the stores holding its data,
    when several are configured (Glance shows them only then).
    """
    blob = artifact.get(BLOB_FIELD) or {}
    complete = blob.get("status") == "active"
    image: dict[str, Any] = dict(artifact.get(PROPERTIES_FIELD) or {})
    for name in TYPED_ATTRIBUTES:
        value = artifact.get(name)
        # The Glare door defaults a description to "", which to Glance is a property not set.
        if (value is not None and value != "") or name in BASE_ATTRIBUTES:
            image[name] = value
    image["min_ram"] = image.get("min_ram") or 0
    image["min_disk"] = image.get("min_disk") or 0
    for name, default in OPTIONAL_ATTRIBUTES.items():
        value = artifact.get(name, default)
        image[name] = default if value is None and default is not None else value
    own_hash = artifact.get("os_hash_value")
    if importing is not None and importing.task is not None:
        # Glance's import lock and progress, shown while the import runs.
        image["os_glance_import_task"] = importing.task["id"]
        image["os_glance_importing_to_stores"] = ",".join(
            importing.task["input"].get("backend") or []
        )
        image["os_glance_failed_import"] = ""
    size = blob.get("size") if complete else None
    if size is None and importing is not None:
        size = importing.staged_size
    image.update(
        {
            "size": size,
            "status": glance_status(artifact, importing),
            "checksum": blob.get("md5") if complete else None,
            "owner": artifact.get("owner") or None,
            "os_hash_algo": artifact.get("os_hash_algo") if own_hash else _sha256(complete),
            "os_hash_value": own_hash or (blob.get("sha256") if complete else None),
            "id": artifact["id"],
            "created_at": glance_time(artifact["created_at"]),
            "updated_at": glance_time(artifact["updated_at"]),
            "self": image_path(artifact["id"]),
            "file": f"{image_path(artifact['id'])}/file",
            "schema": "/v2/schemas/image",
        }
    )
    if stores:
        image["stores"] = ",".join(stores)
    return _in_glance_order(image)


#: The core attributes in the order Glance writes them, after the image's properties.
CORE_ORDER = (
    "name",
    "disk_format",
    "container_format",
    "visibility",
    "size",
    "virtual_size",
    "status",
    "checksum",
    "protected",
    "min_ram",
    "min_disk",
    "owner",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
    "id",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
    "stores",
)
_CORE = frozenset(CORE_ORDER)


def _in_glance_order(image: Mapping[str, Any]) -> dict[str, Any]:
    """Properties first, then the core attributes, as Glance 33 writes an image."""
    ordered = {name: value for name, value in image.items() if name not in _CORE}
    ordered.update((name, image[name]) for name in CORE_ORDER if name in image)
    return ordered


def _sha256(complete: bool) -> str | None:
    return "sha256" if complete else None


def glance_time(value: str | None) -> str | None:
    """Glance's timestamps: UTC to the second, ``2024-01-31T12:00:00Z``."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unsupported_default(attribute: str, value: Any, declared: Mapping[str, Any]) -> bool:
    """Whether this writes the fixed value of an attribute the type lacks (a harmless no-op)."""
    return (
        attribute in OPTIONAL_ATTRIBUTES
        and attribute not in declared
        and attribute not in READ_ONLY
        and value == OPTIONAL_ATTRIBUTES[attribute]
    )


def refuse_unwritable(attribute: str) -> None:
    """Glance's 403 for an attribute no client writes: read-only, or a reserved name."""
    if attribute in READ_ONLY:
        raise Forbidden(f"Attribute '{attribute}' is read-only.")
    if attribute in RESERVED or attribute.startswith(RESERVED_NAMESPACE):
        raise Forbidden(f"Attribute '{attribute}' is reserved.")


def field_path(attribute: str, declared: Mapping[str, Any]) -> str:
    """The artifact JSON pointer that holds a Glance attribute."""
    refuse_unwritable(attribute)
    if attribute in TYPED_ATTRIBUTES or (
        attribute in OPTIONAL_ATTRIBUTES and attribute in declared
    ):
        return f"/{attribute}"
    if attribute in OPTIONAL_ATTRIBUTES or attribute in HIDDEN_FIELDS or attribute in declared:
        raise Forbidden(f"Attribute '{attribute}' cannot be set on this server's images.")
    escaped = attribute.replace("~", "~0").replace("/", "~1")
    return f"/{PROPERTIES_FIELD}/{escaped}"


def create_body(body: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """The artifact fields of a Glance create request (its ``id`` and ``visibility`` aside)."""
    fields: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for attribute, value in body.items():
        if unsupported_default(attribute, value, declared):
            continue
        path = field_path(attribute, declared)
        if path.startswith(f"/{PROPERTIES_FIELD}/"):
            properties[attribute] = _property_value(attribute, value)
        elif value is not None or attribute not in ("name", "tags"):
            fields[attribute] = value
    if properties:
        fields[PROPERTIES_FIELD] = properties
    return fields


def _property_value(attribute: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue(
            f"Provided object does not match schema 'image': {value!r} is not of type "
            f"'string' (additional property {attribute!r})."
        )
    return value


#: Glance's image-update media type (RFC 6902 with Glance's restrictions: top-level paths).
PATCH_MEDIA_TYPE = "application/openstack-images-v2.1-json-patch"
#: Glance's older, draft-10 patch dialect, still accepted by Glance.
PATCH_MEDIA_TYPE_V20 = "application/openstack-images-v2.0-json-patch"
PATCH_OPS = ("add", "remove", "replace")


def from_draft_10(operations: Any) -> Any:
    """Glance's v2.0 patch dialect (``{"replace": "/name", "value": …}``) as RFC 6902 operations."""
    if not isinstance(operations, list):
        return operations
    converted = []
    for op in operations:
        names = [name for name in PATCH_OPS if isinstance(op, dict) and name in op]
        if len(names) != 1:
            raise InvalidInput(
                f"Operation objects must name exactly one of {', '.join(PATCH_OPS)}."
            )
        rest = {k: v for k, v in op.items() if k != names[0]}
        converted.append({"op": names[0], "path": op[names[0]], **rest})
    return converted


def artifact_patch(
    operations: Any, image: Mapping[str, Any], declared: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rewrite a Glance patch onto the artifact's fields.

    Glance's semantics are kept: ``add`` of an existing attribute replaces it, ``replace`` and
    ``remove`` of a property that does not exist are conflicts; only top-level paths are
    accepted. Setting ``protected``/``os_hidden`` to ``false`` on a type without them is a no-op.
    """
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise InvalidInput("Request body must be a JSON array of operation objects.")
    out: list[dict[str, Any]] = []
    for op in operations:
        name = op.get("op")
        path = op.get("path")
        attribute_name = path[1:] if isinstance(path, str) else ""
        if name in ("add", "replace") and unsupported_default(
            attribute_name, op.get("value"), declared
        ):
            continue
        if name not in PATCH_OPS:
            raise InvalidInput(f"Operation must be one of {', '.join(PATCH_OPS)}, not {name!r}.")
        if not isinstance(path, str) or not path.startswith("/") or path.count("/") != 1:
            raise InvalidInput(f"Invalid JSON pointer for this resource: {path!r}.")
        attribute = path[1:].replace("~1", "/").replace("~0", "~")
        target = field_path(attribute, declared)
        if name == "remove":
            if attribute not in image:
                raise _MissingProperty(attribute)
            if target.startswith(f"/{PROPERTIES_FIELD}/"):
                out.append({"op": "remove", "path": target})
            else:
                # A property this door keeps in a typed field: the field stays, unset.
                out.append({"op": "replace", "path": target, "value": None})
            continue
        if "value" not in op:
            raise InvalidInput(f"Operation {name!r} needs a value.")
        value = op["value"]
        is_property = target.startswith(f"/{PROPERTIES_FIELD}/")
        if is_property:
            value = _property_value(attribute, value)
        if name == "replace" and attribute not in image:
            raise _MissingProperty(attribute)
        # Into the properties dict "add" creates or overwrites; a typed field always exists.
        out.append({"op": "add" if is_property else "replace", "path": target, "value": value})
    return out


class _MissingProperty(Conflict):
    """Glance answers 409 when a patch replaces or removes a property the image lacks."""

    code = "property_not_found"

    def __init__(self, attribute: str) -> None:
        super().__init__(f"Property {attribute} does not exist.")
