"""Reading and writing artifact rows, and translating list queries into SQL.

Everything a list asks for (visibility, filters, order, pagination) becomes one SQL statement:
rows are never loaded to be filtered or sorted in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    SQLColumnExpression,
    String,
    Table,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import insert as insert_statement
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from artifacts.errors import DuplicateArtifact, InvalidMarker
from artifacts.model import fields as f
from artifacts.model import semver
from artifacts.model.base import COMMON_FIELDS
from artifacts.model.lifecycle import PUBLIC
from artifacts.model.query import Filter, ListQuery, SortKey

from .models import ArtifactRow, BlobRow
from .reads import ARTIFACT_COLUMNS, ARTIFACT_FIELD_NAMES, ArtifactRecord

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
}


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


def field_values(
    row: ArtifactRow | ArtifactRecord, fields: Mapping[str, f.Field]
) -> dict[str, Any]:
    """Return an artifact's field values from its row (blob fields are filled by the caller)."""
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


def update(session: Session, row: ArtifactRow, values: Mapping[str, Any]) -> None:
    for column, value in values.items():
        if column not in ("id", "type_name", "owner", "created_at"):
            setattr(row, column, value)
    row.revision += 1
    _flush(session, values)


def blobs_of(session: Session, artifact_ids: Sequence[str]) -> dict[str, list[BlobRow]]:
    """Return the blob records of several artifacts in one query."""
    found: dict[str, list[BlobRow]] = {artifact_id: [] for artifact_id in artifact_ids}
    if artifact_ids:
        stmt = select(BlobRow).where(BlobRow.artifact_id.in_(artifact_ids))
        for blob in session.scalars(stmt):
            found[blob.artifact_id].append(blob)
    return found


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


def visible_to(project_id: str | None, is_admin: bool) -> ColumnElement[bool]:
    """Condition on rows the caller may see (the same rule as the engine's per-row check)."""
    if is_admin:
        return true()
    if project_id is None:
        return ArtifactRow.visibility == PUBLIC
    return or_(ArtifactRow.owner == project_id, ArtifactRow.visibility == PUBLIC)


def is_visible(row: ArtifactRow | ArtifactRecord, project_id: str | None, is_admin: bool) -> bool:
    """Python twin of :func:`visible_to` for a row already loaded."""
    return (
        is_admin or row.visibility == PUBLIC or (project_id is not None and row.owner == project_id)
    )


# --- lists -------------------------------------------------------------------------------------


class ListCompiler:
    """Compile a :class:`ListQuery` for one type (or all types) into a SELECT."""

    def __init__(self, dialect: str, fields: Mapping[str, f.Field]) -> None:
        self.dialect = dialect
        self.fields = fields

    def select_page(
        self,
        session: Session,
        *,
        type_names: Sequence[str],
        query: ListQuery,
        project_id: str | None,
        is_admin: bool,
    ) -> tuple[list[ArtifactRecord], bool]:
        """Return up to ``query.limit`` rows and whether more follow."""
        base = [visible_to(project_id, is_admin)]
        if len(type_names) == 1:
            base.append(ArtifactRow.type_name == type_names[0])
        else:
            base.append(ArtifactRow.type_name.in_(type_names))
        conditions = base + [self.filter_condition(flt) for flt in query.filters]
        order = [*query.sort, SortKey("id", descending=False)]
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

    # filters

    def filter_condition(self, flt: Filter) -> ColumnElement[bool]:
        field = self.fields[flt.field]
        if isinstance(field, f.List):
            return self._list_membership(flt)
        if isinstance(field, f.Dict):
            document = self._document(flt.field)
            if flt.key_exists:
                keys = flt.value if flt.op == "in" else (flt.value,)
                return or_(*(self._has_key(document, key) for key in keys))
            assert flt.key is not None
            expr = self._dict_value(flt.field, flt.key, field.element)
            return _compare(expr, flt.op, flt.value)
        expr, value = self._comparable(flt.field, field, flt.value)
        return _compare(expr, flt.op, value)

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
        document = self._document(flt.field)
        values = flt.value if flt.op == "in" else (flt.value,)
        return or_(*(self._contains(document, value) for value in values))

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
            return self._typed(document[key], kind)
        entries = func.json_each(document).table_valued("key", "value")
        value = select(entries.c.value).where(entries.c.key == key).scalar_subquery()
        return type_coerce(value, _SQL_TYPES.get(type(kind), String()))

    def _document(self, name: str) -> Any:
        if name in COMMON_FIELDS:
            return _COLUMNS[name]
        return ArtifactRow.properties[name]

    # ordering

    def sort_expression(self, name: str) -> SQLColumnExpression[Any]:
        if name == "version":
            return ArtifactRow.version_key
        if name in _COLUMNS:
            return _COLUMNS[name]
        field = self.fields[name]
        if isinstance(field, f.Version):
            return ArtifactRow.properties[name + VERSION_KEY_SUFFIX].as_string()
        return self._typed(ArtifactRow.properties[name], field)

    @staticmethod
    def _typed(element: Any, field: f.Field) -> SQLColumnExpression[Any]:
        if isinstance(field, f.Integer):
            # as_integer() casts to a 32-bit INTEGER on PostgreSQL; our integers are 64-bit.
            return sql_cast(element.as_string(), BigInteger)
        if isinstance(field, f.Float):
            return element.as_float()
        if isinstance(field, f.Boolean):
            return element.as_boolean()
        return element.as_string()

    def _order_by(self, order: Sequence[SortKey]) -> list[Any]:
        # NULL sorts as the smallest value in both directions on both databases, which is what
        # the keyset condition in _after_marker assumes.
        clauses = []
        for key in order:
            expr = self.sort_expression(key.field)
            clauses.append(expr.desc().nulls_last() if key.descending else expr.asc().nulls_first())
        return clauses

    def _after_marker(
        self,
        session: Session,
        marker: str,
        base: Sequence[ColumnElement[bool]],
        order: Sequence[SortKey],
    ) -> ColumnElement[bool]:
        exprs = [self.sort_expression(key.field) for key in order]
        found = session.execute(select(*exprs).where(ArtifactRow.id == marker, *base)).one_or_none()
        if found is None:
            raise InvalidMarker(f"Marker {marker!r} is not an artifact in this listing.")
        alternatives = []
        for i, key in enumerate(order):
            equal_before = [_equals(exprs[j], found[j]) for j in range(i)]
            alternatives.append(and_(*equal_before, _beyond(exprs[i], found[i], key.descending)))
        return or_(*alternatives)


def _equals(expr: SQLColumnExpression[Any], value: Any) -> ColumnElement[bool]:
    return expr.is_(None) if value is None else expr == value


def _beyond(expr: SQLColumnExpression[Any], value: Any, descending: bool) -> ColumnElement[bool]:
    """Rows strictly after ``value`` in the order, with NULL as the smallest value."""
    if descending:
        return false() if value is None else or_(expr < value, expr.is_(None))
    return expr.is_not(None) if value is None else expr > value


def _compare(expr: SQLColumnExpression[Any], op: str, value: Any) -> ColumnElement[bool]:
    if op == "eq":
        return expr == value
    if op == "neq":
        return expr.is_distinct_from(value)
    if op == "in":
        return expr.in_(value)
    if op == "gt":
        return expr > value
    if op == "gte":
        return expr >= value
    if op == "lt":
        return expr < value
    return expr <= value


_SQL_TYPES: dict[type[f.Field], Any] = {
    f.Integer: BigInteger(),
    f.Float: Float(),
    f.Boolean: Boolean(),
}
