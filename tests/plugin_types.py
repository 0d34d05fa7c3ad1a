"""Types that exercise the plugin contracts: a streaming validator and every hook.

Both record what they were told in a :class:`Journal` a test hands them through the class, so a
test can check exactly which calls the engine made, in which order, with which arguments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from artifacts import plugin as p


@dataclass
class Journal:
    """What the plugin code saw, in order."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    #: Called from inside a post-store check (to look at the service while it runs).
    during_post_store: Any = None

    def record(self, name: str, detail: Any = None) -> None:
        self.calls.append((name, detail))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


JOURNAL = Journal()


class MagicValidator(p.StreamValidator):
    """Refuse data that does not start with the configured magic; annotate what it found.

    Content type ``application/x-deferred`` asks for a post-store check as well, which reads
    the stored bytes back and refuses them if they contain ``BAD``; ``application/x-refused``
    is refused when the check starts, before any byte.
    """

    name = "magic"

    def __init__(self, magic: bytes = b"MAGIC") -> None:
        self.magic = magic

    def configure(self, options: Mapping[str, Any]) -> MagicValidator:
        unknown = set(options) - {"magic"}
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}")
        magic = options.get("magic", self.magic)
        if not isinstance(magic, str | bytes) or not magic:
            raise ValueError("'magic' must be a non-empty string")
        return MagicValidator(magic.encode() if isinstance(magic, str) else magic)

    def start(self, upload: p.Upload) -> p.StreamCheck | None:
        JOURNAL.record("start", upload)
        if upload.content_type == "application/x-refused":
            raise p.BlobRejected("this content type is never accepted")
        if upload.artifact.get("skip_checks"):
            return None
        return _MagicCheck(self.magic, upload)


class _MagicCheck(p.StreamCheck):
    def __init__(self, magic: bytes, upload: p.Upload) -> None:
        self._magic = magic
        self._upload = upload
        self._head = b""
        self._sha256 = hashlib.sha256()
        self.chunks = 0

    def feed(self, chunk: bytes) -> None:
        self.chunks += 1
        self._sha256.update(chunk)
        if len(self._head) < len(self._magic):
            self._head += chunk[: len(self._magic) - len(self._head)]
            if not self._magic.startswith(self._head[: len(self._magic)]):
                raise p.BlobRejected(f"the data does not start with {self._magic!r}")
        if b"CRASH" in chunk:
            raise RuntimeError("validator bug")

    def finish(self, result: p.StreamResult) -> p.Verdict:
        JOURNAL.record("finish", (self.chunks, result, self._sha256.hexdigest()))
        if self._head != self._magic:
            raise p.BlobRejected(f"the data does not start with {self._magic!r}")
        fields = {"detected": self._magic.decode(), "seen_size": result.size}
        if self._upload.content_type == "application/x-deferred":
            return p.Verdict(fields=fields, post_store=_NoBadBytes())
        return p.Verdict(fields=fields)


class _NoBadBytes:
    def check(self, stored: p.StoredBlob) -> Mapping[str, Any]:
        JOURNAL.record("post_store", stored.size)
        if JOURNAL.during_post_store is not None:
            JOURNAL.during_post_store()
        data = b"".join(stored.chunks())
        if b"BAD" in data:
            raise p.BlobRejected("the stored data contains BAD")
        return {"checked_by": "post-store"}


class Checked(p.BaseArtifact):
    TYPE = "checked"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "skip_checks": p.Boolean(default=False, nullable=False),
        "detected": p.String(system=True),
        "seen_size": p.Integer(system=True),
        "checked_by": p.String(system=True),
        "data": p.Blob(
            max_size=16 * 1024 * 1024,
            required_on_activate=True,
            stream_validators=[MagicValidator()],
        ),
        "files": p.BlobDict(max_size=1024, stream_validators=[MagicValidator()]),
        "plain": p.Blob(max_size=1024),
    }


