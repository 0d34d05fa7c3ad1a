"""One append to a resumable upload: request body -> store's partial object (+ live pipeline).

The bytes go to the store as they arrive; with the session's live pipeline (:mod:`.live`)
they also go through its digests and checks, after the store took them. The offset reached is
recorded however the request ends (a dropped connection keeps what arrived), with a durable
checkpoint every :data:`CHECKPOINT_BYTES` so that a killed process loses at most that much.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from artifacts.db import upload_sessions as rows
from artifacts.db.session import Database
from artifacts.engine.digests import Digester
from artifacts.errors import Conflict, ServiceUnavailable, TooLarge
from artifacts.store.base import BlobStore, ResumableStore, ResumableWriter, StoreError

from .common import UPLOAD_READ_SIZE, Readable
from .live import LivePipelines, Pipeline

#: Bytes an append writes between durable checkpoints of its offset.
CHECKPOINT_BYTES = 16 * 1024 * 1024


class CheckFailed(Exception):
    """A streaming check refused (or broke on) bytes during an append; ``error`` says how."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Append:
    """Where an append writes: the session, its partial object, the offset it starts at."""

    upload_id: str
    token: str
    store: str
    location: str
    offset: int
    length: int


class Receiver:
    def __init__(
        self,
        db: Database,
        stores: Mapping[str, BlobStore],
        *,
        live: LivePipelines,
        clock: Callable[[], dt.datetime],
        expiry: dt.timedelta,
    ) -> None:
        self._db = db
        self._live = live
        self._stores = stores
        self._clock = clock
        self._expiry = expiry

    def receive(self, append: Append, stream: Readable, pipeline: Pipeline | None) -> int:
        """Write the body at the offset; return the offset reached.

        The pipeline, if given, is kept in this process's :class:`.LivePipelines` at the
        offset reached if it saw exactly the bytes recorded as stored (dropped otherwise);
        a refusal by its checks raises :class:`CheckFailed` (the caller ends the session).
        """
        store = self._stores[append.store]
        assert isinstance(store, ResumableStore)  # checked when the session was created
        try:
            writer = store.resume_writer(append.location, append.offset)
        except StoreError as exc:
            self._let_go(append, append.offset)
            raise ServiceUnavailable("The blob store failed; try again later.") from exc
        digester = pipeline.digester() if pipeline is not None else None
        received = durable = append.offset
        try:
            while True:
                chunk = stream.read(UPLOAD_READ_SIZE)
                if not chunk:
                    break
                if received + len(chunk) > append.length:
                    raise TooLarge(
                        f"The body runs past the upload's length of {append.length} bytes."
                    )
                writer.write(chunk)
                received += len(chunk)
                if digester is not None:
                    _feed(digester, chunk)
                if received - durable >= CHECKPOINT_BYTES:
                    writer.flush()
                    durable = received
                    self._checkpoint(append, durable)
        except CheckFailed:
            self._let_go(append, _suspend(writer, received, durable))
            raise
        except BaseException:
            # What arrived is kept: resuming after a dropped connection is the point.
            saved = _suspend(writer, received, durable)
            held = self._let_go(append, saved)
            self._carry(append, digester, pipeline, held and saved == received, received)
            raise
        saved = _suspend(writer, received, durable)
        held = self._let_go(append, saved)
        self._carry(append, digester, pipeline, held and saved == received, received)
        if saved != received:
            raise ServiceUnavailable(f"The blob store failed; the upload is at offset {saved}.")
        return received

    def _carry(
        self,
        append: Append,
        digester: Digester | None,
        pipeline: Pipeline | None,
        consistent: bool,
        offset: int,
    ) -> None:
        """Keep the pipeline at ``offset`` if it saw just the stored bytes; else drop it.

        ``consistent``: every byte read was stored and recorded by this append, which still
        held the session (one that lost it to a takeover must not vouch for the bytes).
        """
        if digester is None or pipeline is None:
            return
        if not consistent:
            digester.abandon()
            return
        try:
            state = digester.pause()
        except BaseException as exc:
            raise CheckFailed(exc) from exc
        self._live.keep(append.upload_id, Pipeline(offset, state, pipeline.checks))

    def _checkpoint(self, append: Append, offset: int) -> None:
        with self._db.write() as session:
            kept = rows.checkpoint(
                session, append.upload_id, append.token, offset=offset, now=self._clock()
            )
        if not kept:
            raise Conflict("The upload was taken over or cancelled during this request.")

    def _let_go(self, append: Append, offset: int) -> bool:
        """Record the offset and let go; False if the session was taken over meanwhile."""
        with self._db.write() as session:
            return rows.release(
                session,
                append.upload_id,
                append.token,
                offset=offset,
                expires_at=self._clock() + self._expiry,
            )


def _feed(digester: Digester, chunk: bytes) -> None:
    try:
        digester.update(chunk)
    except BaseException as exc:  # a check's refusal (or bug), raised from its lane
        raise CheckFailed(exc) from exc


def _suspend(writer: ResumableWriter, received: int, durable: int) -> int:
    """Flush and let the writer go; the offset that is safe to record."""
    try:
        writer.suspend()
    except StoreError:
        return durable  # what lies past the last checkpoint is cut off by the next append
    return received
