"""Stores for the conformance suite: every driver, each fresh for every test.

The S3 driver talks real HTTP to moto's standalone server on loopback (the session's
``s3_endpoint`` from tests/conftest.py). Each S3 test gets its own prefix in one bucket:
cheaper than a bucket per test, and just as isolated.

The same driver also runs against a real object store when one is configured: OpenStack Swift's
S3 API (``../shared/tools/start_swift_s3.sh``, which ``.ci/run`` starts), named by
``ARTIFACTS_TEST_SWIFT_S3_URL`` with ``ARTIFACTS_TEST_SWIFT_S3_KEY`` / ``…_SECRET`` (the
script's defaults otherwise). Without it those cases skip, saying so; with
``ARTIFACTS_REQUIRE_SWIFT=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import delete, select

from artifacts.db import migrate
from artifacts.db.models import StoredObjectRow
from artifacts.db.session import build_engine
from artifacts.store.base import BlobStore
from artifacts.store.database import DatabaseStore
from artifacts.store.filesystem import FilesystemStore
from artifacts.store.memory import MemoryStore
from artifacts.store.s3 import MIN_PART_SIZE, S3Store
from tests.conftest import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, s3_client

BUCKET = "conformance"

DRIVERS = ("memory", "filesystem", "s3", "s3_swift", "database_sqlite", "database_postgresql")

SWIFT_URL = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_URL", "")
REQUIRE_SWIFT = os.environ.get("ARTIFACTS_REQUIRE_SWIFT") == "1"


@dataclass
class StoreCase:
    """A store under test, with what the suite needs to know about its driver."""

    kind: str
    store: BlobStore
    #: Sizes above this exercise the driver's multi-part path (S3's part size).
    part_size: int
    #: What an unfinished upload may leave behind (temp files, multipart uploads).
    leftovers: Callable[[], list[str]]


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that differ at every offset that matters (no repeating pattern)."""
    return random.Random(f"{seed}-{size}").randbytes(size)


def new_key(label: str = "obj") -> str:
    """A key shaped like the blob service's: fan-out, artifact, field, fresh blob id."""
    artifact = uuid.uuid4().hex
    return f"blobs/{artifact[:2]}/{artifact}/{label}/{uuid.uuid4()}"


@pytest.fixture(scope="session")
def s3_admin(s3_endpoint: str) -> Any:
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    return client


def make_s3_store(endpoint: str, prefix: str, **kwargs: Any) -> S3Store:
    options: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region": S3_REGION,
        "access_key": S3_ACCESS_KEY,
        "secret_key": S3_SECRET_KEY,
        "part_size": MIN_PART_SIZE,
    }
    options.update(kwargs)
    return S3Store("s3", BUCKET, prefix, **options)


@pytest.fixture
def memory_case() -> StoreCase:
    return StoreCase("memory", MemoryStore("memory"), MIN_PART_SIZE, list)


@pytest.fixture
def filesystem_case(tmp_path: Path) -> StoreCase:
    store = FilesystemStore("filesystem", tmp_path / "store")

    def leftovers() -> list[str]:
        tmp = store.root / "tmp"
        return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []

    return StoreCase("filesystem", store, MIN_PART_SIZE, leftovers)


@pytest.fixture(scope="session")
def s3_driver_client(s3_endpoint: str) -> Any:
    """The client S3Store builds from its options (Config, retries, pool), built once.

    Building a boto3 client loads botocore's service model (~0.4 s): per test, that alone
    would blow the suite's time budget. Stores share it, as the threads of a worker do.
    """
    return make_s3_store(s3_endpoint, "unused").client


@pytest.fixture
def s3_case(s3_endpoint: str, s3_admin: Any, s3_driver_client: Any) -> StoreCase:
    prefix = f"test-{uuid.uuid4().hex}"
    store = make_s3_store(s3_endpoint, prefix, client=s3_driver_client)

    def leftovers() -> list[str]:
        uploads = s3_admin.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix + "/")
        return [upload["Key"] for upload in uploads.get("Uploads", [])]

    return StoreCase("s3", store, store.part_size, leftovers)


