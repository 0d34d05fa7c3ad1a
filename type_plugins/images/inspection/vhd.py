"""Microsoft's VHD (QEMU's "vpc"), from the Virtual Hard Disk Image Format Specification.

Every VHD ends with a 512-byte big-endian footer: cookie ``conectix``, features, version, data
offset, timestamps, creator, original and current size, geometry, disk type, checksum (the
one's complement of the byte sum with the checksum field as zero), unique id. Dynamic and
differencing disks also carry a copy of the footer at offset 0; a fixed disk has it only at
the end, after the raw data, so the probe keeps the stream's last sector to look at.

A differencing disk reads through to a parent file named in its header: refused.
"""

from __future__ import annotations

from type_plugins.images.inspection.probe import ImageRejected, Probe, Verdict, unpack

COOKIE = b"conectix"
FOOTER = 512
FIXED, DYNAMIC, DIFFERENCING = 2, 3, 4
SUBFORMATS = {FIXED: "fixed", DYNAMIC: "dynamic"}


class VhdProbe(Probe):
    NAME = "vhd"
    TAIL = FOOTER

    def __init__(self) -> None:
        super().__init__()
        self._copy = self.region(0, FOOTER)

    def recognised(self) -> bool:
        return self._copy.data.startswith(COOKIE)

    def step(self) -> None:
        data = self._copy.data
        if len(data) >= len(COOKIE) and not self.recognised():
            # Not a dynamic disk; it may still be a fixed one: wait for the stream's end.
            self.regions.clear()
        elif self._copy.complete:
            self._read_footer(bytes(data))

    def finish(self, size: int, tail: bytes) -> None:
        if self.verdict is Verdict.PENDING and not self.recognised():
            if size >= FOOTER and tail[-FOOTER:].startswith(COOKIE):
                self._read_footer(tail[-FOOTER:])
            else:
                self.no_match()
        super().finish(size, tail)

    def _read_footer(self, footer: bytes) -> None:
        (checksum,) = unpack(">I", footer, 64)
        if checksum != _checksum(footer):
            raise ImageRejected("The VHD footer's checksum is wrong: the image is corrupt.")
        (current_size,) = unpack(">Q", footer, 48)
        (disk_type,) = unpack(">I", footer, 60)
        if disk_type == DIFFERENCING:
            raise ImageRejected(
                "The VHD is a differencing disk of a parent file: it is not self-contained."
            )
        if disk_type not in SUBFORMATS:
            raise ImageRejected(f"The VHD footer names an unknown disk type ({disk_type}).")
        self.match(current_size, subformat=SUBFORMATS[disk_type])


def _checksum(footer: bytes) -> int:
    total = sum(footer[:64]) + sum(footer[68:FOOTER])
    return ~total & 0xFFFFFFFF
