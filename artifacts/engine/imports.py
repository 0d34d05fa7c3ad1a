"""Interoperable import: put data into an artifact's blob from the staging area or from a URL.

Glance's two-step import, over any type's blob field:

* ``glance-direct``: the caller stages the data (:meth:`ImportService.stage` streams it into
  the staging store and records it in ``staged_data``), then asks for the import;
* ``web-download``: the caller names a URL, fetched under the :mod:`.fetch` policy.

Asking for an import (:meth:`ImportService.start`) checks what can be checked at once (the
method is offered, the artifact may be written, data is staged, the URL is allowed) and queues
a task (:mod:`.tasks`); ``artifacts worker`` runs it (:meth:`ImportService.run`). Running it is
the ordinary blob upload, fed from the staged object or the URL, followed by the ordinary
activation, both as the caller who asked: every rule (policy, limits, validators, digests,
hooks) applies exactly as to an upload through the API.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from artifacts.db import repository as repo
from artifacts.db.models import StagedDataRow
from artifacts.db.session import Database
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.blobs import BlobRef, BlobService, DataRemover, Readable
from artifacts.engine.context import RequestContext
from artifacts.engine.fetch import Fetcher
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.tasks import Claim, TaskQueue
from artifacts.errors import (
    ArtifactNotFound,
    Conflict,
    InvalidInput,
    ServiceUnavailable,
    TooLarge,
)
from artifacts.model import fields as f
from artifacts.model import lifecycle
from artifacts.store.base import BlobStore, StoreError

LOG = logging.getLogger(__name__)

TASK_TYPE = "api_image_import"
GLANCE_DIRECT = "glance-direct"
WEB_DOWNLOAD = "web-download"
DATA_MEDIA_TYPE = "application/octet-stream"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ImportState:
    """Where an artifact's import stands, for the doors that show it (Glance's statuses)."""

    staged: bool
    task: Mapping[str, Any] | None


class ImportService:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        *,
        artifacts: ArtifactService,
        blobs: BlobService,
        tasks: TaskQueue,
        stores: Mapping[str, BlobStore],
        staging_store: str,
        remover: DataRemover,
        fetcher: Fetcher,
        methods: tuple[str, ...],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._db = db
        self._types = types
        self._policy = policy
        self._artifacts = artifacts
        self._blobs = blobs
        self._tasks = tasks
        self._stores = stores
        self._staging = staging_store
        self._remover = remover
        self._fetcher = fetcher
        self.methods = methods
        self._clock = clock

    # --- staging --------------------------------------------------------------------------------

    def stage(
        self, ctx: RequestContext, ref: BlobRef, stream: Readable, *, content_length: int | None
    ) -> None:
        """Stream data into the staging store for a later ``glance-direct`` import."""
        self._offered(GLANCE_DIRECT)
        limit = self._check_writable(ctx, ref, staging=True)
        if content_length is not None and content_length > limit:
            raise TooLarge(f"The data is larger than the {limit} bytes allowed.")
        store = self._stores[self._staging]
        location = f"staging/{ref.artifact_id}/{ref.field}/{uuid.uuid4()}"
        writer = store.open_writer(location)
        size = 0
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"The data is larger than the {limit} bytes allowed.")
                writer.write(chunk)
            stored = writer.commit()
        except StoreError as exc:
            writer.cancel()
            raise ServiceUnavailable("The staging store failed; try again later.") from exc
        except BaseException:
            writer.cancel()
            raise
        replaced: list[tuple[str, str]] = []
        try:
            with self._db.write() as session:
                self._check_writable(ctx, ref, staging=True, session=session)
                previous = session.get(StagedDataRow, (ref.artifact_id, ref.field))
                if previous is not None:
                    replaced.append((previous.store, previous.location))
                    session.delete(previous)
                    session.flush()
                session.add(
                    StagedDataRow(
                        artifact_id=ref.artifact_id,
                        field=ref.field,
                        store=self._staging,
                        location=stored.key,
                        size=stored.size,
                        created_at=self._clock(),
                    )
                )
        except BaseException:
            self._remover.remove([(self._staging, stored.key)], "staging refused")
            raise
        if replaced:
            self._remover.remove(replaced, "staged data replaced")

    def states(self, artifact_ids: list[str]) -> dict[str, ImportState]:
        """The import state of each of these artifacts that has staged data or a running task."""
        if not artifact_ids:
            return {}
        with self._db.read() as session:
            staged = set(
                session.scalars(
                    select(StagedDataRow.artifact_id).where(
                        StagedDataRow.artifact_id.in_(artifact_ids)
                    )
                )
            )
        running = self._tasks.active_for(artifact_ids)
        return {
            artifact_id: ImportState(staged=artifact_id in staged, task=running.get(artifact_id))
            for artifact_id in staged | set(running)
        }

    # --- asking for an import -------------------------------------------------------------------

    def start(
        self, ctx: RequestContext, ref: BlobRef, method: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Queue the import ``method`` (``{"name": …, "uri": …}``) and return its task."""
        name = method.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidInput("The import method needs a name.")
        self._offered(name)
        if name == WEB_DOWNLOAD:
            uri = method.get("uri")
            if not isinstance(uri, str) or not uri:
                raise InvalidInput("URI for web-download does not exist in request.")
            self._fetcher.check(uri)
        elif name != GLANCE_DIRECT:
            raise InvalidInput(f"Import method {name} is not supported by this server.")
        with self._db.read() as session:
            self._check_writable(ctx, ref, staging=name == WEB_DOWNLOAD, session=session)
            staged = session.get(StagedDataRow, (ref.artifact_id, ref.field))
            if name == GLANCE_DIRECT and staged is None:
                raise Conflict(
                    "Image needs to be staged before 'glance-direct' method can be used."
                )
        if self._tasks.active_for([ref.artifact_id]):
            raise Conflict(f"An import of {ref.artifact_id} is already in progress.")
        task_input = {
            "image_id": ref.artifact_id,
            "import_req": {"method": dict(method)},
            "field": ref.field,
        }
        return self._tasks.enqueue(
            ctx, TASK_TYPE, task_input, type_name=ref.type_name, artifact_id=ref.artifact_id
        )

    # --- running it (the worker) ----------------------------------------------------------------

    def run(self, claim: Claim, progress: Callable[[int], None]) -> dict[str, Any]:
        """Carry out a claimed import task; return the task's result document."""
        assert claim.type_name is not None and claim.artifact_id is not None
        ref = BlobRef(claim.type_name, claim.artifact_id, str(claim.input.get("field", "")))
        method = claim.input["import_req"]["method"]
        ctx = claim.ctx
        if method["name"] == GLANCE_DIRECT:
            with self._db.read() as session:
                staged = session.get(StagedDataRow, (ref.artifact_id, ref.field))
                if staged is None:
                    raise Conflict("The staged data is gone.")
                where = (staged.store, staged.location, staged.size)
            try:
                handle = self._stores[where[0]].open_reader(where[1])
            except StoreError as exc:
                raise ServiceUnavailable(f"The staging store failed: {exc}") from exc
            try:
                self._upload(ctx, ref, _Counting(_Chunks(handle.chunks), progress), where[2])
            finally:
                handle.close()
            with self._db.write() as session:
                row = session.get(StagedDataRow, (ref.artifact_id, ref.field))
                if row is not None and row.location == where[1]:
                    session.delete(row)
            self._remover.remove([(where[0], where[1])], "staged data imported")
        else:
            source = self._fetcher.open(str(method["uri"]))
            try:
                self._upload(ctx, ref, _Counting(source, progress), source.length)
            finally:
                source.close()
        self._artifacts.update(
            ctx, ref.type_name, ref.artifact_id, [{"op": "replace", "path": "/status", "value": "active"}]
        )
        return {"image_id": ref.artifact_id}

    def _upload(
        self, ctx: RequestContext, ref: BlobRef, stream: Readable, length: int | None
    ) -> None:
        self._blobs.upload(ctx, ref, stream, content_length=length, content_type=DATA_MEDIA_TYPE)

    # --- rules ----------------------------------------------------------------------------------

    def _offered(self, method: str) -> None:
        if method not in self.methods:
            raise InvalidInput(f"Import method {method} is not enabled on this server.")

    def _check_writable(
        self, ctx: RequestContext, ref: BlobRef, *, staging: bool, session: Any = None
    ) -> int:
        """Check the caller may fill this blob now; return the field's byte limit."""
        if session is None:
            with self._db.read() as own:
                return self._check_writable(ctx, ref, staging=staging, session=own)
        artifact_type = self._types.writable(ref.type_name)
        field = artifact_type.fields.get(ref.field)
        if not isinstance(field, f.Blob):
            raise InvalidInput(f"{ref.field!r} is not a blob field of {ref.type_name}.")
        row = repo.get_visible(
            session,
            ref.artifact_id,
            type_name=ref.type_name,
            project_id=ctx.project_id,
            is_admin=ctx.is_admin,
        )
        if row is None:
            raise ArtifactNotFound(ref.artifact_id)
        self._policy.enforce(ctx, "artifact:upload", Target(owner=row.owner))
        if row.status != lifecycle.DRAFTED:
            raise Conflict(f"Image status transition from {_glance(row.status)} is not allowed.")
        blobs = repo.blobs_of(session, [row.id])[row.id]
        if any(b.field == ref.field and (b.location or b.pending_upload_id) for b in blobs):
            raise Conflict("The image already has data or is receiving it.")
        if staging and session.get(StagedDataRow, (ref.artifact_id, ref.field)) is not None:
            raise Conflict("Data is already staged for this image.")
        return field.max_size


def _glance(status: str) -> str:
    return "queued" if status == lifecycle.DRAFTED else status


class _Chunks:
    """A store reader's chunks as a file-like ``read``."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = iter(chunks)
        self._rest = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._rest) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._rest += chunk
        if size < 0:
            out, self._rest = self._rest, b""
        else:
            out, self._rest = self._rest[:size], self._rest[size:]
        return out


class _Counting:
    """Pass reads through and report the running byte count."""

    def __init__(self, inner: Readable, progress: Callable[[int], None]) -> None:
        self._inner = inner
        self._progress = progress
        self._done = 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._inner.read(size)
        self._done += len(chunk)
        self._progress(self._done)
        return chunk

