"""Upload leases: renewed by a thread of the uploading process while it streams, then not."""

from __future__ import annotations

import datetime as dt
import time

from artifacts.db.models import ArtifactRow, BlobRow
from artifacts.db.session import Database
from artifacts.engine.uploads import UploadLeases

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UPLOAD = "22222222-2222-2222-2222-222222222222"


def _pending_blob(database: Database) -> None:
    with database.write() as session:
        session.add(
            ArtifactRow(
                id="a" * 36, type_name="widgets", name="w", version="0.0.0", version_key="k",
                owner="p1", visibility="private", status="drafted", tags=[], metadata_={},
                properties={}, created_at=START, updated_at=START,
            )
        )  # fmt: skip
        session.add(
            BlobRow(
                artifact_id="a" * 36, field="manual", key="", status="saving",
                pending_upload_id=UPLOAD, pending_store="default", pending_location="blobs/x",
                pending_started_at=START, created_at=START, updated_at=START,
            )
        )  # fmt: skip


def _renewed_at(database: Database) -> dt.datetime | None:
    with database.read() as session:
        blob = session.get(BlobRow, ("a" * 36, "manual", ""))
        assert blob is not None
        value = blob.pending_started_at
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_a_held_lease_is_renewed_in_the_background_and_a_released_one_is_not(
    database: Database,
) -> None:
    _pending_blob(database)
    now = [START]
    leases = UploadLeases(database, lambda: now[0], ttl=dt.timedelta(seconds=0.3))
    try:
        with leases.hold(UPLOAD):
            now[0] = START + dt.timedelta(hours=1)
            deadline = time.monotonic() + 10
            while _renewed_at(database) != now[0]:
                assert time.monotonic() < deadline, "the lease was never renewed"
                time.sleep(0.05)
        now[0] = START + dt.timedelta(hours=2)
        time.sleep(0.5)
        assert _renewed_at(database) == START + dt.timedelta(hours=1)
        assert leases.expired(START + dt.timedelta(hours=1), now[0])
    finally:
        leases.close()
