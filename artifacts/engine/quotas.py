"""Quotas: per project and per type, artifact count, total bytes and one blob's maximum.

Limits are set by administrators for a project, or as defaults (``*``) for every project
without its own, at two scopes: the project as a whole, and one type. Each limit resolves on
its own (a project's ``max_bytes`` does not hide the default ``max_artifacts``), and both
scopes apply.

Usage is exact because every change to it happens in the transaction that changes what it
counts, as one conditional update (:mod:`artifacts.db.quotas`):

- creating an artifact counts it, deleting it uncounts it and its bytes;
- an upload reserves its declared length when it starts (or, streamed without one, step by
  step as the bytes arrive), and its commit settles the reservation into committed bytes
  (minus the data it replaces); an abort, or the takeover of its lapsed lease, releases it.

Bytes are logical: what each artifact's blobs hold, whether or not the store keeps one copy
of equal data. Replacing a blob needs room for both until the new one commits, since both
exist until then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import quotas as q
from artifacts.db.models import BlobRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import TypeRegistry
from artifacts.errors import ByteQuotaExceeded, CountQuotaExceeded, InvalidInput

__all__ = [
    "UNLIMITED",
    "Drift",
    "Limits",
    "QuotaService",
    "blob_maximum",
    "charge_artifact",
    "end_upload",
    "release",
    "reserve",
    "step",
]

Limits = q.Limits

#: The largest limit a column holds (a signed 64-bit integer).
_MAX_LIMIT = 2**63 - 1
#: A limit set to "no limit", overriding a default one.
UNLIMITED = q.UNLIMITED


def charge_artifact(session: Session, owner: str, type_name: str) -> None:
    """Count a new artifact against its owner's quotas (403 when the count is full)."""
    limits = q.effective(session, owner, type_name)
    try:
        q.charge(session, owner, type_name, artifacts=1, limits=limits)
    except q.QuotaRefusal as refusal:
        raise CountQuotaExceeded(
            refusal.name, refusal.type_name, refusal.limit, refusal.used, refusal.requested
        ) from None


def reserve(session: Session, owner: str, type_name: str, size: int) -> None:
    """Hold ``size`` bytes for an upload in flight (413 when they do not fit)."""
    if size <= 0:
        return
    limits = q.effective(session, owner, type_name)
    try:
        q.charge(session, owner, type_name, reserved=size, limits=limits)
    except q.QuotaRefusal as refusal:
        raise ByteQuotaExceeded(
            refusal.name, refusal.type_name, refusal.limit, refusal.used, refusal.requested
        ) from None


def release(
    session: Session,
    owner: str,
    type_name: str,
    *,
    artifacts: int = 0,
    reserved: int = 0,
    stored: int = 0,
    added: int = 0,
) -> None:
    """Apply what an ending write does to usage; never refused.

    ``reserved`` bytes go back, ``stored`` committed bytes are forgotten (replaced or
    deleted data), ``added`` committed bytes are counted (a settled upload), ``artifacts``
    are uncounted. Settling moves bytes from reserved to committed, which never raises the
    sum the byte limit bounds, so it needs no check.
    """
    if not (artifacts or reserved or stored or added):
        return
    q.charge(
        session,
        owner,
        type_name,
        artifacts=-artifacts,
        bytes_=added - stored,
        reserved=-reserved,
    )


def blob_maximum(session: Session, owner: str, type_name: str) -> tuple[int, str] | None:
    """The per-blob maximum that applies (bytes, and the scope: ``""`` or the type)."""
    found = q.effective(session, owner, type_name).max_blob_size
    return (found[1], found[0]) if found is not None else None


@dataclass(frozen=True)
class Drift:
    """One usage row whose recorded counters differ from what is stored."""

    project_id: str
    type_name: str
    recorded: q.Usage
    stored: q.Usage


