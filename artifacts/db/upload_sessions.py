"""Reading and writing resumable upload sessions: the only writer of ``upload_sessions``.

A session moves ``receiving`` → ``complete``; an append claims it first (:func:`claim`) and
records the new offset when it ends (:func:`release`), so two appends never write at once and
the offset recorded is always a prefix of what the store holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .models import UploadSessionRow

RECEIVING = "receiving"
COMPLETE = "complete"

#: Kinds of session: bytes through the service (tus), or parts straight to S3 (direct).
TUS = "tus"
DIRECT = "direct"


def add(session: Session, row: UploadSessionRow) -> None:
    session.add(row)
    session.flush()


def get(session: Session, upload_id: str, *, for_update: bool = False) -> UploadSessionRow | None:
    return session.get(UploadSessionRow, upload_id, with_for_update=for_update)


def remove(session: Session, row: UploadSessionRow) -> None:
    session.delete(row)


def claim(
    session: Session,
    upload_id: str,
    token: str,
    *,
    offset: int,
    now: dt.datetime,
    stale: dt.datetime,
) -> bool:
    """Take the right to append at ``offset``: nobody holds it (or their lease is older than
    ``stale``) and the recorded offset is ``offset``. One conditional UPDATE, so two nodes
    racing for it cannot both win."""
    free = (UploadSessionRow.patch_token.is_(None)) | (UploadSessionRow.patch_renewed_at < stale)
    result = session.execute(
        update(UploadSessionRow)
        .where(
            UploadSessionRow.id == upload_id,
            UploadSessionRow.offset == offset,
            UploadSessionRow.status == RECEIVING,
            free,
        )
        .values(patch_token=token, patch_renewed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def release(
    session: Session, upload_id: str, token: str, *, offset: int, expires_at: dt.datetime
) -> bool:
    """Record the offset an append reached and let go of the session; False if it lost it.

    The session's expiry moves to ``expires_at``: an upload that makes progress lives on.
    """
    result = session.execute(
        update(UploadSessionRow)
        .where(UploadSessionRow.id == upload_id, UploadSessionRow.patch_token == token)
        .values(offset=offset, patch_token=None, patch_renewed_at=None, expires_at=expires_at)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def checkpoint(
    session: Session, upload_id: str, token: str, *, offset: int, now: dt.datetime
) -> bool:
    """Record the durable offset an append has reached so far, keeping the claim."""
    result = session.execute(
        update(UploadSessionRow)
        .where(UploadSessionRow.id == upload_id, UploadSessionRow.patch_token == token)
        .values(offset=offset, patch_renewed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def renew(session: Session, tokens: Sequence[str], now: dt.datetime) -> int:
    """Move the lease of every append holding one of ``tokens`` to ``now``."""
    result = session.execute(
        update(UploadSessionRow)
        .where(UploadSessionRow.patch_token.in_(tokens))
        .values(patch_renewed_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def expired(session: Session, now: dt.datetime) -> list[str]:
    """Ids of sessions whose time is up."""
    stmt = select(UploadSessionRow.id).where(UploadSessionRow.expires_at <= now)
    return list(session.scalars(stmt))


def expired_receiving(session: Session, now: dt.datetime) -> list[UploadSessionRow]:
    """Sessions whose time is up that still hold data of their own (not yet complete)."""
    stmt = select(UploadSessionRow).where(
        UploadSessionRow.expires_at <= now, UploadSessionRow.status == RECEIVING
    )
    return list(session.scalars(stmt))


def of_artifact(session: Session, artifact_id: str) -> list[UploadSessionRow]:
    stmt = select(UploadSessionRow).where(UploadSessionRow.artifact_id == artifact_id)
    return list(session.scalars(stmt))


def holds(session: Session, store: str, location: str) -> bool:
    """Whether a session still receiving owns the data at ``location`` (not an orphan)."""
    stmt = select(UploadSessionRow.id).where(
        UploadSessionRow.store == store,
        UploadSessionRow.location == location,
        UploadSessionRow.status == RECEIVING,
    )
    return session.execute(stmt.limit(1)).first() is not None


def forget(session: Session, upload_id: str) -> None:
    session.execute(delete(UploadSessionRow).where(UploadSessionRow.id == upload_id))
