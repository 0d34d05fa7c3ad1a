"""The resumable writer contract, on every driver that keeps partial objects."""

from __future__ import annotations

import pytest

from artifacts.store.base import ResumableStore, StoreError, read_object
from tests.unit.store.conftest import StoreCase, new_key, payload

RESUMABLE = ("filesystem", "s3", "s3_swift", "database_sqlite", "database_postgresql")


@pytest.fixture(params=RESUMABLE)
def case(request: pytest.FixtureRequest) -> StoreCase:
    result: StoreCase = request.getfixturevalue(f"{request.param}_case")
    return result


def _store(case: StoreCase) -> ResumableStore:
    assert isinstance(case.store, ResumableStore)
    return case.store


def test_appends_across_writers_commit_whole(case: StoreCase) -> None:
    store, key = _store(case), new_key()
    data = payload(2 * case.part_size + 12345)
    offset = 0
    for size in (1000, case.part_size, case.part_size - 1, len(data)):
        writer = store.resume_writer(key, offset)
        writer.write(data[offset : offset + size])
        writer.suspend()
        offset = min(offset + size, len(data))
    writer = store.resume_writer(key, len(data))
    handle = writer.read_back()
    try:
        assert b"".join(handle.chunks) == data
    finally:
        handle.close()
    stored = writer.commit()
    assert stored.size == len(data)
    assert read_object(case.store, key) == data
    assert case.leftovers() == []


def test_bytes_past_the_recorded_offset_are_cut_off(case: StoreCase) -> None:
    store, key = _store(case), new_key()
    data = payload(case.part_size + 500)
    writer = store.resume_writer(key, 0)
    writer.write(data[:300])
    writer.suspend()
    writer = store.resume_writer(key, 300)
    writer.write(b"never recorded" * 10)
    writer.suspend()  # written, but the offset the database holds is still 300
    writer = store.resume_writer(key, 300)
    writer.write(data[300:])
    writer.suspend()
    writer = store.resume_writer(key, len(data))
    writer.commit()
    assert read_object(case.store, key) == data


def test_a_lost_prefix_is_a_store_error(case: StoreCase) -> None:
    store, key = _store(case), new_key()
    writer = store.resume_writer(key, 0)
    writer.write(b"abc")
    writer.suspend()
    with pytest.raises(StoreError):
        store.resume_writer(key, 1000)


def test_a_read_back_object_resumes_complete_and_cancel_removes_it(case: StoreCase) -> None:
    store, key = _store(case), new_key()
    data = payload(case.part_size + 7)
    writer = store.resume_writer(key, 0)
    writer.write(data)
    writer.suspend()
    first = store.resume_writer(key, len(data))
    first.read_back().close()
    first.suspend()  # refused before it committed (the upload's first transaction said no)
    # The finishing request died before committing: a new writer picks it up as it is.
    again = store.resume_writer(key, len(data))
    handle = again.read_back()
    try:
        assert b"".join(handle.chunks) == data
    finally:
        handle.close()
    again.cancel()
    assert case.leftovers() == []
    assert list(case.store.list_objects("")) == []


def test_delete_removes_a_partial_object(case: StoreCase) -> None:
    store, key = _store(case), f"blobs/{new_key()}"
    writer = store.resume_writer(key, 0)
    writer.write(payload(case.part_size + 3))
    writer.suspend()
    case.store.delete(key)
    assert case.leftovers() == []
    assert list(case.store.list_objects("")) == []
    with pytest.raises(StoreError):
        store.resume_writer(key, 10)


def test_resuming_again_without_writing_keeps_the_recorded_bytes(case: StoreCase) -> None:
    store, key = _store(case), new_key()
    data = payload(case.part_size + 777)
    writer = store.resume_writer(key, 0)
    writer.write(data[:1000])
    writer.suspend()
    store.resume_writer(key, 1000).suspend()  # opened, let go before writing a byte
    writer = store.resume_writer(key, 1000)
    writer.write(data[1000:])
    writer.commit()
    assert read_object(case.store, key) == data
    assert [o.key for o in case.store.list_objects()] == [key]
