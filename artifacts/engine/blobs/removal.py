"""Deleting data no record references any more; what cannot be deleted becomes an orphan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from artifacts.db import blobs as blob_rows
from artifacts.db.session import Database
from artifacts.store.base import BlobStore, StoreError


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
            try:
                self._delete(store_name, location)
            except StoreError as exc:
                failed.append((store_name, location, f"{reason}: {exc}"))
        if failed:
            with self._db.write() as session:
                for store_name, location, why in failed:
                    blob_rows.add_orphan(
                        session, store_name, location, why, self._clock(), attempts=1
                    )

    def scrub(self) -> tuple[int, int]:
        """Retry every recorded orphan; return (removed, still failing)."""
        with self._db.read() as session:
            orphans = blob_rows.orphans(session)
        removed = failing = 0
        for orphan_id, store_name, location in orphans:
            try:
                self._delete(store_name, location)
            except StoreError:
                failing += 1
                with self._db.write() as session:
                    blob_rows.orphan_attempted(session, orphan_id)
                continue
            removed += 1
            with self._db.write() as session:
                blob_rows.forget_orphan(session, orphan_id)
        return removed, failing

    def _delete(self, store_name: str, location: str) -> None:
        store = self._stores.get(store_name)
        if store is None:
            raise StoreError(f"store {store_name!r} is not configured")
        store.delete(location)
