"""Reading and writing single artifact rows.

Rows are mapped to field values by :mod:`.rows`, lists are compiled by :mod:`.listing`, and who
sees a row is decided by :mod:`.visibility`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy import insert as insert_statement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from artifacts.errors import DuplicateArtifact
from artifacts.model.lifecycle import PUBLIC

from .models import ArtifactRow, BlobCopyRow, BlobRow, StagedDataRow
from .reads import ARTIFACT_COLUMNS, ARTIFACT_FIELD_NAMES, ArtifactRecord
from .visibility import is_visible


def insert(session: Session, values: Mapping[str, Any]) -> ArtifactRecord:
    """Insert a new artifact with one INSERT, bypassing the unit of work.

    The row is written and returned, never changed in this transaction, so the ORM's identity
    map and flush bookkeeping would only lengthen the time a SQLite writer holds the lock.
    """
    record = ArtifactRecord(**values, revision=1)
    try:
        session.connection().execute(_INSERT, [_insert_parameters(record)])
    except IntegrityError as exc:
        raise _duplicate(values) from exc
    return record


_INSERT = insert_statement(cast(Table, ArtifactRow.__table__))


def _insert_parameters(record: ArtifactRecord) -> dict[str, Any]:
    """Column-keyed parameters (the record uses attribute names: ``metadata_``)."""
    return {
        column.key: getattr(record, name)
        for name, column in zip(ARTIFACT_FIELD_NAMES, ARTIFACT_COLUMNS, strict=True)
    }


def get(
    session: Session,
    artifact_id: str,
    *,
    type_name: str | None,
    for_update: bool = False,
) -> ArtifactRow | None:
    stmt = select(ArtifactRow).where(ArtifactRow.id == artifact_id)
    if type_name is not None:
        stmt = stmt.where(ArtifactRow.type_name == type_name)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def get_visible(
    session: Session,
    artifact_id: str,
    *,
    type_name: str | None,
    project_id: str | None,
    is_admin: bool,
    for_update: bool = False,
) -> ArtifactRow | None:
    """Return the artifact if the caller may see it; None whether it is missing or hidden.

    One answer for both cases is what keeps an invisible artifact indistinguishable from a
    missing one (a 404 either way).
    """
    row = get(session, artifact_id, type_name=type_name, for_update=for_update)
    if row is None or not is_visible(session, row, project_id, is_admin):
        return None
    return row


def update(session: Session, row: ArtifactRow, values: Mapping[str, Any]) -> None:
    for column, value in values.items():
        if column not in ("id", "type_name", "owner", "created_at"):
            setattr(row, column, value)
    row.revision += 1
    _flush(session, values)


def public_name_taken(
    session: Session, type_name: str, name: str, version: str, artifact_id: str
) -> bool:
    """Return whether another public artifact of the type has this name and version."""
    stmt = select(ArtifactRow.id).where(
        ArtifactRow.type_name == type_name,
        ArtifactRow.name == name,
        ArtifactRow.version == version,
        ArtifactRow.visibility == PUBLIC,
        ArtifactRow.id != artifact_id,
    )
    return session.scalars(stmt.limit(1)).first() is not None


def blobs_of(session: Session, artifact_ids: Sequence[str]) -> dict[str, list[BlobRow]]:
    """Return the blob records of several artifacts in one query."""
    found: dict[str, list[BlobRow]] = {artifact_id: [] for artifact_id in artifact_ids}
    if artifact_ids:
        stmt = select(BlobRow).where(BlobRow.artifact_id.in_(artifact_ids))
        for blob in session.scalars(stmt):
            found[blob.artifact_id].append(blob)
    return found


def import_locations(session: Session, artifact_id: str) -> list[tuple[str, str]]:
    """Where an artifact's staged data and further copies are (the rows go with the artifact,
    by cascade; the data must be removed by whoever deletes it)."""
    staged = select(StagedDataRow.store, StagedDataRow.location).where(
        StagedDataRow.artifact_id == artifact_id
    )
    copies = select(BlobCopyRow.store, BlobCopyRow.location).where(
        BlobCopyRow.artifact_id == artifact_id
    )
    return [
        (store, location) for stmt in (staged, copies) for store, location in session.execute(stmt)
    ]


def delete(session: Session, row: ArtifactRow) -> None:
    session.delete(row)
    session.flush()


def _flush(session: Session, values: Mapping[str, Any]) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise _duplicate(values) from exc


def _duplicate(values: Mapping[str, Any]) -> DuplicateArtifact:
    return DuplicateArtifact(
        f"An artifact named {values.get('name')!r} with version {values.get('version')!r} "
        "already exists for this owner."
    )
