"""Showing one artifact and listing many: visibility first, then policy, then rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from artifacts.db import list_plans, list_shapes, listing, reads, visibility
from artifacts.db.session import Database
from artifacts.engine.context import RequestContext
from artifacts.engine.policy import Policy, Target
from artifacts.engine.registry import ALL_TYPES, TypeRegistry
from artifacts.errors import ArtifactNotFound, InvalidInput
from artifacts.model import fields as f
from artifacts.model import lifecycle
from artifacts.model.base import ALL_TYPE_FIELDS, DISPLAY_TYPE_NAME_FIELD
from artifacts.model.query import (
    LATEST,
    RESERVED_PARAMS,
    ListQuery,
    parse_filters,
    parse_flag,
    parse_sort,
    split_sort,
)

from .rendering import DISPLAY_TYPE_NAME, render, render_common


@dataclass(frozen=True)
class ListLimits:
    default: int = 25
    maximum: int = 1000
    #: Matches a ``total_count`` counts before it stops (``Page.total_count_limited``); 0: all.
    count: int = 1_000
    #: Rows a bounded count with per-row filters examines at most (``ListCompiler.count``);
    #: 0: no bound. Only with ``count``: exact counts are exact.
    scan: int = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a listing; ``next_marker`` is set when more artifacts follow."""

    items: list[dict[str, Any]]
    next_marker: str | None
    query: ListQuery
    #: Every artifact matching the query (not only this page), when the query asked for it.
    total_count: int | None = None
    #: True when counting stopped at the count limit, or at the rows it may examine: at least
    #: ``total_count`` match.
    total_count_limited: bool = False


class ArtifactReader:
    """Reads for :class:`~artifacts.engine.artifacts.ArtifactService`, in read transactions."""

    def __init__(
        self, db: Database, types: TypeRegistry, policy: Policy, limits: ListLimits
    ) -> None:
        self._db = db
        self._types = types
        self._policy = policy
        self._limits = limits
        # Per service, hence per type registry: a shape names fields, whose SQL the types define.
        self._list_statements = list_shapes.StatementCache()

    def show(self, ctx: RequestContext, type_name: str, artifact_id: str) -> dict[str, Any]:
        scope = None if type_name == ALL_TYPES else self._types.get(type_name).name
        with self._db.read_statement() as connection:
            found = reads.artifact_with_blobs(connection, artifact_id, type_name=scope)
            if found is None or not visibility.is_visible(
                connection, found[0], ctx.project_id, ctx.is_admin
            ):
                raise ArtifactNotFound(artifact_id)
        row, blobs = found
        self._policy.enforce(ctx, "artifact:show", Target(owner=row.owner))
        if scope is None:
            if row.type_name not in self._types:
                raise ArtifactNotFound(artifact_id)
            # Through "all", an artifact is shown as the "all" schema describes it.
            return render_common(self._types, row)
        return render(self._types.get(row.type_name), row, blobs)

    def list(
        self,
        ctx: RequestContext,
        type_name: str,
        params: Sequence[tuple[str, str]],
        *,
        count: bool,
        count_up_to: int | None,
    ) -> Page:
        """See :meth:`artifacts.engine.artifacts.ArtifactService.list`."""
        # What needs no type is checked first, as Glare checks it: the limit, sort directions.
        single = _single_params(params)
        limit = self._parse_limit(single.get("limit"))
        split_sort(single.get("sort"))
        self._policy.enforce(ctx, "artifact:list")
        all_types = type_name == ALL_TYPES
        artifact_type = None if all_types else self._types.get(type_name)
        fields = {
            **(ALL_TYPE_FIELDS if artifact_type is None else artifact_type.fields),
            DISPLAY_TYPE_NAME: DISPLAY_TYPE_NAME_FIELD,
        }
        params, member_statuses = _member_statuses(params)
        query = _parse_list_query(params, single, fields, limit)
        compiler = listing.ListCompiler(
            self._db.dialect,
            fields,
            {t.name: t.display_name for t in self._types},
            self._list_statements,
        )
        # The page and its total_count answer the same question: who lists what, of which types.
        scope: dict[str, Any] = {
            "type_names": self._types.names() if all_types else [type_name],
            "query": query,
            "project_id": ctx.project_id,
            "is_admin": ctx.is_admin,
            "member_statuses": member_statuses,
        }
        count_limit = self._limits.count if count_up_to is None and self._limits.count else None
        scan = self._limits.scan if count_limit is not None and self._limits.scan else None
        complete = True
        with self._db.read() as session:
            # Core statements on the transaction's connection: the ORM would only wrap rows
            # that are rendered and dropped.
            connection = session.connection()
            list_plans.plan_for_values(connection, self._db.dialect, query)
            rows, more = compiler.select_page(connection, **scope)
            total = None
            if count or query.total_count:
                up_to = count_up_to if count_limit is None else count_limit + 1
                if query.marker is None and not more:
                    # The first page holds every match: it is the count.
                    total = len(rows) if up_to is None else min(len(rows), up_to)
                else:
                    counted = compiler.count(connection, **scope, up_to=up_to, scan=scan)
                    total, complete = counted
            if all_types:
                items = [render_common(self._types, row) for row in rows]
            else:
                assert artifact_type is not None
                blobs = reads.blobs_of(connection, [row.id for row in rows])
                items = [render(artifact_type, row, blobs[row.id]) for row in rows]
        next_marker = rows[-1].id if more and rows else None
        over = count_limit is not None and total is not None and total > count_limit
        return Page(
            items=items,
            next_marker=next_marker,
            query=query,
            total_count=count_limit if over else total,
            total_count_limited=over or not complete,
        )

    def _parse_limit(self, raw: str | None) -> int:
        """Glare's limit: a whole number from 0 (an empty page that still counts) to the cap."""
        if raw is None:
            return self._limits.default
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidInput(f"limit must be a whole number, not {raw!r}.") from None
        if limit < 0:
            raise InvalidInput("limit must not be negative.")
        return min(limit, self._limits.maximum)


