"""Partition tables inside a raw disk: the MBR and the GPT (UEFI specification, chapter 5).

An MBR is sector 0 ending in 0x55 0xAA, with four 16-byte partition entries at 446 whose boot
flag is 0x00 or 0x80 (a FAT boot sector also ends in 0x55 0xAA, but has code where the entries
would be). A GPT is a protective MBR (a partition of type 0xEE) and a header reading ``EFI PART``
in the next logical block: at 512 on 512-byte-sector disks, at 4096 on 4Kn ones. Neither is a
format of its own: they are facts about a raw image, recorded as ``partition_table``.
"""

from __future__ import annotations

from type_plugins.images.inspection.probe import Probe, Verdict

SIGNATURE = b"\x55\xaa"
ENTRIES = 446
PROTECTIVE = 0xEE
GPT_SIGNATURE = b"EFI PART"
GPT_HEADERS = (512, 4096)


class PartitionTableProbe(Probe):
    NAME = "partition_table"

    def __init__(self) -> None:
        super().__init__()
        self._mbr = self.region(0, 512)
        self._gpt = [self.region(offset, len(GPT_SIGNATURE)) for offset in GPT_HEADERS]

    def step(self) -> None:
        if not self._mbr.complete:
            return
        mbr = bytes(self._mbr.data)
        entries = [mbr[ENTRIES + i * 16 : ENTRIES + (i + 1) * 16] for i in range(4)]
        if mbr[510:] != SIGNATURE or any(entry[0] not in (0, 0x80) for entry in entries):
            self.no_match()
        elif not any(entry[4] == PROTECTIVE for entry in entries):
            self.match(None, partition_table="mbr")
        elif any(bytes(header.data) == GPT_SIGNATURE for header in self._gpt):
            self.match(None, partition_table="gpt")
        elif all(header.complete for header in self._gpt):
            self.match(None, partition_table="mbr")

    def finish(self, size: int, tail: bytes) -> None:
        if self.verdict is Verdict.PENDING and self._mbr.complete:
            self.match(None, partition_table="mbr")
        super().finish(size, tail)
