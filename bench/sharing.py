#!/usr/bin/env python3
"""List latency under the visibility rule: what sharing costs a list, per kind of caller.

Not a test: it measures, it does not assert. It fills a fresh database (SQLite file, and/or a
throwaway PostgreSQL database) with ``--artifacts`` active images spread over ``--projects``
projects, a mix of private, shared, community and public ones, and memberships for one member
project (accepted and pending), then times the first page of ``GET /artifacts/images`` as the
engine runs it (``ArtifactService.list``: parse, one SELECT with the visibility condition,
render), for each kind of caller. It reports the median and 95th percentile of ``--runs``
timed calls after ``--warmup`` untimed ones.

Run it from the repository root with the project's virtualenv::

    .venv-test/bin/python bench/sharing.py --db both --artifacts 50000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from artifacts.config import Settings
from artifacts.db import migrate
from artifacts.db.models import ArtifactRow, MemberRow
from artifacts.db.session import Database, build_engine
from artifacts.engine.context import RequestContext
from artifacts.engine.services import build_services
from artifacts.model import semver

PG_ADMIN_URL = os.environ.get(
    "ARTIFACTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MEMBER = "p-member"
#: Share of artifacts by visibility (the rest are private).
MIX = {"public": 0.05, "community": 0.05, "shared": 0.10}


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"artifacts_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fill(db: Database, artifacts: int, projects: int, seed: int) -> dict[str, int]:
    """Insert the artifacts and the member project's memberships; return counts by kind."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows, members = [], []
    counts = {"accepted": 0, "pending": 0}
    for i in range(artifacts):
        draw = rng.random()
        visibility = "private"
        for name, share in MIX.items():
            if draw < share:
                visibility = name
                break
            draw -= share
        artifact_id = str(uuid.UUID(int=rng.getrandbits(128)))
        when = start + dt.timedelta(seconds=i)
        rows.append(
            {
                "id": artifact_id,
                "type_name": "images",
                "name": f"image-{i}",
                "version": "1.0.0",
                "version_key": semver.sort_key("1.0.0"),
                "owner": f"p-{i % projects}",
                "visibility": visibility,
                "status": "active",
                "description": None,
                "tags": [],
                "metadata": {},
                "properties": {"disk_format": "qcow2", "container_format": "bare"},
                "created_at": when,
                "updated_at": when,
                "activated_at": when,
                "revision": 1,
            }
        )
        if visibility in ("shared", "community") and rng.random() < 0.2:
            status = "accepted" if rng.random() < 0.7 else "pending"
            counts[status] += 1
            members.append(
                {
                    "artifact_id": artifact_id,
                    "project_id": MEMBER,
                    "status": status,
                    "created_at": when,
                    "updated_at": when,
                }
            )
    with db.write() as session:
        for chunk in range(0, len(rows), 5000):
            session.execute(insert(ArtifactRow.__table__), rows[chunk : chunk + 5000])
        if members:
            session.execute(insert(MemberRow.__table__), members)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return counts


def timed(call: object, runs: int, warmup: int) -> tuple[float, float]:
    assert callable(call)
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--artifacts", type=int, default=50_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    callers = {
        "owner (p-0)": (RequestContext(project_id="p-0"), []),
        "member project": (RequestContext(project_id=MEMBER), []),
        "member, member_status=all": (
            RequestContext(project_id=MEMBER),
            [("member_status", "all")],
        ),
        # Selective: only the accepted shares qualify, so the scan probes many rows.
        "member, visibility=shared": (
            RequestContext(project_id=MEMBER),
            [("visibility", "shared")],
        ),
        "unrelated project": (RequestContext(project_id="p-nobody"), []),
        "unrelated, visibility=community": (
            RequestContext(project_id="p-nobody"),
            [("visibility", "community")],
        ),
        "anonymous": (RequestContext(), []),
        "admin": (RequestContext(project_id="p-admin", roles=frozenset({"admin"})), []),
    }
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        with database(kind) as url, tempfile.TemporaryDirectory() as data:
            engine = build_engine(url)
            migrate.upgrade(engine)
            db = Database(engine)
            counts = fill(db, args.artifacts, args.projects, args.seed)
            services = build_services(Settings(data_dir=Path(data)), database=db)
            print(
                f"\n{kind}: {args.artifacts} images over {args.projects} projects; "
                f"{MEMBER} holds {counts['accepted']} accepted and {counts['pending']} pending "
                f"memberships; first page of 25, newest first; {args.runs} runs"
            )
            print(f"{'caller':34} {'median ms':>10} {'p95 ms':>8} {'items':>6}")
            for label, (ctx, params) in callers.items():
                page = services.artifacts.list(ctx, "images", params)
                median, p95 = timed(
                    lambda s=services, c=ctx, p=params: s.artifacts.list(c, "images", p),
                    args.runs,
                    args.warmup,
                )
                print(f"{label:34} {median:10.2f} {p95:8.2f} {len(page.items):6}")
            services.close()


if __name__ == "__main__":
    main()
