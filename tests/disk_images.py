"""Real disk images made by qemu-img (and genisoimage), for the inspection tests.

The tools come from Debian's qemu-utils and genisoimage, which ``scripts/test`` installs. Where
they cannot be had the tests that need them skip with the reason, except under CI (``CI=true``),
where a missing tool is a failure: CI must run every inspection rule on real images.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

MiB = 1024 * 1024


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = (
            f"{name} is not installed (Debian: apt-get install qemu-utils genisoimage "
            "cryptsetup-bin)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


class ImageMaker:
    """Make images into one directory, by qemu-img format name and creation options."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def qemu(self, fmt: str, name: str, size: str = "10M", *options: str) -> Path:
        qemu_img = require_tool("qemu-img")
        path = self.root / name
        if path.exists():  # made by an earlier test of the session, with the same options
            return path
        subprocess.run(
            [qemu_img, "create", "-q", "-f", fmt, *options, str(path), size],
            check=True,
            cwd=self.root,
        )
        return path

    def iso(self, name: str, *options: str) -> Path:
        genisoimage = require_tool("genisoimage")
        content = self.root / f"{name}.d"
        content.mkdir(exist_ok=True)
        (content / "readme.txt").write_text("an ISO made for the tests\n")
        path = self.root / name
        subprocess.run([genisoimage, "-quiet", *options, "-o", str(path), str(content)], check=True)
        return path

    def luks(self, name: str, version: int, size_mib: int = 20) -> Path:
        """A LUKS1 or LUKS2 file made by cryptsetup (a file needs no block device).

        cryptsetup is told its PBKDF iterations: qemu-img's ``-f luks`` (LUKS1 only) times its
        PBKDF instead, which fails on a loaded machine ("Unable to get accurate CPU usage").
        """
        path = self.root / name
        if path.exists():
            return path
        key = self.root / f"{name}.key"
        key.write_bytes(b"test")
        with path.open("wb") as file:
            file.truncate(size_mib * MiB)
        pbkdf = ["--pbkdf-force-iterations", "1000"]
        if version == 2:
            pbkdf = ["--pbkdf", "pbkdf2", *pbkdf]
        subprocess.run(
            [
                require_tool("cryptsetup"),
                "luksFormat",
                "--type",
                f"luks{version}",
                "--batch-mode",
                *pbkdf,
                "--key-file",
                str(key),
                str(path),
            ],
            check=True,
        )
        return path

    def raw(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path


def chunks(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk


OVF_NAMESPACES = (
    'xmlns="http://schemas.dmtf.org/ovf/envelope/1" '
    'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" '
    'xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
    'CIM_ResourceAllocationSettingData" '
    'xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" '
    'xmlns:cim_pasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
    'CIM_ProcessorAllocationSettingData" '
    'xmlns:vmw="http://www.vmware.com/schema/ovf"'
)


def ovf_descriptor(*disk_files: str, file_size: int | None = None, file_extra: str = "") -> bytes:
    """An OVF envelope as VMware and VirtualBox write them: one Disk per file named, a virtual
    system with 2 CPUs, 512 MiB, a guest OS and a product section."""
    size = f' ovf:size="{file_size}"' if file_size is not None else ""
    files = "".join(
        f'<File ovf:id="file{n}" ovf:href="{name}"{size}{file_extra}/>'
        for n, name in enumerate(disk_files)
    )
    disks = "".join(
        f'<Disk ovf:diskId="vmdisk{n}" ovf:fileRef="file{n}" ovf:capacity="4" '
        'ovf:capacityAllocationUnits="byte * 2^20" '
        'ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>'
        for n in range(len(disk_files))
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Envelope {OVF_NAMESPACES}>
  <References>{files}</References>
  <DiskSection><Info>Virtual disks</Info>{disks}</DiskSection>
  <VirtualSystem ovf:id="cirros">
    <Info>A virtual machine</Info>
    <ProductSection>
      <Info>Product</Info><Product>CirrOS</Product><Vendor>The CirrOS project</Vendor>
      <Version>0.6.2</Version><FullVersion>0.6.2-x86_64</FullVersion>
    </ProductSection>
    <OperatingSystemSection ovf:id="101" vmw:osType="otherLinux64Guest">
      <Info>Guest OS</Info><Description>Linux 64-bit</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Hardware</Info>
      <System><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity>
        <cim_pasd:InstructionSet>x86:64</cim_pasd:InstructionSet>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
""".encode()


def ova(members: list[tuple[str, bytes]], tar_format: int = tarfile.USTAR_FORMAT) -> bytes:
    """A tar archive of the members, in order (the first should be the .ovf descriptor)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tar_format) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def single_disk_ova(disk: Path, tar_format: int = tarfile.USTAR_FORMAT) -> bytes:
    data = disk.read_bytes()
    return ova(
        [("cirros.ovf", ovf_descriptor(disk.name, file_size=len(data))), (disk.name, data)],
        tar_format,
    )
