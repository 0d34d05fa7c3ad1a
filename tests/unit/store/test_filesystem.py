"""What only the filesystem driver promises: confinement to root, atomic commits, sweeping."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from artifacts.store.base import InvalidKey, StoreError, read_object, write_object
from artifacts.store.filesystem import FilesystemStore, from_options
from tests.unit.store.conftest import new_key, payload

NOW = 1_700_000_000.0


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize(
    "key",
    ["../outside", "blobs/../../outside", "/tmp/outside", "tmp/abc", "tmp", "blobs/a/../../.."],
)
def test_keys_cannot_escape_root_or_reach_tmp(tmp_path: Path, key: str) -> None:
    store = FilesystemStore("fs", tmp_path / "root")
    with pytest.raises(InvalidKey):
        store.open_writer(key)
    with pytest.raises(InvalidKey):
        store.open_reader(key)
    with pytest.raises(InvalidKey):
        store.delete(key)
    assert tree(tmp_path) == []  # nothing created, inside root or out


def test_commit_is_an_atomic_rename_from_tmp(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path)
    key = new_key()
    final = tmp_path / key
    writer = store.open_writer(key)
    writer.write(b"half")
    writer.write(b" and half")
    assert not final.exists()
    assert not final.parent.exists()  # directories appear only with the object
    [temp] = (tmp_path / "tmp").iterdir()
    inode = temp.stat().st_ino
    writer.commit()
    assert final.read_bytes() == b"half and half"
    assert final.stat().st_ino == inode  # renamed, not copied
    assert list((tmp_path / "tmp").iterdir()) == []


def test_reader_offers_a_real_file_for_sendfile(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path)
    key = new_key()
    write_object(store, key, [payload(1000)])
    handle = store.open_reader(key)
    try:
        assert handle.file is not None
        assert os.fstat(handle.file.fileno()).st_size == 1000
        assert handle.file.tell() == 0
    finally:
        handle.close()
    assert handle.file.closed


def test_sweep_removes_only_old_temporary_files(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path, clock=lambda: NOW)
    assert store.sweep_temporary(dt.timedelta(hours=1)) == 0  # no tmp/ yet
    committed_key = new_key()
    write_object(store, committed_key, [b"committed"])
    os.utime(tmp_path / committed_key, (NOW - 86400, NOW - 86400))
    abandoned = store.open_writer(new_key())
    abandoned.write(b"server died here")
    [old] = (tmp_path / "tmp").iterdir()
    live_key = new_key()
    live = store.open_writer(live_key)
    live.write(b"still uploading")
    [fresh] = set((tmp_path / "tmp").iterdir()) - {old}
    os.utime(old, (NOW - 7200, NOW - 7200))
    os.utime(fresh, (NOW - 60, NOW - 60))

    assert store.sweep_temporary(dt.timedelta(hours=1)) == 1
    assert list((tmp_path / "tmp").iterdir()) == [fresh]
    live.commit()
    assert read_object(store, live_key) == b"still uploading"
    assert read_object(store, committed_key) == b"committed"  # objects are never swept
    with pytest.raises(StoreError):
        abandoned.commit()  # its data is gone: it must not commit an empty object
    abandoned.cancel()


def test_delete_prunes_empty_directories_only(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path)
    key = new_key()
    sibling = key.rsplit("/", 1)[0] + "/sibling"
    write_object(store, key, [b"1"])
    write_object(store, sibling, [b"2"])
    store.delete(key)
    assert (tmp_path / sibling).exists()
    store.delete(sibling)
    assert tree(tmp_path) == ["tmp"]  # root itself stays
    store.delete(sibling)  # and a missing key's directory is not an error


def test_commit_recreates_directories_a_delete_pruned(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path)
    neighbour = new_key()
    key = neighbour.rsplit("/", 1)[0] + "/late"
    write_object(store, neighbour, [b"n"])
    writer = store.open_writer(key)
    writer.write(b"late")
    store.delete(neighbour)  # prunes the directory the writer will need
    writer.commit()
    assert read_object(store, key) == b"late"


def test_failed_commit_is_a_store_error_and_cancel_cleans_up(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path)
    blocker = new_key()
    write_object(store, blocker, [b"a file where a directory must go"])
    writer = store.open_writer(f"{blocker}/child")
    writer.write(b"data")
    with pytest.raises(StoreError):
        writer.commit()
    with pytest.raises(StoreError):
        writer.write(b"more")
    writer.cancel()
    assert list((tmp_path / "tmp").iterdir()) == []
    assert read_object(store, blocker) == b"a file where a directory must go"


def test_check_fails_when_root_is_unusable(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    store = FilesystemStore("fs", not_a_dir)
    with pytest.raises(StoreError, match="not writable"):
        store.check()
    with pytest.raises(StoreError):
        store.open_writer(new_key())


def test_check_creates_nothing_but_tmp(tmp_path: Path) -> None:
    FilesystemStore("fs", tmp_path / "root").check()
    assert tree(tmp_path) == ["root", "root/tmp"]


def test_relative_root_is_fixed_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = from_options("fs", {"root": "blobs-here"})
    monkeypatch.chdir("/")
    assert store.root == tmp_path / "blobs-here"


def test_sweep_threshold_must_not_be_negative(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="negative"):
        FilesystemStore("fs", tmp_path).sweep_temporary(dt.timedelta(seconds=-1))


def test_default_clock_is_the_wall_clock(tmp_path: Path) -> None:
    store = FilesystemStore("fs", tmp_path)
    writer = store.open_writer(new_key())
    [temp] = (tmp_path / "tmp").iterdir()
    os.utime(temp, (time.time() - 7200, time.time() - 7200))
    assert store.sweep_temporary(dt.timedelta(hours=1)) == 1
    writer.cancel()
