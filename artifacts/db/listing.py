"""Translating list queries into SQL.

Everything a list asks for (visibility, filters, order, pagination) becomes one SQL statement:
rows are never loaded to be filtered or sorted in Python. The filters' and sort keys' SQL is
:mod:`.list_filters`'; ``latest`` is compiled by :mod:`.version_sql`; statements are kept per
query shape (:mod:`.list_shapes`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)

from artifacts.errors import MarkerNotFound
from artifacts.model import fields as f
from artifacts.model.lifecycle import ACCEPTED
from artifacts.model.query import AND, RANGE_OP, Filter, ListQuery, SortKey

from . import keyset
from .grouped_pages import GroupedPage
from .list_filters import NOT_NULL, VERSION_BUILD, FilterCompiler, indexed_type_field
from .list_shapes import StatementCache, filter_shape, param
from .models import ArtifactRow
from .reads import ARTIFACT_COLUMNS, ArtifactRecord
from .version_sql import no_higher_version
from .visibility import asks_for_community, visible_to_caller


class ListCompiler(FilterCompiler):
    """Compile a :class:`ListQuery` for one type (or all types) into a SELECT.

    With a :class:`~.list_shapes.StatementCache` (one per service), each query shape is built
    once and its statement executed again with new values (see :mod:`.list_shapes`); without
    one, every call builds its statement.
    """

    def __init__(
        self,
        dialect: str,
        fields: Mapping[str, f.Field],
        display_names: Mapping[str, str] | None = None,
        statements: StatementCache | None = None,
    ) -> None:
        super().__init__(dialect, fields, display_names)
        self.statements = statements

    def select_page(
        self,
        connection: Connection,
        *,
        type_names: Sequence[str],
        query: ListQuery,
        project_id: str | None,
        is_admin: bool,
        member_statuses: Sequence[str] = (ACCEPTED,),
    ) -> tuple[list[ArtifactRecord], bool]:
        """Return up to ``query.limit`` rows and whether more follow."""
        scope = _Scope(tuple(type_names), project_id, is_admin, tuple(member_statuses))
        order = _with_tie_breaker(query.sort)
        found = None
        if query.marker is not None:
            found = self._marker_values(connection, query.marker, scope, query, order)
        values = self._values(scope, query)
        values["limit"] = query.limit + 1
        for i, value in enumerate(found or ()):
            values[f"m{i}"] = value
        if self.groups_first_key(order):
            shape = (scope.shape, _query_shape(query))
            page = GroupedPage(self, connection, scope, query, order, values, shape)
            rows = page.rows(found)
            return rows[: query.limit], len(rows) > query.limit
        missing = () if found is None else tuple(v is None for v in found)

        def build() -> Any:
            conditions = self.matching(self.base(scope, query), query, values)
            if found is not None:
                conditions.append(self.after(order, missing, values))
            return (
                select(*ARTIFACT_COLUMNS)
                .where(*conditions)
                .order_by(*self.order_by(order))
                .limit(param("limit", values))
            )

        stmt = self.statement(("page", scope.shape, _query_shape(query), missing), build)
        # Plain rows, not ORM instances: a page is rendered and dropped, never changed.
        rows = [ArtifactRecord(*row) for row in connection.execute(stmt, values)]
        return rows[: query.limit], len(rows) > query.limit

    def groups_first_key(self, order: Sequence[SortKey]) -> bool:
        """Whether a page in ``order`` is read group by group (:mod:`.grouped_pages`).

        So it is when the first key is a type field with per-type indexes and other keys
        follow it, except the id in its own direction (which its sort index yields).
        """
        if len(order) < 2 or not indexed_type_field(self.fields, order[0].field):
            return False
        return list(order[1:]) != [SortKey("id", order[0].descending)]

    def count(
        self,
        connection: Connection,
        *,
        type_names: Sequence[str],
        query: ListQuery,
        project_id: str | None,
        is_admin: bool,
        member_statuses: Sequence[str] = (ACCEPTED,),
        up_to: int | None = None,
        scan: int | None = None,
    ) -> Count:
        """Count the artifacts the query matches on all of its pages together.

        With ``up_to``, stop counting there: the scan ends after that many matches, so "more
        than N" costs about what a page of N does, however many rows match. With ``scan``, a
        query with filters no index serves, tested row by row (:meth:`_per_row`), examines at
        most that many rows matching its other conditions, and its count is the matches among them
        (incomplete when that many were examined): a rare combination of two common conditions
        would otherwise be counted by reading every row of the commoner one. On SQLite those
        are the newest rows.
        """
        scope = _Scope(tuple(type_names), project_id, is_admin, tuple(member_statuses))
        values = self._values(scope, query)
        if scan is not None and self.per_row_filters(query):
            values["scan"] = scan + 1  # one more: whether rows were left unexamined

            def build_scan() -> Any:
                residual: list[ColumnElement[bool]] = []
                conditions = self.matching(self.base(scope, query), query, values, residual)
                hit = case((and_(*residual), 1))
                examined = select(hit.label("hit")).where(*conditions)
                if self.dialect == "sqlite":
                    # The newest rows first: SQLite's planner then walks a created_at index,
                    # which carries the row tests (artifacts.db.type_indexes), rather than
                    # the narrowest index on type_name and every row from the table.
                    examined = examined.order_by(ArtifactRow.created_at.desc())
                rows = examined.limit(param("scan", values)).subquery()
                return select(func.count(), func.count(rows.c.hit)).select_from(rows)

            scan_shape = ("scan count", scope.shape, _query_shape(query))
            found = connection.execute(self.statement(scan_shape, build_scan), values).one()
            scanned, matched = found
            return Count(int(matched), complete=int(scanned) <= scan)
        if up_to is not None:
            values["up_to"] = up_to

        def build() -> Any:
            conditions = self.matching(self.base(scope, query), query, values)
            if up_to is None:
                return select(func.count()).select_from(ArtifactRow).where(*conditions)
            matches = select(ArtifactRow.id).where(*conditions).limit(param("up_to", values))
            return select(func.count()).select_from(matches.subquery())

        shape = ("count", scope.shape, _query_shape(query), up_to is None)
        return Count(int(connection.scalar(self.statement(shape, build), values) or 0), True)

    def per_row_filters(self, query: ListQuery) -> bool:
        """Whether a bounded count examines rows (see :meth:`count`): AND-ed per-row filters.

        Not with ``latest``, whose "no higher version" needs every filter of its rows.
        """
        return not query.latest and any(self._per_row(flt) for flt in query.filters)

    def _per_row(self, flt: Filter) -> bool:
        """A list or dict filter tested row by row, which no index serves.

        On SQLite that is every one (``json_each``); PostgreSQL's GIN indexes serve
        containment (``tags @> …``, ``metadata @> …``), an index condition like any other.
        """
        field = self.fields[flt.field]
        if flt.combiner != AND or not isinstance(field, f.List | f.Dict):
            return False
        if self.dialect != "postgresql":
            return True
        if isinstance(field, f.List):
            return flt.op == "neq"
        return self.containment_path(flt, field) is None

    def statement(self, shape: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """The cached statement of ``shape``, or a new one when a part of it is None."""
        if self.statements is None or None in shape:
            return build()
        return self.statements.get((self.dialect, *shape), build)

    def _values(self, scope: _Scope, query: ListQuery) -> dict[str, Any]:
        """Every value of the statement, by its bind parameter's name (see :mod:`.list_shapes`)."""
        values: dict[str, Any] = {"caller_project": scope.project_id}
        if len(scope.type_names) == 1:
            values["type_name"] = scope.type_names[0]
        else:
            values["type_names"] = list(scope.type_names)
        for i, flt in enumerate(query.filters):
            for j, value in enumerate(self.filter_values(flt)):
                values[f"f{i}_{j}"] = value
        return values

    @staticmethod
    def base(scope: _Scope, query: ListQuery) -> list[ColumnElement[bool]]:
        """What the caller may list at all: visible rows of the listed types."""
        visible = visible_to_caller(
            scope.project_id is None,
            scope.is_admin,
            community=asks_for_community(query.filters),
            member_statuses=scope.member_statuses,
        )
        base = [visible]
        if len(scope.type_names) == 1:
            base.append(ArtifactRow.type_name == bindparam("type_name", type_=String()))
        else:
            names = bindparam("type_names", type_=String(), expanding=True)
            base.append(ArtifactRow.type_name.in_(names))
        return base

    def matching(
        self,
        base: Sequence[ColumnElement[bool]],
        query: ListQuery,
        values: Mapping[str, Any],
        per_row: list[ColumnElement[bool]] | None = None,
    ) -> list[ColumnElement[bool]]:
        """The rows of every page: base, filters, and for ``latest`` the top version per name.

        The ``or`` filters are one group of alternatives, AND-ed with the rest, where the ``or``
        tags count as one alternative that wants all of them (Glare's grouping). With
        ``per_row``, the AND-ed list and dict filters go there instead (see :meth:`count`).
        """
        conditions = [*base]
        alternatives = []
        or_tags = []
        for i, flt in enumerate(query.filters):
            count = len(self.filter_values(flt))
            condition = self.filter_condition(
                flt, [param(f"f{i}_{j}", values) for j in range(count)]
            )
            if per_row is not None and self._per_row(flt):
                per_row.append(condition)
            elif flt.combiner == AND:
                conditions.append(condition)
            elif flt.field == "tags":
                or_tags.append(condition)
            else:
                alternatives.append(condition)
        if or_tags:
            alternatives.append(and_(*or_tags))
        if alternatives:
            conditions.append(or_(*alternatives))
        if query.latest:
            conditions.append(no_higher_version(conditions))
        return conditions

    def order_by(self, order: Sequence[SortKey]) -> list[Any]:
        # NULL sorts as the smallest value in both directions on both databases, which is what
        # the keyset condition in _after_marker assumes. Columns that are never NULL get no
        # NULLS clause: PostgreSQL walks a B-tree backwards only for plain "DESC" (which means
        # NULLS FIRST), so the clause would cost the index its use for ordering.
        clauses = []
        for key in order:
            expr = self.sort_expression(key.field)
            if key.field in NOT_NULL:
                clauses.append(expr.desc() if key.descending else expr.asc())
            else:
                clauses.append(
                    expr.desc().nulls_last() if key.descending else expr.asc().nulls_first()
                )
        return clauses

    def _marker_values(
        self,
        connection: Connection,
        marker: str,
        scope: _Scope,
        query: ListQuery,
        order: Sequence[SortKey],
    ) -> tuple[Any, ...]:
        """The marker row's sort values: where the page starts.

        Any artifact the caller may see marks a place, of whichever type (as in Glare).
        """
        community = asks_for_community(query.filters)

        def build() -> Any:
            visible = visible_to_caller(
                scope.project_id is None,
                scope.is_admin,
                community=community,
                member_statuses=scope.member_statuses,
            )
            exprs = [self.sort_expression(key.field) for key in order]
            return select(*exprs).where(ArtifactRow.id == bindparam("marker"), visible)

        shape = ("marker", scope.shape, community, tuple(order))
        values = {"marker": marker, "caller_project": scope.project_id}
        found = connection.execute(self.statement(shape, build), values).one_or_none()
        if found is None:
            raise MarkerNotFound(marker)
        return tuple(found)

    def after(
        self,
        order: Sequence[SortKey],
        missing: Sequence[bool],
        values: Mapping[str, Any],
        start: int = 0,
    ) -> ColumnElement[bool]:
        """Rows after the marker, whose values are the parameters ``m0``, ``m1``, …

        From ``start`` on: the keys before it are equal to the marker's (a group of
        :mod:`.grouped_pages`), and ``missing`` covers the keys from ``start``.
        """
        keys = order[start:]
        exprs = [self.sort_expression(key.field) for key in keys]
        found = [
            bindparam(f"m{start + i}", values[f"m{start + i}"], type_=cast(Any, expr).type)
            for i, expr in enumerate(exprs)
        ]
        not_null = [key.field in NOT_NULL for key in keys]
        descending = [key.descending for key in keys]
        return keyset.after(exprs, found, descending, not_null, missing)


