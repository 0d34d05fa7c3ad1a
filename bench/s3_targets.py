"""The S3 services a blob benchmark runs against: a private Swift started with the shared tool,
a moto server, or an endpoint given; and what boto3 alone achieves against it (``s3_direct``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blob_limits import CHUNK
from measuring import MiB, log

from artifacts.devserver import free_port

REPO = Path(__file__).resolve().parents[1]
SWIFT_SCRIPT = REPO.parent / "shared" / "tools" / "start_swift_s3.sh"
S3_PART = 8 * MiB  # the S3 store's default part size


@dataclass
class S3Target:
    endpoint: str
    key: str
    secret: str
    bucket: str
    region: str
    backend: str
    stop: Callable[[], None] = lambda: None
    #: The SWIFT_S3_DIR of a Swift this script started (its pids file names its processes).
    swift_dir: Path | None = None


def _boto_client(target: S3Target) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=4,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=target.endpoint,
        aws_access_key_id=target.key,
        aws_secret_access_key=target.secret,
        region_name=target.region,
        config=config,
    )


def start_swift(workdir: Path, script: Path) -> S3Target:
    """Start a private Swift (own directory, own free ports) with the shared tool."""
    swift_dir = workdir / "swift"
    env = dict(os.environ, SWIFT_S3_DIR=str(swift_dir))
    for knob in ("PROXY_PORT", "MEMCACHED_PORT", "OBJECT_PORT", "CONTAINER_PORT", "ACCOUNT_PORT"):
        env[knob] = str(free_port())

    def stop() -> None:
        log("stopping Swift")
        subprocess.run([str(script), "stop"], env=env, check=False, capture_output=True)

    log(f"starting Swift in {swift_dir} (ports {env['PROXY_PORT']}…)")
    result = subprocess.run(
        [str(script), "start"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        stop()
        raise RuntimeError(f"start_swift_s3.sh failed: {result.stderr.strip()[-800:]}")
    return S3Target(
        endpoint=f"http://127.0.0.1:{env['PROXY_PORT']}",
        key=f"{env.get('S3_ACCOUNT', 'test')}:{env.get('S3_USER', 'tester')}",
        secret=env.get("S3_SECRET", "testing"),
        bucket="artifacts-bench",
        region=env.get("S3_REGION", "us-east-1"),
        backend="swift 2.30 s3api (start_swift_s3.sh, 1 proxy + 1 object server)",
        stop=stop,
        swift_dir=swift_dir,
    )


def start_moto(python: str, workdir: Path) -> S3Target:
    port = free_port()
    log_file = (workdir / "moto.log").open("wb")
    process = subprocess.Popen(
        [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        log(f"stopping moto (pid {process.pid})")
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()

    target = S3Target(f"http://127.0.0.1:{port}", "bench", "bench", "artifacts-bench", "us-east-1", "moto server (in-memory)", stop)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return target
        if process.poll() is not None or time.monotonic() > deadline:
            stop()
            raise RuntimeError(f"moto server did not start (see {workdir / 'moto.log'})")
        time.sleep(0.1)


def ensure_bucket(target: S3Target) -> None:
    client = _boto_client(target)
    try:
        client.create_bucket(Bucket=target.bucket)
    except client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in (
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        ):
            raise


def s3_direct(target: S3Target, file: Path, size: int) -> tuple[float, float]:
    """Put the file as sequential multipart parts and get it back, with boto3 in this process."""
    client = _boto_client(target)
    key = f"bench-direct/{uuid.uuid4().hex}"
    start = time.perf_counter()
    upload = client.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    parts = []
    with open(file, "rb") as source:
        for number in range(1, (size + S3_PART - 1) // S3_PART + 1):
            body = source.read(S3_PART)
            etag = client.upload_part(
                Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=number, Body=body
            )["ETag"]
            parts.append({"ETag": etag, "PartNumber": number})
    client.complete_multipart_upload(
        Bucket=target.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    put_seconds = time.perf_counter() - start
    start = time.perf_counter()
    body = client.get_object(Bucket=target.bucket, Key=key)["Body"]
    received = sum(len(chunk) for chunk in body.iter_chunks(CHUNK))
    get_seconds = time.perf_counter() - start
    client.delete_object(Bucket=target.bucket, Key=key)
    if received != size:
        raise RuntimeError(f"direct S3 get returned {received} of {size} bytes")
    return put_seconds, get_seconds


def s3_target(args: argparse.Namespace) -> S3Target:
    if args.s3_endpoint:
        key = args.s3_key or os.environ.get("AWS_ACCESS_KEY_ID", "")
        secret = args.s3_secret or os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        return S3Target(args.s3_endpoint, key, secret, args.s3_bucket, args.s3_region, "external")
    if args.moto:
        return start_moto(args.python, args.workdir)
    try:
        return start_swift(args.workdir, args.swift_script)
    except (RuntimeError, OSError) as exc:
        log(f"Swift could not be started ({exc}); falling back to moto server")
        target = start_moto(args.python, args.workdir)
        target.backend += f" — Swift failed to start: {str(exc)[:200]}"
        return target


def s3_store_options(target: S3Target) -> dict[str, Any]:
    return {
        "driver": "s3",
        "bucket": target.bucket,
        "endpoint_url": target.endpoint,
        "region": target.region,
        "access_key": target.key,
        "secret_key": target.secret,
        "addressing_style": "path",
    }
