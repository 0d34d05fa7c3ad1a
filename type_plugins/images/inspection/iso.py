"""ISO 9660 (ECMA-119) and UDF (ECMA-167) optical disc images.

The first 16 sectors of 2048 bytes are a system area (where hybrid images put an MBR or a GPT);
the volume descriptor set starts at sector 16. Each descriptor is a type byte, a five-letter
identifier and a version: ``CD001`` for ISO 9660, whose primary volume descriptor (type 1) holds
the volume space size (blocks, stored little- then big-endian) at byte 80 and the logical block
size at byte 128; ``BEA01``/``NSR02``/``NSR03``/``TEA01`` for UDF's volume recognition sequence.
The probe reads descriptors until it finds the primary one, the set terminator, or 32 of them.
"""

from __future__ import annotations

from type_plugins.images.inspection.probe import ImageRejected, Probe, Region, Verdict, unpack

SECTOR = 2048
FIRST = 16 * SECTOR
MAX_DESCRIPTORS = 32
ISO9660 = b"CD001"
UDF = (b"BEA01", b"NSR02", b"NSR03", b"TEA01", b"BOOT2", b"CDW02")
PRIMARY, TERMINATOR = 1, 255


class IsoProbe(Probe):
    NAME = "iso"

    def __init__(self) -> None:
        super().__init__()
        self._index = 0
        self._current = self._next()
        self._udf = False
        self._iso9660 = False

    def _next(self) -> Region:
        self.regions.clear()
        return self.region(FIRST + self._index * SECTOR, SECTOR)

    def recognised(self) -> bool:
        return self._iso9660 or self._udf

    def step(self) -> None:
        while self._current.complete:
            data = bytes(self._current.data)
            kind, ident = data[0], data[1:6]
            if ident == ISO9660:
                self._iso9660 = True
                if kind == PRIMARY:
                    self._read_primary(data)
                    return
                if kind == TERMINATOR:
                    raise ImageRejected("The ISO image has no primary volume descriptor.")
            elif ident in UDF:
                self._udf = True
            elif self._udf:
                self.match(None, filesystem="udf")  # the recognition sequence ended
                return
            else:
                self.no_match()
                return
            self._index += 1
            if self._index == MAX_DESCRIPTORS:
                raise ImageRejected("The ISO image's volume descriptors never end.")
            self._current = self._next()

    def _read_primary(self, data: bytes) -> None:
        (blocks_le,) = unpack("<I", data, 80)
        (blocks_be,) = unpack(">I", data, 84)
        (block_le,) = unpack("<H", data, 128)
        (block_be,) = unpack(">H", data, 130)
        if blocks_le != blocks_be or block_le != block_be:
            raise ImageRejected("The ISO primary volume descriptor is inconsistent.")
        if block_le not in (512, 1024, 2048, 4096, 8192, 16384, 32768):
            raise ImageRejected(f"The ISO logical block size ({block_le}) is invalid.")
        self.match(blocks_le * block_le, filesystem="udf+iso9660" if self._udf else "iso9660")

    def finish(self, size: int, tail: bytes) -> None:
        if self.verdict is Verdict.PENDING and self._udf and not self._iso9660:
            self.match(None, filesystem="udf")
        super().finish(size, tail)
