#!/usr/bin/env python3
"""Web catalog benchmark: server time of the catalog's pages over 100,000 artifacts.

The data and its loading are ``queries.py``'s (``COPY`` into a throwaway PostgreSQL database,
the 0005 and per-type indexes, ``VACUUM ANALYZE``). The pages are then rendered in process,
through the whole falcon application that ``artifacts serve`` runs (middleware, identity, the
catalog, the engine, the database), and each request is timed from the WSGI call to the last
byte of the body: the server's time, without a network or a client in it. Next to each page,
the API list request it is built on is timed the same way, without and with an exact
``total_count`` (the catalog counts at most 1,001 matches), so the catalog's own cost shows.

    flock /tmp/artifacts-bench.lock .venv/bin/python bench/ui.py
    .venv/bin/python bench/ui.py --artifacts 100000 --runs 100 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from queries import prepare
from query_data import log
from query_timing import CALLER

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: (title, catalog page, the API request its listing is made of)
PAGES = (
    (
        "type page, version range",
        "/ui/types/images?version=%5E1.0",
        "/artifacts/images?version=%5E1.0&limit=25",
    ),
    (
        "type page, name + version range",
        "/ui/types/images?q=cirros&version=%5E1.0&sort=version:desc",
        "/artifacts/images?name=like:%25cirros%25&version=%5E1.0&sort=version:desc&limit=25",
    ),
    (
        "type page, range + latest",
        "/ui/types/images?version=%3E%3D1.0.0,%3C2.0.0&latest=1",
        "/artifacts/images?version=%3E%3D1.0.0,%3C2.0.0&latest=true&limit=25",
    ),
    ("type page, default", "/ui/types/images", "/artifacts/images?limit=25"),
    ("home page", "/ui", None),
)


def timed(client: Any, path: str, headers: dict[str, str]) -> tuple[float, int]:
    query = path.partition("?")[2]
    began = time.perf_counter()
    result = client.simulate_get(path.partition("?")[0], query_string=query, headers=headers)
    elapsed = (time.perf_counter() - began) * 1000
    assert result.status_code == 200, (path, result.status_code, result.text[:500])
    return elapsed, len(result.content)


def measure(client: Any, path: str, headers: dict[str, str], runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        timed(client, path, headers)
    samples, size = [], 0
    for _ in range(runs):
        elapsed, size = timed(client, path, headers)
        samples.append(elapsed)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
        "max_ms": round(samples[-1], 1),
        "bytes": size,
    }


def artifact_page(client: Any, headers: dict[str, str]) -> str:
    listed = client.simulate_get(
        "/artifacts/images", query_string="name=cirros&limit=1", headers=headers
    )
    return f"/ui/types/images/{listed.json['images'][0]['id']}"


def run(url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    import falcon.testing

    from api.app import create_app
    from artifacts.config import Settings
    from artifacts.engine.services import build_services

    settings = Settings(database_url=url, data_dir=Path(os.environ.get("TMPDIR", "/tmp")))
    services = build_services(settings)
    client = falcon.testing.TestClient(create_app(settings, services))
    callers = {"project p1": CALLER, "anonymous": {}}
    pages = [*PAGES, ("artifact page (200 versions)", artifact_page(client, CALLER), None)]
    rows = []
    try:
        for caller, headers in callers.items():
            for title, page, api in pages:
                log(f"timing {title} as {caller}")
                row = {"page": title, "caller": caller, "path": page}
                row["ui"] = measure(client, page, headers, args.runs, args.warmup)
                if api is not None:
                    row["api"] = measure(client, api, headers, args.runs, args.warmup)
                    # With an exact count of every match, which the catalog bounds.
                    row["api_counted"] = measure(
                        client, api + "&total_count=true", headers, args.runs, args.warmup
                    )
                rows.append(row)
    finally:
        services.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--artifacts", type=int, default=100_000)
    parser.add_argument("--popular-versions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=100, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
    name = f"artifacts_bench_{uuid.uuid4().hex[:10]}"
    url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    log(f"database {name}; load average {os.getloadavg()}")
    try:
        report: dict[str, Any] = {"load_before": os.getloadavg()}
        report["data"] = prepare(url, args)
        report["pages"] = run(url, args)
        report["load_after"] = os.getloadavg()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        log(f"dropped {name}")
    print(
        f"\n{'page':32} {'caller':11} {'ui p50':>7} {'p99':>7} {'KiB':>5} "
        f"{'api p50':>8} {'p99':>7} {'+count p50':>11} {'p99':>7}"
    )
    for row in report["pages"]:
        ui, api, counted = row["ui"], row.get("api", {}), row.get("api_counted", {})
        print(
            f"{row['page']:32} {row['caller']:11} {ui['p50_ms']:>7} {ui['p99_ms']:>7} "
            f"{ui['bytes'] / 1024:>5.1f} {api.get('p50_ms', '—'):>8} {api.get('p99_ms', '—'):>7} "
            f"{counted.get('p50_ms', '—'):>11} {counted.get('p99_ms', '—'):>7}"
        )
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
