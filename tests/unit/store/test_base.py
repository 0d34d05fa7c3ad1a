"""The contract's own rules: key validation and byte ranges."""

from __future__ import annotations

import os.path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifacts.store.base import ByteRange, InvalidKey, validate_key


@given(st.text(alphabet="ab./-_\\ \x00\u00e9", min_size=0, max_size=24))
def test_a_valid_key_never_leaves_its_root(key: str) -> None:
    try:
        validate_key(key)
    except InvalidKey:
        return
    root = "/srv/store"
    path = os.path.normpath(os.path.join(root, key))
    assert path.startswith(root + "/")
    assert path == f"{root}/{key}"  # nothing to normalise: the key is already canonical


@pytest.mark.parametrize("key", ["a", "blobs/ab/ab-12/field/0f3a.tar.gz", "a/b_c/D-9"])
def test_ordinary_keys_pass(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 4)])
def test_nonsense_ranges_are_refused_at_construction(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="invalid byte range"):
        ByteRange(start, end)


def test_range_length_is_inclusive() -> None:
    assert ByteRange(0, 0).length == 1
    assert ByteRange(10, 19).length == 10
