"""OVA unpacking: an image uploaded as an OVA is stored as the one disk it carries.

An upload to an image whose ``container_format`` is ``ova`` is read as a tar archive as it
streams (no temporary copy): its first member must be the OVF descriptor (the OVF
specification puts it there), which is read (bounded) and parsed; then only the data of the
disk it names passes on, so the format inspection, ``disk_format`` match, digests, multihash,
signature and store all see the disk's bytes and nothing of the archive. The image becomes
``container_format: bare`` (as Glance's OVF task leaves it) and the descriptor's hardware,
guest OS and product facts are added to its ``properties`` (see :mod:`.ovf`).

Refused, with a 400 saying why and nothing kept: an archive that is not a tar, or whose first
member is not a ``.ovf``; a descriptor over the size limit, not well-formed, with a document
type declaration, naming several disks or none, a compressed or chunked disk file, or a file
name that leaves the archive; a disk file missing from the archive, present twice, or of
another size than the descriptor states; members that are not regular files (links,
directories, devices). Operators may set ``[validators.ova] max_descriptor_size`` (bytes,
default 1 MiB).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins.images.ova.ovf import Descriptor, OvfError, parse
from type_plugins.images.ova.tar import Member, TarError, TarReader, Use

DEFAULT_MAX_DESCRIPTOR = 1024 * 1024


class OvaUnpacker(p.StreamTransform):
    name = "ova"

    def __init__(self, max_descriptor_size: int = DEFAULT_MAX_DESCRIPTOR) -> None:
        self.max_descriptor_size = max_descriptor_size

    def configure(self, options: Mapping[str, Any]) -> OvaUnpacker:
        unknown = set(options) - {"max_descriptor_size"}
        if unknown:
            raise ValueError(f"unknown options {', '.join(sorted(unknown))}")
        size = options.get("max_descriptor_size", DEFAULT_MAX_DESCRIPTOR)
        if not isinstance(size, int) or isinstance(size, bool) or not 4096 <= size <= 2**26:
            raise ValueError("max_descriptor_size must be a number of bytes from 4096 to 64 MiB")
        return OvaUnpacker(size)

    def start(self, upload: p.Upload) -> p.Transform | None:
        if upload.artifact.get("container_format") != "ova":
            return None
        return _Unpacking(self.max_descriptor_size, dict(upload.artifact.get("properties") or {}))


class _Unpacking(p.Transform):
    def __init__(self, max_descriptor: int, properties: dict[str, str]) -> None:
        self.changes = {"container_format": "bare"}
        self._max_descriptor = max_descriptor
        self._properties = properties
        self._reader = TarReader(self._member, self._member_end)
        self._descriptor: Descriptor | None = None
        self._disk_seen = False
        self._members = 0

    def feed(self, chunk: bytes) -> bytes:
        try:
            parts = list(self._reader.feed(chunk))
        except (TarError, OvfError) as exc:
            raise p.BlobRejected(f"OVA: {exc}") from None
        return parts[0].tobytes() if len(parts) == 1 else b"".join(parts)

    def finish(self) -> p.Transformed:
        if self._descriptor is None:
            raise p.BlobRejected("OVA: the archive ends before its OVF descriptor does")
        if not self._reader.between_members:
            raise p.BlobRejected("OVA: the archive is cut off in the middle of a member")
        if not self._disk_seen:
            raise p.BlobRejected(
                f"OVA: the disk file {self._descriptor.disk_file!r} the OVF descriptor names "
                "is not in the archive"
            )
        return p.Transformed(
            fields={"properties": {**self._properties, **self._descriptor.properties}}
        )

    def _member(self, member: Member) -> Use:
        self._members += 1
        if self._members == 1:
            if not member.name.lower().endswith(".ovf") or "/" in member.name:
                raise OvfError(
                    f"the first member of an OVA must be its .ovf descriptor, not {member.name!r}"
                )
            if member.size > self._max_descriptor:
                raise OvfError(
                    f"the OVF descriptor of {member.size} bytes is larger than the limit of "
                    f"{self._max_descriptor} bytes"
                )
            return Use.KEEP
        assert self._descriptor is not None
        if member.name != self._descriptor.disk_file:
            return Use.SKIP
        if self._disk_seen:
            raise OvfError(f"the disk file {member.name!r} is in the archive twice")
        expected = self._descriptor.disk_file_size
        if expected is not None and expected != member.size:
            raise OvfError(
                f"the disk file {member.name!r} holds {member.size} bytes; the descriptor "
                f"says {expected}"
            )
        self._disk_seen = True
        return Use.PASS

    def _member_end(self, member: Member, data: bytes | None) -> None:
        if data is not None:
            self._descriptor = parse(data)
