#!/usr/bin/env python3
"""In-process cost of a list page with and without the statement cache, interleaved.

Builds a SQLite database with ``bench/queries.py``'s generator (``--artifacts`` rows; or uses
``--url``, e.g. a PostgreSQL database ``bench/queries.py --reuse`` loaded), then times
``ArtifactService.list`` for each query shape in rounds that alternate between the service
with its per-shape statement cache and the same service building every statement (the cache
removed), so both see the same machine load. No HTTP: what is timed is the engine, the SQL and
the rendering of the page, in this one process (one thread).

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/list_statements.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import query_data

from artifacts.db.list_shapes import StatementCache
from artifacts.db.session import Database, build_engine
from artifacts.engine.artifacts import ArtifactService
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy
from artifacts.engine.registry import TypeRegistry, discover_types

SHAPES = {
    "name filter": "name=image-000001&limit=25",
    "type field + tag": "disk_format=qcow2&tags=ubuntu&sort=created_at:desc&limit=25",
    "unfiltered page": "limit=25",
    "latest of a name": "name=cirros&version=latest",
    "type field sort": "sort=min_ram:desc&limit=25",
}


def time_lists(service: ArtifactService, ctx: RequestContext, query: str, n: int) -> float:
    """Median seconds of ``n`` lists (the page alone, no count), after as many untimed."""
    params = parse_qsl(query)
    for _ in range(n):
        service.list(ctx, "images", params)
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        service.list(ctx, "images", params)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artifacts", type=int, default=10_000)
    parser.add_argument("--url", help="an existing database instead of a new SQLite one")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--lists", type=int, default=200, help="timed lists per shape and round")
    args = parser.parse_args()
    url = args.url
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-statements-')}/artifacts.db"
        query_data.seed_sqlite(url, args.artifacts, 200, 5)
    service = ArtifactService(
        Database(build_engine(url)), TypeRegistry(list(discover_types())), Policy()
    )
    ctx = RequestContext(project_id="p1", user_id="bench", request_id="bench")
    cache = StatementCache()
    figures: dict[str, dict[str, list[float]]] = {s: {"cached": [], "built": []} for s in SHAPES}
    print(f"database {url}; load before {os.getloadavg()[0]:.2f}")
    for round_number in range(args.rounds):
        order = ("cached", "built") if round_number % 2 == 0 else ("built", "cached")
        for mode in order:
            service._list_statements = cache if mode == "cached" else None  # type: ignore[assignment]
            for shape, query in SHAPES.items():
                figures[shape][mode].append(time_lists(service, ctx, query, args.lists))
    print(f"load after {os.getloadavg()[0]:.2f}; cached shapes: {len(cache)}")
    print(f"\n{'shape':20} {'built µs':>10} {'cached µs':>10} {'cached / built':>15}  per round")
    for shape, modes in figures.items():
        built = statistics.median(modes["built"]) * 1e6
        cached = statistics.median(modes["cached"]) * 1e6
        ratios = " ".join(
            f"{c / b:.2f}" for c, b in zip(modes["cached"], modes["built"], strict=True)
        )
        print(f"{shape:20} {built:>10.0f} {cached:>10.0f} {cached / built:>15.2f}  {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