class Count(NamedTuple):
    """A count of matches; not ``complete`` when it stopped at its ``scan`` bound."""

    matches: int
    complete: bool


@dataclass(frozen=True)
class _Scope:
    """Who lists which types: the part of a list's statement that is not its query."""

    type_names: tuple[str, ...]
    project_id: str | None
    is_admin: bool
    member_statuses: tuple[str, ...]

    @property
    def shape(self) -> Hashable:
        # One type is a parameter; several (``all``) are the registry's, in its order.
        types = len(self.type_names) if len(self.type_names) == 1 else self.type_names
        return (types, self.project_id is None, self.is_admin, self.member_statuses)


def _query_shape(query: ListQuery) -> Hashable | None:
    """The structure of a query's statement (see :mod:`.list_shapes`); None: not reusable.

    A version range compiles to intervals whose number and kinds depend on its bounds, so its
    statement is built per request.
    """
    if any(flt.op == RANGE_OP for flt in query.filters):
        return None
    return (
        tuple(filter_shape(flt) for flt in query.filters),
        query.sort,
        query.latest,
        asks_for_community(query.filters),
    )


def _with_tie_breaker(sort: Sequence[SortKey]) -> list[SortKey]:
    """Append the id, in the direction of the last key, so every order is total.

    Following the last key's direction keeps the order one an index on (…, id) can produce by
    a plain forward or backward scan. Versions of equal precedence are ordered by their build
    metadata, in the version key's direction, as Glare orders them.
    """
    order: list[SortKey] = []
    for key in sort:
        order.append(key)
        if key.field == "version":
            order.append(SortKey(VERSION_BUILD, key.descending))
    if any(key.field == "id" for key in order):
        return order
    return [*order, SortKey("id", descending=order[-1].descending if order else False)]
