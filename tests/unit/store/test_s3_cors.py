"""Bucket CORS rules for browser direct transfers: set, read, removed on moto; refused clearly
by Swift's s3api, which does not implement them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from artifacts.store import s3_cors
from artifacts.store.s3 import S3Store
from tests.unit.store.conftest import make_s3_store

APP = "https://app.example.org"


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
