"""Murano application packages.

An uploaded package is opened: the first bytes must be a zip archive's (refused while it
streams), and once stored the archive must hold a ``manifest.yaml`` that Murano can read. What
the manifest declares (type, name, classes, tags) is recorded on the artifact.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

from artifacts import plugin as p
from type_plugins._yaml_checks import parse_yaml

ZIP_MAGIC = b"PK\x03\x04"
MANIFEST = "manifest.yaml"
#: A manifest is a page of YAML; anything this large is not one (nor worth inflating).
MAX_MANIFEST_SIZE = 1024 * 1024
PACKAGE_TYPES = ("Application", "Library")
#: Archives up to this size are checked in memory, larger ones in a temporary file.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


class MuranoPackageCheck(p.StreamValidator):
    def start(self, upload: p.Upload) -> p.StreamCheck:
        return _ZipCheck()


class _ZipCheck(p.StreamCheck):
    def __init__(self) -> None:
        self._head = b""

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < len(ZIP_MAGIC):
            self._head += chunk[: len(ZIP_MAGIC) - len(self._head)]
            if not ZIP_MAGIC.startswith(self._head):
                raise p.BlobRejected("the package is not a zip archive")

    def finish(self, result: p.StreamResult) -> p.Verdict:
        if self._head != ZIP_MAGIC:
            raise p.BlobRejected("the package is not a zip archive")
        return p.Verdict(post_store=_ManifestCheck())


class _ManifestCheck:
    """Open the stored archive and read its manifest (a zip's directory is at its end)."""

    def check(self, stored: p.StoredBlob) -> Mapping[str, Any]:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            for chunk in stored.chunks():
                spool.write(chunk)
            spool.seek(0)
            try:
                with zipfile.ZipFile(spool) as archive:
                    return _read_package(archive)
            except (zipfile.BadZipFile, EOFError) as exc:
                raise p.BlobRejected(f"the package is not a readable zip archive: {exc}") from None


def _read_package(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise p.BlobRejected(f"the package has no {MANIFEST} at its top level") from None
    if info.file_size > MAX_MANIFEST_SIZE:
        raise p.BlobRejected(f"member {MANIFEST} is larger than {MAX_MANIFEST_SIZE} bytes")
    manifest = parse_yaml(archive.read(info), f"member {MANIFEST}")
    if not isinstance(manifest, Mapping):
        raise p.BlobRejected(f"member {MANIFEST} must be a YAML mapping")
    for key in ("Format", "FullName", "Type"):
        if key not in manifest:
            raise p.BlobRejected(f"member {MANIFEST} lacks the required key {key!r}")
    if manifest["Type"] not in PACKAGE_TYPES:
        raise p.BlobRejected(
            f"member {MANIFEST}: Type must be one of {', '.join(PACKAGE_TYPES)}, "
            f"not {manifest['Type']!r}"
        )
    classes = manifest.get("Classes") or {}
    if not isinstance(classes, Mapping):
        raise p.BlobRejected(f"member {MANIFEST}: Classes must map class names to files")
    members = set(archive.namelist())
    for name, path in classes.items():
        if f"Classes/{path}" not in members:
            raise p.BlobRejected(
                f"member {MANIFEST}: class {name} names Classes/{path}, which the package lacks"
            )
    tags = manifest.get("Tags") or []
    found: dict[str, Any] = {
        "type": manifest["Type"],
        "display_name": str(manifest.get("Name") or manifest["FullName"]),
        "class_definitions": sorted(str(name) for name in classes),
    }
    if isinstance(tags, list) and tags:
        found["keywords"] = sorted({str(tag) for tag in tags})
    return found


class MuranoPackage(p.BaseArtifact):
    TYPE = "murano_packages"
    DISPLAY_NAME = "Murano packages"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "package": p.Blob(
            max_size=100 * 1024 * 1024,
            stream_validators=[MuranoPackageCheck()],
            description="Murano package archive (a zip with manifest.yaml).",
        ),
        "type": p.String(
            default="Application",
            nullable=False,
            sortable=True,
            required_on_activate=True,
            validators=[p.AllowedValues(["Application", "Library"])],
            description="Package type (filled from the manifest on upload).",
        ),
        "display_name": p.String(
            mutable=True,
            required_on_activate=True,
            description="Package name shown in catalogs (filled from the manifest on upload).",
        ),
        "categories": p.List(
            p.String(),
            mutable=True,
            unique=True,
            description="Catalog categories the application belongs to.",
        ),
        "class_definitions": p.List(
            p.String(),
            unique=True,
            description="Fully qualified names of the MuranoPL classes the package defines "
            "(filled from the manifest on upload).",
        ),
        "inherits": p.Dict(p.String(), description="Parent classes of the package's classes."),
        "keywords": p.List(p.String(), mutable=True, unique=True),
        "dependencies": p.List(
            p.Link(target_type="murano_packages"),
            description="Packages this package requires.",
        ),
    }
