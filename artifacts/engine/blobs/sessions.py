"""The steps of a resumable session that other transactions take part in.

Finishing a session is an ordinary upload (:mod:`.pending`): its first transaction takes the
session's hold on the quotas over (:func:`hand_over`) and its promotion marks the session
complete (:func:`complete`) in the same transaction that makes the data the blob's, so no
crash can leave a promoted blob whose session would finish it again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from artifacts.db import upload_sessions as rows
from artifacts.db.models import UploadSessionRow
from artifacts.engine import quotas
from artifacts.errors import Conflict


def hand_over(session: Session, upload_id: str, owner: str, type_name: str) -> None:
    """Release the session's reservation: the upload finishing it reserves the length anew."""
    row = rows.get(session, upload_id, for_update=True)
    if row is None or row.status != rows.RECEIVING:
        raise Conflict("The resumable upload was cancelled or finished meanwhile.")
    quotas.release(session, row.owner or owner, type_name, reserved=row.reserved)
    row.reserved = 0


def complete(session: Session, upload_id: str) -> None:
    row = rows.get(session, upload_id, for_update=True)
    if row is not None:
        row.status = rows.COMPLETE
        row.patch_token = None
        row.patch_renewed_at = None


def end(session: Session, row: UploadSessionRow) -> tuple[str, str] | None:
    """Forget a session, releasing its reservation; return its data's location if it has any
    left to remove (a complete session's data is the blob's now)."""
    quotas.release(session, row.owner, row.type_name, reserved=row.reserved)
    location = (row.store, row.location) if row.status == rows.RECEIVING else None
    rows.remove(session, row)
    return location
