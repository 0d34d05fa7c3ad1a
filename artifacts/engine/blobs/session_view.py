"""A resumable upload session as its client sees it (what the tus resource renders)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from artifacts.db import upload_sessions as rows
from artifacts.db.models import UploadSessionRow
from artifacts.db.rows import aware

from .common import BlobRef


@dataclass(frozen=True)
class UploadSession:
    """A resumable upload as its client sees it; ``artifact`` once the last append finished it."""

    upload_id: str
    ref: BlobRef
    length: int
    offset: int
    expires_at: dt.datetime
    complete: bool
    metadata: str | None
    store: str
    location: str
    content_type: str
    artifact: Mapping[str, Any] | None = None


def session_view(row: UploadSessionRow) -> UploadSession:
    """The session a row records, as its client sees it."""
    return UploadSession(
        upload_id=row.id,
        ref=BlobRef(row.type_name, row.artifact_id, row.field, row.key),
        length=row.length,
        offset=row.offset,
        expires_at=aware(row.expires_at) or row.expires_at,
        complete=row.status == rows.COMPLETE,
        metadata=row.upload_metadata,
        store=row.store,
        location=row.location,
        content_type=row.content_type,
    )


def replaced(current: UploadSession, **changes: Any) -> UploadSession:
    """The session with some of its values changed (it is frozen)."""
    values = {**current.__dict__, **changes}
    return UploadSession(**values)
