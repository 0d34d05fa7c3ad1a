"""What only the S3 driver promises: multipart streaming, aborts, error translation, presigning.

Behaviour against S3 runs on the moto server (see conftest) and, where said, on Swift too; how
writes are split into parts, against a recording fake client, is in test_s3_parts.
"""

from __future__ import annotations

import socket
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from artifacts.store.base import (
    ByteRange,
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
