"""Translating list queries into SQL.

Everything a list asks for (visibility, filters, order, pagination) becomes one SQL statement:
rows are never loaded to be filtered or sorted in Python. What differs between field kinds (the
SQL type a value compares as, its sort key, whether JSON containment is its equality) is asked
of the kind; version ranges and ``latest`` are compiled by :mod:`.version_sql`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    SQLColumnExpression,
    String,
    and_,
    bindparam,
    case,
    collate,
    false,
    func,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from artifacts.errors import MarkerNotFound
from artifacts.model import fields as f
from artifacts.model import semver
from artifacts.model.base import COMMON_FIELDS
from artifacts.model.lifecycle import ACCEPTED
from artifacts.model.query import AND, LIKE_ESCAPE, RANGE_OP, Filter, ListQuery, SortKey

from . import json_sql, keyset
from .models import ArtifactRow
from .reads import ARTIFACT_COLUMNS, ArtifactRecord
from .version_sql import in_version_set, no_higher_version
from .visibility import asks_for_community, visible_to

#: The listed field that is computed from the type rather than stored.
DISPLAY_TYPE_NAME = "display_type_name"

_COLUMNS: dict[str, Any] = {
    "id": ArtifactRow.id,
    "name": ArtifactRow.name,
    "version": ArtifactRow.version,
    "owner": ArtifactRow.owner,
    "visibility": ArtifactRow.visibility,
    "status": ArtifactRow.status,
    "description": ArtifactRow.description,
    "tags": ArtifactRow.tags,
    "metadata": ArtifactRow.metadata_,
    "created_at": ArtifactRow.created_at,
    "updated_at": ArtifactRow.updated_at,
    "activated_at": ArtifactRow.activated_at,
    # Listed, filtered and sorted through "all" only (the all type's own field).
    "type_name": ArtifactRow.type_name,
}
#: The order among versions of equal precedence (builds: ``1.0.0`` < ``1.0.0+b1`` < ``1.0.0+b2``),
#: as Glare sorts them: by the version's text, which then differs only in its build metadata.
#: Not a field: every sort by ``version`` is followed by it (see :func:`_with_tie_breaker`).
_VERSION_BUILD = "version+build"
#: Sort expressions that are never NULL, so keyset conditions on them need no NULL branches.
_NOT_NULL = frozenset(
    {
        "id",
        "name",
        "version",
        _VERSION_BUILD,
        "owner",
        "visibility",
        "status",
        "created_at",
        "updated_at",
        "type_name",
        DISPLAY_TYPE_NAME,
    }
)
#: Columns that hold a kind's sort key rather than the value itself (``version_key``).
_KEY_COLUMNS = frozenset({"version"})


class ListCompiler:
    """Compile a :class:`ListQuery` for one type (or all types) into a SELECT."""

    def __init__(
        self,
        dialect: str,
        fields: Mapping[str, f.Field],
        display_names: Mapping[str, str] | None = None,
    ) -> None:
        self.dialect = dialect
        self.fields = fields
        #: Type name -> display name, for ``display_type_name`` (which no column stores).
        self.display_names = display_names or {}

    def select_page(
        self,
        session: Session,
        *,
        type_names: Sequence[str],
        query: ListQuery,
        project_id: str | None,
        is_admin: bool,
        member_statuses: Sequence[str] = (ACCEPTED,),
    ) -> tuple[list[ArtifactRecord], bool]:
        """Return up to ``query.limit`` rows and whether more follow."""
        base = self._base(type_names, query, project_id, is_admin, member_statuses)
        conditions = self._matching(base, query)
        order = _with_tie_breaker(query.sort)
        if query.marker is not None:
            conditions.append(self._after_marker(session, query.marker, base, order))
        stmt = (
            select(*ARTIFACT_COLUMNS)
            .where(*conditions)
            .order_by(*self._order_by(order))
            .limit(query.limit + 1)
        )
        # Plain rows, not ORM instances: a page is rendered and dropped, never changed.
        rows = [ArtifactRecord(*row) for row in session.execute(stmt)]
        return rows[: query.limit], len(rows) > query.limit

    def count(
        self,
        session: Session,
        *,
        type_names: Sequence[str],
        query: ListQuery,
        project_id: str | None,
        is_admin: bool,
        member_statuses: Sequence[str] = (ACCEPTED,),
        up_to: int | None = None,
    ) -> int:
        """Return how many artifacts the query matches on all of its pages together.

        With ``up_to``, stop counting there: the scan ends after that many matches, so "more
        than N" costs about what a page of N does, however many rows match.
        """
        base = self._base(type_names, query, project_id, is_admin, member_statuses)
        conditions = self._matching(base, query)
        if up_to is None:
            stmt = select(func.count()).select_from(ArtifactRow).where(*conditions)
        else:
            matches = select(ArtifactRow.id).where(*conditions).limit(up_to).subquery()
            stmt = select(func.count()).select_from(matches)
        return int(session.scalar(stmt) or 0)

    @staticmethod
    def _base(
        type_names: Sequence[str],
        query: ListQuery,
        project_id: str | None,
        is_admin: bool,
        member_statuses: Sequence[str],
    ) -> list[ColumnElement[bool]]:
        """What the caller may list at all: visible rows of the listed types."""
        visible = visible_to(
            project_id,
            is_admin,
            community=asks_for_community(query.filters),
            member_statuses=member_statuses,
        )
        base = [visible]
        if len(type_names) == 1:
            base.append(ArtifactRow.type_name == type_names[0])
        else:
            base.append(ArtifactRow.type_name.in_(type_names))
        return base

    def _matching(
        self, base: Sequence[ColumnElement[bool]], query: ListQuery
    ) -> list[ColumnElement[bool]]:
        """The rows of every page: base, filters, and for ``latest`` the top version per name.

        The ``or`` filters are one group of alternatives, AND-ed with the rest, where the ``or``
        tags count as one alternative that wants all of them (Glare's grouping).
        """
        conditions = [*base]
        alternatives = []
        or_tags = []
        for flt in query.filters:
            condition = self.filter_condition(flt)
            if flt.combiner == AND:
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

    # filters

    def filter_condition(self, flt: Filter) -> ColumnElement[bool]:
        field = self.fields[flt.field]
        if flt.op == RANGE_OP:
            return in_version_set(self.sort_expression(flt.field), flt.value)
        if flt.op == f.LIKE_OP:
            return self.sort_expression(flt.field).ilike(flt.value, escape=LIKE_ESCAPE)
        if isinstance(field, f.Version) and flt.op in ("eq", "neq", "in"):
            return self._version_equality(flt)
        contained = self._as_containment(flt, field)
        if contained is not None:
            return contained
        if isinstance(field, f.List):
            return self._list_membership(flt)
        if isinstance(field, f.Dict):
            document = self._document(flt.field)
            if flt.key_exists:
                keys = flt.value if flt.op == "in" else (flt.value,)
                return or_(
                    false(), *(json_sql.has_key(self.dialect, document, key) for key in keys)
                )
            assert flt.key is not None
            expr = self._dict_value(flt.field, flt.key, field.element)
            return _compare(expr, flt.op, flt.value)
        expr, value = self._comparable(flt.field, field, flt.value)
        if flt.or_missing:
            return or_(_compare(expr, flt.op, value), expr.is_(None))
        return _compare(expr, flt.op, value)

    def _as_containment(self, flt: Filter, field: f.Field) -> ColumnElement[bool] | None:
        """On PostgreSQL, equality inside a JSON document as ``@>``, which a GIN index serves.

        ``os_distro=ubuntu`` becomes ``properties @> '{"os_distro": "ubuntu"}'``,
        ``metadata.os=linux`` ``metadata @> '{"os": "linux"}'``: exactly the same rows as
        comparing the extracted value, for the kinds whose JSON equality is their equality (not
        floats, datetimes or versions, which compare by their own rules). Sortable type fields
        are the exception: they keep the extracted form, which their per-type B-tree index
        matches.
        """
        if self.dialect != "postgresql" or flt.op not in ("eq", "in") or flt.key_exists:
            return None
        kind = field.element if isinstance(field, f.Dict) and flt.key is not None else field
        if isinstance(field, f.List) or not kind.json_equality:
            return None
        if flt.field in COMMON_FIELDS and flt.key is None:
            return None  # a real column: its B-tree index serves equality
        if flt.key is None and field.sortable:
            return None  # served by its per-type expression index (artifacts.db.type_indexes)
        values = flt.value if flt.op == "in" else (flt.value,)
        document: Any = ArtifactRow.properties
        path = [flt.field] if flt.key is None else [flt.field, flt.key]
        if flt.field in COMMON_FIELDS:  # a common dict column such as metadata
            document, path = _COLUMNS[flt.field], path[1:]
        return or_(*(type_coerce(document, JSONB).contains(_nested(path, v)) for v in values))

    def _version_equality(self, flt: Filter) -> ColumnElement[bool]:
        """Compare by precedence, except that a value with build metadata must match exactly.

        ``version=1.0.0`` finds 1.0.0+b5 as well (SemVer: the same precedence), while
        ``version=1.0.0+b5`` finds only that build.
        """
        values = flt.value if flt.op == "in" else (flt.value,)
        key = self.sort_expression(flt.field)
        text = (
            ArtifactRow.version
            if flt.field == "version"
            else self._typed(self._property(flt.field), self.fields[flt.field])
        )
        matches = or_(
            *(
                and_(key == semver.sort_key(v), text == v)
                if "+" in v
                else key == semver.sort_key(v)
                for v in values
            )
        )
        if flt.op == "neq":
            return and_(key.is_not(None), not_(matches))
        return matches

    def _comparable(
        self, name: str, field: f.Field, value: Any
    ) -> tuple[SQLColumnExpression[Any], Any]:
        """Return the SQL expression and the query value in the same (sortable) representation.

        A column holds values of their own SQL type; a document entry (or the version key)
        holds the form the field's kind stores and sorts by.
        """
        expr = self.sort_expression(name)
        if name in _COLUMNS and name not in _KEY_COLUMNS:
            return expr, value
        convert = field.sort_value
        converted = tuple(convert(v) for v in value) if isinstance(value, tuple) else convert(value)
        return expr, converted

    def _list_membership(self, flt: Filter) -> ColumnElement[bool]:
        """``eq``/``in``: the list holds the value (one of them); ``neq``: an element differs."""
        document = self._document(flt.field)
        if flt.op == "neq":
            return json_sql.has_other(self.dialect, document, flt.value)
        values = flt.value if flt.op == "in" else (flt.value,)
        return or_(false(), *(json_sql.contains(self.dialect, document, value) for value in values))

    def _dict_value(self, name: str, key: str, kind: f.Field) -> SQLColumnExpression[Any]:
        """The value under ``key`` of a dict field, typed as the dict's value kind.

        On SQLite the key is matched through ``json_each`` rather than spliced into a JSON
        path, so any key (quotes, dots, backslashes) works and stays a bound parameter.
        """
        document = self._document(name)
        if self.dialect == "postgresql":
            return self._typed(type_coerce(document, JSONB)[key], kind)
        entries = func.json_each(document).table_valued("key", "value")
        value = select(entries.c.value).where(entries.c.key == key).scalar_subquery()
        return type_coerce(value, _SQL_TYPES[kind.sql_type])

    def _document(self, name: str) -> Any:
        if name in COMMON_FIELDS:
            return _COLUMNS[name]
        return self._property(name)

    def _property(self, name: str) -> Any:
        """``properties -> 'name'``, with the field name written into the SQL.

        A bound key would leave the database a parameter where a per-type expression index
        (artifacts.db.type_indexes) has the constant: PostgreSQL's generic plans and SQLite's
        planner (which matches an index expression only to an identical expression) could
        not use the index. On SQLite the literal is the JSON path ``$."name"``, as
        ``json_extract`` takes it. Field names are lowercase identifiers (the registry
        checks), safe as literals.
        """
        if self.dialect == "postgresql":
            document = type_coerce(ArtifactRow.properties, JSONB)
            return document[bindparam(None, name, literal_execute=True)]
        path = bindparam(None, f'$."{name}"', type_=String(), literal_execute=True)
        return ArtifactRow.properties[path]

    # ordering

    def sort_expression(self, name: str) -> SQLColumnExpression[Any]:
        if name == "version":
            return ArtifactRow.version_key
        if name == _VERSION_BUILD:
            text = ArtifactRow.version
            return collate(text, "C") if self.dialect == "postgresql" else text
        if name == DISPLAY_TYPE_NAME:
            return case(
                self.display_names, value=ArtifactRow.type_name, else_=ArtifactRow.type_name
            )
        if name in _COLUMNS:
            return _COLUMNS[name]
        field = self.fields[name]
        expr = self._typed(self._property(field.sort_entry(name)), field)
        if field.sort_collation is not None and self.dialect == "postgresql":
            # ->> yields text in the database's default collation, which the kind's keys
            # must not be ordered by.
            return collate(expr, field.sort_collation)
        return expr

    def _typed(self, element: Any, field: f.Field) -> SQLColumnExpression[Any]:
        """A JSON value as the SQL type of its kind (text for strings, datetimes and keys).

        On PostgreSQL text is plain ``->>``: a CAST to VARCHAR on top would hide the expression
        from the statistics ANALYZE gathers on a per-type expression index, and the planner
        would guess its selectivity.
        """
        text = element.astext if self.dialect == "postgresql" else element.as_string()
        match field.sql_type:
            case "bigint":
                # as_integer() casts to a 32-bit INTEGER on PostgreSQL; our integers are 64-bit.
                return sql_cast(text, BigInteger)
            case "float":
                return element.as_float()
            case "boolean":
                return element.as_boolean()
        return text

    def _order_by(self, order: Sequence[SortKey]) -> list[Any]:
        # NULL sorts as the smallest value in both directions on both databases, which is what
        # the keyset condition in _after_marker assumes. Columns that are never NULL get no
        # NULLS clause: PostgreSQL walks a B-tree backwards only for plain "DESC" (which means
        # NULLS FIRST), so the clause would cost the index its use for ordering.
        clauses = []
        for key in order:
            expr = self.sort_expression(key.field)
            if key.field in _NOT_NULL:
                clauses.append(expr.desc() if key.descending else expr.asc())
            else:
                clauses.append(
                    expr.desc().nulls_last() if key.descending else expr.asc().nulls_first()
                )
        return clauses

    def _after_marker(
        self,
        session: Session,
        marker: str,
        base: Sequence[ColumnElement[bool]],
        order: Sequence[SortKey],
    ) -> ColumnElement[bool]:
        exprs = [self.sort_expression(key.field) for key in order]
        # Any artifact the caller may see marks a place, of whichever type (as in Glare): its
        # values say where the page starts. base[0] is the visibility condition.
        found = session.execute(
            select(*exprs).where(ArtifactRow.id == marker, base[0])
        ).one_or_none()
        if found is None:
            raise MarkerNotFound(marker)
        not_null = [key.field in _NOT_NULL for key in order]
        return keyset.after(exprs, tuple(found), [key.descending for key in order], not_null)


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
            order.append(SortKey(_VERSION_BUILD, key.descending))
    if any(key.field == "id" for key in order):
        return order
    return [*order, SortKey("id", descending=order[-1].descending if order else False)]


def _nested(path: Sequence[str], value: Any) -> Any:
    """``["a", "b"], 1`` -> ``{"a": {"b": 1}}``: the document a containment test looks for."""
    for name in reversed(path):
        value = {name: value}
    return value


def _compare(expr: SQLColumnExpression[Any], op: str, value: Any) -> ColumnElement[bool]:
    """SQL's comparison: a missing value (NULL) matches no operator, ``neq`` included (Glare)."""
    if op == "eq":
        return expr == value
    if op == "neq":
        return expr != value
    if op == "in":
        return expr.in_(value)
    if op == "gt":
        return expr > value
    if op == "gte":
        return expr >= value
    if op == "lt":
        return expr < value
    return expr <= value


#: The SQL type a document value of each kind's ``sql_type`` is read as (SQLite's json_each).
_SQL_TYPES: dict[f.SqlType, Any] = {
    "text": String(),
    "bigint": BigInteger(),
    "float": Float(),
    "boolean": Boolean(),
}
