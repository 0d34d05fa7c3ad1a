"""Reading and writing artifact memberships (who an artifact is shared with)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from artifacts.errors import DuplicateMember

from .models import MemberRow


def of_artifact(session: Session, artifact_id: str) -> list[MemberRow]:
    stmt = (
        select(MemberRow)
        .where(MemberRow.artifact_id == artifact_id)
        .order_by(MemberRow.created_at, MemberRow.project_id)
    )
    return list(session.scalars(stmt))


def get(
    session: Session, artifact_id: str, project_id: str, *, for_update: bool = False
) -> MemberRow | None:
    return session.get(MemberRow, (artifact_id, project_id), with_for_update=for_update)


def insert(
    session: Session, artifact_id: str, project_id: str, status: str, now: dt.datetime
) -> MemberRow:
    row = MemberRow(
        artifact_id=artifact_id,
        project_id=project_id,
        status=status,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateMember(f"Project {project_id} is already a member.") from exc
    return row


def delete(session: Session, row: MemberRow) -> None:
    session.delete(row)
    session.flush()
