"""Translating a list's filters and sort keys into SQL expressions.

What differs between field kinds (the SQL type a value compares as, its sort key, whether JSON
containment is its equality) is asked of the kind; version ranges are compiled by
:mod:`.version_sql`. Each filter's values come apart from its condition
(:meth:`FilterCompiler.filter_values`), so a statement built for one request's values can be
executed with another's (:mod:`.list_shapes`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
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
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import NullType

from artifacts.model import fields as f
from artifacts.model import semver
from artifacts.model.base import COMMON_FIELDS
from artifacts.model.query import LIKE_ESCAPE, RANGE_OP, Filter

from . import json_sql
from .models import ArtifactRow
from .version_sql import in_version_set

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
#: Not a field: every sort by ``version`` is followed by it (see ``listing._with_tie_breaker``).
VERSION_BUILD = "version+build"
#: Sort expressions that are never NULL, so keyset conditions on them need no NULL branches.
NOT_NULL = frozenset(
    {
        "id",
        "name",
        "version",
        VERSION_BUILD,
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


def indexed_type_field(fields: Mapping[str, f.Field], name: str) -> bool:
    """Whether ``name`` is a type's own sortable scalar field, with per-type indexes."""
    field = fields.get(name)
    return field is not None and name not in COMMON_FIELDS and field.sortable and field.is_scalar


