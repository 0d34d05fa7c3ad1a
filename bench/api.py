#!/usr/bin/env python3
"""API benchmark: create, show-by-id and a filtered, sorted list, at several concurrencies.

Not a test: it measures, it does not assert. The load comes from ``wrk`` (Debian package
``wrk``) driven by ``bench/wrk/api.lua``, a C client that costs a fraction of a core, so what
is measured is the server. Any Glare-v1-compatible endpoint can be the target (``--url``), so
peers are compared with the same requests:

- create: ``POST /artifacts/<type>`` with a JSON body and a name unique to every request;
- show:   ``GET /artifacts/<type>/<id>`` over every id created (walked per wrk thread);
- list:   ``GET /artifacts/<type>?disk_format=qcow2&sort=created_at:desc&limit=25``
          (one filter, one sort, a page of 25).

For each phase and each concurrency (connections; wrk threads = min(connections, 2)) it runs
wrk for ``--duration`` seconds after a short warm-up and reports requests/s, p50, p90 and p99
latency, and any errors (non-2xx answers included). Without ``--url`` it starts
``artifacts serve`` itself on a free loopback port with a temporary data directory, on the
embedded default (SQLite) and/or PostgreSQL (a throwaway database on ``--pg-url``), with the
worker settings given. ``--profile PHASE`` records every worker with py-spy during that
phase's concurrency-8 run and prints the top entries.

Run it from the repository root, under the shared benchmark lock::

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/api.py --db both
    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/api.py --db sqlite \\
        --worker-class gthread --workers 2 --threads 4 --profile show
    .venv-test/bin/python bench/api.py --url http://glare.example:9494 \\
        --header 'X-Auth-Token: …' --type images
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from artifacts.devserver import run_server

REPO = Path(__file__).resolve().parents[1]
LUA = Path(__file__).resolve().parent / "wrk" / "api.lua"
DEFAULT_HEADERS = ["X-Project-Id: bench", "X-User-Id: bench"]
LIST_QUERY = "disk_format=qcow2&sort=created_at:desc&limit=25"
PHASES = ("create", "show", "list")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("\n")[0].strip(),
    }


# --- the server (when no --url is given) ----------------------------------------------------------


class Server:
    """``python -m artifacts.cli serve`` on a free loopback port, with its own data directory."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        server: dict[str, Any],
        database: dict[str, Any],
        checkout: Path = REPO,
    ) -> None:
        data_dir = workdir / "data"
        data_dir.mkdir(parents=True)
        self.log = workdir / "server.log"
        config = workdir / "artifacts.toml"
        lines = ["[server]", 'log_level = "warning"']
        lines += [f"{key} = {json.dumps(value)}" for key, value in server.items()]
        lines += ["[storage]", f"data_dir = {json.dumps(str(data_dir))}"]
        lines += ["[database]", f"url = {json.dumps(database_url)}"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in database.items()]
        config.write_text("\n".join(lines) + "\n")
        self.config = config
        self.database_url = database_url
        self.running = run_server(
            data_dir, workers=None, config=config, log=self.log, cwd=checkout, env={}
        )
        self.url = self.running.url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.process = self.running.process
        self.running.wait_for_workers(server.get("workers", 1))

    def workers(self) -> list[int]:
        return self.running.workers()

    def tune(self) -> None:
        """Do what docs/queries.md asks of a PostgreSQL deployment once it holds data.

        ``artifacts db indexes --apply`` builds the per-type indexes and planner statistics of
        the sortable type fields (``disk_format`` among them) and analyzes the table; without
        them the list's filter on a JSON property is planned blind.
        """
        if not self.database_url:
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTS_")}
        command = [sys.executable, "-m", "artifacts.cli", "--config", str(self.config)]
        subprocess.run([*command, "db", "indexes", "--apply"], cwd=REPO, env=env, check=True)

    def stop(self) -> None:
        self.running.stop()


@contextlib.contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"artifacts_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- load -----------------------------------------------------------------------------------------


@dataclass
class Run:
    target: str
    phase: str
    concurrency: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    load_before: str
    worker_cpu_share: list[float]


