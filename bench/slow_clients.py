"""Slow and idle clients next to real traffic: latency and throughput with and without them.

For each worker class given, the script starts ``artifacts serve`` (SQLite, the default
3 workers x 3 threads), seeds a few artifacts, then measures ``/healthz``, a show and a list
(limit 25) from closed-loop client threads, twice in the same run:

1. unloaded;
2. while it holds 500 idle connections, 500 connections that send part of a request head and
   then a byte every few seconds, and 200 that send a JSON body's head and part of its body
   the same way (each reopened when the server closes it).

It prints p50/p99 per route, the request rate, the loaded/unloaded ratios and the load
average, and, with ``--blob-mib``, the upload and download speed of one blob through each
worker class. Run it under the benchmark lock:

    flock /tmp/artifacts-bench.lock .venv/bin/python bench/slow_clients.py
    flock /tmp/artifacts-bench.lock .venv/bin/python bench/slow_clients.py \\
        --worker-class buffered --worker-class gthread --seconds 20 --blob-mib 512
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _bench_api() -> Any:
    """bench/api.py, the benchmarks' server helper (its name would shadow our ``api`` package)."""
    spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_api"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


_API = _bench_api()
Server, load_average = _API.Server, _API.load_average

HEADERS = {"X-Project-Id": "p-bench", "X-User-Id": "u1"}
MiB = 1024 * 1024


# --- the slow clients ---------------------------------------------------------------------------


class Holders:
    """Hold idle, partial-head and slow-body connections on an asyncio loop in a thread."""

    def __init__(self, port: int, idle: int, heads: int, bodies: int, trickle: float) -> None:
        self._port = port
        self._counts = {"idle": idle, "head": heads, "body": bodies}
        self._trickle = trickle
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._main: Any = None
        self._stopping: asyncio.Event | None = None
        self.open = dict.fromkeys(self._counts, 0)
        self.reopened = 0

    def start(self) -> None:
        self._thread.start()
        self._main = asyncio.run_coroutine_threadsafe(self._hold_all(), self._loop)
        deadline = time.monotonic() + 60
        while sum(self.open.values()) < sum(self._counts.values()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)

    def stop(self) -> None:
        assert self._stopping is not None
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._main.result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _hold_all(self) -> None:
        self._stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(self._hold(kind))
            for kind, count in self._counts.items()
            for _ in range(count)
        ]
        await self._stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hold(self, kind: str) -> None:
        # The stop event is checked as well as cancellation: on Python 3.11, wait_for may
        # swallow a cancellation that arrives as its read completes, and the task would go on.
        assert self._stopping is not None
        first = True
        while not self._stopping.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self._port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            if not first:
                self.reopened += 1
            first = False
            self.open[kind] += 1
            try:
                if kind == "head":
                    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
                elif kind == "body":
                    writer.write(
                        b"POST /artifacts/images HTTP/1.1\r\nHost: bench\r\nX-Project-Id: p-bench"
                        b"\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"
                    )
                await writer.drain()
                while not reader.at_eof() and not self._stopping.is_set():
                    if kind != "idle":
                        writer.write(b" ")  # one more byte, never the end
                        await writer.drain()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(reader.read(65536), self._trickle)
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                self.open[kind] -= 1
                writer.close()


# --- the measured traffic -----------------------------------------------------------------------


def measure(port: int, paths: dict[str, str], seconds: float, threads: int) -> dict[str, Any]:
    """Closed-loop GETs of each path from ``threads`` threads for ``seconds``; latencies in ms."""
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    failures = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        names = list(paths)
        turn = offset
        while time.monotonic() < stop:
            name = names[turn % len(names)]
            turn += 1
            started = time.perf_counter()
            try:
                conn.request("GET", paths[name], headers=HEADERS)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies[name].append(elapsed)
                else:
                    failures[0] += 1
        conn.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = sum(len(v) for v in latencies.values())
    return {
        "requests_per_s": round(total / seconds, 1),
        "failures": failures[0],
        "routes": {
            name: {
                "count": len(values),
                "p50_ms": round(statistics.median(values), 1) if values else None,
                "p99_ms": round(_percentile(values, 0.99), 1) if values else None,
            }
            for name, values in latencies.items()
        },
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def blob_speed(port: int, artifact_id: str, mib: int) -> dict[str, float]:
    """Upload then download one blob of ``mib`` MiB; MB/s each way."""
    chunk = os.urandom(MiB)

    def body() -> Iterator[bytes]:
        for _ in range(mib):
            yield chunk

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    path = f"/artifacts/images/{artifact_id}/image"
    started = time.perf_counter()
    conn.request(
        "PUT",
        path,
        body=body(),
        headers={
            **HEADERS,
            "Content-Type": "application/octet-stream",
            "Content-Length": str(mib * MiB),
        },
    )
    response = conn.getresponse()
    response.read()
    up = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"upload answered {response.status}")
    started = time.perf_counter()
    conn.request("GET", path, headers=HEADERS)
    response = conn.getresponse()
    while response.read(MiB):
        pass
    down = time.perf_counter() - started
    conn.close()
    return {
        "upload_MBps": round(mib * MiB / up / 1e6, 1),
        "download_MBps": round(mib * MiB / down / 1e6, 1),
    }


def run(worker_class: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as tmp:
        server = Server(
            Path(tmp),
            "",
            {"worker_class": worker_class, "workers": args.workers, "threads": args.threads},
            {},
        )
        try:
            import requests

            base = server.url
            ids = []
            for number in range(30):
                created = requests.post(
                    f"{base}/artifacts/images",
                    json={"name": f"bench-{number}"},
                    headers=HEADERS,
                    timeout=30,
                )
                created.raise_for_status()
                ids.append(created.json()["id"])
            paths = {
                "healthz": "/healthz",
                "show": f"/artifacts/images/{ids[0]}",
                "list": "/artifacts/images?limit=25&sort=name:asc",
            }
            result: dict[str, Any] = {"worker_class": worker_class}
            result["unloaded"] = measure(server.port, paths, args.seconds, args.client_threads)
            holders = Holders(server.port, args.idle, args.heads, args.bodies, args.trickle)
            holders.start()
            try:
                result["held"] = dict(holders.open)
                result["loaded"] = measure(server.port, paths, args.seconds, args.client_threads)
                result["held_at_end"] = dict(holders.open)
                result["reopened"] = holders.reopened
            finally:
                holders.stop()
            unloaded, loaded = result["unloaded"], result["loaded"]
            result["throughput_ratio"] = (
                round(loaded["requests_per_s"] / unloaded["requests_per_s"], 2)
                if unloaded["requests_per_s"]
                else None
            )
            if args.blob_mib:
                result["blob"] = blob_speed(server.port, ids[1], args.blob_mib)
            result["load_average"] = load_average()
            return result
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker-class", action="append", dest="classes")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--client-threads", type=int, default=8)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--heads", type=int, default=500)
    parser.add_argument("--bodies", type=int, default=200)
    parser.add_argument("--trickle", type=float, default=2.0, help="seconds between slow bytes")
    parser.add_argument("--blob-mib", type=int, default=0)
    args = parser.parse_args()
    results = [run(worker_class, args) for worker_class in args.classes or ["buffered"]]
    print(json.dumps({"load_average_at_start": load_average(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
