"""Fixtures for API tests whose blob data must land in each kind of store."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from api.app import create_app
from artifacts.config import Settings
from artifacts.db.session import Database
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.services import build_services
from tests import factories as fx
from tests.conftest import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, s3_client


class ImageStore:
    """A client whose blob data goes to one store, and a look at what that store holds."""

    def __init__(self, client: falcon.testing.TestClient, stored: Callable[[], list[str]]) -> None:
        self.client = client
        self.stored = stored


#: Build an app on the store under test, with these validator options.
StoreApp = Callable[[Mapping[str, Mapping[str, Any]]], ImageStore]


@pytest.fixture(params=["filesystem", "s3"])
def store_app(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    database: Database,
    registry: TypeRegistry,
    clock: Callable[[], dt.datetime],
) -> StoreApp:
    """Make apps whose default store is a filesystem, or an S3 bucket on the moto server."""
    stored: Callable[[], list[str]]
    stores: dict[str, Any] = {}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"images-{uuid.uuid4().hex[:12]}"
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=bucket)
        stores["default"] = {
            "driver": "s3",
            "bucket": bucket,
            "endpoint_url": endpoint,
            "region": S3_REGION,
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
            "addressing_style": "path",
        }

        def stored() -> list[str]:
            listed = s3.list_objects_v2(Bucket=bucket)
            return [item["Key"] for item in listed.get("Contents", [])]
    else:

        def stored() -> list[str]:
            root = tmp_path / "blobs"
            return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []

    def make(validator_options: Mapping[str, Mapping[str, Any]]) -> ImageStore:
        settings = Settings(
            data_dir=tmp_path,
            validator_options=dict(validator_options),
            **({"stores": stores} if stores else {}),
        )
        services = build_services(settings, types=registry, database=database, clock=clock)
        return ImageStore(falcon.testing.TestClient(create_app(settings, services)), stored)

    return make


@pytest.fixture
def images(store_app: StoreApp) -> ImageStore:
    """An app on the store under test with the default validator settings."""
    return store_app({})


class DirectS3:
    """An app whose default store is a moto bucket taking direct uploads and presigned
    downloads, with a plain client to look at the bucket behind the service's back."""

    def __init__(
        self,
        client: falcon.testing.TestClient,
        s3: Any,
        bucket: str,
        services: Any,
    ) -> None:
        self.client = client
        self.s3 = s3
        self.bucket = bucket
        self.services = services

    def stored(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]

    def open_uploads(self) -> list[str]:
        listed = self.s3.list_multipart_uploads(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Uploads", [])]


@pytest.fixture
def direct_s3(
    tmp_path: Path,
    database: Database,
    registry: TypeRegistry,
    clock: Callable[[], dt.datetime],
    s3_endpoint: str,
) -> DirectS3:
    """Direct transfers on, 5 MiB parts (S3's smallest), on each database."""
    bucket = f"direct-{uuid.uuid4().hex[:12]}"
    s3 = s3_client(s3_endpoint)
    s3.create_bucket(Bucket=bucket)
    store = {
        "driver": "s3",
        "bucket": bucket,
        "endpoint_url": s3_endpoint,
        "region": S3_REGION,
        "access_key": S3_ACCESS_KEY,
        "secret_key": S3_SECRET_KEY,
        "addressing_style": "path",
        "direct_uploads": True,
        "presigned_downloads": True,
        "direct_part_size": 5 * 1024 * 1024,
    }
    settings = Settings(data_dir=tmp_path, stores={"default": store})
    services = build_services(settings, types=registry, database=database, clock=clock)
    client = falcon.testing.TestClient(create_app(settings, services))
    return DirectS3(client, s3, bucket, services)


@pytest.fixture
def widget(client: falcon.testing.TestClient) -> dict[str, Any]:
    """A widget of the test types, owned by the default project (p1)."""
    return fx.create(client, "widgets", name="w", serial="AB-1234")
