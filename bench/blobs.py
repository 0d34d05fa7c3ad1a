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
  upload costs at least if it hashes serially); also each digest alone, and the three on three
  threads (the best a parallel hasher can do on this machine);
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
import contextlib
import hashlib
import json
import mmap
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from artifacts.devserver import free_port, run_server

REPO = Path(__file__).resolve().parents[1]
SWIFT_SCRIPT = REPO.parent / "shared" / "tools" / "start_swift_s3.sh"
KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
MB = 1_000_000
CHUNK = MiB
RECV_BUFFER = 4 * MiB
S3_PART = 8 * MiB  # the S3 store's default part size
HEADERS = {"X-Project-Id": "bench", "X-User-Id": "bench"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# --- small helpers -------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """Parse ``1073741824``, ``1G``, ``1GiB``, ``512M``, ``64k`` (binary units) into bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)(i?[bB])?\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "k": KiB, "m": MiB, "g": GiB}[unit]


def mbps(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / MB if seconds > 0 else float("inf")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def drain(sock: socket.socket, nbytes: int, initial: int = 0) -> int:
    """Receive ``nbytes`` (minus ``initial`` already received) into one reused buffer."""
    buffer = memoryview(bytearray(RECV_BUFFER))
    received = initial
    while received < nbytes:
        count = sock.recv_into(buffer, min(RECV_BUFFER, nbytes - received))
        if count == 0:
            raise ConnectionError(f"connection closed after {received} of {nbytes} bytes")
        received += count
    return received


# --- process accounting through /proc (no psutil needed) -------------------------------------------


def process_tree(pid: int) -> list[int]:
    """Return ``pid`` and its descendants (gunicorn master and workers)."""
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
        self._cpu0 = sum(cpu_seconds(pid) for pid in self._pids)
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
        self.server_cores = (sum(cpu_seconds(pid) for pid in self._pids) - self._cpu0) / wall
        self.machine_cores = (os.cpu_count() or 1) * busy / total if total else 0.0
        self.client_cores = (time.process_time() - self._client0) / wall


# --- a minimal HTTP/1.1 client: cheap on the timed path ----------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def _read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(64 * KiB)
        if not chunk:
            raise ConnectionError("connection closed before the response head")
        data += chunk
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


def _read_body(sock: socket.socket, headers: dict[str, str], rest: bytes) -> bytes:
    if "content-length" not in headers:
        raise ConnectionError(f"response without Content-Length: {headers}")
    length = int(headers["content-length"])
    data = bytearray(rest)
    while len(data) < length:
        chunk = sock.recv(min(RECV_BUFFER, length - len(data)))
        if not chunk:
            raise ConnectionError("connection closed inside the response body")
        data += chunk
    return bytes(data)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _head(method: str, path: str, port: int, extra: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in {**HEADERS, **extra}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def put_file(port: int, path: str, file: Path, size: int) -> tuple[Response, float, float]:
    """PUT the file with sendfile; return the response, seconds to send, seconds to answer."""
    extra = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    with _connect(port) as sock, open(file, "rb") as body:
        start = time.perf_counter()
        sock.sendall(_head("PUT", path, port, extra))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendfile(body, 0, size)  # an early error answer stops the send; read it below
        sent = time.perf_counter()
        status, headers, rest = _read_head(sock)
        response = Response(status, headers, _read_body(sock, headers, rest))
        done = time.perf_counter()
    return response, sent - start, done - start


def get_to_null(
    port: int, path: str, consume: Callable[[memoryview], None] | None = None
) -> tuple[Response, int, float]:
    """GET and drain the body; ``consume`` (untimed passes only) sees every received piece."""
    with _connect(port) as sock:
        start = time.perf_counter()
        sock.sendall(_head("GET", path, port, {}))
        status, headers, rest = _read_head(sock)
        if status != 200:
            return Response(status, headers, _read_body(sock, headers, rest)), 0, 0.0
        length = int(headers["content-length"])
        if consume is None:
            received = drain(sock, length, len(rest))
        else:
            consume(memoryview(rest))
            received, buffer = len(rest), memoryview(bytearray(RECV_BUFFER))
            while received < length:
                count = sock.recv_into(buffer, min(RECV_BUFFER, length - received))
                if count == 0:
                    break
                consume(buffer[:count])
                received += count
        elapsed = time.perf_counter() - start
    return Response(status, headers), received, elapsed


# --- the data and the limits ---------------------------------------------------------------------


def write_data(path: Path, size: int) -> None:
    """Write ``size`` random bytes: incompressible, and no block repeats."""
    with open(path, "wb") as out:
        left = size
        while left:
            piece = min(left, 8 * MiB)
            out.write(os.urandom(piece))
            left -= piece


@dataclass
class Digests:
    md5: str
    sha1: str
    sha256: str


@dataclass
class Limits:
    digest_1thread: float = 0.0
    digest_md5: float = 0.0
    digest_sha1: float = 0.0
    digest_sha256: float = 0.0
    digest_3threads: float = 0.0
    sendfile: float = 0.0
    disk_write_fsync: float = 0.0
    s3_direct_put: float = 0.0
    s3_direct_get: float = 0.0
    runs: dict[str, list[float]] = field(default_factory=dict)


def _chunks(view: memoryview, size: int) -> Iterator[memoryview]:
    for offset in range(0, size, CHUNK):
        yield view[offset : offset + CHUNK]


def hash_serial(view: memoryview, size: int, names: tuple[str, ...]) -> tuple[float, list[str]]:
    hashes = [hashlib.new(name) for name in names]
    start = time.perf_counter()
    for piece in _chunks(view, size):
        for digest in hashes:
            digest.update(piece)
    return time.perf_counter() - start, [digest.hexdigest() for digest in hashes]


def hash_threads(view: memoryview, size: int) -> float:
    """Each digest on its own thread over the same chunks: the parallel hashing ceiling."""
    barrier = threading.Barrier(4)

    def work(name: str) -> None:
        digest = hashlib.new(name)
        barrier.wait()
        for piece in _chunks(view, size):
            digest.update(piece)

    threads = [threading.Thread(target=work, args=(n,)) for n in ("md5", "sha1", "sha256")]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def sendfile_copy(file: Path, size: int) -> float:
    """Copy the file over loopback TCP with sendfile to a reader draining into one buffer."""
    done: list[float] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def reader() -> None:
            conn, _ = listener.accept()
            with conn:
                drain(conn, size)
                done.append(time.perf_counter())

        thread = threading.Thread(target=reader)
        thread.start()
        with _connect(listener.getsockname()[1]) as sock, open(file, "rb") as body:
            start = time.perf_counter()
            sock.sendfile(body, 0, size)
            thread.join()
    return done[0] - start


def disk_write_fsync(view: memoryview, size: int, directory: Path) -> float:
    """Write the bytes to a new file in ``directory`` in 1 MiB writes, then fsync it."""
    target = directory / f"disk-probe-{uuid.uuid4().hex}"
    try:
        start = time.perf_counter()
        with open(target, "wb") as out:
            for piece in _chunks(view, size):
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        return time.perf_counter() - start
    finally:
        target.unlink(missing_ok=True)


def measure_limits(
    file: Path, size: int, runs: int, disk_dir: Path | None
) -> tuple[Limits, Digests]:
    limits = Limits()
    digests: Digests | None = None
    with open(file, "rb") as source:
        mapped = mmap.mmap(source.fileno(), size, prot=mmap.PROT_READ, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)  # fmt: skip
    view = memoryview(mapped)
    try:
        measures: dict[str, Callable[[], float]] = {
            "digest_1thread": lambda: hash_serial(view, size, ("md5", "sha1", "sha256"))[0],
            "digest_md5": lambda: hash_serial(view, size, ("md5",))[0],
            "digest_sha1": lambda: hash_serial(view, size, ("sha1",))[0],
            "digest_sha256": lambda: hash_serial(view, size, ("sha256",))[0],
            "digest_3threads": lambda: hash_threads(view, size),
            "sendfile": lambda: sendfile_copy(file, size),
        }
        if disk_dir is not None:
            measures["disk_write_fsync"] = lambda: disk_write_fsync(view, size, disk_dir)
        _, hexes = hash_serial(view, size, ("md5", "sha1", "sha256"))
        digests = Digests(*hexes)
        for name, measure in measures.items():
            rates = [mbps(size, measure()) for _ in range(runs)]
            limits.runs[name] = rates
            setattr(limits, name, max(rates))
            log(f"limit {name}: best {max(rates):.0f} MB/s of {runs}")
    finally:
        view.release()
        mapped.close()
    return limits, digests


#: What the raw receiver hashes: the digests an upload of the benchmark's image blob computes.
RAW_DIGESTS = ("md5", "sha1", "sha256", "sha512")


def raw_receiver() -> None:
    """Serve PUTs on a free port (printed first): receive, hash, answer 200. Nothing else."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        while True:
            sock, _ = listener.accept()
            with sock:
                _, headers, rest = _read_request_head(sock)
                remaining = int(headers["content-length"]) - len(rest)
                hashes = [hashlib.new(name) for name in RAW_DIGESTS]
                for digest in hashes:
                    digest.update(rest)
                while remaining > 0:
                    chunk = sock.recv(min(CHUNK, remaining), socket.MSG_WAITALL)
                    if not chunk:
                        break
                    for digest in hashes:
                        digest.update(chunk)
                    remaining -= len(chunk)
                body = json.dumps([d.hexdigest() for d in hashes]).encode()
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                )
                sock.sendall(head.encode() + body)


def _read_request_head(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    data = bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(64 * KiB)
        if not chunk:
            raise ConnectionError("connection closed before the request head")
        data += chunk
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, rest


def raw_receive_round(file: Path, size: int, interval: float) -> Transfer:
    """One upload to the raw receiver, with its CPU per GB (its own process only)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--raw-receiver"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with Sampler([process.pid], interval) as sample:
            response, sent, seconds = put_file(port, "/raw", file, size)
        if response.status != 200:
            raise RuntimeError(f"raw receiver answered {response.status}")
        return _transfer("raw receive+hash", size, seconds, sample, send_seconds=sent)
    finally:
        process.kill()
        process.wait()


# --- S3 services -----------------------------------------------------------------------------------


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


# --- the server --------------------------------------------------------------------------------------


def _toml(value: object) -> str:
    return json.dumps(value)  # JSON strings and integers are valid TOML values


class Server:
    """``python -m artifacts.cli serve`` on a free loopback port, with its own data directory."""

    def __init__(
        self,
        python: str,
        workdir: Path,
        store: dict[str, Any],
        *,
        workers: int,
        threads: int,
        worker_class: str,
        env: dict[str, str],
        checkout: Path = REPO,
    ) -> None:
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True)
        self.log = workdir / "server.log"
        config = workdir / "artifacts.toml"
        lines = [
            "[server]",
            f"workers = {workers}",
            f"threads = {threads}",
            f"worker_class = {_toml(worker_class)}",
            'log_level = "warning"',
            "[storage]",
            f"data_dir = {_toml(str(self.data_dir))}",
            "[blobs]",
            'default_store = "bench"',
            "[stores.bench]",
        ] + [f"{key} = {_toml(value)}" for key, value in store.items()]
        config.write_text("\n".join(lines) + "\n")
        self.running = run_server(
            self.data_dir, workers=None, config=config, env=env, python=python,
            log=self.log, cwd=checkout,
        )  # fmt: skip
        self.url = self.running.url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.process = self.running.process
        self.pids = [self.process.pid, *self.running.wait_for_workers(workers)]

    def logs(self) -> str:
        return self.running.logs(tail=4000)

    def stop(self) -> None:
        self.running.stop()


# --- the transfers -----------------------------------------------------------------------------------


@dataclass
class Transfer:
    op: str
    seconds: float
    mb_s: float
    rss_baseline_mb: float
    rss_peak_mb: float
    rss_growth_mb: float
    server_cores: float
    machine_cores: float
    client_cores: float
    send_seconds: float | None = None
    server_cpu_s_per_gb: float = 0.0


def _artifact(server: Server) -> str:
    import requests

    body = {
        "name": f"bench-{uuid.uuid4().hex[:12]}",
        "version": "1.0.0",
        "disk_format": "raw",
        "container_format": "bare",
    }
    response = requests.post(f"{server.url}/artifacts/images", json=body, headers=HEADERS, timeout=30)  # fmt: skip
    response.raise_for_status()
    return str(response.json()["id"])


def _delete(server: Server, artifact_id: str) -> None:
    import requests

    url = f"{server.url}/artifacts/images/{artifact_id}"
    requests.delete(url, headers=HEADERS, timeout=120).raise_for_status()


def _check_upload(response: Response, size: int, expected: Digests) -> None:
    if response.status != 200:
        raise RuntimeError(f"upload answered {response.status}: {response.body[:500]!r}")
    blob = json.loads(response.body)["image"]
    got = (blob["size"], blob["md5"], blob["sha1"], blob["sha256"])
    want = (size, expected.md5, expected.sha1, expected.sha256)
    if got != want:
        raise RuntimeError(f"upload recorded {got}, expected {want}")


def _check_download(response: Response, received: int, size: int, expected: Digests) -> None:
    if response.status != 200 or received != size:
        raise RuntimeError(f"download answered {response.status} with {received} of {size} bytes")
    sha256 = response.headers.get("x-openstack-glare-content-sha256")
    md5 = response.headers.get("content-md5")
    if (sha256, md5) != (expected.sha256, expected.md5):
        raise RuntimeError(f"download headers sha256={sha256} md5={md5}, expected {expected}")


def verify_bytes(server: Server, path: str, expected: Digests) -> None:
    """Untimed: download again and hash what arrives, so the bytes themselves are checked."""
    digest = hashlib.sha256()
    response, _, _ = get_to_null(server.port, path, digest.update)
    if digest.hexdigest() != expected.sha256:
        raise RuntimeError(f"downloaded bytes hash to {digest.hexdigest()}, not {expected.sha256}")


def warm_up(server: Server, workdir: Path) -> None:
    """Small transfers on fresh connections, so each worker has its imports and connections."""
    small = workdir / "warm-up.bin"
    write_data(small, 4 * MiB)
    for _ in range(4):
        artifact_id = _artifact(server)
        path = f"/artifacts/images/{artifact_id}/image"
        response, _, _ = put_file(server.port, path, small, 4 * MiB)
        if response.status != 200:
            raise RuntimeError(f"warm-up upload answered {response.status}: {response.body!r}")
        get_to_null(server.port, path)
        _delete(server, artifact_id)
    small.unlink()


def timed_round(
    server: Server, file: Path, size: int, expected: Digests, interval: float, verify: bool
) -> tuple[Transfer, Transfer]:
    artifact_id = _artifact(server)
    path = f"/artifacts/images/{artifact_id}/image"
    with Sampler(server.pids, interval) as upload_sample:
        response, sent, seconds = put_file(server.port, path, file, size)
    _check_upload(response, size, expected)
    upload = _transfer("upload", size, seconds, upload_sample, send_seconds=sent)
    with Sampler(server.pids, interval) as download_sample:
        response, received, seconds = get_to_null(server.port, path)
    _check_download(response, received, size, expected)
    download = _transfer("download", size, seconds, download_sample)
    if verify:
        verify_bytes(server, path, expected)
    _delete(server, artifact_id)
    return upload, download


def _transfer(
    op: str, size: int, seconds: float, sample: Sampler, send_seconds: float | None = None
) -> Transfer:
    return Transfer(
        op=op,
        seconds=seconds,
        mb_s=mbps(size, seconds),
        rss_baseline_mb=sample.baseline / MB,
        rss_peak_mb=sample.peak / MB,
        rss_growth_mb=(sample.peak - sample.baseline) / MB,
        server_cores=sample.server_cores,
        machine_cores=sample.machine_cores,
        client_cores=sample.client_cores,
        send_seconds=send_seconds,
        server_cpu_s_per_gb=sample.server_cores * seconds / (size / 1e9),
    )


# --- profiling with py-spy -----------------------------------------------------------------------------


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
    artifact_id = _artifact(server)
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
    _delete(server, artifact_id)
    return result


# --- one store ---------------------------------------------------------------------------------------


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


# --- report ------------------------------------------------------------------------------------------


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
        check("filesystem upload ≥ 0.9 × digest 1 thread", fs["upload"]["best_mb_s"], 0.9 * limits["digest_1thread"])  # fmt: skip
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


# --- main --------------------------------------------------------------------------------------------


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
