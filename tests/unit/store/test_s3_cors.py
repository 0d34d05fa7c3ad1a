"""Bucket CORS rules for browser direct transfers: set, read, removed on moto; refused clearly
by Swift's s3api, which does not implement them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from artifacts.store import s3_cors
from artifacts.store.s3 import S3Store
from tests.unit.store.conftest import make_s3_store, swift_allow_origin

APP = "https://app.example.org"
#: The Swift under test answers S3 preflights (its s3api has cors_preflight_allow_origin = *).
SWIFT_CORS = os.environ.get("ARTIFACTS_TEST_SWIFT_CORS") == "1"


@pytest.fixture
def bucket_store(s3_endpoint: str, s3_admin: Any) -> S3Store:
    bucket = f"cors-{uuid.uuid4().hex[:12]}"
    s3_admin.create_bucket(Bucket=bucket)
    store = make_s3_store(s3_endpoint, "p")
    store.bucket = bucket
    return store


def test_rules_are_set_read_and_removed(bucket_store: S3Store) -> None:
    assert s3_cors.get_rules(bucket_store) == []
    s3_cors.set_rules(bucket_store, s3_cors.direct_transfer_rules([APP], 300))
    (rule,) = s3_cors.get_rules(bucket_store)
    assert rule["AllowedOrigins"] == [APP]
    assert set(rule["AllowedMethods"]) == {"PUT", "GET", "HEAD"}
    assert "ETag" in rule["ExposeHeaders"]
    assert rule["MaxAgeSeconds"] == 300
    s3_cors.remove_rules(bucket_store)
    assert s3_cors.get_rules(bucket_store) == []


def test_swift_says_it_has_no_bucket_cors(swift_store_factory: Callable[..., S3Store]) -> None:
    store = swift_store_factory(f"cors-{uuid.uuid4().hex}")
    with pytest.raises(s3_cors.CorsNotSupported, match="does not implement bucket CORS"):
        s3_cors.set_rules(store, s3_cors.direct_transfer_rules([APP], 300))


@pytest.fixture
def swift_part_url(swift_store_factory: Callable[..., S3Store]) -> Iterator[tuple[str, str]]:
    """A presigned part URL of a new multipart upload on a Swift bucket naming APP."""
    store = swift_store_factory(f"cors-{uuid.uuid4().hex}")
    swift_allow_origin(store.bucket, APP)
    name = store.object_name("blobs/cors/part")
    upload = store.start_multipart("blobs/cors/part", name)
    params = {"Bucket": store.bucket, "Key": name, "UploadId": upload, "PartNumber": 1}
    yield store.client.generate_presigned_url("upload_part", Params=params, ExpiresIn=300), name
    store.client.abort_multipart_upload(Bucket=store.bucket, Key=name, UploadId=upload)


def test_swift_container_metadata_lets_a_page_read_a_parts_answer(
    swift_part_url: tuple[str, str],
) -> None:
    url, _ = swift_part_url
    answer = requests.put(url, data=b"part", headers={"Origin": APP}, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert "etag" in answer.headers["Access-Control-Expose-Headers"].lower()


@pytest.mark.skipif(
    not SWIFT_CORS,
    reason="needs cors_preflight_allow_origin in Swift's s3api (ARTIFACTS_TEST_SWIFT_CORS=1)",
)
def test_swift_answers_the_preflight_of_a_presigned_part(swift_part_url: tuple[str, str]) -> None:
    url, _ = swift_part_url
    request = {"Origin": APP, "Access-Control-Request-Method": "PUT"}
    answer = requests.options(
        url, headers={**request, "Access-Control-Request-Headers": "content-type"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert "PUT" in answer.headers["Access-Control-Allow-Methods"]
