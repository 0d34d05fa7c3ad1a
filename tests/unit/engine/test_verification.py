"""Verified downloads hold the last chunk back until the bytes are known to be as recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from artifacts.engine.verification import CorruptBlob, verified
from artifacts.store.base import ReadHandle

CHUNKS = [b"first chunk ", b"second chunk ", b"last chunk"]
DATA = b"".join(CHUNKS)


class Tracked:
    def __init__(self, chunks: list[bytes]) -> None:
        self.closed = False
        self._chunks = chunks

    def handle(self) -> ReadHandle:
        return ReadHandle(size=sum(map(len, self._chunks)), chunks=self._iterate())

    def _iterate(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        finally:
            self.closed = True


def test_bytes_as_recorded_stream_whole_and_release_the_store() -> None:
    source = Tracked(CHUNKS)
    handle = verified(source.handle(), hashlib.sha256(DATA).hexdigest(), "images/x/image")

    assert handle.file is None
    assert b"".join(handle.chunks) == DATA
    assert source.closed


def test_corrupt_bytes_fail_before_the_last_chunk(caplog: pytest.LogCaptureFixture) -> None:
    source = Tracked([*CHUNKS[:-1], b"LAST CHUNK"])
    handle = verified(source.handle(), hashlib.sha256(DATA).hexdigest(), "images/x/image")

    sent: list[bytes] = []
    with pytest.raises(CorruptBlob, match="images/x/image"):
        sent.extend(handle.chunks)

    assert sent == CHUNKS[:-1]
    assert source.closed
    assert "does not match its recorded sha256" in caplog.text


def test_an_empty_blob_verifies() -> None:
    handle = verified(Tracked([]).handle(), hashlib.sha256(b"").hexdigest(), "empty")
    assert list(handle.chunks) == []
