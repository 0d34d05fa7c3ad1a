"""Loading one artifact the caller can see, for the services that read or change it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from artifacts.db import repository as repo
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.errors import ArtifactNotFound


def load_visible(
    db: Database,
    session: Session,
    ctx: RequestContext,
    type_name: str,
    artifact_id: str,
    *,
    for_update: bool = False,
) -> ArtifactRow:
    """The artifact of ``type_name`` with this id, or 'not found' to a caller who cannot see it.

    ``for_update`` locks its row where the database locks rows (SQLite's write transaction
    already holds the whole database), so changes of one artifact are applied one at a time.
    """
    row = repo.get_visible(
        session,
        artifact_id,
        type_name=type_name,
        project_id=ctx.project_id,
        is_admin=ctx.is_admin,
        for_update=for_update and db.locks_rows,
    )
    if row is None:
        raise ArtifactNotFound(artifact_id)
    return row
