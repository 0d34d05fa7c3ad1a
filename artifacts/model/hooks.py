"""What a type's hooks are told: who is asking, and the artifact before and after the change.

Hooks are plain methods of the type class (see :class:`artifacts.model.base.BaseArtifact`), run
by the engine behind every API, so each door enforces them identically. ``self`` is the artifact
as it will be (as it is, for download and delete); the :class:`HookContext` carries the rest.

- ``before_<event>`` runs inside the operation's transaction, after the repository's own rules
  passed and before anything is written. It may refuse by raising
  :class:`~artifacts.errors.Refused` (400) or :class:`~artifacts.errors.NotAllowed` (403),
  naming the field at fault; the operation then changes nothing.
- ``after_<event>`` runs once the change is committed. It cannot undo it: a failure is logged
  and counted (``artifacts_hook_failures_total``), and the caller still gets its answer.

Events: create, update (every accepted PATCH), activate (to ``active``, also reactivation),
deactivate, publish (visibility becomes ``public``), upload and download (per blob, with a
:class:`BlobEvent`), delete.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Every hook a type may define, in the order of the operations' life.
HOOK_NAMES: tuple[str, ...] = tuple(
    f"{when}_{event}"
    for event in (
        "create",
        "update",
        "activate",
        "deactivate",
        "publish",
        "upload",
        "download",
        "delete",
    )
    for when in ("before", "after")
)


@dataclass(frozen=True)
class Caller:
    """Who asked: the identity the request was authenticated as."""

    project_id: str | None = None
    user_id: str | None = None
    roles: frozenset[str] = frozenset()
    is_admin: bool = False
    request_id: str = ""


@dataclass(frozen=True)
class HookContext:
    """The change a hook is asked about."""

    #: The event: "create", "update", "activate", …, "delete".
    event: str
    caller: Caller
    type_name: str
    artifact_id: str
    #: The artifact as the API showed it before the change (None for create).
    before: Mapping[str, Any] | None
    #: The artifact as the API will show it after the change (None for delete).
    after: Mapping[str, Any] | None
    #: Names of the fields the change sets to a new value.
    changed: frozenset[str] = dataclasses.field(default_factory=frozenset)


@dataclass(frozen=True)
class BlobEvent:
    """The blob an upload or download hook is about."""

    field: str
    #: The blob-dict entry's key; "" for a plain blob field.
    key: str
    content_type: str | None
    #: Bytes: declared length before an upload (None if unknown), stored size otherwise.
    size: int | None
    #: Hex digests by hashlib name once stored; empty before an upload.
    digests: Mapping[str, str] = dataclasses.field(default_factory=dict)


__all__ = ["HOOK_NAMES", "BlobEvent", "Caller", "HookContext"]
