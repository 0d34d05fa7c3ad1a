"""What an upload tells the type before its first byte: the before-upload hook, the validators.

Shared by an upload's first transaction (:mod:`.pending`) and a resumable session's creation,
which asks the same questions so that a refusal comes before the bytes, not after them.
"""

from __future__ import annotations

from typing import Any

from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner, caller_of
from artifacts.engine.registry import ArtifactType
from artifacts.model.hooks import BlobEvent, HookContext
from artifacts.model.streaming import Upload

from .common import BlobRef, wire_values


def announce(
    hooks: HookRunner,
    ctx: RequestContext,
    artifact_type: ArtifactType,
    ref: BlobRef,
    document: dict[str, Any] | None,
    *,
    with_hooks: bool,
    with_validators: bool,
    limit: int,
    content_length: int | None,
    content_type: str,
) -> tuple[HookContext | None, Upload | None]:
    """Run the before-upload hook; return what the hooks and the validators are told.

    ``document`` is the artifact as rendered for them (None when neither wants it).
    """
    if document is None:
        return None, None
    hook = upload = None
    caller = caller_of(ctx)
    if with_hooks:
        hook = HookContext(
            event="upload",
            caller=caller,
            type_name=artifact_type.name,
            artifact_id=ref.artifact_id,
            before=document,
            after=document,
            changed=frozenset({ref.field}),
        )
        blob = BlobEvent(ref.field, ref.key, content_type, content_length)
        obj = artifact_type.cls.from_values(wire_values(artifact_type, document))
        hooks.before(artifact_type, "before_upload", obj, hook, blob)
    if with_validators:
        upload = Upload(
            type_name=artifact_type.name,
            artifact_id=ref.artifact_id,
            field=ref.field,
            key=ref.key,
            content_type=content_type,
            content_length=content_length,
            artifact=document,
            caller=caller,
            max_size=max(limit, 0),
        )
    return hook, upload
