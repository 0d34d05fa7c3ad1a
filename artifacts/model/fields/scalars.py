"""Scalar kinds: one value each, stored in the artifact document, filtered and sorted in SQL."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from artifacts.model import semver
from artifacts.model._ovo import ovo_fields as ovo

from .base import ORDER_OPS, Field, SqlType, format_datetime

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
LINK_PATTERN = rf"^/artifacts/[a-z0-9_]+/{_UUID}$"
_LINK_RE = re.compile(LINK_PATTERN)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class _VersionType(ovo.FieldType[str]):
    """Coerce anything SemVer-like to its canonical string, so "1" is stored as "1.0.0"."""

    @staticmethod
    def coerce(obj: Any, attr: str, value: Any) -> str:
        try:
            return semver.normalize_version(value)
        except semver.InvalidVersion as exc:
            raise ValueError(str(exc)) from exc


class _LinkType(ovo.FieldType[str]):
    @staticmethod
    def coerce(obj: Any, attr: str, value: Any) -> str:
        if not isinstance(value, str) or not _LINK_RE.match(value):
            raise ValueError(f"{value!r} is not a link of the form /artifacts/<type>/<id>")
        return value


class _Scalar(Field):
    is_scalar = True


class String(_Scalar):
    glare_type = "String"
    json_type = "string"
    supports_like = True
    json_equality = True

    def __init__(self, *, max_length: int = 255, **options: Any) -> None:
        super().__init__(ovo.String(), **options)
        self.max_length = max_length

    def value_schema(self) -> dict[str, Any]:
        return {"maxLength": self.max_length, **super().value_schema()}

    def parse_query(self, raw: str) -> Any:
        if len(raw) > self.max_length:
            raise ValueError(f"longer than {self.max_length} characters")
        return raw


class Integer(_Scalar):
    glare_type = "Integer"
    json_type = "integer"
    default_filter_ops = ORDER_OPS
    sql_type: ClassVar[SqlType] = "bigint"
    json_equality = True

    def __init__(self, **options: Any) -> None:
        super().__init__(ovo.Integer(), **options)

    def value_schema(self) -> dict[str, Any]:
        # What both databases can store, compare and sort; validators may narrow it.
        return {"minimum": INT64_MIN, "maximum": INT64_MAX, **super().value_schema()}

    def parse_query(self, raw: str) -> Any:
        number = int(raw)
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValueError("outside the 64-bit integer range")
        return number


class Float(_Scalar):
    glare_type = "Float"
    json_type = "number"
    default_filter_ops = ORDER_OPS
    sql_type: ClassVar[SqlType] = "float"

    def __init__(self, **options: Any) -> None:
        super().__init__(ovo.Float(), **options)

    def parse_query(self, raw: str) -> Any:
        return float(raw)


class Boolean(_Scalar):
    glare_type = "Boolean"
    json_type = "boolean"
    default_filter_ops = ("eq", "neq")
    sql_type: ClassVar[SqlType] = "boolean"
    json_equality = True

    def __init__(self, *, hides_from_lists: bool = False, **options: Any) -> None:
        super().__init__(ovo.Boolean(), **options)
        #: An artifact whose value is true is left out of lists that do not filter on this
        #: field (Glance's ``os_hidden``); a filter on it, ``=true`` or ``=false``, lists as
        #: asked.
        self.hides_from_lists = hides_from_lists
        if hides_from_lists and not self.filter_ops:
            raise ValueError("a field that hides from lists must be filterable")

    def coerce_input(self, value: Any) -> Any:
        # oslo's Boolean makes any non-empty string true ("false" included): take JSON booleans.
        return value

    def parse_query(self, raw: str) -> Any:
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise ValueError("expected true or false")
        return lowered == "true"


class DateTime(_Scalar):
    """A point in time: a timezone-aware datetime in the object, ISO 8601 text in the document.

    The text is UTC to the second with a ``Z`` (Glare's form), so text order is time order.
    """

    glare_type = "DateTime"
    json_type = "string"
    default_filter_ops = ORDER_OPS

    def __init__(self, **options: Any) -> None:
        super().__init__(ovo.DateTime(tzinfo_aware=True), **options)

    def value_schema(self) -> dict[str, Any]:
        return {**super().value_schema(), "format": "date-time"}

    def to_json(self, value: Any) -> Any:
        return format_datetime(value) if value is not None else None

    def coerce_input(self, value: Any) -> Any:
        return value  # validated as ISO 8601 text, and kept in its wire form

    def to_document(self, value: Any) -> Any:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return format_datetime(value) if value is not None else None

    def from_document(self, value: Any) -> Any:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value

    def parse_query(self, raw: str) -> Any:
        parsed = dt.datetime.fromisoformat(raw)
        # Everything is stored in UTC (SQLite keeps no offset), so compare in UTC.
        return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


#: Suffix of the hidden document entry holding a Version field's sort key.
VERSION_KEY_SUFFIX = "__sortkey"


class Version(_Scalar):
    """A SemVer version, stored normalized beside a key whose byte order is SemVer precedence."""

    glare_type = "String"
    json_type = "string"
    default_filter_ops = ORDER_OPS
    # Keys compare bytewise; the database's default collation would reorder them.
    sort_collation = "C"

    def __init__(self, **options: Any) -> None:
        super().__init__(_VersionType(), **options)

    def value_schema(self) -> dict[str, Any]:
        return {**super().value_schema(), "format": "semver", "maxLength": 255}

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "glareType": "String"}

    def to_document(self, value: Any) -> Any:
        return None if value is None else semver.normalize_version(value)

    def sort_entry(self, name: str) -> str:
        return name + VERSION_KEY_SUFFIX

    def document_entries(self, name: str, value: Any) -> dict[str, Any]:
        version = self.to_document(value)
        return {name: version, self.sort_entry(name): version and semver.sort_key(version)}

    def parse_query(self, raw: str) -> Any:
        return semver.normalize_version(raw)

    def sort_value(self, value: Any) -> Any:
        return semver.sort_key(value)


class Link(_Scalar):
    """A reference to another artifact, as ``/artifacts/<type>/<id>``."""

    glare_type = "Link"
    json_type = "string"
    default_filter_ops: ClassVar[tuple[str, ...]] = ("eq", "neq")
    json_equality = True

    def __init__(self, *, target_type: str | None = None, **options: Any) -> None:
        super().__init__(_LinkType(), **options)
        self.target_type = target_type

    def value_schema(self) -> dict[str, Any]:
        pattern = LINK_PATTERN
        if self.target_type:
            pattern = pattern.replace("[a-z0-9_]+", re.escape(self.target_type), 1)
        return {**super().value_schema(), "pattern": pattern}

    def links(self, value: Any) -> list[str]:
        return [] if value is None else [value]
