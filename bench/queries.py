#!/usr/bin/env python3
"""List-query benchmark: up to a million artifacts, queried through ``artifacts serve``.

On PostgreSQL (``--db postgresql``, the default), what it does, in order:

1. Creates a dedicated database (``artifacts_bench_<random>``) on the PostgreSQL server given by
   ``--pg-admin-url`` and drops it again at the end (``--keep`` keeps it for inspection).
   ``--reuse NAME`` uses and keeps database ``NAME``: loaded as below the first time, then
   only brought to the current schema and per-type indexes (a million rows load once).
2. Migrates it to revision 0003, bulk-loads the artifacts with ``COPY artifacts FROM STDIN``
   (psycopg's COPY protocol, rows built by the same ``row_values`` the service stores with), then
   migrates to head, so the 0005 indexes are built over the loaded table as they would be on an
   existing deployment, then creates the per-type indexes of the sortable type fields (what
   ``artifacts db indexes --apply`` does) and runs ``VACUUM ANALYZE``.
3. Starts ``python -m artifacts.cli serve`` (gunicorn) on a free loopback port against it.
4. Times each query over HTTP, one request at a time on a keep-alive connection, after a
   warm-up, and reports p50 / p99 / max in milliseconds; every response is checked (status,
   item count, order) outside the timed call.
5. Prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the SQL the service issues for the queries
   (captured from the service's own compiler, not written by hand).

On SQLite (``--db sqlite``) it builds one database file per size of ``--sizes`` (default
2,000, 10,000, 50,000 and 100,000 rows) with batched INSERTs through SQLAlchemy Core, runs
nothing else on it (no ``ANALYZE``: keeping the planner's statistics current is the service's
job, as it is on a user's install), starts the server on it and times the same queries plus a
name filter, so the figures form a cost curve over the table's size.

The data: ``--artifacts`` rows (default 1,000,000) split 50/30/20 between images,
heat_templates and tosca_templates; names carry ~10 versions each, except five "popular"
images with ``--popular-versions`` (200) versions (fewer in tables under 10,000 rows, where they
take at most a fifth of the images); 40 owner projects, a third of the rows
public; tags from a vocabulary of 40 (0-3 per row); creation times spread over two years.
The caller is project ``p1`` (its own rows plus public ones), not an admin.

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/queries.py
    .venv-test/bin/python bench/queries.py --artifacts 100000 --runs 100 --json out.json
    .venv-test/bin/python bench/queries.py --db sqlite --sizes 2000,50000,1000000
    .venv-test/bin/python bench/queries.py --reuse artifacts_bench_1m --lock /tmp/artifacts-bench.lock
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from query_data import DISK_FORMATS, POPULAR, log, seed_database, seed_sqlite
from query_plans import explain
from query_timing import measure, measure_paging, ordered_by

from artifacts.devserver import run_server

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# --- the server --------------------------------------------------------------------------------


class Server:
    """``python -m artifacts.cli serve`` on a free loopback port against the bench database."""

    def __init__(
        self,
        python: str,
        url: str,
        workdir: Path,
        workers: int,
        threads: int,
        settings: dict[str, str],
    ) -> None:
        env = {"ARTIFACTS_DATABASE_URL": url, "ARTIFACTS_THREADS": str(threads), **settings}
        self.running = run_server(
            workdir / "data", workers=workers, env=env, python=python,
            log=workdir / "server.log", cwd=REPO, timeout=120,
        )  # fmt: skip
        self.base = self.running.url

    def logs(self) -> str:
        return self.running.logs(tail=4000)

    def stop(self) -> None:
        self.running.stop()


# --- main --------------------------------------------------------------------------------------


QUERIES = {
    "a. name + version range, sorted by version": [
        f"name={n}&version=%5E1.0.0&sort=version:desc&limit=25" for n in POPULAR
    ],
    "b. type field + tag, sorted by created_at": [
        f"disk_format={d}&tags=ubuntu&sort=created_at:desc&limit=25" for d in DISK_FORMATS[:3]
    ],
    "c. latest of a name with 200 versions": [f"name={n}&version=latest" for n in POPULAR],
    # Families of 5-15 versions, present at every size: a name that has <= 20 rows.
    "e. name filter, newest first": [f"name=image-{n:06d}&limit=25" for n in range(1, 6)],
    "f. type field, then a second key": [
        f"sort=min_ram:{d},name:asc&limit=25" for d in ("desc", "asc")
    ],
    # Every Glare-door list counts its matches; unfiltered, that is every visible image.
    "g. unfiltered, with total_count": ["limit=25&total_count=true"],
    # A catalog's tag page: one tag of 40 (~4 % of the images), no other filter.
    "h. tag only, newest first": [
        f"tags={t}&sort=created_at:desc&limit=25" for t in ("ubuntu", "gpu")
    ],
}


def _release(item: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(x) for x in item["version"].split("-")[0].split("."))


COUNTED = "g. unfiltered, with total_count"

CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "a. name + version range, sorted by version": ordered_by(_release, reverse=True),
    "b. type field + tag, sorted by created_at": ordered_by(lambda i: i["created_at"], True),
    "c. latest of a name with 200 versions": lambda body: None,
    "e. name filter, newest first": ordered_by(lambda i: i["created_at"], True),
    "f. type field, then a second key": lambda body: None,
    "g. unfiltered, with total_count": lambda body: None,
    "h. tag only, newest first": ordered_by(lambda i: i["created_at"], True),
}


def prepare(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, bulk-load, build the 0005 indexes and analyze; return what it took."""
    from sqlalchemy import text

    from artifacts.db import migrate, type_indexes
    from artifacts.db.session import build_engine
    from artifacts.engine.registry import TypeRegistry, discover_types

    engine = build_engine(url)
    migrate.upgrade(engine, "0003")
    log(f"seeding {args.artifacts:,} artifacts with COPY")
    seed_seconds = seed_database(url, args.artifacts, args.popular_versions, args.seed)
    log(f"  copied in {seed_seconds:.1f} s; building the 0005 indexes")
    began = time.monotonic()
    migrate.upgrade(engine)
    index_seconds = time.monotonic() - began
    log(f"  0005 indexes in {index_seconds:.1f} s; per-type indexes (artifacts db indexes)")
    began = time.monotonic()
    registry = TypeRegistry(list(discover_types()))
    type_indexes.apply(
        engine, [i for t in registry for i in type_indexes.type_indexes(t.name, t.fields)]
    )
    type_index_seconds = time.monotonic() - began
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE artifacts"))
        size = conn.execute(
            text("SELECT pg_size_pretty(pg_total_relation_size('artifacts'))")
        ).scalar()
        count = conn.execute(text("SELECT count(*) FROM artifacts")).scalar()
    engine.dispose()
    log(f"  per-type in {type_index_seconds:.1f} s; {count:,} rows, {size} with indexes")
    return {
        "artifacts": count,
        "table_size": size,
        "seed_seconds": round(seed_seconds, 1),
        "index_seconds": round(index_seconds, 1),
        "type_index_seconds": round(type_index_seconds, 1),
    }


