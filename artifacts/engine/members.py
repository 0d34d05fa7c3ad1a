"""The member service: share an artifact with other projects, who accept or reject it.

The owner (or an administrator) adds and removes member projects; a new membership is
``pending`` until the member project answers ``accepted`` or ``rejected`` (and it may change its
mind later). Memberships grant visibility only while the artifact is ``shared`` or
``community``; what they grant is decided by ``artifacts.db.visibility.visible_to``.

Who may reach an artifact's memberships at all: anyone who can see the artifact, and, while the
artifact is shared or community, a project holding a membership of it in any status — so a
project that rejected a share can still take its answer back, while the artifact itself stays
hidden from it. Everybody else (members of an artifact made private again included) gets the
same "not found" as for an artifact that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import members as member_rows
from artifacts.db import repository as repo
from artifacts.db import visibility
from artifacts.db.models import ArtifactRow, MemberRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import TypeRegistry
from artifacts.errors import (
    ArtifactNotFound,
    Forbidden,
    InvalidInput,
    InvalidValue,
    MemberNotFound,
)
from artifacts.model import fields as f
from artifacts.model import lifecycle, text


class MemberService:
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

    def list(self, ctx: RequestContext, type_name: str, artifact_id: str) -> list[dict[str, Any]]:
        """Every membership for the owner and admins; a member sees only its own."""
        with self._db.read() as session:
            row, own = self._load(session, ctx, type_name, artifact_id)
            self._policy.enforce(ctx, "member:list", _target(row, own))
            if ctx.is_admin or row.owner == ctx.project_id:
                return [render(member) for member in member_rows.of_artifact(session, row.id)]
            return [render(own)] if own is not None else []

    def show(
        self, ctx: RequestContext, type_name: str, artifact_id: str, project_id: str
    ) -> dict[str, Any]:
        with self._db.read() as session:
            row, own = self._load(session, ctx, type_name, artifact_id)
            member = self._member(session, ctx, row, own, project_id)
            self._policy.enforce(ctx, "member:show", Target(owner=row.owner, member_id=project_id))
            return render(member)

    def add(
        self, ctx: RequestContext, type_name: str, artifact_id: str, body: Any
    ) -> dict[str, Any]:
        """Share the artifact with the project named by ``{"member": "<project id>"}``."""
        project_id = _member_from_body(body)
        with self._db.write() as session:
            row, own = self._load(session, ctx, type_name, artifact_id, for_update=True)
            self._policy.enforce(ctx, "member:add", _target(row, own))
            if row.visibility not in lifecycle.MEMBER_VISIBILITIES:
                raise Forbidden(
                    f"Only shared or community artifacts have members; this one is "
                    f"{row.visibility}. Set its visibility to 'shared' first."
                )
            if project_id == row.owner:
                raise InvalidValue("The owner's project cannot be a member of its own artifact.")
            member = member_rows.insert(
                session, row.id, project_id, lifecycle.PENDING, self._clock()
            )
            return render(member)

    def update(
        self,
        ctx: RequestContext,
        type_name: str,
        artifact_id: str,
        project_id: str,
        body: Any,
    ) -> dict[str, Any]:
        """Record the member project's answer, ``{"status": "accepted"}`` or another status."""
        status = _status_from_body(body)
        with self._db.write() as session:
            row, own = self._load(session, ctx, type_name, artifact_id, for_update=True)
            member = self._member(session, ctx, row, own, project_id, for_update=True)
            self._policy.enforce(
                ctx, "member:update", Target(owner=row.owner, member_id=project_id)
            )
            if member.status != status:
                member.status = status
                member.updated_at = self._clock()
                session.flush()
            return render(member)

    def delete(
        self, ctx: RequestContext, type_name: str, artifact_id: str, project_id: str
    ) -> None:
        with self._db.write() as session:
            row, own = self._load(session, ctx, type_name, artifact_id, for_update=True)
            member = self._member(session, ctx, row, own, project_id, for_update=True)
            self._policy.enforce(
                ctx, "member:delete", Target(owner=row.owner, member_id=project_id)
            )
            member_rows.delete(session, member)

    # --- helpers -------------------------------------------------------------------------------

    def _load(
        self,
        session: Session,
        ctx: RequestContext,
        type_name: str,
        artifact_id: str,
        *,
        for_update: bool = False,
    ) -> tuple[ArtifactRow, MemberRow | None]:
        """The artifact and the caller's own membership, or 'not found' to a stranger."""
        self._types.get(type_name)
        row = repo.get(
            session,
            artifact_id,
            type_name=type_name,
            for_update=for_update and self._db.locks_rows,
        )
        if row is None:
            raise ArtifactNotFound(artifact_id)
        own = (
            member_rows.get(session, row.id, ctx.project_id)
            if ctx.project_id is not None and ctx.project_id != row.owner
            else None
        )
        if own is not None and row.visibility in lifecycle.MEMBER_VISIBILITIES:
            return row, own
        if not visibility.is_visible(session, row, ctx.project_id, ctx.is_admin):
            raise ArtifactNotFound(artifact_id)
        return row, own

    @staticmethod
    def _member(
        session: Session,
        ctx: RequestContext,
        row: ArtifactRow,
        own: MemberRow | None,
        project_id: str,
        *,
        for_update: bool = False,
    ) -> MemberRow:
        """The membership named in the path; others' memberships exist only for owner and admin."""
        may_see_all = ctx.is_admin or row.owner == ctx.project_id
        if not may_see_all and project_id != ctx.project_id:
            raise MemberNotFound(f"Project {project_id} is not a member of artifact {row.id}.")
        member = own if not may_see_all else None
        if member is None:
            member = member_rows.get(session, row.id, project_id, for_update=for_update)
        if member is None:
            raise MemberNotFound(f"Project {project_id} is not a member of artifact {row.id}.")
        return member


def render(member: MemberRow) -> dict[str, Any]:
    return {
        "artifact_id": member.artifact_id,
        "member_id": member.project_id,
        "status": member.status,
        "created_at": _timestamp(member.created_at),
        "updated_at": _timestamp(member.updated_at),
    }


def _timestamp(value: dt.datetime) -> str:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return f.format_datetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))


def _target(row: ArtifactRow, own: MemberRow | None) -> Target:
    return Target(owner=row.owner, member_id=own.project_id if own is not None else None)


def _object(body: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(f"Unknown key {unknown[0]!r}; expected {', '.join(sorted(allowed))}.")
    return body


def _member_from_body(body: Any) -> str:
    member = _object(body, {"member"}).get("member")
    if not isinstance(member, str) or not member.strip():
        raise InvalidValue("'member' must be the id of the project to share with.")
    return text.check_project_id(member.strip(), "'member'")


def _status_from_body(body: Any) -> str:
    status = _object(body, {"status"}).get("status")
    if status not in lifecycle.MEMBER_STATUSES:
        raise InvalidValue(
            f"'status' must be one of {', '.join(lifecycle.MEMBER_STATUSES)}, not {status!r}."
        )
    assert isinstance(status, str)
    return status
