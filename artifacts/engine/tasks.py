"""The task queue: background jobs recorded in the database and claimed by workers.

A task is one row of ``tasks``. It is created ``pending`` with the caller's identity and an
input document; ``artifacts worker`` processes claim it, which moves it to ``processing`` under
a lease (``lease_owner`` and ``lease_expires_at``) that the worker renews while it runs. A task
ends ``success`` or ``failure`` with a result and a message. A failure for a passing reason
(a store or a source that is down) sends it back to ``pending`` with a later ``run_after``:
back-off doubles with each attempt, up to ``max_attempts``. A worker that dies stops renewing;
once its lease has lapsed any worker claims the task again, so nothing is left hanging.

Claiming is one short transaction. On PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` lets
several workers on several nodes take different rows at once without waiting on each other;
on SQLite every write transaction takes the database's write lock first (``BEGIN
IMMEDIATE``), so claims are serialised and a task is still claimed by one worker only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update

from artifacts.db.models import ArtifactRow, TaskRow
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy
from artifacts.errors import Conflict, NotFound

PENDING = "pending"
PROCESSING = "processing"
SUCCESS = "success"
FAILURE = "failure"
FINISHED = (SUCCESS, FAILURE)


@dataclass(frozen=True)
class TaskSettings:
    """How long tasks are kept, leased and retried."""

    time_to_live: dt.timedelta = dt.timedelta(hours=48)
    lease: dt.timedelta = dt.timedelta(seconds=60)
    max_attempts: int = 3
    retry_delay: dt.timedelta = dt.timedelta(seconds=5)

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait before the next attempt after ``attempts`` failed ones (doubling)."""
        return self.retry_delay * (1 << max(attempts - 1, 0))


@dataclass(frozen=True)
class Claim:
    """A task a worker holds: what it needs to run it, and who it runs as."""

    id: str
    type: str
    type_name: str | None
    artifact_id: str | None
    input: Mapping[str, Any]
    attempts: int
    ctx: RequestContext


class TaskNotFound(NotFound):
    code = "task_not_found"

    def __init__(self, task_id: str) -> None:
        super().__init__(f"Task with identifier {task_id} not found.")


class LeaseLost(Exception):
    """Another worker took the task over (this one's lease lapsed); drop it quietly."""


