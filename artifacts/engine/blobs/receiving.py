"""Reading an upload's request into the pipeline: transform, size limit, digests.

The request is read in steps of :data:`UPLOAD_READ_SIZE`; a field's stream transform (if it
rewrites this upload) turns each step into the bytes to store, and only those reach the
digester (digests, checks, store). The size limit and the quota reservation hold the larger of
the bytes received and the bytes stored.
"""

from __future__ import annotations

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
) -> tuple[Digests, Mapping[str, Any]]:
    """Read the request into the digester's lanes, within the limits.

    Return the digests, and the fields the transform (if any) found. A transform's output is
    what the digester sees; the limit holds the larger of the bytes received and stored.
    """
    received = 0
    while True:
        chunk = stream.read(UPLOAD_READ_SIZE)
        if not chunk:
            break
        received += len(chunk)
        _take(digester, reservation, transform.feed(chunk) if transform else chunk, received, name)
    if content_length is not None and received != content_length:
        raise InvalidInput(f"The upload ended after {received} of {content_length} bytes.")
    found: Mapping[str, Any] = {}
    if transform is not None:
        end = transform.finish()
        _take(digester, reservation, end.tail, received, name)
        found = {**transform.changes, **end.fields}
    return digester.digests(), found


def receive_known(
    digests: Digests,
    digester: Digester,
    reservation: Reservation,
    content_length: int | None,
    name: str,
) -> Digests:
    """Apply the limits and quotas :func:`receive` applies to bytes digested already.

    For a resumable upload whose live pipeline saw every byte (:mod:`.live`): nothing is
    read; ``digester`` only stands for the stream's size.
    """
    digester.abandon()
    size = content_length or 0
    if size > reservation.limit:
        raise reservation.too_large(size, name)
    reservation.cover(size)
    digester.size = size
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
