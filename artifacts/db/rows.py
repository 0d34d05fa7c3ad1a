"""Mapping between an artifact's field values and its row.

Common fields have columns of their own; every other field lives in the row's ``properties``
JSON document, in the form its kind stores (``Field.document_entries``), beside any sort key
the kind keeps there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from artifacts.model import fields as f
from artifacts.model import semver
from artifacts.model.base import COMMON_FIELDS

from .models import ArtifactRow
from .reads import ArtifactRecord


def row_values(
    type_name: str, values: Mapping[str, Any], fields: Mapping[str, f.Field]
) -> dict[str, Any]:
    """Return the column values storing an artifact's field values."""
    out: dict[str, Any] = {
        "type_name": type_name,
        "id": values["id"],
        "name": values["name"],
        "version": values["version"],
        "version_key": semver.sort_key(values["version"]),
        "owner": values["owner"],
        "visibility": values["visibility"],
        "status": values["status"],
        "description": values.get("description"),
        "tags": list(values.get("tags") or []),
        "metadata_": dict(values.get("metadata") or {}),
        "created_at": values["created_at"],
        "updated_at": values["updated_at"],
        "activated_at": values.get("activated_at"),
    }
    properties: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in COMMON_FIELDS and not field.is_blob:
            properties.update(field.document_entries(name, values.get(name)))
    out["properties"] = properties
    return out


def property_values(fields: Mapping[str, f.Field], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``properties`` entries storing some type-specific field values."""
    properties: dict[str, Any] = {}
    for name, value in updates.items():
        properties.update(fields[name].document_entries(name, value))
    return properties


def field_values(
    row: ArtifactRow | ArtifactRecord,
    fields: Mapping[str, f.Field],
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return an artifact's field values from its row (blob fields are filled by the caller).

    ``properties`` replaces the row's own when given (upgraded to the type's current version).
    """
    values: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "owner": row.owner,
        "visibility": row.visibility,
        "status": row.status,
        "description": row.description,
        "tags": list(row.tags),
        "metadata": dict(row.metadata_),
        "created_at": aware(row.created_at),
        "updated_at": aware(row.updated_at),
        "activated_at": aware(row.activated_at),
    }
    if properties is None:
        properties = row.properties or {}
    for name, field in fields.items():
        if name in COMMON_FIELDS or field.is_blob:
            continue
        value = properties[name] if name in properties else field.initial_value()
        values[name] = field.from_document(value)
    return values


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
