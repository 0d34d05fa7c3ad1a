"""What only the S3 driver promises: multipart streaming, aborts, error translation, presigning.

Behaviour against S3 runs on the moto server (see conftest); how writes are split into parts,
and failure paths moto cannot produce on demand, use a small recording fake client.
"""

from __future__ import annotations

import io
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from artifacts.store.base import (
    ByteRange,
    InvalidRange,
    ObjectNotFound,
    StoreError,
    read_object,
    write_object,
)
from artifacts.store.s3 import MIN_PART_SIZE, S3Store
from tests.conftest import S3_SECRET_KEY
from tests.unit.store.conftest import BUCKET, StoreCase, make_s3_store, new_key, payload

PART = MIN_PART_SIZE


@pytest.fixture
def prefix() -> str:
    return f"s3-{uuid.uuid4().hex}"


@pytest.fixture
def s3_store(s3_endpoint: str, s3_admin: Any, s3_driver_client: Any, prefix: str) -> S3Store:
    return make_s3_store(s3_endpoint, prefix, client=s3_driver_client)


def uploads(admin: Any, prefix: str) -> list[str]:
    listing = admin.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix + "/")
    return [upload["Key"] for upload in listing.get("Uploads", [])]


def test_objects_live_under_the_prefix(s3_store: S3Store, s3_admin: Any, prefix: str) -> None:
    key = new_key()
    write_object(s3_store, key, [b"x"])
    listing = s3_admin.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    assert [obj["Key"] for obj in listing["Contents"]] == [f"{prefix}/{key}"]


def test_small_objects_are_one_put_and_large_ones_multipart(
    s3_store: S3Store, s3_admin: Any, prefix: str
) -> None:
    # S3's ETag of a multipart object ends in "-<number of parts>".
    sizes = {"exactly-one-part": PART, "two-parts": PART + 1, "three-parts": 2 * PART + 1}
    etags = {}
    for label, size in sizes.items():
        key = new_key(label)
        write_object(s3_store, key, [payload(size)])
        etags[label] = s3_admin.head_object(Bucket=BUCKET, Key=f"{prefix}/{key}")["ETag"]
    assert "-" not in etags["exactly-one-part"]
    assert etags["two-parts"].endswith('-2"')
    assert etags["three-parts"].endswith('-3"')


def test_cancel_aborts_the_multipart_upload(s3_store: S3Store, s3_admin: Any, prefix: str) -> None:
    key = new_key()
    writer = s3_store.open_writer(key)
    writer.write(payload(PART))
    assert uploads(s3_admin, prefix) == []  # still one buffered part: nothing started yet
    writer.write(b"one more byte sends the first part")
    assert uploads(s3_admin, prefix) == [f"{prefix}/{key}"]
    writer.cancel()
    assert uploads(s3_admin, prefix) == []
    with pytest.raises(ObjectNotFound):
        s3_store.open_reader(key)


def test_deleting_a_key_aborts_the_upload_a_dead_process_left_open(
    s3_store: S3Store, s3_admin: Any, prefix: str
) -> None:
    key = new_key()
    longer = key + "-longer"
    for name in (key, longer):
        writer = s3_store.open_writer(name)
        writer.write(payload(PART + 1))  # the first part went up; then the process "died"
    assert sorted(uploads(s3_admin, prefix)) == [f"{prefix}/{key}", f"{prefix}/{longer}"]
    s3_store.delete(key)
    assert uploads(s3_admin, prefix) == [f"{prefix}/{longer}"]


def test_unreachable_endpoint_is_a_store_error() -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = make_s3_store(
        f"http://127.0.0.1:{port}", "p", max_attempts=1, connect_timeout=0.5, read_timeout=0.5
    )
    with pytest.raises(StoreError, match="Could not connect") as info:
        store.check()
    assert not isinstance(info.value, ObjectNotFound)
    assert info.value.__cause__ is not None  # raised "from" the botocore error
    with pytest.raises(StoreError):
        store.open_reader(new_key())
    with pytest.raises(StoreError):
        store.delete(new_key())
    writer = store.open_writer(new_key())
    writer.write(b"data")
    with pytest.raises(StoreError):
        writer.commit()


def test_missing_bucket_is_not_object_not_found(s3_endpoint: str, s3_driver_client: Any) -> None:
    store = S3Store("s3", "no-such-bucket", "", client=s3_driver_client)
    for call in (store.check, lambda: store.open_reader(new_key())):
        with pytest.raises(StoreError) as info:
            call()
        assert not isinstance(info.value, ObjectNotFound)


def test_credentials_stay_out_of_what_is_recorded(s3_store: S3Store) -> None:
    key = new_key()
    stored = write_object(s3_store, key, [b"secret stuff"])
    assert S3_SECRET_KEY not in repr(stored)
    assert stored.key == key  # the key as given: no prefix, no bucket, no endpoint


