"""The blob store contract, run against every driver (see conftest: memory, filesystem, s3).

A driver is done when it passes this file unchanged; driver-specific behaviour lives in the
driver's own test module.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifacts.store.base import (
    CHUNK_SIZE,
    BlobStore,
    BlobWriter,
    ByteRange,
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    StoredObject,
    read_object,
    write_object,
)
from tests.unit.store.conftest import StoreCase, new_key, payload

MULTI_PART = -1  # stands for "several parts": resolved per driver from its part size


def read_back(store: BlobStore, key: str, byte_range: ByteRange | None = None) -> bytes:
    """Read through ``chunks``, checking the handle's promises on the way."""
    handle = store.open_reader(key, byte_range)
    try:
        chunks = list(handle.chunks)
    finally:
        handle.close()
    assert all(0 < len(chunk) <= CHUNK_SIZE for chunk in chunks)
    return b"".join(chunks)


def test_drivers_satisfy_the_protocols(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)
    writer = store.open_writer(new_key())
    assert isinstance(writer, BlobWriter)
    writer.cancel()


def test_check_passes(store: BlobStore) -> None:
    store.check()


@pytest.mark.parametrize(
    "size",
    [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, MULTI_PART],
    ids=["empty", "one-byte", "chunk-minus-1", "chunk", "chunk-plus-1", "several-parts"],
)
def test_write_commit_read_back(case: StoreCase, size: int) -> None:
    if size == MULTI_PART:
        size = 2 * case.part_size + 3
    data, key = payload(size), new_key()
    stored = write_object(case.store, key, [data])
    assert stored == StoredObject(store=case.store.name, key=key, size=size)
    handle = case.store.open_reader(key)
    assert handle.size == size
    handle.close()
    assert read_back(case.store, key) == data
    assert case.leftovers() == []


def test_chunked_writes_of_odd_sizes(case: StoreCase) -> None:
    part = case.part_size
    sizes = [1, 0, 7, 4095, CHUNK_SIZE + 13, 3, part - 1, 1, 1, part, part + 5, 2]
    chunks = [payload(n, seed=i) for i, n in enumerate(sizes)]
    key = new_key()
    writer = case.store.open_writer(key)
    for chunk in chunks:
        writer.write(chunk)
    stored = writer.commit()
    assert stored.size == sum(sizes)
    assert read_back(case.store, key) == b"".join(chunks)


SIZE = 3 * CHUNK_SIZE + 5


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),
        (SIZE - 1, SIZE - 1),
        (CHUNK_SIZE - 3, 2 * CHUNK_SIZE + 7),
        (0, SIZE - 1),
        (17, 17 + CHUNK_SIZE - 1),
    ],
    ids=["first-byte", "last-byte", "middle-across-chunks", "whole", "one-chunk-unaligned"],
)
def test_ranges(store: BlobStore, start: int, end: int) -> None:
    data, key = payload(SIZE), new_key()
    write_object(store, key, [data])
    expected = data[start : end + 1]
    handle = store.open_reader(key, ByteRange(start, end))
    try:
        assert handle.size == SIZE
        assert b"".join(handle.chunks) == expected
        if handle.file is not None:
            # Consuming chunks must not have moved the file: each view honours the range.
            assert handle.file.tell() == start
            assert handle.file.read(end - start + 1) == expected
    finally:
        handle.close()


def test_range_past_the_end_is_clamped(store: BlobStore) -> None:
    data, key = payload(100), new_key()
    write_object(store, key, [data])
    assert read_back(store, key, ByteRange(90, 1000)) == data[90:]


def test_range_starting_past_the_end_is_refused(store: BlobStore) -> None:
    key, empty = new_key(), new_key()
    write_object(store, key, [payload(100)])
    write_object(store, empty, [])
    with pytest.raises(InvalidRange):
        store.open_reader(key, ByteRange(100, 200))
    with pytest.raises(InvalidRange):
        store.open_reader(empty, ByteRange(0, 0))


def test_any_range_reads_the_bytes_of_the_slice(store: BlobStore) -> None:
    size = 2 * CHUNK_SIZE + 17
    data, key = payload(size), new_key()
    write_object(store, key, [data])

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, size - 1), st.integers(0, size + 10))
    def check(start: int, length: int) -> None:
        end = start + max(length, 1) - 1
        assert read_back(store, key, ByteRange(start, end)) == data[start : end + 1]

    check()


def test_cancel_leaves_nothing_readable(case: StoreCase) -> None:
    key = new_key()
    writer = case.store.open_writer(key)
    writer.write(payload(case.part_size + 10))  # far enough for S3 to start a multipart upload
    writer.write(b"more")
    writer.cancel()
    writer.cancel()  # and again: cancel must be safe to repeat
    with pytest.raises(ObjectNotFound):
        case.store.open_reader(key)
    assert case.leftovers() == []
    with pytest.raises(ValueError, match="cancelled"):
        writer.write(b"x")
    with pytest.raises(ValueError, match="cancelled"):
        writer.commit()


def test_cancel_before_any_write(case: StoreCase) -> None:
    key = new_key()
    case.store.open_writer(key).cancel()
    with pytest.raises(ObjectNotFound):
        case.store.open_reader(key)
    assert case.leftovers() == []


