"""Copies of a blob's data in further stores (Glance's ``copy-image``).

The blob row names the store its data was written to; each ``blob_copies`` row names one more
store holding the same bytes, valid while the blob still points at the data it was copied from.
A copy is written first, under its own key (``copies/<artifact>/<field>/<uuid>``), then
recorded; whatever does not end up recorded is removed here: a copy that turned out stale (the
image was deleted meanwhile), the copies of a task that must succeed everywhere and did not,
and an earlier copy into the same store that a newer one replaces (a worker that lost its
task's lease finishing anyway). What a worker killed between writing and recording leaves is
named by no row, and ``artifacts gc`` collects it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from artifacts.db import blobs as blob_rows
from artifacts.db.models import BlobCopyRow
from artifacts.db.session import Database
from artifacts.engine.blobs import BlobRef, DataRemover
from artifacts.engine.uploads import cancel_quietly
from artifacts.errors import Conflict, ServiceUnavailable
from artifacts.store.base import BlobStore, StoredObject, StoreError

LOG = logging.getLogger(__name__)

#: Store keys of copies start with this (``artifacts gc`` lists it).
COPY_PREFIX = "copies/"


class StoreCopies:
    def __init__(
        self,
        db: Database,
        stores: Mapping[str, BlobStore],
        remover: DataRemover,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._db = db
        self._stores = stores
        self._remover = remover
        self._clock = clock

    def stores_of(self, artifact_ids: list[str]) -> dict[str, list[str]]:
        """The stores holding each artifact's imported blob: where it was written, then copies."""
        if not artifact_ids:
            return {}
        out: dict[str, list[str]] = {}
        with self._db.read() as session:
            blobs = blob_rows.stored_at(session, artifact_ids)
            current = {(a, fld): loc for a, fld, _s, loc in blobs}
            for artifact_id, _field, store, _location in blobs:
                out.setdefault(artifact_id, []).append(store)
            copies = session.execute(
                select(
                    BlobCopyRow.artifact_id,
                    BlobCopyRow.field,
                    BlobCopyRow.store,
                    BlobCopyRow.source_location,
                ).where(BlobCopyRow.artifact_id.in_(artifact_ids), BlobCopyRow.key == "")
            ).all()
            for artifact_id, field_name, store, source in sorted(copies):
                if current.get((artifact_id, field_name)) == source:
                    out.setdefault(artifact_id, []).append(store)
        return out

    def copy(
        self,
        ref: BlobRef,
        targets: list[str],
        all_must_succeed: bool,
        progress: Callable[[int], None],
    ) -> dict[str, Any]:
        """Copy the blob's data into each target store; record each copy as it completes.

        With ``all_must_succeed`` one failure undoes the copies this task made and fails the
        task; otherwise the stores that failed are reported and the rest kept.
        """
        with self._db.read() as session:
            blob = blob_rows.get(session, ref.artifact_id, ref.field, "")
            if blob is None or blob.store is None or blob.location is None:
                raise Conflict("The image has no data to copy.")
            source_store, source_location = blob.store, blob.location
        made: list[tuple[str, str]] = []
        failed: list[str] = []
        done = 0
        for target in targets:
            location = f"{COPY_PREFIX}{ref.artifact_id}/{ref.field}/{uuid.uuid4()}"
            try:
                stored = self._copy_object(source_store, source_location, target, location)
            except StoreError as exc:
                if all_must_succeed:
                    self._forget(ref, made)
                    raise ServiceUnavailable(f"Copying into store {target} failed: {exc}") from exc
                LOG.warning("copy of %s into store %s failed: %s", ref.artifact_id, target, exc)
                failed.append(target)
                continue
            done += stored.size
            progress(done)
            replaced = self._record(ref, target, stored.key, source_location)
            if replaced is not None:
                self._remover.remove([(target, replaced)], "copy replaced by a newer one")
            made.append((target, stored.key))
        result: dict[str, Any] = {"image_id": ref.artifact_id, "stores": [t for t, _ in made]}
        if failed:
            result["failed_stores"] = failed
        return result

    def _record(self, ref: BlobRef, target: str, key: str, source_location: str) -> str | None:
        """Record the copy at ``key``; return the key of an earlier copy it replaces, if any.

        The copy is stale if the image went, or its data changed, while it was being made:
        then it is removed and the task fails. An earlier copy into the same store is one a
        worker made before losing the task to this one; its data is no longer named.
        """
        try:
            with self._db.write() as session:
                current = blob_rows.get(session, ref.artifact_id, ref.field, "")
                if current is None or current.location != source_location:
                    raise Conflict("The image's data changed while it was being copied.")
                earlier = session.get(BlobCopyRow, (ref.artifact_id, ref.field, "", target))
                replaced = None if earlier is None else earlier.location
                session.merge(
                    BlobCopyRow(
                        artifact_id=ref.artifact_id,
                        field=ref.field,
                        key="",
                        store=target,
                        location=key,
                        source_location=source_location,
                        created_at=self._clock(),
                    )
                )
        except BaseException:
            self._remover.remove([(target, key)], "copy-image copy not recorded")
            raise
        return replaced if replaced != key else None

    def _copy_object(self, source: str, location: str, target: str, key: str) -> StoredObject:
        handle = self._stores[source].open_reader(location)
        try:
            writer = self._stores[target].open_writer(key)
            try:
                for chunk in handle.chunks:
                    writer.write(chunk)
                return writer.commit()
            except BaseException:
                cancel_quietly(writer, f"copy into {target}")
                raise
        finally:
            handle.close()

    def _forget(self, ref: BlobRef, made: list[tuple[str, str]]) -> None:
        if not made:
            return
        with self._db.write() as session:
            for store, _location in made:
                row = session.get(BlobCopyRow, (ref.artifact_id, ref.field, "", store))
                if row is not None:
                    session.delete(row)
        self._remover.remove(made, "copy-image undone")
