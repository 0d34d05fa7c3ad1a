"""The part buffer both S3 writers fill: where parts are cut, what it copies, how it fails."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from artifacts.store.base import StoreError
from artifacts.store.s3 import MIN_PART_SIZE, S3Store
from artifacts.store.s3_buffer import PartBuffer
from tests.unit.store.conftest import payload

PART = MIN_PART_SIZE


class Parts:
    """A client that keeps the parts it is sent (and may refuse them)."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.bodies: list[bytes] = []
        self.refuse = refuse

    def create_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"UploadId": "u"}

    def upload_part(self, *, Body: bytes, PartNumber: int, **_: Any) -> dict[str, Any]:  # noqa: N803
        if self.refuse:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "no"}}, "UploadPart")
        self.bodies.append(Body)
        return {"ETag": f'"{PartNumber}"'}


def buffer(client: Parts, *, eager: bool, tail: bytes = b"") -> PartBuffer:
    store = S3Store("s3", "b", "", client=client, part_size=PART, parts_in_flight=1)
    return PartBuffer(store, "k", upload_id=None, parts=[], tail=tail, eager=eager)


@pytest.mark.parametrize("eager", [True, False])
def test_parts_are_cut_at_part_size_whatever_the_chunks(eager: bool) -> None:
    client = Parts()
    parts = buffer(client, eager=eager, tail=b"t" * 3)
    data = payload(3 * PART)
    for start, end in ((0, 1), (1, PART + 7), (PART + 7, 3 * PART - 3)):
        parts.write(data[start:end])
    parts.sender.finish()
    # eager sends each part once full; lazy keeps the last full one until more arrives
    assert len(client.bodies) == (3 if eager else 2)
    held = parts.take()
    assert b"".join(client.bodies) + held == b"t" * 3 + data[: 3 * PART - 3]
    assert all(len(body) == PART for body in client.bodies)
    assert all(type(body) is bytearray for body in client.bodies)  # sent whole (module doc)


def test_a_full_part_waits_for_more_data_unless_eager() -> None:
    lazy, eager = Parts(), Parts()
    for client, parts in ((lazy, buffer(lazy, eager=False)), (eager, buffer(eager, eager=True))):
        parts.write(payload(PART))
        parts.sender.finish()
        assert len(parts) == (PART if client is lazy else 0)
    assert (len(lazy.bodies), len(eager.bodies)) == (0, 1)


def test_a_reused_buffer_is_copied_when_it_arrives() -> None:
    client = Parts()
    parts = buffer(client, eager=True)
    scratch = bytearray(b"a" * 10)
    parts.write(scratch)
    scratch[:] = b"b" * 10  # the caller reuses its buffer
    parts.write(memoryview(scratch))
    assert parts.peek() == b"a" * 10 + b"b" * 10
    assert parts.take() == b"a" * 10 + b"b" * 10
    assert len(parts) == 0


def test_a_failed_part_fails_every_later_check() -> None:
    parts = buffer(Parts(refuse=True), eager=True)
    parts.write(payload(PART))  # submitted; its failure arrives with the next part
    with pytest.raises(StoreError, match="SlowDown"):
        parts.write(payload(PART))
    assert parts.failed
    with pytest.raises(StoreError, match="writer for 'k' failed"):
        parts.check(False, "done")
    with pytest.raises(ValueError, match="already done"):
        parts.check(True, "done")
