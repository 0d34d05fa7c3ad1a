"""The blob service: streaming uploads and downloads, external locations, and cleanup.

An upload is two short transactions around a long, transaction-free transfer:

1. lock the artifact, check policy, field, status and limits, record the upload as pending
   (the blob shows ``saving``), commit;
2. stream the request through a size limit and the digests into a new key of the store;
3. lock again, check the upload is still the pending one, record size, digests and location,
   mark the blob ``active``, commit; only then delete the data it replaced.

Any failure in 2 or 3 cancels the store write (or removes the committed data) and restores the
previous state of the blob at once, so a retry can start straight away; a store failure answers
503. While it streams, the upload holds a lease its process renews (:mod:`.uploads`): a crash
leaves the blob ``saving`` with its pending location recorded, and once the lease lapses,
seconds later, the upload can be retried and the sweeper removes the partial data. No path
marks a blob active whose bytes and digests were not fully written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from artifacts.db import repository as repo
from artifacts.db.models import ArtifactRow, BlobRow, OrphanRow
from artifacts.db.reads import BlobRecord
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.digests import Digester, Digests
from artifacts.engine.hooks import HookRunner, caller_of
from artifacts.engine.locations import LocationPolicy
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.uploads import UploadLeases, cancel_quietly
from artifacts.engine.validation import (
    Outcome,
    RunningChecks,
    StoredData,
    UploadValidators,
    check_annotations,
    run_post_store,
)
from artifacts.engine.versions import stamp, writable_properties
from artifacts.errors import (
    ArtifactError,
    ArtifactNotFound,
    BlobRejected,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RangeNotSatisfiable,
    ServiceUnavailable,
    TooLarge,
)
from artifacts.model import fields as f
from artifacts.model import lifecycle
from artifacts.model.base import BaseArtifact
from artifacts.model.hooks import BlobEvent, HookContext
from artifacts.model.streaming import StreamResult, Upload
from artifacts.store.base import (
    CHUNK_SIZE,
    BlobStore,
    ByteRange,
    ReadHandle,
    StoredObject,
    StoreError,
)

__all__ = [
    "BlobInfo",
    "BlobRef",
    "BlobService",
    "DataRemover",
    "Download",
    "ReadHandle",  # re-exported: the HTTP layer streams it without importing the store package
    "Readable",
    "StoreChoice",
    "blob_descriptor",
    "blob_values",
    "parse_range",
]

LOG = logging.getLogger(__name__)

SAVING = "saving"
#: Stored, waiting for the type's post-store checks; still a pending upload underneath.
CHECKING = "checking"
#: Blob statuses during which the artifact's status cannot change.
IN_FLIGHT = frozenset({SAVING, CHECKING})
#: Request bytes read per step: large enough that per-chunk costs (thread hand-offs to the
#: digest lanes, store calls) vanish, small enough to keep an upload's memory bounded.
UPLOAD_READ_SIZE = CHUNK_SIZE
ACTIVE = "active"

#: Blob-dict keys: path-like names made of safe segments; never "." or ".." segments.
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127})*$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
#: Range positions with more digits than this are past the end of any blob (2**63 has 19).
_RANGE_DIGITS = 19
_PAST_ANY_END: int = 10**_RANGE_DIGITS
#: A media type as HTTP spells it (printable ASCII), within the record's column.
_CONTENT_TYPE = re.compile(r"^[\x20-\x7e]{1,255}$")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class BlobRef:
    """Which blob: ``/artifacts/{type_name}/{artifact_id}/{field}[/{key}]``."""

    type_name: str
    artifact_id: str
    field: str
    key: str = ""


@dataclass(frozen=True)
class BlobInfo:
    size: int | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    content_type: str | None


@dataclass
class Download:
    """What to send: either a redirect to an external blob or a stream of (part of) the data."""

    info: BlobInfo
    redirect: str | None = None
    handle: ReadHandle | None = None
    byte_range: ByteRange | None = None


@dataclass(frozen=True)
class StoreChoice:
    """Which store receives new data; a deployment may send some types or fields elsewhere."""

    default: str
    overrides: Mapping[str, str]

    def for_field(self, type_name: str, field: str) -> str:
        return self.overrides.get(f"{type_name}.{field}") or self.overrides.get(
            type_name, self.default
        )


class DataRemover:
    """Delete blob data that is no longer referenced, recording what fails as orphans."""

    def __init__(
        self,
        db: Database,
        stores: Mapping[str, BlobStore],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._db = db
        self._stores = stores
        self._clock = clock

    def remove(self, locations: Iterable[tuple[str, str]], reason: str) -> None:
        failed: list[tuple[str, str, str]] = []
        for store_name, location in locations:
            store = self._stores.get(store_name)
            try:
                if store is None:
                    raise StoreError(f"store {store_name!r} is not configured")
                store.delete(location)
            except StoreError as exc:
                failed.append((store_name, location, f"{reason}: {exc}"))
        if failed:
            with self._db.write() as session:
                for store_name, location, why in failed:
                    session.add(
                        OrphanRow(
                            store=store_name,
                            location=location,
                            reason=why,
                            created_at=self._clock(),
                            attempts=1,
                        )
                    )

    def scrub(self) -> tuple[int, int]:
        """Retry every recorded orphan; return (removed, still failing)."""
        with self._db.read() as session:
            orphans = [(o.id, o.store, o.location) for o in session.scalars(select(OrphanRow))]
        removed = failing = 0
        for orphan_id, store_name, location in orphans:
            store = self._stores.get(store_name)
            try:
                if store is None:
                    raise StoreError(f"store {store_name!r} is not configured")
                store.delete(location)
            except StoreError:
                failing += 1
                with self._db.write() as session:
                    orphan = session.get(OrphanRow, orphan_id)
                    if orphan is not None:
                        orphan.attempts += 1
                continue
            removed += 1
            with self._db.write() as session:
                session.execute(delete(OrphanRow).where(OrphanRow.id == orphan_id))
        return removed, failing


class BlobService:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        stores: Mapping[str, BlobStore],
        *,
        store_choice: StoreChoice,
        remover: DataRemover,
        leases: UploadLeases,
        locations: LocationPolicy,
        clock: Callable[[], dt.datetime],
        render: Callable[[Session, ArtifactType, ArtifactRow], dict[str, Any]],
        validators: UploadValidators | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        self._validators = validators or UploadValidators(types)
        self._hooks = hooks or HookRunner()
        self._db = db
        self._types = types
        self._policy = policy
        self._stores = stores
        self._choice = store_choice
        self._remover = remover
        self._leases = leases
        self._locations = locations
        self._clock = clock
        self._render = render

    # --- upload --------------------------------------------------------------------------------

    def upload(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        stream: Readable,
        *,
        content_length: int | None,
        content_type: str,
        into: str | None = None,
    ) -> dict[str, Any]:
        """Store a blob from a request stream and return the updated artifact.

        ``into``: the store to write to (an import naming one); else the configured choice.
        """
        type_name, artifact_id, field_name, key = ref.type_name, ref.artifact_id, ref.field, ref.key
        artifact_type = self._types.writable(type_name)
        if not _CONTENT_TYPE.match(content_type):
            raise InvalidInput("The Content-Type must be 1 to 255 printable ASCII characters.")
        upload_id = str(uuid.uuid4())
        store_name = into or self._choice.for_field(type_name, field_name)
        store = self._stores[store_name]
        location = _location(artifact_id, field_name, key, upload_id)
        label = _label(field_name, key).strip("'")
        begun = self._begin_upload(
            ctx,
            artifact_type,
            artifact_id,
            field_name,
            key,
            upload_id=upload_id,
            store_name=store_name,
            location=location,
            content_length=content_length,
            content_type=content_type,
        )
        with self._leases.hold(upload_id):
            return self._stream_upload(
                artifact_type, ref, begun=begun, upload_id=upload_id, store=store,
                store_name=store_name, location=location, stream=stream,
                content_length=content_length, content_type=content_type, label=label,
            )  # fmt: skip

    def _stream_upload(
        self,
        artifact_type: ArtifactType,
        ref: BlobRef,
        *,
        begun: _Begun,
        upload_id: str,
        store: BlobStore,
        store_name: str,
        location: str,
        stream: Readable,
        content_length: int | None,
        content_type: str,
        label: str,
    ) -> dict[str, Any]:
        """Stream into the store under the upload's lease; undo everything on failure."""
        try:
            checks = (
                RunningChecks.start(begun.validators, begun.upload, label)
                if begun.upload is not None
                else None
            )
            writer = store.open_writer(location)
        except BaseException as exc:
            self._end_failed(ref, upload_id, store_name, location, cause=exc)
            if isinstance(exc, StoreError):
                raise ServiceUnavailable("The blob store is unavailable; try again later.") from exc
            raise
        digester = Digester(sink=writer.write, watch=checks.feed if checks else None)
        outcome = Outcome(fields={}, post_store=())
        try:
            digests = _receive(stream, digester, begun.limit, content_length, label)
            if checks is not None:
                outcome = checks.finish(StreamResult(digester.size, _digest_map(digests)))
                check_annotations(artifact_type, outcome.fields, label)
            stored = writer.commit()
        except BaseException as exc:
            digester.abandon()
            leftover = not cancel_quietly(writer, f"upload {upload_id}")
            self._end_failed(ref, upload_id, store_name, location, cause=exc, leftover=leftover)
            if isinstance(exc, StoreError):
                raise ServiceUnavailable("The blob store failed; try again later.") from exc
            raise
        try:
            rendered = self._record_upload(
                artifact_type, ref, upload_id=upload_id, store=store, store_name=store_name,
                stored=stored, digests=digests, outcome=outcome, content_type=content_type,
                label=label,
            )  # fmt: skip
        except BaseException as exc:
            # Stored but not recorded (a refusal, the database gone): the data must not stay.
            self._end_failed(ref, upload_id, store_name, stored.key, cause=exc, leftover=True)
            raise
        if begun.hook is not None:
            blob = BlobEvent(ref.field, ref.key, content_type, stored.size, _digest_map(digests))
            after = dataclasses.replace(begun.hook, after=rendered)
            obj = artifact_type.cls.from_values(_wire_values(artifact_type, rendered))
            self._hooks.after(artifact_type, "after_upload", obj, after, blob)
        return rendered

    def _record_upload(
        self,
        artifact_type: ArtifactType,
        ref: BlobRef,
        *,
        upload_id: str,
        store: BlobStore,
        store_name: str,
        stored: StoredObject,
        digests: Digests,
        outcome: Outcome,
        content_type: str,
        label: str,
    ) -> dict[str, Any]:
        """Run the post-store checks and promote the upload."""
        artifact_id, field_name, key = ref.artifact_id, ref.field, ref.key
        fields = dict(outcome.fields)
        if outcome.post_store:
            fields.update(
                self._post_store(
                    artifact_type,
                    ref,
                    upload_id=upload_id,
                    checks=outcome.post_store,
                    stored=StoredData(
                        store, stored.key, stored.size, _digest_map(digests), content_type
                    ),
                    store_name=store_name,
                    label=label,
                )
            )
        return self._finish_upload(
            artifact_type,
            artifact_id,
            field_name,
            key,
            upload_id=upload_id,
            store_name=store_name,
            location=stored.key,
            size=stored.size,
            md5=digests.md5,
            sha1=digests.sha1,
            sha256=digests.sha256,
            content_type=content_type,
            annotations=fields,
        )

    def _end_failed(
        self,
        ref: BlobRef,
        upload_id: str,
        store_name: str,
        location: str,
        *,
        cause: BaseException,
        leftover: bool = False,
    ) -> None:
        """Free the blob after a failed upload, and see that its data does not linger.

        Never raises: the error on its way to the client is ``cause``. ``leftover`` says data
        may remain under ``location`` (committed, or a cancel that failed): it is deleted, or
        recorded as an orphan when the store cannot delete it either. If the database cannot
        be told (it is what failed), the record stays pending until its lease lapses, and the
        upload that takes it over records the data as an orphan.
        """
        if isinstance(cause, StoreError):
            LOG.warning("upload %s failed in the blob store: %s", upload_id, cause)
        try:
            self._abort_upload(ref.artifact_id, ref.field, ref.key, upload_id)
            if leftover:
                self._remover.remove([(store_name, location)], "upload failed")
        except (ArtifactError, SQLAlchemyError) as exc:
            LOG.warning(
                "upload %s: could not restore the blob record (%s); it frees when the "
                "upload's lease lapses",
                upload_id,
                type(exc).__name__,
            )

    def _post_store(
        self,
        artifact_type: ArtifactType,
        ref: BlobRef,
        *,
        upload_id: str,
        checks: tuple[Any, ...],
        stored: StoredData,
        store_name: str,
        label: str,
    ) -> dict[str, Any]:
        """Mark the stored upload ``checking``, run the post-store checks, undo on refusal.

        The status is committed before the checks run, so a crash during them leaves a blob
        that cannot be downloaded or activated, and that the stale-upload sweep undoes.
        """
        with self._db.write() as session:
            blob = session.get(BlobRow, (ref.artifact_id, ref.field, ref.key), with_for_update=True)
            if blob is not None and blob.pending_upload_id == upload_id:
                blob.status = CHECKING
                blob.updated_at = self._clock()
        try:
            fields = run_post_store(checks, stored, label)
            check_annotations(artifact_type, fields, label)
        except BaseException:
            self._abort_upload(ref.artifact_id, ref.field, ref.key, upload_id)
            self._remover.remove([(store_name, stored.location)], "upload refused by a check")
            raise
        return fields

    def _begin_upload(
        self,
        ctx: RequestContext,
        artifact_type: ArtifactType,
        artifact_id: str,
        field_name: str,
        key: str,
        *,
        upload_id: str,
        store_name: str,
        location: str,
        content_length: int | None,
        content_type: str,
    ) -> _Begun:
        """Record the pending upload; return its byte limit and what its checks are told."""
        now = self._clock()
        validators = self._validators.for_field(artifact_type.name, field_name)
        with_hooks = self._hooks.wants(artifact_type, "before_upload", "after_upload")
        with self._db.write() as session:
            row, field = self._writable(
                session,
                ctx,
                artifact_type,
                BlobRef(artifact_type.name, artifact_id, field_name, key),
            )
            all_blobs = repo.blobs_of(session, [artifact_id])[artifact_id]
            document = (
                self._render(session, artifact_type, row) if validators or with_hooks else None
            )
            blobs = {b.key: b for b in all_blobs if b.field == field_name}
            existing = blobs.get(key)
            if existing is not None and existing.pending_upload_id is not None:
                renewed = repo.aware(existing.pending_started_at)
                if not self._leases.expired(renewed, now):
                    raise Conflict(f"Blob {_label(field_name, key)} is being uploaded already.")
                # A lapsed lease (its uploader died): its partial data goes to the sweeper.
                if existing.pending_store and existing.pending_location:
                    session.add(
                        OrphanRow(
                            store=existing.pending_store,
                            location=existing.pending_location,
                            reason="upload abandoned",
                            created_at=now,
                            attempts=0,
                        )
                    )
            limit = field.max_size
            if isinstance(field, f.BlobDict):
                others = [b for k, b in blobs.items() if k != key]
                if existing is None and len(others) >= field.max_keys:
                    raise TooLarge(
                        f"Blob dict {field_name!r} already holds {field.max_keys} entries."
                    )
                used = sum(b.size or 0 for b in others)
                limit = min(limit, field.max_total_size - used)
            type_limit = artifact_type.cls.MAX_TOTAL_BLOB_SIZE
            if type_limit is not None:
                elsewhere = sum(b.size or 0 for b in all_blobs if b is not existing)
                limit = min(limit, type_limit - elsewhere)
            if content_length is not None and content_length > limit:
                raise TooLarge(
                    f"Blob {_label(field_name, key)} of {content_length} bytes is larger than "
                    f"its limit of {max(limit, 0)} bytes."
                )
            hook = upload = None
            if document is not None:
                caller = caller_of(ctx)
                if with_hooks:
                    hook = HookContext(
                        event="upload",
                        caller=caller,
                        type_name=artifact_type.name,
                        artifact_id=artifact_id,
                        before=document,
                        after=document,
                        changed=frozenset({field_name}),
                    )
                    blob = BlobEvent(field_name, key, content_type, content_length)
                    obj = artifact_type.cls.from_values(_wire_values(artifact_type, document))
                    self._hooks.before(artifact_type, "before_upload", obj, hook, blob)
                if validators:
                    upload = Upload(
                        type_name=artifact_type.name,
                        artifact_id=artifact_id,
                        field=field_name,
                        key=key,
                        content_type=content_type,
                        content_length=content_length,
                        artifact=document,
                        caller=caller,
                        max_size=max(limit, 0),
                    )
            if existing is None:
                existing = BlobRow(
                    artifact_id=artifact_id, field=field_name, key=key, created_at=now
                )
                session.add(existing)
            existing.status = SAVING
            existing.pending_upload_id = upload_id
            existing.pending_store = store_name
            existing.pending_location = location
            existing.pending_started_at = now
            existing.updated_at = now
            return _Begun(max(limit, 0), validators, upload, hook)

    def _abort_upload(self, artifact_id: str, field_name: str, key: str, upload_id: str) -> None:
        """Forget a failed upload, restoring the blob as it was before."""
        with self._db.write() as session:
            blob = session.get(BlobRow, (artifact_id, field_name, key), with_for_update=True)
            if blob is None or blob.pending_upload_id != upload_id:
                return
            if blob.location is None and blob.external_url is None:
                session.delete(blob)
                return
            blob.status = ACTIVE
            blob.pending_upload_id = blob.pending_store = blob.pending_location = None
            blob.pending_started_at = None

    def _finish_upload(
        self,
        artifact_type: ArtifactType,
        artifact_id: str,
        field_name: str,
        key: str,
        *,
        upload_id: str,
        store_name: str,
        location: str,
        size: int,
        md5: str,
        sha1: str,
        sha256: str,
        content_type: str,
        annotations: Mapping[str, Any],
    ) -> dict[str, Any]:
        replaced: list[tuple[str, str]] = []
        now = self._clock()
        with self._db.write() as session:
            row = repo.get(
                session, artifact_id, type_name=artifact_type.name, for_update=self._db.locks_rows
            )
            blob = session.get(BlobRow, (artifact_id, field_name, key), with_for_update=True)
            if row is None or blob is None or blob.pending_upload_id != upload_id:
                # The artifact was deleted, or a stale-upload takeover replaced us: our data is
                # not referenced by anything, so it must go.
                superseded = True
            else:
                superseded = False
                if blob.store and blob.location:
                    replaced.append((blob.store, blob.location))
                blob.status = ACTIVE
                blob.size, blob.md5, blob.sha1, blob.sha256 = size, md5, sha1, sha256
                blob.content_type = content_type
                blob.store, blob.location, blob.external_url = store_name, location, None
                blob.pending_upload_id = blob.pending_store = blob.pending_location = None
                blob.pending_started_at = None
                blob.updated_at = now
                if annotations:
                    self._annotate(session, artifact_type, row, annotations)
                row.updated_at = now
                row.revision += 1
                session.flush()
                rendered = self._render(session, artifact_type, row)
        if superseded:
            self._remover.remove([(store_name, location)], "upload superseded")
            raise Conflict(f"Blob {_label(field_name, key)} was changed during the upload.")
        self._remover.remove(replaced, "blob replaced")
        return rendered

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
            **repo.property_values(artifact_type.fields, annotations),
        }
        row.properties = properties
        for column, value in stamp(artifact_type, properties).items():
            setattr(row, column, value)

    # --- external locations --------------------------------------------------------------------

    def set_external(self, ctx: RequestContext, ref: BlobRef, location: Any) -> dict[str, Any]:
        """Record a blob that lives at a URL; the server never fetches it."""
        type_name, artifact_id, field_name, key = ref.type_name, ref.artifact_id, ref.field, ref.key
        artifact_type = self._types.writable(type_name)
        url, digests = _parse_location(location)
        self._locations.check(url)
        now = self._clock()
        replaced: list[tuple[str, str]] = []
        with self._db.write() as session:
            row, _ = self._writable(session, ctx, artifact_type, ref)
            blob = session.get(BlobRow, (artifact_id, field_name, key), with_for_update=True)
            if blob is not None and blob.pending_upload_id is not None:
                raise Conflict(f"Blob {_label(field_name, key)} is being uploaded.")
            if blob is None:
                blob = BlobRow(artifact_id=artifact_id, field=field_name, key=key, created_at=now)
                session.add(blob)
            elif blob.store and blob.location:
                replaced.append((blob.store, blob.location))
            blob.status = ACTIVE
            blob.size = None
            blob.md5, blob.sha1, blob.sha256 = digests
            blob.content_type = None
            blob.store = blob.location = None
            blob.external_url = url
            blob.updated_at = now
            row.updated_at = now
            row.revision += 1
            session.flush()
            rendered = self._render(session, artifact_type, row)
        self._remover.remove(replaced, "blob replaced by an external location")
        return rendered

    def delete_external(self, ctx: RequestContext, ref: BlobRef) -> dict[str, Any]:
        """Forget an external blob (uploaded data is replaced, never deleted on its own)."""
        type_name, artifact_id, field_name, key = ref.type_name, ref.artifact_id, ref.field, ref.key
        artifact_type = self._types.writable(type_name)
        with self._db.write() as session:
            row, _ = self._writable(session, ctx, artifact_type, ref)
            blob = session.get(BlobRow, (artifact_id, field_name, key), with_for_update=True)
            if blob is None:
                raise NotFound(f"Blob {_label(field_name, key)} is not set.")
            if blob.external_url is None:
                raise Forbidden("Only external blobs can be deleted; upload new data instead.")
            session.delete(blob)
            row.updated_at = self._clock()
            row.revision += 1
            session.flush()
            return self._render(session, artifact_type, row)

    # --- download ------------------------------------------------------------------------------

    def download(
        self, ctx: RequestContext, ref: BlobRef, *, range_header: str | None = None
    ) -> Download:
        """Open a blob for sending (or point at its external URL), honouring one byte range."""
        type_name, artifact_id, field_name, key = ref.type_name, ref.artifact_id, ref.field, ref.key
        artifact_type = self._types.get(type_name)
        with self._db.read() as session:
            row = self._load(session, ctx, type_name, artifact_id)
            self._policy.enforce(ctx, "artifact:download", Target(owner=row.owner))
            _blob_field(artifact_type, field_name, key)
            if row.status == lifecycle.DEACTIVATED and not ctx.is_admin:
                raise Forbidden("The artifact is deactivated; only administrators may download.")
            blob = session.get(BlobRow, (artifact_id, field_name, key))
            if blob is None or (blob.location is None and blob.external_url is None):
                if blob is not None and blob.status in IN_FLIGHT:
                    raise Conflict(f"Blob {_label(field_name, key)} is still being uploaded.")
                raise NotFound(f"Blob {_label(field_name, key)} is not set.")
            info = BlobInfo(blob.size, blob.md5, blob.sha1, blob.sha256, blob.content_type)
            store_name, location, external = blob.store, blob.location, blob.external_url
            hooked = None
            if self._hooks.wants(artifact_type, "before_download", "after_download"):
                hooked = self._download_hook(session, ctx, artifact_type, row, blob)
                self._hooks.before(artifact_type, "before_download", *hooked)
        if hooked is not None:
            self._hooks.after(artifact_type, "after_download", *hooked)
        if external is not None:
            return Download(info=info, redirect=external)
        assert store_name is not None
        assert location is not None
        byte_range = parse_range(range_header, info.size) if range_header else None
        try:
            handle = self._stores[store_name].open_reader(location, byte_range)
        except StoreError as exc:
            raise ServiceUnavailable(f"The blob store failed: {exc}") from exc
        return Download(info=info, handle=handle, byte_range=byte_range)

    def _download_hook(
        self,
        session: Session,
        ctx: RequestContext,
        artifact_type: ArtifactType,
        row: ArtifactRow,
        blob: BlobRow,
    ) -> tuple[BaseArtifact, HookContext, BlobEvent]:
        document = self._render(session, artifact_type, row)
        hook = HookContext(
            event="download",
            caller=caller_of(ctx),
            type_name=artifact_type.name,
            artifact_id=row.id,
            before=document,
            after=document,
        )
        digests = {
            name: value
            for name, value in (("md5", blob.md5), ("sha1", blob.sha1), ("sha256", blob.sha256))
            if value is not None
        }
        event = BlobEvent(blob.field, blob.key, blob.content_type, blob.size, digests)
        obj = artifact_type.cls.from_values(_wire_values(artifact_type, document))
        return obj, hook, event

    # --- maintenance ---------------------------------------------------------------------------

    def sweep_stale_uploads(self) -> int:
        """Abandon uploads whose lease lapsed (their process died); return how many.

        The blob goes back to its previous data (or away, if it had none) and the partial data's
        location becomes an orphan, removed by the next scrub.
        """
        cutoff = self._clock() - self._leases.ttl
        with self._db.read() as session:
            stmt = select(
                BlobRow.artifact_id, BlobRow.field, BlobRow.key, BlobRow.pending_upload_id
            )
            stale = session.execute(stmt.where(BlobRow.pending_started_at < cutoff)).all()
        for artifact_id, field_name, key, upload_id in stale:
            if upload_id is None:
                continue
            with self._db.write() as session:
                blob = session.get(BlobRow, (artifact_id, field_name, key), with_for_update=True)
                if blob is None or blob.pending_upload_id != upload_id:
                    continue
                if blob.pending_store and blob.pending_location:
                    session.add(
                        OrphanRow(
                            store=blob.pending_store,
                            location=blob.pending_location,
                            reason="upload abandoned",
                            created_at=self._clock(),
                            attempts=0,
                        )
                    )
            self._abort_upload(artifact_id, field_name, key, upload_id)
        return len(stale)

    # --- helpers -------------------------------------------------------------------------------

    def _writable(
        self, session: Session, ctx: RequestContext, artifact_type: ArtifactType, ref: BlobRef
    ) -> tuple[ArtifactRow, f.Blob | f.BlobDict]:
        """Lock the artifact and check the caller may change this blob in its current status."""
        row = self._load(session, ctx, ref.type_name, ref.artifact_id, for_update=True)
        self._policy.enforce(ctx, "artifact:upload", Target(owner=row.owner))
        field = _blob_field(artifact_type, ref.field, ref.key)
        if row.status not in (lifecycle.DRAFTED, lifecycle.ACTIVE) or (
            row.status == lifecycle.ACTIVE and not field.mutable
        ):
            raise Forbidden(
                f"Blob {ref.field!r} cannot be changed while the artifact is {row.status}."
            )
        return row, field

    def _load(
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


def blob_descriptor(type_name: str, blob: BlobRow | BlobRecord) -> dict[str, Any]:
    """Render a blob record as Glare does inside the artifact."""
    path = f"/artifacts/{type_name}/{blob.artifact_id}/{blob.field}"
    if blob.key:
        path += f"/{blob.key}"
    complete = blob.location is not None or blob.external_url is not None
    return {
        "url": blob.external_url or path,
        "size": blob.size if complete else None,
        "md5": blob.md5 if complete else None,
        "sha1": blob.sha1 if complete else None,
        "sha256": blob.sha256 if complete else None,
        "external": blob.external_url is not None,
        "status": blob.status,
        "content_type": blob.content_type if complete else None,
    }


def blob_values(
    type_name: str, fields: Mapping[str, f.Field], blobs: Iterable[BlobRow | BlobRecord]
) -> dict[str, Any]:
    """Group an artifact's blob rows into field values (a descriptor, or a dict of them)."""
    values: dict[str, Any] = {
        name: {} if isinstance(field, f.BlobDict) else None
        for name, field in fields.items()
        if field.is_blob
    }
    for blob in blobs:
        if blob.field not in values:
            continue
        if isinstance(fields[blob.field], f.BlobDict):
            values[blob.field][blob.key] = blob_descriptor(type_name, blob)
        else:
            values[blob.field] = blob_descriptor(type_name, blob)
    return values


def parse_range(header: str, size: int | None) -> ByteRange | None:
    """Parse a single ``bytes=`` range; None means "send everything" (as RFC 9110 allows)."""
    match = _RANGE.match(header.strip())
    if match is None or size is None:
        return None
    first, last = (_position(group) for group in match.groups())
    if first is None and last is None:
        return None
    if first is None:
        assert last is not None
        length = last
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(size - length, 0), size - 1)
    start = first
    if last is not None and last < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    end = last if last is not None else size - 1
    return ByteRange(start, min(end, size - 1))


