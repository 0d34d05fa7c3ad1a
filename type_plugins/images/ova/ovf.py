"""The OVF descriptor of an OVA: which file is its disk, and what it says about the machine.

Read with expat directly, refusing any document type declaration: OVF needs none, and refusing
it shuts out entity expansion (billion laughs) and external entities (a descriptor naming
``/etc/passwd``) by construction, with no parser option to get wrong. Elements and attributes
are matched by local name, so OVF 1.x and 2.x descriptors (and their vendors' namespaces) read
the same.

What becomes image properties (strings, as Glance keeps them):

- hardware, from the ``VirtualHardwareSection``: ``ovf_cpus``, ``ovf_memory_mb``,
  ``ovf_virtual_system_type``; from ``DiskSection``: ``ovf_disk_capacity`` (bytes) and
  ``ovf_disk_format`` (the disk's format URI);
- the guest OS, from ``OperatingSystemSection``: ``ovf_os_id`` (its CIM number),
  ``ovf_os_description``, and ``vmware_ostype`` (VMware's ``osType``, the name Nova's VMware
  driver reads);
- processor requirements, as Glance's OVF task names them: ``cim_pasd_InstructionSet``,
  ``cim_pasd_InstructionSetExtensionName``, ``cim_pasd_ProcessorArchitecture``;
- the ``ProductSection``: ``ovf_product``, ``ovf_vendor``, ``ovf_version``,
  ``ovf_full_version``, ``ovf_product_url``, ``ovf_vendor_url``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

#: Attributes of the disk a descriptor may name that this service cannot honour.
_UNSUPPORTED_FILE = {"compression": "compressed", "chunkSize": "split into chunks"}
_PASD = "CIM_ProcessorAllocationSettingData"
_PASD_NAMES = ("InstructionSet", "InstructionSetExtensionName", "ProcessorArchitecture")
_PRODUCT = {
    "Product": "ovf_product",
    "Vendor": "ovf_vendor",
    "Version": "ovf_version",
    "FullVersion": "ovf_full_version",
    "ProductUrl": "ovf_product_url",
    "VendorUrl": "ovf_vendor_url",
}
#: CIM resource types of the hardware items read.
_PROCESSOR, _MEMORY = "3", "4"
_UNITS = re.compile(r"^\s*byte\s*(?:\*\s*(2|10)\s*\^\s*(\d{1,2}))?\s*$", re.IGNORECASE)
_NAMED_UNITS = {"kilobytes": 2**10, "megabytes": 2**20, "gigabytes": 2**30, "terabytes": 2**40}
#: A disk's file reference: a plain relative name inside the archive.
_SAFE_HREF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._ -]*(/[A-Za-z0-9_][A-Za-z0-9._ -]*)*$")


class OvfError(Exception):
    """The descriptor is malformed or describes what an image cannot be."""


@dataclass(frozen=True)
class Descriptor:
    disk_file: str
    #: The disk file's declared size in the archive, when the descriptor states it.
    disk_file_size: int | None
    properties: dict[str, str] = field(default_factory=dict)


def parse(data: bytes) -> Descriptor:
    root = _tree(data)
    if _local(root.tag) != "Envelope":
        raise OvfError("the descriptor's root element is not an OVF Envelope")
    files = {_attr(f, "id"): f for f in _all(root, "File") if _attr(f, "id")}
    disks = [d for section in _all(root, "DiskSection") for d in _children(section, "Disk")]
    if not disks:
        raise OvfError("the OVF descriptor names no disk")
    if len(disks) > 1:
        raise OvfError(f"the OVF descriptor names {len(disks)} disks; an image holds one")
    disk = disks[0]
    ref = _attr(disk, "fileRef")
    if not ref or ref not in files:
        raise OvfError("the OVF disk refers to no file of the descriptor's References")
    file = files[ref]
    href = _attr(file, "href") or ""
    if not _SAFE_HREF.match(href) or ".." in href.split("/"):
        raise OvfError(f"the disk's file {href!r} is not a plain name inside the archive")
    for name, what in _UNSUPPORTED_FILE.items():
        if _attr(file, name):
            raise OvfError(f"the disk's file is {what}; upload an OVA with a plain disk file")
    size_text = _attr(file, "size")
    properties: dict[str, str] = {}
    capacity = _bytes(_attr(disk, "capacity"), _attr(disk, "capacityAllocationUnits"))
    if capacity is not None:
        properties["ovf_disk_capacity"] = str(capacity)
    _put(properties, "ovf_disk_format", _attr(disk, "format"))
    _hardware(root, properties)
    _system(root, properties)
    return Descriptor(
        disk_file=href,
        disk_file_size=int(size_text) if size_text and size_text.isdigit() else None,
        properties=properties,
    )


def _hardware(root: ET.Element, properties: dict[str, str]) -> None:
    hardware = next(_all(root, "VirtualHardwareSection"), None)
    if hardware is None:
        return
    for system in _children(hardware, "System"):
        _put(properties, "ovf_virtual_system_type", _text(system, "VirtualSystemType"))
    for item in _children(hardware, "Item"):
        kind, quantity = _text(item, "ResourceType"), _text(item, "VirtualQuantity")
        if kind == _PROCESSOR and quantity and quantity.isdigit():
            properties.setdefault("ovf_cpus", quantity)
        elif kind == _MEMORY and quantity and quantity.isdigit():
            size = _bytes(quantity, _text(item, "AllocationUnits") or "byte * 2^20")
            if size is not None:
                properties.setdefault("ovf_memory_mb", str(size // 2**20))
    for element in hardware.iter():
        namespace, name = _split(element.tag)
        if namespace.endswith(_PASD) and name in _PASD_NAMES:
            _put(properties, f"cim_pasd_{name}", element.text)


def _system(root: ET.Element, properties: dict[str, str]) -> None:
    os_section = next(_all(root, "OperatingSystemSection"), None)
    if os_section is not None:
        _put(properties, "ovf_os_id", _attr(os_section, "id"))
        _put(properties, "vmware_ostype", _attr(os_section, "osType"))
        _put(properties, "ovf_os_description", _text(os_section, "Description"))
    product = next(_all(root, "ProductSection"), None)
    if product is not None:
        for name, key in _PRODUCT.items():
            _put(properties, key, _text(product, name))


def _tree(data: bytes) -> ET.Element:
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise OvfError("the OVF descriptor has a document type declaration (refused: entities)")

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(_clark(name), {_clark(k): v for k, v in attributes.items()})

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_clark(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        return builder.close()
    except expat.ExpatError as exc:
        raise OvfError(f"the OVF descriptor is not well-formed XML: {exc}") from None
    except AssertionError:
        raise OvfError("the OVF descriptor is not well-formed XML") from None


def _clark(name: str) -> str:
    namespace, _, local = name.rpartition(" ")
    return f"{{{namespace}}}{local}" if namespace else local


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _local(tag: str) -> str:
    return _split(tag)[1]


def _all(root: ET.Element, name: str) -> Iterator[ET.Element]:
    return (element for element in root.iter() if _local(element.tag) == name)


def _children(parent: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in parent if _local(child.tag) == name]


def _attr(element: ET.Element, name: str) -> str | None:
    return next((v for k, v in element.attrib.items() if _local(k) == name), None)


def _text(parent: ET.Element, name: str) -> str | None:
    child = next(iter(_children(parent, name)), None)
    return child.text if child is not None else None


def _put(properties: dict[str, str], key: str, value: str | None) -> None:
    if value is not None and (value := " ".join(value.split())):
        properties[key] = value


def _bytes(quantity: str | None, units: str | None) -> int | None:
    """A quantity in OVF's programmatic units (``byte * 2^30``, or a named unit), in bytes."""
    if not quantity or not quantity.strip().isdigit():
        return None
    amount = int(quantity)
    if not units:
        return amount
    named = _NAMED_UNITS.get(units.strip().lower())
    if named is not None:
        return amount * named
    match = _UNITS.match(units)
    if match is None:
        return None
    base, power = match.groups()
    return amount * (int(base) ** int(power) if base else 1)
