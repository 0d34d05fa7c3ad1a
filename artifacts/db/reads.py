"""The hot reads (show, the blobs of a page) in SQLAlchemy Core, with statements built once.

Profiling show-by-id under load (docs/PERFORMANCE.md) found most of a request's CPU in the ORM:
building two SELECTs per call, generating their cache keys, the session and its identity map,
and instance loading, for rows that are only rendered and thrown away. Here each statement is
built once with bound parameters, so SQLAlchemy finds its compiled form by identity, and rows
become small slotted records. One statement (the artifact LEFT JOIN its blobs) also needs no
transaction around it to be consistent, which saves BEGIN and COMMIT.

Writes keep using the ORM (``repository``): they are fewer, and they need its unit of work.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, Select, String, bindparam, select

from .models import ArtifactRow, BlobRow


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """An artifact row as read: the attributes of :class:`ArtifactRow`, nothing tracked."""

    id: str
    type_name: str
    name: str
    version: str
    version_key: str
    owner: str
    visibility: str
    status: str
    description: str | None
    tags: list[str]
    metadata_: dict[str, str]
    properties: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    activated_at: dt.datetime | None
    revision: int
    type_version: str | None = None
    backport_version: str | None = None
    backport: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class BlobRecord:
    """A blob row as read: the attributes of :class:`BlobRow`."""

    artifact_id: str
    field: str
    key: str
    status: str
    size: int | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    content_type: str | None
    store: str | None
    location: str | None
    external_url: str | None
    pending_upload_id: str | None
    pending_store: str | None
    pending_location: str | None
    pending_started_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _columns(model: Any, record: type) -> list[Any]:
    """The table columns in the record's field order (found by ORM attribute name).

    Plain table columns, not ORM attributes: a statement made of these compiles and runs
    without the ORM's compile-state machinery.
    """
    return [model.__mapper__.columns[item.name] for item in fields(record)]


_ARTIFACTS = ArtifactRow.__table__
_BLOBS = BlobRow.__table__
#: Every column of ``artifacts`` in :class:`ArtifactRecord` order: ``ArtifactRecord(*row)``.
ARTIFACT_COLUMNS = _columns(ArtifactRow, ArtifactRecord)
ARTIFACT_FIELD_NAMES = tuple(item.name for item in fields(ArtifactRecord))
_BLOB_COLUMNS = _columns(BlobRow, BlobRecord)
_SPLIT = len(ARTIFACT_COLUMNS)

_WITH_BLOBS = select(*ARTIFACT_COLUMNS, *_BLOB_COLUMNS).select_from(
    _ARTIFACTS.outerjoin(_BLOBS, _BLOBS.c.artifact_id == _ARTIFACTS.c.id)
)
_SHOW_ANY_TYPE = _WITH_BLOBS.where(_ARTIFACTS.c.id == bindparam("artifact_id"))
_SHOW = _SHOW_ANY_TYPE.where(_ARTIFACTS.c.type_name == bindparam("type_name"))


@functools.cache
def _blobs_of(size: int) -> Select[Any]:
    """The blobs of ``size`` artifacts, each id its own bound parameter.

    An "expanding" ``IN`` parameter would have its SQL rewritten on every execution (~65 µs
    a page); one statement per power-of-two size keeps the text compiled, with the ids of a
    shorter page repeated to fill it.
    """
    ids = [bindparam(f"a{i}", type_=String()) for i in range(size)]
    return select(*_BLOB_COLUMNS).where(_BLOBS.c.artifact_id.in_(ids))


def artifact_with_blobs(
    connection: Connection, artifact_id: str, *, type_name: str | None
) -> tuple[ArtifactRecord, list[BlobRecord]] | None:
    """Read one artifact (of ``type_name``, unless None) and its blobs in one statement."""
    if type_name is None:
        result = connection.execute(_SHOW_ANY_TYPE, {"artifact_id": artifact_id})
    else:
        result = connection.execute(_SHOW, {"artifact_id": artifact_id, "type_name": type_name})
    rows = result.all()
    if not rows:
        return None
    artifact = ArtifactRecord(*rows[0][:_SPLIT])
    # Without blobs the outer join yields one row whose blob columns are all NULL.
    blobs = [BlobRecord(*row[_SPLIT:]) for row in rows if row[_SPLIT] is not None]
    return artifact, blobs


def blobs_of(connection: Connection, artifact_ids: Sequence[str]) -> dict[str, list[BlobRecord]]:
    """Return the blob records of several artifacts (a page of a list) in one statement."""
    found: dict[str, list[BlobRecord]] = {artifact_id: [] for artifact_id in artifact_ids}
    if found:
        ids = list(found)
        size = 1 << (len(ids) - 1).bit_length()
        values = {f"a{i}": ids[min(i, len(ids) - 1)] for i in range(size)}
        for row in connection.execute(_blobs_of(size), values):
            found[row[0]].append(BlobRecord(*row))
    return found
