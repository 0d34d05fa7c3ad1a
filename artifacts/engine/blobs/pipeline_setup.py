"""Setting an upload's pipeline up: where its bytes go, its transform, its checks, its source.

Kept apart from :mod:`.upload` (which moves the bytes and undoes failures) because the choice
has several cases: a new upload, a resumable one read back from the store, one rewritten by
the field's transform, and one whose live pipeline saw every byte already (:mod:`.live`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

from artifacts.engine.digests import Digests
from artifacts.engine.registry import ArtifactType
from artifacts.engine.validation import RunningChecks, RunningTransform, check_annotations
from artifacts.store.base import BlobStore, BlobWriter

from .common import Readable
from .pending import Begun


@dataclasses.dataclass(frozen=True)
class Target:
    """Where one upload writes: its id, store and key, and its blob's name in messages."""

    upload_id: str
    store: BlobStore
    store_name: str
    location: str
    label: str


@dataclasses.dataclass(frozen=True)
class Writing:
    """The writer an upload's bytes go to, and where."""

    writer: BlobWriter
    location: str
    #: The writer holds the bytes already (a resumable upload's): they are read, not written.
    prewritten: bool = False
    #: A resumable upload's received bytes, which the transform rewrote into ``writer``.
    rewrites: BlobWriter | None = None


def prepare(
    artifact_type: ArtifactType,
    begun: Begun,
    target: Target,
    prewritten: BlobWriter | None,
    *,
    stream: Readable | Callable[[], Readable],
    fed: tuple[Digests, RunningChecks | None] | None,
    relocate: Callable[[str], None],
) -> tuple[RunningTransform | None, RunningChecks | None, Writing, Readable | Digests]:
    """The upload's transform, checks and writer, and where its digests come from: the
    bytes to read, or the digests of a live pipeline (then nothing is read). ``relocate``
    records a key the upload writes to other than the target's, before the writer opens."""
    rewritten = RunningTransform.start(begun.transform, begun.upload, target.label)
    if fed is not None and rewritten is None and prewritten is not None:
        return None, fed[1], Writing(prewritten, target.location, prewritten=True), fed[0]
    # Without a pipeline, or rewritten after all: the transform must see the stored bytes.
    source = stream() if callable(stream) else stream
    return (*open_pipeline(artifact_type, begun, target, prewritten, relocate=relocate), source)


def open_pipeline(
    artifact_type: ArtifactType,
    begun: Begun,
    target: Target,
    prewritten: BlobWriter | None,
    *,
    relocate: Callable[[str], None],
) -> tuple[RunningTransform | None, RunningChecks | None, Writing]:
    """Start the transform and the checks (which see the transform's changes); open the
    writer the upload's bytes go to.

    A resumable upload's bytes are in the store already (``prewritten``): they are only
    read, unless a transform rewrites them, which are then written next to them, at a key
    ``relocate`` records first.
    """
    transform = RunningTransform.start(begun.transform, begun.upload, target.label)
    upload = begun.upload
    if transform is not None and upload is not None and transform.changes:
        check_annotations(artifact_type, transform.changes, target.label)
        upload = dataclasses.replace(upload, artifact={**upload.artifact, **transform.changes})
    checks = (
        RunningChecks.start(begun.validators, upload, target.label) if upload is not None else None
    )
    if prewritten is None:
        return (
            transform,
            checks,
            Writing(target.store.open_writer(target.location), target.location),
        )
    if transform is None:
        return transform, checks, Writing(prewritten, target.location, prewritten=True)
    # A fresh key per attempt: a finish retried after a crash must not write where the
    # takeover of the crashed one recorded an orphan.
    location = f"{target.location}-out-{uuid.uuid4().hex[:16]}"
    relocate(location)
    writing = Writing(target.store.open_writer(location), location, rewrites=prewritten)
    return transform, checks, writing
