"""What every part of the blob service speaks: which blob, what it holds, which field it is."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from artifacts.engine.digests import Digests
from artifacts.engine.registry import ArtifactType
from artifacts.errors import InvalidInput
from artifacts.model import fields as f
from artifacts.store.base import CHUNK_SIZE, BlobStore

if TYPE_CHECKING:
    from artifacts.store.s3_direct import DirectTransfers

#: Request bytes read per step: large enough that per-chunk costs (thread hand-offs to the
#: digest lanes, store calls) vanish, small enough to keep an upload's memory bounded.
UPLOAD_READ_SIZE = CHUNK_SIZE

#: Blob-dict keys: path-like names made of safe segments; never "." or ".." segments.
_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127})*$")
#: A media type as HTTP spells it (printable ASCII), within the record's column.
CONTENT_TYPE = re.compile(r"^[\x20-\x7e]{1,255}$")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class BlobRef:
    """Which blob: ``/artifacts/{type_name}/{artifact_id}/{field}[/{key}]``."""

    type_name: str
    artifact_id: str
    field: str
    key: str = ""


@dataclass(frozen=True)
class BlobInfo:
    size: int | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    content_type: str | None


@dataclass(frozen=True)
class StoreChoice:
    """Which store receives new data; a deployment may send some types or fields elsewhere."""

    default: str
    overrides: Mapping[str, str]

    def for_field(self, type_name: str, field: str) -> str:
        return self.overrides.get(f"{type_name}.{field}") or self.overrides.get(
            type_name, self.default
        )


def blob_field(artifact_type: ArtifactType, field_name: str, key: str) -> f.Blob | f.BlobDict:
    """The blob field a path names, refusing non-blob fields and malformed keys."""
    field = artifact_type.fields.get(field_name)
    if not isinstance(field, f.Blob | f.BlobDict):
        raise InvalidInput(f"{field_name!r} is not a blob field of {artifact_type.name}.")
    if isinstance(field, f.Blob) and key:
        raise InvalidInput(f"Blob field {field_name!r} has no keys; use its path without one.")
    if isinstance(field, f.BlobDict):
        if not key:
            raise InvalidInput(f"{field_name!r} is a blob dict; name an entry: {field_name}/<key>.")
        if not _KEY.match(key) or len(key) > 255:
            raise InvalidInput(
                f"Invalid blob key {key!r}: use letters, digits, '.', '_', '-' and '/' between "
                "names; no empty, '.' or '..' parts."
            )
    return field


def store_key(artifact_id: str, field_name: str, key: str, upload_id: str) -> str:
    """Where an upload's data goes in its store; a new key per upload, never overwritten."""
    base = f"blobs/{artifact_id[:2]}/{artifact_id}/{field_name}"
    if key:
        base += "/" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{base}/{upload_id}"


def label(field_name: str, key: str) -> str:
    """The blob's name in messages, quoted."""
    return repr(f"{field_name}/{key}" if key else field_name)


def digest_map(digests: Digests) -> dict[str, str]:
    return {"md5": digests.md5, "sha1": digests.sha1, "sha256": digests.sha256}


def wire_values(artifact_type: ArtifactType, document: Mapping[str, Any]) -> dict[str, Any]:
    """Field values from a rendered document (datetimes parsed back) for a hook's ``self``."""
    return {
        name: field.from_document(document.get(name))
        for name, field in artifact_type.fields.items()
    }


def direct_transfers(store: BlobStore) -> DirectTransfers | None:
    """The store's direct (presigned, multipart) transfers, if it is an S3 store with them.

    The S3 modules, and boto3 with them (~20 MB a worker), are imported only when a store has
    direct transfers, which only an S3 store built from them does: a filesystem deployment's
    workers never load them.
    """
    if getattr(store, "direct", None) is None:
        return None
    from artifacts.store.s3_direct import transfers

    return transfers(store)
