#!/usr/bin/env python3
"""S3 through our nodes next to boto3 talking to the same store directly, in one interleaved run.

Not a test: it measures. It starts (or is pointed at) an S3 service, writes one file of random
bytes, and then, round after round, in the same order each round, times the same file:

- ``boto3 transfer``: ``upload_file`` / ``download_fileobj`` with boto3's default transfer
  configuration (8 MiB parts, 10 threads): what a client talking to S3 directly gets;
- ``boto3 single stream``: sequential 8 MiB ``UploadPart`` calls, one ``GetObject`` read in
  1 MiB chunks (``bench/blobs.py``'s "S3 direct");
- ``store``: the S3 driver in this process (``S3Store`` writer fed 1 MiB chunks, reader
  drained), without HTTP or digests: the driver alone; ``store unsigned`` the same with
  ``payload_signing = false`` (UNSIGNED-PAYLOAD: no sha256 of each part for the signature);
- ``node``: a PUT and a GET through ``artifacts serve`` (gunicorn; the upload computes md5,
  sha1 and sha256 and stores, the download streams from S3 to the client); ``node
  unsigned`` through a second server whose store has ``payload_signing = false``;
- ``node serial``: the same through a third server whose store sends one part at a time and
  does not read ahead (``parts_in_flight = 1``, ``read_ahead = false``): the driver as it was.

It reports the median and best MB/s of each (MB = 10^6 bytes) and the ratios of the medians
to ``boto3 transfer``, and the CPU seconds per GB (10^9 bytes) each upload cost every process
involved, read from ``/proc``: this process (the client; the driver itself in the ``store``
rows), the nodes' gunicorn processes and, given ``--swift-dir`` (or a Swift the script
started), Swift's proxy, object server and the rest (account, container servers and
memcached). The sum over two cores bounds what the machine can do. Digests recorded by the
servers are checked against the file's. Usage::

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/s3_speed.py --size 512MiB \\
        --s3-endpoint http://127.0.0.1:28080 --s3-key test:tester --s3-secret testing \\
        --swift-dir /tmp/swift-s3
    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/s3_speed.py --moto
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import blobs  # bench/blobs.py: servers, S3 targets, the cheap HTTP client

from artifacts.store.s3 import S3Store

MiB = 1024 * 1024


def digests(file: Path) -> blobs.Digests:
    hashes = [hashlib.md5(), hashlib.sha1(), hashlib.sha256()]
    with open(file, "rb") as source:
        while piece := source.read(8 * MiB):
            for digest in hashes:
                digest.update(piece)
    return blobs.Digests(*(digest.hexdigest() for digest in hashes))


class Null:
    """A seekable file that forgets what it is given (the download sink for boto3).

    Seekable, so that boto3 writes ranges as they arrive instead of queueing them in order.
    """

    def __init__(self) -> None:
        self._position = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self._position += len(data)
        return len(data)


class CpuMeter:
    """CPU seconds each group of processes spends during one upload, read from ``/proc``.

    A group is a process tree (gunicorn's master and workers, Swift's proxy and its
    workers), summed over all its threads; this process is the client (and the driver, in
    the ``store`` rows).
    """

    def __init__(self, servers: list[blobs.Server], swift_dir: Path | None) -> None:
        self._groups: dict[str, list[int]] = {"client": [os.getpid()]}
        self._groups["node"] = [pid for server in servers for pid in server.pids]
        if swift_dir is not None:
            roots = {}
            for line in (swift_dir / "pids").read_text().splitlines():
                name, pid = line.split()
                roots[name] = int(pid)
            for group, names in SWIFT_GROUPS.items():
                self._groups[group] = [p for n in names for p in blobs.process_tree(roots[n])]
        self._start: dict[str, float] = {}
        self.last: dict[str, float] = {}

    @property
    def groups(self) -> list[str]:
        return list(self._groups)

    def _seconds(self) -> dict[str, float]:
        return {
            group: sum(blobs.cpu_seconds(pid) for pid in pids)
            for group, pids in self._groups.items()
        }

    def start(self) -> None:
        self._start = self._seconds()

    def stop(self) -> None:
        end = self._seconds()
        self.last = {group: end[group] - self._start[group] for group in end}


#: Swift's processes by what they do for an upload (names as in start_swift_s3.sh's pids file).
SWIFT_GROUPS = {
    "swift proxy": ("proxy-server",),
    "swift object": ("object-server",),
    "swift rest": ("account-server", "container-server", "memcached"),
}


def transfer_client(target: blobs.S3Target) -> Any:
    """A client with a connection per thread of boto3's default transfer configuration (10)."""
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=10,
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=target.endpoint, aws_access_key_id=target.key,
        aws_secret_access_key=target.secret, region_name=target.region, config=config,
    )  # fmt: skip


