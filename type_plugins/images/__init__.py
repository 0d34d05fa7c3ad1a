"""VM images: the flagship type, with the fields Glare and Glance clients expect.

The name, the descriptive fields (boot requirements, kernel and ramdisk, OS facts) and the
free-form ``properties`` stay mutable after activation: Glance's users set them on active images
(``openstack image set --name``, ``--min-ram``, ``--property``), and nothing about the image data
depends on them. The formats, the signature and the data itself are fixed once the image is
active.

``protected`` and ``os_hidden`` are Glance's: a protected image cannot be deleted (through any
door: the rule is this type's ``before_delete`` hook, run by the engine), a hidden one is left out
of lists that do not ask for it.
"""

from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins.images.multihash import MultihashValidator
from type_plugins.images.ova import OvaUnpacker
from type_plugins.images.signature import HASH_METHODS, KEY_TYPES, SignatureValidator
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
    "luks",
)

#: One TiB: the largest image the type accepts unless a deployment lowers it.
MAX_IMAGE_SIZE = 1024**4
#: Free-form properties per image, as Glance's default ``image_property_quota``.
MAX_PROPERTIES = 128
#: Longest free-form property value (Glance keeps them as text; this keeps rows bounded).
MAX_PROPERTY_VALUE = 65535


def _flags_added(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"protected": False, "os_hidden": False, **values}


def _flags_removed(values: Mapping[str, Any]) -> Mapping[str, Any]:
    added = ("protected", "os_hidden", *SIGNATURE_FIELDS)
    return {name: value for name, value in values.items() if name not in added}


SIGNATURE_FIELDS = (
    "img_signature",
    "img_signature_hash_method",
    "img_signature_key_type",
    "img_signature_certificate_uuid",
)


class Image(p.BaseArtifact):
    TYPE = "images"
    DISPLAY_NAME = "Images"
    VERSION = "1.1"
    MIGRATIONS = (p.Migration("1.0", "1.1", upgrade=_flags_added, backport=_flags_removed),)
    MUTABLE_COMMON_FIELDS = frozenset({"name"})

    def before_update(self, hook: p.HookContext) -> None:
        changed = hook.changed.intersection(SIGNATURE_FIELDS)
        if changed and hook.before is not None and hook.before.get("image") is not None:
            raise p.NotAllowed(
                "The signature is verified as the image data uploads: set it before the data.",
                field=sorted(changed)[0],
            )

    def before_delete(self, hook: p.HookContext) -> None:
        if self.protected:
            raise p.NotAllowed(f"Image {self.id} is protected and cannot be deleted.")

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
            stream_validators=[ImageFormatValidator(), MultihashValidator(), SignatureValidator()],
            stream_transform=OvaUnpacker(),
            description="Image binary; its format is inspected as it uploads (an OVA is "
            "stored as the disk it carries).",
        ),
        "protected": p.Boolean(
            mutable=True,
            nullable=False,
            default=False,
            description="A protected image cannot be deleted until this is set back to false.",
        ),
        "os_hidden": p.Boolean(
            mutable=True,
            nullable=False,
            default=False,
            hides_from_lists=True,
            description="A hidden image is left out of lists unless they filter os_hidden.",
        ),
        "img_signature": p.String(
            max_length=4096,
            description="Base64 signature of the image data (Glance's img_signature); "
            "verified as the data uploads.",
        ),
        "img_signature_hash_method": p.String(
            validators=[p.AllowedValues(HASH_METHODS)],
            description="Hash the signature was made over.",
        ),
        "img_signature_key_type": p.String(
            validators=[p.AllowedValues(KEY_TYPES)],
            description="Signature scheme of the signing key: RSA-PSS, DSA or an ECC curve.",
        ),
        "img_signature_certificate_uuid": p.String(
            validators=[p.UUID()],
            description="The trusted certificate whose key made the signature (its UUID in the "
            "service's trust store).",
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
