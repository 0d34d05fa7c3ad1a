"""What only the database driver promises: its own size ceiling and chunk-aligned reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from artifacts.db import migrate
from artifacts.db.session import build_engine
from artifacts.store.base import ByteRange, ObjectNotFound, StoreConfigError, StoreError
from artifacts.store.database import DatabaseStore, from_options
from tests.unit.store.conftest import new_key, payload


@pytest.fixture
def store(tmp_path: Path) -> DatabaseStore:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    migrate.upgrade(build_engine(url))
    return DatabaseStore("db", url, chunk_size=1024, max_size=10_000)


def test_objects_over_the_ceiling_are_refused_and_leave_nothing(store: DatabaseStore) -> None:
    key = new_key()
    writer = store.open_writer(key)
    writer.write(payload(6000))
    with pytest.raises(StoreError, match="at most 10000 bytes"):
        writer.write(payload(6000, seed=1))
    writer.cancel()
    with pytest.raises(ObjectNotFound):
        store.open_reader(key)


def test_uncommitted_objects_are_invisible(store: DatabaseStore) -> None:
    key = new_key()
    writer = store.open_writer(key)
    writer.write(payload(3000))
    with pytest.raises(ObjectNotFound):
        store.open_reader(key)
    writer.commit()
    assert b"".join(store.open_reader(key).chunks) == payload(3000)


@pytest.mark.parametrize(
    ("start", "end"), [(0, 1023), (1023, 1024), (1024, 2047), (1000, 5000), (4999, 4999)]
)
def test_ranges_across_chunk_boundaries(store: DatabaseStore, start: int, end: int) -> None:
    data = payload(5000)
    key = new_key()
    writer = store.open_writer(key)
    for offset in range(0, len(data), 700):
        writer.write(data[offset : offset + 700])
    writer.commit()
    handle = store.open_reader(key, ByteRange(start, end))
    assert handle.size == 5000
    assert b"".join(handle.chunks) == data[start : end + 1]


def test_options_are_checked() -> None:
    with pytest.raises(StoreConfigError, match="'url' is required"):
        from_options("db", {})
    with pytest.raises(StoreConfigError, match="unknown"):
        from_options("db", {"url": "sqlite://", "colour": "red"})
