#!/usr/bin/env python3
"""``artifacts gc`` on many blobs: a full pass while nothing is garbage, and one that removes.

Not a test: it measures, it does not assert. It fills a fresh database (SQLite file, and/or a
throwaway PostgreSQL database) and a filesystem store with ``--blobs`` blobs (one small object
each, as the blob service lays them out), then times:

- ``dry-run, all live``: a dry run over the whole store with nothing to remove (the pass a cron
  job makes most days: every table read, the whole store listed);
- ``remove half``: after half of the artifacts were deleted with a delete delay that has
  passed, a real run removing their content (rows and files);
- ``remove unnamed``: a real run removing ``--blobs / 10`` objects that no row names.

Run it from the repository root with the project's virtualenv, under the bench lock::

    flock /tmp/artifacts-bench.lock .venv-test/bin/python bench/gc.py --db both --blobs 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, select, text, update

from artifacts.config import Settings
from artifacts.db import migrate
from artifacts.db.models import ArtifactRow, BlobRow, ContentRow
from artifacts.db.session import Database, build_engine
from artifacts.engine.gc import Report
from artifacts.engine.services import build_services

PG_ADMIN_URL = os.environ.get(
    "ARTIFACTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
#: "Now" for the collector: well after everything was written, so all of it is past grace.
LATER = dt.timedelta(days=2)
BATCH = 5000


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
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


def fill(db: Database, root: Path, blobs: int) -> list[str]:
    """Artifacts with one blob each, their content rows and files; return the artifact ids."""
    now = dt.datetime.now(dt.UTC) - LATER
    ids = [str(uuid.uuid4()) for _ in range(blobs)]
    for start in range(0, blobs, BATCH):
        artifacts, rows, contents = [], [], []
        for n, artifact_id in enumerate(ids[start : start + BATCH], start):
            location = f"blobs/{artifact_id[:2]}/{artifact_id}/manual/{uuid.uuid4()}"
            path = root / location
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
            digest = f"{n:064x}"
            artifacts.append(
                {
                    "id": artifact_id, "type_name": "widgets", "name": f"w{n}",
                    "version": "1.0.0", "version_key": "1", "owner": "p1",
                    "visibility": "private", "status": "drafted", "tags": [], "metadata_": {},
                    "properties": {}, "created_at": now, "updated_at": now, "revision": 1,
                }
            )  # fmt: skip
            rows.append(
                {
                    "artifact_id": artifact_id, "field": "manual", "key": "", "status": "active",
                    "size": 1, "sha256": digest, "store": "default", "location": location,
                    "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
            contents.append(
                {
                    "store": "default", "location": location, "sha256": digest, "size": 1,
                    "refs": 1, "created_at": now, "unreferenced_at": None,
                }
            )  # fmt: skip
        with db.write() as session:
            session.execute(insert(ArtifactRow), artifacts)
            session.execute(insert(BlobRow), rows)
            session.execute(insert(ContentRow), contents)
    return ids


def delete_half(db: Database, ids: list[str]) -> None:
    """What deleting every other artifact with a delete delay leaves: unreferenced content."""
    gone = ids[::2]
    then = dt.datetime.now(dt.UTC) - LATER
    for start in range(0, len(gone), BATCH):
        batch = gone[start : start + BATCH]
        with db.write() as session:
            locations = session.scalars(
                select(BlobRow.location).where(BlobRow.artifact_id.in_(batch))
            ).all()
            session.execute(
                update(ContentRow)
                .where(ContentRow.location.in_(locations))
                .values(refs=0, unreferenced_at=then)
            )
            session.execute(delete(ArtifactRow).where(ArtifactRow.id.in_(batch)))


def timed(label: str, action: Callable[[], Report]) -> None:
    start = time.perf_counter()
    report = action()
    elapsed = time.perf_counter() - start
    print(
        f"  {label:<22} {elapsed:8.2f} s   found {len(report.found):>7}   "
        f"removed {report.removed:>7}",
        flush=True,
    )


def run(kind: str, blobs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_dir, database(kind, Path(tmp_dir)) as url:
        tmp = Path(tmp_dir)
        engine = build_engine(url)
        migrate.upgrade(engine)
        db = Database(engine)
        settings = Settings(data_dir=tmp, delete_delay=3600)
        later = dt.datetime.now(dt.UTC) + LATER
        services = build_services(settings, database=db, clock=lambda: later)
        root = tmp / "blobs"
        start = time.perf_counter()
        ids = fill(db, root, blobs)
        print(f"{kind}: {blobs} blobs filled in {time.perf_counter() - start:.1f} s", flush=True)
        timed("dry-run, all live", lambda: services.gc.run(dry_run=True))
        delete_half(db, ids)
        timed("remove half", services.gc.run)
        stray = root / "blobs" / "zz"
        stray.mkdir(parents=True, exist_ok=True)
        old = time.time() - LATER.total_seconds()
        for n in range(blobs // 10):
            path = stray / f"stray-{n}"
            path.write_bytes(b"x")
            os.utime(path, (old, old))
        timed("remove unnamed", services.gc.run)
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--blobs", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{platform.node()} {os.cpu_count()} cpus, load {os.getloadavg()}")
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(kind, args.blobs)


if __name__ == "__main__":
    main()
