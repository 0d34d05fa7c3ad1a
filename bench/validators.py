#!/usr/bin/env python3
"""Upload throughput with and without streaming validators, measured in one run.

One ``artifacts serve`` (filesystem store) serves a benchmark type with three blob fields:
``plain`` (no validator), ``noop`` (a validator that is fed every chunk and does nothing) and
``sha512_check`` (a validator that hashes every chunk with SHA-512), and the ``images`` type,
whose blob runs the format inspector, the sha512 multihash and the OVA unpacker's check of the
container format (``images``: declared raw/bare). The rounds interleave the variants (plain,
noop, sha512, images, plain, …) so that load changes on a shared machine hit them alike, and the
report gives each variant's best and median MB/s and its ratio to plain. In the same run, before
and after the uploads, it measures the digest limits on one thread over the same data, in
process: md5 + sha1 + sha256, what every upload computes, and the same with sha512, what an
image upload computes; so the plain and the images figures stand next to the limits of their
own digests in their own run. The machine's load average is printed before and after.

    .venv/bin/python bench/validators.py --size 1GiB --runs 3

Uses the server, client and measurement helpers of ``bench/blobs.py``'s modules.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Siblings, importable once this directory is on the path.
from blob_limits import measure_limits
from blob_server import REPO, Server
from measuring import GiB, MiB, Sampler, log, mbps, parse_size, write_data
from tiny_http import HEADERS, put_file

VARIANTS = ("plain", "noop", "sha512_check", "images")


def install_type(site: Path) -> dict[str, str]:
    """A distribution on PYTHONPATH whose entry point names the benchmark type."""
    info = site / "artifact_bench_blobs-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: artifact-bench-blobs\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[artifacts.types]\nbench_blobs = validator_types:BenchBlobs\n"
    )
    bench_dir = Path(__file__).resolve().parent
    return {"PYTHONPATH": os.pathsep.join([str(site), str(bench_dir)])}


def upload(server: Server, field: str, file: Path, size: int, interval: float) -> float:
    body = {"name": f"bench-{uuid.uuid4().hex[:12]}"}
    type_name, blob = "bench_blobs", field
    if field == "images":
        type_name, blob = "images", "image"
        body.update(disk_format="raw", container_format="bare")
    url = f"{server.url}/artifacts/{type_name}"
    created = requests.post(url, json=body, headers=HEADERS, timeout=30)
    created.raise_for_status()
    artifact_id = created.json()["id"]
    path = f"/artifacts/{type_name}/{artifact_id}/{blob}"
    with Sampler(server.pids, interval):
        response, _, seconds = put_file(server.port, path, file, size)
    if response.status != 200:
        raise RuntimeError(f"{field} upload answered {response.status}: {response.body[:300]!r}")
    requests.delete(f"{url}/{artifact_id}", headers=HEADERS, timeout=120).raise_for_status()
    return mbps(size, seconds)


def digest_limits(file: Path, size: int) -> tuple[float, float]:
    """md5 + sha1 + sha256, then the same and sha512, on one thread over the data, in process
    (best of two), in MB/s: the limits of a plain upload and of an image upload."""
    limits, _ = measure_limits(file, size, 2, None)
    return limits.digest_1thread, limits.digest_upload_1thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=GiB)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="buffered", help="[server] worker_class")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python"))
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="artifacts-bench-validators-"))
    load_before = os.getloadavg()
    try:
        file = workdir / "blob.bin"
        write_data(file, args.size)
        limits = [digest_limits(file, args.size)]
        env = install_type(workdir / "site")
        server = Server(
            args.python,
            workdir / "server",
            {"driver": "filesystem", "root": "blobs"},
            workers=args.workers,
            threads=args.threads,
            worker_class=args.worker_class,
            env=env,
        )
        try:
            for field in VARIANTS:  # warm-up: imports and connections in each worker
                upload(server, field, file, min(args.size, 8 * MiB), 0.05)
            rates: dict[str, list[float]] = {field: [] for field in VARIANTS}
            for number in range(args.runs):
                for field in VARIANTS:
                    rate = upload(server, field, file, args.size, 0.05)
                    rates[field].append(rate)
                    log(f"run {number + 1} {field}: {rate:.0f} MB/s")
        finally:
            server.stop()
        limits.append(digest_limits(file, args.size))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    best_plain = max(rates["plain"])
    median_plain = statistics.median(rates["plain"])
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    limit = max(three for three, _ in limits)
    image_limit = max(four for _, four in limits)
    print(
        f"digest limit (md5+sha1+sha256, one thread): before {limits[0][0]:.0f}, after "
        f"{limits[1][0]:.0f} MB/s; with sha512: before {limits[0][1]:.0f}, after "
        f"{limits[1][1]:.0f} MB/s"
    )
    print(f"{'variant':<14}{'best MB/s':>10}{'median':>10}{'best/plain':>12}{'median/plain':>14}")
    results: dict[str, object] = {
        "size": args.size,
        "runs": args.runs,
        "load": [load_before, load_after],
        "digest_limit": limits,
    }
    for field in VARIANTS:
        best, median = max(rates[field]), statistics.median(rates[field])
        print(
            f"{field:<14}{best:>10.0f}{median:>10.0f}"
            f"{best / best_plain:>12.2f}{median / median_plain:>14.2f}"
        )
        results[field] = {"rates": rates[field], "best": best, "median": median}
    for field, label, bound in (
        ("plain", "plain (md5, sha1, sha256)", limit),
        ("images", "images (inspection, sha512 too)", image_limit),
    ):
        best, median = max(rates[field]), statistics.median(rates[field])
        print(
            f"{label}: best {best:.0f} MB/s = {best / bound:.2f} x the limit of its digests "
            f"({bound:.0f}); median {median:.0f} = {median / bound:.2f} x"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
