"""The parts every format probe is made of: captured regions, a verdict, and refusals.

An upload is a forward-only stream. A probe says which byte ranges of it (regions) it needs; the
inspector copies just those bytes out of the chunks as they pass, then lets the probe look at what
it has. A probe may add or grow regions as it learns where a format keeps its metadata (a qcow2's
header extensions, a VHDX's metadata table), but only forward: a region that points back at bytes
already gone by is *missed*, and the probe treats the image as malformed rather than guessing.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field


class ImageRejected(Exception):
    """The image is unsafe or malformed; ``reason`` says why, in words for the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Verdict(enum.Enum):
    PENDING = "pending"  # still needs bytes
    NO_MATCH = "no match"  # definitely not this format
    MATCH = "match"  # this format, fully checked


@dataclass(frozen=True)
class Finding:
    """What a probe found: the format, its virtual size, and facts worth recording."""

    format: str
    virtual_size: int | None
    details: Mapping[str, str] = field(default_factory=dict)


class Region:
    """A byte range of the stream to keep, filled from the chunks that cover it."""

    __slots__ = ("data", "length", "missed", "offset")

    def __init__(self, offset: int, length: int) -> None:
        self.offset = offset
        self.length = length
        self.data = bytearray()
        self.missed = False

    @property
    def complete(self) -> bool:
        return len(self.data) >= self.length

    def grow(self, length: int) -> None:
        """Extend the region (never shrink it) once its owner knows how much it needs."""
        self.length = max(self.length, length)

    def take(self, chunk: bytes, chunk_start: int) -> bool:
        """Copy the part of ``chunk`` this region still lacks; return whether it took any."""
        if self.missed or self.complete:
            return False
        wanted = self.offset + len(self.data)
        chunk_end = chunk_start + len(chunk)
        if wanted >= chunk_end:
            return False
        if wanted < chunk_start:
            self.missed = True
            return False
        begin = wanted - chunk_start
        self.data += chunk[begin : begin + self.length - len(self.data)]
        return True


class Probe:
    """Recognise and check one format; subclasses define ``NAME`` and ``step``."""

    NAME = ""
    #: Bytes at the end of the stream the probe wants to see (a footer), 0 for none.
    TAIL = 0

    def __init__(self) -> None:
        self.verdict = Verdict.PENDING
        self.finding: Finding | None = None
        self.regions: list[Region] = []

    def region(self, offset: int, length: int) -> Region:
        new = Region(offset, length)
        self.regions.append(new)
        return new

    def offer(self, chunk: bytes, chunk_start: int) -> bool:
        took = False
        for region in self.regions:
            took = region.take(chunk, chunk_start) or took
        return took

    def step(self) -> None:
        """Look at the regions after they took bytes: decide, add regions, or refuse."""
        raise NotImplementedError

    def finish(self, size: int, tail: bytes) -> None:
        """The stream ended after ``size`` bytes; ``tail`` holds its last ``TAIL`` bytes.

        By default a probe still pending was waiting for bytes that never came: if it had
        recognised its format, the image is truncated; otherwise it is not this format.
        """
        if self.verdict is Verdict.PENDING:
            if self.recognised():
                raise ImageRejected(f"The {self.NAME} image is truncated: its metadata is cut off.")
            self.verdict = Verdict.NO_MATCH

    def recognised(self) -> bool:
        """Whether the bytes seen so far carry this format's signature."""
        return False

    def match(self, virtual_size: int | None, **details: str) -> None:
        self.verdict = Verdict.MATCH
        self.finding = Finding(self.NAME, virtual_size, details)

    def no_match(self) -> None:
        self.verdict = Verdict.NO_MATCH


def unpack(fmt: str, data: bytes | bytearray, offset: int = 0) -> tuple[int, ...]:
    """``struct.unpack_from`` for integer fields, typed as such."""
    return struct.unpack_from(fmt, data, offset)
