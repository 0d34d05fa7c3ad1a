"""Direct uploads: the client sends a blob's parts straight to S3, the service verifies them.

::

    open ──> receiving ──(client PUTs parts to presigned URLs; asks again for what is missing)
                 │                                      │
                 │                                   commit: complete the multipart upload,
                 │                                   read it once through the digests and the
                 │                                   type's checks, compare the declared size
                 │                                   and sha256 ──> complete (the blob active)
                 │                                      └── refused: object removed, nothing
                 └── abort / expire ──> gone: parts removed, reservation released

Opening a session checks what any upload checks first (policy, the artifact's status, the
field, the size limits for the declared size), runs the type's ``before_upload`` hooks (so a
refusal comes before any byte is sent), holds the whole size against the project's quotas and
opens an S3 multipart upload under the upload's own key. The bucket, not the service, then
receives the bytes; nothing the client sends is trusted: the commit lists the parts
(``ListParts``), completes the upload and finishes it exactly as a resumable upload finishes
(:meth:`.upload.Uploader.finish_stored`): one sequential read of the object through the
md5/sha1/sha256 digests and the streaming validators, the post-store checks, the quota
settlement and the content claim, all before the blob becomes active.

Sessions share the ``upload_sessions`` table with tus sessions (``kind = direct``), so they
expire, are swept and are removed with their artifact the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

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
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
)
from artifacts.store.base import BlobStore, StoreError

from . import sessions
from .common import CONTENT_TYPE, BlobRef, StoreChoice, direct_transfers, store_key
from .direct_session import DirectSession, HandleReader, JoinedObject, session_of
from .pending import PendingUploads
from .removal import DataRemover
from .upload import Uploader

if TYPE_CHECKING:
    from artifacts.store.s3_direct import DirectTransfers, UploadedPart

#: Presigned part URLs handed out per answer; a client asks for the next ones with ``first``.
URL_PAGE = 1000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DirectUploads:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        stores: Mapping[str, BlobStore],
        uploader: Uploader,
        *,
        store_choice: StoreChoice,
        remover: DataRemover,
        leases: UploadLeases,
        pending: PendingUploads,
        clock: Callable[[], dt.datetime],
        expiry: dt.timedelta,
    ) -> None:
        self._db = db
        self._types = types
        self._stores = stores
        self._uploader = uploader
        self._choice = store_choice
        self._remover = remover
        self._leases = leases
        self._pending = pending
        self._clock = clock
        self._expiry = expiry

    def open(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        *,
        length: int,
        content_type: str,
        sha256: str | None = None,
    ) -> DirectSession:
        """Open a direct upload of ``length`` bytes to ``ref``; URLs for its first parts."""
        artifact_type = self._types.writable(ref.type_name)
        if not CONTENT_TYPE.match(content_type):
            raise InvalidInput("The content type must be 1 to 255 printable ASCII characters.")
        if length < 1:
            raise InvalidInput(
                "A direct upload needs a size of at least 1 byte; PUT an empty blob."
            )
        if sha256 is not None and not _SHA256.match(sha256):
            raise InvalidInput("sha256 must be 64 lowercase hexadecimal digits.")
        store_name = self._choice.for_field(ref.type_name, ref.field)
        direct = direct_transfers(self._stores[store_name])
        if direct is None or not direct.settings.uploads:
            # A 409, not a 501: the service implements it, this blob's store is not set up for
            # it (another field or type may be), and the client's other ways still work.
            raise Conflict(
                f"Store {store_name!r} takes no direct uploads; use PUT or a resumable upload."
            )
        from artifacts.store.s3_direct import MAX_PARTS

        part_size = max(direct.settings.part_size, -(-length // MAX_PARTS))
        upload_id = str(uuid.uuid4())
        location = store_key(ref.artifact_id, ref.field, ref.key, upload_id)
        now = self._clock()
        with self._db.write() as session:
            # What a PUT asks before its first byte (access, limits, hooks, validators' start),
            # asked now so that a refusal comes before the client sends the parts. The checks it
            # starts are not fed: the bytes go to the object store, and the commit reads them
            # through checks of its own.
            row, _, _ = self._pending.preflight(
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
                location=location,
                length=length,
                offset=0,
                reserved=length,
                content_type=content_type,
                created_at=now,
                expires_at=now + self._expiry,
                kind=rows.DIRECT,
                part_size=part_size,
                sha256=sha256,
            )
            rows.add(session, created)
        try:
            remote_id = direct.start(location)
        except StoreError as exc:
            self._end(upload_id, "direct upload could not start")
            raise ServiceUnavailable("The blob store failed; try again later.") from exc
        with self._db.write() as session:
            stored = rows.get(session, upload_id, for_update=True)
            if stored is None:
                raise Conflict("The upload was cancelled meanwhile.")
            stored.remote_id = remote_id
            opened = session_of(stored)
        return self._with_urls(direct, opened, first=1, uploaded=())

    def status(self, ctx: RequestContext, upload_id: str, *, first: int = 1) -> DirectSession:
        """The parts the bucket holds, and fresh URLs for missing ones from part ``first``."""
        current, remote_id = self._live(ctx, upload_id)
        if current.complete:
            return current
        direct = self._direct(current)
        try:
            listed = direct.parts(current.location, remote_id)
        except StoreError as exc:
            raise ServiceUnavailable("The blob store failed; try again later.") from exc
        if listed is None:
            raise Conflict("The bucket no longer holds this upload's parts; open a new one.")
        return self._with_urls(direct, current, first=first, uploaded=tuple(listed))

    def commit(self, ctx: RequestContext, upload_id: str) -> DirectSession:
        """Join the parts, verify them and make them the blob's data; again: the same answer."""
        current, remote_id = self._live(ctx, upload_id)
        if current.complete:
            return current  # a client that lost the answer asks again
        direct = self._direct(current)
        token = str(uuid.uuid4())
        now = self._clock()
        with self._db.write() as session:
            claimed = rows.claim(
                session, upload_id, token, offset=0, now=now, stale=now - self._leases.ttl
            )
        if not claimed:
            raise Conflict("This upload is being committed by another request; ask again.")
        # The claim is held (its lease renewed) until the blob is active or the data refused,
        # so a second commit meanwhile is a 409, and one after a crash takes over.
        try:
            with self._leases.hold(token):
                self._join(current, direct, remote_id)
                artifact = self._verify(ctx, current, direct)
        finally:
            self._let_go(upload_id, token)  # a no-op once the session completed or ended
        return replace(current, complete=True, artifact=artifact)

    def abort(self, ctx: RequestContext, upload_id: str) -> None:
        """End the session and remove its parts."""
        now = self._clock()
        with self._db.write() as session:
            row = self._load(session, ctx, upload_id)
            if row.patch_token is not None and not self._leases.expired(
                aware(row.patch_renewed_at), now
            ):
                raise Conflict("The upload is being committed; abort it afterwards.")
            location = sessions.end(session, row)
        if location is not None:
            self._remover.remove([location], "direct upload aborted")

    # --- steps -----------------------------------------------------------------------------

    def _join(self, current: DirectSession, direct: DirectTransfers, remote_id: str) -> None:
        """Complete the multipart upload, after checking every part has its exact size.

        A commit interrupted after the join finds no open upload but the joined object, of the
        declared size: it goes on from there.
        """
        location = current.location
        try:
            listed = direct.parts(location, remote_id)
            if listed is None:
                if direct.size_of(location) == current.length:
                    return
                raise Conflict("The bucket no longer holds this upload's parts; open a new one.")
            present = {p.number for p in listed}
            missing = [n for n in range(1, current.part_count + 1) if n not in present]
            if missing:
                shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
                raise Conflict(
                    f"Parts {shown} of {current.part_count} are missing; send them, then commit."
                )
            wrong = [
                f"part {p.number} holds {p.size} bytes, not {current.part_length(p.number)}"
                for p in listed
                if p.number > current.part_count or p.size != current.part_length(p.number)
            ]
            if wrong:
                self._refuse(current, "; ".join(wrong[:5]))
            direct.complete(location, remote_id, listed)
        except StoreError as exc:
            raise ServiceUnavailable("The blob store failed; try again later.") from exc

    def _verify(
        self, ctx: RequestContext, current: DirectSession, direct: DirectTransfers
    ) -> Mapping[str, Any]:
        """Read the joined object once through the upload pipeline; promote it if it holds."""
        try:
            handle = direct.store.open_reader(current.location)
        except StoreError as exc:
            raise ServiceUnavailable("The blob store failed; try again later.") from exc
        try:
            return self._uploader.finish_stored(
                ctx,
                current.ref,
                upload_id=current.upload_id,
                store_name=current.store,
                location=current.location,
                writer=JoinedObject(direct.store, current.location, current.length),
                data=HandleReader(handle),
                size=current.length,
                content_type=current.content_type,
                on_failure=lambda: self._forget(current.upload_id),
                expect_sha256=current.sha256,
            )
        finally:
            handle.close()

    def _refuse(self, current: DirectSession, why: str) -> None:
        """End a session whose parts cannot be the declared blob: remove them, then say why."""
        self._end(current.upload_id, "direct upload refused")
        raise InvalidInput(f"The upload was refused and its parts removed: {why}.")

    def _with_urls(
        self,
        direct: DirectTransfers,
        current: DirectSession,
        *,
        first: int,
        uploaded: tuple[UploadedPart, ...],
    ) -> DirectSession:
        if first < 1:
            raise InvalidInput("first must be a part number, from 1.")
        held = {p.number for p in uploaded if p.size == current.part_length(p.number)}
        missing = [n for n in range(first, current.part_count + 1) if n not in held]
        page, rest = missing[:URL_PAGE], missing[URL_PAGE:]
        now = self._clock()
        try:
            urls = direct.part_urls(current.location, current.remote_id or "", page)
        except StoreError as exc:
            raise ServiceUnavailable("The blob store failed; try again later.") from exc
        return replace(
            current,
            uploaded=uploaded,
            urls=urls,
            urls_expire_at=now + dt.timedelta(seconds=direct.settings.upload_expiry),
            next_part=rest[0] if rest else None,
        )

    def _load(
        self, session: Session, ctx: RequestContext, upload_id: str, *, for_update: bool = True
    ) -> UploadSessionRow:
        row = rows.get(session, upload_id, for_update=for_update and self._db.locks_rows)
        # Another project's session is as absent as one that never existed (so is a tus one).
        if row is None or row.project != ctx.project_id or row.kind != rows.DIRECT:
            raise NotFound("There is no such direct upload.")
        return row

    def _live(self, ctx: RequestContext, upload_id: str) -> tuple[DirectSession, str]:
        """The session and its S3 upload id, if it exists for the caller and has not expired."""
        with self._db.read() as session:
            row = self._load(session, ctx, upload_id, for_update=False)
            current, remote_id = session_of(row), row.remote_id
        if current.complete:
            return current, remote_id or ""
        if current.expires_at <= self._clock():
            self._end(upload_id, "direct upload expired", only_expired=True)
            raise Gone("The direct upload expired; its parts were removed.")
        if remote_id is None:
            raise ServiceUnavailable("The upload is still opening; ask again.")
        return current, remote_id

    def _direct(self, current: DirectSession) -> DirectTransfers:
        store = self._stores.get(current.store)
        direct = direct_transfers(store) if store is not None else None
        if direct is None:
            raise Conflict("The upload's store takes no direct uploads any more; abort it.")
        return direct

    def _end(self, upload_id: str, reason: str, *, only_expired: bool = False) -> None:
        with self._db.write() as session:
            row = rows.get(session, upload_id, for_update=True)
            if row is None:
                return
            if only_expired and (aware(row.expires_at) or row.expires_at) > self._clock():
                return  # renewed meanwhile
            location = sessions.end(session, row)
        if location is not None:
            self._remover.remove([location], reason)

    def _let_go(self, upload_id: str, token: str) -> None:
        with self._db.write() as session:
            rows.release(
                session,
                upload_id,
                token,
                offset=0,
                expires_at=self._clock() + self._expiry,
            )

    def _forget(self, upload_id: str) -> None:
        """Drop a session whose verification failed (its data is removed by the undo)."""
        with self._db.write() as session:
            row = rows.get(session, upload_id, for_update=True)
            if row is not None:
                sessions.end(session, row)
