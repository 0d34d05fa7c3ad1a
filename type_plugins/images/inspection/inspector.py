"""The streaming format inspector: every probe fed from one pass over the upload.

``feed`` takes the chunks as the upload pipeline reads them and ``finish`` names the format. No
chunk is kept: each probe copies only the header bytes it asked for, and the inspector keeps the
stream's last few sectors for the formats with a footer (VHD, streamOptimized VMDK), so memory
stays bounded by the formats' metadata whatever the image's size. A probe that finds something
unsafe raises ``ImageRejected`` from ``feed`` at once, so the upload stops there.

Which format wins: at most one disk format may match (an image that is, say, both a valid qcow2
and a valid ISO is a polyglot, and refused); a partition table is a fact about a raw disk or a
hybrid ISO, not a format; no disk format means ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from type_plugins.images.inspection.iso import IsoProbe
from type_plugins.images.inspection.luks import LuksProbe
from type_plugins.images.inspection.partitions import PartitionTableProbe
from type_plugins.images.inspection.ploop import PloopProbe
from type_plugins.images.inspection.probe import Finding, ImageRejected, Probe, Verdict
from type_plugins.images.inspection.qcow2 import Qcow2Probe, QedProbe
from type_plugins.images.inspection.vdi import VdiProbe
from type_plugins.images.inspection.vhd import VhdProbe
from type_plugins.images.inspection.vhdx import VhdxProbe
from type_plugins.images.inspection.vmdk import DEFAULT_CREATE_TYPES, VmdkProbe

RAW = "raw"
#: What each declarable disk_format must be found to be. The AMI family are raw kernels,
#: ramdisks and machine images: no recognised format may hide behind them either.
EXPECTED = {
    "raw": RAW,
    "ami": RAW,
    "ari": RAW,
    "aki": RAW,
    "qcow2": "qcow2",
    "vmdk": "vmdk",
    "vhd": "vhd",
    "vhdx": "vhdx",
    "vdi": "vdi",
    "iso": "iso",
    "ploop": "ploop",
    "luks": "luks",
}


@dataclass(frozen=True)
class InspectionPolicy:
    """What a deployment accepts beyond the fixed safety rules."""

    vmdk_create_types: frozenset[str] = DEFAULT_CREATE_TYPES


@dataclass(frozen=True)
class Inspection:
    """The verdict on a whole image: its format, virtual size and recorded facts."""

    format: str
    virtual_size: int
    details: Mapping[str, str] = field(default_factory=dict)


class FormatInspector:
    """Feed an image's bytes in order, then ``finish`` to learn what it is."""

    def __init__(self, policy: InspectionPolicy | None = None) -> None:
        policy = policy or InspectionPolicy()
        self._probes: list[Probe] = [
            Qcow2Probe(),
            QedProbe(),
            VmdkProbe(policy.vmdk_create_types),
            VhdProbe(),
            VhdxProbe(),
            VdiProbe(),
            IsoProbe(),
            PloopProbe(),
            LuksProbe(),
            PartitionTableProbe(),
        ]
        self._pending = list(self._probes)
        self._tail_size = max(probe.TAIL for probe in self._probes)
        self._tail = b""
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def feed(self, chunk: bytes) -> None:
        """Look at the next chunk; raise ``ImageRejected`` as soon as the image is unsafe."""
        start = self._size
        self._size += len(chunk)
        if self._pending:
            for probe in self._pending:
                while probe.verdict is Verdict.PENDING and probe.offer(chunk, start):
                    probe.step()
            self._pending = [probe for probe in self._pending if probe.verdict is Verdict.PENDING]
        if len(chunk) >= self._tail_size:
            self._tail = chunk[-self._tail_size :]
        else:
            self._tail = (self._tail + chunk)[-self._tail_size :]

    def finish(self) -> Inspection:
        """Settle every probe on the end of the stream and name the format."""
        for probe in self._pending:
            probe.finish(self._size, self._tail)
        self._pending = []
        found = [p.finding for p in self._probes if p.verdict is Verdict.MATCH and p.finding]
        tables = [f for f in found if f.format == PartitionTableProbe.NAME]
        formats = [f for f in found if f.format != PartitionTableProbe.NAME]
        if len(formats) > 1:
            names = " and ".join(f.format for f in formats)
            raise ImageRejected(f"The image is at once a valid {names} image; it is refused.")
        details = dict(tables[0].details) if tables else {}
        if not formats:
            return Inspection(RAW, self._size, details)
        disk: Finding = formats[0]
        details.update(disk.details)
        size = disk.virtual_size if disk.virtual_size is not None else self._size
        return Inspection(disk.format, size, details)


def inspect(chunks: Iterable[bytes], policy: InspectionPolicy | None = None) -> Inspection:
    """Inspect a whole image given as chunks (for tools and tests; uploads use ``feed``)."""
    inspector = FormatInspector(policy)
    for chunk in chunks:
        inspector.feed(chunk)
    return inspector.finish()


def check_disk_format(inspection: Inspection, disk_format: str) -> None:
    """Refuse content that is not what its declared ``disk_format`` says it is."""
    expected = EXPECTED.get(disk_format)
    if expected is None:
        raise ImageRejected(f"disk_format {disk_format!r} cannot be checked against the content.")
    if inspection.format == expected:
        return
    if expected == RAW:
        raise ImageRejected(
            f"The image is a {inspection.format} image, but its disk_format is {disk_format!r}; "
            f"declare it as {inspection.format}."
        )
    raise ImageRejected(
        f"The image is not a {expected} image (its content is {_describe(inspection)}), but "
        f"its disk_format is {disk_format!r}."
    )


def _describe(inspection: Inspection) -> str:
    if inspection.format == RAW:
        return "raw data, none of the recognised formats"
    return f"a {inspection.format} image"
