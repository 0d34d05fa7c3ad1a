"""ArtifactService: the facade the front doors call to show, list, create, patch and delete.

Concurrency: every change runs in one write transaction that first locks the artifact's row
(``SELECT … FOR UPDATE`` on PostgreSQL, the database write lock taken by ``BEGIN IMMEDIATE`` on
SQLite), then reads, patches, validates and writes it. Two concurrent PATCHes of one artifact are
therefore applied one after the other, each to the other's result: no update is lost.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from artifacts.db import repository as repo
from artifacts.db.models import ArtifactRow
from artifacts.db.session import Database
from artifacts.engine.actions import available_actions
from artifacts.engine.blobs import DataRemover
from artifacts.engine.contents import ContentRefs
from artifacts.engine.context import RequestContext
from artifacts.engine.hooks import HookRunner
from artifacts.engine.policy import Policy
from artifacts.engine.registry import ArtifactType, TypeRegistry
from artifacts.model import lifecycle

from .changes import ArtifactWriter
from .deletion import ArtifactDeleter
from .reading import ArtifactReader, ListLimits, Page
from .rendering import render

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class ArtifactService:
    def __init__(
        self,
        db: Database,
        types: TypeRegistry,
        policy: Policy,
        *,
        limits: ListLimits | None = None,
        clock: Clock = utcnow,
        new_id: Callable[[], str] = new_uuid,
        remover: DataRemover | None = None,
        contents: ContentRefs | None = None,
        hooks: HookRunner | None = None,
    ) -> None:
        runner = hooks or HookRunner()
        self._db = db
        self._policy = policy
        self._reader = ArtifactReader(db, types, policy, limits or ListLimits())
        self._writer = ArtifactWriter(db, types, policy, hooks=runner, clock=clock, new_id=new_id)
        self._deleter = ArtifactDeleter(
            db, types, policy, hooks=runner, remover=remover, contents=contents
        )

    # --- reads ---------------------------------------------------------------------------------

    def show(self, ctx: RequestContext, type_name: str, artifact_id: str) -> dict[str, Any]:
        return self._reader.show(ctx, type_name, artifact_id)

    def actions(self, ctx: RequestContext, artifact: Mapping[str, Any]) -> frozenset[str]:
        """What ``ctx`` may do to ``artifact`` (as :meth:`show` rendered it); see engine.actions."""
        return available_actions(self._policy, ctx, artifact)

    def list(
        self,
        ctx: RequestContext,
        type_name: str,
        params: Sequence[tuple[str, str]],
        *,
        count: bool = False,
        count_up_to: int | None = None,
    ) -> Page:
        """List visible artifacts matching Glare query parameters, one page at a time.

        The page carries ``total_count`` when ``count`` is set (Glare's lists always do) or the
        query asks for it with ``total_count=true``: counting costs a query over every page.
        ``count_up_to`` bounds it (a front door that shows "more than N" need not count a
        million rows); without it the count stops past ``ListLimits.count`` matches, or, with
        filters tested row by row, after examining ``ListLimits.scan`` rows, and the page says so
        (``total_count_limited``), so no list reads every row of a large type.
        """
        return self._reader.list(ctx, type_name, params, count=count, count_up_to=count_up_to)

    # --- writes --------------------------------------------------------------------------------

    def create(
        self,
        ctx: RequestContext,
        type_name: str,
        body: Mapping[str, Any],
        *,
        artifact_id: str | None = None,
        visibility: str = lifecycle.PRIVATE,
    ) -> dict[str, Any]:
        """Create a drafted artifact; ``artifact_id`` and ``visibility`` are Glance's to choose
        (a client-chosen UUID, and a visibility the policy allows the caller to give)."""
        return self._writer.create(
            ctx, type_name, body, artifact_id=artifact_id, visibility=visibility
        )

    def update(
        self,
        ctx: RequestContext,
        type_name: str,
        artifact_id: str,
        patch: Any,
        *,
        drafts_may_share: bool = False,
    ) -> dict[str, Any]:
        """Apply an RFC 6902 JSON patch atomically, operation by operation (engine.patching).

        ``drafts_may_share`` lets a drafted artifact be shared or made public (Glance's rule
        for images); otherwise only an active one may (Glare's)."""
        return self._writer.update(
            ctx, type_name, artifact_id, patch, drafts_may_share=drafts_may_share
        )

    def delete(self, ctx: RequestContext, type_name: str, artifact_id: str) -> None:
        """Delete the artifact, then its blob data (what cannot be deleted becomes an orphan)."""
        self._deleter.delete(ctx, type_name, artifact_id)

    @staticmethod
    def render(session: Session, artifact_type: ArtifactType, row: ArtifactRow) -> dict[str, Any]:
        """Render one artifact with its blobs, inside the caller's transaction."""
        return render(artifact_type, row, repo.blobs_of(session, [row.id])[row.id])
