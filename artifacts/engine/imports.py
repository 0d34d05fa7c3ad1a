"""Interoperable import: put data into an artifact's blob from the staging area or from a URL.

Glance's two-step import, over any type's blob field:

* ``glance-direct``: the caller stages the data (:meth:`ImportService.stage` streams it into
  the staging store and records it in ``staged_data``), then asks for the import;
* ``web-download``: the caller names a URL, fetched under the :mod:`.fetch` policy;
* ``copy-image``: an active image's data is copied into further stores (:mod:`.copies`).

Asking for an import (:meth:`ImportService.start`) checks what can be checked at once (the
method is offered, the artifact may be written, data is staged, the URL is allowed) and queues
a task (:mod:`.tasks`); ``artifacts worker`` runs it (:meth:`ImportService.run`). Running it is
the ordinary blob upload, fed from the staged object or the URL, followed by the ordinary
activation, both as the caller who asked: every rule (policy, limits, validators, digests,
hooks) applies exactly as to an upload through the API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from artifacts.db.models import StagedDataRow
from artifacts.db.session import Database
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.blobs import (
    BlobRef,
    BlobService,
    DataRemover,
    Readable,
    StoreChoice,
    UploadInProgress,
)
from artifacts.engine.context import RequestContext
from artifacts.engine.copies import StoreCopies
from artifacts.engine.fetch import Fetcher, SourceRefused
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.tasks import Claim, TaskQueue
from artifacts.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, TooLarge
from artifacts.model import fields as f
from artifacts.model import lifecycle
from artifacts.store.base import BlobStore, StoreError

TASK_TYPE = "api_image_import"
GLANCE_DIRECT = "glance-direct"
WEB_DOWNLOAD = "web-download"
COPY_IMAGE = "copy-image"
DATA_MEDIA_TYPE = "application/octet-stream"
#: Store keys of staged data start with this (``artifacts gc`` lists it).
STAGING_PREFIX = "staging/"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ImportState:
    """Where an artifact's import stands, for the doors that show it (Glance's statuses)."""

    #: The size of the data staged for the import, if any is.
    staged_size: int | None
    #: The import task that is pending or running, if one is.
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
        store_choice: StoreChoice,
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
        self._choice = store_choice
        self._staging = staging_store
        self._remover = remover
        self._fetcher = fetcher
        self.methods = methods
        self._clock = clock
        self._copies = StoreCopies(db, stores, remover, clock)
        #: Whether data may be in more than one store (then the doors show which).
        self.multiple_stores = len(stores) > 1
        #: The configured stores, the default one first (what Glance lists as its store ids).
        self.store_names = sorted(stores, key=lambda n: (n != store_choice.default, n))

    # --- staging --------------------------------------------------------------------------------

    def stage(
        self, ctx: RequestContext, ref: BlobRef, stream: Readable, *, content_length: int | None
    ) -> None:
        """Stream data into the staging store for a later ``glance-direct`` import."""
        if GLANCE_DIRECT not in self.methods:
            raise NotFound("'glance-direct' method is not available at this site.")
        limit = self._check_stageable(ctx, ref)
        if content_length is not None and content_length > limit:
            raise TooLarge(f"The incoming image is too large: more than {limit} bytes.")
        store = self._stores[self._staging]
        location = f"{STAGING_PREFIX}{ref.artifact_id}/{ref.field}/{uuid.uuid4()}"
        writer = store.open_writer(location)
        size = 0
        try:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"The incoming image is too large: more than {limit} bytes.")
                writer.write(chunk)
            stored = writer.commit()
        except StoreError as exc:
            writer.cancel()
            raise ServiceUnavailable("The staging store failed; try again later.") from exc
        except BaseException:
            writer.cancel()
            raise
        try:
            with self._db.write() as session:
                self._check_stageable(ctx, ref, session=session)
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

    def states(self, artifact_ids: list[str]) -> dict[str, ImportState]:
        """The import state of each of these artifacts that has staged data or a running task."""
        if not artifact_ids:
            return {}
        with self._db.read() as session:
            rows = session.execute(
                select(StagedDataRow.artifact_id, StagedDataRow.size).where(
                    StagedDataRow.artifact_id.in_(artifact_ids)
                )
            )
            staged = {row.artifact_id: row.size for row in rows}
        running = self._tasks.active_for(artifact_ids)
        return {
            artifact_id: ImportState(
                staged_size=staged.get(artifact_id), task=running.get(artifact_id)
            )
            for artifact_id in set(staged) | set(running)
        }

    # --- asking for an import -------------------------------------------------------------------

    def start(
        self,
        ctx: RequestContext,
        ref: BlobRef,
        method: Mapping[str, Any],
        *,
        stores: list[str] | None = None,
        all_stores: bool = False,
        all_stores_must_succeed: bool = True,
    ) -> dict[str, Any] | None:
        """Queue the import ``method`` (``{"name": …, "uri": …}``) and return its task.

        The checks and their order are Glance's, so a client sees the answer it expects; a
        ``copy-image`` into no store the data is not already in queues nothing (None).
        """
        name = method.get("name")
        if not isinstance(name, str) or name not in self.methods:
            raise InvalidInput(f"Unknown import method name '{name}'.")
        artifact = self._artifacts.show(ctx, ref.type_name, ref.artifact_id)
        state = self.states([ref.artifact_id]).get(ref.artifact_id)
        status = _glance_status(artifact, state, ref.field)
        if status == "active" and name != COPY_IMAGE:
            raise Conflict("Image with status active cannot be target for import")
        if status != "active" and name == COPY_IMAGE:
            raise Conflict("Only images with status active can be targeted for copying")
        if name == WEB_DOWNLOAD and status != "queued":
            raise Conflict(f"Image needs to be in 'queued' state to use '{name}' method")
        if name == GLANCE_DIRECT and status != "uploading":
            raise Conflict("Image needs to be staged before 'glance-direct' method can be used")
        declared = self._types.get(ref.type_name).fields
        for field_name in sorted(n for n, fld in declared.items() if fld.required_on_activate):
            if artifact.get(field_name) in (None, ""):
                raise Conflict(f"'{field_name}' needs to be set before import")
        rule = "artifact:copy" if name == COPY_IMAGE else "artifact:upload"
        self._policy.enforce(ctx, rule, Target(owner=artifact.get("owner")))
        if state is not None and state.task is not None:
            raise _InProgress(ref.artifact_id)
        targets = self._targets(ref, name, stores, all_stores)
        if not targets:
            return None
        if name == WEB_DOWNLOAD:
            uri = method.get("uri")
            try:
                if not isinstance(uri, str):
                    raise SourceRefused("no URI")
                self._fetcher.check(uri)
            except SourceRefused:
                raise SourceRefused(
                    f"URI for web-download does not pass filtering: {uri}"
                ) from None
        task_input = {
            "image_id": ref.artifact_id,
            "import_req": {
                "method": dict(method),
                **({"stores": stores} if stores is not None else {}),
                "all_stores": all_stores,
                "all_stores_must_succeed": all_stores_must_succeed,
            },
            "backend": targets,
            "field": ref.field,
        }
        return self._tasks.enqueue(
            ctx,
            TASK_TYPE,
            task_input,
            type_name=ref.type_name,
            artifact_id=ref.artifact_id,
            exclusive=True,
        )

    def _targets(
        self, ref: BlobRef, method: str, stores: list[str] | None, all_stores: bool
    ) -> list[str]:
        """The stores an import writes to: named ones, every one, or where data goes by default."""
        for store in stores or ():
            if store not in self._stores:
                raise Conflict(f"Store for identifier {store} not found")
        default = self._choice.for_field(ref.type_name, ref.field)
        if all_stores:
            chosen = sorted(self._stores, key=lambda n: (n != default, n))
        elif stores:
            chosen = list(dict.fromkeys(stores))
        else:
            chosen = [default]
        if method != COPY_IMAGE:
            return chosen
        held = self.stores_of([ref.artifact_id]).get(ref.artifact_id, [])
        if all_stores:
            return [store for store in chosen if store not in held]
        for store in chosen:
            if store in held:
                raise InvalidInput(f"Image is already present at store '{store}'")
        return chosen

    def stores_of(self, artifact_ids: list[str]) -> dict[str, list[str]]:
        """The stores holding each artifact's imported blob: where it was written, then copies."""
        return self._copies.stores_of(artifact_ids)

    # --- running it (the worker) ----------------------------------------------------------------

    def run(self, claim: Claim, progress: Callable[[int], None]) -> dict[str, Any]:
        """Carry out a claimed import task; return the task's result document."""
        assert claim.type_name is not None
        assert claim.artifact_id is not None
        ref = BlobRef(claim.type_name, claim.artifact_id, str(claim.input.get("field", "")))
        request = claim.input["import_req"]
        method = request["method"]
        targets = list(claim.input.get("backend") or [])
        ctx = claim.ctx
        if method["name"] == COPY_IMAGE:
            return self._copies.copy(
                ref, targets, bool(request.get("all_stores_must_succeed", True)), progress
            )
        first, further = targets[0], targets[1:]
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
                source = _Counting(_Chunks(handle.chunks), progress)
                self._upload(ctx, ref, source, where[2], first)
            finally:
                handle.close()
            with self._db.write() as session:
                row = session.get(StagedDataRow, (ref.artifact_id, ref.field))
                if row is not None and row.location == where[1]:
                    session.delete(row)
            self._remover.remove([(where[0], where[1])], "staged data imported")
        else:
            fetched = self._fetcher.open(str(method["uri"]))
            try:
                self._upload(ctx, ref, _Counting(fetched, progress), fetched.length, first)
            finally:
                fetched.close()
        result: dict[str, Any] = {"image_id": ref.artifact_id}
        if further:
            copied = self._copies.copy(
                ref, further, bool(request.get("all_stores_must_succeed", True)), progress
            )
            result["stores"] = [first, *copied["stores"]]
            if copied.get("failed_stores"):
                result["failed_stores"] = copied["failed_stores"]
        activate = [{"op": "replace", "path": "/status", "value": "active"}]
        self._artifacts.update(ctx, ref.type_name, ref.artifact_id, activate)
        return result

    def _upload(
        self, ctx: RequestContext, ref: BlobRef, stream: Readable, length: int | None, store: str
    ) -> None:
        """Upload as the caller; a blob still held by an earlier attempt is worth a retry.

        While an import task is unfinished no other upload to the blob is accepted, so an
        upload in progress is this task's own earlier attempt, by a worker that died or lost
        the task's lease while its upload's lease has not lapsed yet.
        """
        try:
            self._blobs.upload(
                ctx, ref, stream, content_length=length, content_type=DATA_MEDIA_TYPE, into=store
            )
        except UploadInProgress as exc:
            raise ServiceUnavailable(
                f"{exc.message} An earlier attempt of this import holds it until its upload "
                "lease lapses."
            ) from exc

    def check_direct_upload(self, artifact: Mapping[str, Any], field: str) -> None:
        """Refuse a direct upload while data is staged or an import runs (Glance: 409)."""
        if artifact["status"] != lifecycle.DRAFTED:
            return
        state = self.states([artifact["id"]]).get(artifact["id"])
        status = _glance_status(artifact, state, field)
        if status in ("uploading", "importing"):
            raise Conflict(f"Image status transition from {status} to saving is not allowed")

    # --- rules ----------------------------------------------------------------------------------

    def _check_stageable(self, ctx: RequestContext, ref: BlobRef, session: Any = None) -> int:
        """Check the caller may stage data for this blob now; return the field's byte limit.

        Only a ``queued`` image (drafted, no data, nothing staged, no import running) may be
        staged, as in Glance; the check runs again in the transaction that records the staging.
        """
        if session is None:
            with self._db.read() as own:
                return self._check_stageable(ctx, ref, own)
        artifact_type = self._types.writable(ref.type_name)
        field = artifact_type.fields.get(ref.field)
        if not isinstance(field, f.Blob):
            raise InvalidInput(f"{ref.field!r} is not a blob field of {ref.type_name}.")
        artifact = self._artifacts.show(ctx, ref.type_name, ref.artifact_id)
        self._policy.enforce(ctx, "artifact:upload", Target(owner=artifact.get("owner")))
        staged = session.get(StagedDataRow, (ref.artifact_id, ref.field))
        running = self._tasks.active_for([ref.artifact_id]).get(ref.artifact_id)
        state = (
            ImportState(staged.size if staged is not None else None, running)
            if staged is not None or running is not None
            else None
        )
        status = _glance_status(artifact, state, ref.field)
        if status != "queued":
            raise Conflict(f"Image status transition from {status} to uploading is not allowed")
        return field.max_size


class _InProgress(Conflict):
    code = "import_in_progress"

    def __init__(self, artifact_id: str) -> None:
        super().__init__(
            f"New operation on image '{artifact_id}' is not permitted as prior operation is "
            "still in progress"
        )


def _glance_status(artifact: Mapping[str, Any], state: ImportState | None, field: str) -> str:
    """Glance's name for where an artifact stands, which its import rules are written in."""
    status = str(artifact["status"])
    if status != lifecycle.DRAFTED:
        return status
    if state is not None and state.task is not None:
        return "importing"
    blob = artifact.get(field)
    if state is not None and state.staged_size is not None:
        return "uploading"
    return "saving" if isinstance(blob, dict) and blob.get("status") == "saving" else "queued"


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
