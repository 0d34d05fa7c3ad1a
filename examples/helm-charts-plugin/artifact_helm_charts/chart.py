"""The chart archive's checks: a gzip stream while uploading, its Chart.yaml once stored."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from artifacts import plugin as p

GZIP_MAGIC = b"\x1f\x8b"
#: A Chart.yaml is a page of YAML; anything larger is not one.
MAX_CHART_YAML = 1024 * 1024
API_VERSIONS = {"v1", "v2"}


class ChartArchive(p.StreamValidator):
    """Refuse anything but gzip while it streams; read Chart.yaml after it is stored."""

    def start(self, upload: p.Upload) -> p.StreamCheck:
        return _GzipCheck()


class _GzipCheck(p.StreamCheck):
    def __init__(self) -> None:
        self._head = b""

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < len(GZIP_MAGIC):
            self._head += chunk[: len(GZIP_MAGIC) - len(self._head)]
            if not GZIP_MAGIC.startswith(self._head):
                raise p.BlobRejected("a chart is a gzip-compressed tar archive (.tgz)")

    def finish(self, result: p.StreamResult) -> p.Verdict:
        if self._head != GZIP_MAGIC:
            raise p.BlobRejected("a chart is a gzip-compressed tar archive (.tgz)")
        return p.Verdict(post_store=_ChartYaml())


class _ChartYaml:
    def check(self, stored: p.StoredBlob) -> Mapping[str, Any]:
        try:
            with tarfile.open(fileobj=_Reader(stored.chunks()), mode="r|gz") as archive:
                for member in archive:
                    if member.name.count("/") == 1 and member.name.endswith("/Chart.yaml"):
                        return _chart_fields(member, archive)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise p.BlobRejected(f"the chart is not a readable .tgz: {exc}") from None
        raise p.BlobRejected("the chart has no <name>/Chart.yaml")


def _chart_fields(member: tarfile.TarInfo, archive: tarfile.TarFile) -> dict[str, Any]:
    if not member.isfile() or member.size > MAX_CHART_YAML:
        raise p.BlobRejected(f"member {member.name} is not a Chart.yaml file")
    data = archive.extractfile(member)
    assert data is not None
    try:
        chart = yaml.safe_load(data.read())
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise p.BlobRejected(f"member {member.name}, line {line}: {exc.problem}") from None
    if not isinstance(chart, Mapping) or chart.get("apiVersion") not in API_VERSIONS:
        raise p.BlobRejected(f"member {member.name} needs apiVersion v1 or v2")
    found: dict[str, Any] = {"chart_api": chart["apiVersion"]}
    if chart.get("appVersion") is not None:
        found["app_version"] = str(chart["appVersion"])
    if chart.get("kubeVersion") is not None:
        found["kube_version"] = str(chart["kubeVersion"])
    return found


class _Reader(io.RawIOBase):
    """A file over an iterator of chunks, for tarfile's streaming mode (no seeking, no copy)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count
