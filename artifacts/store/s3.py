"""A blob store in an S3 bucket (AWS, or any S3-compatible service: Ceph RGW, MinIO, …).

Objects live at ``<prefix>/<key>`` in the bucket. Uploads stream as multipart uploads with a
few parts in flight (:mod:`.s3_writer`, :mod:`.s3_parts`); an object no larger than one part
goes up in a single ``PutObject``. Downloads read one chunk ahead (:mod:`.s3_reader`).
Credentials stay in the client built from configuration: they never enter a key or a
:class:`StoredObject`, so nothing the database records can leak them (glance_store put them in
location URIs; we don't).

An upload abandoned by a crashed process stays an incomplete multipart upload that S3 bills
for until it is aborted: give the bucket a lifecycle rule ``AbortIncompleteMultipartUpload``
(a day or more, above the longest upload).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from artifacts.store._options import Options
from artifacts.store.base import (
    ByteRange,
    InvalidRange,
    ListedObject,
    ObjectNotFound,
    ReadHandle,
    StoreError,
    validate_key,
)
from artifacts.store.s3_direct import DirectTransfers, read_options
from artifacts.store.s3_parts import StorePool
from artifacts.store.s3_reader import BodyChunks
from artifacts.store.s3_resumable import S3ResumableWriter, drop_tails, resume_writer
from artifacts.store.s3_writer import S3Writer

MiB = 1024 * 1024
#: S3's smallest part (all parts but the last must be at least this big) and largest one.
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * 1024 * MiB
DEFAULT_PART_SIZE = 8 * MiB
#: Parts one upload keeps in flight: enough to hide a round trip, few enough to bound memory.
DEFAULT_PARTS_IN_FLIGHT = 4
#: botocore's choices for the checksum of each request body.
REQUEST_CHECKSUMS = ("when_supported", "when_required")
#: Presigned URLs signed with SigV4 live at most a week.
MAX_PRESIGN_EXPIRY = dt.timedelta(days=7)

#: Keys of blob data: only they may have a resumable upload's tails.
BLOB_KEYS = "blobs/"
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class S3Store:
    """Objects in one bucket under one prefix, through a boto3 client shared by all threads."""

    def __init__(
        self,
        name: str,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        client: Any = None,
        max_pool_connections: int = 32,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
        addressing_style: str | None = None,
        parts_in_flight: int = DEFAULT_PARTS_IN_FLIGHT,
        read_ahead: bool = True,
        payload_signing: bool = True,
        request_checksums: str | None = None,
    ) -> None:
        """Build the client (unless one is given), without contacting S3.

        ``max_pool_connections`` bounds the connections this process keeps to S3; make it at
        least the number of threads per gunicorn worker, since a download holds its
        connection while it streams. ``max_attempts`` counts the first try (as
        ``AWS_MAX_ATTEMPTS`` does); botocore's "standard" retry mode backs off between attempts
        and retries only what is safe to (throttling, 5xx, connection errors).
        Timeouts are per socket operation, not per transfer, so large objects are fine.
        ``addressing_style`` ("path" or "virtual") is for S3-compatible services that need
        one. An injected ``client`` replaces all the connection options.
        ``parts_in_flight`` bounds the parts one upload sends at once (its memory is
        ``(parts_in_flight + 1) * part_size``); ``read_ahead`` reads a download's next chunk
        while the current one is sent. Both run on a pool of ``max_pool_connections`` threads.
        ``payload_signing=False`` sends bodies as ``UNSIGNED-PAYLOAD`` even on plain http,
        where botocore otherwise hashes every byte with sha256 for the signature (and a
        service such as Swift's s3api hashes it again to check it); ``request_checksums``
        ("when_supported" or "when_required") overrides botocore's default for the CRC32 of
        each body. Both trade an integrity check of the bytes in transit for CPU: see
        docs/storage.md.
        """
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ValueError(f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE}")
        if (access_key is None) != (secret_key is None):
            raise ValueError("give both access_key and secret_key, or neither")
        if parts_in_flight < 1:
            raise ValueError("parts_in_flight must be at least 1")
        if request_checksums not in (None, *REQUEST_CHECKSUMS):
            raise ValueError(f"request_checksums must be one of {', '.join(REQUEST_CHECKSUMS)}")
        prefix = prefix.strip("/")
        if prefix:
            validate_key(prefix)
        self.name = name
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.parts_in_flight = parts_in_flight
        self.read_ahead = read_ahead
        self.pool = StorePool(name, max_pool_connections)
        if client is None:
            s3_config: dict[str, Any] = {}
            if addressing_style:
                s3_config["addressing_style"] = addressing_style
            if not payload_signing:
                s3_config["payload_signing_enabled"] = False
            checksums = {}
            if request_checksums is not None:
                checksums["request_checksum_calculation"] = request_checksums
            config = Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
                max_pool_connections=max_pool_connections,
                tcp_keepalive=True,
                signature_version="s3v4",
                s3=s3_config or None,
                **checksums,
            )
            # A session of our own: boto3's default session is not safe to share between
            # threads, and must not pick up another store's credentials.
            session = boto3.session.Session(
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=region,
            )
            client = session.client("s3", endpoint_url=endpoint_url, config=config)
        self.client = client
        #: Presigned transfers straight to the bucket, when configured (:mod:`.s3_direct`).
        self.direct: DirectTransfers | None = None

    def open_writer(self, key: str) -> S3Writer:
        return S3Writer(self, validate_key(key))

    def resume_writer(self, key: str, offset: int) -> S3ResumableWriter:
        """Append to a resumable upload's partial object (:mod:`.s3_resumable`)."""
        return resume_writer(self, validate_key(key), offset)

    def open_reader(self, key: str, byte_range: ByteRange | None = None) -> ReadHandle:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_name(key)}
        if byte_range is not None:
            params["Range"] = f"bytes={byte_range.start}-{byte_range.end}"
        with self.translate_errors("read", key):
            response = self.client.get_object(**params)
        body = response["Body"]
        try:
            size, skip = self._size_and_skip(key, response, byte_range)
        except BaseException:
            body.close()
            raise
        limit = None if byte_range is None else byte_range.length
        pool = self.pool.get() if self.read_ahead else None
        chunks = BodyChunks(body, key, skip=skip, limit=limit, pool=pool)
        return ReadHandle(size=size, chunks=chunks)

    def delete(self, key: str) -> None:
        """Remove the object, and any multipart upload still open under its key.

        A process killed mid-upload leaves its parts in an open multipart upload, which is not
        an object; the blob service records such an upload's key as an orphan, so deleting
        the key frees the parts without waiting for the bucket's lifecycle rule.
        """
        name = self.object_name(key)
        with self.translate_errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=name)
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=name)
        for upload in listing.get("Uploads", []):
            if upload.get("Key") != name:
                continue  # a longer key with this one as its prefix
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload["UploadId"]
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("NoSuchUpload", "404"):
                    raise self._client_error(exc, "abort an upload of", key) from exc
            except BotoCoreError as exc:
                raise StoreError(f"store {self.name!r}: cannot abort an upload{_of(key)}") from exc
        if key.startswith(BLOB_KEYS):
            drop_tails(self, key, keep=None)  # a resumable upload's, if it was one

    def check(self) -> None:
        """Ask for the bucket: proves the endpoint answers and the credentials may use it.

        It does not prove writes succeed (that would cost a write per readiness probe).
        """
        with self.translate_errors("reach the bucket", None):
            self.client.head_bucket(Bucket=self.bucket)

    def presign_get(self, key: str, expires_in: dt.timedelta | int) -> str:
        """Return a URL that lets anyone holding it GET the object until it expires.

        Signing happens locally (no request to S3); the URL carries a signature, not the
        secret key. For handing downloads straight to S3 rather than through the service.
        """
        seconds = (
            int(expires_in.total_seconds()) if isinstance(expires_in, dt.timedelta) else expires_in
        )
        if not 1 <= seconds <= MAX_PRESIGN_EXPIRY.total_seconds():
            raise ValueError(f"expires_in must be between 1 second and {MAX_PRESIGN_EXPIRY}")
        with self.translate_errors("presign", key):
            url: str = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self.object_name(key)},
                ExpiresIn=seconds,
            )
        return url

    def list_objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Page through ``list_objects_v2`` under the store's prefix."""
        start = f"{self.prefix}/" if self.prefix else ""
        with self.translate_errors("list", None):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start + prefix
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    yield ListedObject(
                        item["Key"][len(start) :], item["Size"], item["LastModified"].timestamp()
                    )

    def object_name(self, key: str) -> str:
        """Return the S3 object name for ``key``: the key under this store's prefix."""
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def start_multipart(self, key: str, name: str) -> str:
        """Start a multipart upload of the object ``name`` (store key ``key``); its id."""
        with self.translate_errors("write", key):
            created = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)
        return str(created["UploadId"])

    def send_part(
        self, key: str, name: str, upload_id: str, number: int, body: bytes | bytearray
    ) -> dict[str, Any]:
        """Send ``body`` as part ``number`` of a multipart upload; the part as Complete takes it.

        Called on the store's pool by a :class:`.PartSender`, several parts at once.
        """
        with self.translate_errors("write", key):
            response = self.client.upload_part(
                Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
            )
        return {"ETag": response["ETag"], "PartNumber": number}

    @contextmanager
    def translate_errors(self, action: str, key: str | None) -> Iterator[None]:
        """Turn botocore's errors into StoreError (or ObjectNotFound, InvalidRange)."""
        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, action, key) from exc
        except BotoCoreError as exc:
            raise StoreError(f"store {self.name!r}: cannot {action}{_of(key)}: {exc}") from exc

    def _client_error(self, exc: ClientError, action: str, key: str | None) -> StoreError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if key is not None and code in _NOT_FOUND_CODES:
            return ObjectNotFound(f"store {self.name!r} has no object {key!r}")
        if code == "InvalidRange" or status == 416:
            return InvalidRange(f"store {self.name!r}: range outside object {key!r}")
        message = error.get("Message") or exc
        return StoreError(f"store {self.name!r}: cannot {action}{_of(key)}: {code} {message}")

    def _size_and_skip(
        self, key: str, response: Mapping[str, Any], byte_range: ByteRange | None
    ) -> tuple[int, int]:
        """Find the object's full size, and how many leading bytes of the body to drop.

        A ranged GET reports the size in Content-Range. A service that ignores the Range
        header answers 200 with the whole object: then we skip to the range ourselves.
        """
        content_range = response.get("ContentRange")
        if byte_range is None:
            return int(response["ContentLength"]), 0
        match = _CONTENT_RANGE.match(content_range or "")
        if match is not None:
            if match.group(3) != "*":
                return int(match.group(3)), 0
            with self.translate_errors("read", key):
                head = self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
            return int(head["ContentLength"]), 0
        size = int(response["ContentLength"])
        if byte_range.start >= size:
            raise InvalidRange(f"store {self.name!r}: range outside object {key!r}")
        return size, byte_range.start


