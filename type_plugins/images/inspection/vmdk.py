"""VMware's VMDK, from the Virtual Disk Format 5.0 technical note and QEMU's block/vmdk.c.

A hosted sparse extent starts with a 512-byte little-endian header (magic ``KDMV``, version,
flags, capacity in sectors, grain size, descriptor offset and size in sectors, ...) and embeds a
text descriptor: header lines (``createType="monolithicSparse"``, ``parentCID=ffffffff``), extent
lines (``RW 20480 SPARSE "disk.vmdk"``) and a disk database (``ddb.*``).

A VMDK is dangerous when it makes the reader open other files: a descriptor-only VMDK (text, its
extents elsewhere: monolithicFlat, vmfs, ...), extents of type FLAT or VMFS naming host paths, or
a delta link to a parent disk. So an upload must be a single sparse file whose one extent is
itself, of a create type the deployment allows, with no parent. Every descriptor line must be
one of the kinds above; anything else is refused rather than skipped.

A streamOptimized VMDK may keep its real header in a footer (``gdOffset`` = GD_AT_END); the
footer is checked at the end of the stream to agree with the header about the descriptor and
the capacity, so no second descriptor can hide there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from type_plugins.images.inspection.probe import ImageRejected, Probe, Region, Verdict, unpack

SPARSE_MAGIC = b"KDMV"
COWD_MAGIC = b"COWD"
DESCRIPTOR_FILE = b"# Disk DescriptorFile"
SECTOR = 512
GD_AT_END = 0xFFFFFFFFFFFFFFFF
MAX_DESCRIPTOR = 1 << 20
NO_PARENT = "ffffffff"
#: The create types that are one self-contained file.
DEFAULT_CREATE_TYPES = frozenset({"monolithicSparse", "streamOptimized"})

_EXTENT = re.compile(
    r'^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?$', re.IGNORECASE
)
_SETTING = re.compile(r"^([A-Za-z][\w.]*)\s*=\s*(.*)$")


class VmdkProbe(Probe):
    NAME = "vmdk"
    #: streamOptimized footer: footer marker, footer header, end-of-stream marker.
    TAIL = 3 * SECTOR

    def __init__(self, allowed_create_types: Iterable[str] = DEFAULT_CREATE_TYPES) -> None:
        super().__init__()
        self._allowed = {name.lower(): name for name in allowed_create_types}
        self._header = self.region(0, SECTOR)
        self._descriptor: Region | None = None
        self._create_type = ""
        self._footer_expected = False

    def recognised(self) -> bool:
        return bytes(self._header.data[:4]) == SPARSE_MAGIC

    def step(self) -> None:
        data = self._header.data
        if self._descriptor is None:
            if len(data) >= len(DESCRIPTOR_FILE) and data.startswith(DESCRIPTOR_FILE):
                raise ImageRejected(
                    "The VMDK is a descriptor file whose extents point to other files; upload "
                    "a single-file VMDK (monolithicSparse or streamOptimized)."
                )
            if len(data) >= 4 and bytes(data[:4]) == COWD_MAGIC:
                raise ImageRejected(
                    "ESX sparse (COWD) VMDKs are delta disks of a parent file and are not "
                    "accepted; upload a monolithicSparse or streamOptimized VMDK."
                )
            if len(data) >= 4 and not self.recognised() and not DESCRIPTOR_FILE.startswith(data):
                self.no_match()
                return
            if self._header.complete and self.recognised():
                self._read_header()
            return
        if self._descriptor.complete and not self._create_type:
            self._read_descriptor(bytes(self._descriptor.data))
            if not self._footer_expected:
                self.match(self._capacity(self._header.data), create_type=self._create_type)

    def _read_header(self) -> None:
        version, _flags, _capacity, _grain, desc_sector, desc_sectors = unpack(
            "<IIQQQQ", self._header.data, 4
        )
        (gd_offset,) = unpack("<Q", self._header.data, 56)
        if version not in (1, 2, 3):
            raise ImageRejected(f"VMDK version {version} is not supported.")
        if not desc_sector or not desc_sectors:
            raise ImageRejected("The VMDK has no embedded descriptor.")
        if desc_sectors * SECTOR > MAX_DESCRIPTOR:
            raise ImageRejected("The VMDK descriptor is larger than 1 MiB.")
        self._footer_expected = gd_offset == GD_AT_END
        self._descriptor = self.region(desc_sector * SECTOR, desc_sectors * SECTOR)

    def _read_descriptor(self, raw: bytes) -> None:
        try:
            text = raw.rstrip(b"\x00").decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImageRejected("The VMDK descriptor is not text.") from exc
        settings: dict[str, str] = {}
        extents: list[re.Match[str]] = []
        for number, line in enumerate((part.strip() for part in text.splitlines()), 1):
            if not line or line.startswith("#"):
                continue
            if extent := _EXTENT.match(line):
                extents.append(extent)
            elif setting := _SETTING.match(line):
                settings[setting.group(1).lower()] = setting.group(2).strip().strip('"')
            else:
                raise ImageRejected(
                    f"Line {number} of the VMDK descriptor is not a setting, an extent or a "
                    "comment."
                )
        create_type = settings.get("createtype", "")
        if not create_type:
            raise ImageRejected("The VMDK descriptor has no createType.")
        if create_type.lower() not in self._allowed:
            allowed = ", ".join(sorted(self._allowed.values()))
            raise ImageRejected(
                f"VMDK create type {create_type!r} is not accepted (accepted: {allowed})."
            )
        if settings.get("parentcid", NO_PARENT).lower() != NO_PARENT:
            raise ImageRejected(
                "The VMDK is a delta disk of a parent disk: it is not self-contained."
            )
        _check_extents(extents)
        self._create_type = self._allowed[create_type.lower()]

    def finish(self, size: int, tail: bytes) -> None:
        if self.verdict is Verdict.PENDING and self._create_type and self._footer_expected:
            footer = tail[SECTOR : 2 * SECTOR]
            if len(tail) < self.TAIL or not footer.startswith(SPARSE_MAGIC):
                raise ImageRejected("The VMDK announces a footer but has none.")
            # capacity, grain size, descriptor offset and size
            if bytes(footer[12:44]) != bytes(self._header.data[12:44]):
                raise ImageRejected("The VMDK footer disagrees with its header.")
            self.match(self._capacity(self._header.data), create_type=self._create_type)
        super().finish(size, tail)

    @staticmethod
    def _capacity(header: bytes | bytearray) -> int:
        (capacity,) = unpack("<Q", header, 12)
        return capacity * SECTOR


def _check_extents(extents: list[re.Match[str]]) -> None:
    if len(extents) != 1:
        raise ImageRejected(
            f"The VMDK descriptor lists {len(extents)} extents; a single-file VMDK has one."
        )
    kind, name = extents[0].group(3), extents[0].group(4) or ""
    if kind.upper() != "SPARSE":
        raise ImageRejected(
            f"The VMDK extent is of type {kind}, which points to another file; only the "
            "file's own SPARSE extent is accepted."
        )
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ImageRejected("The VMDK extent names a path outside the image file.")
