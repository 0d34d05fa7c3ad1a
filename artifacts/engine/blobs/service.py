"""The blob service: one facade over uploads, downloads, external locations and sweeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.contents import ContentRefs
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner
from artifacts.engine.locations import LocationPolicy
from artifacts.engine.policy import Policy
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.uploads import UploadLeases
from artifacts.engine.validation import UploadValidators
from artifacts.model import fields as f
from artifacts.store.base import BlobStore

from .access import BlobAccess
from .common import BlobRef, Readable, StoreChoice
from .direct import DirectUploads
from .direct_session import DirectSession
from .download import Download, Downloads
from .external import ExternalBlobs
from .pending import PendingUploads
from .removal import DataRemover
from .resumable import DEFAULT_EXPIRY, ResumableUploads
from .session_view import UploadSession
from .upload import Uploader


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
        contents: ContentRefs,
        validators: UploadValidators | None = None,
        hooks: HookRunner | None = None,
        resumable_expiry: dt.timedelta = DEFAULT_EXPIRY,
    ) -> None:
        hooks = hooks or HookRunner()
        access = BlobAccess(db, policy)
        #: The most bytes any blob field of any type takes (tus's Tus-Max-Size).
        self.largest_blob = max(
            (
                field.max_size
                for artifact_type in types
                for field in artifact_type.fields.values()
                if isinstance(field, f.Blob | f.BlobDict)
            ),
            default=0,
        )
        self._pending = PendingUploads(
            db,
            access,
            remover=remover,
            contents=contents,
            leases=leases,
            validators=validators or UploadValidators(types),
            hooks=hooks,
            clock=clock,
            render=render,
        )
        self._uploader = Uploader(
            types,
            stores,
            self._pending,
            store_choice=store_choice,
            remover=remover,
            leases=leases,
            hooks=hooks,
        )
        self._resumable = ResumableUploads(
            db,
            types,
            stores,
            self._uploader,
            pending=self._pending,
            store_choice=store_choice,
            remover=remover,
            leases=leases,
            clock=clock,
            expiry=resumable_expiry,
        )
        self._direct = DirectUploads(
            db,
            types,
            stores,
            self._uploader,
            store_choice=store_choice,
            remover=remover,
            leases=leases,
            pending=self._pending,
            clock=clock,
            expiry=resumable_expiry,
        )
        self._downloads = Downloads(db, types, access, stores, hooks=hooks, render=render)
        self._external = ExternalBlobs(
            db,
            types,
            access,
            remover=remover,
            contents=contents,
            locations=locations,
            clock=clock,
            render=render,
        )

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
        return self._uploader.upload(
            ctx, ref, stream, content_length=content_length, content_type=content_type, into=into
        )

    def create_upload(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        *,
        length: int,
        content_type: str,
        metadata: str | None = None,
    ) -> UploadSession:
        """Open a resumable upload of ``length`` bytes to a blob."""
        return self._resumable.create(
            ctx, ref, length=length, content_type=content_type, metadata=metadata
        )

    def upload_status(self, ctx: RequestContext, upload_id: str) -> UploadSession:
        """A resumable upload's offset: where its client goes on."""
        return self._resumable.status(ctx, upload_id)

    def append_upload(
        self,
        ctx: RequestContext,
        upload_id: str,
        *,
        offset: int,
        stream: Readable,
        content_length: int | None,
    ) -> UploadSession:
        """Append to a resumable upload at ``offset``; the last byte finishes it."""
        return self._resumable.append(
            ctx, upload_id, offset=offset, stream=stream, content_length=content_length
        )

    def cancel_upload(self, ctx: RequestContext, upload_id: str) -> None:
        """End a resumable upload and remove what it received."""
        self._resumable.cancel(ctx, upload_id)

    def open_direct(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        *,
        length: int,
        content_type: str,
        sha256: str | None = None,
    ) -> DirectSession:
        """Open a direct-to-S3 upload of ``length`` bytes to a blob: presigned part URLs."""
        return self._direct.open(ctx, ref, length=length, content_type=content_type, sha256=sha256)

    def direct_status(
        self, ctx: RequestContext, upload_id: str, *, first: int = 1
    ) -> DirectSession:
        """A direct upload's parts in the bucket, and fresh URLs for the missing ones."""
        return self._direct.status(ctx, upload_id, first=first)

    def commit_direct(self, ctx: RequestContext, upload_id: str) -> DirectSession:
        """Verify a direct upload's parts and make them the blob's data."""
        return self._direct.commit(ctx, upload_id)

    def abort_direct(self, ctx: RequestContext, upload_id: str) -> None:
        """End a direct upload and remove its parts."""
        self._direct.abort(ctx, upload_id)

    def download(self, ctx: RequestContext, ref: BlobRef) -> Download:
        """Look a blob up for sending; :meth:`Download.open` then streams its bytes."""
        return self._downloads.download(ctx, ref)

    def set_external(self, ctx: RequestContext, ref: BlobRef, location: Any) -> dict[str, Any]:
        """Record a blob that lives at a URL; the server never fetches it."""
        return self._external.set(ctx, ref, location)

    def delete_external(self, ctx: RequestContext, ref: BlobRef) -> dict[str, Any]:
        """Forget an external blob (uploaded data is replaced, never deleted on its own)."""
        return self._external.delete(ctx, ref)

    def sweep_stale_uploads(self) -> int:
        """Abandon uploads whose lease lapsed (their process died) and resumable uploads that
        expired; return how many."""
        return self._pending.sweep_stale() + self._resumable.sweep_expired()
