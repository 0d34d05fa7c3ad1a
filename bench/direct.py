"""Direct-to-S3 transfers against a real bucket (Swift's s3api), next to boto3 on it directly.

Starts `artifacts serve` (2 workers; SQLite, or ``--database-url``) whose default store is a
bucket on the given S3 endpoint with ``direct_uploads`` and ``presigned_downloads``, writes a
file of random bytes and runs:

1. **interrupted** (once): a direct upload whose client stops after 50 % of the parts, asks
   the server what the bucket holds, sends up to 90 %, asks again, sends the rest; then a
   commit during which the server's workers are killed (SIGKILL, as a crash), and commit
   retries until it answers 200 (its claim lapses with the upload lease, 30 s). Reports each
   phase's time and checks the recorded digests against the file's.
2. **throughput** (``--rounds`` interleaved rounds): boto3 ``upload_file`` straight to the
   bucket; a direct upload (presigned parts, ``--parallel`` at once, then the commit and its
   verification read); boto3 ``download_fileobj``; a download through the service's presigned
   redirect (one stream, followed by requests). Same part size and concurrency for boto3.

Usage (the endpoint and keys default to a start_swift_s3.sh's ``s3.env`` variables)::

    source /tmp/swift-s3/s3.env
    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/direct.py --size 1GiB
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import requests
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from artifacts.devserver import RunningServer, run_server

UNITS = {"MiB": 1024**2, "GiB": 1024**3}
HEADERS = {"X-Project-Id": "bench", "X-User-Id": "u1"}
BLOCK = 1024 * 1024


def parse_size(text: str) -> int:
    for unit, factor in UNITS.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


class Bench:
    def __init__(self, server: RunningServer, path: Path, parallel: int) -> None:
        self.url = server.url
        self.server = server
        self.path = path
        self.size = path.stat().st_size
        self.parallel = parallel
        self.http = requests.Session()

    def image(self) -> str:
        created = self.http.post(
            f"{self.url}/artifacts/images",
            json={"name": f"bench-{uuid.uuid4().hex[:8]}", "disk_format": "raw",
                  "container_format": "bare"},
            headers=HEADERS, timeout=60,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def open(self, artifact_id: str, sha256: str) -> dict[str, Any]:
        body = {"type_name": "images", "artifact_id": artifact_id, "field": "image",
                "size": self.size, "sha256": sha256}  # fmt: skip
        opened = self.http.post(
            f"{self.url}/direct-uploads", json=body, headers=HEADERS, timeout=60
        )
        assert opened.status_code == 201, opened.text
        return dict(opened.json())

    def status(self, session: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.get(f"{self.url}{session['href']}", headers=HEADERS, timeout=60)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def send(self, session: dict[str, Any], upto: int | None = None) -> None:
        """PUT the parts the session has URLs for (those numbered up to ``upto``)."""
        part_size = session["part_size"]
        wanted = [p for p in session["upload_urls"] if upto is None or p["number"] <= upto]

        def put(part: dict[str, Any]) -> None:
            with open(self.path, "rb") as file:
                file.seek((part["number"] - 1) * part_size)
                data = file.read(part["size"])
            answer = requests.put(part["url"], data=data, timeout=600)
            assert answer.status_code == 200, answer.text

        with ThreadPoolExecutor(self.parallel) as pool:
            list(pool.map(put, wanted))

    def commit(self, session: dict[str, Any], timeout: float = 600) -> requests.Response:
        return requests.post(
            f"{self.url}{session['href']}/commit", headers=HEADERS, timeout=timeout
        )


def interrupted(bench: Bench, sha256: str, expected: dict[str, str]) -> None:
    artifact_id = bench.image()
    start = time.perf_counter()
    session = bench.open(artifact_id, sha256)
    count = session["part_count"]
    bench.send(session, upto=count // 2)
    half = time.perf_counter()
    listed = bench.status(session)
    assert [p["number"] for p in listed["uploaded_parts"]] == list(range(1, count // 2 + 1))
    bench.send(listed, upto=int(count * 0.9))
    ninety = time.perf_counter()
    listed = bench.status(session)
    assert len(listed["uploaded_parts"]) == int(count * 0.9)
    bench.send(listed)
    sent = time.perf_counter()
    print(f"  parts: 50 % in {half - start:.1f} s, 90 % at {ninety - start:.1f} s, all at "
          f"{sent - start:.1f} s ({count} parts of {session['part_size'] // BLOCK} MiB)")  # fmt: skip
    first = threading.Thread(target=lambda: _quietly(bench.commit, session))
    first.start()
    time.sleep(1.5)  # the commit is reading the object back by now
    for pid in bench.server.workers():
        os.kill(pid, signal.SIGKILL)
    killed = time.perf_counter()
    first.join()
    tries = 0
    while True:
        tries += 1
        try:
            answer = bench.commit(session)
        except requests.ConnectionError:
            time.sleep(1)
            continue
        if answer.status_code == 200:
            break
        assert answer.status_code in (409, 503), answer.text
        time.sleep(2)
    done = time.perf_counter()
    image = answer.json()["image"]
    assert {k: image[k] for k in expected} == expected, image
    print(f"  commit killed 1.5 s in; retried {tries}x; active {done - killed:.1f} s after the "
          f"kill (the claim's lease is 30 s); digests exact: {image['sha256']}")  # fmt: skip


def _quietly(call: Any, *args: Any) -> None:
    with contextlib.suppress(requests.RequestException):
        call(*args)


def throughput(bench: Bench, s3: Any, bucket: str, sha256: str, rounds: int, part: int) -> None:
    config = TransferConfig(multipart_chunksize=part, multipart_threshold=part,
                            max_concurrency=bench.parallel, use_threads=True)  # fmt: skip
    results: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        results.setdefault(name, []).append(seconds)

    mb = bench.size / 1e6
    for round_number in range(1, rounds + 1):
        key = f"boto3-{uuid.uuid4().hex}"
        start = time.perf_counter()
        s3.upload_file(str(bench.path), bucket, key, Config=config)
        record("boto3 upload_file", time.perf_counter() - start)

        artifact_id = bench.image()
        start = time.perf_counter()
        session = bench.open(artifact_id, sha256)
        bench.send(session)
        parts_done = time.perf_counter()
        answer = bench.commit(session)
        assert answer.status_code == 200, answer.text
        end = time.perf_counter()
        record("direct upload (open + parts + commit)", end - start)
        record("  of which parts", parts_done - start)
        record("  of which commit (verification read)", end - parts_done)

        start = time.perf_counter()
        with open(os.devnull, "wb") as sink:
            s3.download_fileobj(bucket, key, sink, Config=config)
        record(f"boto3 download_fileobj ({bench.parallel} ranges)", time.perf_counter() - start)
        start = time.perf_counter()
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        size = sum(len(c) for c in body.iter_chunks(BLOCK))
        record("boto3 get_object (one stream)", time.perf_counter() - start)
        assert size == bench.size

        start = time.perf_counter()
        with requests.get(f"{bench.url}/artifacts/images/{artifact_id}/image",
                          headers=HEADERS, stream=True, timeout=600) as got:  # fmt: skip
            assert [r.status_code for r in got.history] == [302]
            size = sum(len(c) for c in got.iter_content(BLOCK))
        record("redirected download (one stream)", time.perf_counter() - start)
        assert size == bench.size
        s3.delete_object(Bucket=bucket, Key=key)
        print(f"  round {round_number} done")
    print(f"\n  {'transfer':<44} {'median s':>9} {'MB/s':>8}   (runs)")
    for name, times in results.items():
        median = sorted(times)[len(times) // 2]
        print(f"  {name:<44} {median:>9.2f} {mb / median:>8.0f}   "
              f"({', '.join(f'{t:.2f}' for t in times)})")  # fmt: skip
    up = sorted(results["direct upload (open + parts + commit)"])[rounds // 2]
    parts = sorted(results["  of which parts"])[rounds // 2]
    boto_up = sorted(results["boto3 upload_file"])[rounds // 2]
    down = sorted(results["redirected download (one stream)"])[rounds // 2]
    boto_down = sorted(results["boto3 get_object (one stream)"])[rounds // 2]
    print(f"\n  direct upload / boto3: {boto_up / up:.2f}x (parts alone: {boto_up / parts:.2f}x); "
          f"redirected download / boto3 one stream: {boto_down / down:.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="256MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--part-size", default="64MiB")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--s3-url", default=os.environ.get("S3_ENDPOINT_URL", ""))
    parser.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID", ""))
    parser.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY", ""))
    parser.add_argument("--skip", choices=["interrupted", "throughput"], action="append")
    args = parser.parse_args()
    size, part = parse_size(args.size), parse_size(args.part_size)
    s3 = boto3.session.Session(
        aws_access_key_id=args.access_key, aws_secret_access_key=args.secret_key,
        region_name="us-east-1",
    ).client("s3", endpoint_url=args.s3_url, config=Config(
        s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
        response_checksum_validation="when_required", max_pool_connections=32,
    ))  # fmt: skip
    bucket = f"bench-direct-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    with tempfile.TemporaryDirectory(prefix="bench-direct-") as tmp:
        work = Path(tmp)
        path = work / "disk.raw"
        digests = {"md5": hashlib.md5(), "sha1": hashlib.sha1(), "sha256": hashlib.sha256()}
        with open(path, "wb") as out:
            left = size
            while left:
                chunk = os.urandom(min(16 * BLOCK, left))
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                left -= len(chunk)
        expected = {name: d.hexdigest() for name, d in digests.items()}
        config = work / "artifacts.toml"
        config.write_text(
            f'[stores.default]\ndriver = "s3"\nbucket = "{bucket}"\nendpoint_url = "{args.s3_url}"\n'
            f'region = "us-east-1"\naccess_key = "{args.access_key}"\nsecret_key = "{args.secret_key}"\n'
            f'addressing_style = "path"\ndirect_uploads = true\npresigned_downloads = true\n'
            f"direct_part_size = {part}\n"
        )
        env = {"ARTIFACTS_CONFIG": str(config)}
        if args.database_url:
            env["ARTIFACTS_DATABASE_URL"] = args.database_url
        server = run_server(work / "data", workers=2, env=env)
        try:
            bench = Bench(server, path, args.parallel)
            print(f"{size / UNITS['MiB']:.0f} MiB, parts of {part // BLOCK} MiB, {args.parallel} "
                  f"at once; database: {args.database_url.split('@')[-1] or 'SQLite'}; "
                  f"load: {os.getloadavg()}")  # fmt: skip
            if "interrupted" not in (args.skip or []):
                print("interrupted at 50 %, 90 % and during commit:")
                interrupted(bench, expected["sha256"], expected)
            if "throughput" not in (args.skip or []):
                print(f"throughput, {args.rounds} interleaved rounds:")
                throughput(bench, s3, bucket, expected["sha256"], args.rounds, part)
            print(f"load after: {os.getloadavg()}")
        finally:
            server.stop()
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
            for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                          UploadId=upload["UploadId"])  # fmt: skip
            s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
