"""Stream transforms: a type's rewriting of an upload's bytes before anything else sees them.

A blob field may declare one transform (``Blob(stream_transform=...)``). For each upload the
pipeline asks it to :meth:`StreamTransform.start` a :class:`Transform` (or None: the bytes go
through untouched, at no cost). The transform is fed the request's chunks in order, on the
request thread, and returns the bytes to store in their place; everything downstream (the size
limit, md5/sha1/sha256, the streaming validators, the store) sees only what it returns. So an
archive can be unpacked as it streams: the blob becomes the member it carries, with digests and
checks that describe the stored bytes, and nothing of the archive is kept.

- :attr:`Transform.changes` are field values the transform decides before the first byte (a
  container format the unpacked data no longer has): the checks see the artifact with them
  applied, and they are recorded with the blob;
- :meth:`Transform.finish` returns the last bytes and the fields found on the way (an archive's
  descriptor read into properties), recorded in the transaction that activates the blob;
- refuse by raising :class:`~artifacts.errors.BlobRejected` from ``feed`` or ``finish``: the
  upload is undone as for a validator's refusal (400, nothing kept).

The size limit applies to the larger of the bytes received and the bytes stored, so neither an
archive padded with members that are dropped nor one that expands escapes it. Configuration
reaches a transform as it reaches a validator: the ``[validators.<name>]`` table goes to
:meth:`StreamTransform.configure` once, at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from artifacts.model.streaming import Upload


@dataclass(frozen=True)
class Transformed:
    """The end of a transformed stream: its last bytes, and the fields it found."""

    tail: bytes = b""
    #: Fields of the type to record with the blob (as a validator's verdict names them).
    fields: Mapping[str, Any] = field(default_factory=dict)


class Transform:
    """One upload's transform: fed every received chunk in order, then finished once."""

    #: Field values known before the first byte; shown to the checks and recorded.
    changes: Mapping[str, Any] = {}

    def feed(self, chunk: bytes) -> bytes:
        """Take the next received chunk; return the bytes to store for it (maybe none)."""
        raise NotImplementedError

    def finish(self) -> Transformed:
        """The stream ended: return what is left to store and the fields found."""
        return Transformed()


class StreamTransform:
    """Declared on a blob field; starts a :class:`Transform` for the uploads it rewrites.

    Shared by every upload, so it holds configuration only (per-upload state lives in the
    transform); ``configure`` returns a configured copy.
    """

    #: Key of this transform's ``[validators.<name>]`` settings table; "" takes no settings.
    name: ClassVar[str] = ""

    def configure(self, options: Mapping[str, Any]) -> StreamTransform:
        """Return the transform configured by the operator's options (``ValueError`` if bad)."""
        if options:
            raise ValueError(f"takes no options, got {', '.join(sorted(options))}")
        return self

    def start(self, upload: Upload) -> Transform | None:
        """Return the transform for this upload, or None to store its bytes as they come."""
        raise NotImplementedError


__all__ = ["StreamTransform", "Transform", "Transformed"]
