"""Quota limits and usage counters, changed only by atomic conditional updates.

Usage is kept per project at two scopes: the project as a whole (``type_name`` ``""``) and
each type. A charge raises the counters of both rows with one ``UPDATE … WHERE counter + n <=
limit`` each, the project's row first (one order everywhere, so two charges never wait on
each other crosswise). The update is its own check: no read-then-write window exists for
another node to slip through, whatever the isolation level. A refused charge raises
:class:`QuotaRefusal` and the caller's transaction rolls back, undoing a first row's change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from artifacts.db.models import ArtifactRow, BlobRow, QuotaRow, QuotaUsageRow, UploadSessionRow

#: ``type_name`` of a project's total row, and of limits on the project as a whole.
TOTAL = ""
#: ``project_id`` of the limits that apply to every project without its own.
DEFAULT_PROJECT = "*"
LIMIT_NAMES = ("max_artifacts", "max_bytes", "max_blob_size")
#: A project's limit set to "none", whatever the defaults say (Glare's ``-1``). Unset (None)
#: instead lets the default's value apply, so an administrator can exempt one project from a
#: default limit only with this value.
UNLIMITED = -1


@dataclass(frozen=True)
class Limits:
    """Limits of one scope. As set: None is unset, :data:`UNLIMITED` is no limit; resolved
    (:func:`effective`): None is no limit."""

    max_artifacts: int | None = None
    max_bytes: int | None = None
    max_blob_size: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in LIMIT_NAMES}


@dataclass(frozen=True)
class Usage:
    artifacts: int = 0
    bytes: int = 0
    reserved: int = 0


class QuotaRefusal(Exception):
    """A charge would cross ``limit``: which scope, which limit, and the numbers."""

    def __init__(self, type_name: str, name: str, limit: int, used: int, requested: int) -> None:
        super().__init__(f"{name} of {type_name or 'the project'}: {used} + {requested} > {limit}")
        self.type_name = type_name
        self.name = name
        self.limit = limit
        self.used = used
        self.requested = requested


@dataclass(frozen=True)
class Effective:
    """The limits that apply to one (project, type): the project's, and the type's."""

    type_name: str
    total: Limits
    by_type: Limits

    @property
    def max_blob_size(self) -> tuple[str, int] | None:
        """The tighter per-blob maximum and the scope it comes from (``""`` or the type)."""
        found = [
            (scope, limit)
            for scope, limit in (
                (TOTAL, self.total.max_blob_size),
                (self.type_name, self.by_type.max_blob_size),
            )
            if limit is not None
        ]
        return min(found, key=lambda item: item[1]) if found else None


def effective(
    session: Session, project_id: str, type_name: str, *, keep_unlimited: bool = False
) -> Effective:
    """Resolve each limit: the project's own row wins over the default row, limit by limit.

    A limit resolved to :data:`UNLIMITED` is None (no limit), unless ``keep_unlimited`` asks
    for the values as set, to list them.
    """
    rows = session.scalars(
        select(QuotaRow).where(
            QuotaRow.project_id.in_([project_id, DEFAULT_PROJECT]),
            QuotaRow.type_name.in_([TOTAL, type_name]),
        )
    ).all()
    found = {(r.project_id, r.type_name): r for r in rows}

    def resolve(scope: str) -> Limits:
        own, default = found.get((project_id, scope)), found.get((DEFAULT_PROJECT, scope))
        values = {}
        for name in LIMIT_NAMES:
            value = getattr(own, name, None) if own is not None else None
            if value is None and default is not None:
                value = getattr(default, name)
            values[name] = None if value == UNLIMITED and not keep_unlimited else value
        return Limits(**values)

    return Effective(type_name, total=resolve(TOTAL), by_type=resolve(type_name))


def _ensure_rows(session: Session, project_id: str, scopes: Iterable[str]) -> None:
    """Create missing usage rows at zero (a no-op for rows that exist, even concurrently)."""
    values = [
        {"project_id": project_id, "type_name": s, "artifacts": 0, "bytes": 0, "reserved": 0}
        for s in scopes
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(QuotaUsageRow).values(values).on_conflict_do_nothing())


def charge(
    session: Session,
    project_id: str,
    type_name: str,
    *,
    artifacts: int = 0,
    bytes_: int = 0,
    reserved: int = 0,
    limits: Effective | None = None,
) -> None:
    """Add to a project's counters at both scopes; refuse what would cross a limit.

    Only increases are checked (a release or a settlement never fails), and the byte limit
    bounds committed plus reserved bytes together.
    """
    scopes = [(TOTAL, limits.total if limits else Limits())]
    scopes.append((type_name, limits.by_type if limits else Limits()))
    _ensure_rows(session, project_id, [TOTAL, type_name])
    for scope, bound in scopes:
        usage = QuotaUsageRow
        conditions = [usage.project_id == project_id, usage.type_name == scope]
        if artifacts > 0 and bound.max_artifacts is not None:
            conditions.append(usage.artifacts + artifacts <= bound.max_artifacts)
        if bytes_ + reserved > 0 and bound.max_bytes is not None:
            conditions.append(usage.bytes + usage.reserved + bytes_ + reserved <= bound.max_bytes)
        result = session.execute(
            update(usage)
            .where(and_(*conditions))
            .values(
                artifacts=usage.artifacts + artifacts,
                bytes=usage.bytes + bytes_,
                reserved=usage.reserved + reserved,
            )
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) == 1:
            continue
        current = session.get(QuotaUsageRow, (project_id, scope), populate_existing=True)
        now = current or QuotaUsageRow(artifacts=0, bytes=0, reserved=0)
        if artifacts > 0 and bound.max_artifacts is not None:
            raise QuotaRefusal(
                scope, "max_artifacts", bound.max_artifacts, now.artifacts, artifacts
            )
        assert bound.max_bytes is not None
        raise QuotaRefusal(
            scope, "max_bytes", bound.max_bytes, now.bytes + now.reserved, bytes_ + reserved
        )


def usage_of(session: Session, project_id: str) -> dict[str, Usage]:
    """A project's counters by scope (``""`` for its total)."""
    rows = session.scalars(select(QuotaUsageRow).where(QuotaUsageRow.project_id == project_id))
    return {r.type_name: Usage(r.artifacts, r.bytes, r.reserved) for r in rows}


