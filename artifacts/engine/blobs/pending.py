"""The upload state machine's transactions: begin, check, promote, abort, sweep.

::

    (none | active) --begin--> saving --[post-store checks]--> checking --promote--> active
                                  \\__________________ abort / lease lapsed __________/
                                                       back to the previous data

Each arrow is one short transaction that locks the blob row; the bytes move between them with
no transaction held (:mod:`.upload`). A transition only applies to the upload that began it
(``pending_upload_id``), so an upload taken over after its lease lapsed can never promote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import blobs as blob_rows
from artifacts.db import repository as repo
from artifacts.db import rows
from artifacts.db import upload_sessions as session_rows
from artifacts.db.models import ArtifactRow, BlobRow
from artifacts.db.session import Database
from artifacts.engine import quotas
from artifacts.engine.contents import ContentRefs
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner
from artifacts.engine.registry import ArtifactType
from artifacts.engine.uploads import UploadLeases
from artifacts.engine.validation import RunningChecks, RunningTransform, UploadValidators
from artifacts.engine.versions import stamp, writable_properties
from artifacts.errors import BlobRejected, Conflict, InvalidInput
from artifacts.model.hooks import HookContext
from artifacts.model.streaming import Upload
from artifacts.model.transforms import StreamTransform

from . import sessions
from .access import BlobAccess
from .announce import announce
from .common import BlobRef, label
from .removal import DataRemover
from .reservation import field_limit


class UploadInProgress(Conflict):
    """Another upload holds the blob under a lease that has not lapsed yet."""


@dataclass(frozen=True)
class Begun:
    """A recorded pending upload: its byte limit, and its checks' and hooks' view of it.

    ``reserved`` bytes are held against the ``owner``'s quotas; ``quota_cap`` is the per-blob
    quota (bytes, scope) when it is what sets ``limit``.
    """

    limit: int
    validators: tuple[Any, ...]
    upload: Upload | None
    hook: HookContext | None
    owner: str = ""
    reserved: int = 0
    quota_cap: tuple[int, str] | None = None
    #: The field's configured stream transform (it may still leave this upload alone).
    transform: StreamTransform | None = None


@dataclass(frozen=True)
class Promotion:
    """What a verified upload records: where its data is, its size, digests and findings."""

    upload_id: str
    store_name: str
    location: str
    size: int
    digests: tuple[str, str, str]
    content_type: str
    annotations: Mapping[str, Any]
    #: The resumable session this upload finishes: it turns complete with the promotion.
    resumable: str | None = None


class PendingUploads:
    def __init__(
        self,
        db: Database,
        access: BlobAccess,
        *,
        remover: DataRemover,
        contents: ContentRefs,
        leases: UploadLeases,
        validators: UploadValidators,
        hooks: HookRunner,
        clock: Callable[[], dt.datetime],
        render: Callable[[Session, ArtifactType, ArtifactRow], dict[str, Any]],
    ) -> None:
        self._db = db
        self._access = access
        self._remover = remover
        self._contents = contents
        self._leases = leases
        self._validators = validators
        self._hooks = hooks
        self._clock = clock
        self._render = render

    def begin(
        self,
        ctx: RequestContext,
        artifact_type: ArtifactType,
        ref: BlobRef,
        *,
        upload_id: str,
        store_name: str,
        location: str,
        content_length: int | None,
        content_type: str,
        resumable: str | None = None,
    ) -> Begun:
        """Record the pending upload; return its byte limit and what its checks are told.

        ``resumable``: the id of the resumable session whose received bytes this upload
        finishes; its quota reservation passes to the upload.
        """
        artifact_id, field_name, key = ref.artifact_id, ref.field, ref.key
        now = self._clock()
        validators = self._validators.for_field(artifact_type.name, field_name)
        transform = self._validators.transform_for(artifact_type.name, field_name)
        with_hooks = self._hooks.wants(artifact_type, "before_upload", "after_upload")
        with self._db.write() as session:
            row, field = self._access.writable(session, ctx, artifact_type, ref)
            all_blobs = repo.blobs_of(session, [artifact_id])[artifact_id]
            document = (
                self._render(session, artifact_type, row)
                if validators or transform or with_hooks
                else None
            )
            existing = next((b for b in all_blobs if b.field == field_name and b.key == key), None)
            if resumable is not None:
                # The session's hold on the quotas becomes this upload's, in one transaction.
                sessions.hand_over(session, resumable, row.owner, artifact_type.name)
            if existing is not None and existing.pending_upload_id is not None:
                renewed = rows.aware(existing.pending_started_at)
                if not self._leases.expired(renewed, now):
                    raise UploadInProgress(
                        f"Blob {label(field_name, key)} is being uploaded already."
                    )
                # A lapsed lease (its uploader died): its partial data goes to the sweeper
                # (unless a resumable session still holds it), its reservation back.
                quotas.end_upload(session, row.owner, artifact_type.name, existing, committed=None)
                _orphan_abandoned(session, existing, now)
            limit, quota_cap = field_limit(
                session,
                artifact_type,
                ref,
                owner=row.owner,
                field=field,
                all_blobs=all_blobs,
                content_length=content_length,
            )
            hook, upload = announce(
                self._hooks,
                ctx,
                artifact_type,
                ref,
                document,
                with_hooks=with_hooks,
                with_validators=bool(validators or transform),
                limit=limit,
                content_length=content_length,
                content_type=content_type,
            )
            if existing is None:
                existing = blob_rows.add(session, artifact_id, field_name, key, now)
            blob_rows.mark_pending(
                existing, upload_id=upload_id, store=store_name, location=location, now=now
            )
            # The declared length is held against the quotas now; a streamed body's bytes are
            # held step by step as they arrive (.reservation).
            existing.pending_reserved = held = content_length or 0
            quotas.reserve(session, row.owner, artifact_type.name, held)
            return Begun(
                max(limit, 0), validators, upload, hook, row.owner, held, quota_cap, transform
            )

    def preflight(
        self,
        session: Session,
        ctx: RequestContext,
        artifact_type: ArtifactType,
        ref: BlobRef,
        *,
        content_length: int,
        content_type: str,
        hooks: bool = True,
    ) -> tuple[ArtifactRow, RunningChecks | None, bool]:
        """Ask what an upload asks before its first byte: access, limits, hooks, validators.

        For an upload session at its creation (tus, direct), so that an upload the type
        refuses is refused before the client sends gigabytes, with the status a PUT would get.
        Returns the artifact's row, the validators' started checks (None if none wants to
        look), to be fed the session's bytes as they arrive (:mod:`.live`), and whether the
        received bytes are the blob's: False when the field's transform rewrites this upload
        (its checks judge what the transform makes, so only the finish can start them).
        ``hooks=False``: no hook.
        """
        row, field = self._access.writable(session, ctx, artifact_type, ref)
        all_blobs = repo.blobs_of(session, [ref.artifact_id])[ref.artifact_id]
        limit, _ = field_limit(
            session,
            artifact_type,
            ref,
            owner=row.owner,
            field=field,
            all_blobs=all_blobs,
            content_length=content_length,
        )
        validators = self._validators.for_field(artifact_type.name, ref.field)
        transform = self._validators.transform_for(artifact_type.name, ref.field)
        with_hooks = hooks and self._hooks.wants(artifact_type, "before_upload", "after_upload")
        if not validators and not with_hooks and transform is None:
            return row, None, True
        document = self._render(session, artifact_type, row)
        _, upload = announce(
            self._hooks,
            ctx,
            artifact_type,
            ref,
            document,
            with_hooks=with_hooks,
            with_validators=bool(validators or transform),
            limit=limit,
            content_length=content_length,
            content_type=content_type,
        )
        name = label(ref.field, ref.key).strip("'")
        if RunningTransform.start(transform, upload, name) is not None:
            return row, None, False
        if upload is None or not validators:
            return row, None, True
        return row, RunningChecks.start(validators, upload, name), True

    def reserve_more(self, ref: BlobRef, upload_id: str, owner: str, size: int) -> None:
        """Hold ``size`` more bytes for a streamed upload, if it is still the pending one."""
        with self._db.write() as session:
            blob = _still_pending(session, ref, upload_id)
            if blob is None:
                raise Conflict(f"Blob {label(ref.field, ref.key)} was changed during the upload.")
            quotas.reserve(session, owner, ref.type_name, size)
            blob.pending_reserved = (blob.pending_reserved or 0) + size

    def relocate(self, ref: BlobRef, upload_id: str, location: str) -> None:
        """Name ``location`` as where the upload writes, before it writes there.

        A resumable upload rewritten by its field's transform writes the result beside its
        received bytes (which its session names): once the pending row names the result too,
        a crash leaves nothing unnamed, and a lease takeover or the sweep removes it by name.
        """
        with self._db.write() as session:
            blob = _still_pending(session, ref, upload_id)
            if blob is None:
                raise Conflict(f"Blob {label(ref.field, ref.key)} was changed during the upload.")
            blob_rows.move_pending(blob, location)

    def mark_checking(self, ref: BlobRef, upload_id: str) -> None:
        """Commit ``checking`` before post-store checks run, so a crash during them is visible."""
        with self._db.write() as session:
            blob = _still_pending(session, ref, upload_id)
            if blob is not None:
                blob_rows.mark_checking(blob, self._clock())

    def abort(self, ref: BlobRef, upload_id: str) -> None:
        """Forget a failed upload, restoring the blob as it was before."""
        with self._db.write() as session:
            blob = _still_pending(session, ref, upload_id)
            if blob is None:
                return
            row = session.get(ArtifactRow, ref.artifact_id)
            if row is not None:
                quotas.end_upload(session, row.owner, row.type_name, blob, committed=None)
            if blob.location is None and blob.external_url is None:
                blob_rows.remove(session, blob)
                return
            blob_rows.clear_pending(blob)

    def promote(
        self, artifact_type: ArtifactType, ref: BlobRef, promotion: Promotion
    ) -> dict[str, Any]:
        """Make the upload the blob's data and return the artifact; then drop what it replaced."""
        replaced: list[tuple[str, str]] = []
        now = self._clock()
        with self._db.write() as session:
            row = repo.get(
                session,
                ref.artifact_id,
                type_name=artifact_type.name,
                for_update=self._db.locks_rows,
            )
            blob = blob_rows.get(session, ref.artifact_id, ref.field, ref.key, for_update=True)
            if row is None or blob is None or blob.pending_upload_id != promotion.upload_id:
                # The artifact was deleted, or a stale-upload takeover replaced us: our data is
                # not referenced by anything, so it must go.
                superseded = True
            else:
                superseded = False
                if blob.store and blob.location:
                    replaced.append((blob.store, blob.location))
                quotas.end_upload(
                    session, row.owner, artifact_type.name, blob, committed=promotion.size
                )
                replaced = self._contents.release(session, replaced)
                blob_rows.promote(
                    blob,
                    store=promotion.store_name,
                    location=self._contents.claim(
                        session,
                        promotion.store_name,
                        promotion.location,
                        sha256=promotion.digests[2],
                        size=promotion.size,
                    ),
                    size=promotion.size,
                    digests=promotion.digests,
                    content_type=promotion.content_type,
                    now=now,
                )
                if promotion.resumable is not None:
                    sessions.complete(session, promotion.resumable)
                if promotion.annotations:
                    self._annotate(session, artifact_type, row, promotion.annotations)
                row.updated_at = now
                row.revision += 1
                session.flush()
                rendered = self._render(session, artifact_type, row)
        if superseded:
            self._remover.remove([(promotion.store_name, promotion.location)], "upload superseded")
            raise Conflict(f"Blob {label(ref.field, ref.key)} was changed during the upload.")
        self._remover.remove(replaced, "blob replaced")
        return rendered

    def sweep_stale(self) -> int:
        """Abandon uploads whose lease lapsed (their process died); return how many.

        The blob goes back to its previous data (or away, if it had none) and the partial data's
        location becomes an orphan, removed by the next scrub.
        """
        cutoff = self._clock() - self._leases.ttl
        with self._db.read() as session:
            stale = blob_rows.stale_pending(session, cutoff)
        for artifact_id, field_name, key, upload_id in stale:
            if upload_id is None:
                continue
            with self._db.write() as session:
                blob = blob_rows.get(session, artifact_id, field_name, key, for_update=True)
                if blob is None or blob.pending_upload_id != upload_id:
                    continue
                _orphan_abandoned(session, blob, self._clock())
            self.abort(BlobRef("", artifact_id, field_name, key), upload_id)
        return len(stale)

    def _annotate(
        self,
        session: Session,
        artifact_type: ArtifactType,
        row: ArtifactRow,
        annotations: Mapping[str, Any],
    ) -> None:
        """Record what the checks found, validated against the type's schema like any write."""
        document = self._render(session, artifact_type, row)
        document.update(annotations)
        try:
            artifact_type.validator.validate(document)
        except InvalidInput as exc:
            # The value came from the uploaded bytes (a manifest's name, say): the upload's fault.
            raise BlobRejected(f"the data yields an invalid field: {exc.message}") from exc
        properties = {
            **writable_properties(artifact_type, row),
            **rows.property_values(artifact_type.fields, annotations),
        }
        row.properties = properties
        for column, value in stamp(artifact_type, properties).items():
            setattr(row, column, value)


def _still_pending(session: Session, ref: BlobRef, upload_id: str) -> BlobRow | None:
    """The blob's row, locked, if ``upload_id`` is still the upload in flight on it."""
    blob = blob_rows.get(session, ref.artifact_id, ref.field, ref.key, for_update=True)
    return blob if blob is not None and blob.pending_upload_id == upload_id else None


def _orphan_abandoned(session: Session, blob: BlobRow, now: dt.datetime) -> None:
    """Record an abandoned upload's data as an orphan, unless a resumable session holds it."""
    store, location = blob.pending_store, blob.pending_location
    if store and location and not session_rows.holds(session, store, location):
        blob_rows.add_orphan(session, store, location, "upload abandoned", now)