def test_presigned_url_downloads_the_object(s3_store: S3Store) -> None:
    key, data = new_key(), payload(1000)
    write_object(s3_store, key, [data])
    url = s3_store.presign_get(key, 60)
    assert S3_SECRET_KEY not in url
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.read() == data
    with pytest.raises(ValueError, match="expires_in"):
        s3_store.presign_get(key, 0)


def test_part_size_is_bounded_by_s3s_limits() -> None:
    with pytest.raises(ValueError, match="part_size"):
        S3Store("s3", BUCKET, "", part_size=PART - 1, client=object())


# --- with a fake client --------------------------------------------------------------------


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


# --- failures in flight, on moto and on Swift ------------------------------------------------


@pytest.fixture(params=("s3", "s3_swift"))
def real_case(request: pytest.FixtureRequest) -> StoreCase:
    result: StoreCase = request.getfixturevalue(f"{request.param}_case")
    return result


@contextmanager
def failing_part(store: S3Store, number: int) -> Iterator[None]:
    """Make the store's real client fail ``UploadPart`` number ``number`` before it is sent."""

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get("PartNumber") == number:
            error = {"Error": {"Code": "SlowDown", "Message": "refused by the test"}}
            raise ClientError(error, "UploadPart")

    events = store.client.meta.events
    events.register("provide-client-params.s3.UploadPart", refuse, unique_id="failing-part")
    try:
        yield
    finally:
        events.unregister("provide-client-params.s3.UploadPart", unique_id="failing-part")


@pytest.mark.parametrize("store_kind", ["writer", "resumable"])
def test_a_part_failing_mid_flight_cancels_without_leftovers(
    real_case: StoreCase, store_kind: str
) -> None:
    store = real_case.store
    assert isinstance(store, S3Store)
    key, data = new_key(), payload(7 * PART + 3)
    writer = store.open_writer(key) if store_kind == "writer" else store.resume_writer(key, 0)

    def send_all() -> None:
        for start in range(0, len(data), 1024 * 1024):
            writer.write(data[start : start + 1024 * 1024])
        writer.commit()

    with failing_part(store, 3), pytest.raises(StoreError, match="SlowDown"):
        send_all()
    writer.cancel()
    assert real_case.leftovers() == []  # the upload was aborted after its parts in flight
    with pytest.raises(ObjectNotFound):
        store.open_reader(key)
    assert list(store.list_objects()) == []


def test_reading_ahead_stops_when_the_reader_is_closed(real_case: StoreCase) -> None:
    store = real_case.store
    key, data = new_key(), payload(5 * 1024 * 1024 + 17)
    write_object(store, key, [data])
    handle = store.open_reader(key)
    assert next(iter(handle.chunks)) == data[: 1024 * 1024]
    handle.close()  # the next chunk is being read ahead: the body closes once it arrives
    assert read_object(store, key) == data
    assert read_object(store, key, ByteRange(3, 2 * 1024 * 1024)) == data[3 : 2 * 1024 * 1024 + 1]


@pytest.fixture(params=("s3", "s3_swift"))
def unsigned_store(request: pytest.FixtureRequest, prefix: str) -> S3Store:
    """A store that sends UNSIGNED-PAYLOAD, on moto and on Swift."""
    options: dict[str, Any] = {"payload_signing": False, "request_checksums": "when_required"}
    if request.param == "s3":
        request.getfixturevalue("s3_admin")
        return make_s3_store(request.getfixturevalue("s3_endpoint"), prefix, **options)
    store: S3Store = request.getfixturevalue("swift_store_factory")(prefix, **options)
    return store


def sent_headers(store: S3Store) -> list[dict[str, str]]:
    """The headers of every UploadPart and PutObject the store's client sends from now on."""
    seen: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        seen.append(
            {
                k.lower(): v.decode() if isinstance(v, bytes) else v
                for k, v in request.headers.items()
            }
        )

    for operation in ("UploadPart", "PutObject"):
        store.client.meta.events.register(f"before-send.s3.{operation}", record)
    return seen


def test_unsigned_payload_is_sent_as_such_and_stored_intact(unsigned_store: S3Store) -> None:
    # Swift's s3api accepts it for PutObject and UploadPart; nothing hashes the body for the
    # signature or for a CRC32 on either side.
    seen = sent_headers(unsigned_store)
    small, large = new_key(), new_key()
    data = payload(2 * PART + 11)
    write_object(unsigned_store, small, [b"tiny"])
    chunks = [data[i : i + 1024 * 1024] for i in range(0, len(data), 1024 * 1024)]
    write_object(unsigned_store, large, chunks)
    assert [h["x-amz-content-sha256"] for h in seen] == ["UNSIGNED-PAYLOAD"] * 4
    assert not any(name.startswith("x-amz-checksum") for h in seen for name in h)
    assert read_object(unsigned_store, small) == b"tiny"
    assert read_object(unsigned_store, large) == data


def test_payloads_are_signed_by_default_on_plain_http(s3_store: S3Store) -> None:
    seen = sent_headers(s3_store)
    write_object(s3_store, new_key(), [b"signed"])
    assert seen[0]["x-amz-content-sha256"] != "UNSIGNED-PAYLOAD"