def _of(key: str | None) -> str:
    return "" if key is None else f" {key!r}"


def from_options(name: str, options: Mapping[str, Any]) -> S3Store:
    """Build an S3Store from settings: the ``s3`` entry point.

    Options: ``bucket`` (required); ``prefix``; ``endpoint_url`` and ``region`` (for
    S3-compatible services); ``access_key`` with ``secret_key`` (else boto3's usual chain:
    environment, instance or pod role); ``part_size`` (bytes, at least 5 MiB; the largest
    object is 10 000 parts); ``max_pool_connections``, ``connect_timeout``, ``read_timeout``
    (seconds), ``max_attempts``; ``addressing_style`` ("path" or "virtual");
    ``parts_in_flight`` (parts one upload sends at once) and ``read_ahead`` (true/false);
    ``payload_signing`` (true/false) and ``request_checksums`` ("when_supported",
    "when_required");
    ``direct_uploads``, ``presigned_downloads``, ``direct_upload_expiry``,
    ``presigned_download_expiry``, ``direct_part_size``, ``public_endpoint_url`` (direct
    transfers, :mod:`.s3_direct`).
    """
    reader = Options(name, "s3", options)
    bucket = reader.required_str("bucket")
    prefix = reader.optional_str("prefix", "") or ""
    endpoint_url = reader.optional_str("endpoint_url")
    region = reader.optional_str("region")
    access_key = reader.optional_str("access_key")
    secret_key = reader.optional_str("secret_key")
    part_size = reader.optional_int("part_size", DEFAULT_PART_SIZE, minimum=MIN_PART_SIZE)
    max_pool_connections = reader.optional_int("max_pool_connections", 32, minimum=1)
    connect_timeout = reader.optional_float("connect_timeout", 5.0, minimum=0.001)
    read_timeout = reader.optional_float("read_timeout", 60.0, minimum=0.001)
    max_attempts = reader.optional_int("max_attempts", 5, minimum=1)
    addressing_style = reader.optional_str("addressing_style")
    parts_in_flight = reader.optional_int("parts_in_flight", DEFAULT_PARTS_IN_FLIGHT, minimum=1)
    read_ahead = reader.optional_bool("read_ahead", True)
    payload_signing = reader.optional_bool("payload_signing", True)
    request_checksums = reader.optional_str("request_checksums")
    direct = read_options(reader, default_part_size=part_size, min_part_size=MIN_PART_SIZE)
    reader.finish()
    if part_size > MAX_PART_SIZE:
        raise reader.error(f"option 'part_size' must be at most {MAX_PART_SIZE}")
    if (access_key is None) != (secret_key is None):
        raise reader.error("give both 'access_key' and 'secret_key', or neither")
    if request_checksums not in (None, *REQUEST_CHECKSUMS):
        raise reader.error(
            f"option 'request_checksums' must be one of {', '.join(REQUEST_CHECKSUMS)}"
        )
    if addressing_style not in (None, "path", "virtual", "auto"):
        raise reader.error("option 'addressing_style' must be 'path', 'virtual' or 'auto'")
    if prefix.strip("/"):
        try:
            validate_key(prefix.strip("/"))
        except ValueError as exc:
            raise reader.error(f"option 'prefix': {exc}") from None
    store = S3Store(
        name,
        bucket,
        prefix,
        endpoint_url=endpoint_url,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        part_size=part_size,
        max_pool_connections=max_pool_connections,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_attempts=max_attempts,
        addressing_style=addressing_style,
        parts_in_flight=parts_in_flight,
        read_ahead=read_ahead,
        payload_signing=payload_signing,
        request_checksums=request_checksums,
    )
    if direct.uploads or direct.downloads:
        store.direct = DirectTransfers(
            store,
            direct,
            credentials=(access_key, secret_key, region),
            addressing_style=addressing_style,
        )
    return store
