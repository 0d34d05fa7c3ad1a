"""Queries over the schema versions stored rows were written with (see artifacts.model.versions).

The census groups by ``(type_name, type_version, backport_version)``, which the index of
migration 0006 answers without reading the rows. Migration batches walk one type's rows in id
order, a bounded batch per short transaction, so ``migrate-types`` runs beside a serving node and
can be stopped and started again at will: what it already rewrote no longer matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import ArtifactRow


@dataclass(frozen=True)
class VersionCount:
    type_name: str
    type_version: str | None
    backport_version: str | None
    count: int


def census(session: Session) -> list[VersionCount]:
    """How many rows of each type were written at each version (and carry which backport)."""
    stmt = select(
        ArtifactRow.type_name,
        ArtifactRow.type_version,
        ArtifactRow.backport_version,
        func.count(),
    ).group_by(ArtifactRow.type_name, ArtifactRow.type_version, ArtifactRow.backport_version)
    return [VersionCount(*row) for row in session.execute(stmt)]


def stale_batch(
    session: Session,
    type_name: str,
    versions: Sequence[str | None],
    *,
    after_id: str,
    limit: int,
    for_update: bool,
) -> list[ArtifactRow]:
    """The next rows (by id) of ``type_name`` written at one of ``versions``, locked if asked."""
    named = [v for v in versions if v is not None]
    conditions = [ArtifactRow.type_version.in_(named)] if named else []
    if None in versions:
        conditions.append(ArtifactRow.type_version.is_(None))
    stmt = (
        select(ArtifactRow)
        .where(ArtifactRow.type_name == type_name, ArtifactRow.id > after_id, or_(*conditions))
        .order_by(ArtifactRow.id)
        .limit(limit)
    )
    if for_update:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))
