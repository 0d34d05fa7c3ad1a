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
from artifacts.model.base import DOCUMENT_ORDER

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
    rendering is most of a list page's work.
    """
    fields = artifact_type.fields
    document = _common_wire_values(row)
    properties = readable_properties(artifact_type, row)
    blob_documents = blob_values(row.type_name, fields, blobs)
    for name, field in fields.items():
        if name in document:
            continue
        if field.is_blob:
            document[name] = blob_documents[name]
        elif name in properties:
            document[name] = properties[name]
        else:
            document[name] = field.to_json(field.initial_value())
    rendered = {name: document[name] for name in artifact_type.document_order}
    rendered[DISPLAY_TYPE_NAME] = artifact_type.display_name
    return rendered


def render_common(types: TypeRegistry, row: ArtifactRow | reads.ArtifactRecord) -> dict[str, Any]:
    """The document of an artifact listed or shown through "all": its common fields only."""
    values = _common_wire_values(row)
    document = {"type_name": row.type_name, **{name: values[name] for name in DOCUMENT_ORDER}}
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
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "owner": row.owner,
        "visibility": row.visibility,
        "status": row.status,
        "description": row.description,
        "tags": list(row.tags),
        "metadata": dict(row.metadata_),
        "created_at": _wire_time(row.created_at),
        "updated_at": _wire_time(row.updated_at),
        "activated_at": _wire_time(row.activated_at),
    }


def _wire_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        # SQLite hands back naive datetimes, and everything stored is UTC: format it as is
        # (a list page formats 75 of these; the aware round trip was a fifth of rendering).
        return value.isoformat(timespec="seconds") + "Z"
    return f.format_datetime(value)
