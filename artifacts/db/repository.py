"""Reading and writing artifact rows, and translating list queries into SQL.

Everything a list asks for (visibility, filters, order, pagination) becomes one SQL statement:
rows are never loaded to be filtered or sorted in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Float,
    SQLColumnExpression,
    String,
    Table,
    and_,
    bindparam,
    case,
    collate,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import insert as insert_statement
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from artifacts.errors import DuplicateArtifact, MarkerNotFound
from artifacts.model import fields as f
from artifacts.model import ranges, semver
from artifacts.model.base import COMMON_FIELDS
from artifacts.model.lifecycle import (
    ACCEPTED,
    COMMUNITY,
    MEMBER_VISIBILITIES,
    PENDING,
    PUBLIC,
    SHARED,
)
from artifacts.model.query import AND, LIKE_ESCAPE, RANGE_OP, Filter, ListQuery, SortKey

from .models import ArtifactRow, BlobCopyRow, BlobRow, MemberRow, StagedDataRow
from .reads import ARTIFACT_COLUMNS, ARTIFACT_FIELD_NAMES, ArtifactRecord

#: The listed field that is computed from the type rather than stored.
DISPLAY_TYPE_NAME = "display_type_name"
#: Suffix of the hidden property holding a type-specific Version field's sort key.
VERSION_KEY_SUFFIX = "__sortkey"

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


# --- mapping between field values and rows -----------------------------------------------------


def row_values(
    type_name: str, values: Mapping[str, Any], fields: Mapping[str, f.Field]
) -> dict[str, Any]:
    """Return the column values storing an artifact's field values."""
    out: dict[str, Any] = {
        "type_name": type_name,
        "id": values["id"],
        "name": values["name"],
        "version": values["version"],
        "version_key": semver.sort_key(values["version"]),
        "owner": values["owner"],
        "visibility": values["visibility"],
        "status": values["status"],
        "description": values.get("description"),
        "tags": list(values.get("tags") or []),
        "metadata_": dict(values.get("metadata") or {}),
        "created_at": values["created_at"],
        "updated_at": values["updated_at"],
        "activated_at": values.get("activated_at"),
    }
    properties: dict[str, Any] = {}
    for name, field in fields.items():
        if name in COMMON_FIELDS or field.is_blob:
            continue
        value = values.get(name)
        properties[name] = _to_document(field, value)
        if isinstance(field, f.Version) and value is not None:
            properties[name + VERSION_KEY_SUFFIX] = semver.sort_key(value)
    out["properties"] = properties
    return out


def property_values(fields: Mapping[str, f.Field], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``properties`` entries storing some type-specific field values."""
    properties: dict[str, Any] = {}
    for name, value in updates.items():
        field = fields[name]
        if isinstance(field, f.Version):
            version = None if value is None else semver.normalize_version(value)
            properties[name] = version
            properties[name + VERSION_KEY_SUFFIX] = version and semver.sort_key(version)
        elif isinstance(field, f.DateTime) and isinstance(value, str):
            properties[name] = f.format_datetime(dt.datetime.fromisoformat(value))
        else:
            properties[name] = _to_document(field, value)
    return properties


def field_values(
    row: ArtifactRow | ArtifactRecord,
    fields: Mapping[str, f.Field],
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return an artifact's field values from its row (blob fields are filled by the caller).

    ``properties`` replaces the row's own when given (upgraded to the type's current version).
    """
    values: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "owner": row.owner,
        "visibility": row.visibility,
        "status": row.status,
        "description": row.description,
        "tags": list(row.tags),
        "metadata": dict(row.metadata_),
        "created_at": aware(row.created_at),
        "updated_at": aware(row.updated_at),
        "activated_at": aware(row.activated_at),
    }
    if properties is None:
        properties = row.properties or {}
    for name, field in fields.items():
        if name in COMMON_FIELDS or field.is_blob:
            continue
        value = properties[name] if name in properties else field.initial_value()
        values[name] = _from_document(field, value)
    return values


def _to_document(field: f.Field, value: Any) -> Any:
    if isinstance(field, f.DateTime) and value is not None:
        return f.format_datetime(value)
    return value


def _from_document(field: f.Field, value: Any) -> Any:
    if isinstance(field, f.DateTime) and value is not None:
        return dt.datetime.fromisoformat(value)
    return value


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


