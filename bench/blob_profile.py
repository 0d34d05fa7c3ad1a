"""Profiling one untimed upload and download of a blob benchmark with py-spy."""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from blob_server import Server, delete_artifact, new_artifact
from measuring import mbps
from tiny_http import get_to_null, put_file


def _py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def py_spy(pid: int, output: Path, gil: bool) -> Iterator[None]:
    executable = _py_spy()
    if executable is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy)")
    command = [executable, "record", "--pid", str(pid), "--subprocesses", "--rate", "250"]
    command += ["--format", "raw", "--output", str(output)] + (["--gil"] if gil else [])
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # let it attach to every process
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


_FRAME_LINE = re.compile(r":\d+\)$")


def top_frames(raw: Path, count: int) -> dict[str, list[tuple[str, float]]]:
    """Summarize py-spy's collapsed stacks: top self-time and inclusive-time functions (%)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    if not raw.exists():
        return {"self": [], "inclusive": []}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        samples = int(number)
        frames = [_FRAME_LINE.sub(")", f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return {"self": [], "inclusive": []}
    return {
        kind: [(name, round(100 * n / total, 1)) for name, n in counter.most_common(count)]
        for kind, counter in (("self", own), ("inclusive", inclusive))
    }


def profile_round(
    server: Server, file: Path, size: int, workdir: Path, label: str, gil: bool
) -> dict[str, Any]:
    artifact_id = new_artifact(server)
    path = f"/artifacts/images/{artifact_id}/image"
    suffix = "-gil" if gil else ""
    result: dict[str, Any] = {}
    upload_raw = workdir / f"profile-{label}-upload{suffix}.txt"
    with py_spy(server.process.pid, upload_raw, gil):
        response, _, seconds = put_file(server.port, path, file, size)
    result["upload"] = {"mb_s": mbps(size, seconds), **top_frames(upload_raw, 12)}
    if response.status != 200:
        raise RuntimeError(f"profiled upload answered {response.status}")
    download_raw = workdir / f"profile-{label}-download{suffix}.txt"
    with py_spy(server.process.pid, download_raw, gil):
        _, _, seconds = get_to_null(server.port, path)
    result["download"] = {"mb_s": mbps(size, seconds), **top_frames(download_raw, 12)}
    delete_artifact(server, artifact_id)
    return result
