#!/usr/bin/env python3
"""Side by side with Glare and Glance: server CPU per request, throughput and memory, interleaved.

One command starts every target, gives each the same images, then runs rounds of the same
scenarios against all of them, target after target within each scenario (the order rotating
by round), so load changes hit them alike:

- ``show``: one image by id; ``list``: the first page of 25; ``filtered``: 25 ``qcow2`` images,
  newest first; ``create``: a new image record; ``upload``: a 1 MiB image's data;
  ``download``: that data back.

Targets: ``ours`` (this checkout's ``artifacts serve``, SQLite, 3 workers x 3 threads, log level
``info`` as deployed), ``ours-warning`` with ``--log-level-pair`` (the same at ``warning``: what
the request log costs), other checkouts (``--checkout main=/work/main``), Glare 5.0.1
(``--glare``, Glare v1 API like ours, its own SQLite) and Glance 33 (``--glance``, Images API
v2, under uWSGI with its own PostgreSQL), both from ``../shared/tools/`` (see
``bench/peers.py``). Every window is one keep-alive client sending requests one after the
other; a figure is the CPU time of the target's processes (gunicorn master and workers;
Glare's process tree; Glance's uWSGI tree and its PostgreSQL cluster) from ``/proc``, divided
by the requests, and the window's requests per second. Each window records the load average
before and after it. The ratio of a peer to ``ours`` is taken per round and its median
reported; resident memory (RSS, PSS and USS) per process is read at the end.

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/server_cpu.py --glare --glance \\
        --log-level-pair --rounds 3 --json side_by_side.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from measuring import tree_cpu_seconds  # noqa: E402 - a sibling, shared with blobs.py

from artifacts.devserver import process_tree, run_server  # noqa: E402
from bench import peers  # noqa: E402

HEADERS = {
    "X-Identity-Status": "Confirmed",
    "X-Project-Id": "p1",
    "X-User-Id": "bench",
    "X-Roles": "member",
}
SCENARIOS = ("show", "list", "filtered", "create", "upload", "download")
BLOB = os.urandom(1024 * 1024)
#: Names unique to this run: a peer that was already running keeps what earlier runs made.
RUN = os.urandom(4).hex()


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS (shared pages divided among their sharers) and USS (this process alone), MB."""
    rss = pss = uss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "Rss":
                rss = int(value.split()[0])
            elif name == "Pss":
                pss = int(value.split()[0])
            elif name in ("Private_Clean", "Private_Dirty"):
                uss += int(value.split()[0])
    except OSError:
        pass
    return {"rss": round(rss / 1024, 1), "pss": round(pss / 1024, 1), "uss": round(uss / 1024, 1)}


class Api:
    """How a scenario is asked of one API: Glare v1 (ours, Glare) or Glance's Images v2."""

    def __init__(self, glance: bool) -> None:
        self.glance = glance
        # uWSGI's http-socket, as the Glance peer is served, closes every connection after
        # its response without saying so: Glance's clients get a connection per request.
        self.headers = {**HEADERS, "Connection": "close"} if glance else HEADERS
        base = "/v2/images" if glance else "/artifacts/images"
        self.collection = base
        self.list = f"{base}?limit=25"
        self.filtered = (
            f"{base}?disk_format=qcow2&sort_key=created_at&sort_dir=desc&limit=25"
            if glance
            else f"{base}?disk_format=qcow2&sort=created_at:desc&limit=25"
        )

    def session(self) -> Any:
        """A keep-alive session, or for Glance one that opens a connection per request."""
        import requests

        return _PerRequest() if self.glance else requests.Session()

    def item(self, image_id: str) -> str:
        return f"{self.collection}/{image_id}"

    def data(self, image_id: str) -> str:
        return (
            f"{self.collection}/{image_id}/file" if self.glance else f"{self.item(image_id)}/image"
        )

    def create_body(self, name: str, disk_format: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "disk_format": disk_format,
            "container_format": "bare",
        }
        if not self.glance:
            body["version"] = "1.0.0"
        body["min_ram"] = 512
        return body


class _PerRequest:
    """``requests.Session``'s get/post/put, each on a new connection."""

    def __enter__(self) -> _PerRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def get(self, url: str, **kwargs: Any) -> Any:
        import requests

        return requests.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        import requests

        return requests.post(url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        import requests

        return requests.put(url, **kwargs)


@dataclass
class Target:
    name: str
    url: str
    pids: Callable[[], list[int]]
    stop: Callable[[], None]
    api: Api
    ids: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    windows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in SCENARIOS}
    )


