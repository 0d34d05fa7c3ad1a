"""Who may read or change a blob: visibility, policy and the artifact's status."""

from __future__ import annotations

from sqlalchemy.orm import Session

from artifacts.db import repository as repo
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import ArtifactType
from artifacts.errors import ArtifactNotFound, Forbidden
from artifacts.model import fields as f
from artifacts.model import lifecycle

from .common import BlobRef, blob_field


class BlobAccess:
    def __init__(self, db: Database, policy: Policy) -> None:
        self._db = db
        self._policy = policy

    def writable(
        self, session: Session, ctx: RequestContext, artifact_type: ArtifactType, ref: BlobRef
    ) -> tuple[ArtifactRow, f.Blob | f.BlobDict]:
        """Lock the artifact and check the caller may change this blob in its current status."""
        row = self.changeable(session, ctx, ref)
        field = blob_field(artifact_type, ref.field, ref.key)
        if row.status not in (lifecycle.DRAFTED, lifecycle.ACTIVE) or (
            row.status == lifecycle.ACTIVE and not field.mutable
        ):
            raise Forbidden(
                f"Blob {ref.field!r} cannot be changed while the artifact is {row.status}."
            )
        return row, field

    def changeable(self, session: Session, ctx: RequestContext, ref: BlobRef) -> ArtifactRow:
        """Lock the artifact and check the caller may change its blobs at all (owner or admin)."""
        row = self.load(session, ctx, ref.type_name, ref.artifact_id, for_update=True)
        self._policy.enforce(ctx, "artifact:upload", Target.of(row))
        return row

    def readable(
        self, session: Session, ctx: RequestContext, artifact_type: ArtifactType, ref: BlobRef
    ) -> ArtifactRow:
        """The artifact, if the caller may download this blob of it now."""
        row = self.load(session, ctx, ref.type_name, ref.artifact_id)
        # A deactivated artifact's data is an administrator's to read (the rule's default).
        self._policy.enforce(ctx, "artifact:download", Target.of(row))
        blob_field(artifact_type, ref.field, ref.key)
        return row

    def load(
        self,
        session: Session,
        ctx: RequestContext,
        type_name: str,
        artifact_id: str,
        *,
        for_update: bool = False,
    ) -> ArtifactRow:
        row = repo.get_visible(
            session,
            artifact_id,
            type_name=type_name,
            project_id=ctx.project_id,
            is_admin=ctx.is_admin,
            for_update=for_update and self._db.locks_rows,
        )
        if row is None:
            raise ArtifactNotFound(artifact_id)
        return row
