"""Moving an upload's bytes: request stream -> transform -> size limit -> digests and checks ->
store.

Runs between the state machine's transactions (:mod:`.pending`) with none held, under the
upload's lease. Any failure cancels the store write (or removes the committed data) and
restores the blob's previous state at once, so a retry can start straight away; a store
failure answers 503.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from artifacts.engine.context import RequestContext
from artifacts.engine.digests import Digester, Digests
from artifacts.engine.hooks import HookRunner
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.uploads import UploadLeases, cancel_quietly
from artifacts.engine.validation import (
    Outcome,
    RunningChecks,
    StoredData,
    check_annotations,
    run_post_store,
)
from artifacts.errors import ArtifactError, InvalidInput, ServiceUnavailable
from artifacts.model.hooks import BlobEvent
from artifacts.model.streaming import StreamResult
from artifacts.store.base import BlobStore, BlobWriter, StoredObject, StoreError

from .common import (
    CONTENT_TYPE,
    BlobRef,
    Readable,
    StoreChoice,
    digest_map,
    label,
    store_key,
    wire_values,
)
from .pending import Begun, PendingUploads, Promotion
from .pipeline_setup import Target, Writing, prepare
from .receiving import receive, receive_known
from .removal import DataRemover
from .reservation import Reservation

LOG = logging.getLogger(__name__)


class Uploader:
    def __init__(
        self,
        types: TypeRegistry,
        stores: Mapping[str, BlobStore],
        pending: PendingUploads,
        *,
        store_choice: StoreChoice,
        remover: DataRemover,
        leases: UploadLeases,
        hooks: HookRunner,
    ) -> None:
        self._types = types
        self._stores = stores
        self._pending = pending
        self._choice = store_choice
        self._remover = remover
        self._leases = leases
        self._hooks = hooks

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
        """Store a blob from a request stream and return the updated artifact."""
        artifact_type = self._types.writable(ref.type_name)
        if not CONTENT_TYPE.match(content_type):
            raise InvalidInput("The Content-Type must be 1 to 255 printable ASCII characters.")
        upload_id = str(uuid.uuid4())
        store_name = into or self._choice.for_field(ref.type_name, ref.field)
        target = Target(
            upload_id=upload_id,
            store=self._stores[store_name],
            store_name=store_name,
            location=store_key(ref.artifact_id, ref.field, ref.key, upload_id),
            label=label(ref.field, ref.key).strip("'"),
        )
        begun = self._pending.begin(
            ctx,
            artifact_type,
            ref,
            upload_id=upload_id,
            store_name=store_name,
            location=target.location,
            content_length=content_length,
            content_type=content_type,
        )
        with self._leases.hold(upload_id):
            return self._stream(
                artifact_type,
                ref,
                begun,
                target,
                stream,
                content_length=content_length,
                content_type=content_type,
            )

    def finish_stored(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        *,
        upload_id: str,
        store_name: str,
        location: str,
        writer: BlobWriter,
        data: Readable | Callable[[], Readable],
        fed: tuple[Digests, RunningChecks | None] | None = None,
        size: int,
        content_type: str,
        on_failure: Callable[[], None],
        expect_sha256: str | None = None,
    ) -> dict[str, Any]:
        """Finish a resumable upload whose bytes are all in the store already, uncommitted.

        It goes the way of every upload (limits, quotas, hooks, streaming and post-store
        checks, digests, content claim), reading ``data`` (the stored bytes) instead of a
        request, or taking the digests and fed checks of a pipeline that saw every byte as
        it arrived (``fed``; ``data`` then opens the read-back, needed only if the field's
        transform rewrites the upload after all); ``writer`` holds the bytes and commits them.
        A refusal by the first transaction (409, 413) leaves the data and the session as they
        were; any later failure removes the data, and calls ``on_failure`` (which forgets the
        session). ``expect_sha256``: the digest the client declared; other bytes are refused
        (400).
        """
        artifact_type = self._types.writable(ref.type_name)
        target = Target(
            upload_id=upload_id,
            store=self._stores[store_name],
            store_name=store_name,
            location=location,
            label=label(ref.field, ref.key).strip("'"),
        )
        begun = self._pending.begin(
            ctx,
            artifact_type,
            ref,
            upload_id=upload_id,
            store_name=store_name,
            location=location,
            content_length=size,
            content_type=content_type,
            resumable=upload_id,
        )
        try:
            with self._leases.hold(upload_id):
                return self._stream(
                    artifact_type,
                    ref,
                    begun,
                    target,
                    data,
                    content_length=size,
                    content_type=content_type,
                    prewritten=writer,
                    fed=fed,
                    expect_sha256=expect_sha256,
                )
        except BaseException:
            on_failure()
            raise

    def _stream(
        self,
        artifact_type: ArtifactType,
        ref: BlobRef,
        begun: Begun,
        target: Target,
        stream: Readable | Callable[[], Readable],
        *,
        content_length: int | None,
        content_type: str,
        prewritten: BlobWriter | None = None,
        fed: tuple[Digests, RunningChecks | None] | None = None,
        expect_sha256: str | None = None,
    ) -> dict[str, Any]:
        """Stream into the store under the upload's lease; undo everything on failure.

        ``prewritten``: a writer that holds the bytes already; they are read (``stream``),
        not written, unless the field's transform rewrites them: then what it returns is
        written anew (next to them) and the received bytes are dropped, whether the upload
        succeeds or fails. ``fed`` gives the digests of prewritten bytes and the checks that
        saw them as they arrived: nothing is read, unless the field's transform rewrites this
        upload (the artifact changed since the session began); ``stream`` is then a callable
        that opens the read-back.
        """
        try:
            transform, checks, writing, source = prepare(
                artifact_type,
                begun,
                target,
                prewritten,
                stream=stream,
                fed=fed,
                relocate=lambda key: self._pending.relocate(ref, target.upload_id, key),
            )
        except BaseException as exc:
            self._end_failed(ref, target, target.location, cause=exc)
            if isinstance(exc, StoreError):
                raise ServiceUnavailable("The blob store is unavailable; try again later.") from exc
            raise
        writer = writing.writer
        digester = Digester(
            sink=None if writing.prewritten else writer.write,
            watch=checks.feed if checks else None,
        )
        outcome = Outcome(fields={}, post_store=())
        reservation = Reservation(
            begun.reserved,
            begun.limit,
            lambda n: self._pending.reserve_more(ref, target.upload_id, begun.owner, n),
            begun.quota_cap,
        )
        try:
            if isinstance(source, Digests):
                digests = receive_known(
                    source,
                    digester,
                    reservation,
                    content_length,
                    target.label,
                    expect_sha256=expect_sha256,
                )
                found: Mapping[str, Any] = {}
            else:
                digests, found = receive(
                    source,
                    digester,
                    reservation,
                    content_length,
                    target.label,
                    transform=transform,
                    expect_sha256=expect_sha256,
                )
            check_annotations(artifact_type, found, target.label)
            if checks is not None:
                outcome = checks.finish(StreamResult(digester.size, digest_map(digests)))
                check_annotations(artifact_type, outcome.fields, target.label)
            if found:
                outcome = dataclasses.replace(outcome, fields={**found, **outcome.fields})
            stored = writer.commit()
        except BaseException as exc:
            digester.abandon()
            leftover = not cancel_quietly(writer, f"upload {target.upload_id}")
            self._drop_received(target, writing)
            self._end_failed(ref, target, writing.location, cause=exc, leftover=leftover)
            if isinstance(exc, StoreError):
                raise ServiceUnavailable("The blob store failed; try again later.") from exc
            raise
        try:
            rendered = self._record(
                artifact_type,
                ref,
                target,
                stored,
                digests=digests,
                outcome=outcome,
                content_type=content_type,
                resumable=prewritten is not None,
            )
        except BaseException as exc:
            # Stored but not recorded (a refusal, the database gone): the data must not stay.
            self._end_failed(ref, target, stored.key, cause=exc, leftover=True)
            self._drop_received(target, writing)
            raise
        # The received bytes of a rewritten resumable upload are not the blob's: not kept.
        self._drop_received(target, writing)
        if begun.hook is not None:
            blob = BlobEvent(ref.field, ref.key, content_type, stored.size, digest_map(digests))
            after = dataclasses.replace(begun.hook, after=rendered)
            obj = artifact_type.cls.from_values(wire_values(artifact_type, rendered))
            self._hooks.after(artifact_type, "after_upload", obj, after, blob)
        return rendered

    def _drop_received(self, target: Target, writing: Writing) -> None:
        """Remove the received bytes of a resumable upload its transform rewrote."""
        if writing.rewrites is None:
            return
        if not cancel_quietly(writing.rewrites, f"upload {target.upload_id}"):
            self._remover.remove([(target.store_name, target.location)], "upload rewritten")

    def _record(
        self,
        artifact_type: ArtifactType,
        ref: BlobRef,
        target: Target,
        stored: StoredObject,
        *,
        digests: Digests,
        outcome: Outcome,
        content_type: str,
        resumable: bool = False,
    ) -> dict[str, Any]:
        """Run the post-store checks and promote the upload."""
        fields = dict(outcome.fields)
        if outcome.post_store:
            data = StoredData(
                target.store, stored.key, stored.size, digest_map(digests), content_type
            )
            fields.update(self._post_store(artifact_type, ref, target, outcome.post_store, data))
        promotion = Promotion(
            upload_id=target.upload_id,
            store_name=target.store_name,
            location=stored.key,
            size=stored.size,
            digests=(digests.md5, digests.sha1, digests.sha256),
            content_type=content_type,
            annotations=fields,
            resumable=target.upload_id if resumable else None,
        )
        return self._pending.promote(artifact_type, ref, promotion)

    def _end_failed(
        self,
        ref: BlobRef,
        target: Target,
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
            LOG.warning("upload %s failed in the blob store: %s", target.upload_id, cause)
        try:
            self._pending.abort(ref, target.upload_id)
            if leftover:
                self._remover.remove([(target.store_name, location)], "upload failed")
        except (ArtifactError, SQLAlchemyError) as exc:
            LOG.warning(
                "upload %s: could not restore the blob record (%s); it frees when the "
                "upload's lease lapses",
                target.upload_id,
                type(exc).__name__,
            )

    def _post_store(
        self,
        artifact_type: ArtifactType,
        ref: BlobRef,
        target: Target,
        checks: tuple[Any, ...],
        stored: StoredData,
    ) -> dict[str, Any]:
        """Mark the stored upload ``checking``, run the post-store checks, undo on refusal.

        The status is committed before the checks run, so a crash during them leaves a blob
        that cannot be downloaded or activated, and that the stale-upload sweep undoes.
        """
        self._pending.mark_checking(ref, target.upload_id)
        try:
            fields = run_post_store(checks, stored, target.label)
            check_annotations(artifact_type, fields, target.label)
        except BaseException:
            self._pending.abort(ref, target.upload_id)
            self._remover.remove(
                [(target.store_name, stored.location)], "upload refused by a check"
            )
            raise
        return fields
