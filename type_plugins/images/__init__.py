"""VM images: the flagship type, with the fields Glare and Glance clients expect."""

from artifacts import plugin as p
from type_plugins.images.multihash import MultihashValidator
from type_plugins.images.validator import ImageFormatValidator

CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
DISK_FORMATS = (
    "ami",
    "ari",
    "aki",
    "vhd",
    "vhdx",
    "vmdk",
    "raw",
    "qcow2",
    "vdi",
    "iso",
    "ploop",
)

#: One TiB: the largest image the type accepts unless a deployment lowers it.
MAX_IMAGE_SIZE = 1024**4


class Image(p.BaseArtifact):
    TYPE = "images"
    DISPLAY_NAME = "Images"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "container_format": p.String(
            required_on_activate=True,
            sortable=True,
            validators=[p.AllowedValues(CONTAINER_FORMATS)],
            description="Image container format.",
        ),
        "disk_format": p.String(
            required_on_activate=True,
            sortable=True,
            validators=[p.AllowedValues(DISK_FORMATS)],
            description="Image disk format.",
        ),
        "min_ram": p.Integer(
            sortable=True,
            validators=[p.MinNumber(0)],
            description="Minimal RAM (MiB) required to boot the image.",
        ),
        "min_disk": p.Integer(
            sortable=True,
            validators=[p.MinNumber(0)],
            description="Minimal disk space (GiB) required to boot the image.",
        ),
        "image": p.Blob(
            max_size=MAX_IMAGE_SIZE,
            stream_validators=[ImageFormatValidator(), MultihashValidator()],
            description="Image binary; its format is inspected as it uploads.",
        ),
        "detected_format": p.String(
            system=True,
            sortable=True,
            description="Format found in the uploaded data (raw when none is recognised).",
        ),
        "virtual_size": p.Integer(
            system=True,
            sortable=True,
            description="Size of the virtual disk in bytes, as the image's metadata states it.",
        ),
        "os_hash_algo": p.String(
            system=True,
            description="Algorithm of os_hash_value (Glance's multihash), e.g. sha512.",
        ),
        "os_hash_value": p.String(
            system=True,
            max_length=128,
            description="Hex digest of the image data under os_hash_algo.",
        ),
        "format_details": p.Dict(
            p.String(),
            system=True,
            description="Facts the inspection found: VMDK create type, partition table, ...",
        ),
        "kernel_id": p.String(
            validators=[p.UUID()],
            description="ID of the image to use as the kernel when booting an AMI-style image.",
        ),
        "ramdisk_id": p.String(
            validators=[p.UUID()],
            description="ID of the image to use as the ramdisk when booting an AMI-style image.",
        ),
        "instance_uuid": p.String(
            description="Instance this image was snapshotted from (informational only).",
        ),
        "architecture": p.String(
            description="CPU architecture the image runs on (e.g. x86_64, aarch64)."
        ),
        "os_distro": p.String(
            description="Common name of the operating system distribution (e.g. ubuntu)."
        ),
        "os_version": p.String(description="Operating system version as its distributor names it."),
    }