def _position(digits: str) -> int | None:
    """A range position; one too long to be a real offset counts as "past any end"."""
    if not digits:
        return None
    stripped = digits.lstrip("0") or "0"
    if len(stripped) > _RANGE_DIGITS:
        return _PAST_ANY_END
    return int(stripped)


def _blob_field(artifact_type: ArtifactType, field_name: str, key: str) -> f.Blob | f.BlobDict:
    field = artifact_type.fields.get(field_name)
    if not isinstance(field, f.Blob | f.BlobDict):
        raise InvalidInput(f"{field_name!r} is not a blob field of {artifact_type.name}.")
    if isinstance(field, f.Blob) and key:
        raise InvalidInput(f"Blob field {field_name!r} has no keys; use its path without one.")
    if isinstance(field, f.BlobDict):
        if not key:
            raise InvalidInput(f"{field_name!r} is a blob dict; name an entry: {field_name}/<key>.")
        if not _KEY.match(key) or len(key) > 255:
            raise InvalidInput(
                f"Invalid blob key {key!r}: use letters, digits, '.', '_', '-' and '/' between "
                "names; no empty, '.' or '..' parts."
            )
    return field


def _receive(
    stream: Readable, digester: Digester, limit: int, content_length: int | None, label: str
) -> Digests:
    """Read the request into the digester's lanes, within the limit; return the digests."""
    while True:
        chunk = stream.read(UPLOAD_READ_SIZE)
        if not chunk:
            break
        if digester.size + len(chunk) > limit:
            raise TooLarge(f"Blob {label!r} is larger than its limit of {limit} bytes.")
        digester.update(chunk)
    if content_length is not None and digester.size != content_length:
        raise InvalidInput(f"The upload ended after {digester.size} of {content_length} bytes.")
    return digester.digests()