def _parse_list_query(
    params: Sequence[tuple[str, str]],
    single: Mapping[str, str],
    fields: Mapping[str, f.Field],
    limit: int,
) -> ListQuery:
    return ListQuery(
        filters=parse_filters(params, fields),
        sort=parse_sort(single.get("sort"), fields),
        limit=limit,
        marker=single.get("marker"),
        latest=parse_flag("latest", single.get("latest"))
        or any(key == "version" and value == LATEST for key, value in params),
        total_count=parse_flag("total_count", single.get("total_count")),
    )


#: ``member_status`` values of a list → the memberships that bring shares into it (Glance's
#: parameter; a rejected share is hidden from its member, so it cannot be listed).
_MEMBER_STATUS_PARAM = "member_status"
_MEMBER_STATUSES: Mapping[str, tuple[str, ...]] = {
    lifecycle.ACCEPTED: (lifecycle.ACCEPTED,),
    lifecycle.PENDING: (lifecycle.PENDING,),
    "all": (lifecycle.ACCEPTED, lifecycle.PENDING),
}


def _single_params(params: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The parameters that shape a listing, each of which may be given once."""
    single: dict[str, str] = {}
    for name in RESERVED_PARAMS:
        values = [value for key, value in params if key == name]
        if len(values) > 1:
            raise InvalidInput(f"Query parameter {name!r} may be given only once.")
        if values:
            single[name] = values[0]
    return single


def _member_statuses(
    params: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """Split ``member_status`` off the list parameters (the rest are the query language)."""
    values = [value for key, value in params if key == _MEMBER_STATUS_PARAM]
    rest = [(key, value) for key, value in params if key != _MEMBER_STATUS_PARAM]
    if len(values) > 1:
        raise InvalidInput(f"Query parameter {_MEMBER_STATUS_PARAM!r} may be given only once.")
    if not values:
        return rest, _MEMBER_STATUSES[lifecycle.ACCEPTED]
    statuses = _MEMBER_STATUSES.get(values[0])
    if statuses is None:
        raise InvalidInput(
            f"{_MEMBER_STATUS_PARAM} must be one of {', '.join(_MEMBER_STATUSES)}, "
            f"not {values[0]!r}."
        )
    return rest, statuses
