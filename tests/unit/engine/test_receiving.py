"""A declared sha256 is of the bytes the client sent, whether or not a transform rewrites them."""

from __future__ import annotations

import hashlib
import io

import pytest

from artifacts.engine.blobs.receiving import receive
from artifacts.engine.blobs.reservation import Reservation
from artifacts.engine.digests import Digester
from artifacts.engine.validation import RunningTransform
from artifacts.errors import InvalidInput
from artifacts.model.transforms import Transform

SENT = b"the bytes a client sent " * 4096


class _Upper(Transform):
    def feed(self, chunk: bytes) -> bytes:
        return chunk.upper()


def _receive(expect_sha256: str, transform: RunningTransform | None) -> str:
    digester = Digester()
    reservation = Reservation(len(SENT), len(SENT), lambda _n: None, None)
    digests, _found = receive(
        io.BytesIO(SENT), digester, reservation, len(SENT), "data",
        transform=transform, expect_sha256=expect_sha256,
    )  # fmt: skip
    return digests.sha256


@pytest.mark.parametrize("rewritten", [False, True], ids=["as-sent", "rewritten"])
def test_the_declared_digest_is_of_the_sent_bytes(rewritten: bool) -> None:
    transform = RunningTransform(_Upper(), "data") if rewritten else None
    stored = _receive(hashlib.sha256(SENT).hexdigest(), transform)
    expected = SENT.upper() if rewritten else SENT
    assert stored == hashlib.sha256(expected).hexdigest()


@pytest.mark.parametrize("rewritten", [False, True], ids=["as-sent", "rewritten"])
def test_other_bytes_are_refused(rewritten: bool) -> None:
    transform = RunningTransform(_Upper(), "data") if rewritten else None
    declared = hashlib.sha256(SENT.upper() if not rewritten else SENT + b"x").hexdigest()
    with pytest.raises(InvalidInput, match="not the declared"):
        _receive(declared, transform)
