#!/usr/bin/env python3
"""Blob transfer benchmark: upload and download a large blob through a real ``artifacts serve``.

Not a test: it measures, it does not assert. For each store driver asked for (filesystem, S3)
it starts its own server (gunicorn via ``python -m artifacts.cli serve``) on a free 127.0.0.1
port with a temporary data directory and a TOML configuration selecting the store, creates an
image artifact, uploads one generated file into its ``image`` blob and downloads it again, and
reports MB/s (MB = 10^6 bytes) with the server's RSS sampled every 50 ms.

Beside the transfers it measures, in the same run and on the same bytes, the limits they are
judged against:

- ``digest 1 thread``: md5 + sha1 + sha256 one after the other in one Python thread (what an
  upload of any blob costs at least if it hashes serially), and the same with the images type's
  sha512, the four digests the image upload computes, which is the limit it is judged against;
  also each digest alone, and the three on three threads (the best a parallel hasher can do on
  this machine);
- ``sendfile``: a plain loopback TCP copy of the file with ``os.sendfile`` to a reader that drains
  into a reused buffer (what a download costs at least);
- ``disk write+fsync`` (filesystem): writing the bytes to a new file and fsyncing it, as the
  filesystem store does before it answers;
- ``s3 direct`` (S3): the same file put as sequential 8 MiB multipart parts and read back with
  boto3 from this process, i.e. what the S3 service itself allows one stream;
- ``raw receive+hash``: a bare HTTP receiver in a process of its own (``--raw-receiver``) that
  reads the upload from its socket one 1 MiB ``recv`` at a time and hashes it with the digests
  the upload computes (md5, sha1, sha256 and the images type's sha512), nothing else. Its CPU
  seconds per GB are the floor the server's upload CPU per GB is compared with.

``--checkout NAME=PATH`` serves the filesystem rounds from other checkouts too (e.g.
``main=/work/main``), to compare a change with what it replaces in the same run.

The client is kept cheap so that it is not what is measured: uploads go out with
``socket.sendfile`` after a hand-written request head, downloads are drained with ``recv_into``
into one reused buffer, and nothing is hashed on the timed path. Integrity is checked outside
the timed path: the digests the server returns (upload response, download headers) must equal
the ones computed locally, and a separate, untimed download hashes the bytes it receives.

The script is the entry point; its parts are modules beside it: ``measuring`` (sizes, rates,
``/proc`` accounting, shared with ``server_cpu.py``), ``tiny_http`` (the client),
``blob_limits``, ``s3_targets``, ``blob_server`` (the server and a timed round),
``blob_profile`` and ``blob_report``. ``s3_speed.py`` and ``validators.py`` build on it.

Run it from the repository root with the project's virtualenv::

    .venv-test/bin/python bench/blobs.py --store filesystem
    .venv-test/bin/python bench/blobs.py --store s3                       # starts Swift (shared tool)
    .venv-test/bin/python bench/blobs.py --store s3 --moto                # moto server instead
    .venv-test/bin/python bench/blobs.py --store s3 --s3-endpoint http://127.0.0.1:8080 \\
        --s3-key test:tester --s3-secret testing
    .venv-test/bin/python bench/blobs.py --store both --profile --json results.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from blob_limits import CHUNK, Digests, measure_limits, raw_receiver
from blob_profile import profile_round
from blob_report import evaluate, machine, print_report
from blob_server import REPO, Server, Transfer, raw_receive_round, timed_round, warm_up
from measuring import GiB, log, mbps, parse_size, write_data
from s3_targets import SWIFT_SCRIPT, S3Target, ensure_bucket, s3_direct, s3_store_options, s3_target


def bench_store(
    args: argparse.Namespace,
    name: str,
    store: dict[str, Any],
    env: dict[str, str],
    file: Path,
    expected: Digests,
    checkout: Path = REPO,
) -> dict[str, Any]:
    workdir = args.workdir / f"server-{name}"
    workdir.mkdir()
    log(
        f"{name}: starting artifacts serve ({args.workers} {args.worker_class} workers × {args.threads} threads)"
    )
    server = Server(
        args.python,
        workdir,
        store,
        workers=args.workers,
        threads=args.threads,
        worker_class=args.worker_class,
        env=env,
        checkout=checkout,
    )
    try:
        log(f"{name}: server on {server.url}, pids {server.pids}; warming up")
        warm_up(server, workdir)
        rounds: list[tuple[Transfer, Transfer]] = []
        raws: list[Transfer] = []
        for number in range(args.runs):
            if store["driver"] == "filesystem":
                # Next to every upload, so the floor is measured under the same load.
                raws.append(raw_receive_round(file, args.size, args.interval))
                log(
                    f"{name} run {number + 1}: raw receive+hash {raws[-1].mb_s:.0f} MB/s, "
                    f"{raws[-1].server_cpu_s_per_gb:.2f} CPU s/GB"
                )
            upload, download = timed_round(
                server, file, args.size, expected, args.interval, args.verify and number == 0
            )
            log(
                f"{name} run {number + 1}: upload {upload.mb_s:.0f} MB/s "
                f"(RSS +{upload.rss_growth_mb:.1f} MB, server {upload.server_cores:.2f} cores, "
                f"{upload.server_cpu_s_per_gb:.2f} CPU s/GB), "
                f"download {download.mb_s:.0f} MB/s (RSS +{download.rss_growth_mb:.1f} MB)"
            )
            rounds.append((upload, download))
        result: dict[str, Any] = {"rounds": [[asdict(u), asdict(d)] for u, d in rounds]}
        for index, op in enumerate(("upload", "download")):
            transfers = [pair[index] for pair in rounds]
            rates = [t.mb_s for t in transfers]
            result[op] = {
                "best_mb_s": max(rates),
                "median_mb_s": statistics.median(rates),
                "rss_peak_mb": max(t.rss_peak_mb for t in transfers),
                "rss_growth_mb": max(t.rss_growth_mb for t in transfers),
                "server_cores": statistics.median(t.server_cores for t in transfers),
                "machine_cores": statistics.median(t.machine_cores for t in transfers),
                "client_cores": statistics.median(t.client_cores for t in transfers),
                "server_cpu_s_per_gb": statistics.median(t.server_cpu_s_per_gb for t in transfers),
            }
        if raws:
            result["raw"] = {
                "rounds": [asdict(r) for r in raws],
                "best_mb_s": max(r.mb_s for r in raws),
                "server_cpu_s_per_gb": statistics.median(r.server_cpu_s_per_gb for r in raws),
            }
            # Per round, then the median: each upload against the floor measured beside it.
            result["upload"]["cpu_per_gb_over_raw"] = statistics.median(
                u.server_cpu_s_per_gb / r.server_cpu_s_per_gb
                for (u, _), r in zip(rounds, raws, strict=True)
            )
        if args.profile:
            for gil in (False, True):
                log(f"{name}: profiling with py-spy{' --gil' if gil else ''} (untimed round)")
                key = "profile_gil" if gil else "profile"
                result[key] = profile_round(server, file, args.size, workdir, name, gil)
        return result
    except BaseException:
        log(f"{name}: failed; server log tail:\n{server.logs()}")
        raise
    finally:
        server.stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=GiB, help="blob size (1G, 512M, …); default 1 GiB")  # fmt: skip
    parser.add_argument("--store", choices=("filesystem", "s3", "both"), default="filesystem")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds per store and limit (best and median are reported)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as etc/artifacts.toml)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--worker-class", default="buffered", help="[server] worker_class (default buffered)"
    )
    parser.add_argument("--interval", type=float, default=0.05, help="RSS sampling interval (s)")
    s3 = parser.add_argument_group("S3 (default: start a private Swift with the shared tool)")
    s3.add_argument("--s3-endpoint", help="use this S3 endpoint instead of starting one")
    s3.add_argument("--s3-key", help="access key (default $AWS_ACCESS_KEY_ID)")
    s3.add_argument("--s3-secret", help="secret key (default $AWS_SECRET_ACCESS_KEY)")
    s3.add_argument("--s3-bucket", default="artifacts-bench", help="bucket (created if missing)")
    s3.add_argument("--s3-region", default="us-east-1")
    s3.add_argument("--moto", action="store_true", help="start a moto server instead of Swift")
    s3.add_argument("--swift-script", type=Path, default=SWIFT_SCRIPT, help="start_swift_s3.sh")
    s3.add_argument(
        "--s3-checksums",
        choices=("when_required", "when_supported"),
        default="when_required",
        help="botocore request/response checksum mode for the server (AWS_*_CHECKSUM_* "
        "environment variables); Swift needs when_required",
    )
    parser.add_argument("--checkout", action="append", default=[], metavar="NAME=PATH", help="also run the filesystem rounds on the server of this checkout (repeatable)")  # fmt: skip
    parser.add_argument("--raw-receiver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-verify", dest="verify", action="store_false", help="skip the untimed download that hashes the bytes")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="after the timed rounds, profile one upload and one download with py-spy (CPU, then --gil)")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON ('-' for stdout)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data, logs, profiles)")  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="parent directory for the work directory (default: the system temp dir)")  # fmt: skip
    parser.add_argument("--python", default=str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable, help="interpreter for the server")  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    stores = ["filesystem", "s3"] if args.store == "both" else [args.store]
    file = args.workdir / "blob.bin"
    log(f"writing {args.size} random bytes to {file}")
    write_data(file, args.size)
    log(f"measuring limits ({args.runs} runs each)")
    disk_dir = args.workdir if "filesystem" in stores else None
    limits, expected = measure_limits(file, args.size, args.runs, disk_dir)
    results: dict[str, Any] = {
        "size": args.size,
        "runs": args.runs,
        "workers": args.workers,
        "threads": args.threads,
        "worker_class": args.worker_class,
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "digests": asdict(expected),
        "stores": {},
    }
    target: S3Target | None = None
    try:
        if "filesystem" in stores:
            checkouts = [("filesystem", REPO)] + [
                (f"filesystem-{label}", Path(path).resolve())
                for label, path in (item.split("=", 1) for item in args.checkout)
            ]
            for label, checkout in checkouts:
                results["stores"][label] = bench_store(
                    args, label, {"driver": "filesystem", "root": "blobs"}, {}, file, expected,
                    checkout,
                )  # fmt: skip
        if "s3" in stores:
            target = s3_target(args)
            results["s3_backend"] = target.backend
            ensure_bucket(target)
            log("s3: measuring the direct boto3 limit")
            puts, gets = zip(*(s3_direct(target, file, args.size) for _ in range(args.runs)))
            limits.s3_direct_put = max(mbps(args.size, s) for s in puts)
            limits.s3_direct_get = max(mbps(args.size, s) for s in gets)
            limits.runs["s3_direct_put"] = [mbps(args.size, s) for s in puts]
            limits.runs["s3_direct_get"] = [mbps(args.size, s) for s in gets]
            env = {
                "AWS_REQUEST_CHECKSUM_CALCULATION": args.s3_checksums,
                "AWS_RESPONSE_CHECKSUM_VALIDATION": args.s3_checksums,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            options = s3_store_options(target)
            results["stores"]["s3"] = bench_store(args, "s3", options, env, file, expected)
    finally:
        if target is not None:
            target.stop()
    results["limits"] = asdict(limits)
    results["targets"] = evaluate(results)
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.raw_receiver:
        raw_receiver()
        return 0
    if args.size < CHUNK:
        raise SystemExit("--size must be at least 1 MiB")
    parent = args.workdir or Path(tempfile.gettempdir())
    args.workdir = Path(tempfile.mkdtemp(prefix="artifacts-bench-", dir=parent))
    try:
        results = run(args)
    finally:
        if args.keep:
            log(f"kept {args.workdir}")
        else:
            shutil.rmtree(args.workdir, ignore_errors=True)
    print_report(results)
    if args.json == "-":
        json.dump(results, sys.stdout, indent=2)
        print()
    elif args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
