"""The bucket's CORS rules, so that browsers may send direct-upload parts and read their ETag.

A page that uploads through ``/direct-uploads`` PUTs each part to its presigned URL on the
bucket's own origin, and must read the part's ``ETag`` to commit; a presigned download is a
GET there too. The browser allows both only if the bucket answers the preflight and names the
page's origin, and exposes ``ETag``: that is the bucket's CORS configuration, which
``PutBucketCors`` sets on AWS S3, MinIO and Ceph RGW. OpenStack Swift's s3api does not
implement it (it answers ``NotImplemented``); docs/storage.md says what to set there instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from artifacts.store.base import StoreError

if TYPE_CHECKING:
    from artifacts.store.s3 import S3Store

#: What a direct upload and a presigned download need: part PUTs, object GETs and HEADs.
METHODS = ("PUT", "GET", "HEAD")
#: A part's ETag (to commit it), and the range headers of a download.
EXPOSE = ("ETag", "Content-Length", "Content-Range", "Accept-Ranges")


class CorsNotSupported(StoreError):
    """The S3 service behind the store has no bucket CORS API (Swift's s3api, for one)."""


def direct_transfer_rules(origins: list[str], max_age: int) -> dict[str, Any]:
    """The CORS configuration letting pages on ``origins`` upload parts and download."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": list(origins),
                "AllowedMethods": list(METHODS),
                "AllowedHeaders": ["*"],
                "ExposeHeaders": list(EXPOSE),
                "MaxAgeSeconds": max_age,
            }
        ]
    }


def get_rules(store: S3Store) -> list[dict[str, Any]]:
    """The bucket's CORS rules (empty if it has none)."""
    with _calling(store, "read the CORS rules of"):
        try:
            answer = store.client.get_bucket_cors(Bucket=store.bucket)
        except ClientError as exc:
            if _code(exc) == "NoSuchCORSConfiguration":
                return []
            raise
    return list(answer.get("CORSRules", []))


def set_rules(store: S3Store, configuration: dict[str, Any]) -> None:
    """Replace the bucket's CORS configuration (it applies to the whole bucket)."""
    with _calling(store, "set the CORS rules of"):
        store.client.put_bucket_cors(Bucket=store.bucket, CORSConfiguration=configuration)


def remove_rules(store: S3Store) -> None:
    with _calling(store, "remove the CORS rules of"):
        store.client.delete_bucket_cors(Bucket=store.bucket)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _calling(store: S3Store, action: str) -> Iterator[None]:
    """Turn NotImplemented into CorsNotSupported, other botocore errors into StoreError."""
    try:
        yield
    except ClientError as exc:
        if _code(exc) in ("NotImplemented", "501"):
            raise CorsNotSupported(
                f"store {store.name!r}: the S3 service does not implement bucket CORS "
                "(OpenStack Swift's s3api does not; see docs/storage.md)"
            ) from exc
        raise store._client_error(exc, f"{action} the bucket", None) from exc
    except BotoCoreError as exc:
        raise StoreError(f"store {store.name!r}: cannot {action} the bucket: {exc}") from exc