# --- single rows -------------------------------------------------------------------------------


def insert(session: Session, values: Mapping[str, Any]) -> ArtifactRecord:
    """Insert a new artifact with one INSERT, bypassing the unit of work.

    The row is written and returned, never changed in this transaction, so the ORM's identity
    map and flush bookkeeping would only lengthen the time a SQLite writer holds the lock.
    """
    record = ArtifactRecord(**values, revision=1)
    try:
        session.connection().execute(_INSERT, [_insert_parameters(record)])
    except IntegrityError as exc:
        raise _duplicate(values) from exc
    return record


_INSERT = insert_statement(cast(Table, ArtifactRow.__table__))


def _insert_parameters(record: ArtifactRecord) -> dict[str, Any]:
    """Column-keyed parameters (the record uses attribute names: ``metadata_``)."""
    return {
        column.key: getattr(record, name)
        for name, column in zip(ARTIFACT_FIELD_NAMES, ARTIFACT_COLUMNS, strict=True)
    }


def get(
    session: Session,
    artifact_id: str,
    *,
    type_name: str | None,
    for_update: bool = False,
) -> ArtifactRow | None:
    stmt = select(ArtifactRow).where(ArtifactRow.id == artifact_id)
    if type_name is not None:
        stmt = stmt.where(ArtifactRow.type_name == type_name)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def get_visible(
    session: Session,
    artifact_id: str,
    *,
    type_name: str | None,
    project_id: str | None,
    is_admin: bool,
    for_update: bool = False,
) -> ArtifactRow | None:
    """Return the artifact if the caller may see it; None whether it is missing or hidden.

    One answer for both cases is what keeps an invisible artifact indistinguishable from a
    missing one (a 404 either way).
    """
    row = get(session, artifact_id, type_name=type_name, for_update=for_update)
    if row is None or not is_visible(session, row, project_id, is_admin):
        return None
    return row


def update(session: Session, row: ArtifactRow, values: Mapping[str, Any]) -> None:
    for column, value in values.items():
        if column not in ("id", "type_name", "owner", "created_at"):
            setattr(row, column, value)
    row.revision += 1
    _flush(session, values)


def public_name_taken(
    session: Session, type_name: str, name: str, version: str, artifact_id: str
) -> bool:
    """Return whether another public artifact of the type has this name and version."""
    stmt = select(ArtifactRow.id).where(
        ArtifactRow.type_name == type_name,
        ArtifactRow.name == name,
        ArtifactRow.version == version,
        ArtifactRow.visibility == PUBLIC,
        ArtifactRow.id != artifact_id,
    )
    return session.scalars(stmt.limit(1)).first() is not None


def blobs_of(session: Session, artifact_ids: Sequence[str]) -> dict[str, list[BlobRow]]:
    """Return the blob records of several artifacts in one query."""
    found: dict[str, list[BlobRow]] = {artifact_id: [] for artifact_id in artifact_ids}
    if artifact_ids:
        stmt = select(BlobRow).where(BlobRow.artifact_id.in_(artifact_ids))
        for blob in session.scalars(stmt):
            found[blob.artifact_id].append(blob)
    return found


def import_locations(session: Session, artifact_id: str) -> list[tuple[str, str]]:
    """Where an artifact's staged data and further copies are (the rows go with the artifact,
    by cascade; the data must be removed by whoever deletes it)."""
    staged = select(StagedDataRow.store, StagedDataRow.location).where(
        StagedDataRow.artifact_id == artifact_id
    )
    copies = select(BlobCopyRow.store, BlobCopyRow.location).where(
        BlobCopyRow.artifact_id == artifact_id
    )
    return [
        (store, location) for stmt in (staged, copies) for store, location in session.execute(stmt)
    ]


def delete(session: Session, row: ArtifactRow) -> None:
    session.delete(row)
    session.flush()


def _flush(session: Session, values: Mapping[str, Any]) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise _duplicate(values) from exc


def _duplicate(values: Mapping[str, Any]) -> DuplicateArtifact:
    return DuplicateArtifact(
        f"An artifact named {values.get('name')!r} with version {values.get('version')!r} "
        "already exists for this owner."
    )


