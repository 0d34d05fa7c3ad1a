"""The base of every field kind: the options all kinds share, and the behaviour each one owns.

A kind is an oslo.versionedobjects ``Field`` (so artifact types are real versioned objects with
coercion and change tracking) that also carries the repository's options: who may write it, when
it may change, how it is filtered and sorted, and the JSON-schema fragment that both documents and
enforces it. Everything that differs from one kind to another (reading a filter value, storing a
value in the artifact document, the SQL type it is compared as, its sort key, the links it holds)
is a method or class attribute here, overridden by the kind, so a new kind is one class: the
query parser, the repository and the engine ask the kind and never test which kind it is.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from artifacts.model._ovo import ovo_fields as ovo
from artifacts.model.validators import Validator

EQUALITY_OPS: tuple[str, ...] = ("eq", "neq", "in")
ORDER_OPS: tuple[str, ...] = ("eq", "neq", "in", "gt", "gte", "lt", "lte")
#: Pattern search (``name=like:cirros%``); strings only, and only where a field opts in.
LIKE_OP = "like"
ALL_FILTER_OPS: frozenset[str] = frozenset((*ORDER_OPS, LIKE_OP))

#: SQL types stored values are compared as; artifacts.db maps each to its expression.
SqlType = Literal["text", "bigint", "float", "boolean"]


class Field(ovo.Field[Any]):
    """Base of every field kind, with the options every kind shares."""

    glare_type: ClassVar[str]
    json_type: ClassVar[str]
    default_filter_ops: ClassVar[tuple[str, ...]] = EQUALITY_OPS
    #: A kind whose values live outside the artifact document (blobs) is not patchable.
    is_blob: ClassVar[bool] = False
    #: One value, not a collection: what a list or dict holds, and what an index can cover.
    is_scalar: ClassVar[bool] = False
    #: Whether ``like:`` pattern filters can apply (a field still opts in with ``filter_ops``).
    supports_like: ClassVar[bool] = False
    #: The SQL type a stored value is compared and sorted as.
    sql_type: ClassVar[SqlType] = "text"
    #: Whether two values are equal exactly when their JSON forms are, so that a JSON
    #: containment test (PostgreSQL's ``@>``, which a GIN index serves) can stand in for ``=``.
    #: Not so for floats (1 and 1.0), datetimes (offsets) or versions (precedence).
    json_equality: ClassVar[bool] = False
    #: The collation a sort key needs (None: the database's default for text).
    sort_collation: ClassVar[str | None] = None

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
        if LIKE_OP in ops and not self.supports_like:
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

    # --- storage: how a value lives in the artifact's JSON document ---------------------------

    def to_document(self, value: Any) -> Any:
        """The JSON form a value is stored in (its wire form, or an accepted spelling of it)."""
        return value

    def from_document(self, value: Any) -> Any:
        """A field value from its stored (or wire) JSON form."""
        return value

    def sort_entry(self, name: str) -> str:
        """The document entry that sorts and compares the field: its own, unless it keeps a key."""
        return name

    def document_entries(self, name: str, value: Any) -> dict[str, Any]:
        """Every document entry that stores the field's value (a sort key beside it, if any)."""
        return {name: self.to_document(value)}

    # --- queries ------------------------------------------------------------------------------

    def parse_query(self, raw: str) -> Any:
        """A query string's value of this kind; ValueError says why it is not one."""
        return raw

    def sort_value(self, value: Any) -> Any:
        """A parsed query value as the stored entry that sorts the field represents it."""
        return self.to_document(value)

    def links(self, value: Any) -> list[str]:
        """The artifact links a value holds (``/artifacts/<type>/<id>``), checked on write."""
        return []


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


def format_datetime(value: dt.datetime) -> str:
    """Render UTC timestamps as Glare does: ISO 8601 to the second, ``Z`` suffix."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    # isoformat is C code; strftime parses its format on every call (a list renders 75 of these).
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
