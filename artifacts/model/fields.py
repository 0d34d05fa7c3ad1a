"""Field kinds a type plugin declares its artifact fields with.

Each kind is an oslo.versionedobjects ``Field`` (so artifact types are real versioned objects with
coercion and change tracking) that also carries the repository's options: who may write it, when
it may change, how it is filtered and sorted, and the JSON-schema fragment that both documents and
enforces it.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from artifacts.model import semver
from artifacts.model._ovo import ovo_fields as ovo
from artifacts.model.streaming import StreamValidator
from artifacts.model.validators import Validator

EQUALITY_OPS: tuple[str, ...] = ("eq", "neq", "in")
ORDER_OPS: tuple[str, ...] = ("eq", "neq", "in", "gt", "gte", "lt", "lte")
#: Pattern search (``name=like:cirros%``); strings only, and only where a field opts in.
LIKE_OP = "like"
ALL_FILTER_OPS: frozenset[str] = frozenset((*ORDER_OPS, LIKE_OP))

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
LINK_PATTERN = rf"^/artifacts/[a-z0-9_]+/{_UUID}$"
_LINK_RE = re.compile(LINK_PATTERN)


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


class _BlobType(ovo.FieldType[dict[str, Any]]):
    """Blob descriptors are managed by the blob service; the object just carries them."""

    @staticmethod
    def coerce(obj: Any, attr: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValueError("a blob descriptor must be an object")
        return dict(value)


class Field(ovo.Field[Any]):
    """Base of every field kind, with the options every kind shares."""

    glare_type: ClassVar[str]
    json_type: ClassVar[str]
    default_filter_ops: ClassVar[tuple[str, ...]] = EQUALITY_OPS
    #: A kind whose values live outside the artifact document (blobs) is not patchable.
    is_blob: ClassVar[bool] = False

    def __init__(
        self,
        field_type: ovo.FieldType[Any],
        *,
        description: str = "",
        mutable: bool = False,
        system: bool = False,
        required_on_activate: bool = False,
        sortable: bool = False,
        nullable: bool = True,
        default: Any = None,
        validators: Iterable[Validator] = (),
        filter_ops: Iterable[str] | None = None,
    ) -> None:
        ovo_default = default if (default is not None or nullable) else ovo.UnspecifiedDefault
        super().__init__(field_type, default=ovo_default, nullable=nullable)
        self.description = description
        self.mutable = mutable
        self.system = system
        self.required_on_activate = required_on_activate
        self.sortable = sortable
        self.default_value = default
        self.validators: tuple[Validator, ...] = tuple(validators)
        ops = tuple(self.default_filter_ops if filter_ops is None else filter_ops)
        unknown = set(ops) - ALL_FILTER_OPS
        if unknown:
            raise ValueError(f"unknown filter operators {sorted(unknown)}")
        if LIKE_OP in ops and not isinstance(self, String):
            raise ValueError(f"{LIKE_OP!r} filters only String fields")
        self.filter_ops: tuple[str, ...] = ops
        for validator in self.validators:
            if self.json_type not in validator.applies_to:
                raise ValueError(
                    f"{type(validator).__name__} does not apply to a {self.glare_type} field"
                )

    def initial_value(self) -> Any:
        """Return a fresh copy of the default, so list and dict defaults are never shared."""
        default = self.default_value
        if default is None or isinstance(default, str | int | float):
            return default  # immutable: nothing to copy (deepcopy showed up in list profiles)
        return copy.deepcopy(default)

    def coerce_input(self, value: Any) -> Any:
        """Coerce a value a client sent the way Glare's fields do, before it is validated.

        Glare passes input through its oslo fields first, so ``"1024"`` is an integer field's
        1024, ``5`` a string field's ``"5"``, and null a list's, dict's or version's default;
        its clients send such values. A value that cannot be coerced is returned unchanged, for
        validation to refuse in its own words.
        """
        if value is None:
            if not self.nullable and self.default_value is not None:
                return self.initial_value()
            return None
        try:
            return self._type.coerce(None, "value", value)
        except (ValueError, TypeError):
            return value

    def value_schema(self) -> dict[str, Any]:
        """Describe a non-null value of this kind."""
        schema: dict[str, Any] = {"type": self.json_type}
        for validator in self.validators:
            schema.update(validator.schema())
        return schema

    def json_schema(self) -> dict[str, Any]:
        """Describe the field for ``/schemas``, with Glare's extra keywords."""
        schema = self.value_schema()
        if self.nullable:
            schema = _nullable(schema)
        schema.update(
            {
                "glareType": self.glare_type,
                "readOnly": self.system,
                "mutable": self.mutable,
                "sortable": self.sortable,
                "required_on_activate": self.required_on_activate,
                "filter_ops": list(self.filter_ops),
            }
        )
        if self.description:
            schema["description"] = self.description
        if self.default_value is not None:
            schema["default"] = self.default_value
        return schema

    def to_json(self, value: Any) -> Any:
        """Render a stored value for the wire."""
        return value