def start_ours(name: str, checkout: Path, workdir: Path, log_level: str) -> Target:
    running = run_server(
        workdir / name,
        workers=3,
        env={"ARTIFACTS_THREADS": "3", "ARTIFACTS_LOG_LEVEL": log_level},
        cwd=checkout,
        log=workdir / f"{name}.log",
        timeout=180,
    )
    running.wait_for_workers(3)
    return Target(name, running.url, lambda: process_tree(running.pid), running.stop, Api(False))


def from_peer(peer: peers.Peer, glance: bool) -> Target:
    return Target(peer.name, peer.url, peer.pids, peer.stop, Api(glance))


def create(session: Any, target: Target, name: str, disk_format: str) -> str:
    body = target.api.create_body(name, disk_format)
    response = session.post(
        target.url + target.api.collection, json=body, headers=target.api.headers
    )
    if response.status_code != 201:
        raise RuntimeError(f"{target.name}: create -> {response.status_code} {response.text[:300]}")
    return str(response.json()["id"])


def upload(session: Any, target: Target, image_id: str) -> None:
    headers = {**target.api.headers, "Content-Type": "application/octet-stream"}
    response = session.put(target.url + target.api.data(image_id), data=BLOB, headers=headers)
    if response.status_code not in (200, 201, 204):
        raise RuntimeError(f"{target.name}: upload -> {response.status_code} {response.text[:300]}")


def seed(target: Target, count: int, uploads: int) -> None:
    with target.api.session() as session:
        for i in range(count):
            disk_format = "qcow2" if i % 2 else "raw"
            target.ids.append(create(session, target, f"bench-{RUN}-{i}", disk_format))
        # Raw images (even positions): the data is random bytes, which only "raw" accepts.
        for image_id in target.ids[0 : 2 * uploads : 2]:
            upload(session, target, image_id)
            target.uploaded.append(image_id)


