"""Real servers: ``artifacts serve`` (gunicorn) on a free loopback port, on SQLite or PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from artifacts.devserver import RunningServer, ServerFailed, run_server
from tests.conftest import s3_client, s3_store_toml

REPO = Path(__file__).resolve().parents[2]


Server = RunningServer


def start_server(
    data_dir: Path,
    database_url: str = "",
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``artifacts serve`` until the generator is closed; yield once it answers."""
    env = {"ARTIFACTS_DATABASE_URL": database_url} if database_url else {}
    env.update(extra_env or {})
    try:
        server = run_server(data_dir, workers=workers, env=env, cwd=REPO)
    except ServerFailed as failure:
        pytest.fail(str(failure))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A gunicorn server with two workers, on each database."""
    database_url = ""
    if request.param == "postgresql":
        create_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        database_url = create_database()
    yield from start_server(tmp_path_factory.mktemp("server"), database_url)


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Server]:
    """A gunicorn server whose blobs go to S3 (the session's moto server)."""
    bucket = f"functional-{uuid.uuid4().hex[:8]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    data_dir = tmp_path_factory.mktemp("s3-server")
    config = data_dir / "artifacts.toml"
    config.write_text(s3_store_toml(s3_endpoint, bucket, "functional"))
    yield from start_server(data_dir, extra_env={"ARTIFACTS_CONFIG": str(config)})
