"""VM images: the flagship type, with the fields Glare and Glance clients expect.

The name, the descriptive fields (boot requirements, kernel and ramdisk, OS facts) and the
free-form ``properties`` stay mutable after activation: Glance's users set them on active images
(``openstack image set --name``, ``--min-ram``, ``--property``), and nothing about the image data
depends on them. The formats and the data itself are fixed once the image is active.
"""

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
#: Free-form properties per image, as Glance's default ``image_property_quota``.
MAX_PROPERTIES = 128
#: Longest free-form property value (Glance keeps them as text; this keeps rows bounded).
MAX_PROPERTY_VALUE = 65535


class Image(p.BaseArtifact):
    TYPE = "images"
    DISPLAY_NAME = "Images"
    VERSION = "1.0"
    MUTABLE_COMMON_FIELDS = frozenset({"name"})

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
            mutable=True,
            sortable=True,
            validators=[p.MinNumber(0)],
            description="Minimal RAM (MiB) required to boot the image.",
        ),
        "min_disk": p.Integer(
            mutable=True,
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
            mutable=True,
            validators=[p.UUID()],
            description="ID of the image to use as the kernel when booting an AMI-style image.",
        ),
        "ramdisk_id": p.String(
            mutable=True,
            validators=[p.UUID()],
            description="ID of the image to use as the ramdisk when booting an AMI-style image.",
        ),
        "instance_uuid": p.String(
            mutable=True,
            description="Instance this image was snapshotted from (informational only).",
        ),
        "architecture": p.String(
            mutable=True, description="CPU architecture the image runs on (e.g. x86_64, aarch64)."
        ),
        "os_distro": p.String(
            mutable=True,
            description="Common name of the operating system distribution (e.g. ubuntu).",
        ),
        "os_version": p.String(
            mutable=True, description="Operating system version as its distributor names it."
        ),
        "properties": p.Dict(
            p.String(max_length=MAX_PROPERTY_VALUE),
            mutable=True,
            max_keys=MAX_PROPERTIES,
            description="Free-form string properties (Glance's additional image properties); "
            "filter with properties.<key>=<op>:<value>.",
        ),
    }
