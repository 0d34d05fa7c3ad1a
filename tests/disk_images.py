"""Real disk images made by qemu-img (and genisoimage), for the inspection tests.

The tools come from Debian's qemu-utils and genisoimage, which ``scripts/test`` installs. Where
they cannot be had the tests that need them skip with the reason, except under CI (``CI=true``),
where a missing tool is a failure: CI must run every inspection rule on real images.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

MiB = 1024 * 1024


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (Debian: apt-get install qemu-utils genisoimage)"
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

    def raw(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path


def chunks(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(size):
            yield chunk
