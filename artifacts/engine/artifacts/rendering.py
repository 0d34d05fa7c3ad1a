"""Artifact documents as the API shows them, rendered straight from their rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from artifacts.db import reads
from artifacts.db.models import ArtifactRow, BlobRow
from artifacts.engine.blobs import blob_values
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.versions import readable_properties
from artifacts.model import fields as f

#: Every artifact document names its type's display name (Glare's read-only field).
DISPLAY_TYPE_NAME = "display_type_name"


def render(
    artifact_type: ArtifactType,
    row: ArtifactRow | reads.ArtifactRecord,
    blobs: Iterable[BlobRow | reads.BlobRecord],
) -> dict[str, Any]:
    """The wire document of one artifact, straight from its row.

    Type-specific values are stored in their wire form (``rows.row_values`` writes datetimes
    with ``format_datetime``), so they are copied rather than parsed and formatted again:
    rendering is most of a list page's work, and each field's place in the document is
    worked out once per type (``ArtifactType.own_fields``), not once per row.
    """
    properties = readable_properties(artifact_type, row)
    blob_documents = blob_values(row.type_name, artifact_type.blob_fields, blobs)
    rendered: dict[str, Any] = {}
    for name, field in artifact_type.own_fields:
        if field.is_blob:
            rendered[name] = blob_documents[name]
        elif name in properties:
            rendered[name] = properties[name]
        else:
            rendered[name] = field.to_json(field.initial_value())
    rendered.update(_common_wire_values(row))
    rendered[DISPLAY_TYPE_NAME] = artifact_type.display_name
    return rendered


def render_common(types: TypeRegistry, row: ArtifactRow | reads.ArtifactRecord) -> dict[str, Any]:
    """The document of an artifact listed or shown through "all": its common fields only."""
    values = _common_wire_values(row)
    document = {"type_name": row.type_name, **values}
    known = row.type_name in types
    document[DISPLAY_TYPE_NAME] = types.get(row.type_name).display_name if known else row.type_name
    return document


def wire_document(fields: Mapping[str, f.Field], values: Mapping[str, Any]) -> dict[str, Any]:
    """Field values as JSON, each missing one at its field's initial value."""
    return {
        name: field.to_json(values[name] if name in values else field.initial_value())
        for name, field in fields.items()
    }


def _common_wire_values(row: ArtifactRow | reads.ArtifactRecord) -> dict[str, Any]:
    """The common fields, in :data:`DOCUMENT_ORDER`."""
    return {
        "id": row.id,
        "name": row.name,
        "owner": row.owner,
        "status": row.status,
        "created_at": _wire_time(row.created_at),
        "updated_at": _wire_time(row.updated_at),
        "activated_at": _wire_time(row.activated_at),
        "description": row.description,
        "tags": list(row.tags),
        "metadata": dict(row.metadata_),
        "visibility": row.visibility,
        "version": row.version,
    }


def _wire_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # SQLite hands back naive datetimes, and everything stored is UTC: format it as is
        # (a list page formats 75 of these; the aware round trip was a fifth of rendering).
        return value.isoformat(timespec="seconds") + "Z"
    return f.format_datetime(value)