def window(target: Target, scenario: str, count: int, round_number: int) -> dict[str, Any]:
    """``count`` requests of one scenario against one target, timed and costed."""
    api = target.api
    with api.session() as session:
        # A fresh connection per window; its first request is not timed.
        session.get(target.url + api.list, headers=api.headers).raise_for_status()
        # Creates (and the images uploads fill) are made untimed, beforehand.
        fresh = []
        if scenario == "upload":
            fresh = [
                create(session, target, f"up-{RUN}-{round_number}-{i}-{time.monotonic_ns()}", "raw")
                for i in range(count)
            ]
        pids = target.pids()
        load_before = os.getloadavg()[0]
        cpu_before = tree_cpu_seconds(pids)
        started = time.perf_counter()
        for i in range(count):
            if scenario == "show":
                response = session.get(
                    target.url + api.item(target.ids[i % len(target.ids)]), headers=api.headers
                )
            elif scenario in ("list", "filtered"):
                path = api.list if scenario == "list" else api.filtered
                response = session.get(target.url + path, headers=api.headers)
            elif scenario == "create":
                create(
                    session, target, f"c-{RUN}-{round_number}-{i}-{time.monotonic_ns()}", "qcow2"
                )
                continue
            elif scenario == "upload":
                upload(session, target, fresh[i])
                continue
            else:
                image_id = target.uploaded[i % len(target.uploaded)]
                response = session.get(target.url + api.data(image_id), headers=api.headers)
                if len(response.content) != len(BLOB):
                    raise RuntimeError(f"{target.name}: download of {len(response.content)} bytes")
            if response.status_code != 200:
                raise RuntimeError(f"{target.name}: {scenario} -> {response.status_code}")
        seconds = time.perf_counter() - started
        spent = tree_cpu_seconds(pids) - cpu_before
    return {
        "cpu_ms": round(spent / count * 1000, 3),
        "rps": round(count / seconds, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def summarize(targets: list[Target]) -> dict[str, Any]:
    ours = targets[0]
    report: dict[str, Any] = {}
    for target in targets:
        rows: dict[str, Any] = {}
        for scenario, windows in target.windows.items():
            if not windows:
                continue
            cpu = [w["cpu_ms"] for w in windows]
            rps = [w["rps"] for w in windows]
            mine = ours.windows[scenario]
            rows[scenario] = {
                "cpu_ms_median": statistics.median(cpu),
                "rps_median": statistics.median(rps),
                # Per round: each window against ours in the same round, then the median.
                "cpu_ratio_to_ours": round(
                    statistics.median(
                        w["cpu_ms"] / max(m["cpu_ms"], 1e-6) for w, m in zip(windows, mine)
                    ),
                    2,
                ),
                "rps_ratio_to_ours": round(
                    statistics.median(w["rps"] / m["rps"] for w, m in zip(windows, mine)), 2
                ),
                "windows": windows,
            }
        pids = target.pids()
        report[target.name] = {
            "scenarios": rows,
            "memory_mb": {str(pid): memory_mb(pid) for pid in pids},
        }
    return report


def _print_table(report: dict[str, Any], title: str, median: str, ratio: str, form: str) -> None:
    """One figure per scenario and target, with its ratio to ours in brackets."""
    names = list(report)
    print(f"\n{title}")
    print(f"{'scenario':10}" + "".join(f"{name:>24}" for name in names))
    for scenario in SCENARIOS:
        cells = []
        for name in names:
            row = report[name]["scenarios"].get(scenario)
            cells.append(f"{row[median]:>10{form}} ({row[ratio]:>5.2f}×)" if row else "")
        print(f"{scenario:10}" + "".join(f"{cell:>24}" for cell in cells))


def print_report(report: dict[str, Any]) -> None:
    names = list(report)
    _print_table(
        report,
        "server CPU ms per request (median of rounds); in brackets: target / ours, per round",
        "cpu_ms_median",
        "cpu_ratio_to_ours",
        ".2f",
    )
    _print_table(
        report,
        "requests/s, one keep-alive client (median of rounds); in brackets: target / ours",
        "rps_median",
        "rps_ratio_to_ours",
        ".1f",
    )
    print("\nmemory per process, MB (RSS / PSS / USS)")
    for name in names:
        memory = report[name]["memory_mb"].values()
        cells = ", ".join(f"{m['rss']}/{m['pss']}/{m['uss']}" for m in memory)
        print(f"  {name:16} {cells}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkout", action="append", default=[], help="NAME=PATH, repeatable")
    parser.add_argument(
        "--log-level-pair", action="store_true", help="also run ours at log level warning"
    )
    parser.add_argument("--glare", action="store_true", help="also run Glare 5.0.1")
    parser.add_argument("--glare-port", type=int, default=19494)
    parser.add_argument(
        "--glare-dir", type=Path, default=Path("/tmp/bench-glare-peer"), help="its data"
    )
    parser.add_argument("--glance", action="store_true", help="also run Glance 33")
    parser.add_argument("--glance-port", type=int, default=19292)
    parser.add_argument("--glance-pg-port", type=int, default=5441)
    parser.add_argument(
        "--glance-dir", type=Path, default=Path("/tmp/bench-glance-peer"), help="its install"
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="per read window")
    parser.add_argument("--writes", type=int, default=40, help="per create/upload window")
    parser.add_argument("--artifacts", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")

    workdir = Path(tempfile.mkdtemp(prefix="bench-server-cpu-"))
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    targets: list[Target] = []
    try:
        targets.append(start_ours("ours", REPO, workdir, "info"))
        if args.log_level_pair:
            targets.append(start_ours("ours-warning", REPO, workdir, "warning"))
        for item in args.checkout:
            name, path = item.split("=", 1)
            targets.append(start_ours(name, Path(path).resolve(), workdir, "info"))
        if args.glare:
            targets.append(from_peer(peers.glare(args.glare_port, args.glare_dir), glance=False))
        if args.glance:
            peer = peers.glance(args.glance_port, args.glance_dir, args.glance_pg_port)
            targets.append(from_peer(peer, glance=True))
        for target in targets:
            seed(target, args.artifacts, uploads=10)
        for number in range(args.rounds):
            for scenario in scenarios:
                count = args.writes if scenario in ("create", "upload") else args.requests
                shift = number % len(targets)
                for target in targets[shift:] + targets[:shift]:
                    target.windows[scenario].append(window(target, scenario, count, number))
            print(f"round {number + 1} done, load {os.getloadavg()[0]:.2f}", file=sys.stderr)
        report = {
            "command": " ".join(sys.argv),
            "started": started,
            "targets": summarize(targets),
        }
    finally:
        for target in targets:
            target.stop()
    print_report(report["targets"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