def limits_of(session: Session, project_id: str | None = None) -> dict[str, dict[str, Limits]]:
    """Limits as set (not resolved): project → scope → limits; every project when None."""
    stmt = select(QuotaRow).order_by(QuotaRow.project_id, QuotaRow.type_name)
    if project_id is not None:
        stmt = stmt.where(QuotaRow.project_id == project_id)
    found: dict[str, dict[str, Limits]] = {}
    for row in session.scalars(stmt):
        found.setdefault(row.project_id, {})[row.type_name] = Limits(
            row.max_artifacts, row.max_bytes, row.max_blob_size
        )
    return found


def set_limits(
    session: Session, project_id: str, limits: Mapping[str, Limits], now: dt.datetime
) -> None:
    """Replace a project's limits (or the defaults') with ``limits``, scope by scope."""
    session.execute(delete(QuotaRow).where(QuotaRow.project_id == project_id))
    for scope, values in limits.items():
        if all(v is None for v in values.as_dict().values()):
            continue
        session.add(
            QuotaRow(project_id=project_id, type_name=scope, updated_at=now, **values.as_dict())
        )
    session.flush()


def stored_usage(session: Session) -> dict[tuple[str, str], Usage]:
    """Usage recomputed from the artifacts and blobs themselves, at both scopes."""
    sizes = (
        select(BlobRow.artifact_id, func.sum(BlobRow.size).label("total"))
        .where(BlobRow.location.is_not(None), BlobRow.size.is_not(None))
        .group_by(BlobRow.artifact_id)
        .subquery()
    )
    pending = (
        select(BlobRow.artifact_id, func.sum(BlobRow.pending_reserved).label("held"))
        .where(BlobRow.pending_reserved.is_not(None))
        .group_by(BlobRow.artifact_id)
        .subquery()
    )
    # Resumable sessions hold their declared length until their upload takes it over.
    sessions = (
        select(UploadSessionRow.artifact_id, func.sum(UploadSessionRow.reserved).label("held"))
        .group_by(UploadSessionRow.artifact_id)
        .subquery()
    )
    stmt = (
        select(
            ArtifactRow.owner,
            ArtifactRow.type_name,
            func.count(),
            func.coalesce(func.sum(sizes.c.total), literal(0)),
            func.coalesce(func.sum(pending.c.held), literal(0))
            + func.coalesce(func.sum(sessions.c.held), literal(0)),
        )
        .select_from(ArtifactRow)
        .outerjoin(sizes, sizes.c.artifact_id == ArtifactRow.id)
        .outerjoin(pending, pending.c.artifact_id == ArtifactRow.id)
        .outerjoin(sessions, sessions.c.artifact_id == ArtifactRow.id)
        .group_by(ArtifactRow.owner, ArtifactRow.type_name)
    )
    found: dict[tuple[str, str], Usage] = {}
    for owner, type_name, count, total, held in session.execute(stmt):
        found[(owner, type_name)] = Usage(int(count), int(total), int(held))
        mine = found.get((owner, TOTAL), Usage())
        found[(owner, TOTAL)] = Usage(
            mine.artifacts + int(count), mine.bytes + int(total), mine.reserved + int(held)
        )
    return found


def recorded_usage(session: Session, *, lock: bool = False) -> dict[tuple[str, str], Usage]:
    """Every usage row, locked against charges while a repair runs when ``lock``."""
    stmt = select(QuotaUsageRow).order_by(QuotaUsageRow.project_id, QuotaUsageRow.type_name)
    if lock and session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return {
        (r.project_id, r.type_name): Usage(r.artifacts, r.bytes, r.reserved)
        for r in session.scalars(stmt)
    }


def overwrite(session: Session, key: tuple[str, str], usage: Usage) -> None:
    """Set one usage row to ``usage`` (the repair of a drift)."""
    _ensure_rows(session, key[0], [key[1]])
    session.execute(
        update(QuotaUsageRow)
        .where(QuotaUsageRow.project_id == key[0], QuotaUsageRow.type_name == key[1])
        .values(artifacts=usage.artifacts, bytes=usage.bytes, reserved=usage.reserved)
        .execution_options(synchronize_session=False)
    )