def boto3_transfer(
    client: Any, bucket: str, file: Path, size: int, meter: CpuMeter
) -> tuple[float, float]:
    key = f"bench-transfer/{uuid.uuid4().hex}"
    meter.start()
    start = time.perf_counter()
    client.upload_file(str(file), bucket, key)
    put = time.perf_counter() - start
    meter.stop()
    start = time.perf_counter()
    client.download_fileobj(bucket, key, Null())
    get = time.perf_counter() - start
    if client.head_object(Bucket=bucket, Key=key)["ContentLength"] != size:
        raise RuntimeError("boto3 transfer stored the wrong size")
    client.delete_object(Bucket=bucket, Key=key)
    return put, get


def store_round(store: S3Store, file: Path, size: int, meter: CpuMeter) -> tuple[float, float]:
    key = f"blobs/bench/{uuid.uuid4().hex}"
    meter.start()
    start = time.perf_counter()
    writer = store.open_writer(key)
    with open(file, "rb") as source:
        while piece := source.read(MiB):
            writer.write(piece)
    writer.commit()
    put = time.perf_counter() - start
    meter.stop()
    start = time.perf_counter()
    handle = store.open_reader(key)
    received = sum(len(chunk) for chunk in handle.chunks)
    handle.close()
    get = time.perf_counter() - start
    store.delete(key)
    if received != size:
        raise RuntimeError(f"store read {received} of {size} bytes")
    return put, get


def node_round(
    server: blobs.Server, file: Path, size: int, expected: blobs.Digests, meter: CpuMeter
) -> tuple[float, float]:
    """bench/blobs.py's timed round (PUT with sendfile, GET drained), metering the PUT."""
    artifact_id = blobs._artifact(server)
    path = f"/artifacts/images/{artifact_id}/image"
    meter.start()
    response, _, put = blobs.put_file(server.port, path, file, size)
    meter.stop()
    blobs._check_upload(response, size, expected)
    response, received, get = blobs.get_to_null(server.port, path)
    blobs._check_download(response, received, size, expected)
    blobs._delete(server, artifact_id)
    return put, get


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=blobs.parse_size, default=512 * MiB)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--parts-in-flight", type=int, default=4)
    parser.add_argument("--json", type=Path, help="write the results here too")
    s3 = parser.add_argument_group("S3 (default: start a private Swift with the shared tool)")
    s3.add_argument("--s3-endpoint")
    s3.add_argument("--s3-key")
    s3.add_argument("--s3-secret")
    s3.add_argument("--s3-bucket", default="artifacts-bench")
    s3.add_argument("--s3-region", default="us-east-1")
    s3.add_argument("--moto", action="store_true", help="start a moto server instead of Swift")
    s3.add_argument("--swift-script", type=Path, default=blobs.SWIFT_SCRIPT)
    s3.add_argument(
        "--swift-dir",
        type=Path,
        help="SWIFT_S3_DIR of the Swift at --s3-endpoint (CPU per process)",
    )
    args = parser.parse_args()
    args.python = sys.executable
    return args


def start_servers(
    args: argparse.Namespace, options: dict[str, Any], env: dict[str, str]
) -> list[blobs.Server]:
    """Servers with the driver's defaults, with unsigned payloads and with its serial settings."""
    parallel = {**options, "parts_in_flight": args.parts_in_flight}
    unsigned = {**parallel, "payload_signing": False}
    serial = {**options, "parts_in_flight": 1, "read_ahead": False}
    servers: list[blobs.Server] = []
    try:
        for label, store_options in (
            ("node", parallel),
            ("node-unsigned", unsigned),
            ("node-serial", serial),
        ):
            workdir = args.workdir / label
            workdir.mkdir()
            blobs.log(f"starting artifacts serve for {label}")
            server = blobs.Server(
                args.python, workdir, store_options, workers=args.workers,
                threads=args.threads, worker_class="buffered", env=env,
            )  # fmt: skip
            servers.append(server)
            blobs.warm_up(server, workdir)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


Runs = dict[str, dict[str, list[float]]]
#: Per path, per round, the CPU seconds per GB of each process group during the upload.
CpuRuns = dict[str, list[dict[str, float]]]