def wrk(url: str, connections: int, seconds: int, headers: list[str], *args: str) -> dict:
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections)]
    command += ["-d", f"{max(int(seconds), 1)}s", "--timeout", "10s", "-s", str(LUA)]
    for header in headers:
        command += ["-H", header]
    command += [url, "--", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"^WRKJSON (.*)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return dict(json.loads(match.group(1)))


def worker_ticks(pids: list[int]) -> list[int]:
    """utime + stime of each worker, in clock ticks: how a run's work was split between them."""
    out = []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out.append(int(fields[11]) + int(fields[12]))
        except FileNotFoundError:
            out.append(0)
    return out


def collection_ids(base: str, type_name: str, headers: dict[str, str]) -> list[str]:
    """Every id the caller can see, through the API's own pagination (``next`` links)."""
    ids: list[str] = []
    url = f"{base}/artifacts/{type_name}?limit=1000&sort=created_at:asc"
    with requests.Session() as session:
        while url:
            response = session.get(url, headers=headers, timeout=60)
            response.raise_for_status()
            body = response.json()
            ids += [item["id"] for item in body["artifacts"]]
            following = body.get("next")
            url = f"{base}{following}" if following else ""
    return ids


def parse_setting(item: str) -> tuple[str, Any]:
    key, _, value = item.partition("=")
    return key.strip(), json.loads(value)


def parse_headers(raw: list[str]) -> dict[str, str]:
    out = {}
    for header in raw:
        name, _, value = header.partition(":")
        out[name.strip()] = value.strip()
    return out


def bench_target(
    label: str,
    base: str,
    args: argparse.Namespace,
    workdir: Path,
    worker_pids: Callable[[], list[int]] | None = None,
    prepare: Callable[[], None] | None = None,
) -> list[Run]:
    headers = args.header or DEFAULT_HEADERS
    collection = f"{base}/artifacts/{args.type}"
    runs: list[Run] = []

    def measure(phase: str, concurrency: int, url: str, *extra: str) -> None:
        # The warm-up's creates get names of their own, or the measured run would repeat them.
        warmup = [f"{extra[1]}-warmup"] if phase == "create" else extra[1:]
        wrk(url, concurrency, args.warmup, headers, extra[0], *warmup)
        load = load_average()
        profile = None
        pids = worker_pids() if worker_pids else []
        if args.profile == phase and concurrency == 8 and pids:
            profile = start_profile(pids, args.duration, workdir / f"profile-{label}")
        ticks = worker_ticks(pids)
        found = wrk(url, concurrency, args.duration, headers, *extra)
        # A worker recycled during the run (max_requests) is left out of the split.
        spent = [max(after - before, 0) for before, after in zip(ticks, worker_ticks(pids))]
        share = [round(100 * t / max(sum(spent), 1), 1) for t in spent]
        if profile is not None:
            report_profile(profile)
        seconds = found["duration_us"] / 1e6
        errors = sum(found[k] for k in found if k.endswith("_errors")) + found["timeouts"]
        run = Run(
            label, phase, concurrency, found["requests"], round(seconds, 2),
            round(found["requests"] / seconds, 1),
            found["p50_us"] / 1000, found["p90_us"] / 1000, found["p99_us"] / 1000,
            errors, load, share,
        )  # fmt: skip
        runs.append(run)
        log(
            f"{label} {phase:6} c={concurrency:<3} {run.rps:8.1f} req/s  p50 {run.p50_ms:6.2f} ms"
            f"  p99 {run.p99_ms:6.2f} ms  errors {errors}  workers' CPU % {share}  (load {load})"
        )

    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    phases = args.phases.split(",")
    if "create" in phases:
        for concurrency in args.concurrency:
            measure("create", concurrency, collection, "create", f"{prefix}-c{concurrency}")
    ids = collection_ids(base, args.type, parse_headers(headers))
    if len(ids) < args.count:
        log(f"{len(ids)} artifacts present; creating more to reach {args.count}")
        seed(collection, args.count - len(ids), parse_headers(headers))
        ids = collection_ids(base, args.type, parse_headers(headers))
    log(f"{len(ids)} artifacts present for show and list")
    if prepare is not None:
        prepare()
    id_file = workdir / f"ids-{label}.txt"
    id_file.write_text("\n".join(ids[: max(args.count, 1)]) + "\n")
    if "show" in phases:
        for concurrency in args.concurrency:
            measure("show", concurrency, collection, "show", str(id_file))
    if "list" in phases:
        for concurrency in args.concurrency:
            measure("list", concurrency, f"{collection}?{LIST_QUERY}", "get")
    return runs


def seed(collection: str, count: int, headers: dict[str, str]) -> None:
    """Create ``count`` artifacts outside the timed runs (a top-up before show and list)."""
    prefix = f"seed-{uuid.uuid4().hex[:8]}"
    with requests.Session() as session:
        for i in range(count):
            body = {"name": f"{prefix}-{i}", "version": "1.0.0",
                    "disk_format": ("qcow2", "raw", "vmdk")[i % 3], "tags": ["bench"]}  # fmt: skip
            session.post(collection, json=body, headers=headers, timeout=60).raise_for_status()


# --- profiling --------------------------------------------------------------------------------


def start_profile(
    pids: list[int], seconds: float, out: Path
) -> list[tuple[subprocess.Popen, Path]]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out.mkdir(parents=True, exist_ok=True)
    started = []
    for pid in pids:
        raw = out / f"worker-{pid}.txt"
        command = [py_spy, "record", "-p", str(pid), "-d", str(max(int(seconds) - 1, 1))]
        # --gil: sample only the thread holding the GIL, i.e. where the worker's CPU goes.
        command += ["-r", "100", "--gil", "-f", "raw", "-o", str(raw)]
        started.append(
            (subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), raw)
        )
    return started


