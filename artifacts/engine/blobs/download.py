"""Opening a blob for sending: what it is first, its bytes (or part of them) when asked.

The HTTP layer decides from :class:`Download.info` what the request gets (a range, a 304, only
headers) before any store is touched, then calls :meth:`Download.open` for the bytes (or
:meth:`Download.notify` before redirecting to an external blob). The type's download hooks run
there, once: an answer that sends no data (HEAD, 304, 412) is not a download.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import blobs as blob_rows
from artifacts.db.models import ArtifactRow, BlobRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner, caller_of
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.engine.verification import verified
from artifacts.errors import Conflict, NotFound, ServiceUnavailable
from artifacts.model.base import BaseArtifact
from artifacts.model.hooks import BlobEvent, HookContext
from artifacts.store.base import BlobStore, ByteRange, ReadHandle, StoreError

from .access import BlobAccess
from .common import BlobInfo, BlobRef, direct_transfers, label, wire_values


@dataclass
class Download:
    """What to send: a redirect to an external blob, or stored data opened on demand."""

    info: BlobInfo
    redirect: str | None = None
    _opener: Callable[[ByteRange | None], ReadHandle] | None = field(default=None, repr=False)
    #: Names the blob in the log line of a verified download that found corrupt data.
    label: str = ""
    _hooks: Callable[[], None] | None = field(default=None, repr=False)
    #: Signs a short-lived URL of the stored data, when its store hands downloads to clients.
    _presign: Callable[[str], str] | None = field(default=None, repr=False)

    @property
    def presignable(self) -> bool:
        """Whether :meth:`presigned` can send the client to the store for these bytes."""
        return self._presign is not None

    def presigned(self, content_type: str) -> str:
        """Run the download hooks, then sign a URL the client fetches the data from; the
        store answers it with ``content_type``."""
        if self._presign is None:
            raise ValueError("this blob's store hands out no download URLs")
        self.notify()
        try:
            return self._presign(content_type)
        except StoreError as exc:
            raise ServiceUnavailable(f"The blob store failed: {exc}") from exc

    @property
    def verifiable(self) -> bool:
        """Whether :meth:`open` can verify the whole blob (its SHA-256 was recorded)."""
        return self._opener is not None and bool(self.info.sha256)

    def notify(self) -> None:
        """Run the type's download hooks (a refusal raises); only the first call runs them."""
        hooks, self._hooks = self._hooks, None
        if hooks is not None:
            hooks()

    def open(self, byte_range: ByteRange | None = None, *, verify: bool = False) -> ReadHandle:
        """Run the download hooks, then open the stored data (all of it, or ``byte_range``).

        With ``verify`` a whole, :attr:`verifiable` blob streams through a check against its
        recorded SHA-256 (:mod:`artifacts.engine.verification`); a range is sent unchecked.
        """
        if self._opener is None:
            raise ValueError("an external blob has no data to open; follow its redirect")
        self.notify()
        handle = self._opener(byte_range)
        if verify and byte_range is None and self.info.sha256:
            return verified(handle, self.info.sha256, self.label)
        return handle


class Downloads:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        access: BlobAccess,
        stores: Mapping[str, BlobStore],
        *,
        hooks: HookRunner,
        render: Callable[[Session, ArtifactType, ArtifactRow], dict[str, Any]],
    ) -> None:
        self._db = db
        self._types = types
        self._access = access
        self._stores = stores
        self._hooks = hooks
        self._render = render

    def download(self, ctx: RequestContext, ref: BlobRef) -> Download:
        """Look the blob up for the caller: its description, and its data on demand."""
        artifact_type = self._types.get(ref.type_name)
        with self._db.read() as session:
            row = self._access.readable(session, ctx, artifact_type, ref)
            blob = blob_rows.get(session, ref.artifact_id, ref.field, ref.key)
            if blob is None or (blob.location is None and blob.external_url is None):
                if blob is not None and blob.status in blob_rows.IN_FLIGHT:
                    raise Conflict(f"Blob {label(ref.field, ref.key)} is still being uploaded.")
                raise NotFound(f"Blob {label(ref.field, ref.key)} is not set.")
            info = BlobInfo(blob.size, blob.md5, blob.sha1, blob.sha256, blob.content_type)
            store_name, location, external = blob.store, blob.location, blob.external_url
            hooks = None
            if self._hooks.wants(artifact_type, "before_download", "after_download"):
                hooked = self._download_hook(session, ctx, artifact_type, row, blob)

                def hooks() -> None:
                    self._hooks.before(artifact_type, "before_download", *hooked)
                    self._hooks.after(artifact_type, "after_download", *hooked)

        if external is not None:
            return Download(info=info, redirect=external, _hooks=hooks)
        assert store_name is not None
        assert location is not None
        store = self._stores[store_name]

        def opener(byte_range: ByteRange | None) -> ReadHandle:
            try:
                return store.open_reader(location, byte_range)
            except StoreError as exc:
                raise ServiceUnavailable(f"The blob store failed: {exc}") from exc

        direct = direct_transfers(store)
        presign = None
        if direct is not None and direct.settings.downloads:

            def presign(content_type: str) -> str:
                return direct.download_url(location, content_type)

        where = f"{ref.type_name}/{ref.artifact_id}/{label(ref.field, ref.key)}"
        return Download(info=info, _opener=opener, label=where, _hooks=hooks, _presign=presign)

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
        obj = artifact_type.cls.from_values(wire_values(artifact_type, document))
        return obj, hook, event