# --- visibility --------------------------------------------------------------------------------
#
# The one statement of who sees what (lifecycle.py says it in words). Two forms, kept side by side
# so they cannot drift: an SQL condition for lists and id lookups, and a Python check for a row
# already loaded. A test compares them over every visibility, caller and membership status.
#
#   caller \ visibility    private   shared               community                public
#   admin                  yes       yes                  yes                      yes
#   owner's project        yes       yes                  yes                      yes
#   member: accepted       -         yes                  yes                      yes
#   member: pending        -         by id                by id, community filter  yes
#   other project          -         -                    by id, community filter  yes
#   anonymous              -         -                    -                        yes


def visible_to(
    project_id: str | None,
    is_admin: bool,
    *,
    by_id: bool = False,
    community: bool = False,
    member_statuses: Sequence[str] = (ACCEPTED,),
) -> ColumnElement[bool]:
    """Condition on rows the caller may see.

    ``by_id`` is the rule for one artifact asked for by its id; otherwise the rule for lists,
    where ``community`` says the caller filtered for community artifacts explicitly (a default
    list holds only what the caller owns, accepted or may see publicly) and
    ``member_statuses`` which memberships bring shares into the list (accepted or pending: a
    rejected share is not visible at all).
    """
    return _visibility_condition(project_id, is_admin, by_id, community, tuple(member_statuses))


@functools.lru_cache(maxsize=4096)
def _visibility_condition(
    project_id: str | None,
    is_admin: bool,
    by_id: bool,
    community: bool,
    member_statuses: tuple[str, ...],
) -> ColumnElement[bool]:
    # Built once per caller shape and process: constructing this condition costs ~0.35 ms of
    # SQLAlchemy work, as much as the rest of a list page's statement, and a clause element is
    # immutable, so statements may share it. It holds no data, only the caller's project id.
    if is_admin:
        return true()
    public = ArtifactRow.visibility == PUBLIC
    if project_id is None:
        return public
    conditions = [ArtifactRow.owner == project_id, public]
    if by_id:
        conditions.append(ArtifactRow.visibility == COMMUNITY)
        conditions.append(
            and_(ArtifactRow.visibility == SHARED, _membership(project_id, (ACCEPTED, PENDING)))
        )
    else:
        conditions.append(
            and_(
                ArtifactRow.visibility.in_(MEMBER_VISIBILITIES),
                _membership(project_id, member_statuses),
            )
        )
        if community:
            conditions.append(ArtifactRow.visibility == COMMUNITY)
    return or_(*conditions)


def is_visible(
    session: Session | Connection,
    row: ArtifactRow | ArtifactRecord,
    project_id: str | None,
    is_admin: bool,
) -> bool:
    """Python twin of ``visible_to(..., by_id=True)`` for a row already loaded.

    The membership is looked up only when it decides the answer (a shared artifact of another
    project), so the common cases cost no query.
    """
    if is_admin or row.visibility == PUBLIC:
        return True
    if project_id is None:
        return False
    if row.owner == project_id or row.visibility == COMMUNITY:
        return True
    if row.visibility != SHARED:
        return False
    return membership_status(session, row.id, project_id) in (ACCEPTED, PENDING)


def membership_status(
    session: Session | Connection, artifact_id: str, project_id: str | None
) -> str | None:
    """Return the project's membership status for the artifact, or None without one."""
    if project_id is None:
        return None
    stmt = select(MemberRow.status).where(
        MemberRow.artifact_id == artifact_id, MemberRow.project_id == project_id
    )
    return session.scalars(stmt).one_or_none()


def asks_for_community(filters: Sequence[Filter]) -> bool:
    """Return whether a list filters on ``visibility`` for community artifacts explicitly."""
    for flt in filters:
        if flt.field != "visibility" or flt.op not in ("eq", "in"):
            continue
        values = flt.value if flt.op == "in" else (flt.value,)
        if COMMUNITY in values:
            return True
    return False


def _membership(project_id: str, statuses: Sequence[str]) -> ColumnElement[bool]:
    return (
        select(literal(1))
        .where(
            MemberRow.artifact_id == ArtifactRow.id,
            MemberRow.project_id == project_id,
            MemberRow.status.in_(statuses),
        )
        .exists()
    )