def report_profile(started: list[tuple[subprocess.Popen, Path]], top: int = 25) -> None:
    """Merge the workers' collapsed stacks; print inclusive and self shares of busy samples."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for process, raw in started:
        process.wait()
        if not raw.exists():
            continue
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            n = int(count)
            total += n
            frames = [_frame(frame) for frame in stack.split(";")]
            for frame in set(frames):
                inclusive[frame] += n
            own[frames[-1]] += n
    log(f"py-spy: {total} samples of busy worker threads; top inclusive (own code):")
    for frame, n in inclusive.most_common():
        if frame.split(" (")[-1].startswith(("api/", "artifacts/")) and top:
            log(f"  {100 * n / total:5.1f}%  {frame}")
            top -= 1
    log("top self:")
    for frame, n in own.most_common(20):
        log(f"  {100 * n / total:5.1f}%  {frame}")


def _frame(frame: str) -> str:
    """``func (/…/site-packages/pkg/mod.py:123)`` → ``func (pkg/mod.py)``, lines merged."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if match is None:
        return frame
    name, path = match.groups()
    for root in (f"{REPO}/", "site-packages/", "python3.11/"):
        if root in path:
            path = path.split(root, 1)[1]
            break
    return f"{name} ({path})"


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="benchmark this running endpoint instead of starting ours")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "ARTIFACTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--type", default="images", help="artifact type to use (default: images)")
    parser.add_argument(
        "--header", action="append", help=f"request header (default: {DEFAULT_HEADERS})"
    )
    parser.add_argument(
        "--count", type=int, default=2000, help="artifacts at least present for show/list"
    )
    parser.add_argument(
        "--concurrency", type=lambda s: [int(c) for c in s.split(",")], default=[1, 8, 32]
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load before each run"
    )
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--worker-class", default=None, choices=("buffered", "gthread", "sync"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--profile", choices=PHASES, help="py-spy the workers during this phase (c=8)"
    )
    parser.add_argument(
        "--server-setting",
        action="append",
        metavar="KEY=JSON",
        help="a [server] setting of our server, e.g. max_requests=200000 (repeatable)",
    )
    parser.add_argument(
        "--database-setting",
        action="append",
        metavar="KEY=JSON",
        help="a [database] setting of our server, e.g. pool_pre_ping=false (repeatable)",
    )
    parser.add_argument(
        "--checkout",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also serve this checkout (e.g. main=/work/main), rounds interleaved (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds over every server")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")

    log(f"machine: {machine()}; load {load_average()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="artifacts-bench-api-") as tmp:
        workdir = Path(tmp)
        if args.url:
            runs += bench_target(urlsplit(args.url).netloc, args.url.rstrip("/"), args, workdir)
        else:
            server_settings = {
                key: value
                for key, value in (
                    ("worker_class", args.worker_class),
                    ("workers", args.workers),
                    ("threads", args.threads),
                )
                if value is not None
            }
            server_settings.update(parse_setting(item) for item in args.server_setting or [])
            database_settings = dict(parse_setting(item) for item in args.database_setting or [])
            checkouts = [("ours", REPO)] + [
                (name, Path(path).resolve())
                for name, path in (item.split("=", 1) for item in args.checkout)
            ]
            for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
                with contextlib.ExitStack() as stack:
                    servers = []
                    for name, checkout in checkouts:
                        url = (
                            "" if db == "sqlite" else stack.enter_context(pg_database(args.pg_url))
                        )
                        label = db if len(checkouts) == 1 else f"{db}-{name}"
                        server = Server(
                            workdir / label, url, server_settings, database_settings, checkout
                        )
                        stack.callback(server.stop)
                        log(f"serving {label} on {server.url} with {server_settings or 'defaults'}")
                        servers.append((label, server))
                    for _ in range(args.rounds):
                        for label, server in servers:
                            runs += bench_target(
                                label, server.url, args, workdir, server.workers, server.tune
                            )
    print(
        f"{'target':12} {'phase':6} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'p99/p50':>7} {'errors':>6}  load"
    )
    for run in runs:
        print(
            f"{run.target:12} {run.phase:6} {run.concurrency:4d} {run.rps:9.1f} {run.p50_ms:8.2f} {run.p90_ms:8.2f} {run.p99_ms:8.2f} {run.p99_ms / max(run.p50_ms, 1e-3):7.2f} {run.errors:6d}  {run.load_before}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine(), "runs": [asdict(r) for r in runs]}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
