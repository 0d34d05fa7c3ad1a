"""Reading an upload's request into the pipeline: transform, size limit, digests.

The request is read in steps of :data:`UPLOAD_READ_SIZE`; a field's stream transform (if it
rewrites this upload) turns each step into the bytes to store, and only those reach the
digester (digests, checks, store). The size limit and the quota reservation hold the larger of
the bytes received and the bytes stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from artifacts.engine.digests import Digester, Digests
from artifacts.engine.validation import RunningTransform
from artifacts.errors import InvalidInput

from .common import UPLOAD_READ_SIZE, Readable
from .reservation import Reservation


def receive(
    stream: Readable,
    digester: Digester,
    reservation: Reservation,
    content_length: int | None,
    name: str,
    *,
    transform: RunningTransform | None = None,
    expect_sha256: str | None = None,
) -> tuple[Digests, Mapping[str, Any]]:
    """Read the request into the digester's lanes, within the limits.

    Return the digests, and the fields the transform (if any) found. A transform's output is
    what the digester sees; the limit holds the larger of the bytes received and stored.
    ``expect_sha256`` is the digest a client declared for the bytes it sent: other bytes are
    refused (400). Without a transform those are the stored bytes, whose sha256 the digester
    computes anyway; a transform rewrites them, so the received bytes get a hash of their own.
    """
    received = 0
    sent_hash = hashlib.sha256() if expect_sha256 is not None and transform else None
    while True:
        chunk = stream.read(UPLOAD_READ_SIZE)
        if not chunk:
            break
        received += len(chunk)
        if sent_hash is not None:
            sent_hash.update(chunk)
        _take(digester, reservation, transform.feed(chunk) if transform else chunk, received, name)
    if content_length is not None and received != content_length:
        raise InvalidInput(f"The upload ended after {received} of {content_length} bytes.")
    found: Mapping[str, Any] = {}
    if transform is not None:
        end = transform.finish()
        _take(digester, reservation, end.tail, received, name)
        found = {**transform.changes, **end.fields}
    digests = digester.digests()
    if expect_sha256 is not None:
        sent = sent_hash.hexdigest() if sent_hash is not None else digests.sha256
        if sent != expect_sha256:
            raise InvalidInput(f"The data's sha256 is {sent}, not the declared {expect_sha256}.")
    return digests, found


def receive_known(
    digests: Digests,
    digester: Digester,
    reservation: Reservation,
    content_length: int | None,
    name: str,
    *,
    expect_sha256: str | None = None,
) -> Digests:
    """Apply the limits, quotas and declared digest :func:`receive` applies, to bytes
    digested already.

    For a resumable upload whose live pipeline saw every byte (:mod:`.live`): nothing is
    read; ``digester`` only stands for the stream's size.
    """
    digester.abandon()
    size = content_length or 0
    if size > reservation.limit:
        raise reservation.too_large(size, name)
    reservation.cover(size)
    digester.size = size
    if expect_sha256 is not None and digests.sha256 != expect_sha256:
        raise InvalidInput(
            f"The data's sha256 is {digests.sha256}, not the declared {expect_sha256}."
        )
    return digests


def _take(
    digester: Digester, reservation: Reservation, data: bytes, received: int, name: str
) -> None:
    total = max(received, digester.size + len(data))
    if total > reservation.limit:
        raise reservation.too_large(total, name)
    reservation.cover(total)
    if data:
        digester.update(data)
