"""A blob record as the artifact document shows it (Glare's blob descriptor)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from artifacts.db.models import BlobRow
from artifacts.db.reads import BlobRecord
from artifacts.model import fields as f


def blob_descriptor(type_name: str, blob: BlobRow | BlobRecord) -> dict[str, Any]:
    """Render a blob record as Glare does inside the artifact."""
    path = f"/artifacts/{type_name}/{blob.artifact_id}/{blob.field}"
    if blob.key:
        path += f"/{blob.key}"
    complete = blob.location is not None or blob.external_url is not None
    # In Glare's order: the clients print a blob's keys as they come (glare upload's table).
    return {
        "url": blob.external_url or path,
        "status": blob.status,
        "external": blob.external_url is not None,
        "md5": blob.md5 if complete else None,
        "sha1": blob.sha1 if complete else None,
        "sha256": blob.sha256 if complete else None,
        "size": blob.size if complete else None,
        "content_type": blob.content_type if complete else None,
    }


def blob_values(
    type_name: str, blob_fields: Mapping[str, f.Field], blobs: Iterable[BlobRow | BlobRecord]
) -> dict[str, Any]:
    """Group an artifact's blob rows into the values of its blob fields (``blob_fields``,
    ``ArtifactType.blob_fields``): a descriptor, or a dict of them.

    A folder lists its keys in the order they were first uploaded, as Glare's does.
    """
    values: dict[str, Any] = {
        name: {} if isinstance(field, f.BlobDict) else None for name, field in blob_fields.items()
    }
    for blob in sorted(blobs, key=_upload_order):
        if blob.field not in values:
            continue
        if isinstance(blob_fields[blob.field], f.BlobDict):
            values[blob.field][blob.key] = blob_descriptor(type_name, blob)
        else:
            values[blob.field] = blob_descriptor(type_name, blob)
    return values


def _upload_order(blob: BlobRow | BlobRecord) -> tuple[dt.datetime, str]:
    return blob.created_at, blob.key