@pytest.fixture(scope="session")
def swift_store_factory() -> Iterator[Callable[..., S3Store]]:
    """Stores on the Swift endpoint, one bucket for the session, emptied and removed at the end.

    Called with a prefix, and optionally S3Store options for a client of their own.
    """
    if not SWIFT_URL:
        message = "no real S3 store configured (set ARTIFACTS_TEST_SWIFT_S3_URL; .ci/run does)"
        if REQUIRE_SWIFT:
            pytest.fail(message + " and ARTIFACTS_REQUIRE_SWIFT=1")
        pytest.skip(message)
    bucket = f"conformance-{uuid.uuid4().hex[:12]}"
    options: dict[str, Any] = {
        "endpoint_url": SWIFT_URL,
        "region": S3_REGION,
        "access_key": os.environ.get("ARTIFACTS_TEST_SWIFT_S3_KEY", "test:tester"),
        "secret_key": os.environ.get("ARTIFACTS_TEST_SWIFT_S3_SECRET", "testing"),
        "part_size": MIN_PART_SIZE,
        "addressing_style": "path",
    }
    client = S3Store("s3", bucket, "unused", **options).client
    client.create_bucket(Bucket=bucket)

    def store(prefix: str, **extra: Any) -> S3Store:
        # Other client options need a client of their own (~0.4 s to build).
        if extra:
            return S3Store("s3", bucket, prefix, **{**options, **extra})
        return S3Store("s3", bucket, prefix, client=client)

    try:
        yield store
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=obj["Key"])
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        client.delete_bucket(Bucket=bucket)


def swift_allow_origin(bucket: str, origin: str) -> None:
    """Name ``origin`` in the CORS metadata of a Swift bucket and of its parts' container.

    Swift's s3api has no PutBucketCors; Swift's own API sets container metadata instead, which
    needs a Swift token: the shared start script's tempauth gives one for the S3 key and secret.
    """
    key = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_KEY", "test:tester")
    secret = os.environ.get("ARTIFACTS_TEST_SWIFT_S3_SECRET", "testing")
    auth = requests.get(
        f"{SWIFT_URL}/auth/v1.0", headers={"X-Auth-User": key, "X-Auth-Key": secret}, timeout=10
    )
    auth.raise_for_status()
    storage, token = auth.headers["X-Storage-Url"], auth.headers["X-Auth-Token"]
    for container in (bucket, f"{bucket}+segments"):
        answer = requests.put(
            f"{storage}/{container}",
            headers={
                "X-Auth-Token": token,
                "X-Container-Meta-Access-Control-Allow-Origin": origin,
                "X-Container-Meta-Access-Control-Expose-Headers": "ETag",
            },
            timeout=10,
        )
        assert answer.status_code in (201, 202, 204), answer.text


@pytest.fixture
def s3_swift_case(swift_store_factory: Callable[[str], S3Store]) -> StoreCase:
    prefix = f"test-{uuid.uuid4().hex}"
    store = swift_store_factory(prefix)

    def leftovers() -> list[str]:
        found = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix + "/")
        return [upload["Key"] for upload in found.get("Uploads", [])]

    return StoreCase("s3", store, store.part_size, leftovers)


def _database_case(url: str, kind: str) -> Iterator[StoreCase]:
    engine = build_engine(url)
    migrate.upgrade(engine)
    # A small chunk size so that multi-chunk paths run with small payloads.
    store = DatabaseStore(kind, url, chunk_size=4096, max_size=64 * 1024 * 1024, engine=engine)

    def leftovers() -> list[str]:
        with engine.connect() as conn:
            rows = conn.execute(select(StoredObjectRow.key).where(~StoredObjectRow.committed))
            return [row[0] for row in rows]

    yield StoreCase("database", store, MIN_PART_SIZE, leftovers)
    with engine.begin() as conn:
        conn.execute(delete(StoredObjectRow))
    engine.dispose()


@pytest.fixture
def database_sqlite_case(tmp_path: Path) -> Iterator[StoreCase]:
    yield from _database_case(f"sqlite:///{tmp_path / 'store.db'}", "database")


@pytest.fixture(scope="session")
def store_pg_url(pg_databases: Callable[[], str]) -> str:
    return pg_databases()


@pytest.fixture
def database_postgresql_case(store_pg_url: str) -> Iterator[StoreCase]:
    yield from _database_case(store_pg_url, "database")


@pytest.fixture(params=DRIVERS)
def case(request: pytest.FixtureRequest) -> StoreCase:
    """Each driver in turn: the conformance suite's one parameter."""
    result: StoreCase = request.getfixturevalue(f"{request.param}_case")
    return result


@pytest.fixture
def store(case: StoreCase) -> BlobStore:
    return case.store
