"""Stored content and its references: what lets equal uploads share one object in a store.

Every change to ``refs`` happens under the content row's lock (``SELECT … FOR UPDATE`` on
PostgreSQL, the write lock on SQLite) in the transaction that points a blob at the content or
away from it, so a reference is never taken on data that is being removed: whoever locks the
row second sees the first one's outcome (a removed row is simply not found, and the upload
keeps its own copy).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from artifacts.db.models import (
    BlobCopyRow,
    BlobRow,
    ContentRow,
    OrphanRow,
    StagedDataRow,
    UploadSessionRow,
)


@dataclass(frozen=True)
class Claim:
    """Where a blob's data is after an upload: shared content, or the upload's own object."""

    location: str
    #: The upload's own object duplicates content stored before; it is to be removed.
    duplicate: bool


@dataclass(frozen=True)
class Unreferenced:
    store: str
    location: str
    size: int
    unreferenced_at: dt.datetime


def claim(
    session: Session,
    store: str,
    location: str,
    *,
    sha256: str,
    size: int,
    now: dt.datetime,
    share: bool,
) -> Claim:
    """Reference content equal to the object just stored at ``location``, or record it as new.

    With ``share``, content with the same sha256 and size in the same store (referenced, or
    kept after its last reference went) gains a reference and is returned instead.
    """
    if share:
        stmt = (
            select(ContentRow)
            .where(ContentRow.store == store, ContentRow.sha256 == sha256, ContentRow.size == size)
            .order_by(ContentRow.location)
            .limit(1)
        )
        if session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        found = session.scalars(stmt).first()
        if found is not None and found.location != location:
            found.refs += 1
            found.unreferenced_at = None
            return Claim(found.location, duplicate=True)
    session.add(
        ContentRow(
            store=store,
            location=location,
            sha256=sha256,
            size=size,
            refs=1,
            created_at=now,
            unreferenced_at=None,
        )
    )
    session.flush()
    return Claim(location, duplicate=False)


def release(session: Session, store: str, location: str, *, now: dt.datetime, keep: bool) -> bool:
    """Drop one reference; return whether the data may be deleted now.

    Data no row describes (written by a release before content was tracked) has exactly one
    reference, this one. With ``keep`` the last reference leaves the row, marked with the time,
    for :func:`forget_expired` to remove after the delete delay.
    """
    row = session.get(ContentRow, (store, location), with_for_update=True)
    if row is None:
        return True
    row.refs -= 1
    if row.refs > 0:
        return False
    if keep:
        row.unreferenced_at = now
        return False
    session.delete(row)
    session.flush()
    return True


def unreferenced(
    session: Session, before: dt.datetime, *, limit: int | None = None
) -> list[Unreferenced]:
    """Content without references since before ``before``, oldest first."""
    stmt = (
        select(ContentRow)
        .where(ContentRow.refs <= 0, ContentRow.unreferenced_at < before)
        .order_by(ContentRow.unreferenced_at)
        .limit(limit)
    )
    return [
        Unreferenced(r.store, r.location, r.size, r.unreferenced_at or before)
        for r in session.scalars(stmt)
    ]


def forget_expired(
    session: Session, store: str, locations: Sequence[str], before: dt.datetime
) -> list[str]:
    """Remove the rows still unreferenced since before ``before``; return their locations.

    The condition is re-checked in the delete itself: content an upload revived meanwhile
    keeps its row, and its data stays.
    """
    if not locations:
        return []
    result = session.execute(
        delete(ContentRow)
        .where(
            ContentRow.store == store,
            ContentRow.location.in_(locations),
            ContentRow.refs <= 0,
            ContentRow.unreferenced_at < before,
        )
        .returning(ContentRow.location)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


def names_in_store(session: Session, store: str) -> set[str]:
    """Every location of ``store`` that any row names: blobs, uploads in flight (resumable
    ones too), contents, orphans, staged data and copies. An object outside this set is one
    nothing will ever read."""
    queries = (
        select(BlobRow.location).where(BlobRow.store == store, BlobRow.location.is_not(None)),
        select(BlobRow.pending_location).where(
            BlobRow.pending_store == store, BlobRow.pending_location.is_not(None)
        ),
        select(ContentRow.location).where(ContentRow.store == store),
        select(OrphanRow.location).where(OrphanRow.store == store),
        select(BlobCopyRow.location).where(BlobCopyRow.store == store),
        select(StagedDataRow.location).where(StagedDataRow.store == store),
        select(UploadSessionRow.location).where(UploadSessionRow.store == store),
    )
    named: set[str] = set()
    for query in queries:
        named.update(location for location in session.scalars(query) if location is not None)
    return named
