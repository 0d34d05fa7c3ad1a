"""The upload pipeline's side of streaming validators and transforms.

(The contracts: artifacts.model.streaming and artifacts.model.transforms.)
:class:`UploadValidators` configures every blob field's validators and transform from settings
once, at start-up, so a bad ``[validators.<name>]`` table stops the service before it serves.
For one upload, :class:`RunningTransform` rewrites the received chunks (on the request thread,
before anything else sees them), and :class:`RunningChecks` holds the checks the validators
started, is fed the chunks (on a lane of the :class:`~artifacts.engine.digests.Digester`) and
gathers their verdicts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.errors import ArtifactError, BlobRejected, PluginError, TypeRegistrationError
from artifacts.model.base import COMMON_FIELDS
from artifacts.model.streaming import (
    PostStoreCheck,
    StreamCheck,
    StreamResult,
    StreamValidator,
    Upload,
)
from artifacts.model.transforms import StreamTransform, Transform, Transformed
from artifacts.store.base import BlobStore, StoreError

LOG = logging.getLogger(__name__)


class UploadValidators:
    """The configured streaming validators and transforms of every blob field of the types."""

    def __init__(
        self, types: TypeRegistry, options: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        options = options or {}
        self._by_field: dict[tuple[str, str], tuple[StreamValidator, ...]] = {}
        self._transforms: dict[tuple[str, str], StreamTransform] = {}
        used: set[str] = set()
        for artifact_type in types:
            for name, field in artifact_type.fields.items():
                declared: Sequence[StreamValidator] = getattr(field, "stream_validators", ())
                transform: StreamTransform | None = getattr(field, "stream_transform", None)
                where = f"{artifact_type.name}.{name}"
                if declared:
                    self._by_field[(artifact_type.name, name)] = tuple(
                        _configured(validator, options, used, where) for validator in declared
                    )
                if transform is not None:
                    self._transforms[(artifact_type.name, name)] = _configured(
                        transform, options, used, where
                    )
        for unused in sorted(set(options) - used):
            # Not fatal: one configuration file may serve nodes with different enabled types.
            LOG.warning("[validators.%s] configures no validator of the served types", unused)

    def for_field(self, type_name: str, field: str) -> tuple[StreamValidator, ...]:
        return self._by_field.get((type_name, field), ())

    def transform_for(self, type_name: str, field: str) -> StreamTransform | None:
        return self._transforms.get((type_name, field))


_Configurable = TypeVar("_Configurable", StreamValidator, StreamTransform)


def _configured(
    declared: _Configurable,
    options: Mapping[str, Mapping[str, Any]],
    used: set[str],
    where: str,
) -> _Configurable:
    """The declared validator or transform configured by its settings table."""
    table = options.get(declared.name, {}) if declared.name else {}
    used.add(declared.name)
    try:
        return declared.configure(table)
    except ValueError as exc:
        label = declared.name or type(declared).__name__
        raise TypeRegistrationError(
            f"Streaming validator {label!r} of {where}: {exc} (settings table [validators.{label}])"
        ) from exc


@dataclass(frozen=True)
class Outcome:
    """What the checks decided once the stream ended: fields to record, checks to run next."""

    fields: Mapping[str, Any]
    post_store: tuple[PostStoreCheck, ...]


class RunningChecks:
    """The checks of one upload; refusals are re-raised naming the blob."""

    def __init__(self, checks: Sequence[StreamCheck], label: str) -> None:
        self._checks = tuple(checks)
        self._label = label

    @classmethod
    def start(
        cls, validators: Iterable[StreamValidator], upload: Upload, label: str
    ) -> RunningChecks | None:
        """Start the validators' checks; None when no validator wants to look (the free path)."""
        checks = []
        for validator in validators:
            check = _plugin_call(label, validator.start, upload)
            if check is not None:
                checks.append(check)
        return cls(checks, label) if checks else None

    def feed(self, chunk: bytes) -> None:
        for check in self._checks:
            _plugin_call(self._label, check.feed, chunk)

    def finish(self, result: StreamResult) -> Outcome:
        fields: dict[str, Any] = {}
        post: list[PostStoreCheck] = []
        for check in self._checks:
            verdict = _plugin_call(self._label, check.finish, result)
            fields.update(verdict.fields)
            if verdict.post_store is not None:
                post.append(verdict.post_store)
        return Outcome(fields=fields, post_store=tuple(post))


class RunningTransform:
    """One upload's transform; its refusals name the blob, its crashes become PluginError."""

    def __init__(self, transform: Transform, label: str) -> None:
        self._transform = transform
        self._label = label
        self.changes: Mapping[str, Any] = dict(transform.changes)

    @classmethod
    def start(
        cls, declared: StreamTransform | None, upload: Upload | None, label: str
    ) -> RunningTransform | None:
        """Start the field's transform; None when it has none or leaves this upload alone."""
        if declared is None or upload is None:
            return None
        transform = _plugin_call(label, declared.start, upload)
        return cls(transform, label) if transform is not None else None

    def feed(self, chunk: bytes) -> bytes:
        out: bytes = _plugin_call(self._label, self._transform.feed, chunk)
        return out

    def finish(self) -> Transformed:
        end: Transformed = _plugin_call(self._label, self._transform.finish)
        return end


def run_post_store(
    checks: Sequence[PostStoreCheck], stored: StoredData, label: str
) -> dict[str, Any]:
    """Run the post-store checks in order; return the fields they record."""
    fields: dict[str, Any] = {}
    for check in checks:
        found = _plugin_call(label, check.check, stored)
        if found:
            fields.update(found)
    return fields


@dataclass(frozen=True)
class StoredData:
    """A stored upload, read back from its store for a post-store check."""

    store: BlobStore
    location: str
    size: int
    digests: Mapping[str, str]
    content_type: str

    def chunks(self) -> Iterator[bytes]:
        try:
            handle = self.store.open_reader(self.location)
        except StoreError as exc:
            raise PluginError(f"The stored blob cannot be read back for checking: {exc}") from exc
        try:
            yield from handle.chunks
        finally:
            handle.close()


def check_annotations(artifact_type: ArtifactType, fields: Mapping[str, Any], label: str) -> None:
    """Refuse (as a plugin bug) annotations that name no field a validator may set."""
    for name in fields:
        field = artifact_type.fields.get(name)
        if field is None or name in COMMON_FIELDS or field.is_blob:
            raise PluginError(
                f"A streaming validator of blob {label} set {name!r}, which is not a "
                f"type-specific, non-blob field of {artifact_type.name}."
            )


def _plugin_call(label: str, call: Any, *args: Any) -> Any:
    """Call into a plugin; its refusals name the blob, its crashes become PluginError."""
    try:
        return call(*args)
    except BlobRejected as exc:
        if exc.field is None:
            raise BlobRejected(exc.reason, field=label) from exc
        raise
    except ArtifactError:
        raise
    except Exception as exc:
        LOG.exception("Streaming validator of blob %s failed", label)
        raise PluginError(f"A streaming validator of blob {label} failed: {exc}") from exc
