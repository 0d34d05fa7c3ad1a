"""How the S3 driver splits writes into parts and reads ranges, against a recording fake client.

The fake client fails on demand, holds parts back to show that they go out in parallel, and
ignores Range as some S3-compatible services do: paths a real service cannot be made to take.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from artifacts.store.base import ByteRange, InvalidRange, StoreError, read_object
from artifacts.store.s3 import MIN_PART_SIZE, S3Store
from tests.unit.store.conftest import BUCKET, payload

PART = MIN_PART_SIZE


class RecordingClient:
    """Enough of a boto3 S3 client to watch a writer and fail on demand."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.objects: dict[str, bytes] = {}
        # By part number: a writer sends several parts at once, so they arrive in any order.
        self.parts: dict[int, bytes] = {}
        self.fail_on = fail_on

    def _record(self, name: str, size: int = 0) -> None:
        self.calls.append((name, size))
        if name == self.fail_on:
            error = {"Error": {"Code": "InternalError", "Message": "try again"}}
            raise ClientError(error, name)

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:  # noqa: N803
        self._record("put_object", len(Body))
        self.objects[Key] = Body
        return {}

    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        self._record("create_multipart_upload")
        return {"UploadId": "u1"}

    def upload_part(self, *, Body: bytes, PartNumber: int, **kwargs: Any) -> dict[str, Any]:  # noqa: N803
        self._record("upload_part", len(Body))
        self.parts[PartNumber] = Body
        return {"ETag": f'"{PartNumber}"'}

    def complete_multipart_upload(self, *, Key: str, **kwargs: Any) -> dict[str, Any]:  # noqa: N803
        self._record("complete_multipart_upload")
        self.objects[Key] = b"".join(self.parts[n] for n in sorted(self.parts))
        return {}

    def abort_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        self._record("abort_multipart_upload")
        return {}

    def delete_object(self, *, Key: str, **kwargs: Any) -> dict[str, Any]:  # noqa: N803
        self._record("delete_object")
        self.objects.pop(Key, None)
        return {}

    def list_multipart_uploads(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_multipart_uploads")
        return {}

    def get_object(self, *, Key: str, **kwargs: Any) -> dict[str, Any]:  # noqa: N803
        # Like an S3-compatible service that ignores Range: 200 and the whole object.
        data = self.objects[Key]
        return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data)}


def fake_store(client: RecordingClient, prefix: str = "") -> S3Store:
    return S3Store("s3", BUCKET, prefix, client=client, part_size=PART)


def test_writer_holds_at_most_one_part() -> None:
    client = RecordingClient()
    store = fake_store(client, "p")
    writer = store.open_writer("k")
    odd = [1, PART - 2, 3, 2 * PART + 5, 7, PART]
    for size in odd:
        writer.write(payload(size))
    writer.commit()
    total = sum(odd)
    full, last = divmod(total, PART)
    sent = [len(client.parts[n]) for n in sorted(client.parts)]
    assert sent == [PART] * full + ([last] if last else [])
    assert client.calls[0] == ("create_multipart_upload", 0)
    assert client.calls[-1] == ("complete_multipart_upload", 0)
    assert len(client.objects["p/k"]) == total


def test_empty_object_is_a_single_put() -> None:
    client = RecordingClient()
    stored = fake_store(client).open_writer("k").commit()
    assert stored.size == 0
    assert client.calls == [("put_object", 0)]


def test_failed_part_fails_the_writer_until_cancelled() -> None:
    client = RecordingClient(fail_on="upload_part")
    writer = fake_store(client).open_writer("k")
    writer.write(payload(PART))
    writer.write(b"x")  # the part goes out in the background: its failure shows up later
    with pytest.raises(StoreError, match="InternalError") as info:
        writer.commit()
    assert isinstance(info.value.__cause__, ClientError)
    with pytest.raises(StoreError, match="failed"):
        writer.write(b"y")
    with pytest.raises(StoreError, match="failed"):
        writer.commit()
    writer.cancel()
    assert ("abort_multipart_upload", 0) in client.calls


class GatedClient(RecordingClient):
    """Parts wait for a gate to open; the client counts how many wait at once."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0

    def upload_part(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
        self.gate.wait(10)
        with self.lock:
            self.waiting -= 1
            self.parts[kwargs["PartNumber"]] = kwargs["Body"]
        return {"ETag": f'"{kwargs["PartNumber"]}"'}

    def complete_multipart_upload(self, *, Key: str, MultipartUpload: Any, **kwargs: Any) -> Any:  # noqa: N803
        numbers = [part["PartNumber"] for part in MultipartUpload["Parts"]]
        assert numbers == sorted(self.parts)
        self.objects[Key] = b"".join(self.parts[n] for n in numbers)
        return {}


def test_parts_go_out_in_parallel_and_the_writer_waits_when_enough_are_out() -> None:
    client = GatedClient()
    store = S3Store("s3", BUCKET, "", client=client, part_size=PART, parts_in_flight=3)
    writer = store.open_writer("k")
    data = payload(6 * PART + 10)
    position = [0]

    def feed() -> None:
        for start in range(0, len(data), PART // 2):
            writer.write(data[start : start + PART // 2])
            position[0] = start + PART // 2

    feeder = threading.Thread(target=feed)
    feeder.start()
    deadline = time.monotonic() + 10
    while client.waiting < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    # Three parts out, one part buffered, one half-part being added: the feeder is blocked.
    assert client.waiting == 3
    assert feeder.is_alive()
    assert position[0] <= 5 * PART
    client.gate.set()
    feeder.join(10)
    writer.commit()
    assert client.most_waiting == 3
    assert client.objects["k"] == data


def test_cancel_after_a_failed_commit_removes_what_may_have_completed() -> None:
    client = RecordingClient(fail_on="complete_multipart_upload")
    writer = fake_store(client).open_writer("k")
    writer.write(payload(PART + 1))
    with pytest.raises(StoreError):
        writer.commit()
    writer.cancel()
    assert [name for name, _ in client.calls[-3:]] == [
        "abort_multipart_upload",
        "delete_object",
        "list_multipart_uploads",
    ]


def test_a_service_ignoring_range_still_yields_only_the_range() -> None:
    client = RecordingClient()
    store = fake_store(client)
    data = payload(3 * 1024 * 1024 + 11)
    client.objects["k"] = data
    assert read_object(store, "k", ByteRange(1_500_000, 2_600_000)) == data[1_500_000:2_600_001]
    handle = store.open_reader("k", ByteRange(10, 20))
    assert handle.size == len(data)
    handle.close()
    with pytest.raises(InvalidRange):
        store.open_reader("k", ByteRange(len(data), len(data) + 5))