# --- lists -------------------------------------------------------------------------------------


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
            conditions.append(_no_higher_version(conditions))
        return conditions

    # filters

    def filter_condition(self, flt: Filter) -> ColumnElement[bool]:
        field = self.fields[flt.field]
        if flt.op == RANGE_OP:
            return _in_version_set(self.sort_expression(flt.field), flt.value)
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
                return or_(false(), *(self._has_key(document, key) for key in keys))
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
        if isinstance(field, f.List) or not isinstance(kind, _CONTAINABLE):
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
        """Return the SQL expression and the query value in the same (sortable) representation."""
        convert: Callable[[Any], str]
        if isinstance(field, f.Version):
            convert = semver.sort_key
            expr = self.sort_expression(name)
        elif isinstance(field, f.DateTime) and name not in COMMON_FIELDS:
            convert = f.format_datetime
            expr = self.sort_expression(name)
        else:
            return self.sort_expression(name), value
        converted = tuple(convert(v) for v in value) if isinstance(value, tuple) else convert(value)
        return expr, converted

    def _list_membership(self, flt: Filter) -> ColumnElement[bool]:
        """``eq``/``in``: the list holds the value (one of them); ``neq``: an element differs."""
        document = self._document(flt.field)
        if flt.op == "neq":
            return self._has_other(document, flt.value)
        values = flt.value if flt.op == "in" else (flt.value,)
        return or_(false(), *(self._contains(document, value) for value in values))

    def _has_other(self, document: Any, value: Any) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            text = func.jsonb_array_elements_text(type_coerce(document, JSONB))
            elements = text.table_valued("value")
            element = elements.c.value != (value if isinstance(value, str) else json.dumps(value))
        else:
            elements = func.json_each(document).table_valued("value")
            element = elements.c.value != value
        return select(literal(1)).select_from(elements).where(element).exists()

    def _contains(self, document: Any, value: Any) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            contains: ColumnElement[bool] = type_coerce(document, JSONB).contains([value])
            return contains
        elements = func.json_each(document).table_valued("value")
        return select(literal(1)).select_from(elements).where(elements.c.value == value).exists()

    def _has_key(self, document: Any, key: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return type_coerce(document, JSONB).has_key(key)
        entries = func.json_each(document).table_valued("key", "value")
        return select(literal(1)).select_from(entries).where(entries.c.key == key).exists()

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
        return type_coerce(value, _SQL_TYPES.get(type(kind), String()))

    def _document(self, name: str) -> Any:
        if name in COMMON_FIELDS:
            return _COLUMNS[name]
        return self._property(name)

    def _property(self, name: str) -> Any:
        """``properties -> 'name'``, with the field name written into the SQL on PostgreSQL.

        A bound key would leave PostgreSQL a parameter where a per-type expression index
        (artifacts.db.type_indexes) has the constant, so a generic plan could not use the index.
        Field names are lowercase identifiers (the registry checks), safe as literals.
        """
        if self.dialect == "postgresql":
            document = type_coerce(ArtifactRow.properties, JSONB)
            return document[bindparam(None, name, literal_execute=True)]
        return ArtifactRow.properties[name]

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
        if isinstance(field, f.Version):
            key = self._typed(self._property(name + VERSION_KEY_SUFFIX), field)
            # Keys compare bytewise; ->> yields text in the database's default collation.
            return collate(key, "C") if self.dialect == "postgresql" else key
        return self._typed(self._property(name), field)

    def _typed(self, element: Any, field: f.Field) -> SQLColumnExpression[Any]:
        """A JSON value as the SQL type of its kind (text for strings, datetimes and keys).

        On PostgreSQL text is plain ``->>``: a CAST to VARCHAR on top would hide the expression
        from the statistics ANALYZE gathers on a per-type expression index, and the planner
        would guess its selectivity.
        """
        text = element.astext if self.dialect == "postgresql" else element.as_string()
        if isinstance(field, f.Integer):
            # as_integer() casts to a 32-bit INTEGER on PostgreSQL; our integers are 64-bit.
            return sql_cast(text, BigInteger)
        if isinstance(field, f.Float):
            return element.as_float()
        if isinstance(field, f.Boolean):
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
        if all(key.field in _NOT_NULL for key in order) and len({k.descending for k in order}) == 1:
            # One direction, no NULLs: a row-value comparison, which PostgreSQL turns into an
            # index range on (…, id) rather than a filter.
            row, at_marker = tuple_(*exprs), tuple_(*found)
            return row < at_marker if order[0].descending else row > at_marker
        alternatives = []
        for i, key in enumerate(order):
            equal_before = [_equals(exprs[j], found[j]) for j in range(i)]
            alternatives.append(and_(*equal_before, _beyond(exprs[i], found[i], key.descending)))
        # The same condition once more, loosened to the first key alone, which an index on that
        # key can serve as a range bound (the OR above it cannot).
        first = order[0]
        at_or_beyond = _at_or_beyond(
            exprs[0], found[0], first.descending, nullable=first.field not in _NOT_NULL
        )
        return and_(at_or_beyond, or_(*alternatives))


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


def _equals(expr: SQLColumnExpression[Any], value: Any) -> ColumnElement[bool]:
    return expr.is_(None) if value is None else expr == value


def _beyond(expr: SQLColumnExpression[Any], value: Any, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after ``value`` in the order, with NULL as the smallest value."""
    if descending:
        return false() if value is None else or_(expr < value, expr.is_(None))
    return expr.is_not(None) if value is None else expr > value


def _nested(path: Sequence[str], value: Any) -> Any:
    """``["a", "b"], 1`` -> ``{"a": {"b": 1}}``: the document a containment test looks for."""
    for name in reversed(path):
        value = {name: value}
    return value


def _at_or_beyond(
    expr: SQLColumnExpression[Any], value: Any, descending: bool, *, nullable: bool
) -> ColumnElement[bool]:
    """Rows at or after ``value`` in the order, with NULL as the smallest value."""
    if value is None:
        return expr.is_(None) if descending else true()
    if descending:
        return or_(expr <= value, expr.is_(None)) if nullable else expr <= value
    return expr >= value


def _no_higher_version(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """No other row of its type matching ``conditions`` has the same name and a higher version.

    As in Glare, every row at the highest precedence stays: the builds of the top version
    (``1.0.0+b1`` and ``1.0.0+b2``) and the same version from two owners are all listed. The
    conditions are re-applied to the competing row, so "highest" means among what the caller
    sees and the filters keep, and the answer is the same on every page. Names are compared
    within a type (Glare compares across the types of ``all``: deviation ``latest-per-type``).
    """
    newer = ArtifactRow.__table__.alias("newer")
    adapt = ClauseAdapter(newer).traverse
    mine, theirs = ArtifactRow, newer.c
    higher = theirs.version_key > mine.version_key
    competitors = (
        select(literal(1))
        .select_from(newer)
        .where(
            theirs.type_name == mine.type_name,
            theirs.name == mine.name,
            higher,
            *(adapt(condition) for condition in conditions),
        )
    )
    return not_(competitors.exists())


def _in_version_set(
    key: SQLColumnExpression[Any], versions: ranges.VersionSet
) -> ColumnElement[bool]:
    """Condition on a version sort key: the key lies in the set's release or pre-release part.

    Intervals common to both parts need no test of the kind of version; the rest are tested
    with ``LIKE '%~'`` (release keys end with "~") after the index has narrowed the range.
    """
    common = ranges.intersect(versions.releases, versions.prereleases)
    only_releases = ranges.difference(versions.releases, versions.prereleases)
    only_prereleases = ranges.difference(versions.prereleases, versions.releases)
    is_release = key.like("%" + semver.RELEASE_MARK)
    parts = [
        *(_in_interval(key, interval) for interval in common),
        *(and_(_in_interval(key, i), is_release) for i in only_releases),
        *(and_(_in_interval(key, i), not_(is_release)) for i in only_prereleases),
    ]
    return or_(*parts) if parts else false()


def _in_interval(
    key: SQLColumnExpression[Any], interval: ranges.KeyInterval
) -> ColumnElement[bool]:
    if interval.low is not None and interval.low == interval.high:
        return key == interval.low
    bounds: list[ColumnElement[bool]] = []
    if interval.low is not None:
        bounds.append(key >= interval.low if interval.low_inclusive else key > interval.low)
    if interval.high is not None:
        bounds.append(key <= interval.high if interval.high_inclusive else key < interval.high)
    return and_(*bounds) if bounds else key.is_not(None)


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


#: Kinds whose equality is JSON equality, so ``@>`` can stand in for ``=`` (see _as_containment).
_CONTAINABLE = (f.String, f.Integer, f.Boolean, f.Link)

_SQL_TYPES: dict[type[f.Field], Any] = {
    f.Integer: BigInteger(),
    f.Float: Float(),
    f.Boolean: Boolean(),
}
