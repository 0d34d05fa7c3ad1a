"""Container kinds: a list, or a dict with string keys, of one scalar kind."""

from __future__ import annotations

from typing import Any

from artifacts.model._ovo import ovo_fields as ovo

from .base import EQUALITY_OPS, ORDER_OPS, Field, _element_ops


def _require_scalar(field: Field, container: str) -> None:
    if not field.is_scalar:
        raise ValueError(f"{container} elements must be a scalar field kind, not {field!r}")


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
        # Each item as its own kind coerces it, so a kind's coercion holds inside lists too.
        if isinstance(value, list):
            coerced = [self.element.coerce_input(item) for item in value]
        else:
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

    def to_document(self, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [self.element.to_document(item) for item in value]

    def from_document(self, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [self.element.from_document(item) for item in value]

    def links(self, value: Any) -> list[str]:
        return [link for item in value or () for link in self.element.links(item)]


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

    def coerce_input(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: self.element.coerce_input(item) for key, item in value.items()}
        return super().coerce_input(value)

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

    def to_document(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {key: self.element.to_document(item) for key, item in value.items()}

    def from_document(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {key: self.element.from_document(item) for key, item in value.items()}

    def links(self, value: Any) -> list[str]:
        return [link for item in (value or {}).values() for link in self.element.links(item)]
