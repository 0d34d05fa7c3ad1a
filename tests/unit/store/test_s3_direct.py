"""The direct-transfer options of an ``s3`` store, and the URLs they sign (no S3 needed:
signing is local)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from artifacts.store.base import StoreConfigError
from artifacts.store.s3 import from_options
from artifacts.store.s3_direct import transfers

BASE = {
    "bucket": "b",
    "endpoint_url": "http://10.0.0.5:8080",
    "region": "us-east-1",
    "access_key": "k",
    "secret_key": "s",
    "addressing_style": "path",
}


def test_direct_transfers_are_off_by_default() -> None:
    assert transfers(from_options("s3", BASE)) is None


def test_options_are_read_with_their_defaults() -> None:
    direct = transfers(from_options("s3", {**BASE, "direct_uploads": "true"}))

    assert direct is not None
    settings = direct.settings
    assert (settings.uploads, settings.downloads) == (True, False)
    assert (settings.upload_expiry, settings.download_expiry) == (3600, 300)
    assert settings.part_size == 64 * 1024 * 1024


@pytest.mark.parametrize(
    "options",
    [
        {"direct_uploads": "yes"},
        {"presigned_downloads": 1},
        {"direct_uploads": True, "direct_upload_expiry": 8 * 86400},
        {"presigned_downloads": True, "presigned_download_expiry": 0},
        {"direct_uploads": True, "direct_part_size": 1024},
    ],
)
def test_bad_options_stop_start_up(options: dict[str, Any]) -> None:
    with pytest.raises(StoreConfigError):
        from_options("s3", {**BASE, **options})


def test_urls_name_the_public_endpoint_and_the_media_type() -> None:
    store = from_options(
        "s3",
        {
            **BASE,
            "prefix": "p",
            "presigned_downloads": True,
            "presigned_download_expiry": 60,
            "public_endpoint_url": "https://s3.example.org",
        },
    )
    direct = transfers(store)
    assert direct is not None

    url = urlsplit(direct.download_url("blobs/ab/x", "application/x-qcow2"))
    part = urlsplit(direct.part_urls("blobs/ab/x", "upload-1", [3])[3])

    assert (url.scheme, url.netloc, url.path) == ("https", "s3.example.org", "/b/p/blobs/ab/x")
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["60"]
    assert query["response-content-type"] == ["application/x-qcow2"]
    assert parse_qs(part.query)["partNumber"] == ["3"]
    assert parse_qs(part.query)["uploadId"] == ["upload-1"]
