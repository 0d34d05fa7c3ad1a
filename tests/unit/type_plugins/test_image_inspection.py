"""The format inspector on real images made by qemu-img, on crafted headers, in any chunking."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.disk_images import ImageMaker, MiB, chunks
from type_plugins.images.inspection import (
    FormatInspector,
    ImageRejected,
    Inspection,
    InspectionPolicy,
    check_disk_format,
    inspect,
)

#: Chunkings that split every header: single bytes, odd sizes, and the pipeline's 1 MiB.
CHUNKINGS = [1, 7, 4093, MiB]


def inspect_file(path: Path, chunk_size: int, policy: InspectionPolicy | None = None) -> Inspection:
    return inspect(chunks(path, chunk_size), policy)


def inspect_bytes(data: bytes, policy: InspectionPolicy | None = None) -> Inspection:
    return inspect([data], policy)


def descriptor(
    kind: str, extents: str = 'RW 2048 SPARSE "a.vmdk"', parent: str = "ffffffff"
) -> str:
    return DESCRIPTOR.format(parent=parent, kind=kind, extents=extents)


def small_chunkings(path: Path) -> list[int]:
    """Tiny chunks only for small files (big ones would only test the loop's speed)."""
    return [size for size in CHUNKINGS if size > 7 or path.stat().st_size <= 512 * 1024]


GOOD = [
    # (qemu-img format, file name, options, detected format, details)
    ("qcow2", "v3.qcow2", (), "qcow2", {"compat": "1.1"}),
    ("qcow2", "v2.qcow2", ("-o", "compat=0.10"), "qcow2", {"compat": "0.10"}),
    ("qcow2", "ext-l2.qcow2", ("-o", "extended_l2=on,cluster_size=128k"), "qcow2", None),
    ("vmdk", "sparse.vmdk", (), "vmdk", {"create_type": "monolithicSparse"}),
    ("vmdk", "stream.vmdk", ("-o", "subformat=streamOptimized"), "vmdk", None),
    ("vpc", "dynamic.vhd", (), "vhd", {"subformat": "dynamic"}),
    ("vpc", "fixed.vhd", ("-o", "subformat=fixed"), "vhd", {"subformat": "fixed"}),
    ("vhdx", "disk.vhdx", (), "vhdx", {}),
    ("vdi", "disk.vdi", (), "vdi", {"subformat": "dynamic"}),
    ("vdi", "static.vdi", ("-o", "static=on"), "vdi", {"subformat": "fixed"}),
    ("parallels", "disk.ploop", (), "ploop", None),
    ("raw", "disk.raw", (), "raw", {}),
]


@pytest.mark.parametrize("case", GOOD, ids=[case[1] for case in GOOD])
def test_real_images_are_recognised_with_their_virtual_size(
    disk_images: ImageMaker, case: tuple[str, str, tuple[str, ...], str, dict[str, str] | None]
) -> None:
    fmt, name, options, expected, details = case
    path = disk_images.qemu(fmt, name, "10M", *options)
    for size in small_chunkings(path):
        found = inspect_file(path, size)
        assert found.format == expected, size
        # qemu-img rounds VHD sizes up to a whole CHS geometry
        assert found.virtual_size >= 10 * MiB
        assert found.virtual_size < 10 * MiB + 64 * 1024 or expected == "raw"
        if details is not None:
            assert dict(found.details) == details


def test_iso_images_are_recognised(disk_images: ImageMaker) -> None:
    for name, options, filesystem in [
        ("plain.iso", (), "iso9660"),
        ("udf.iso", ("-udf",), "iso9660"),  # a UDF bridge: its ISO 9660 PVD comes first
    ]:
        path = disk_images.iso(name, *options)
        for size in small_chunkings(path):
            found = inspect_file(path, size)
            assert found.format == "iso"
            assert found.details["filesystem"] == filesystem
            assert found.virtual_size == path.stat().st_size


REFUSED = [
    ("qcow2", "backing.qcow2", ("-b", "/etc/shadow", "-F", "raw", "-u"), "backing file"),
    ("qcow2", "data.qcow2", ("-o", "data_file=data-file.raw"), "external data file"),
    ("vmdk", "flat.vmdk", ("-o", "subformat=monolithicFlat"), "descriptor file"),
    ("vmdk", "split.vmdk", ("-o", "subformat=twoGbMaxExtentSparse"), "descriptor file"),
    ("qed", "disk.qed", (), "QED"),
]


@pytest.mark.parametrize(("fmt", "name", "options", "reason"), REFUSED)
def test_unsafe_real_images_are_refused_while_streaming(
    disk_images: ImageMaker, fmt: str, name: str, options: tuple[str, ...], reason: str
) -> None:
    path = disk_images.qemu(fmt, name, "10M", *options)
    for size in small_chunkings(path):
        with pytest.raises(ImageRejected, match=reason):
            inspect_file(path, size)


def test_a_backing_file_is_refused_before_the_first_kilobyte(disk_images: ImageMaker) -> None:
    path = disk_images.qemu("qcow2", "early.qcow2", "10M", "-b", "/etc/passwd", "-F", "raw", "-u")
    first_kilobyte = path.read_bytes()[:1024]
    with pytest.raises(ImageRejected, match="backing file"):
        FormatInspector().feed(first_kilobyte)


def test_vmdk_create_type_allow_list_is_configurable(disk_images: ImageMaker) -> None:
    path = disk_images.qemu("vmdk", "allow.vmdk", "1M")
    only_stream = InspectionPolicy(vmdk_create_types=frozenset({"streamOptimized"}))
    with pytest.raises(ImageRejected, match="create type 'monolithicSparse' is not accepted"):
        inspect_file(path, MiB, only_stream)
    assert inspect_file(path, MiB).format == "vmdk"


# --- hand-crafted headers ---------------------------------------------------------------------


def qcow2_header(
    *, version: int = 3, backing: int = 0, incompatible: int = 0, extensions: bytes = b""
) -> bytes:
    header = struct.pack(">4sIQIIQI", b"QFI\xfb", version, backing, 0, 16, 10 * MiB, 0)
    header += bytes(72 - len(header))
    if version == 3:
        header += struct.pack(">QQQII", incompatible, 0, 0, 4, 104) + bytes(104 - 100 - 4)
    header += extensions + struct.pack(">II", 0, 0)
    return header + bytes(64 * 1024 - len(header))


def test_crafted_qcow2_rules() -> None:
    assert inspect_bytes(qcow2_header()).format == "qcow2"
    with pytest.raises(ImageRejected, match="backing file"):
        inspect_bytes(qcow2_header(backing=0x200))
    with pytest.raises(ImageRejected, match="external data file"):
        inspect_bytes(qcow2_header(incompatible=1 << 2))
    with pytest.raises(ImageRejected, match="bits 9"):
        inspect_bytes(qcow2_header(incompatible=1 << 9))
    named = struct.pack(">II", 0x44415441, 8) + b"/dev/sda"
    with pytest.raises(ImageRejected, match="external data file"):
        inspect_bytes(qcow2_header(extensions=named))
    with pytest.raises(ImageRejected, match="version 4"):
        inspect_bytes(qcow2_header(version=4))
    runaway = struct.pack(">II", 0x12345678, 1 << 20)
    with pytest.raises(ImageRejected, match="past the first cluster"):
        inspect_bytes(qcow2_header(extensions=runaway))
    with pytest.raises(ImageRejected, match="truncated"):
        inspect_bytes(qcow2_header()[:50])


def test_random_bytes_are_raw_and_not_qcow2() -> None:
    noise = bytes((i * 7919 + 13) % 251 for i in range(256 * 1024))
    found = inspect_bytes(noise)
    assert found.format == "raw"
    with pytest.raises(ImageRejected, match="not a qcow2 image"):
        check_disk_format(found, "qcow2")
    check_disk_format(found, "raw")


def test_a_qcow2_declared_raw_is_refused(disk_images: ImageMaker) -> None:
    found = inspect_file(disk_images.qemu("qcow2", "as-raw.qcow2", "1M"), MiB)
    for declared in ("raw", "ami", "vmdk"):
        with pytest.raises(ImageRejected, match="qcow2"):
            check_disk_format(found, declared)
    check_disk_format(found, "qcow2")


def sparse_vmdk(descriptor: str, *, gd_offset: int = 0x15) -> bytes:
    header = struct.pack(
        "<4sIIQQQQIQQQ", b"KDMV", 1, 3, 2048, 128, 1, 20, 512, 0x15, gd_offset, 128
    )
    text = descriptor.encode()
    return header + bytes(512 - len(header)) + text + bytes(20 * 512 - len(text)) + bytes(4096)


DESCRIPTOR = (
    '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID={parent}\ncreateType="{kind}"\n'
    "{extents}\n"
    'ddb.virtualHWVersion = "4"\n'
)


def test_crafted_vmdk_rules() -> None:
    ok = DESCRIPTOR.format(
        parent="ffffffff", kind="monolithicSparse", extents='RW 2048 SPARSE "a.vmdk"'
    )
    assert inspect_bytes(sparse_vmdk(ok)).details == {"create_type": "monolithicSparse"}
    cases = {
        "points to another file": 'RW 2048 FLAT "/etc/shadow" 0',
        "outside the image file": 'RW 2048 SPARSE "../../etc/shadow"',
        "lists 2 extents": 'RW 1024 SPARSE "a.vmdk"\nRW 1024 SPARSE "b.vmdk"',
    }
    for reason, extents in cases.items():
        bad = descriptor("monolithicSparse", extents)
        with pytest.raises(ImageRejected, match=reason):
            inspect_bytes(sparse_vmdk(bad))
    child = DESCRIPTOR.format(
        parent="abcdef01", kind="monolithicSparse", extents='RW 2048 SPARSE "a"'
    )
    with pytest.raises(ImageRejected, match="parent"):
        inspect_bytes(sparse_vmdk(child))
    vmfs = descriptor("vmfs")
    with pytest.raises(ImageRejected, match="create type 'vmfs'"):
        inspect_bytes(sparse_vmdk(vmfs))
    with pytest.raises(ImageRejected, match="not a setting"):
        inspect_bytes(sparse_vmdk(ok + "include /etc/shadow\n"))


def test_crafted_vmdk_footer_must_agree_with_its_header() -> None:
    ok = DESCRIPTOR.format(
        parent="ffffffff", kind="streamOptimized", extents='RW 2048 SPARSE "a.vmdk"'
    )
    body = sparse_vmdk(ok, gd_offset=0xFFFFFFFFFFFFFFFF)
    footer = bytearray(body[:512])
    assert inspect_bytes(body + bytes(512) + bytes(footer) + bytes(512)).format == "vmdk"
    struct.pack_into("<Q", footer, 28, 40)  # the footer moves the descriptor elsewhere
    with pytest.raises(ImageRejected, match="footer disagrees"):
        inspect_bytes(body + bytes(512) + bytes(footer) + bytes(512))
    with pytest.raises(ImageRejected, match="has none"):
        inspect_bytes(body)


def vhd_footer(disk_type: int) -> bytes:
    footer = bytearray(512)
    footer[:8] = b"conectix"
    struct.pack_into(">QQ", footer, 40, 10 * MiB, 10 * MiB)
    struct.pack_into(">I", footer, 60, disk_type)
    checksum = ~sum(footer) & 0xFFFFFFFF
    struct.pack_into(">I", footer, 64, checksum)
    return bytes(footer)


def test_crafted_vhd_rules() -> None:
    assert inspect_bytes(bytes(4096) + vhd_footer(2)).details == {"subformat": "fixed"}
    with pytest.raises(ImageRejected, match="differencing"):
        inspect_bytes(vhd_footer(4) + bytes(4096) + vhd_footer(4))
    corrupt = bytearray(vhd_footer(3))
    corrupt[100] = 1
    with pytest.raises(ImageRejected, match="checksum"):
        inspect_bytes(bytes(corrupt) + bytes(4096))


def test_differencing_vhdx_and_vdi_are_refused(disk_images: ImageMaker) -> None:
    base = disk_images.qemu("vhdx", "base.vhdx", "4M")
    vdi = bytearray(disk_images.qemu("vdi", "base.vdi", "4M").read_bytes())
    vdi[0x1A8:0x1B8] = b"\x01" * 16  # a parent's UUID
    with pytest.raises(ImageRejected, match="differencing"):
        inspect_bytes(bytes(vdi))
    vhdx = bytearray(base.read_bytes())
    at = vhdx.index(bytes.fromhex("3767a1ca36fa434db3b633f0aa44e76b"), 1 * MiB)  # file params
    (offset,) = struct.unpack_from("<I", vhdx, at + 16)
    meta = vhdx.index(b"metadata", 1 * MiB)
    vhdx[meta + offset + 4] |= 2  # HasParent
    with pytest.raises(ImageRejected, match="differencing"):
        inspect_bytes(bytes(vhdx))


def test_partition_tables_inside_raw() -> None:
    mbr = bytearray(4096)
    mbr[446:462] = bytes([0x80, 0, 0, 0, 0x83, 0, 0, 0]) + struct.pack("<II", 2048, 4096)
    mbr[510:512] = b"\x55\xaa"
    assert inspect_bytes(bytes(mbr)).details == {"partition_table": "mbr"}
    gpt = bytearray(mbr)
    gpt[446 + 4] = 0xEE
    gpt[512:520] = b"EFI PART"
    found = inspect_bytes(bytes(gpt))
    assert (found.format, found.details) == ("raw", {"partition_table": "gpt"})
    check_disk_format(found, "raw")


def test_a_hybrid_iso_is_an_iso_with_its_partition_table(disk_images: ImageMaker) -> None:
    iso = bytearray(disk_images.iso("hybrid.iso").read_bytes())
    iso[446:462] = bytes([0x80, 0, 0, 0, 0x17, 0, 0, 0]) + struct.pack("<II", 0, 100)
    iso[510:512] = b"\x55\xaa"
    found = inspect_bytes(bytes(iso))
    assert (found.format, found.details["partition_table"]) == ("iso", "mbr")
    with pytest.raises(ImageRejected, match="iso"):
        check_disk_format(found, "raw")


def test_a_polyglot_is_refused(disk_images: ImageMaker) -> None:
    iso = disk_images.iso("poly.iso").read_bytes()
    poly = qcow2_header()[:1024] + iso[1024:]
    with pytest.raises(ImageRejected, match="at once a valid qcow2 and iso"):
        inspect_bytes(poly)


def test_memory_stays_bounded_by_the_headers(disk_images: ImageMaker) -> None:
    path = disk_images.qemu("qcow2", "big.qcow2", "64M", "-o", "preallocation=full")
    inspector = FormatInspector()
    for chunk in chunks(path, MiB):
        inspector.feed(chunk)
    kept = sum(len(r.data) for probe in inspector._probes for r in probe.regions)
    assert kept < 128 * 1024
    assert inspector.finish().virtual_size == 64 * MiB
