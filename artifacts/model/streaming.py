"""Streaming validators: a type's checks on blob bytes, run inside the upload pipeline.

A blob field lists validators (``Blob(stream_validators=[...])``). For each upload the pipeline
asks every validator to :meth:`StreamValidator.start` a :class:`StreamCheck`, then hands that
check each chunk exactly once, in order, as the bytes stream to the store: nothing is buffered
for it and nothing is read twice. At the end the check gets the size and digests the pipeline
computed (:class:`StreamResult`) and answers with a :class:`Verdict`:

- refuse: raise :class:`~artifacts.errors.BlobRejected` from ``feed`` or ``finish``; the upload
  is aborted, the new bytes are deleted, the blob is left as it was, the caller gets a 400
  naming the reason;
- annotate: ``Verdict(fields={...})`` names system fields of the type to record with the blob
  (a detected format, a virtual size), written in the same transaction that activates it;
- defer: ``Verdict(post_store=...)`` names a :class:`PostStoreCheck` that runs once the bytes
  are stored. Until it passes the blob is ``checking``: not downloadable and the artifact
  cannot be activated; when it fails the upload is undone as for a refusal.

Timeline of one upload, and which thread runs what::

    request thread         start() ─ read ─ read ─ … ─┐            ┌ finish() ─ commit ─ post-store
    check lane (one)                 feed    feed  …   ├ digests ──┘
    digest lanes, store             hash/write …      ┘

Checks run on one lane thread of their own, so a check costs the request thread a queue hand-off
per chunk, and a field without validators costs nothing at all. A check sees ``bytes`` it must
not keep beyond what it needs (a header, a running hash).

Operator configuration reaches a validator through settings: the ``[validators.<name>]`` table
of the configuration file is passed to :meth:`StreamValidator.configure` of every validator
whose ``name`` it is, once, at start-up; a bad table stops start-up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from artifacts.model.hooks import Caller


@dataclass(frozen=True)
class Upload:
    """What a check knows about the upload it watches, fixed before the first byte arrives."""

    type_name: str
    artifact_id: str
    #: Blob field and, for a blob dict, the entry's key ("" for a plain blob field).
    field: str
    key: str
    #: The request's content type and declared length (None for chunked transfer encoding).
    content_type: str
    content_length: int | None
    #: The artifact's field values as the API shows them (e.g. ``disk_format``), read in the
    #: transaction that started the upload. Blob fields show their current descriptors.
    artifact: Mapping[str, Any]
    caller: Caller
    #: Largest size this upload may reach (field, blob-dict and type limits applied).
    max_size: int


@dataclass(frozen=True)
class StreamResult:
    """What the pipeline measured over the bytes the check was fed."""

    size: int
    #: Hex digests by hashlib name: at least ``md5``, ``sha1`` and ``sha256``.
    digests: Mapping[str, str]


class StoredBlob(Protocol):
    """The stored bytes of an upload, for a post-store check."""

    @property
    def size(self) -> int: ...

    @property
    def digests(self) -> Mapping[str, str]: ...

    @property
    def content_type(self) -> str: ...

    def chunks(self) -> Iterator[bytes]:
        """Read the stored bytes from the start, in chunks (each call reads them anew)."""
        ...


class PostStoreCheck(Protocol):
    """A check that needs the whole stored blob (a second read, an archive's directory)."""

    def check(self, stored: StoredBlob) -> Mapping[str, Any] | None:
        """Return system fields to record, or raise :class:`~artifacts.errors.BlobRejected`."""
        ...


@dataclass(frozen=True)
class Verdict:
    """A check's answer at the end of the stream; the empty verdict accepts the bytes as is."""

    #: System fields of the type to record with the blob (names of declared, non-blob fields).
    fields: Mapping[str, Any] = field(default_factory=dict)
    #: A check to run once the bytes are stored, before the blob becomes active.
    post_store: PostStoreCheck | None = None


ACCEPT = Verdict()


class StreamCheck:
    """One upload's check: fed every chunk in order, then asked for its verdict once."""

    def feed(self, chunk: bytes) -> None:
        """Look at the next chunk; raise :class:`~artifacts.errors.BlobRejected` to refuse."""

    def finish(self, result: StreamResult) -> Verdict:
        """Judge the whole stream, knowing its size and digests."""
        return ACCEPT


class StreamValidator:
    """Declared on a blob field; starts a :class:`StreamCheck` for each upload it cares about.

    Instances are declared at import and shared by every upload, so they hold configuration
    only; per-upload state lives in the check. ``configure`` returns a configured copy rather
    than changing the declared instance.
    """

    #: Key of this validator's ``[validators.<name>]`` settings table; "" takes no settings.
    name: ClassVar[str] = ""

    def configure(self, options: Mapping[str, Any]) -> StreamValidator:
        """Return the validator configured by the operator's options.

        Raise ``ValueError`` with a message naming the bad option: start-up stops with it.
        The default accepts no options.
        """
        if options:
            raise ValueError(f"takes no options, got {', '.join(sorted(options))}")
        return self

    def start(self, upload: Upload) -> StreamCheck | None:
        """Return the check for this upload, or None when it has nothing to check (free)."""
        raise NotImplementedError


__all__ = [
    "ACCEPT",
    "PostStoreCheck",
    "StoredBlob",
    "StreamCheck",
    "StreamResult",
    "StreamValidator",
    "Upload",
    "Verdict",
]
