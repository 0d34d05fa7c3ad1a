"""Blob kinds: binary data uploaded and downloaded through the blob routes, never patched."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from artifacts.model._ovo import ovo_fields as ovo
from artifacts.model.streaming import StreamValidator
from artifacts.model.transforms import StreamTransform

from .base import Field, _nullable


class _BlobType(ovo.FieldType[dict[str, Any]]):
    """Blob descriptors are managed by the blob service; the object just carries them."""

    @staticmethod
    def coerce(obj: Any, attr: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValueError("a blob descriptor must be an object")
        return dict(value)


#: ``checking``: stored, waiting for a type's post-store check (see artifacts.model.streaming).
BLOB_STATUSES = ("saving", "checking", "active")

_BLOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": ["string", "null"]},
        "size": {"type": ["integer", "null"], "minimum": 0},
        "md5": {"type": ["string", "null"]},
        "sha1": {"type": ["string", "null"]},
        "sha256": {"type": ["string", "null"]},
        "external": {"type": "boolean"},
        "status": {"type": "string", "enum": list(BLOB_STATUSES)},
        "content_type": {"type": ["string", "null"]},
    },
    "required": ["url", "size", "md5", "sha1", "sha256", "external", "status", "content_type"],
    "additionalProperties": False,
}

#: Default ceiling of one blob: large enough for VM images, small enough to catch runaway uploads.
DEFAULT_BLOB_MAX_SIZE = 10 * 1024**3


class Blob(Field):
    """Binary data uploaded through the blob endpoints, never through PATCH."""

    glare_type = "Blob"
    json_type = "object"
    default_filter_ops = ()
    is_blob = True

    def __init__(
        self,
        *,
        max_size: int = DEFAULT_BLOB_MAX_SIZE,
        stream_validators: Iterable[StreamValidator] = (),
        stream_transform: StreamTransform | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("filter_ops", ())
        super().__init__(_BlobType(), **options)
        self.max_size = max_size
        self.stream_validators = _stream_validators(stream_validators)
        self.stream_transform = _stream_transform(stream_transform)

    def value_schema(self) -> dict[str, Any]:
        return copy.deepcopy(_BLOB_SCHEMA)

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "readOnly": True, "maxSize": self.max_size}


class BlobDict(Field):
    """A folder of named blobs (for example nested templates)."""

    glare_type = "BlobDict"
    json_type = "object"
    default_filter_ops = ()
    is_blob = True

    def __init__(
        self,
        *,
        max_size: int = DEFAULT_BLOB_MAX_SIZE,
        max_keys: int = 255,
        max_total_size: int | None = None,
        stream_validators: Iterable[StreamValidator] = (),
        stream_transform: StreamTransform | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("filter_ops", ())
        options.setdefault("default", {})
        options.setdefault("nullable", False)
        super().__init__(ovo.Dict(_BlobType()), **options)
        self.max_size = max_size
        self.stream_validators = _stream_validators(stream_validators)
        self.stream_transform = _stream_transform(stream_transform)
        self.max_keys = max_keys
        self.max_total_size = max_total_size if max_total_size is not None else max_size

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": _nullable(copy.deepcopy(_BLOB_SCHEMA)),
            "maxProperties": self.max_keys,
        }

    def json_schema(self) -> dict[str, Any]:
        return {
            **super().json_schema(),
            "readOnly": True,
            "maxSize": self.max_size,
            "maxTotalSize": self.max_total_size,
        }


def _stream_validators(validators: Iterable[StreamValidator]) -> tuple[StreamValidator, ...]:
    found = tuple(validators)
    for validator in found:
        if not isinstance(validator, StreamValidator):
            raise ValueError(f"{validator!r} is not a StreamValidator")
    return found


def _stream_transform(transform: StreamTransform | None) -> StreamTransform | None:
    if transform is not None and not isinstance(transform, StreamTransform):
        raise ValueError(f"{transform!r} is not a StreamTransform")
    return transform
