"""Garbage collection while the service runs: ``artifacts gc [--dry-run]``.

What it removes, each with its reason:

- **abandoned uploads**: uploads whose lease lapsed (their process died); the blob goes back
  to its previous data and the partial data becomes an orphan;
- **expired uploads**: resumable and direct upload sessions whose time ran out, with the
  parts they received (a direct upload's open multipart upload in the bucket);
- **orphans**: data recorded as no longer referenced (a failed delete, a duplicate upload's
  own copy, an abandoned upload's partial data);
- **unreferenced content**: stored content whose last reference went more than
  ``delete_delay`` ago (deleted artifacts and replaced blobs, kept that long on purpose);
- **unnamed objects**: objects in a store that no row names at all, older than ``grace``:
  under the blob service's keys, and under those of staged data and ``copy-image`` copies
  (a worker that died between writing a copy and recording it leaves one).

Nothing here takes the service down or blocks it. Each removal is safe against uploads running
at the same time: content is forgotten by a conditional ``DELETE`` that loses to an upload
reviving it; an unnamed object must be older than ``grace`` (more than the longest request),
and an upload records its key before writing a byte, so an object of an upload in flight is
always named. ``artifacts scrub`` is the quick, frequent part (abandoned uploads, orphans,
temporary files); ``gc`` adds the two passes that read whole tables and list whole stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from artifacts.db import blobs as blob_rows
from artifacts.db import contents
from artifacts.db import upload_sessions as session_rows
from artifacts.db.rows import aware
from artifacts.db.session import Database
from artifacts.engine.blobs import BlobService, DataRemover
from artifacts.engine.copies import COPY_PREFIX
from artifacts.engine.imports import STAGING_PREFIX
from artifacts.store.base import BlobStore, StoreError

#: Store keys the blob service writes start with this (see artifacts.engine.blobs.common).
BLOB_PREFIX = "blobs/"
#: Every prefix the service writes under; gc lists these and leaves other keys alone.
PREFIXES = (BLOB_PREFIX, STAGING_PREFIX, COPY_PREFIX)
#: Unreferenced content handled per transaction.
BATCH = 1000
#: Store deletes in flight at once.
DELETERS = 8


@dataclass(frozen=True)
class Garbage:
    """One thing gc removes (or, in a dry run, would remove), and why."""

    kind: str
    store: str
    location: str
    size: int | None
    reason: str


@dataclass
class Report:
    found: list[Garbage] = field(default_factory=list)
    removed: int = 0
    failed: int = 0


class GarbageCollector:
    def __init__(
        self,
        db: Database,
        stores: Mapping[str, BlobStore],
        blobs: BlobService,
        remover: DataRemover,
        *,
        lease: dt.timedelta,
        delete_delay: dt.timedelta,
        grace: dt.timedelta,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._db = db
        self._stores = stores
        self._blobs = blobs
        self._remover = remover
        self._lease = lease
        self._delay = delete_delay
        self._grace = grace
        self._clock = clock

    def run(self, *, dry_run: bool = False) -> Report:
        """Find (and unless ``dry_run``, remove) every kind of garbage, in a safe order."""
        report = Report()
        report.found.extend(self._abandoned())
        report.found.extend(self._expired())
        if not dry_run:
            self._blobs.sweep_stale_uploads()  # their partial data joins the orphans
        report.found.extend(self._orphans())
        if not dry_run:
            removed, failing = self._remover.scrub()
            report.removed += removed
            report.failed += failing
        unreferenced = list(self._unreferenced())
        report.found.extend(unreferenced)
        if not dry_run:
            self._forget(unreferenced, report)
        unnamed = list(self._unnamed())
        report.found.extend(unnamed)
        if not dry_run:
            self._delete_all(unnamed, report)
        return report

    def _abandoned(self) -> Iterator[Garbage]:
        now = self._clock()
        with self._db.read() as session:
            stale = blob_rows.stale_pending(session, now - self._lease)
            for artifact_id, field_name, key, upload_id in stale:
                blob = blob_rows.get(session, artifact_id, field_name, key)
                if blob is None or upload_id is None:
                    continue
                name = f"{field_name}/{key}" if key else field_name
                yield Garbage(
                    "abandoned-upload",
                    blob.pending_store or "",
                    blob.pending_location or "",
                    None,
                    f"upload {upload_id} to {artifact_id} {name}: lease lapsed",
                )

    def _expired(self) -> Iterator[Garbage]:
        with self._db.read() as session:
            expired = session_rows.expired_receiving(session, self._clock())
            for row in expired:
                what = "direct upload" if row.kind == session_rows.DIRECT else "resumable upload"
                until = (aware(row.expires_at) or row.expires_at).isoformat()
                yield Garbage(
                    "expired-upload",
                    row.store,
                    row.location,
                    row.length,
                    f"{what} {row.id} expired at {until}",
                )

    def _orphans(self) -> Iterator[Garbage]:
        with self._db.read() as session:
            for _, store, location, reason in blob_rows.orphans_with_reasons(session):
                yield Garbage("orphan", store, location, None, reason)

    def _unreferenced(self) -> Iterator[Garbage]:
        before = self._clock() - self._delay
        with self._db.read() as session:
            found = contents.unreferenced(session, before)
        for item in found:
            yield Garbage(
                "unreferenced-content",
                item.store,
                item.location,
                item.size,
                f"unreferenced since {item.unreferenced_at.isoformat()}",
            )

    def _forget(self, garbage: list[Garbage], report: Report) -> None:
        """Forget content rows in batches (one conditional DELETE each), then delete data."""
        before = self._clock() - self._delay
        for start in range(0, len(garbage), BATCH):
            batch = garbage[start : start + BATCH]
            by_store: dict[str, list[Garbage]] = {}
            for item in batch:
                by_store.setdefault(item.store, []).append(item)
            gone: list[Garbage] = []
            with self._db.write() as session:
                for store, items in by_store.items():
                    forgotten = set(
                        contents.forget_expired(session, store, [g.location for g in items], before)
                    )
                    gone.extend(g for g in items if g.location in forgotten)
            self._delete_all(gone, report)

    def _unnamed(self) -> Iterator[Garbage]:
        cutoff = (self._clock() - self._grace).timestamp()
        for name, store in sorted(self._stores.items()):
            try:
                listed = [
                    o
                    for prefix in PREFIXES
                    for o in store.list_objects(prefix)
                    if o.modified < cutoff
                ]
            except StoreError:
                continue  # reported by the readiness probe; the next run lists it again
            if not listed:
                continue
            with self._db.read() as session:
                named = contents.names_in_store(session, name)
            for item in listed:
                if item.key not in named:
                    yield Garbage(
                        "unnamed-object",
                        name,
                        item.key,
                        item.size,
                        "no row names it",
                    )

    def _delete_all(self, garbage: list[Garbage], report: Report) -> None:
        """Delete the data, several at a time (each delete waits on a disk or a round trip)."""
        with ThreadPoolExecutor(max_workers=DELETERS) as pool:
            done = list(pool.map(self._delete, garbage))
        report.removed += done.count(True)
        report.failed += done.count(False)

    def _delete(self, garbage: Garbage) -> bool:
        """Remove the data; what the store refuses to delete is recorded as an orphan."""
        store = self._stores.get(garbage.store)
        try:
            if store is None:
                raise StoreError(f"store {garbage.store!r} is not configured")
            store.delete(garbage.location)
        except StoreError:
            self._remover.remove([(garbage.store, garbage.location)], garbage.reason)
            return False
        return True
