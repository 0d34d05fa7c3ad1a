"""Shared fixtures: databases (SQLite and PostgreSQL), an S3 endpoint, services, the app.

Database-touching tests take the ``database`` fixture, which is parametrized over both engines.
PostgreSQL tests skip with a reason when no server answers, unless ARTIFACTS_REQUIRE_PG=1 (CI),
where an unreachable server fails the run instead of silently skipping.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import falcon.testing
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine, create_engine, text

from api.app import create_app
from artifacts.config import Settings
from artifacts.db import migrate
from artifacts.db.models import Base
from artifacts.db.session import Database, build_engine
from artifacts.engine.registry import TypeRegistry, discover_types
from artifacts.engine.services import Services, build_services
from tests.disk_images import ImageMaker
from tests.plugin_types import CONTRACT_TYPES, JOURNAL
from tests.sample_types import SAMPLE_TYPES

PG_ADMIN_URL = os.environ.get(
    "ARTIFACTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("ARTIFACTS_REQUIRE_PG") == "1"

S3_REGION = "us-east-1"
# moto accepts any credentials; explicit ones keep botocore from searching the environment
# and the instance-metadata endpoint (which would make every test wait for a timeout).
S3_ACCESS_KEY = "test-access-key"
S3_SECRET_KEY = "test-secret-key"


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "no usable server"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[Callable[[], str]]:
    """Create fresh PostgreSQL databases on demand; all are dropped when the session ends."""
    problem = _pg_reachable()
    if problem is not None:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL} ({problem})"
        if REQUIRE_PG:
            pytest.fail(message + " and ARTIFACTS_REQUIRE_PG=1")
        pytest.skip(message)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create() -> str:
        name = f"artifacts_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    try:
        yield create
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One S3 endpoint for the session: moto's standalone server on a loopback port.

    Real HTTP, so botocore's whole stack (signing, retries, streaming, error parsing) runs as in
    production, and server processes started by functional tests can reach it too. Tests
    isolate themselves by bucket or prefix.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client, to set up buckets and look at them behind the service's back."""
    return boto3.session.Session(
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name=S3_REGION,
    ).client("s3", endpoint_url=endpoint)


def s3_store_toml(endpoint: str, bucket: str, prefix: str, name: str = "default") -> str:
    """A ``[stores.<name>]`` table sending blobs to ``bucket`` at the moto endpoint."""
    return (
        f"[stores.{name}]\n"
        'driver = "s3"\n'
        f'bucket = "{bucket}"\n'
        f'prefix = "{prefix}"\n'
        f'endpoint_url = "{endpoint}"\n'
        f'region = "{S3_REGION}"\n'
        f'access_key = "{S3_ACCESS_KEY}"\n'
        f'secret_key = "{S3_SECRET_KEY}"\n'
        'addressing_style = "path"\n'
    )


@pytest.fixture(scope="session")
def pg_url(pg_databases: Callable[[], str]) -> str:
    """The PostgreSQL database shared by in-process tests (emptied after each test)."""
    return pg_databases()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'artifacts.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    engine = build_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database(migrated_engine: Engine) -> Iterator[Database]:
    """A migrated database, emptied after each test so tests never see each other's rows."""
    yield Database(migrated_engine)
    with migrated_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def registry() -> TypeRegistry:
    return TypeRegistry([*discover_types(), *SAMPLE_TYPES])


@pytest.fixture
def clock() -> Callable[[], dt.datetime]:
    """A clock that ticks one second per call, so creation order is deterministic."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ticks = itertools.count()
    return lambda: start + dt.timedelta(seconds=next(ticks))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, default_list_limit=20, max_list_limit=100)


@pytest.fixture
def services(
    database: Database,
    registry: TypeRegistry,
    settings: Settings,
    clock: Callable[[], dt.datetime],
) -> Services:
    """The real services on the test database, with a filesystem blob store under tmp_path."""
    return build_services(settings, types=registry, database=database, clock=clock)


@pytest.fixture
def contract_services(
    database: Database, settings: Settings, clock: Callable[[], dt.datetime]
) -> Iterator[Services]:
    """Services serving the types that exercise hooks and streaming validators, journal reset."""
    JOURNAL.calls.clear()
    JOURNAL.during_post_store = None
    yield build_services(
        settings, types=TypeRegistry(CONTRACT_TYPES), database=database, clock=clock
    )
    JOURNAL.calls.clear()
    JOURNAL.during_post_store = None


@pytest.fixture
def client(settings: Settings, services: Services) -> falcon.testing.TestClient:
    return falcon.testing.TestClient(create_app(settings, services))


@pytest.fixture(scope="session")
def disk_images(tmp_path_factory: pytest.TempPathFactory) -> ImageMaker:
    """Make real disk images with qemu-img and genisoimage (skips, or fails under CI)."""
    return ImageMaker(tmp_path_factory.mktemp("disk-images"))
