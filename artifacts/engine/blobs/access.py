"""Who may read or change a blob: visibility, policy and the artifact's status."""

from __future__ import annotations

from sqlalchemy.orm import Session

from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.loading import load_visible
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import ArtifactType
from artifacts.errors import Forbidden
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
        row = load_visible(self._db, session, ctx, ref.type_name, ref.artifact_id, for_update=True)
        self._policy.enforce(ctx, "artifact:upload", Target.of(row))
        return row

    def readable(
        self, session: Session, ctx: RequestContext, artifact_type: ArtifactType, ref: BlobRef
    ) -> ArtifactRow:
        """The artifact, if the caller may download this blob of it now."""
        row = load_visible(self._db, session, ctx, ref.type_name, ref.artifact_id)
        # A deactivated artifact's data is an administrator's to read (the rule's default).
        self._policy.enforce(ctx, "artifact:download", Target.of(row))
        blob_field(artifact_type, ref.field, ref.key)
        return row