class FilterCompiler:
    """The SQL of one type's (or all types') filters and sort keys."""

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

    # filters

    def filter_values(self, flt: Filter) -> list[Any]:
        """The values :meth:`filter_condition` binds for ``flt``, in the order it binds them.

        Each branch here has its twin there: these are the values in the form the database
        compares (sort keys, JSON documents, converted kinds), that is the SQL's parameters.
        """
        field = self.fields[flt.field]
        if flt.op == RANGE_OP:
            return []  # bound where it is built: a range is never a cached shape
        if flt.op == f.LIKE_OP:
            return [flt.value]
        values = flt.values
        if isinstance(field, f.Version) and flt.op in ("eq", "neq", "in"):
            out = []
            for v in values:
                out.append(semver.sort_key(v))
                if "+" in v:
                    out.append(v)
            return out
        path = self.containment_path(flt, field)
        if path is not None:
            return [_nested(path, v) for v in values]
        if isinstance(field, f.List):
            if flt.op == "neq":
                return [json_sql.other_value(self.dialect, flt.value)]
            return [p for v in values for p in json_sql.contains_values(self.dialect, v)]
        if isinstance(field, f.Dict):
            if flt.key_exists:
                return list(values)
            compared = list(values) if flt.op == "in" else flt.value
            return [flt.key, compared]
        if flt.field in _COLUMNS and flt.field not in _KEY_COLUMNS:
            return [list(values) if flt.op == "in" else flt.value]
        if flt.op == "in":
            return [[field.sort_value(v) for v in values]]
        return [field.sort_value(flt.value)]

    def filter_condition(
        self, flt: Filter, params: Sequence[Any] | None = None
    ) -> ColumnElement[bool]:
        """The condition of one filter, on bind parameters ``params`` for its values.

        ``params`` are one per :meth:`filter_values` value, in its order; without them the
        values themselves are bound (a statement for this one filter value).
        """
        field = self.fields[flt.field]
        if params is None:
            params = [bindparam(None, v, type_=NullType()) for v in self.filter_values(flt)]
        taken = iter(params)
        if flt.op == RANGE_OP:
            return in_version_set(self.sort_expression(flt.field), flt.value)
        if flt.op == f.LIKE_OP:
            return self.sort_expression(flt.field).ilike(next(taken), escape=LIKE_ESCAPE)
        if isinstance(field, f.Version) and flt.op in ("eq", "neq", "in"):
            return self._version_equality(flt, taken)
        path = self.containment_path(flt, field)
        if path is not None:
            document: Any = ArtifactRow.properties
            if flt.field in COMMON_FIELDS:  # a common dict column such as metadata
                document = _COLUMNS[flt.field]
            return or_(*(type_coerce(document, JSONB).contains(p) for p in taken))
        if isinstance(field, f.List):
            document = self._document(flt.field)
            if flt.op == "neq":
                return json_sql.has_other(self.dialect, document, next(taken))
            tests = [json_sql.contains(self.dialect, document, taken) for _ in flt.values]
            return or_(false(), *tests)
        if isinstance(field, f.Dict):
            document = self._document(flt.field)
            if flt.key_exists:
                return or_(false(), *(json_sql.has_key(self.dialect, document, k) for k in taken))
            expr = self._dict_value(flt.field, next(taken), field.element)
            return _compare(expr, flt.op, next(taken))
        expr = self.sort_expression(flt.field)
        if flt.or_missing:
            return or_(_compare(expr, flt.op, next(taken)), expr.is_(None))
        return _compare(expr, flt.op, next(taken))

    def containment_path(self, flt: Filter, field: f.Field) -> list[str] | None:
        """On PostgreSQL, equality inside a JSON document as ``@>``, which a GIN index serves.

        ``os_distro=ubuntu`` becomes ``properties @> '{"os_distro": "ubuntu"}'``,
        ``metadata.os=linux`` ``metadata @> '{"os": "linux"}'``: exactly the same rows as
        comparing the extracted value, for the kinds whose JSON equality is their equality (not
        floats, datetimes or versions, which compare by their own rules). Sortable type fields
        are the exception: they keep the extracted form, which their per-type B-tree index
        matches. Returns the path to the value inside the document searched, or None where
        the filter is not a containment test.
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
        path = [flt.field] if flt.key is None else [flt.field, flt.key]
        return path[1:] if flt.field in COMMON_FIELDS else path

    def _version_equality(self, flt: Filter, taken: Iterator[Any]) -> ColumnElement[bool]:
        """Compare by precedence, except that a value with build metadata must match exactly.

        ``version=1.0.0`` finds 1.0.0+b5 as well (SemVer: the same precedence), while
        ``version=1.0.0+b5`` finds only that build. ``taken`` holds, per value, the parameter
        of its sort key and, for a value with build metadata, of its text.
        """
        values = flt.values
        key = self.sort_expression(flt.field)
        text = (
            ArtifactRow.version
            if flt.field == "version"
            else self._typed(self._property(flt.field), self.fields[flt.field])
        )
        alternatives = []
        for v in values:
            at_key = key == next(taken)
            alternatives.append(and_(at_key, text == next(taken)) if "+" in v else at_key)
        matches = or_(*alternatives)
        if flt.op == "neq":
            return and_(key.is_not(None), not_(matches))
        return matches

    def _dict_value(
        self, name: str, key: BindParameter[Any], kind: f.Field
    ) -> SQLColumnExpression[Any]:
        """The value under the key ``key`` binds, of a dict field, typed as its value kind.

        On SQLite the key is matched through ``json_each`` rather than spliced into a JSON
        path, so any key (quotes, dots, backslashes) works and stays a bound parameter.
        """
        document = self._document(name)
        if self.dialect == "postgresql":
            # Typed as text, so that PostgreSQL reads ``->`` as an object key, not an index.
            key = bindparam(key.key, key.value, type_=String(), unique=key.unique)
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
        ``json_extract`` takes it. The literal is part of the compiled text, not a parameter
        rendered at execution (``literal_execute``), which would have SQLAlchemy rewrite the
        statement's text on every execution. Field names are lowercase identifiers (the
        registry checks); quotes are doubled all the same.
        """
        if self.dialect == "postgresql":
            document = type_coerce(ArtifactRow.properties, JSONB)
            return document[_sql_string(name)]
        return ArtifactRow.properties[_sql_string(f'$."{name}"')]

    # ordering

    def sort_expression(self, name: str) -> SQLColumnExpression[Any]:
        if name == "version":
            return ArtifactRow.version_key
        if name == VERSION_BUILD:
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


def _sql_string(text: str) -> ColumnElement[str]:
    """``text`` as an SQL string literal in the statement's text."""
    quoted = text.replace("'", "''")
    return literal_column(f"'{quoted}'", String())


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