class QuotaService:
    """Read and set limits, read usage, and check usage against what is stored."""

    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        *,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._db = db
        self._types = types
        self._policy = policy
        self._clock = clock

    def all_limits(self, ctx: RequestContext) -> dict[str, dict[str, q.Limits]]:
        """Every limit that is set: project (``*`` for the defaults) → scope → limits."""
        self._policy.enforce(ctx, "quota:list")
        with self._db.read() as session:
            return q.limits_of(session)

    def limits_in_force(self, ctx: RequestContext, project_id: str) -> dict[str, q.Limits]:
        """A project's limits as they apply to it: its own, else the defaults', per scope
        (:data:`~artifacts.db.quotas.UNLIMITED` where one is set to no limit)."""
        self._policy.enforce(ctx, "quota:show", Target(owner=project_id))
        _check_project(project_id)
        with self._db.read() as session:
            found = q.limits_of(session, project_id).get(project_id, {})
            defaults = q.limits_of(session, q.DEFAULT_PROJECT).get(q.DEFAULT_PROJECT, {})
            return {
                scope: q.effective(session, project_id, scope, keep_unlimited=True).by_type
                if scope
                else q.effective(session, project_id, scope, keep_unlimited=True).total
                for scope in sorted(set(found) | set(defaults))
            }

    def replace_limits(
        self, ctx: RequestContext, values: Mapping[str, Mapping[str, q.Limits]]
    ) -> None:
        """Replace the limits of several projects at once (each one's whole set)."""
        self._policy.enforce(ctx, "quota:set")
        for project_id, scopes in values.items():
            _check_project(project_id)
            for scope in scopes:
                if scope and scope not in self._types:
                    raise InvalidInput(f"Unknown artifact type {scope!r} in a quota name.")
        with self._db.write() as session:
            for project_id, scopes in values.items():
                q.set_limits(session, project_id, scopes, self._clock())

    def defaults(self, ctx: RequestContext) -> dict[str, Any]:
        self._policy.enforce(ctx, "quota:list")
        with self._db.read() as session:
            found = q.limits_of(session, q.DEFAULT_PROJECT).get(q.DEFAULT_PROJECT, {})
        return _limits_document(found)

    def show(self, ctx: RequestContext, project_id: str) -> dict[str, Any]:
        """A project's limits (as set, and in effect) and usage, at both scopes."""
        self._policy.enforce(ctx, "quota:show", Target(owner=project_id))
        _check_project(project_id)
        with self._db.read() as session:
            own = q.limits_of(session, project_id).get(project_id, {})
            defaults = q.limits_of(session, q.DEFAULT_PROJECT).get(q.DEFAULT_PROJECT, {})
            usage = q.usage_of(session, project_id)
            scopes = sorted((set(own) | set(defaults) | set(usage)) - {q.TOTAL})
            resolved = {s: q.effective(session, project_id, s) for s in scopes}
            total = q.effective(session, project_id, q.TOTAL).total
        types = {}
        for scope in scopes:
            types[scope] = {
                "limits": own.get(scope, q.Limits()).as_dict(),
                "effective_limits": resolved[scope].by_type.as_dict(),
                "usage": _usage_document(usage.get(scope, q.Usage())),
            }
        return {
            "project_id": project_id,
            "limits": own.get(q.TOTAL, q.Limits()).as_dict(),
            "effective_limits": total.as_dict(),
            "usage": _usage_document(usage.get(q.TOTAL, q.Usage())),
            "types": types,
        }

    def set_project(self, ctx: RequestContext, project_id: str, body: Any) -> dict[str, Any]:
        """Replace a project's limits with the document's."""
        self._policy.enforce(ctx, "quota:set", Target(owner=project_id))
        _check_project(project_id)
        self._replace(project_id, self._parse(body))
        return self.show(ctx, project_id)

    def set_defaults(self, ctx: RequestContext, body: Any) -> dict[str, Any]:
        """Replace the default limits with the document's."""
        self._policy.enforce(ctx, "quota:set")
        self._replace(q.DEFAULT_PROJECT, self._parse(body))
        return self.defaults(ctx)

    def clear_project(self, ctx: RequestContext, project_id: str) -> None:
        """Remove a project's own limits: the defaults apply to it again."""
        self._policy.enforce(ctx, "quota:set", Target(owner=project_id))
        _check_project(project_id)
        self._replace(project_id, {})

    def _replace(self, project_id: str, limits: Mapping[str, q.Limits]) -> None:
        with self._db.write() as session:
            q.set_limits(session, project_id, limits, self._clock())

    def _parse(self, body: Any) -> dict[str, q.Limits]:
        """``{"limits": {...}, "types": {"images": {"limits": {...}}}}`` → scope → limits."""
        if not isinstance(body, dict):
            raise InvalidInput("A quota document is a JSON object with 'limits' and 'types'.")
        unknown = set(body) - {"limits", "types"}
        if unknown:
            raise InvalidInput(f"Unknown quota keys: {', '.join(sorted(unknown))}.")
        parsed = {q.TOTAL: _parse_limits(body.get("limits", {}), "limits")}
        types = body.get("types", {})
        if not isinstance(types, dict):
            raise InvalidInput("'types' maps type names to objects with 'limits'.")
        for type_name, entry in types.items():
            if type_name not in self._types:
                raise InvalidInput(f"Unknown artifact type {type_name!r} in 'types'.")
            if not isinstance(entry, dict) or set(entry) - {"limits"}:
                raise InvalidInput(f"types.{type_name} is an object with 'limits' only.")
            parsed[type_name] = _parse_limits(entry.get("limits", {}), f"types.{type_name}.limits")
        return parsed

    def check(self, *, repair: bool = False) -> list[Drift]:
        """Recompute usage from the stored rows; return (and with ``repair``, fix) drifts.

        With ``repair`` the recount and the fix happen in one write transaction that first
        locks every usage row, so a charge running meanwhile either finished before (and is
        counted) or waits and applies its change on top of the repaired value.
        """
        transaction = self._db.write if repair else self._db.read
        with transaction() as session:
            recorded = q.recorded_usage(session, lock=repair)
            stored = q.stored_usage(session)
            drifts = [
                Drift(key[0], key[1], recorded.get(key, q.Usage()), stored.get(key, q.Usage()))
                for key in sorted(set(recorded) | set(stored))
                if recorded.get(key, q.Usage()) != stored.get(key, q.Usage())
            ]
            if repair:
                for drift in drifts:
                    q.overwrite(session, (drift.project_id, drift.type_name), drift.stored)
        return drifts


