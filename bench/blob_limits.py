"""The limits a blob transfer is judged against, measured on the same bytes in the same run:
hashing (serially, each digest alone, on threads), a loopback ``sendfile`` copy, a disk write
with ``fsync``, and a bare receiver that only reads and hashes (``raw_receiver``).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from measuring import MiB, log, mbps
from tiny_http import connect, drain, read_request_head

CHUNK = MiB

#: The digests an upload of the benchmark's image blob computes (sha512: Glance's multihash).
RAW_DIGESTS = ("md5", "sha1", "sha256", "sha512")


@dataclass
class Digests:
    md5: str
    sha1: str
    sha256: str


@dataclass
class Limits:
    digest_1thread: float = 0.0
    digest_upload_1thread: float = 0.0
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
        with connect(listener.getsockname()[1]) as sock, open(file, "rb") as body:
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
            "digest_upload_1thread": lambda: hash_serial(view, size, RAW_DIGESTS)[0],
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


def raw_receiver() -> None:
    """Serve PUTs on a free port (printed first): receive, hash, answer 200. Nothing else."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        while True:
            sock, _ = listener.accept()
            with sock:
                _, headers, rest = read_request_head(sock)
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