class TaskQueue:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], dt.datetime],
        policy: Policy,
        settings: TaskSettings | None = None,
    ) -> None:
        self._policy = policy
        self._db = db
        self._clock = clock
        self.settings = settings or TaskSettings()

    # --- producers ------------------------------------------------------------------------------

    def enqueue(
        self,
        ctx: RequestContext,
        task_type: str,
        task_input: Mapping[str, Any],
        *,
        type_name: str | None = None,
        artifact_id: str | None = None,
        exclusive: bool = False,
    ) -> dict[str, Any]:
        """Record a new pending task for the caller and return it as :meth:`show` does.

        ``exclusive``: refuse (Conflict) if the artifact has an unfinished task already. The
        check and the insert share one transaction that locks the artifact's row (SQLite: the
        database), so two requests at once cannot both pass it.
        """
        now = self._clock()
        row = TaskRow(
            id=str(uuid.uuid4()),
            type=task_type,
            status=PENDING,
            owner=ctx.project_id,
            user_id=ctx.user_id,
            roles=sorted(ctx.roles),
            request_id=ctx.request_id or None,
            type_name=type_name,
            artifact_id=artifact_id,
            input=dict(task_input),
            result=None,
            message="",
            progress=0,
            attempts=0,
            run_after=now,
            created_at=now,
            updated_at=now,
        )
        with self._db.write() as session:
            if exclusive and artifact_id is not None:
                if self._db.locks_rows:
                    session.get(ArtifactRow, artifact_id, with_for_update=True)
                busy = session.scalars(
                    select(TaskRow.id).where(
                        TaskRow.artifact_id == artifact_id, TaskRow.status.not_in(FINISHED)
                    )
                ).first()
                if busy is not None:
                    raise Conflict(
                        f"New operation on image '{artifact_id}' is not permitted as prior "
                        "operation is still in progress"
                    )
            session.add(row)
        return task_document(row)

    # --- readers --------------------------------------------------------------------------------

    def check_api_access(self, ctx: RequestContext) -> None:
        """The task list and a task by id are for administrators unless the policy says more."""
        self._policy.enforce(ctx, "task:api_access")

    def show(self, ctx: RequestContext, task_id: str) -> dict[str, Any]:
        """One task; only its project (or an administrator) may see it."""
        with self._db.read() as session:
            row = session.get(TaskRow, task_id)
            if row is None or not _visible(ctx, row) or self._expired(row):
                raise TaskNotFound(task_id)
            return task_document(row)

    def list_tasks(
        self,
        ctx: RequestContext,
        *,
        artifact_id: str | None = None,
        status: str | None = None,
        task_type: str | None = None,
        limit: int = 25,
        marker: str | None = None,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        """Tasks the caller may see, newest (or oldest) first: ``limit`` after ``marker``."""
        stmt = select(TaskRow).where(
            or_(TaskRow.expires_at.is_(None), TaskRow.expires_at > self._clock())
        )
        if not ctx.is_admin:
            stmt = stmt.where(TaskRow.owner == ctx.project_id)
        if artifact_id is not None:
            stmt = stmt.where(TaskRow.artifact_id == artifact_id)
        if status is not None:
            stmt = stmt.where(TaskRow.status == status)
        if task_type is not None:
            stmt = stmt.where(TaskRow.type == task_type)
        order = (TaskRow.created_at, TaskRow.id)
        with self._db.read() as session:
            if marker is not None:
                anchor = session.get(TaskRow, marker)
                if anchor is None or not _visible(ctx, anchor):
                    raise TaskNotFound(marker)
                after = and_(TaskRow.created_at == anchor.created_at, TaskRow.id > anchor.id)
                if newest_first:
                    after = and_(TaskRow.created_at == anchor.created_at, TaskRow.id < anchor.id)
                    stmt = stmt.where(or_(TaskRow.created_at < anchor.created_at, after))
                else:
                    stmt = stmt.where(or_(TaskRow.created_at > anchor.created_at, after))
            columns = [c.desc() for c in order] if newest_first else list(order)
            rows = session.scalars(stmt.order_by(*columns).limit(limit)).all()
            return [task_document(row) for row in rows]

    def active_for(self, artifact_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The unfinished task of each artifact that has one (the newest, if several)."""
        if not artifact_ids:
            return {}
        stmt = (
            select(TaskRow)
            .where(TaskRow.artifact_id.in_(artifact_ids), TaskRow.status.not_in(FINISHED))
            .order_by(TaskRow.created_at)
        )
        with self._db.read() as session:
            return {row.artifact_id or "": task_document(row) for row in session.scalars(stmt)}

    def _expired(self, row: TaskRow) -> bool:
        return row.expires_at is not None and _aware(row.expires_at) <= self._clock()

    # --- workers --------------------------------------------------------------------------------

    def claim(self, worker: str, task_types: tuple[str, ...]) -> Claim | None:
        """Take the oldest runnable task of these types for ``worker``, or None if there is none."""
        now = self._clock()
        runnable = or_(
            and_(TaskRow.status == PENDING, TaskRow.run_after <= now),
            and_(TaskRow.status == PROCESSING, TaskRow.lease_expires_at < now),
        )
        stmt = (
            select(TaskRow)
            .where(runnable, TaskRow.type.in_(task_types))
            .order_by(TaskRow.run_after, TaskRow.id)
            .limit(1)
        )
        if self._db.locks_rows:
            stmt = stmt.with_for_update(skip_locked=True)
        with self._db.write() as session:
            row = session.scalars(stmt).first()
            if row is None:
                return None
            row.status = PROCESSING
            row.lease_owner = worker
            row.lease_expires_at = now + self.settings.lease
            row.attempts += 1
            row.progress = 0
            row.updated_at = now
            return Claim(
                id=row.id,
                type=row.type,
                type_name=row.type_name,
                artifact_id=row.artifact_id,
                input=dict(row.input),
                attempts=row.attempts,
                ctx=RequestContext(
                    project_id=row.owner,
                    user_id=row.user_id,
                    roles=frozenset(row.roles or ()),
                    request_id=row.request_id or "",
                ),
            )

    def renew(self, claim: Claim, worker: str, *, progress: int | None = None) -> None:
        """Extend the lease (and record progress); raise LeaseLost if it was taken over."""
        now = self._clock()
        values: dict[str, Any] = {"lease_expires_at": now + self.settings.lease, "updated_at": now}
        if progress is not None:
            values["progress"] = progress
        with self._db.write() as session:
            done = session.execute(
                update(TaskRow)
                .where(
                    TaskRow.id == claim.id,
                    TaskRow.status == PROCESSING,
                    TaskRow.lease_owner == worker,
                )
                .values(**values)
            )
            if getattr(done, "rowcount", 1) == 0:
                raise LeaseLost(claim.id)

    def succeed(
        self, claim: Claim, worker: str, result: Mapping[str, Any], message: str = ""
    ) -> None:
        self._finish(claim, worker, status=SUCCESS, result=dict(result), message=message)

    def fail(self, claim: Claim, worker: str, message: str, *, retryable: bool) -> bool:
        """Record a failed attempt; return True if the task will be retried."""
        if retryable and claim.attempts < self.settings.max_attempts:
            now = self._clock()
            with self._db.write() as session:
                done = session.execute(
                    update(TaskRow)
                    .where(TaskRow.id == claim.id, TaskRow.lease_owner == worker)
                    .values(
                        status=PENDING,
                        message=message,
                        run_after=now + self.settings.backoff(claim.attempts),
                        lease_owner=None,
                        lease_expires_at=None,
                        updated_at=now,
                    )
                )
                if getattr(done, "rowcount", 1) == 0:
                    raise LeaseLost(claim.id)
            return True
        self._finish(claim, worker, status=FAILURE, result=None, message=message)
        return False

    def _finish(
        self,
        claim: Claim,
        worker: str,
        *,
        status: str,
        result: dict[str, Any] | None,
        message: str,
    ) -> None:
        now = self._clock()
        with self._db.write() as session:
            done = session.execute(
                update(TaskRow)
                .where(TaskRow.id == claim.id, TaskRow.lease_owner == worker)
                .values(
                    status=status,
                    result=result,
                    message=message,
                    lease_owner=None,
                    lease_expires_at=None,
                    updated_at=now,
                    expires_at=now + self.settings.time_to_live,
                )
            )
            if getattr(done, "rowcount", 1) == 0:
                raise LeaseLost(claim.id)


def _visible(ctx: RequestContext, row: TaskRow) -> bool:
    return ctx.is_admin or (ctx.project_id is not None and row.owner == ctx.project_id)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back naive; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else _aware(value).isoformat()


def task_document(row: TaskRow) -> dict[str, Any]:
    """A task as the engine hands it to the HTTP layer."""
    return {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "owner": row.owner,
        "user_id": row.user_id,
        "request_id": row.request_id,
        "type_name": row.type_name,
        "artifact_id": row.artifact_id,
        "input": dict(row.input or {}),
        "result": None if row.result is None else dict(row.result),
        "message": row.message or "",
        "progress": row.progress or 0,
        "attempts": row.attempts or 0,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "expires_at": _iso(row.expires_at),
    }