def _element_ops(element: Field, allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(op for op in element.filter_ops if op in allowed)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    json_type = schema.get("type")
    if isinstance(json_type, str):
        schema["type"] = [json_type, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    return schema


class String(Field):
    glare_type = "String"
    json_type = "string"

    def __init__(self, *, max_length: int = 255, **options: Any) -> None:
        super().__init__(ovo.String(), **options)
        self.max_length = max_length

    def value_schema(self) -> dict[str, Any]:
        return {"maxLength": self.max_length, **super().value_schema()}


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Integer(Field):
    glare_type = "Integer"
    json_type = "integer"
    default_filter_ops = ORDER_OPS

    def __init__(self, **options: Any) -> None:
        super().__init__(ovo.Integer(), **options)

    def value_schema(self) -> dict[str, Any]:
        # What both databases can store, compare and sort; validators may narrow it.
        return {"minimum": INT64_MIN, "maximum": INT64_MAX, **super().value_schema()}


class Float(Field):
    glare_type = "Float"
    json_type = "number"
    default_filter_ops = ORDER_OPS

    def __init__(self, **options: Any) -> None:
        super().__init__(ovo.Float(), **options)


class Boolean(Field):
    glare_type = "Boolean"
    json_type = "boolean"
    default_filter_ops = ("eq", "neq")

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


class DateTime(Field):
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


class Version(Field):
    glare_type = "String"
    json_type = "string"
    default_filter_ops = ORDER_OPS

    def __init__(self, **options: Any) -> None:
        super().__init__(_VersionType(), **options)

    def value_schema(self) -> dict[str, Any]:
        return {**super().value_schema(), "format": "semver", "maxLength": 255}

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "glareType": "String"}


class Link(Field):
    """A reference to another artifact, as ``/artifacts/<type>/<id>``."""

    glare_type = "Link"
    json_type = "string"
    default_filter_ops = ("eq", "neq")

    def __init__(self, *, target_type: str | None = None, **options: Any) -> None:
        super().__init__(_LinkType(), **options)
        self.target_type = target_type

    def value_schema(self) -> dict[str, Any]:
        pattern = LINK_PATTERN
        if self.target_type:
            pattern = pattern.replace("[a-z0-9_]+", re.escape(self.target_type), 1)
        return {**super().value_schema(), "pattern": pattern}


class List(Field):
    glare_type = "List"
    json_type = "array"
    #: Without ``filter_ops``, a list is filtered by its elements' equality operators, as in
    #: Glare: ``eq`` and ``in`` test membership, ``neq`` wants an element that differs.
    default_filter_ops = EQUALITY_OPS

    def __init__(
        self,
        element: Field,
        *,
        max_items: int = 255,
        unique: bool = False,
        collapse_duplicates: bool = False,
        **options: Any,
    ) -> None:
        _require_scalar(element, "List")
        options.setdefault("filter_ops", _element_ops(element, EQUALITY_OPS))
        options.setdefault("default", [])
        options.setdefault("nullable", False)
        super().__init__(ovo.List(element._type), **options)
        self.element = element
        self.max_items = max_items
        self.unique = unique
        #: Drop repeated items instead of refusing them (Glare's tags), keeping first places.
        self.collapse_duplicates = collapse_duplicates

    def coerce_input(self, value: Any) -> Any:
        coerced = super().coerce_input(value)
        if self.collapse_duplicates and isinstance(coerced, list):
            try:
                return list(dict.fromkeys(coerced))
            except TypeError:  # unhashable items: validation refuses them
                return coerced
        return coerced

    def value_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": self.element.value_schema(),
            "maxItems": self.max_items,
        }
        if self.unique:
            schema["uniqueItems"] = True
        for validator in self.validators:
            schema.update(validator.schema())
        return schema

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "glareType": f"{self.element.glare_type}List"}