def test_cancel_after_commit_keeps_the_object(store: BlobStore) -> None:
    key = new_key()
    writer = store.open_writer(key)
    writer.write(b"kept")
    first = writer.commit()
    writer.cancel()
    assert writer.commit() == first  # commit is idempotent once it succeeded
    assert read_back(store, key) == b"kept"
    with pytest.raises(ValueError, match="committed"):
        writer.write(b"late")


def test_nothing_is_readable_before_commit(store: BlobStore) -> None:
    key = new_key()
    writer = store.open_writer(key)
    writer.write(b"not yet")
    with pytest.raises(ObjectNotFound):
        store.open_reader(key)
    writer.commit()
    assert read_back(store, key) == b"not yet"


def test_missing_key_is_object_not_found(store: BlobStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.open_reader(new_key())
    with pytest.raises(ObjectNotFound):
        store.open_reader(new_key(), ByteRange(0, 10))


def test_keys_are_objects_not_directories(store: BlobStore) -> None:
    # Blob-dict keys nest under a field's key space; a prefix or an extension of a key is
    # never an object, whatever the driver's storage looks like.
    key = new_key()
    write_object(store, key, [b"data"])
    parent = key.rsplit("/", 1)[0]
    for other in (parent, f"{key}/child"):
        with pytest.raises(ObjectNotFound):
            store.open_reader(other)
        store.delete(other)
    assert read_back(store, key) == b"data"


def test_delete_is_idempotent(store: BlobStore) -> None:
    key = new_key()
    store.delete(key)  # never existed
    write_object(store, key, [b"bye"])
    store.delete(key)
    with pytest.raises(ObjectNotFound):
        store.open_reader(key)
    store.delete(key)


def test_delete_leaves_neighbours_alone(store: BlobStore) -> None:
    first = new_key()
    second = first.rsplit("/", 1)[0] + "/sibling"
    write_object(store, first, [b"1"])
    write_object(store, second, [b"2"])
    store.delete(first)
    assert read_back(store, second) == b"2"


def test_listing_finds_committed_objects_under_a_prefix_only(store: BlobStore) -> None:
    first = new_key()
    directory = first.rsplit("/", 1)[0]
    write_object(store, first, [b"one"])
    write_object(store, directory + "/second", [b"second"])
    store.delete(directory + "/second")
    pending = store.open_writer(directory + "/pending")
    pending.write(b"not yet")
    elsewhere = new_key()
    write_object(store, elsewhere, [b"elsewhere"])

    listed = {o.key: o for o in store.list_objects(directory + "/")}
    pending.cancel()

    assert set(listed) == {first}
    assert listed[first].size == 3
    assert listed[first].modified > 0
    assert elsewhere in {o.key for o in store.list_objects()}


def test_interleaved_writers_do_not_interfere(case: StoreCase) -> None:
    keys = [new_key("a"), new_key("b")]
    writers = [case.store.open_writer(key) for key in keys]
    datas = [payload(case.part_size + 7, seed=1), payload(CHUNK_SIZE + 3, seed=2)]
    step = CHUNK_SIZE // 2 + 1
    for offset in range(0, max(map(len, datas)), step):
        for writer, data in zip(writers, datas, strict=True):
            writer.write(data[offset : offset + step])
    assert [w.commit().size for w in writers] == [len(d) for d in datas]
    assert [read_back(case.store, key) for key in keys] == datas


def test_concurrent_writers_in_threads(store: BlobStore) -> None:
    # A store is shared by the threads of a gunicorn worker; writers are one per thread.
    start = threading.Barrier(8)

    def upload(i: int) -> tuple[str, bytes]:
        key, data = new_key(f"t{i}"), payload(10_000 + i, seed=i)
        writer = store.open_writer(key)
        start.wait()
        for offset in range(0, len(data), 999):
            writer.write(data[offset : offset + 999])
        writer.commit()
        return key, data

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(upload, range(8)))
    for key, data in results:
        assert read_object(store, key) == data


def test_a_committed_key_can_be_read_many_times_at_once(store: BlobStore) -> None:
    key, data = new_key(), payload(CHUNK_SIZE * 2 + 1)
    write_object(store, key, [data])
    handles = [store.open_reader(key) for _ in range(3)]
    try:
        iterators = [iter(h.chunks) for h in handles]
        firsts = [next(it) for it in iterators]
        rests = [b"".join(it) for it in iterators]
    finally:
        for handle in handles:
            handle.close()
    assert all(first + rest == data for first, rest in zip(firsts, rests, strict=True))


def test_closing_an_unread_handle_is_fine(store: BlobStore) -> None:
    key = new_key()
    write_object(store, key, [payload(CHUNK_SIZE + 1)])
    store.open_reader(key).close()
    handle = store.open_reader(key, ByteRange(5, 10))
    next(iter(handle.chunks))
    handle.close()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "/etc/passwd",
        "../escape",
        "blobs/../../escape",
        "blobs/./x",
        "blobs//x",
        "blobs/x/",
        "blobs/x y",
        "blobs/\u00e9t\u00e9",
        "blobs/x\x00",
        "blobs\\x",
        "x" * 600,
    ],
)
def test_invalid_keys_are_refused_before_any_io(store: BlobStore, bad: str) -> None:
    with pytest.raises(InvalidKey):
        store.open_writer(bad)
    with pytest.raises(InvalidKey):
        store.open_reader(bad)
    with pytest.raises(InvalidKey):
        store.delete(bad)
