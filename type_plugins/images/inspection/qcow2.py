"""QEMU's qcow2 (and the retired QED, refused on sight), from QEMU's docs/interop/qcow2.txt.

A qcow2 header is big-endian: magic ``QFI\\xfb``, version, backing file offset and length, cluster
bits, virtual size, ... (72 bytes in version 2, at least 104 in version 3, with feature bitmaps).
Header extensions follow the header inside the first cluster, each a type, a length and data
padded to 8 bytes, until an end marker.

What makes a qcow2 dangerous is what it makes the hypervisor open besides itself: a backing file
(any path on the host, ``/etc/shadow`` included) or an external data file (the incompatible
feature bit 2, with its name in a header extension). An incompatible feature this code does not
know could change how the image is read, so it is refused too, as QEMU itself would refuse it.
"""

from __future__ import annotations

from type_plugins.images.inspection.probe import ImageRejected, Probe, unpack

MAGIC = b"QFI\xfb"
V2_HEADER = 72
V3_HEADER = 104
#: Incompatible feature bits QEMU defines: dirty, corrupt, external data file, compression
#: type, extended L2 entries. Any other bit set means "do not open unless you know it".
DATA_FILE_BIT = 1 << 2
KNOWN_INCOMPATIBLE = 0b11111
EXT_END = 0x00000000
EXT_DATA_FILE = 0x44415441
MIN_CLUSTER_BITS = 9
MAX_CLUSTER_BITS = 21
ENCRYPTION = {0: "", 1: "aes", 2: "luks"}


class Qcow2Probe(Probe):
    NAME = "qcow2"

    def __init__(self) -> None:
        super().__init__()
        self._header = self.region(0, V2_HEADER)
        self._virtual_size = 0
        self._cluster_size = 0
        self._extension_at = 0  # where the next header extension starts, once the header is read
        self._details: dict[str, str] = {}

    def recognised(self) -> bool:
        return bytes(self._header.data[:4]) == MAGIC

    def step(self) -> None:
        data = self._header.data
        if len(data) >= 4 and not self.recognised():
            self.no_match()
            return
        if not self._header.complete:
            return
        if not self._cluster_size:
            self._read_header()
        if self._cluster_size and not self._extension_at:
            self._read_v3_header()
        if self._extension_at:
            self._walk_extensions()

    def _read_header(self) -> None:
        data = self._header.data
        version, backing_offset, backing_size, cluster_bits, size, crypt = unpack(
            ">IQIIQI", data, 4
        )
        if version not in (2, 3):
            raise ImageRejected(f"qcow2 version {version} is not supported (only 2 and 3).")
        if backing_offset or backing_size:
            raise ImageRejected(
                "The qcow2 image names a backing file: an image must be self-contained."
            )
        if not MIN_CLUSTER_BITS <= cluster_bits <= MAX_CLUSTER_BITS:
            raise ImageRejected(f"The qcow2 header has an invalid cluster size (2^{cluster_bits}).")
        if crypt not in ENCRYPTION:
            raise ImageRejected(f"The qcow2 header names an unknown encryption method ({crypt}).")
        if crypt:
            self._details["encryption"] = ENCRYPTION[crypt]
        self._details["compat"] = "0.10" if version == 2 else "1.1"
        self._virtual_size = size
        self._cluster_size = 1 << cluster_bits
        if version == 2:
            self._extension_at = V2_HEADER
        else:
            self._header.grow(V3_HEADER)

    def _read_v3_header(self) -> None:
        data = self._header.data
        if len(data) < V3_HEADER:
            return
        (incompatible,) = unpack(">Q", data, 72)
        (header_length,) = unpack(">I", data, 100)
        if incompatible & DATA_FILE_BIT:
            raise ImageRejected(
                "The qcow2 image keeps its data in an external data file: an image must be "
                "self-contained."
            )
        unknown = incompatible & ~KNOWN_INCOMPATIBLE
        if unknown:
            raise ImageRejected(
                f"The qcow2 image uses incompatible features this service does not know "
                f"(bits {_bits(unknown)})."
            )
        if header_length < V3_HEADER or header_length % 8 or header_length > self._cluster_size:
            raise ImageRejected(f"The qcow2 header has an invalid length ({header_length}).")
        self._extension_at = header_length

    def _walk_extensions(self) -> None:
        data = self._header.data
        self._header.grow(self._extension_at + 8)
        while len(data) >= self._extension_at + 8:
            kind, length = unpack(">II", data, self._extension_at)
            if kind == EXT_END:
                self.match(self._virtual_size, **self._details)
                return
            if kind == EXT_DATA_FILE:
                raise ImageRejected(
                    "The qcow2 image names an external data file: an image must be self-contained."
                )
            following = self._extension_at + 8 + (length + 7) // 8 * 8
            if following + 8 > self._cluster_size:
                raise ImageRejected("The qcow2 header extensions run past the first cluster.")
            self._extension_at = following
            self._header.grow(following + 8)


class QedProbe(Probe):
    """QED: QEMU's abandoned format, with backing files of its own; never accepted."""

    NAME = "qed"

    def __init__(self) -> None:
        super().__init__()
        self._magic = self.region(0, 4)

    def step(self) -> None:
        if not self._magic.complete:
            return
        if bytes(self._magic.data) == b"QED\x00":
            raise ImageRejected("QED images are not accepted; convert the image to qcow2.")
        self.no_match()


def _bits(mask: int) -> str:
    return ", ".join(str(bit) for bit in range(64) if mask >> bit & 1)