class Dict(Field):
    glare_type = "Dict"
    json_type = "object"
    # By key (``metadata=os``) with eq/in; by value (``metadata.os=…``) with these, which default
    # to the value kind's operators as in Glare (a dict of strings: eq, neq, in).
    default_filter_ops = ORDER_OPS

    def __init__(self, value: Field, *, max_keys: int = 255, **options: Any) -> None:
        _require_scalar(value, "Dict")
        options.setdefault("filter_ops", _element_ops(value, ORDER_OPS))
        options.setdefault("default", {})
        options.setdefault("nullable", False)
        super().__init__(ovo.Dict(value._type), **options)
        self.element = value
        self.max_keys = max_keys

    def value_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": self.element.value_schema(),
            "propertyNames": {"minLength": 1, "maxLength": 255},
            "maxProperties": self.max_keys,
        }
        for validator in self.validators:
            schema.update(validator.schema())
        return schema

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "glareType": f"{self.element.glare_type}Dict"}


#: ``checking``: stored, waiting for a type's post-store check (see artifacts.model.streaming).
BLOB_STATUSES = ("saving", "checking", "active")

_BLOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {"type": ["string", "null"]},
        "size": {"type": ["integer", "null"], "minimum": 0},
        "md5": {"type": ["string", "null"]},
        "sha1": {"type": ["string", "null"]},
        "sha256": {"type": ["string", "null"]},
        "external": {"type": "boolean"},
        "status": {"type": "string", "enum": list(BLOB_STATUSES)},
        "content_type": {"type": ["string", "null"]},
    },
    "required": ["url", "size", "md5", "sha1", "sha256", "external", "status", "content_type"],
    "additionalProperties": False,
}

#: Default ceiling of one blob: large enough for VM images, small enough to catch runaway uploads.
DEFAULT_BLOB_MAX_SIZE = 10 * 1024**3


class Blob(Field):
    """Binary data uploaded through the blob endpoints, never through PATCH."""

    glare_type = "Blob"
    json_type = "object"
    default_filter_ops = ()
    is_blob = True

    def __init__(
        self,
        *,
        max_size: int = DEFAULT_BLOB_MAX_SIZE,
        stream_validators: Iterable[StreamValidator] = (),
        **options: Any,
    ) -> None:
        options.setdefault("filter_ops", ())
        super().__init__(_BlobType(), **options)
        self.max_size = max_size
        self.stream_validators = _stream_validators(stream_validators)

    def value_schema(self) -> dict[str, Any]:
        return copy.deepcopy(_BLOB_SCHEMA)

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "readOnly": True, "maxSize": self.max_size}


class BlobDict(Field):
    """A folder of named blobs (for example nested templates)."""

    glare_type = "BlobDict"
    json_type = "object"
    default_filter_ops = ()
    is_blob = True

    def __init__(
        self,
        *,
        max_size: int = DEFAULT_BLOB_MAX_SIZE,
        max_keys: int = 255,
        max_total_size: int | None = None,
        stream_validators: Iterable[StreamValidator] = (),
        **options: Any,
    ) -> None:
        options.setdefault("filter_ops", ())
        options.setdefault("default", {})
        options.setdefault("nullable", False)
        super().__init__(ovo.Dict(_BlobType()), **options)
        self.max_size = max_size
        self.stream_validators = _stream_validators(stream_validators)
        self.max_keys = max_keys
        self.max_total_size = max_total_size if max_total_size is not None else max_size

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": _nullable(copy.deepcopy(_BLOB_SCHEMA)),
            "maxProperties": self.max_keys,
        }

    def json_schema(self) -> dict[str, Any]:
        return {
            **super().json_schema(),
            "readOnly": True,
            "maxSize": self.max_size,
            "maxTotalSize": self.max_total_size,
        }


def _stream_validators(validators: Iterable[StreamValidator]) -> tuple[StreamValidator, ...]:
    found = tuple(validators)
    for validator in found:
        if not isinstance(validator, StreamValidator):
            raise ValueError(f"{validator!r} is not a StreamValidator")
    return found


_SCALAR_KINDS = (String, Integer, Float, Boolean, DateTime, Version, Link)


def _require_scalar(field: Field, container: str) -> None:
    if not isinstance(field, _SCALAR_KINDS):
        raise ValueError(f"{container} elements must be a scalar field kind, not {field!r}")


def format_datetime(value: dt.datetime) -> str:
    """Render UTC timestamps as Glare does: ISO 8601 to the second, ``Z`` suffix."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # isoformat is C code; strftime parses its format on every call (a list renders 75 of these).
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


__all__ = [
    "Blob",
    "BlobDict",
    "Boolean",
    "DateTime",
    "Dict",
    "Field",
    "Float",
    "Integer",
    "Link",
    "List",
    "String",
    "Version",
]
