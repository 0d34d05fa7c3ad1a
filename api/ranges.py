"""HTTP ``Range`` headers (RFC 9110 section 14): which bytes of a representation are asked for."""

from __future__ import annotations

import re

from artifacts.engine.blobs import ByteRange
from artifacts.errors import RangeNotSatisfiable

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
#: Range positions with more digits than this are past the end of any blob (2**63 has 19).
_RANGE_DIGITS = 19
_PAST_ANY_END: int = 10**_RANGE_DIGITS


def parse_range(header: str, size: int | None) -> ByteRange | None:
    """Parse a single ``bytes=`` range; None means "send everything" (as RFC 9110 allows)."""
    match = _RANGE.match(header.strip())
    if match is None or size is None:
        return None
    first, last = (_position(group) for group in match.groups())
    if first is None and last is None:
        return None
    if first is None:
        assert last is not None
        length = last
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return ByteRange(max(size - length, 0), size - 1)
    start = first
    if last is not None and last < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    end = last if last is not None else size - 1
    return ByteRange(start, min(end, size - 1))


def _position(digits: str) -> int | None:
    """A range position; one too long to be a real offset counts as "past any end"."""
    if not digits:
        return None
    stripped = digits.lstrip("0") or "0"
    if len(stripped) > _RANGE_DIGITS:
        return _PAST_ANY_END
    return int(stripped)
