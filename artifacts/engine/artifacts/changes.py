"""Creating an artifact and patching it, each in one write transaction with its hooks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from artifacts.db import repository as repo
from artifacts.db import rows
from artifacts.db.session import Database
from artifacts.engine import quotas
from artifacts.engine.blobs import IN_FLIGHT, blob_values
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner, caller_of
from artifacts.engine.loading import load_visible
from artifacts.engine.patching import PatchRules, parse_patch, visibility_rule
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import TypeRegistry
from artifacts.engine.versions import writable_properties
from artifacts.errors import ArtifactIdTaken, Conflict, InvalidValue
from artifacts.model import fields as f
from artifacts.model import lifecycle, text
from artifacts.model.hooks import HookContext
from artifacts.model.validators import UUID_PATTERN

from .lifecycle import stamp_times, update_events
from .rendering import DISPLAY_TYPE_NAME, render, wire_document
from .rules import (
    build,
    check_links,
    check_public_name,
    check_writable_on_create,
    row_values,
)

_UUID = re.compile(UUID_PATTERN)
#: Changes that can make a public artifact's name and version clash with another public one.
_PUBLIC_SCOPE = frozenset({"name", "version", "visibility"})


class ArtifactWriter:
    """Writes for :class:`~artifacts.engine.artifacts.ArtifactService` but deletion."""

    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        *,
        hooks: HookRunner,
        clock: Callable[[], dt.datetime],
        new_id: Callable[[], str],
    ) -> None:
        self._db = db
        self._types = types
        self._policy = policy
        self._hooks = hooks
        self._clock = clock
        self._new_id = new_id

    def create(
        self,
        ctx: RequestContext,
        type_name: str,
        body: Mapping[str, Any],
        *,
        artifact_id: str | None = None,
        visibility: str = lifecycle.PRIVATE,
    ) -> dict[str, Any]:
        artifact_type = self._types.writable(type_name)
        self._policy.enforce(ctx, "artifact:create")
        fields = artifact_type.fields
        for name, value in body.items():
            check_writable_on_create(fields, name, value)
        if artifact_id is not None and not _UUID.match(artifact_id):
            raise InvalidValue(f"An artifact id is a UUID, not {artifact_id!r}.")
        owner = ctx.project_id or ""
        if visibility != lifecycle.PRIVATE:
            self._policy.enforce(ctx, visibility_rule(visibility), Target(owner=owner))
        now = self._clock()
        document = {name: field.to_json(field.initial_value()) for name, field in fields.items()}
        document.update({name: fields[name].coerce_input(value) for name, value in body.items()})
        document.update(
            {
                "id": artifact_id or self._new_id(),
                "owner": owner,
                "status": lifecycle.DRAFTED,
                "visibility": visibility,
                "created_at": f.format_datetime(now),
                "updated_at": f.format_datetime(now),
                "activated_at": None,
            }
        )
        artifact_type.validator.validate(document)
        values = {name: fields[name].from_document(document[name]) for name in fields}
        obj = build(artifact_type.cls, values)
        hook = None
        if self._hooks.wants(artifact_type, "before_create", "after_create"):
            hook = HookContext(
                event="create",
                caller=caller_of(ctx),
                type_name=type_name,
                artifact_id=document["id"],
                before=None,
                after=obj.to_json(),
                changed=frozenset(body),
            )
        with self._db.write() as session:
            if artifact_id is not None and repo.get(session, artifact_id, type_name=None):
                raise ArtifactIdTaken(f"An artifact with id {artifact_id} already exists.")
            if visibility == lifecycle.PUBLIC:
                check_public_name(session, type_name, document["id"], obj)
            check_links(session, ctx, self._types, artifact_type, obj, names=set(body))
            self._hooks.before(artifact_type, "before_create", obj, hook)
            quotas.charge_artifact(session, document["owner"], type_name)
            row = repo.insert(session, row_values(artifact_type, obj))
            rendered = render(artifact_type, row, [])
        if hook is not None:
            after = dataclasses.replace(hook, after=rendered)
            self._hooks.after(artifact_type, "after_create", obj, after)
        return rendered

    def update(
        self,
        ctx: RequestContext,
        type_name: str,
        artifact_id: str,
        patch: Any,
        *,
        drafts_may_share: bool = False,
    ) -> dict[str, Any]:
        """Apply an RFC 6902 JSON patch atomically, operation by operation (engine.patching)."""
        artifact_type = self._types.writable(type_name)
        steps = parse_patch(patch)
        with self._db.write() as session:
            row = load_visible(self._db, session, ctx, type_name, artifact_id, for_update=True)
            target = Target.of(row)
            self._policy.enforce(ctx, "artifact:update", target)
            fields = artifact_type.fields
            blobs = repo.blobs_of(session, [row.id])[row.id]
            current = rows.field_values(row, fields, writable_properties(artifact_type, row))
            current.update(blob_values(type_name, artifact_type.blob_fields, blobs))
            before = wire_document(fields, current)
            rules = PatchRules(
                fields,
                enforce=lambda rule: self._policy.enforce(ctx, rule, target),
                validate=artifact_type.validator.validate,
                read_only=frozenset({DISPLAY_TYPE_NAME}),
                drafts_may_share=drafts_may_share,
            )
            after = rules.apply(steps, {**before, DISPLAY_TYPE_NAME: artifact_type.display_name})
            del after[DISPLAY_TYPE_NAME]
            # Operations can build a value deeper than any one of them carries.
            text.check_document(after, "The patched artifact")
            changed = {name for name in fields if after[name] != before[name]}
            if not changed:
                return render(artifact_type, row, blobs)
            stamp_times(before, after, changed, self._clock())
            artifact_type.validator.validate(after)
            values = {name: fields[name].from_document(after[name]) for name in fields}
            obj = build(artifact_type.cls, values)
            if "status" in changed and any(blob.status in IN_FLIGHT for blob in blobs):
                raise Conflict(
                    "The status cannot change while a blob is being uploaded or checked."
                )
            if after["visibility"] == lifecycle.PUBLIC and changed & _PUBLIC_SCOPE:
                check_public_name(session, type_name, artifact_id, obj)
            check_links(session, ctx, self._types, artifact_type, obj, names=changed)
            events = update_events(after, changed)
            hook_names = [f"{when}_{event}" for event in events for when in ("before", "after")]
            hooks: list[HookContext] = []
            if self._hooks.wants(artifact_type, *hook_names):
                caller = caller_of(ctx)
                hooks = [
                    HookContext(
                        event=event,
                        caller=caller,
                        type_name=type_name,
                        artifact_id=artifact_id,
                        before=before,
                        after=after,
                        changed=frozenset(changed),
                    )
                    for event in events
                ]
                for hook in hooks:
                    self._hooks.before(artifact_type, f"before_{hook.event}", obj, hook)
            repo.update(session, row, row_values(artifact_type, obj))
            rendered = render(artifact_type, row, blobs)
        for hook in hooks:
            committed = dataclasses.replace(hook, after=rendered)
            self._hooks.after(artifact_type, f"after_{hook.event}", obj, committed)
        return rendered