def reused(url: str) -> dict[str, Any]:
    """Bring a database loaded by an earlier run to head, with the current per-type indexes."""
    from sqlalchemy import text

    from artifacts.db import migrate, type_indexes
    from artifacts.db.session import build_engine
    from artifacts.engine.registry import TypeRegistry, discover_types

    engine = build_engine(url)
    migrate.upgrade(engine)
    registry = TypeRegistry(list(discover_types()))
    type_indexes.apply(
        engine, [i for t in registry for i in type_indexes.type_indexes(t.name, t.fields)]
    )
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM artifacts")).scalar()
    engine.dispose()
    return {"artifacts": count, "reused": True}


@contextlib.contextmanager
def bench_lock(path: Path | None) -> Iterator[None]:
    """Hold the machine's benchmark lock (``flock``) while timing, not while building data."""
    if path is None:
        yield
        return
    import fcntl

    with path.open("a") as handle:
        log(f"waiting for {path}")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_queries(
    url: str,
    args: argparse.Namespace,
    env: dict[str, str] | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Time the queries (``only`` some of them) through a server started for the purpose."""
    import requests

    workdir = Path(tempfile.mkdtemp(prefix="bench-queries-"))
    server = Server(sys.executable, url, workdir, args.workers, args.threads, env or {})
    try:
        log(f"server on {server.base}")
        session = requests.Session()
        results = []
        for title, variants in QUERIES.items():
            if only is not None and title not in only:
                continue
            log(f"timing {title}")
            results.append(
                measure(
                    title, session, server.base, variants, args.runs, args.warmup, CHECKS[title]
                )
            )
        walk_ms = None
        if only is None:
            log(f"timing paging {args.depth} pages deep")
            paging, walk_ms = measure_paging(session, server.base, args.walks, args.depth)
            results.append(paging)
    finally:
        server.stop()
        if not args.keep:  # the server's data directory and log
            shutil.rmtree(workdir, ignore_errors=True)
    return {"results": [asdict(r) for r in results], "paging_walk_median_ms": walk_ms}


def print_report(report: dict[str, Any], depth: int) -> None:
    print(f"\n{'query':48} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} items")
    for r in report["results"]:
        print(
            f"{r['name']:48} {r['requests']:>5} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['max_ms']:>8} {r['items']}"
        )
    print(f"\n{depth}-page walk, median total: {report['paging_walk_median_ms']} ms")
    print(f"load average before / after the run: {report['load_before']} / {report['load_after']}")
    for title, plan in report["plans"].items():
        print(f"\n--- {title}\n{plan}")


def explained_queries(depth: int) -> dict[str, str]:
    first = {title: variants[0] for title, variants in QUERIES.items()}
    return {
        **{f"{title[:2]} {query}": query for title, query in first.items()},
        f"d. page {depth}: limit=25&marker=…": "limit=25",
    }


def run_postgresql(args: argparse.Namespace) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
    name = args.reuse or f"artifacts_bench_{uuid.uuid4().hex[:10]}"
    url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    log(f"database {name}" + (" (reused as it is)" if exists else ""))
    try:
        report: dict[str, Any] = {"db": "postgresql"}
        if exists:
            report.update(reused(url))
        else:
            report.update(prepare(url, args))
        with bench_lock(args.lock):
            report["load_before"] = os.getloadavg()
            report.update(run_queries(url, args))
            # The same unfiltered count without the count limit: what an exact count costs.
            exact = run_queries(url, args, {"ARTIFACTS_COUNT_LIMIT": "0"}, only=(COUNTED,))
            for result in exact["results"]:
                result["name"] = f"{result['name']} (exact)"
                report["results"].append(result)
            log("EXPLAIN (ANALYZE, BUFFERS)")
            report["plans"] = explain(url, explained_queries(args.depth), args.depth)
            report["load_after"] = os.getloadavg()
        print_report(report, args.depth)
    finally:
        if not (args.keep or args.reuse):
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped {name}")
        admin.dispose()
    return [report]


def run_sqlite(args: argparse.Namespace) -> list[dict[str, Any]]:
    reports = []
    for size in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix="bench-queries-sqlite-"))
        url = f"sqlite:///{workdir / 'artifacts.db'}"
        report: dict[str, Any] = {"db": "sqlite", "artifacts": size}
        log(f"seeding {size:,} artifacts into {url}")
        report["seed_seconds"] = round(seed_sqlite(url, size, args.popular_versions, args.seed), 1)
        log(f"  inserted in {report['seed_seconds']} s")
        with bench_lock(args.lock):
            report["load_before"] = os.getloadavg()
            report.update(run_queries(url, args))
            report["plans"] = explain(url, explained_queries(args.depth), args.depth)
            report["load_after"] = os.getloadavg()
        print(f"\n=== SQLite, {size:,} artifacts")
        print_report(report, args.depth)
        reports.append(report)
        if not args.keep:
            for leftover in sorted(workdir.rglob("*"), reverse=True):
                leftover.unlink() if leftover.is_file() else leftover.rmdir()
            workdir.rmdir()
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--artifacts", type=int, default=1_000_000, help="PostgreSQL rows")
    parser.add_argument(
        "--sizes",
        type=lambda raw: [int(n) for n in raw.split(",")],
        default=[2_000, 10_000, 50_000, 100_000],
        help="SQLite: comma-separated table sizes, one fresh database each",
    )
    parser.add_argument("--popular-versions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=300, help="timed requests per query")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--walks", type=int, default=15, help="timed walks of --depth pages")
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="PostgreSQL: use (and keep) database NAME, loading it only if it does not exist yet",
    )
    parser.add_argument("--json", type=Path, help="write the figures and plans here")
    parser.add_argument(
        "--lock",
        type=Path,
        help="flock this file while timing only (e.g. /tmp/artifacts-bench.lock), so building "
        "the data does not hold the machine's benchmark lock",
    )
    args = parser.parse_args()
    reports = run_sqlite(args) if args.db == "sqlite" else run_postgresql(args)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
