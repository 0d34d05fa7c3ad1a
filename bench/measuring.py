"""Measuring what a benchmark costs: sizes and rates, and CPU and memory through ``/proc``.

Shared by the benchmarks that start a server and judge it by what its processes spend
(``blobs.py`` and the scripts built on it, ``server_cpu.py``); no psutil needed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
MB = 1_000_000
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_size(text: str) -> int:
    """Parse ``1073741824``, ``1G``, ``1GiB``, ``512M``, ``64k`` (binary units) into bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)(i?[bB])?\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "k": KiB, "m": MiB, "g": GiB}[unit]


def mbps(nbytes: int, seconds: float) -> float:
    """MB (10^6 bytes) per second."""
    return nbytes / seconds / MB if seconds > 0 else float("inf")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def write_data(path: Path, size: int) -> None:
    """Write ``size`` random bytes: incompressible, and no block repeats."""
    with open(path, "wb") as out:
        left = size
        while left:
            piece = min(left, 8 * MiB)
            out.write(os.urandom(piece))
            left -= piece


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a master and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError):
        return 0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def tree_cpu_seconds(pids: Iterable[int]) -> float:
    """CPU seconds (user + system) of every process of ``pids`` still running."""
    return sum(cpu_seconds(pid) for pid in pids)


def machine_jiffies() -> tuple[int, int]:
    """Return (busy, total) jiffies over all CPUs, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return total - idle, total


class Sampler:
    """Sample the RSS of a process tree every ``interval`` seconds, plus CPU use over the span."""

    def __init__(self, pids: list[int], interval: float) -> None:
        self._pids = pids
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.baseline = self._rss()
        self.peak = self.baseline
        self.samples = 0

    def _rss(self) -> int:
        return sum(rss_bytes(pid) for pid in self._pids)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, self._rss())
            self.samples += 1

    def __enter__(self) -> Sampler:
        self._cpu0 = tree_cpu_seconds(self._pids)
        self._jiffies0 = machine_jiffies()
        self._client0 = time.process_time()
        self._wall0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        wall = time.perf_counter() - self._wall0
        busy1, total1 = machine_jiffies()
        busy = busy1 - self._jiffies0[0]
        total = total1 - self._jiffies0[1]
        self.server_cores = (tree_cpu_seconds(self._pids) - self._cpu0) / wall
        self.machine_cores = (os.cpu_count() or 1) * busy / total if total else 0.0
        self.client_cores = (time.process_time() - self._client0) / wall
