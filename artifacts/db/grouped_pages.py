"""Pages ordered by a type field and then by other keys, read one group of equal values at a time.

``sort=min_ram:desc,name:asc`` orders by ``min_ram`` and, among equal ``min_ram`` values (a
*group*), by name. No single index scan yields that order when the directions differ, and a
database given one statement sorts every row of the first group to return 25 of them: on a
catalog with few distinct values, a fifth of a type's rows. Read per group instead, each step is
an index walk that stops after the rows it needs:

1. the group's value: the first value of the field in the list's direction, beyond the last
   group read (a walk of ``ix_s_<type>_<field>`` that stops at the first visible match);
2. the group's rows in the order of the remaining keys (``name`` by
   ``ix_n_<type>_<field>``, ``created_at`` by ``ix_t_<type>_<field>``, each read forward or
   backward, so one index serves every combination of directions), after the marker on the
   marker's group, up to what the page still needs;

until the page is full. Missing values (NULL) form their own group, the smallest value: the
last group of a descending order, the first of an ascending one. Every statement carries the
same visibility and filter conditions as the list's single statement would, so a page holds
exactly its rows; only the way to them differs, and it depends on no planner statistics.

A page that spans many small groups would cost two statements per group; after
:data:`MAX_GROUPS` groups the rest of the page is read by one ordered statement over the values
beyond the last group read, which is cheap there (the database sorts small groups, and stops
once the page is full).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Connection, bindparam, select

from artifacts.model.query import ListQuery, SortKey

from .list_shapes import param
from .reads import ARTIFACT_COLUMNS, ArtifactRecord

if TYPE_CHECKING:
    from .listing import ListCompiler, _Scope

#: Groups read one by one before the rest of a page is read by a single ordered statement.
MAX_GROUPS = 4


@dataclass(frozen=True)
class _Group:
    """One value of the first sort key (``missing``: the group of rows without one)."""

    value: Any
    missing: bool


@dataclass
class GroupedPage:
    """One page of a list whose first sort key is a type field with more keys after it."""

    compiler: ListCompiler
    connection: Connection
    scope: _Scope
    query: ListQuery
    order: Sequence[SortKey]
    values: dict[str, Any]
    #: The statement shape of the list (its scope's and its query's, :mod:`.list_shapes`).
    shape: tuple[Hashable, Hashable | None]

    @property
    def first(self) -> SortKey:
        return self.order[0]

    def rows(self, found: tuple[Any, ...] | None) -> list[ArtifactRecord]:
        """Up to ``query.limit + 1`` rows after the marker whose sort values are ``found``."""
        remaining = self.query.limit + 1
        out: list[ArtifactRecord] = []
        if found is None:
            group = self._first_group()
            marked = None
        else:
            group = _Group(found[0], found[0] is None)
            marked = tuple(v is None for v in found[1:])
        read = 0
        while group is not None and remaining > 0:
            taken = self._group_rows(group, remaining, marked)
            out += taken
            remaining -= len(taken)
            read += 1
            marked = None
            if remaining > 0 and read == MAX_GROUPS:
                return out + self._beyond(group, remaining)
            if remaining > 0:
                group = self._next_group(group)
        return out

    def _first_group(self) -> _Group | None:
        # Missing values are the smallest: first when ascending, last when descending.
        if not self.first.descending:
            return _Group(None, missing=True)
        return self._value_beyond(None) or _Group(None, missing=True)

    def _next_group(self, group: _Group) -> _Group | None:
        if group.missing:
            return None if self.first.descending else self._value_beyond(None)
        found = self._value_beyond(group)
        if found is None and self.first.descending:
            return _Group(None, missing=True)
        return found

    def _value_beyond(self, group: _Group | None) -> _Group | None:
        """The next value present in the list's direction, beyond ``group`` (None: any value)."""
        compiler = self.compiler
        expr = compiler.sort_expression(self.first.field)
        values = dict(self.values)
        if group is not None:
            values["g"] = group.value

        def build() -> Any:
            conditions = self._conditions(values)
            conditions.append(self._bound(expr, group is not None, values))
            ordered = compiler.order_by([self.first])
            return select(expr).where(*conditions).order_by(*ordered).limit(1)

        key = ("group value", *self.shape, group is None)
        row = self.connection.execute(compiler.statement(key, build), values).first()
        return None if row is None else _Group(row[0], missing=False)

    def _group_rows(
        self, group: _Group, limit: int, marked: tuple[bool, ...] | None
    ) -> list[ArtifactRecord]:
        """The group's rows in the order of the other keys (after the marker when ``marked``)."""
        compiler = self.compiler
        expr = compiler.sort_expression(self.first.field)
        values = {**self.values, "limit": limit}
        if not group.missing:
            values["g"] = group.value

        def build() -> Any:
            conditions = self._conditions(values)
            if group.missing:
                conditions.append(expr.is_(None))
            else:
                conditions.append(expr == self._group_param(expr, values))
            if marked is not None:
                conditions.append(compiler.after(self.order, marked, values, start=1))
            return self._select(conditions, self.order[1:], values)

        key = ("group rows", *self.shape, group.missing, marked is None, marked or ())
        return self._fetch(key, build, values)

    def _beyond(self, group: _Group, limit: int) -> list[ArtifactRecord]:
        """Every row past ``group`` in the list's order, by one statement (see the module)."""
        if group.missing:
            if self.first.descending:
                return []
            return self._ordered_after(None, limit)
        # Descending, the rows without a value come last: after those with smaller values.
        out = self._ordered_after(group, limit)
        if self.first.descending and len(out) < limit:
            out += self._group_rows(_Group(None, missing=True), limit - len(out), None)
        return out

    def _ordered_after(self, group: _Group | None, limit: int) -> list[ArtifactRecord]:
        expr = self.compiler.sort_expression(self.first.field)
        values = {**self.values, "limit": limit}
        if group is not None:
            values["g"] = group.value

        def build() -> Any:
            conditions = self._conditions(values)
            conditions.append(self._bound(expr, group is not None, values))
            return self._select(conditions, self.order, values)

        return self._fetch(("group rest", *self.shape, group is None), build, values)

    def _conditions(self, values: dict[str, Any]) -> list[ColumnElement[bool]]:
        compiler = self.compiler
        return compiler.matching(compiler.base(self.scope, self.query), self.query, values)

    def _bound(self, expr: Any, beyond: bool, values: dict[str, Any]) -> ColumnElement[bool]:
        """Values past the group's (or, without one, any value): an index range, never an OR."""
        if not beyond:
            return cast(ColumnElement[bool], expr.is_not(None))
        param = self._group_param(expr, values)
        return cast(ColumnElement[bool], expr < param if self.first.descending else expr > param)

    @staticmethod
    def _group_param(expr: Any, values: dict[str, Any]) -> Any:
        return bindparam("g", values["g"], type_=expr.type)

    def _select(
        self, conditions: list[ColumnElement[bool]], order: Sequence[SortKey], values: Any
    ) -> Any:
        return (
            select(*ARTIFACT_COLUMNS)
            .where(*conditions)
            .order_by(*self.compiler.order_by(order))
            .limit(param("limit", values))
        )

    def _fetch(
        self, key: tuple[Any, ...], build: Callable[[], Any], values: dict[str, Any]
    ) -> list[ArtifactRecord]:
        stmt = self.compiler.statement(key, build)
        return [ArtifactRecord(*row) for row in self.connection.execute(stmt, values)]
