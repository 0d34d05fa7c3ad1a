"""OVA unpacking on real disks made by qemu-img in tar archives, and on malicious archives."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from artifacts import plugin as p
from tests.disk_images import ImageMaker, ova, ovf_descriptor, single_disk_ova
from type_plugins.images.ova import OvaUnpacker
from type_plugins.images.ova.tar import TarError, _number

CHUNKINGS = [1, 511, 513, 4096, 1024 * 1024]


def upload(**artifact: object) -> p.Upload:
    return p.Upload(
        type_name="images",
        artifact_id="a",
        field="image",
        key="",
        content_type="application/octet-stream",
        content_length=None,
        artifact={"container_format": "ova", **artifact},
        caller=p.Caller(),
        max_size=2**40,
    )


def unpack(
    data: bytes, chunk: int = 4096, unpacker: OvaUnpacker | None = None, **artifact: object
) -> tuple[bytes, dict[str, object]]:
    transform = (unpacker or OvaUnpacker()).start(upload(**artifact))
    assert transform is not None
    out = b"".join(transform.feed(data[at : at + chunk]) for at in range(0, len(data), chunk))
    end = transform.finish()
    return out + end.tail, {**transform.changes, **end.fields}


def refused(data: bytes, chunk: int = 4096) -> str:
    with pytest.raises(p.BlobRejected) as caught:
        unpack(data, chunk)
    return caught.value.reason


@pytest.fixture(scope="module")
def vmdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    maker = ImageMaker(tmp_path_factory.mktemp("ova"))
    return maker.qemu("vmdk", "disk.vmdk", "4M", "-o", "subformat=streamOptimized")


@pytest.mark.parametrize("chunk", CHUNKINGS)
@pytest.mark.parametrize(
    "tar_format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
)
def test_the_disk_comes_out_whole_in_any_chunking_and_tar_dialect(
    vmdk: Path, chunk: int, tar_format: int
) -> None:
    data, fields = unpack(single_disk_ova(vmdk, tar_format), chunk, properties={"mine": "kept"})
    assert data == vmdk.read_bytes()
    assert fields["container_format"] == "bare"
    assert fields["properties"] == {
        "mine": "kept",
        "ovf_disk_capacity": str(4 * 1024 * 1024),
        "ovf_disk_format": "http://www.vmware.com/interfaces/specifications/vmdk.html"
        "#streamOptimized",
        "ovf_virtual_system_type": "vmx-13",
        "ovf_cpus": "2",
        "ovf_memory_mb": "512",
        "cim_pasd_InstructionSet": "x86:64",
        "ovf_os_id": "101",
        "vmware_ostype": "otherLinux64Guest",
        "ovf_os_description": "Linux 64-bit",
        "ovf_product": "CirrOS",
        "ovf_vendor": "The CirrOS project",
        "ovf_version": "0.6.2",
        "ovf_full_version": "0.6.2-x86_64",
    }


def test_long_member_names_and_other_members_pass_over(vmdk: Path) -> None:
    name = "d" * 150 + ".vmdk"  # longer than ustar's 100 bytes: a pax or GNU header
    disk = vmdk.read_bytes()
    for tar_format in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        archive = ova(
            [
                ("vm.ovf", ovf_descriptor(name)),
                ("vm.mf", b"SHA256(x)= 00\n"),
                (name, disk),
                ("vm.cert", b"-----BEGIN CERTIFICATE-----\n"),
            ],
            tar_format,
        )
        assert unpack(archive)[0] == disk


def test_other_containers_are_left_alone() -> None:
    assert OvaUnpacker().start(upload(container_format="bare")) is None


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([("vm.ovf", ovf_descriptor("a.vmdk", "b.vmdk"))], "names 2 disks"),
        ([("vm.ovf", ovf_descriptor())], "names no disk"),
        ([("vm.ovf", b"<Envelope><DiskSection>")], "not well-formed"),
        ([("vm.ovf", b"<NotAnEnvelope/>")], "not an OVF Envelope"),
        ([("vm.ovf", ovf_descriptor("disk.vmdk")), ("other.vmdk", b"x")], "not in the archive"),
        ([("disk.vmdk", b"x"), ("vm.ovf", ovf_descriptor("disk.vmdk"))], "first member"),
        ([("vm.ovf", ovf_descriptor("../../etc/shadow"))], "not a plain name"),
        ([("vm.ovf", ovf_descriptor("/etc/shadow"))], "not a plain name"),
        ([("vm.ovf", ovf_descriptor("http://example.com/disk.vmdk"))], "not a plain name"),
        (
            [("vm.ovf", ovf_descriptor("disk.vmdk", file_extra=' ovf:compression="gzip"'))],
            "compressed",
        ),
        (
            [("vm.ovf", ovf_descriptor("disk.vmdk", file_extra=' ovf:chunkSize="1024"'))],
            "split into chunks",
        ),
        (
            [("vm.ovf", ovf_descriptor("disk.vmdk", file_size=10)), ("disk.vmdk", b"x" * 9)],
            "holds 9 bytes; the descriptor says 10",
        ),
        (
            [
                ("vm.ovf", ovf_descriptor("disk.vmdk")),
                ("disk.vmdk", b"x"),
                ("disk.vmdk", b"y"),
            ],
            "twice",
        ),
        (
            [("vm.ovf", ovf_descriptor("disk.vmdk")), ("../disk.vmdk", b"x")],
            "leaves the archive",
        ),
    ],
    ids=[
        "two-disks",
        "no-disk",
        "bad-xml",
        "not-ovf",
        "disk-missing",
        "ovf-not-first",
        "href-traversal",
        "href-absolute",
        "href-url",
        "compressed",
        "chunked",
        "size-mismatch",
        "disk-twice",
        "member-traversal",
    ],
)
def test_malformed_and_malicious_archives_are_refused(
    members: list[tuple[str, bytes]], reason: str
) -> None:
    assert reason in refused(ova(members))


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<Envelope><References><File id="f" href="&d;"/></References></Envelope>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Envelope><VirtualSystem><ProductSection><Product>&x;</Product></ProductSection></VirtualSystem>
</Envelope>"""


