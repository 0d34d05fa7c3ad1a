#!/usr/bin/env python3
"""The Glance v2 door against the Glare v1 door: the same operations on one server, as ratios.

One ``artifacts serve`` (this checkout, SQLite, 3 workers x 3 threads, log level ``info`` as
deployed) serves both doors over one catalog. In each round every operation runs N times
through v1 and N times through v2, the two back to back (ABBA: the door that goes first
alternates by round), so a change of machine load hits both alike:

=========  ===========================================  =========================================
operation  Glare v1                                     Glance v2
=========  ===========================================  =========================================
show       ``GET /artifacts/images/<id>``               ``GET /v2/images/<id>``
list       ``GET /artifacts/images?disk_format=raw      ``GET /v2/images?disk_format=raw
           &sort=created_at:desc&limit=25``             &sort_key=created_at&sort_dir=desc
                                                        &limit=25``
create     ``POST /artifacts/images``                   ``POST /v2/images``
upload     ``PUT /artifacts/images/<id>/image`` then    ``PUT /v2/images/<id>/file`` (Glance
           ``PATCH`` status ``active``                  activates the image with the upload)
download   ``GET /artifacts/images/<id>/image``         ``GET /v2/images/<id>/file``
=========  ===========================================  =========================================

Per door, operation and round two figures: the server's CPU time per operation (utime + stime
of the gunicorn master and workers from ``/proc``, as ``bench/server_cpu.py`` counts it: what
the door costs, not the client) and the client's median wall time per operation. The ratio
v2 / v1 is taken per round; the report gives the median ratio and its range over the rounds.

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/doors.py --json doors.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from measuring import tree_cpu_seconds
from server_cpu import HEADERS

from artifacts.devserver import process_tree, run_server

REPO = Path(__file__).resolve().parent.parent
OPERATIONS = ("show", "list", "create", "upload", "download")
DOORS = ("v1", "v2")
V1_LIST = "/artifacts/images?disk_format=raw&sort=created_at:desc&limit=25"
V2_LIST = "/v2/images?disk_format=raw&sort_key=created_at&sort_dir=desc&limit=25"
DATA_HEADERS = {**HEADERS, "Content-Type": "application/octet-stream"}
ACTIVATE = [{"op": "replace", "path": "/status", "value": "active"}]


class Doors:
    """One operation through either door, over one keep-alive connection."""

    def __init__(self, url: str, data: bytes) -> None:
        self.url = url
        self.data = data
        self.session = requests.Session()
        #: Active images (shows, downloads) and drafts waiting for an upload, per door.
        self.active: list[str] = []
        self.drafts: dict[str, list[str]] = {door: [] for door in DOORS}

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("headers", HEADERS)
        response = self.session.request(method, self.url + path, timeout=60, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response

    def operation(self, door: str, kind: str, i: int) -> Callable[[], object]:
        """The ``i``-th request of ``kind`` through ``door``, ready to run."""
        image = self.active[i % len(self.active)]
        name = f"bench-{door}-{uuid.uuid4().hex[:12]}"
        body = {"name": name, "disk_format": "raw", "container_format": "bare"}
        if kind == "show":
            path = f"/artifacts/images/{image}" if door == "v1" else f"/v2/images/{image}"
            return lambda: self.call("GET", path, 200)
        if kind == "list":
            return lambda: self.call("GET", V1_LIST if door == "v1" else V2_LIST, 200)
        if kind == "download":
            path = (
                f"/artifacts/images/{image}/image" if door == "v1" else f"/v2/images/{image}/file"
            )
            return lambda: self.call("GET", path, 200)
        if kind == "create":
            if door == "v1":
                return lambda: self.drafts["v1"].append(
                    self.call(
                        "POST", "/artifacts/images", 201, json={**body, "version": "1.0.0"}
                    ).json()["id"]
                )
            return lambda: self.drafts["v2"].append(
                self.call("POST", "/v2/images", 201, json=body).json()["id"]
            )
        draft = self.drafts[door].pop()
        if door == "v1":

            def upload_v1() -> None:
                path = f"/artifacts/images/{draft}"
                self.call("PUT", f"{path}/image", 200, data=self.data, headers=DATA_HEADERS)
                patch = {**HEADERS, "Content-Type": "application/json-patch+json"}
                self.call("PATCH", path, 200, data=json.dumps(ACTIVATE), headers=patch)

            return upload_v1
        path = f"/v2/images/{draft}/file"
        return lambda: self.call("PUT", path, 204, data=self.data, headers=DATA_HEADERS)


def measure(doors: Doors, pids: list[int], door: str, kind: str, n: int) -> tuple[float, float]:
    """Run ``n`` operations; return (server CPU ms per operation, client median wall ms)."""
    calls = [doors.operation(door, kind, i) for i in range(n)]
    walls = []
    before = tree_cpu_seconds(pids)
    for call in calls:
        start = time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
    spent = tree_cpu_seconds(pids) - before
    return spent / n * 1000, statistics.median(walls) * 1000


def seed(doors: Doors, count: int) -> None:
    """Active images with (raw) data, and as many drafts of another format the list skips."""
    for i in range(count):
        draft = {"name": f"seed-iso-{i}", "disk_format": "iso", "container_format": "bare"}
        doors.call("POST", "/v2/images", 201, json=draft)
        body = {"name": f"seed-{i}", "disk_format": "raw", "container_format": "bare"}
        image = doors.call("POST", "/v2/images", 201, json=body).json()["id"]
        doors.call("PUT", f"/v2/images/{image}/file", 204, data=doors.data, headers=DATA_HEADERS)
        doors.active.append(image)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=150, help="per operation, door, round")
    parser.add_argument("--images", type=int, default=60, help="active images seeded")
    parser.add_argument("--size", type=int, default=64 * 1024, help="bytes per upload")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-doors-"))
    running = run_server(
        workdir / "data",
        workers=3,
        env={"ARTIFACTS_THREADS": "3", "ARTIFACTS_LOG_LEVEL": "info"},
        cwd=REPO,
        log=workdir / "server.log",
        timeout=180,
    )
    figures: dict[str, dict[str, dict[str, list[float]]]] = {
        kind: {door: {"cpu": [], "wall": []} for door in DOORS} for kind in OPERATIONS
    }
    loads: list[float] = []
    try:
        running.wait_for_workers(3)
        pids = process_tree(running.pid)
        # The data is random: no compression or dedup short cut for either door.
        doors = Doors(running.url, os.urandom(args.size))
        seed(doors, args.images)
        for kind in OPERATIONS:  # one unmeasured pass: every worker has served every route
            for door in DOORS:
                measure(doors, pids, door, kind, 10)
        for number in range(args.rounds):
            loads.append(round(os.getloadavg()[0], 2))
            order = DOORS if number % 2 == 0 else DOORS[::-1]
            for kind in OPERATIONS:
                for door in order:
                    cpu, wall = measure(doors, pids, door, kind, args.requests)
                    figures[kind][door]["cpu"].append(round(cpu, 3))
                    figures[kind][door]["wall"].append(round(wall, 3))
    finally:
        running.stop()

    report: dict[str, Any] = {"load_per_round": loads, "requests": args.requests, "ops": {}}
    print(f"load average at the start of each round: {loads}")
    print(
        f"{'operation':9} {'v1 cpu ms':>9} {'v2 cpu ms':>9} {'cpu v2/v1':>17} "
        f"{'v1 wall ms':>10} {'v2 wall ms':>10} {'wall v2/v1':>17}"
    )
    for kind in OPERATIONS:
        row: dict[str, Any] = {}
        cells = []
        for what in ("cpu", "wall"):
            v1, v2 = figures[kind]["v1"][what], figures[kind]["v2"][what]
            ratios = sorted(b / a for a, b in zip(v1, v2, strict=True) if a > 0)
            row[what] = {
                "v1_median": statistics.median(v1),
                "v2_median": statistics.median(v2),
                "ratio_median": round(statistics.median(ratios), 3),
                "ratio_range": [round(ratios[0], 3), round(ratios[-1], 3)],
                "v1_rounds": v1,
                "v2_rounds": v2,
            }
            r = row[what]
            cells.append(
                f"{r['v1_median']:>9.3f} {r['v2_median']:>9.3f} "
                f"{r['ratio_median']:>5.2f} ({r['ratio_range'][0]:.2f}–{r['ratio_range'][1]:.2f})"
            )
        report["ops"][kind] = row
        print(f"{kind:9} {cells[0]}  {cells[1]}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
