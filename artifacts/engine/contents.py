"""Content-addressed blob data: equal uploads share one stored object, counted by references.

An upload always streams into an object of its own and is hashed to its last byte, whoever
stored what before: the client sees the same work, time and answer whether or not equal bytes
exist anywhere (in its project or another's). Only the commit's transaction looks for stored
content with the same sha256 and size in the same store; when there is some, the blob names it
and the upload's own object is recorded as an orphan, which ``artifacts scrub`` (or ``gc``)
removes off the request path. Quotas count every blob's size, shared or not.

A blob that stops naming content (replaced, deleted with its artifact) drops a reference in
the same transaction; the data goes when no reference is left: after the commit, or, with a
delete delay, through ``artifacts gc`` once the delay has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from artifacts.db import contents
from artifacts.db.models import OrphanRow

Location = tuple[str, str]


class ContentRefs:
    def __init__(
        self, *, share: bool, delete_delay: dt.timedelta, clock: Callable[[], dt.datetime]
    ) -> None:
        self._share = share
        self.delete_delay = delete_delay
        self._clock = clock

    def claim(self, session: Session, store: str, location: str, *, sha256: str, size: int) -> str:
        """Reference the content of the object just stored; return the location to record."""
        now = self._clock()
        claimed = contents.claim(
            session, store, location, sha256=sha256, size=size, now=now, share=self._share
        )
        if claimed.duplicate:
            session.add(
                OrphanRow(
                    store=store,
                    location=location,
                    reason="duplicate of stored content",
                    created_at=now,
                    attempts=0,
                )
            )
        return claimed.location

    def release(self, session: Session, locations: Iterable[Location]) -> list[Location]:
        """Drop one reference to each; return the data nothing references any more."""
        keep = self.delete_delay > dt.timedelta(0)
        now = self._clock()
        return [
            (store, location)
            for store, location in locations
            if contents.release(session, store, location, now=now, keep=keep)
        ]
