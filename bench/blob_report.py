"""The blob benchmark's report: the machine, the targets it judges, and the printed tables."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any

from measuring import GiB, MiB


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    flags = Path("/proc/cpuinfo").read_text()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "sha_ni": " sha_ni" in flags,
        "memory_gib": round(memory_kib / MiB, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value, the bound and whether it is met."""
    limits = results["limits"]
    stores = results["stores"]
    checks: list[dict[str, Any]] = []

    def check(target: str, value: float, bound: float, unit: str = "MB/s", less: bool = False) -> None:  # fmt: skip
        met = value < bound if less else value >= bound
        checks.append({"target": target, "value": round(value, 1), "bound": round(bound, 1), "unit": unit, "met": met, "less": less})  # fmt: skip

    fs = stores.get("filesystem")
    if fs:
        # The image upload hashes sha512 too: judged against its own four digests on one
        # thread, and shown against the three every blob gets.
        check("filesystem upload ≥ 0.9 × its 4 digests, 1 thread", fs["upload"]["best_mb_s"], 0.9 * limits["digest_upload_1thread"])  # fmt: skip
        check("filesystem upload ≥ 0.9 × 3 digests, 1 thread", fs["upload"]["best_mb_s"], 0.9 * limits["digest_1thread"])  # fmt: skip
        check("filesystem download ≥ 0.9 × sendfile", fs["download"]["best_mb_s"], 0.9 * limits["sendfile"])  # fmt: skip
        if "raw" in fs:
            check("upload CPU per GB ≤ 1.3 × raw receive+hash (median of rounds)", fs["upload"]["cpu_per_gb_over_raw"], 1.3, "×", less=True)  # fmt: skip
    s3 = stores.get("s3")
    if s3 and fs:
        for op in ("upload", "download"):
            check(f"s3 {op} ≥ filesystem {op} / 2", s3[op]["best_mb_s"], fs[op]["best_mb_s"] / 2)
    for name, store in stores.items():
        for op in ("upload", "download"):
            check(f"{name} {op}: server RSS growth < 100 MB", store[op]["rss_growth_mb"], 100, "MB", less=True)  # fmt: skip
    return checks


def print_report(results: dict[str, Any]) -> None:
    limits, size = results["limits"], results["size"]
    m = results["machine"]
    print(f"\nblob benchmark: {size} bytes ({size / GiB:.2f} GiB), {results['runs']} runs, MB = 10^6 B")  # fmt: skip
    print(f"machine: {m['nproc']} CPUs {m['cpu']} (sha_ni={m['sha_ni']}), {m['memory_gib']} GiB, Python {m['python']}")  # fmt: skip
    print("\nlimits (best of runs)                      MB/s")
    names = {
        "digest_1thread": "md5+sha1+sha256, one thread",
        "digest_upload_1thread": "the same + sha512, one thread",
        "digest_md5": "md5 alone",
        "digest_sha1": "sha1 alone",
        "digest_sha256": "sha256 alone",
        "digest_3threads": "md5 | sha1 | sha256 on three threads",
        "sendfile": "loopback sendfile copy",
        "disk_write_fsync": "disk write + fsync (data dir)",
        "s3_direct_put": "S3 direct: multipart put, 8 MiB parts",
        "s3_direct_get": "S3 direct: get",
    }
    for key, label in names.items():
        if limits.get(key):
            print(f"  {label:<40} {limits[key]:7.0f}")
    print("\nstore       op        best MB/s  median   peak RSS MB  RSS growth MB  server cores  machine cores  client cores")  # fmt: skip
    for name, store in results["stores"].items():
        for op in ("upload", "download"):
            s = store[op]
            print(f"  {name:<10}{op:<10}{s['best_mb_s']:9.0f}{s['median_mb_s']:9.0f}{s['rss_peak_mb']:13.1f}{s['rss_growth_mb']:15.1f}{s['server_cores']:14.2f}{s['machine_cores']:15.2f}{s['client_cores']:14.2f}")  # fmt: skip
    print("\nserver CPU per GB (median of rounds): store, upload, download, raw receive+hash, upload / raw")  # fmt: skip
    for name, store in results["stores"].items():
        raw = store.get("raw", {})
        print(f"  {name:<22}{store['upload']['server_cpu_s_per_gb']:7.2f}{store['download']['server_cpu_s_per_gb']:7.2f}{raw.get('server_cpu_s_per_gb', 0):7.2f}{store['upload'].get('cpu_per_gb_over_raw', 0):7.2f}")  # fmt: skip
    if "s3" in results["stores"]:
        print(f"  (s3 backend: {results['s3_backend']})")
    print("\ntargets")
    for c in results["targets"]:
        relation = "<" if c.get("less") else "≥"
        mark = "met   " if c["met"] else "MISSED"
        print(f"  {mark} {c['target']:<48} {c['value']:8.1f} {c['unit']} ({relation} {c['bound']:.1f})")  # fmt: skip
    for name, store in results["stores"].items():
        for key in ("profile", "profile_gil"):
            for op, prof in store.get(key, {}).items():
                print(f"\npy-spy{' --gil' if key.endswith('gil') else ''} {name} {op} ({prof['mb_s']:.0f} MB/s while profiled): top self time")  # fmt: skip
                for frame, percent in prof["self"][:8]:
                    print(f"  {percent:5.1f}%  {frame}")
