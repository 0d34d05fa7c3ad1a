#!/usr/bin/env python3
"""Server CPU per request and resident memory, side by side, in interleaved rounds.

Each target is a server this script starts: ``ours`` (this checkout's ``artifacts serve`` on
SQLite, 3 workers x 3 threads, log level ``info`` as deployed), any other checkout given with
``--checkout NAME=PATH`` (the same server from that tree, e.g. main, to compare a change), and
with ``--glare`` the real Glare 5.0.1 from ``../shared/tools/start_glare_peer.sh`` (``noauth``).
Every target gets the same images, then rounds of N shows and N filtered lists
(``disk_format=qcow2&sort=created_at:desc&limit=25``) over one keep-alive connection, target
after target within each round, so load changes hit them alike. A figure is the CPU time the
server's processes (gunicorn master and workers; Glare's process tree) spent during the round,
from ``/proc/<pid>/stat``, divided by the requests: what the server costs, not the client.

Results (per round: CPU ms per request, load average; medians; ratios against ``ours``; RSS per
process) go to ``--json``.

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/server_cpu.py --glare \\
        --checkout main=/work/main --json server_cpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from artifacts.devserver import free_port, process_tree, run_server  # noqa: E402

TOOLS = REPO.parent / "shared" / "tools"
TICK = os.sysconf("SC_CLK_TCK")
HEADERS = {
    "X-Identity-Status": "Confirmed",
    "X-Project-Id": "p1",
    "X-User-Id": "bench",
    "X-Roles": "member",
}
LIST = "/artifacts/images?disk_format=qcow2&sort=created_at:desc&limit=25"


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICK


def rss_mb(pids: list[int]) -> list[float]:
    out = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(round(int(line.split()[1]) / 1024, 1))
    return out


@dataclass
class Target:
    name: str
    url: str
    pids: Callable[[], list[int]]
    stop: Callable[[], None]
    ids: list[str] = field(default_factory=list)
    rounds: dict[str, list[float]] = field(default_factory=lambda: {"show": [], "list": []})


def start_ours(name: str, checkout: Path, workdir: Path) -> Target:
    running = run_server(
        workdir / name,
        workers=3,
        env={"ARTIFACTS_THREADS": "3", "ARTIFACTS_LOG_LEVEL": "info"},
        cwd=checkout,
        log=workdir / f"{name}.log",
        timeout=180,
    )
    running.wait_for_workers(3)
    return Target(name, running.url, lambda: process_tree(running.pid), running.stop)


def start_glare() -> Target:
    port = free_port()
    env = {**os.environ, "GLARE_PEER_FRESH": "1"}
    done = subprocess.run(
        [str(TOOLS / "start_glare_peer.sh"), str(port), "noauth"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    pid = int(done.stdout.strip().splitlines()[-1])

    def stop() -> None:
        for child in reversed(process_tree(pid)):
            subprocess.run(["kill", str(child)], check=False)

    return Target("glare-5.0.1", f"http://127.0.0.1:{port}", lambda: process_tree(pid), stop)


def seed(target: Target, count: int) -> None:
    import requests

    with requests.Session() as session:
        for i in range(count):
            body = {
                "name": f"bench-{i}",
                "version": "1.0.0",
                "disk_format": "qcow2" if i % 2 else "raw",
                "container_format": "bare",
                "min_ram": 512,
            }
            response = session.post(target.url + "/artifacts/images", json=body, headers=HEADERS)
            if response.status_code != 201:
                raise RuntimeError(f"{target.name}: create -> {response.status_code}")
            target.ids.append(response.json()["id"])


def run_round(target: Target, requests_per_kind: int) -> None:
    import requests

    with requests.Session() as session:
        for kind in ("show", "list"):
            pids = target.pids()
            before = cpu_seconds(pids)
            for i in range(requests_per_kind):
                path = (
                    f"/artifacts/images/{target.ids[i % len(target.ids)]}"
                    if kind == "show"
                    else LIST
                )
                response = session.get(target.url + path, headers=HEADERS)
                if response.status_code != 200:
                    raise RuntimeError(f"{target.name}: GET {path} -> {response.status_code}")
            spent = cpu_seconds(pids) - before
            target.rounds[kind].append(round(spent / requests_per_kind * 1000, 3))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkout", action="append", default=[], help="NAME=PATH, repeatable")
    parser.add_argument("--glare", action="store_true", help="also start the Glare 5.0.1 peer")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="per kind and round")
    parser.add_argument("--artifacts", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-server-cpu-"))
    targets: list[Target] = []
    try:
        targets.append(start_ours("ours", REPO, workdir))
        for item in args.checkout:
            name, path = item.split("=", 1)
            targets.append(start_ours(name, Path(path).resolve(), workdir))
        if args.glare:
            targets.append(start_glare())
        for target in targets:
            seed(target, args.artifacts)
        loads = []
        for _ in range(args.rounds):
            loads.append(round(os.getloadavg()[0], 2))
            for target in targets:
                run_round(target, args.requests)
        report: dict[str, Any] = {"load_per_round": loads, "targets": {}}
        ours = targets[0]
        for target in targets:
            medians = {k: statistics.median(v) for k, v in target.rounds.items()}
            report["targets"][target.name] = {
                "cpu_ms_per_request_rounds": target.rounds,
                "cpu_ms_per_request_median": medians,
                "ratio_to_ours": {
                    k: round(medians[k] / statistics.median(ours.rounds[k]), 2) for k in medians
                },
                "rss_mb": rss_mb(target.pids()),
            }
    finally:
        for target in targets:
            target.stop()
    print(f"load average at the start of each round: {report['load_per_round']}")
    print(f"{'target':14} {'show ms':>8} {'list ms':>8} {'show ×':>7} {'list ×':>7}  RSS MB")
    for name, row in report["targets"].items():
        med, ratio = row["cpu_ms_per_request_median"], row["ratio_to_ours"]
        print(
            f"{name:14} {med['show']:>8.3f} {med['list']:>8.3f} {ratio['show']:>7} "
            f"{ratio['list']:>7}  {row['rss_mb']}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