@dataclass(frozen=True)
class _Begun:
    """A recorded pending upload: its byte limit, and its checks' and hooks' view of it."""

    limit: int
    validators: tuple[Any, ...]
    upload: Upload | None
    hook: HookContext | None


def _digest_map(digests: Digests) -> dict[str, str]:
    return {"md5": digests.md5, "sha1": digests.sha1, "sha256": digests.sha256}


def _wire_values(artifact_type: ArtifactType, document: Mapping[str, Any]) -> dict[str, Any]:
    """Field values from a rendered document (datetimes parsed back) for a hook's ``self``."""
    values = {}
    for name, field in artifact_type.fields.items():
        value = document.get(name)
        if isinstance(field, f.DateTime) and isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        values[name] = value
    return values


def _location(artifact_id: str, field_name: str, key: str, upload_id: str) -> str:
    base = f"blobs/{artifact_id[:2]}/{artifact_id}/{field_name}"
    if key:
        base += "/" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{base}/{upload_id}"


def _label(field_name: str, key: str) -> str:
    return repr(f"{field_name}/{key}" if key else field_name)


def _parse_location(location: Any) -> tuple[str, tuple[str | None, str | None, str | None]]:
    if not isinstance(location, dict):
        raise InvalidInput("A location is a JSON object with 'url' and checksums.")
    url = location.get("url")
    if not isinstance(url, str):
        raise InvalidInput("A location needs a 'url' string.")
    checks = {"md5": 32, "sha1": 40, "sha256": 64}
    digests: list[str | None] = []
    for name, length in checks.items():
        value = location.get(name)
        if value is not None and (
            not isinstance(value, str) or not re.fullmatch(f"[0-9a-fA-F]{{{length}}}", value)
        ):
            raise InvalidInput(f"Location {name!r} must be {length} hexadecimal characters.")
        digests.append(value.lower() if isinstance(value, str) else None)
    if digests[0] is None:
        raise InvalidInput("A location needs at least its 'md5' checksum.")
    unknown = set(location) - {"url", "md5", "sha1", "sha256", "location_type"}
    if unknown:
        raise InvalidInput(f"Unknown location keys: {', '.join(sorted(unknown))}.")
    if location.get("location_type", "external") != "external":
        raise Forbidden("Only external locations can be set through the API.")
    return url, (digests[0], digests[1], digests[2])