def _check_project(project_id: str) -> None:
    if not project_id or len(project_id) > 255 or project_id == q.DEFAULT_PROJECT:
        raise InvalidInput("A project id is 1 to 255 characters ('*' names the defaults).")


def _parse_limits(raw: Any, where: str) -> q.Limits:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where!r} is an object of limits: {', '.join(q.LIMIT_NAMES)}.")
    unknown = set(raw) - set(q.LIMIT_NAMES)
    if unknown:
        raise InvalidInput(f"Unknown limits in {where!r}: {', '.join(sorted(unknown))}.")
    values: dict[str, int | None] = {}
    for name in q.LIMIT_NAMES:
        value = raw.get(name)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not q.UNLIMITED <= value <= _MAX_LIMIT
        ):
            raise InvalidInput(
                f"{where}.{name} is a whole number from 0, -1 for no limit whatever the"
                " defaults say, or null to leave it unset."
            )
        values[name] = value
    return q.Limits(**values)


def _limits_document(scopes: Mapping[str, q.Limits]) -> dict[str, Any]:
    return {
        "limits": scopes.get(q.TOTAL, q.Limits()).as_dict(),
        "types": {
            name: {"limits": limits.as_dict()}
            for name, limits in sorted(scopes.items())
            if name != q.TOTAL
        },
    }


def _usage_document(usage: q.Usage) -> dict[str, int]:
    return {"artifacts": usage.artifacts, "bytes": usage.bytes, "reserved": usage.reserved}


#: Bytes a streamed upload without a declared length reserves at a time (doubling with what
#: it holds already): few round trips for large blobs, little held back from others.
RESERVE_STEP = 8 * 1024 * 1024


def end_upload(
    session: Session, owner: str, type_name: str, blob: BlobRow, *, committed: int | None
) -> None:
    """Release a pending upload's reservation, or settle it into ``committed`` bytes.

    Called under the blob's row lock, before the row takes the new data (it still names the
    data a commit replaces, whose bytes stop counting).
    """
    held = blob.pending_reserved or 0
    blob.pending_reserved = None
    if committed is None:
        release(session, owner, type_name, reserved=held)
        return
    replaced = (blob.size or 0) if blob.location is not None else 0
    release(session, owner, type_name, reserved=held, added=committed, stored=replaced)


def step(held: int, needed: int, ceiling: int) -> int:
    """How much more a streamed upload holding ``held`` bytes reserves to take ``needed``."""
    return max(needed, min(max(RESERVE_STEP, held), ceiling - held))
