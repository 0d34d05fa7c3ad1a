"""The list benchmark's data: a deterministic artifact table, loaded into PostgreSQL or SQLite.

``bench/queries.py`` describes the data (its ``--help``); ``bench/list_statements.py`` loads
the same. Rows are built by the service's own ``row_values``, so they are stored as the service
stores what it is sent.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any, cast

POPULAR = ("cirros", "ubuntu", "fedora", "debian", "alpine")
TAGS = [f"t{i:02d}" for i in range(38)] + ["ubuntu", "gpu"]
DISK_FORMATS = ("qcow2", "raw", "vmdk", "vhd", "iso", "ami", "vdi")
TYPES = (("images", 0.5), ("heat_templates", 0.3), ("tosca_templates", 0.2))
COLUMNS = (
    "id",
    "type_name",
    "name",
    "version",
    "version_key",
    "owner",
    "visibility",
    "status",
    "description",
    "tags",
    "metadata",
    "properties",
    "created_at",
    "updated_at",
    "activated_at",
    "revision",
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def version_series(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct versions in increasing order, with a pre-release now and then."""
    out: list[str] = []
    major, minor, patch = 0, 1, 0
    while len(out) < count:
        step = rng.random()
        if step < 0.03:
            major, minor, patch = major + 1, 0, 0
        elif step < 0.3:
            minor, patch = minor + 1, 0
        else:
            patch += 1
        if rng.random() < 0.15 and len(out) < count - 1:
            out.append(f"{major}.{minor}.{patch}-rc.{rng.randint(1, 3)}")
        out.append(f"{major}.{minor}.{patch}")
    return out[:count]


def generate(total: int, popular_versions: int, seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(type_name, field values)`` for every artifact, deterministic for a seed."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 12, 1, tzinfo=dt.UTC)
    span = 2 * 365 * 24 * 3600
    produced = 0

    def values(type_name: str, name: str, version: str, owner: str) -> dict[str, Any]:
        nonlocal produced
        produced += 1
        created = start + dt.timedelta(seconds=rng.random() * span)
        public = owner != "p1" and rng.random() < 0.33
        tags = rng.sample(TAGS, rng.randint(0, 3))
        out: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": name,
            "version": version,
            "owner": owner,
            "visibility": "public" if public else "private",
            "status": "active" if public or rng.random() < 0.5 else "drafted",
            "tags": tags,
            "metadata": {"os": rng.choice(("linux", "windows", "bsd"))},
            "created_at": created,
            "updated_at": created,
        }
        if type_name == "images":
            out.update(
                disk_format=rng.choice(DISK_FORMATS),
                container_format="bare",
                min_ram=rng.choice((256, 512, 1024, 2048, 4096)),
                min_disk=rng.randint(1, 80),
                architecture=rng.choice(("x86_64", "aarch64")),
            )
        elif type_name == "tosca_templates":
            out["template_format"] = "yaml"
        return out

    # Small tables keep room for the ordinary families: the popular names take at most a fifth
    # of the images.
    per_name = min(popular_versions, max(1, total // 10 // len(POPULAR)))
    for name in POPULAR:
        for version in version_series(per_name, rng):
            yield "images", values("images", name, version, rng.choice(("p1", "p2", "p3")))
    quotas = [(type_name, int(total * share)) for type_name, share in TYPES]
    quotas[0] = (quotas[0][0], quotas[0][1] - produced)
    quotas[-1] = (quotas[-1][0], quotas[-1][1] + total - sum(q for _, q in quotas) - produced)
    for type_name, quota in quotas:
        made = 0
        family = 0
        while made < quota:
            family += 1
            owner = f"p{rng.randint(1, 40)}"
            name = f"{type_name[:5]}-{family:06d}"
            for version in version_series(min(rng.randint(5, 15), quota - made), rng):
                yield type_name, values(type_name, name, version, owner)
                made += 1


def stored_rows(total: int, popular_versions: int, seed: int) -> Iterator[dict[str, Any]]:
    """The generated artifacts as the service stores them: ``artifacts`` columns and values."""
    from artifacts.db import rows
    from artifacts.engine.registry import TypeRegistry, discover_types
    from artifacts.model import semver

    types = TypeRegistry(list(discover_types()))
    fields = {name: types.get(name).fields for name, _ in TYPES}
    keys: dict[str, str] = {}
    for type_name, values in generate(total, popular_versions, seed):
        version = values["version"]
        if version not in keys:  # the same few thousand versions recur
            keys[version] = semver.sort_key(version)
        row = rows.row_values(type_name, values, fields[type_name])
        row["version_key"] = keys[version]
        row["revision"] = 1
        row["metadata"] = row.pop("metadata_")
        yield row


def seed_database(url: str, total: int, popular_versions: int, seed: int) -> float:
    """Bulk-load the artifacts with COPY; return the seconds it took."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    began = time.monotonic()
    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    ) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY artifacts ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for n, row in enumerate(stored_rows(total, popular_versions, seed), 1):
                copy.write_row(
                    [
                        json.dumps(row[c]) if c in ("tags", "metadata", "properties") else row[c]
                        for c in COLUMNS
                    ]
                )
                if n % 200_000 == 0:
                    log(f"  {n:,} rows copied")
        conn.commit()
    return time.monotonic() - began


def seed_sqlite(url: str, total: int, popular_versions: int, seed: int) -> float:
    """Migrate a new SQLite database to head and insert the artifacts; return the seconds."""
    from sqlalchemy import Table, insert

    from artifacts.db import migrate
    from artifacts.db.models import ArtifactRow
    from artifacts.db.session import build_engine

    engine = build_engine(url)
    migrate.upgrade(engine)
    statement = insert(cast(Table, ArtifactRow.__table__))
    began = time.monotonic()
    batch: list[dict[str, Any]] = []
    with engine.connect() as conn, conn.begin():
        for n, row in enumerate(stored_rows(total, popular_versions, seed), 1):
            batch.append(row)
            if len(batch) == 5000:
                conn.execute(statement, batch)
                batch.clear()
            if n % 200_000 == 0:
                log(f"  {n:,} rows inserted")
        if batch:
            conn.execute(statement, batch)
    engine.dispose()
    return time.monotonic() - began
