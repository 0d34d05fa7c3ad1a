"""LUKS encrypted disks, from cryptsetup's LUKS1 and LUKS2 on-disk format specifications.

Both start with the magic ``LUKS\\xba\\xbe`` and a big-endian version. LUKS1's header is a fixed
592-byte structure (cipher name and mode, hash, the payload's offset in 512-byte sectors, key
size, UUID, eight key slots). LUKS2's is a 4096-byte binary header (header size, sequence id,
label, checksum algorithm, salt, UUID, the header's own offset, checksum) followed by a JSON
area; the whole header, JSON included, is covered by the checksum, which is verified here. The
data segment (its offset and cipher) is read from the JSON.

The virtual size is what the encrypted payload holds: the data after the payload offset (or
the segment's fixed size). An encrypted disk carries nothing that points outside itself, so it
is not refused for safety; it is its own disk format, ``luks``, and is refused when declared
``raw`` (a hypervisor would otherwise hand the guest ciphertext, or a crafted header).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from type_plugins.images.inspection.probe import ImageRejected, Probe, Verdict, unpack

MAGIC = b"LUKS\xba\xbe"
SECTOR = 512
LUKS1_HEADER = 592
LUKS2_BINARY = 4096
#: The header sizes the LUKS2 specification allows (binary header and JSON area together).
LUKS2_SIZES = frozenset(2**n * 1024 for n in range(4, 13))
_CHECKSUM = slice(448, 448 + 64)


class LuksProbe(Probe):
    NAME = "luks"

    def __init__(self) -> None:
        super().__init__()
        self._header = self.region(0, LUKS1_HEADER)
        self._version = 0
        self._payload_offset = 0
        self._segment_size: int | None = None
        self._details: dict[str, str] = {}

    def recognised(self) -> bool:
        return bytes(self._header.data[:6]) == MAGIC

    def step(self) -> None:
        data = self._header.data
        if self._version:
            if self._header.complete:
                self._read_luks2(bytes(data))
            return
        if len(data) >= 6 and not self.recognised():
            self.no_match()
        elif len(data) >= 8:
            (version,) = unpack(">H", data, 6)
            if version == 1 and self._header.complete:
                self._read_luks1(bytes(data))
            elif version == 2 and len(data) >= 16:
                (size,) = unpack(">Q", data, 8)
                if size not in LUKS2_SIZES:
                    raise ImageRejected(f"The LUKS2 header size {size} is not a valid one.")
                self._version = 2
                self._header.grow(size)
            elif version not in (1, 2):
                raise ImageRejected(f"LUKS version {version} is not supported.")

    def finish(self, size: int, tail: bytes) -> None:
        if self.verdict is Verdict.PENDING and self._details:
            if self._segment_size is not None:
                virtual = self._segment_size
            else:
                virtual = size - self._payload_offset
            if virtual < 0 or self._payload_offset + (self._segment_size or 0) > size:
                raise ImageRejected("The LUKS image ends before its encrypted payload does.")
            self.match(virtual, **self._details)
            return
        super().finish(size, tail)

    def _read_luks1(self, data: bytes) -> None:
        cipher, mode, hash_spec = (_text(data[at : at + 32]) for at in (8, 40, 72))
        payload, key_bytes = unpack(">II", data, 104)
        if not cipher or not mode or not key_bytes:
            raise ImageRejected("The LUKS1 header names no cipher or key size.")
        if payload * SECTOR < LUKS1_HEADER:
            raise ImageRejected("The LUKS1 payload offset lies inside its own header.")
        self._payload_offset = payload * SECTOR
        self._details = {
            "luks_version": "1",
            "cipher": f"{cipher}-{mode}",
            "hash": hash_spec,
            "key_bits": str(key_bytes * 8),
        }

    def _read_luks2(self, data: bytes) -> None:
        (header_offset,) = unpack(">Q", data, 8 + 8 + 8 + 48 + 32 + 64 + 40 + 48)
        if header_offset != 0:
            raise ImageRejected("The image starts with a secondary LUKS2 header.")
        algorithm = _text(data[72:104])
        try:
            digest = hashlib.new(algorithm)
        except ValueError:
            raise ImageRejected(
                f"The LUKS2 header's checksum algorithm {algorithm!r} is unknown."
            ) from None
        digest.update(data[: _CHECKSUM.start] + bytes(64) + data[_CHECKSUM.stop :])
        if digest.digest() != data[_CHECKSUM][: digest.digest_size]:
            raise ImageRejected("The LUKS2 header's checksum is wrong: the header is corrupt.")
        try:
            metadata = json.loads(data[LUKS2_BINARY:].rstrip(b"\0"))
            segments: dict[str, Any] = metadata["segments"]
            keyslots: dict[str, Any] = metadata.get("keyslots", {})
            segment = segments[min(segments, key=int)]
            offset = int(segment["offset"])
            size = segment.get("size", "dynamic")
            self._segment_size = None if size == "dynamic" else int(size)
            cipher = str(segment.get("encryption", ""))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ImageRejected("The LUKS2 header's JSON metadata is malformed.") from None
        if offset < len(data) or (self._segment_size is not None and self._segment_size < 0):
            raise ImageRejected("The LUKS2 data segment lies inside the header.")
        self._payload_offset = offset
        self._details = {"luks_version": "2", "cipher": cipher, "key_slots": str(len(keyslots))}


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("ascii", "replace")
