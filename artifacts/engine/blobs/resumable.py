"""Resumable uploads: a session per upload, appended to in order across requests, processes
and nodes, then finished exactly as an ordinary upload is.

::

    create ──> receiving ──append (at the recorded offset)…──> offset == length ──finish──> complete
                   │                                                                (promoted)
                   └──── cancel / expire ────> gone: data removed, reservation released

The model is the tus 1.0 protocol's (``api.resources.uploads`` speaks it). Creating a session
checks what an upload checks first (policy, the artifact's status, the field, the size limits
for the declared length, the type's before-upload hook and its validators' start) and holds
the whole length against the project's quotas. An append
claims the session (one conditional UPDATE, so only one request on any node appends at a
time), writes to the store's partial object and records the offset it reached, also when the
client's connection drops midway: that is the offset a client resumes from. It records a
durable checkpoint every :data:`.receiver.CHECKPOINT_BYTES`, so a server crash loses at most
that much.

The digests and the type's streaming checks see the bytes as they arrive, and wait between
appends in the process that ran the last one (:mod:`.live`). When the last byte has arrived
the upload is promoted by the upload state machine (:mod:`.pending`), which also marks the
session complete, with those digests and checks' verdicts; if an append landed in another
process (or the one holding them is gone), the stored bytes are read back once instead,
through new ones. Either way each pipeline sees every byte once, in order.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import upload_sessions as rows
from artifacts.db.models import UploadSessionRow
from artifacts.db.rows import aware
from artifacts.db.session import Database
from artifacts.engine import quotas
from artifacts.engine.context import RequestContext
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.uploads import UploadLeases
from artifacts.errors import (
    ArtifactError,
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    NotSupported,
    ServiceUnavailable,
    TooLarge,
)
from artifacts.store.base import BlobStore, ReadHandle, ResumableStore, StoreError

from . import sessions
from .common import CONTENT_TYPE, BlobRef, Readable, StoreChoice, store_key
from .live import LivePipelines, Pipeline, fresh
from .pending import PendingUploads
from .receiver import Append, CheckFailed, Receiver
from .removal import DataRemover
from .session_view import UploadSession, replaced, session_view
from .upload import Uploader

#: How long a session lives after its last append, unless configured otherwise.
DEFAULT_EXPIRY = dt.timedelta(hours=24)


class ResumableUploads:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        stores: Mapping[str, BlobStore],
        uploader: Uploader,
        *,
        pending: PendingUploads,
        store_choice: StoreChoice,
        remover: DataRemover,
        leases: UploadLeases,
        clock: Callable[[], dt.datetime],
        expiry: dt.timedelta,
    ) -> None:
        self._db = db
        self._types = types
        self._stores = stores
        self._uploader = uploader
        self._pending = pending
        self._choice = store_choice
        self._remover = remover
        self._leases = leases
        self._clock = clock
        self._expiry = expiry
        self._pipelines = LivePipelines()
        self._receiver = Receiver(db, stores, live=self._pipelines, clock=clock, expiry=expiry)

    def create(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        *,
        length: int,
        content_type: str,
        metadata: str | None = None,
    ) -> UploadSession:
        """Open a session for ``length`` bytes to the blob ``ref`` names; hold them in quota."""
        artifact_type = self._types.writable(ref.type_name)
        if not CONTENT_TYPE.match(content_type):
            raise InvalidInput("The content type must be 1 to 255 printable ASCII characters.")
        store_name = self._choice.for_field(ref.type_name, ref.field)
        if not isinstance(self._stores[store_name], ResumableStore):
            raise NotSupported(
                f"Store {store_name!r} cannot keep partial uploads; upload the blob in one PUT."
            )
        upload_id = str(uuid.uuid4())
        now = self._clock()
        with self._db.write() as session:
            row, checks, live = self._pending.preflight(
                session, ctx, artifact_type, ref, content_length=length, content_type=content_type
            )
            quotas.reserve(session, row.owner, artifact_type.name, length)
            created = UploadSessionRow(
                id=upload_id,
                type_name=artifact_type.name,
                artifact_id=ref.artifact_id,
                field=ref.field,
                key=ref.key,
                project=ctx.project_id,
                owner=row.owner,
                status=rows.RECEIVING,
                store=store_name,
                location=store_key(ref.artifact_id, ref.field, ref.key, upload_id),
                length=length,
                offset=0,
                reserved=length,
                content_type=content_type,
                upload_metadata=metadata,
                created_at=now,
                expires_at=now + self._expiry,
            )
            rows.add(session, created)
            opened = session_view(created)
        if live:
            self._pipelines.keep(upload_id, fresh(checks))
        return opened

    def _first_pipeline(self, ctx: RequestContext, current: UploadSession) -> Pipeline | None:
        """A pipeline for a first append that lands in a process other than the creator's.

        Its checks start as the creator's did (the hook ran then); if anything refuses now,
        there is no pipeline, and the finish (which checks everything again) says why.
        """
        try:
            artifact_type = self._types.writable(current.ref.type_name)
            with self._db.write() as session:
                _, checks, live = self._pending.preflight(
                    session,
                    ctx,
                    artifact_type,
                    current.ref,
                    content_length=current.length,
                    content_type=current.content_type,
                    hooks=False,
                )
        except ArtifactError:
            return None
        return fresh(checks) if live else None

    def status(self, ctx: RequestContext, upload_id: str) -> UploadSession:
        """The session's offset and length: where a client resumes."""
        return self._live(ctx, upload_id)

    def append(
        self,
        ctx: RequestContext,
        upload_id: str,
        *,
        offset: int,
        stream: Readable,
        content_length: int | None,
    ) -> UploadSession:
        """Append the body at ``offset`` (which must be the recorded one); finish at the end."""
        current = self._live(ctx, upload_id)
        if current.complete:
            if offset == current.length and not content_length:
                return current  # a client that lost the last answer asks again
            raise Conflict("The upload is complete; it takes no more bytes.")
        if offset != current.offset:
            raise Conflict(f"The upload is at offset {current.offset}, not {offset}.")
        if content_length is not None and offset + content_length > current.length:
            raise TooLarge(
                f"{content_length} bytes at offset {offset} exceed the upload's length of "
                f"{current.length} bytes."
            )
        token = str(uuid.uuid4())
        now = self._clock()
        with self._db.write() as session:
            claimed = rows.claim(
                session, upload_id, token, offset=offset, now=now, stale=now - self._leases.ttl
            )
        if not claimed:
            raise Conflict("Another request is appending to this upload; ask for its offset.")
        # Taken only once claimed: a request refused above leaves the pipeline to the one
        # that is appending.
        pipeline = self._pipelines.take(upload_id, offset)
        if pipeline is None and offset == 0:
            pipeline = self._first_pipeline(ctx, current)
        target = Append(
            upload_id, token, current.store, current.location, current.offset, current.length
        )
        try:
            with self._leases.hold(token):
                received = self._receiver.receive(target, stream, pipeline)
        except CheckFailed as failed:
            self._end(upload_id, "resumable upload refused by a check")
            raise failed.error from None
        if content_length is not None and received - offset != content_length:
            raise InvalidInput(
                f"The body ended after {received - offset} of {content_length} bytes; the "
                f"upload is at offset {received}."
            )
        if received < current.length:
            return replaced(current, offset=received, expires_at=now + self._expiry)
        artifact = self._finish(ctx, current, self._pipelines.take(upload_id, received))
        return replaced(current, offset=received, complete=True, artifact=artifact)

    def cancel(self, ctx: RequestContext, upload_id: str) -> None:
        """End the session and remove its data (tus termination)."""
        now = self._clock()
        with self._db.write() as session:
            row = self._load(session, ctx, upload_id)
            if row.patch_token is not None and not self._leases.expired(
                aware(row.patch_renewed_at), now
            ):
                raise Conflict("A request is appending to this upload; cancel it afterwards.")
            location = sessions.end(session, row)
        self._pipelines.drop(upload_id)
        if location is not None:
            self._remover.remove([location], "resumable upload cancelled")

    def sweep_expired(self) -> int:
        """End every session whose time is up; return how many."""
        now = self._clock()
        with self._db.read() as session:
            expired = rows.expired(session, now)
        for upload_id in expired:
            self._expire(upload_id)
        return len(expired)

    # --- steps -----------------------------------------------------------------------------

    def _load(
        self, session: Session, ctx: RequestContext, upload_id: str, *, for_update: bool = True
    ) -> UploadSessionRow:
        row = rows.get(session, upload_id, for_update=for_update and self._db.locks_rows)
        # Another project's session is as absent as one that never existed; so is a direct
        # upload's (.direct), which takes no bytes through the service.
        if row is None or row.project != ctx.project_id or row.kind != rows.TUS:
            raise NotFound("There is no such upload.")
        return row

    def _live(self, ctx: RequestContext, upload_id: str) -> UploadSession:
        """The session, if it exists for the caller and has not expired (else 404 / 410)."""
        with self._db.read() as session:
            row = self._load(session, ctx, upload_id, for_update=False)
            current = session_view(row)
        if current.expires_at <= self._clock():
            self._expire(upload_id)
            raise Gone("The upload expired; its data was removed.")
        return current

    def _expire(self, upload_id: str) -> None:
        with self._db.write() as session:
            row = rows.get(session, upload_id, for_update=True)
            if row is None:
                return
            if (aware(row.expires_at) or row.expires_at) > self._clock():
                return  # renewed meanwhile
            location = sessions.end(session, row)
        self._pipelines.drop(upload_id)
        if location is not None:
            self._remover.remove([location], "resumable upload expired")

    def _finish(
        self, ctx: RequestContext, current: UploadSession, pipeline: Pipeline | None
    ) -> Mapping[str, Any]:
        """Promote the stored bytes as an ordinary upload of them would be.

        With the pipeline that saw every byte, its digests and checks are the upload's;
        without it the stored bytes are read back through new ones.
        """
        store = self._stores[current.store]
        assert isinstance(store, ResumableStore)
        handles: list[ReadHandle] = []
        try:
            writer = store.resume_writer(current.location, current.length)
            if pipeline is None:
                handles.append(writer.read_back())
        except StoreError as exc:
            raise ServiceUnavailable("The blob store failed; try again later.") from exc

        def read_back() -> Readable:
            """For a pipeline the finish cannot use (a transform now rewrites the upload)."""
            handles.append(writer.read_back())
            return _HandleReader(handles[-1])

        try:
            return self._uploader.finish_stored(
                ctx,
                current.ref,
                upload_id=current.upload_id,
                store_name=current.store,
                location=current.location,
                writer=writer,
                data=_HandleReader(handles[0]) if handles else read_back,
                fed=(pipeline.result(), pipeline.checks) if pipeline is not None else None,
                size=current.length,
                content_type=current.content_type,
                on_failure=lambda: self._forget(current.upload_id),
            )
        finally:
            for handle in handles:
                handle.close()
            with contextlib.suppress(ValueError, StoreError):
                writer.suspend()  # refused before it began: the data stays for a retry

    def _forget(self, upload_id: str) -> None:
        """Drop a session whose finishing failed (its data is removed by the upload's undo)."""
        with self._db.write() as session:
            row = rows.get(session, upload_id, for_update=True)
            if row is not None:
                sessions.end(session, row)

    def _end(self, upload_id: str, reason: str) -> None:
        """End a session and remove its data: a check refused bytes it had received."""
        with self._db.write() as session:
            row = rows.get(session, upload_id, for_update=True)
            location = sessions.end(session, row) if row is not None else None
        if location is not None:
            self._remover.remove([location], reason)


class _HandleReader:
    """A store handle's chunks as the stream an upload reads."""

    def __init__(self, handle: ReadHandle) -> None:
        self._chunks = handle.chunks

    def read(self, size: int = -1, /) -> bytes:
        return next(self._chunks, b"")
