"""Reading and writing blob rows and orphans: the states a blob record moves through.

A blob row always names its last complete data (``store``/``location``, or ``external_url``);
an upload in flight sits beside it in the ``pending_*`` columns. The functions here are the
only writers of those columns, so each transition of the upload state machine is one named
step: :func:`mark_pending`, :func:`mark_checking`, :func:`clear_pending` and :func:`promote`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .models import BlobRow, OrphanRow

SAVING = "saving"
#: Stored, waiting for the type's post-store checks; still a pending upload underneath.
CHECKING = "checking"
ACTIVE = "active"
#: Blob statuses during which the artifact's status cannot change.
IN_FLIGHT = frozenset({SAVING, CHECKING})


def get(
    session: Session, artifact_id: str, field: str, key: str, *, for_update: bool = False
) -> BlobRow | None:
    return session.get(BlobRow, (artifact_id, field, key), with_for_update=for_update)


def stored_at(session: Session, artifact_ids: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """``(artifact_id, field, store, location)`` of the stored plain blobs of these artifacts."""
    stmt = select(BlobRow.artifact_id, BlobRow.field, BlobRow.store, BlobRow.location).where(
        BlobRow.artifact_id.in_(artifact_ids),
        BlobRow.key == "",
        BlobRow.store.is_not(None),
        BlobRow.location.is_not(None),
    )
    return [(a, f, s, loc) for a, f, s, loc in session.execute(stmt) if s and loc]


def add(session: Session, artifact_id: str, field: str, key: str, now: dt.datetime) -> BlobRow:
    """A new row for a blob that had none; its caller sets its state."""
    blob = BlobRow(artifact_id=artifact_id, field=field, key=key, created_at=now)
    session.add(blob)
    return blob


def remove(session: Session, blob: BlobRow) -> None:
    session.delete(blob)


def mark_pending(
    blob: BlobRow, *, upload_id: str, store: str, location: str, now: dt.datetime
) -> None:
    """Record an upload in flight beside the blob's current data (shown as ``saving``)."""
    blob.status = SAVING
    blob.pending_upload_id = upload_id
    blob.pending_store = store
    blob.pending_location = location
    blob.pending_started_at = now
    blob.updated_at = now


def move_pending(blob: BlobRow, location: str) -> None:
    """Name the key the upload in flight writes to now, in place of the one it began with."""
    blob.pending_location = location


def mark_checking(blob: BlobRow, now: dt.datetime) -> None:
    blob.status = CHECKING
    blob.updated_at = now


def clear_pending(blob: BlobRow) -> None:
    """Forget the upload in flight; the blob shows its previous data again."""
    blob.status = ACTIVE
    blob.pending_upload_id = blob.pending_store = blob.pending_location = None
    blob.pending_started_at = None


def promote(
    blob: BlobRow,
    *,
    store: str,
    location: str,
    size: int,
    digests: tuple[str, str, str],
    content_type: str,
    now: dt.datetime,
) -> None:
    """Make the upload's data the blob's data: ``active``, with its size and digests."""
    clear_pending(blob)
    blob.size = size
    blob.md5, blob.sha1, blob.sha256 = digests
    blob.content_type = content_type
    blob.store, blob.location, blob.external_url = store, location, None
    blob.updated_at = now


def point_external(
    blob: BlobRow, url: str, digests: tuple[str | None, str | None, str | None], now: dt.datetime
) -> None:
    """Make the blob a reference to data at ``url`` (never fetched by the server)."""
    blob.status = ACTIVE
    blob.size = None
    blob.md5, blob.sha1, blob.sha256 = digests
    blob.content_type = None
    blob.store = blob.location = None
    blob.external_url = url
    blob.updated_at = now


def stale_pending(session: Session, cutoff: dt.datetime) -> list[tuple[str, str, str, str | None]]:
    """(artifact id, field, key, upload id) of uploads whose lease lapsed before ``cutoff``."""
    stmt = select(BlobRow.artifact_id, BlobRow.field, BlobRow.key, BlobRow.pending_upload_id)
    rows = session.execute(stmt.where(BlobRow.pending_started_at < cutoff)).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def renew_leases(session: Session, upload_ids: Sequence[str], now: dt.datetime) -> int:
    """Move the lease of every named pending upload to ``now``; return the rows touched."""
    result = session.execute(
        update(BlobRow)
        .where(BlobRow.pending_upload_id.in_(upload_ids))
        .values(pending_started_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- orphans: data no row references, waiting for ``artifacts scrub`` -----------------------------


def add_orphan(
    session: Session,
    store: str,
    location: str,
    reason: str,
    now: dt.datetime,
    *,
    attempts: int = 0,
) -> None:
    session.add(
        OrphanRow(store=store, location=location, reason=reason, created_at=now, attempts=attempts)
    )


def orphans(session: Session) -> list[tuple[int, str, str]]:
    """(id, store, location) of every recorded orphan."""
    return [(o.id, o.store, o.location) for o in session.scalars(select(OrphanRow))]


def orphans_with_reasons(session: Session) -> list[tuple[int, str, str, str]]:
    """(id, store, location, reason) of every recorded orphan, oldest first."""
    stmt = select(OrphanRow.id, OrphanRow.store, OrphanRow.location, OrphanRow.reason)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(stmt.order_by(OrphanRow.id))]


def orphan_attempted(session: Session, orphan_id: int) -> None:
    orphan = session.get(OrphanRow, orphan_id)
    if orphan is not None:
        orphan.attempts += 1


def forget_orphan(session: Session, orphan_id: int) -> None:
    session.execute(delete(OrphanRow).where(OrphanRow.id == orphan_id))
