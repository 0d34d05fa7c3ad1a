"""Deleting an artifact: its row, its quota, then its blob data once nothing refers to it."""

from __future__ import annotations

from artifacts.db import repository as repo
from artifacts.db import rows, upload_sessions
from artifacts.db.models import ArtifactRow, BlobRow
from artifacts.db.session import Database
from artifacts.engine import quotas
from artifacts.engine.blobs import DataRemover, blob_values
from artifacts.engine.contents import ContentRefs
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner, caller_of
from artifacts.engine.loading import load_visible
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.versions import readable_properties
from artifacts.model.base import BaseArtifact
from artifacts.model.hooks import HookContext

from .rendering import render


class ArtifactDeleter:
    """Deletion for :class:`~artifacts.engine.artifacts.ArtifactService`."""

    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        *,
        hooks: HookRunner,
        remover: DataRemover | None,
        contents: ContentRefs | None,
    ) -> None:
        self._db = db
        self._types = types
        self._policy = policy
        self._hooks = hooks
        self._remover = remover
        self._contents = contents

    def delete(self, ctx: RequestContext, type_name: str, artifact_id: str) -> None:
        """Delete the artifact, then its blob data (what cannot be deleted becomes an orphan)."""
        artifact_type = self._types.writable(type_name)
        hooked: tuple[BaseArtifact, HookContext] | None = None
        with self._db.write() as session:
            row = load_visible(self._db, session, ctx, type_name, artifact_id, for_update=True)
            self._policy.enforce(ctx, "artifact:delete", Target.of(row))
            locations, shared = [], []
            stored = reserved = 0
            blobs = repo.blobs_of(session, [row.id])[row.id]
            for blob in blobs:
                if blob.store and blob.location:
                    shared.append((blob.store, blob.location))
                    stored += blob.size or 0
                if blob.pending_store and blob.pending_location:
                    locations.append((blob.pending_store, blob.pending_location))
                reserved += blob.pending_reserved or 0
            locations.extend(repo.import_locations(session, row.id))
            for upload in upload_sessions.of_artifact(session, row.id):
                reserved += upload.reserved
                if upload.status == upload_sessions.RECEIVING:
                    locations.append((upload.store, upload.location))
            if self._hooks.wants(artifact_type, "before_delete", "after_delete"):
                hooked = self._before_delete(ctx, artifact_type, type_name, row, blobs)
            quotas.release(
                session, row.owner, type_name, artifacts=1, stored=stored, reserved=reserved
            )
            if self._contents is not None:
                shared = self._contents.release(session, shared)
            locations += shared
            repo.delete(session, row)
        if locations and self._remover is not None:
            self._remover.remove(locations, f"artifact {artifact_id} deleted")
        if hooked is not None:
            self._hooks.after(artifact_type, "after_delete", *hooked)

    def _before_delete(
        self,
        ctx: RequestContext,
        artifact_type: ArtifactType,
        type_name: str,
        row: ArtifactRow,
        blobs: list[BlobRow],
    ) -> tuple[BaseArtifact, HookContext]:
        """Run the type's ``before_delete`` hook; what it saw is what ``after_delete`` gets."""
        properties = readable_properties(artifact_type, row)
        values = rows.field_values(row, artifact_type.fields, properties)
        values.update(blob_values(type_name, artifact_type.blob_fields, blobs))
        obj = artifact_type.cls.from_values(values)
        hook = HookContext(
            event="delete",
            caller=caller_of(ctx),
            type_name=type_name,
            artifact_id=row.id,
            before=render(artifact_type, row, blobs),
            after=None,
            changed=frozenset(),
        )
        self._hooks.before(artifact_type, "before_delete", obj, hook)
        return obj, hook
