"""Upload leases: an upload in flight holds its blob only while its process says it is alive.

A pending upload records when its lease was last renewed (``blobs.pending_started_at``: set
when the upload starts, moved forward by the uploading process every ``ttl / 3``). A lease
older than ``ttl`` belongs to a process that died (killed, out of memory, its host gone): the
next upload to that blob takes it over at once, and ``artifacts scrub`` abandons it, so a
crash blocks a blob for seconds, not for the longest upload anyone might make.

One thread per process renews every lease the process holds with one ``UPDATE``; it starts
with an upload (never at import, never before a fork) and ends when no upload is left.
Renewal failures (the database is down) are not the upload's concern: if the outage outlasts
the lease, the upload's final transaction finds it taken over and answers 409, and no data is
lost or half-promoted.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from artifacts.db import blobs as blob_rows
from artifacts.db import upload_sessions
from artifacts.db.session import Database
from artifacts.errors import ArtifactError
from artifacts.store.base import BlobWriter, StoreError

LOG = logging.getLogger(__name__)

#: The default lease: long enough to ride out a few missed renewals (a stalled database, a
#: paused VM), short enough that a crashed upload's retry waits seconds.
DEFAULT_LEASE = dt.timedelta(seconds=30)


class UploadLeases:
    """Keep this process's pending uploads alive in the database while they stream."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], dt.datetime],
        *,
        ttl: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        if ttl <= dt.timedelta(0):
            raise ValueError("an upload lease must last a positive time")
        self._db = db
        self._clock = clock
        self.ttl = ttl
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._owner_pid = 0

    def expired(self, renewed_at: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether a lease last renewed at ``renewed_at`` has lapsed (its uploader is gone)."""
        return renewed_at is None or now - renewed_at >= self.ttl

    @contextmanager
    def hold(self, upload_id: str) -> Iterator[None]:
        """Renew ``upload_id``'s lease until the block ends, however it ends."""
        with self._lock:
            self._held.add(upload_id)
            self._start_renewing()
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(upload_id)

    def renew(self) -> int:
        """Renew every lease held now; return how many rows were touched."""
        with self._lock:
            held = sorted(self._held)
        if not held:
            return 0
        now = self._clock()
        with self._db.write() as session:
            # Resumable appends hold their sessions by a token of their own, renewed alike.
            renewed = blob_rows.renew_leases(session, held, now)
            return renewed + upload_sessions.renew(session, held, now)

    def _start_renewing(self) -> None:
        """Start the renewal thread of this process if it is not running (caller holds the lock).

        The pid check covers a fork after the first upload: threads do not survive a fork.
        """
        if self._thread is not None and self._thread.is_alive() and self._owner_pid == os.getpid():
            return
        self._owner_pid = os.getpid()
        self._thread = threading.Thread(
            target=self._renew_forever, name="upload-lease-renewal", daemon=True
        )
        self._thread.start()

    def _renew_forever(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while not self._wake.wait(interval):
            with self._lock:
                if not self._held:
                    self._thread = None  # idle: the next upload starts a new one
                    return
            try:
                self.renew()
            except (ArtifactError, SQLAlchemyError) as exc:
                # The database's own outage log has said it once; one line here per failure
                # of the renewal is enough to explain a 409 later.
                LOG.warning("could not renew upload leases: %s", type(exc).__name__)

    def close(self) -> None:
        """Stop renewing (leases held now lapse after ``ttl``)."""
        self._wake.set()


def cancel_quietly(writer: BlobWriter, what: str) -> bool:
    """Cancel a store write on an error path; return whether it worked.

    Called while another error is on its way to the client: a failing cancel (the store is
    the thing that broke) must not replace that error, and must not stop the upload record
    from being restored. What it leaves behind is under the upload's key, which the caller
    records as an orphan for ``artifacts scrub``.
    """
    try:
        writer.cancel()
    except StoreError as exc:
        LOG.warning("could not discard the partial data of %s: %s", what, exc)
        return False
    return True
