"""Disk image format inspection, streamed: what an uploaded image is, and whether it is safe.

Written from the formats' specifications (QEMU's qcow2 and parallels documents, VMware's VMDK
technical note, Microsoft's VHD and VHDX specifications, ECMA-119 and ECMA-167, the UEFI
specification's GPT chapter). One module per format family; ``inspector`` runs them together.
"""

from type_plugins.images.inspection.inspector import (
    EXPECTED,
    RAW,
    FormatInspector,
    Inspection,
    InspectionPolicy,
    check_disk_format,
    inspect,
)
from type_plugins.images.inspection.probe import ImageRejected
from type_plugins.images.inspection.vmdk import DEFAULT_CREATE_TYPES

__all__ = [
    "DEFAULT_CREATE_TYPES",
    "EXPECTED",
    "RAW",
    "FormatInspector",
    "ImageRejected",
    "Inspection",
    "InspectionPolicy",
    "check_disk_format",
    "inspect",
]
