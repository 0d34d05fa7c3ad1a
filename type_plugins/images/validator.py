"""The image blob's streaming validator: inspect the bytes as they upload, refuse the unsafe.

Each upload of an image's data runs the format inspector over the stream (no second read, no
temporary copy). It refuses, and so nothing is kept: an unsafe image (a qcow2 with a backing
or data file, a VMDK with extents in other files, ...), and content that is not what the
image's ``disk_format`` declares (``raw`` meaning none of the recognised formats). It records
what it found (``detected_format``, ``virtual_size``, ``format_details``) with the blob.

Operators configure it in ``[validators.image_format]``:

- ``vmdk_create_types``: VMDK create types accepted (default monolithicSparse and
  streamOptimized, the two that are a single self-contained file);
- ``require_format_match``: refuse content that contradicts ``disk_format`` (default true).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins.images.inspection import (
    DEFAULT_CREATE_TYPES,
    EXPECTED,
    FormatInspector,
    ImageRejected,
    InspectionPolicy,
    check_disk_format,
)

#: Container formats whose payload is not itself a disk image: the bytes are still inspected
#: for safety and recorded, but not held to the declared disk_format. (An OVA is unpacked
#: before the checks see it, which then see the disk it carries, as ``bare``.)
OPAQUE_CONTAINERS = frozenset({"docker", "compressed"})


class ImageFormatValidator(p.StreamValidator):
    name = "image_format"

    def __init__(
        self,
        policy: InspectionPolicy | None = None,
        *,
        require_format_match: bool = True,
    ) -> None:
        self._policy = policy or InspectionPolicy()
        self._require_match = require_format_match

    def configure(self, options: Mapping[str, Any]) -> ImageFormatValidator:
        unknown = set(options) - {"vmdk_create_types", "require_format_match"}
        if unknown:
            raise ValueError(f"unknown options {', '.join(sorted(unknown))}")
        create_types = options.get("vmdk_create_types", sorted(DEFAULT_CREATE_TYPES))
        if (
            not isinstance(create_types, list)
            or not create_types
            or not all(isinstance(name, str) and name for name in create_types)
        ):
            raise ValueError("vmdk_create_types must be a non-empty list of create type names")
        require = options.get("require_format_match", True)
        if not isinstance(require, bool):
            raise ValueError("require_format_match must be true or false")
        return ImageFormatValidator(
            InspectionPolicy(vmdk_create_types=frozenset(create_types)),
            require_format_match=require,
        )

    def start(self, upload: p.Upload) -> p.StreamCheck:
        disk_format = upload.artifact.get("disk_format")
        container_format = upload.artifact.get("container_format")
        if not disk_format or not container_format:
            raise p.BlobRejected(
                "set disk_format and container_format before uploading the image data"
            )
        if disk_format not in EXPECTED:
            raise p.BlobRejected(f"disk_format {disk_format!r} cannot be checked against content")
        held_to = None
        if self._require_match and container_format not in OPAQUE_CONTAINERS:
            held_to = disk_format
        return _FormatCheck(FormatInspector(self._policy), held_to)


class _FormatCheck(p.StreamCheck):
    def __init__(self, inspector: FormatInspector, disk_format: str | None) -> None:
        self._inspector = inspector
        self._disk_format = disk_format

    def feed(self, chunk: bytes) -> None:
        try:
            self._inspector.feed(chunk)
        except ImageRejected as exc:
            raise p.BlobRejected(exc.reason) from None

    def finish(self, result: p.StreamResult) -> p.Verdict:
        try:
            inspection = self._inspector.finish()
            if self._disk_format is not None:
                check_disk_format(inspection, self._disk_format)
        except ImageRejected as exc:
            raise p.BlobRejected(exc.reason) from None
        return p.Verdict(
            fields={
                "detected_format": inspection.format,
                "virtual_size": inspection.virtual_size,
                "format_details": dict(inspection.details),
            }
        )
