"""Transfers that bypass the service's nodes: presigned multipart parts and presigned GETs.

A client given a presigned ``UploadPart`` URL sends that part straight to the bucket; one given
a presigned ``GetObject`` URL reads the object from it. Signing is local (no request to S3)
and a URL carries a signature, never the secret key. Which stores allow either is per store
configuration (:class:`DirectSettings`), off by default.

A direct upload is an ordinary S3 multipart upload at the blob's key, whose parts the client
sends; :meth:`DirectTransfers.parts` lists what arrived (``ListParts``), so a client that was
interrupted learns which parts to send again, and :meth:`DirectTransfers.complete` joins them.
What the parts hold is for the caller to verify: this module moves and lists bytes, it does
not trust them.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from artifacts.store._options import Options
from artifacts.store.base import BlobStore, ObjectNotFound, StoreError

if TYPE_CHECKING:
    from artifacts.store.s3 import S3Store

#: SigV4 presigned URLs live at most a week.
MAX_EXPIRY = int(dt.timedelta(days=7).total_seconds())
#: S3 numbers parts 1 to 10 000.
MAX_PARTS = 10_000
_LIST_PAGE = 1000


@dataclass(frozen=True)
class DirectSettings:
    """A store's direct-transfer options (``direct_uploads``, ``presigned_downloads``, …)."""

    uploads: bool = False
    downloads: bool = False
    #: Seconds a presigned part URL stays valid (a client asks for fresh ones to go on).
    upload_expiry: int = 3600
    #: Seconds a download redirect's URL stays valid: short, it is handed to whoever asked.
    download_expiry: int = 300
    #: Bytes per part of a direct upload (every part but the last).
    part_size: int = 64 * 1024 * 1024
    #: The endpoint clients reach the bucket at, when it differs from the service's.
    public_endpoint_url: str | None = None


def read_options(reader: Options, *, default_part_size: int, min_part_size: int) -> DirectSettings:
    """Take the direct-transfer options of an ``s3`` store from its settings."""
    settings = DirectSettings(
        uploads=reader.optional_bool("direct_uploads", False),
        downloads=reader.optional_bool("presigned_downloads", False),
        upload_expiry=reader.optional_int("direct_upload_expiry", 3600, minimum=1),
        download_expiry=reader.optional_int("presigned_download_expiry", 300, minimum=1),
        part_size=reader.optional_int(
            "direct_part_size", max(default_part_size, 64 * 1024 * 1024), minimum=min_part_size
        ),
        public_endpoint_url=reader.optional_str("public_endpoint_url"),
    )
    for name, value in (
        ("direct_upload_expiry", settings.upload_expiry),
        ("presigned_download_expiry", settings.download_expiry),
    ):
        if value > MAX_EXPIRY:
            raise reader.error(f"option {name!r} must be at most {MAX_EXPIRY} seconds (7 days)")
    return settings


@dataclass(frozen=True)
class UploadedPart:
    """A part the bucket holds for an open multipart upload, as ``ListParts`` reports it."""

    number: int
    size: int
    etag: str


class DirectTransfers:
    """The presigning and multipart calls of direct transfers on one S3 store."""

    def __init__(
        self,
        store: S3Store,
        settings: DirectSettings,
        *,
        credentials: tuple[str | None, str | None, str | None] = (None, None, None),
        addressing_style: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self._credentials = credentials
        self._addressing_style = addressing_style
        self._signer: Any = None
        self._lock = threading.Lock()

    def start(self, key: str) -> str:
        """Open a multipart upload at ``key``; its id."""
        return self.store.start_multipart(key, self.store.object_name(key))

    def part_urls(self, key: str, upload_id: str, numbers: list[int]) -> dict[int, str]:
        """Presigned ``UploadPart`` URLs for these part numbers.

        No per-part checksum is signed in: Swift's s3api (2.30) and moto both accept a part
        whose ``x-amz-checksum-sha256`` does not match its body, so it would prove nothing;
        the caller verifies the joined object instead.
        """
        name = self.store.object_name(key)
        signer = self._signing_client()
        urls: dict[int, str] = {}
        with self.store.translate_errors("presign", key):
            for number in numbers:
                params = {
                    "Bucket": self.store.bucket,
                    "Key": name,
                    "UploadId": upload_id,
                    "PartNumber": number,
                }
                urls[number] = signer.generate_presigned_url(
                    "upload_part", Params=params, ExpiresIn=self.settings.upload_expiry
                )
        return urls

    def parts(self, key: str, upload_id: str) -> list[UploadedPart] | None:
        """Every part the bucket holds for the upload, in order; None if it is not open."""
        name = self.store.object_name(key)
        found: list[UploadedPart] = []
        marker = 0
        client = self.store.client
        while True:
            try:
                listed = client.list_parts(
                    Bucket=self.store.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MaxParts=_LIST_PAGE,
                    PartNumberMarker=marker,
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                    return None
                raise self.store._client_error(exc, "list the parts of", key) from exc
            except BotoCoreError as exc:
                raise StoreError(f"store {self.store.name!r}: cannot list parts: {exc}") from exc
            found.extend(
                UploadedPart(int(p["PartNumber"]), int(p["Size"]), str(p["ETag"]))
                for p in listed.get("Parts", [])
            )
            if not listed.get("IsTruncated"):
                return found
            marker = int(listed["NextPartNumberMarker"])

    def complete(self, key: str, upload_id: str, parts: list[UploadedPart]) -> None:
        """Join the parts into the object at ``key``."""
        with self.store.translate_errors("write", key):
            self.store.client.complete_multipart_upload(
                Bucket=self.store.bucket,
                Key=self.store.object_name(key),
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"ETag": p.etag, "PartNumber": p.number} for p in parts]
                },
            )

    def size_of(self, key: str) -> int | None:
        """The committed object's size, or None if there is none at ``key``."""
        try:
            with self.store.translate_errors("look at", key):
                head = self.store.client.head_object(
                    Bucket=self.store.bucket, Key=self.store.object_name(key)
                )
        except ObjectNotFound:
            return None
        return int(head["ContentLength"])

    def download_url(self, key: str, content_type: str) -> str:
        """A presigned GET of the object, valid for the store's download expiry.

        The bucket answers it with ``content_type`` (objects are stored without one, and
        clients such as glanceclient read only an ``application/octet-stream`` body).
        """
        params = {
            "Bucket": self.store.bucket,
            "Key": self.store.object_name(key),
            "ResponseContentType": content_type,
        }
        with self.store.translate_errors("presign", key):
            url: str = self._signing_client().generate_presigned_url(
                "get_object", Params=params, ExpiresIn=self.settings.download_expiry
            )
        return url

    def _signing_client(self) -> Any:
        """The client whose endpoint the URLs name: the store's, or the public one."""
        if self.settings.public_endpoint_url is None:
            return self.store.client
        with self._lock:
            if self._signer is None:
                access_key, secret_key, region = self._credentials
                session = boto3.session.Session(
                    aws_access_key_id=access_key,
                    aws_secret_access_key=secret_key,
                    region_name=region,
                )
                style = self._addressing_style
                self._signer = session.client(
                    "s3",
                    endpoint_url=self.settings.public_endpoint_url,
                    config=Config(
                        signature_version="s3v4",
                        s3={"addressing_style": style} if style else None,
                    ),
                )
            return self._signer


def transfers(store: BlobStore) -> DirectTransfers | None:
    """The store's direct transfers, if it is an S3 store configured for any."""
    direct = getattr(store, "direct", None)
    return direct if isinstance(direct, DirectTransfers) else None
