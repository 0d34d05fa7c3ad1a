"""A push parser for tar archives: fed chunks as they arrive, it reports each member in turn.

``tarfile``'s stream mode pulls from a file object; the upload pipeline pushes chunks, so this
reads the format itself (POSIX ustar, with pax and GNU long-name headers, and GNU base-256
sizes, which is what tar writers emit for large disks). It keeps no more than one 512-byte
header and a bounded extended header in memory; member data is handed on as slices of the
chunks it arrives in, never gathered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

BLOCK = 512
#: Largest pax or GNU long-name header accepted (names and a size, nothing more is needed).
MAX_EXTENDED = 64 * 1024

_REGULAR = frozenset({b"0", b"\0", b"7"})


class TarError(Exception):
    """The archive is malformed, or holds something an OVA may not (links, directories)."""


@dataclass(frozen=True)
class Member:
    name: str
    size: int


class Use(Enum):
    """What the reader does with a member's data."""

    SKIP = "skip"
    #: Handed on, slice by slice, from :meth:`TarReader.feed`.
    PASS = "pass"
    #: Gathered, and given whole to ``on_end`` (for a small member: the caller bounds it).
    KEEP = "keep"


class TarReader:
    """Feed chunks; members are announced to ``on_member``, which says what to do with them.

    ``on_member`` returns :class:`Use`; the data of a passed member comes back from
    :meth:`feed`, slice by slice, and ``on_end`` is called after each member's last byte, with
    the member's data if it was kept.
    """

    def __init__(
        self,
        on_member: Callable[[Member], Use],
        on_end: Callable[[Member, bytes | None], None],
    ) -> None:
        self._on_member = on_member
        self._on_end = on_end
        self._header = bytearray()
        self._extended = bytearray()
        self._extended_kind = b""
        self._overrides: dict[str, str] = {}
        self._member: Member | None = None
        self._use = Use.SKIP
        self._kept = bytearray()
        self._left = 0  # data bytes left in the current member (or extended header)
        self._pad = 0  # padding bytes left after it
        self._ended = False

    @property
    def between_members(self) -> bool:
        """True when the stream may end here (no member or header is cut off)."""
        return self._left == 0 and self._pad == 0 and not self._header

    def feed(self, chunk: bytes) -> Iterator[memoryview]:
        view = memoryview(chunk)
        while view:
            if self._left:
                take = min(self._left, len(view))
                part, view = view[:take], view[take:]
                self._left -= take
                if self._extended_kind:
                    self._extended += part
                elif self._use is Use.PASS:
                    yield part
                elif self._use is Use.KEEP:
                    self._kept += part
                if not self._left:
                    self._member_done()
            elif self._pad:
                take = min(self._pad, len(view))
                view = view[take:]
                self._pad -= take
            elif self._ended:
                if any(view):
                    raise TarError("data follows the archive's end-of-archive marker")
                view = view[len(view) :]
            else:
                take = min(BLOCK - len(self._header), len(view))
                self._header += view[:take]
                view = view[take:]
                if len(self._header) == BLOCK:
                    block, self._header = bytes(self._header), bytearray()
                    self._begin(block)

    def _begin(self, block: bytes) -> None:
        if not any(block):
            self._ended = True  # the end-of-archive marker (a second zero block may follow)
            return
        _verify_checksum(block)
        kind = block[156:157]
        size = _number(block[124:136])
        if kind in (b"x", b"L"):
            if size > MAX_EXTENDED:
                raise TarError(f"an extended tar header of {size} bytes is too large")
            self._extended_kind, self._left, self._pad = kind, size, _padding(size)
            if not size:
                self._member_done()
            return
        if kind == b"g":
            raise TarError("global pax headers are not accepted in an OVA")
        name = self._overrides.pop("path", "") or _name(block)
        size = int(self._overrides.pop("size", size))
        self._overrides.clear()
        if kind not in _REGULAR:
            raise TarError(f"member {name!r} is not a regular file (tar type {kind!r})")
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise TarError(f"member name {name!r} is absolute or leaves the archive")
        self._member = Member(name, size)
        self._use = self._on_member(self._member)
        self._left, self._pad = size, _padding(size)
        if not size:
            self._member_done()

    def _member_done(self) -> None:
        if self._extended_kind:
            data, kind = bytes(self._extended), self._extended_kind
            self._extended, self._extended_kind = bytearray(), b""
            if kind == b"L":
                self._overrides["path"] = data.rstrip(b"\0").decode("utf-8", "replace")
            else:
                self._overrides.update(_pax_records(data))
            return
        assert self._member is not None
        member, use, self._member, self._use = self._member, self._use, None, Use.SKIP
        kept, self._kept = bytes(self._kept), bytearray()
        self._on_end(member, kept if use is Use.KEEP else None)


def _padding(size: int) -> int:
    return -size % BLOCK


def _verify_checksum(block: bytes) -> None:
    try:
        stored = int(block[148:156].replace(b"\0", b" ").strip() or b"-1", 8)
    except ValueError:
        raise TarError("a tar header has an unreadable checksum") from None
    computed = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored != computed:
        raise TarError("a tar header's checksum is wrong (not a tar archive, or corrupt)")


def _number(field: bytes) -> int:
    if field[0] & 0x80:  # GNU base-256, for sizes past 8 GiB
        if field[0] != 0x80:
            raise TarError("a tar header has a negative size")
        return int.from_bytes(field[1:], "big")
    text = field.replace(b"\0", b" ").strip()
    try:
        return int(text or b"0", 8)
    except ValueError:
        raise TarError("a tar header has an unreadable size") from None


def _name(block: bytes) -> str:
    name = block[0:100].split(b"\0", 1)[0]
    if block[257:262] == b"ustar":
        prefix = block[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return name.decode("utf-8", "replace")


def _pax_records(data: bytes) -> dict[str, str]:
    """``<length> <key>=<value>\\n`` records; only path and size matter here."""
    found: dict[str, str] = {}
    at = 0
    while at < len(data):
        space = data.find(b" ", at)
        try:
            length = int(data[at:space])
        except ValueError:
            raise TarError("a pax header is malformed") from None
        record = data[space + 1 : at + length]
        if length <= 0 or space < 0 or not record.endswith(b"\n") or b"=" not in record:
            raise TarError("a pax header is malformed")
        key, value = record[:-1].split(b"=", 1)
        if key in (b"path", b"size"):
            text = value.decode("utf-8", "replace")
            if key == b"size" and not text.isdigit():
                raise TarError("a pax header has an unreadable size")
            found[key.decode()] = text
        at += length
    return found
