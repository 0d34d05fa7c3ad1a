"""Virtuozzo's ploop image (QEMU's "parallels"), from QEMU's docs/interop/parallels.txt.

A 64-byte little-endian header: a 16-byte magic (``WithoutFreeSpace``, or ``WithouFreSpacExt``
for the extended variant), version 2, geometry, cluster size in sectors, BAT entries, the disk
size in sectors, an in-use marker, the data offset, flags and the format extension offset. The
image is one file; ploop's chains of deltas live in a DiskDescriptor.xml next to it, which an
upload never carries.
"""

from __future__ import annotations

from type_plugins.images.inspection.probe import ImageRejected, Probe, unpack

MAGICS = {b"WithoutFreeSpace": "legacy", b"WithouFreSpacExt": "extended"}
HEADER = 64
SECTOR = 512


class PloopProbe(Probe):
    NAME = "ploop"

    def __init__(self) -> None:
        super().__init__()
        self._header = self.region(0, HEADER)

    def recognised(self) -> bool:
        return bytes(self._header.data[:16]) in MAGICS

    def step(self) -> None:
        data = self._header.data
        if len(data) >= 16 and not self.recognised():
            self.no_match()
        elif self._header.complete:
            (version,) = unpack("<I", data, 16)
            if version != 2:
                raise ImageRejected(f"ploop header version {version} is not supported.")
            (sectors,) = unpack("<Q", data, 36)
            self.match(sectors * SECTOR, subformat=MAGICS[bytes(data[:16])])