def run_rounds(
    args: argparse.Namespace,
    measures: dict[str, Callable[[], tuple[float, float]]],
    meter: CpuMeter,
) -> tuple[Runs, CpuRuns, list[float]]:
    runs: Runs = {name: {"upload": [], "download": []} for name in measures}
    cpu: CpuRuns = {name: [] for name in measures}
    loads = [os.getloadavg()[0]]
    for number in range(args.rounds):
        for name, measure in measures.items():
            meter.last = {}
            put, get = measure()
            runs[name]["upload"].append(blobs.mbps(args.size, put))
            runs[name]["download"].append(blobs.mbps(args.size, get))
            if meter.last:
                cpu[name].append({k: v / (args.size / 1e9) for k, v in meter.last.items()})
            blobs.log(f"round {number + 1} {name}: {runs[name]['upload'][-1]:.0f} up, {runs[name]['download'][-1]:.0f} down MB/s")  # fmt: skip
        loads.append(os.getloadavg()[0])
    return runs, cpu, loads


def report(
    args: argparse.Namespace,
    backend: str,
    runs: Runs,
    cpu: CpuRuns,
    groups: list[str],
    loads: list[float],
) -> None:
    reference = runs["boto3 transfer"]
    print(f"S3: {backend}; {args.size / MiB:.0f} MiB, {args.rounds} interleaved rounds")
    print(f"load average (1 min) before/after each round: {', '.join(f'{x:.2f}' for x in loads)}")
    print("| path | upload MB/s median (best) | × boto3 | download MB/s median (best) | × boto3 |")
    print("|---|---|---|---|---|")
    for name, rates in runs.items():
        cells = []
        for op in ("upload", "download"):
            median = statistics.median(rates[op])
            ratio = median / statistics.median(reference[op])
            cells += [f"{median:.0f} ({max(rates[op]):.0f})", f"{ratio:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    cores = os.cpu_count() or 1
    print(f"\nupload CPU seconds per GB, median of the rounds ({cores} cores):")
    print("| path | " + " | ".join(groups) + f" | total | total / {cores} cores → MB/s bound |")
    print("|---|" + "---|" * (len(groups) + 2))
    for name, rounds in cpu.items():
        if not rounds:
            continue
        medians = [statistics.median(r[group] for r in rounds) for group in groups]
        total = statistics.median(sum(r.values()) for r in rounds)
        bound = 1000 * cores / total if total else float("inf")
        cells = [f"{m:.2f}" for m in medians] + [f"{total:.2f}", f"{bound:.0f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        result = {"backend": backend, "size": args.size, "loads": loads, "runs": runs, "cpu": cpu}
        args.json.write_text(json.dumps(result, indent=2))


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="s3-speed-") as tmp:
        args.workdir = Path(tmp)
        file = args.workdir / "data.bin"
        blobs.write_data(file, args.size)
        expected = digests(file)
        target = blobs.s3_target(args)
        servers: list[blobs.Server] = []
        try:
            blobs.ensure_bucket(target)
            client = transfer_client(target)
            options = blobs.s3_store_options(target)
            env = dict(
                os.environ,
                AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
                AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
            )
            os.environ.update(env)  # the in-process store's client too
            servers = start_servers(args, options, env)
            store_kwargs = {k: v for k, v in options.items() if k not in ("driver", "bucket")}
            store_kwargs["parts_in_flight"] = args.parts_in_flight
            store, unsigned = (
                S3Store("bench", target.bucket, "bench", payload_signing=signing, **store_kwargs)
                for signing in (True, False)
            )
            swift_dir = args.swift_dir or target.swift_dir
            meter = CpuMeter(servers, swift_dir)
            size = args.size
            measures: dict[str, Callable[[], tuple[float, float]]] = {
                "boto3 transfer": lambda: boto3_transfer(client, target.bucket, file, size, meter),
                "boto3 single stream": lambda: blobs.s3_direct(target, file, size),
                "store": lambda: store_round(store, file, size, meter),
                "store unsigned": lambda: store_round(unsigned, file, size, meter),
                "node": lambda: node_round(servers[0], file, size, expected, meter),
                "node unsigned": lambda: node_round(servers[1], file, size, expected, meter),
                "node serial": lambda: node_round(servers[2], file, size, expected, meter),
            }
            runs, cpu, loads = run_rounds(args, measures, meter)
        finally:
            for server in servers:
                server.stop()
            target.stop()
    report(args, target.backend, runs, cpu, meter.groups, loads)


if __name__ == "__main__":
    main()
