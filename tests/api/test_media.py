"""Response bodies: compact UTF-8 JSON, whatever a stored document holds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.media import dumps


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bolt", "tags": ["a", "b"], "size": 2**63 - 1, "ratio": 0.1, "none": None},
        {"description": "café ☕ 🚀, and more", "nested": {"list": [1, [2, {"x": True}]]}},
        {"big": 2**70, "negative": -(2**64)},  # past 64 bits: orjson refuses them
        {"lone": "\ud800"},  # a lone surrogate, which UTF-8 cannot carry
        [],
    ],
)
def test_a_body_reads_back_as_what_was_written(body: Any) -> None:
    written = dumps(body)

    assert isinstance(written, bytes)
    assert json.loads(written) == body
    assert b'": ' not in written  # compact: no space after a key
    assert b"}, " not in written


def test_non_ascii_text_is_written_as_utf8() -> None:
    assert dumps({"d": "café"}) == '{"d":"café"}'.encode()