@pytest.mark.parametrize("document", [BOMB, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_descriptors_with_entities_are_refused(document: bytes) -> None:
    assert "document type declaration" in refused(ova([("vm.ovf", document)]))


def test_links_directories_and_devices_are_refused(vmdk: Path) -> None:
    for kind in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.CHRTYPE):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
            descriptor = ovf_descriptor("disk.vmdk")
            info = tarfile.TarInfo("vm.ovf")
            info.size = len(descriptor)
            archive.addfile(info, io.BytesIO(descriptor))
            link = tarfile.TarInfo("disk.vmdk")
            link.type = kind
            link.linkname = "/etc/shadow"
            archive.addfile(link)
        assert "not a regular file" in refused(out.getvalue())


def test_a_descriptor_over_the_limit_is_refused_before_it_is_read() -> None:
    padded = ovf_descriptor("disk.vmdk") + b" " * 8192
    with pytest.raises(p.BlobRejected, match="larger than the limit of 4096 bytes"):
        unpack(
            ova([("vm.ovf", padded)]),
            unpacker=OvaUnpacker().configure({"max_descriptor_size": 4096}),
        )


def test_truncated_and_non_tar_streams_are_refused(vmdk: Path) -> None:
    archive = single_disk_ova(vmdk)
    assert "cut off" in refused(archive[: len(archive) // 2])
    assert "ends before its OVF descriptor" in refused(archive[:100])
    assert "checksum" in refused(vmdk.read_bytes())
    assert "follows the archive's end" in refused(archive + b"\0" * 1024 + b"junk")


def test_sizes_past_8_gib_read_as_gnu_base_256() -> None:
    info = tarfile.TarInfo("big.vmdk")
    info.size = 2**40 + 5
    header = info.tobuf(tarfile.GNU_FORMAT)
    assert _number(header[124:136]) == 2**40 + 5
    with pytest.raises(TarError):
        _number(b"\xff" * 12)


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown options"):
        OvaUnpacker().configure({"nope": 1})
    with pytest.raises(ValueError, match="max_descriptor_size"):
        OvaUnpacker().configure({"max_descriptor_size": 10})
