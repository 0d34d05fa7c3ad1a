"""Microsoft's VHDX, from the [MS-VHDX] specification (little-endian, GUIDs in mixed endian).

The first MiB is the header section: the file identifier ``vhdxfile`` at 0, two headers at 64
and 128 KiB, and the region table at 192 KiB (``regi``, a checksum, an entry count, then entries
of GUID, file offset, length, required flag). The metadata region it points to (1 MiB-aligned,
after the header section) starts with a table (``metadata``, entry count, entries of item GUID,
offset within the region, length, flags); the items hold the virtual disk size and the file
parameters, whose HasParent flag marks a differencing disk.

Refused: a differencing disk (HasParent, or a parent locator item), and any region or metadata
item marked *required* that this code does not know, as the specification tells readers to
refuse them.
"""

from __future__ import annotations

import uuid

from type_plugins.images.inspection.probe import ImageRejected, Probe, Region, unpack

SIGNATURE = b"vhdxfile"
REGION_TABLE = 192 * 1024
MAX_ENTRIES = 2047
ENTRY = 32
BAT = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
METADATA = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
FILE_PARAMETERS = uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
PAGE_83 = uuid.UUID("BECA12AB-B2E6-4523-93EF-C309E000C746")
LOGICAL_SECTOR = uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
PHYSICAL_SECTOR = uuid.UUID("CDA348C7-445D-4471-9CC9-E9885251C556")
PARENT_LOCATOR = uuid.UUID("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")
KNOWN_ITEMS = {FILE_PARAMETERS, VIRTUAL_DISK_SIZE, PAGE_83, LOGICAL_SECTOR, PHYSICAL_SECTOR}
HAS_PARENT = 1 << 1
ITEM_REQUIRED = 1 << 2
HEADER_SECTION = 1024 * 1024


class VhdxProbe(Probe):
    NAME = "vhdx"

    def __init__(self) -> None:
        super().__init__()
        self._ident = self.region(0, len(SIGNATURE))
        self._regions = self.region(REGION_TABLE, 16)
        self._metadata: Region | None = None
        self._size_item: Region | None = None
        self._parameters: Region | None = None

    def recognised(self) -> bool:
        return bytes(self._ident.data) == SIGNATURE

    def step(self) -> None:
        if self._ident.complete and not self.recognised():
            self.no_match()
            return
        if self._metadata is None:
            if self._regions.complete:
                self._read_region_table()
        elif self._size_item is None:
            if self._metadata.missed:
                raise ImageRejected("The VHDX metadata region lies inside the header section.")
            if self._metadata.complete:
                self._read_metadata_table()
        if self._size_item is not None and self._parameters is not None:
            self._conclude(self._size_item, self._parameters)

    def _read_region_table(self) -> None:
        data = self._regions.data
        if bytes(data[:4]) != b"regi":
            raise ImageRejected("The VHDX region table is missing.")
        (count,) = unpack("<I", data, 8)
        if count > MAX_ENTRIES:
            raise ImageRejected(f"The VHDX region table has too many entries ({count}).")
        if len(data) < 16 + count * ENTRY:
            self._regions.grow(16 + count * ENTRY)
            return
        for index in range(count):
            at = 16 + index * ENTRY
            guid = uuid.UUID(bytes_le=bytes(data[at : at + 16]))
            offset, _length, required = unpack("<QII", data, at + 16)
            if guid == METADATA:
                if offset < HEADER_SECTION:
                    raise ImageRejected("The VHDX metadata region lies inside the header section.")
                self._metadata = self.region(offset, ENTRY)
            elif guid != BAT and required & 1:
                raise ImageRejected(
                    f"The VHDX requires a region this service does not know ({guid})."
                )
        if self._metadata is None:
            raise ImageRejected("The VHDX has no metadata region.")

    def _read_metadata_table(self) -> None:
        assert self._metadata is not None
        data = self._metadata.data
        if bytes(data[:8]) != b"metadata":
            raise ImageRejected("The VHDX metadata table is missing.")
        (count,) = unpack("<H", data, 10)
        if count > MAX_ENTRIES:
            raise ImageRejected(f"The VHDX metadata table has too many entries ({count}).")
        if len(data) < ENTRY + count * ENTRY:
            self._metadata.grow(ENTRY + count * ENTRY)
            return
        for index in range(count):
            at = ENTRY + index * ENTRY
            guid = uuid.UUID(bytes_le=bytes(data[at : at + 16]))
            offset, length, flags = unpack("<III", data, at + 16)
            if guid == PARENT_LOCATOR:
                raise ImageRejected(
                    "The VHDX is a differencing disk of a parent file: it is not self-contained."
                )
            if guid in (VIRTUAL_DISK_SIZE, FILE_PARAMETERS):
                if length != 8 or offset < ENTRY + count * ENTRY:
                    raise ImageRejected(f"The VHDX metadata item {guid} is malformed.")
                item = self.region(self._metadata.offset + offset, 8)
                if guid == VIRTUAL_DISK_SIZE:
                    self._size_item = item
                else:
                    self._parameters = item
            elif guid not in KNOWN_ITEMS and flags & ITEM_REQUIRED:
                raise ImageRejected(
                    f"The VHDX requires a metadata item this service does not know ({guid})."
                )
        if self._size_item is None or self._parameters is None:
            raise ImageRejected("The VHDX metadata lacks its virtual size or file parameters.")

    def _conclude(self, size_item: Region, parameters: Region) -> None:
        if size_item.missed or parameters.missed:
            raise ImageRejected("The VHDX metadata items overlap the metadata table.")
        if not (size_item.complete and parameters.complete):
            return
        (_block_size, flags) = unpack("<II", parameters.data)
        if flags & HAS_PARENT:
            raise ImageRejected(
                "The VHDX is a differencing disk of a parent file: it is not self-contained."
            )
        (virtual_size,) = unpack("<Q", size_item.data)
        self.match(virtual_size)