class Hooked(p.BaseArtifact):
    """Every hook, recording its context; some refuse or fail on purpose."""

    TYPE = "hooked"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - see Checked
        "notes": p.String(mutable=True),
        "locked": p.Boolean(default=False, nullable=False, mutable=True),
        "data": p.Blob(max_size=1024),
    }

    #: Notes values that make hooks misbehave.
    REFUSED: ClassVar[str] = "refused"
    BEFORE_CRASH: ClassVar[str] = "crash-before"
    AFTER_CRASH: ClassVar[str] = "crash-after"

    def _record(self, name: str, hook: p.HookContext, *extra: Any) -> None:
        JOURNAL.record(name, (hook, *extra))

    def before_create(self, hook: p.HookContext) -> None:
        self._record("before_create", hook)
        if self.notes == self.REFUSED:
            raise p.Refused("new artifacts may not say that", field="notes")

    def after_create(self, hook: p.HookContext) -> None:
        self._record("after_create", hook)

    def before_update(self, hook: p.HookContext) -> None:
        self._record("before_update", hook)
        if self.notes == self.REFUSED:
            raise p.Refused("may not say that", field="notes")
        if self.notes == self.BEFORE_CRASH:
            raise RuntimeError("hook bug")

    def after_update(self, hook: p.HookContext) -> None:
        self._record("after_update", hook)
        if self.notes == self.AFTER_CRASH:
            raise RuntimeError("hook bug after commit")

    def before_activate(self, hook: p.HookContext) -> None:
        self._record("before_activate", hook)

    def after_activate(self, hook: p.HookContext) -> None:
        self._record("after_activate", hook)

    def before_deactivate(self, hook: p.HookContext) -> None:
        self._record("before_deactivate", hook)

    def after_deactivate(self, hook: p.HookContext) -> None:
        self._record("after_deactivate", hook)

    def before_publish(self, hook: p.HookContext) -> None:
        self._record("before_publish", hook)

    def after_publish(self, hook: p.HookContext) -> None:
        self._record("after_publish", hook)

    def before_upload(self, hook: p.HookContext, blob: p.BlobEvent) -> None:
        self._record("before_upload", hook, blob)
        if self.locked:
            raise p.NotAllowed("locked artifacts take no uploads", field="locked")

    def after_upload(self, hook: p.HookContext, blob: p.BlobEvent) -> None:
        self._record("after_upload", hook, blob)

    def before_download(self, hook: p.HookContext, blob: p.BlobEvent) -> None:
        self._record("before_download", hook, blob)

    def after_download(self, hook: p.HookContext, blob: p.BlobEvent) -> None:
        self._record("after_download", hook, blob)

    def before_delete(self, hook: p.HookContext) -> None:
        self._record("before_delete", hook)
        if self.locked:
            raise p.NotAllowed("unlock it first", field="locked")

    def after_delete(self, hook: p.HookContext) -> None:
        self._record("after_delete", hook)


CONTRACT_TYPES = (Checked, Hooked)


class Doubler(p.StreamTransform):
    """Stores every byte twice and ends with ``!``, unless the artifact says ``mode: as-is``;
    refuses data holding ``NO``, fails on ``CRASH``; says how many bytes it received."""

    name = "doubler"

    def start(self, upload: p.Upload) -> p.Transform | None:
        if upload.artifact.get("mode") == "as-is":
            return None
        return _Doubling()


class _Doubling(p.Transform):
    def __init__(self) -> None:
        self.changes = {"mode": "doubled"}
        self._received = 0

    def feed(self, chunk: bytes) -> bytes:
        if b"NO" in chunk:
            raise p.BlobRejected("the data says NO")
        if b"CRASH" in chunk:
            raise RuntimeError("the transform broke")
        self._received += len(chunk)
        return bytes(byte for byte in chunk for _ in range(2))

    def finish(self) -> p.Transformed:
        return p.Transformed(tail=b"!", fields={"received": self._received})


class _SeenMode(p.StreamValidator):
    """Records the mode the checks are shown and the size they were fed."""

    def start(self, upload: p.Upload) -> p.StreamCheck:
        return _ModeCheck(str(upload.artifact.get("mode")))


class _ModeCheck(p.StreamCheck):
    def __init__(self, mode: str) -> None:
        self._mode = mode
        self._fed = 0

    def feed(self, chunk: bytes) -> None:
        self._fed += len(chunk)

    def finish(self, result: p.StreamResult) -> p.Verdict:
        return p.Verdict(fields={"checked_mode": self._mode, "checked_size": self._fed})


class Rewritten(p.BaseArtifact):
    """A blob whose uploads a stream transform rewrites."""

    TYPE = "rewritten"
    VERSION = "1.0"

    fields = {  # noqa: RUF012 - oslo.versionedobjects declares fields as a class-level dict
        "mode": p.String(),
        "received": p.Integer(system=True),
        "checked_mode": p.String(system=True),
        "checked_size": p.Integer(system=True),
        "data": p.Blob(max_size=1000, stream_validators=[_SeenMode()], stream_transform=Doubler()),
    }
