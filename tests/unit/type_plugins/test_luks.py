"""LUKS1 and LUKS2 images made by cryptsetup are recognised, and crafted headers refused."""

from __future__ import annotations

import hashlib
import struct

import pytest

from tests.disk_images import ImageMaker, MiB, chunks
from type_plugins.images.inspection import ImageRejected, check_disk_format, inspect


@pytest.mark.parametrize("chunk", [1, 4093, MiB])
def test_luks1(disk_images: ImageMaker, chunk: int) -> None:
    path = disk_images.luks("one.luks", 1, 16)
    if chunk == 1:
        data = path.read_bytes()
        found = inspect([data[:4096][i : i + 1] for i in range(4096)] + [data[4096:]])
    else:
        found = inspect(chunks(path, chunk))
    assert found.format == "luks"
    assert found.virtual_size == 14 * MiB  # the payload after cryptsetup's 2 MiB header
    assert found.details == {
        "luks_version": "1",
        "cipher": "aes-xts-plain64",
        "hash": "sha256",
        "key_bits": "512",
    }
    check_disk_format(found, "luks")
    with pytest.raises(ImageRejected, match="is a luks image, but its disk_format is 'raw'"):
        check_disk_format(found, "raw")


@pytest.mark.parametrize("chunk", [4093, MiB])
def test_luks2(disk_images: ImageMaker, chunk: int) -> None:
    path = disk_images.luks("two.luks", 2, 20)
    found = inspect(chunks(path, chunk))
    assert found.format == "luks"
    assert found.details["luks_version"] == "2"
    assert found.details["cipher"] == "aes-xts-plain64"
    # cryptsetup puts the data segment at 16 MiB by default.
    assert found.virtual_size == 4 * MiB


def test_raw_declared_luks_is_refused() -> None:
    found = inspect([b"\0" * MiB])
    with pytest.raises(ImageRejected, match="not a luks image"):
        check_disk_format(found, "luks")


def luks2_header(json_area: bytes, *, header_offset: int = 0, corrupt: bool = False) -> bytes:
    size = 16 * 1024
    binary = bytearray(4096)
    binary[0:6] = b"LUKS\xba\xbe"
    struct.pack_into(">HQQ", binary, 6, 2, size, 1)
    binary[72:78] = b"sha256"
    struct.pack_into(">Q", binary, 256, header_offset)
    header = bytes(binary) + json_area.ljust(size - 4096, b"\0")
    digest = hashlib.sha256(header).digest()
    if corrupt:
        digest = bytes(32)
    return header[:448] + digest + header[480:]


SEGMENT = (
    b'{"segments": {"0": {"type": "crypt", "offset": "32768", "size": "dynamic",'
    b' "encryption": "aes-xts-plain64"}}, "keyslots": {}}'
)


def test_crafted_luks2_headers() -> None:
    found = inspect([luks2_header(SEGMENT) + b"\0" * 65536])
    assert (found.format, found.virtual_size) == ("luks", 65536 + 16384 - 32768)
    for header, reason in [
        (luks2_header(SEGMENT, corrupt=True), "checksum is wrong"),
        (luks2_header(SEGMENT, header_offset=16384), "secondary LUKS2 header"),
        (luks2_header(b"{not json"), "JSON metadata is malformed"),
        (luks2_header(SEGMENT.replace(b"32768", b"100")), "inside the header"),
    ]:
        with pytest.raises(ImageRejected, match=reason):
            inspect([header + b"\0" * 65536])


def test_crafted_luks1_and_unknown_versions() -> None:
    with pytest.raises(ImageRejected, match="LUKS version 3"):
        inspect([b"LUKS\xba\xbe\x00\x03" + bytes(4096)])
    empty = b"LUKS\xba\xbe\x00\x01" + bytes(4096)
    with pytest.raises(ImageRejected, match="names no cipher"):
        inspect([empty])
    with pytest.raises(ImageRejected, match="truncated"):
        inspect([b"LUKS\xba\xbe\x00\x01" + bytes(100)])
