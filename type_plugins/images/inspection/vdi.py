"""VirtualBox's VDI, from VirtualBox's VDICore.h and QEMU's block/vdi.c.

The header follows a 64-byte text banner: signature 0xbeda107f, version (1.1 is the only one in
use), header size, image type (1 dynamic, 2 fixed, 3 undo, 4 differencing), flags, comment,
offsets, geometry, then the disk size in bytes at 0x170 and the image's, snapshot's and parent's
UUIDs. A differencing image, or any image naming a parent (a non-zero link UUID), reads through
to another file: refused.
"""

from __future__ import annotations

from type_plugins.images.inspection.probe import ImageRejected, Probe, unpack

SIGNATURE = 0xBEDA107F
VERSION_1_1 = 0x00010001
HEADER = 0x1C8
TYPES = {1: "dynamic", 2: "fixed"}
DIFFERENCING = (3, 4)
LINK_UUID = slice(0x1A8, 0x1B8)


class VdiProbe(Probe):
    NAME = "vdi"

    def __init__(self) -> None:
        super().__init__()
        self._header = self.region(0, HEADER)

    def recognised(self) -> bool:
        data = self._header.data
        return len(data) >= 0x44 and unpack("<I", data, 0x40)[0] == SIGNATURE

    def step(self) -> None:
        data = self._header.data
        if len(data) >= 0x44 and not self.recognised():
            self.no_match()
        elif self._header.complete:
            (version,) = unpack("<I", data, 0x44)
            if version != VERSION_1_1:
                raise ImageRejected(
                    f"VDI version {version >> 16}.{version & 0xFFFF} is not supported."
                )
            (image_type,) = unpack("<I", data, 0x4C)
            if image_type in DIFFERENCING or any(data[LINK_UUID]):
                raise ImageRejected(
                    "The VDI is a differencing image of a parent file: it is not self-contained."
                )
            if image_type not in TYPES:
                raise ImageRejected(f"The VDI header names an unknown image type ({image_type}).")
            (disk_size,) = unpack("<Q", data, 0x170)
            self.match(disk_size, subformat=TYPES[image_type])
